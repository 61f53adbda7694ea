/**
 * Video-codec baselines through Debian's ffmpeg: each codec encodes the driven part of the clip's
 * face crop at a ladder of constant bitrates with call-like settings (no B-frames / lookahead,
 * CBR with a 1 s buffer, a fixed GOP, one thread so output is reproducible); the bitrate is the
 * sum of the coded packets (no container), over the clip's duration.
 */
import { spawn } from 'node:child_process';

export type CodecName = 'h264' | 'vp8' | 'av1';
export const CODEC_NAMES: readonly CodecName[] = ['h264', 'vp8', 'av1'];

/** Default target ladder in kbit/s; 1 probes the codec's floor (its lowest reachable rate). */
export const DEFAULT_LADDER_KBPS: readonly number[] = [1, 16, 25, 40, 64, 100, 160, 300];
/** A rung whose achieved rate is within this factor of the previous one is the floor again: skipped. */
export const FLOOR_TOLERANCE = 1.15;

export interface CodecSpec {
  name: CodecName;
  encoder: string;
  /** ffmpeg output options for a target rate. */
  args(kbps: number, gopFrames: number): string[];
}

const cbr = (kbps: number) => [`-b:v`, `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`];

export const CODECS: Record<CodecName, CodecSpec> = {
  h264: {
    name: 'h264', encoder: 'libx264',
    args: (k, g) => ['-c:v', 'libx264', '-preset', 'medium', '-tune', 'zerolatency', '-profile:v', 'high', '-threads', '1',
      '-b:v', `${k}k`, '-maxrate', `${k}k`, '-bufsize', `${k}k`, '-g', String(g), '-keyint_min', String(g), '-bf', '0', '-x264-params', 'nal-hrd=cbr:force-cfr=1'],
  },
  vp8: {
    name: 'vp8', encoder: 'libvpx',
    // 'good' deadline rather than 'realtime': libvpx's realtime mode may adapt its speed to the
    // wall clock, which made run-to-run numbers differ on a loaded machine; 'good' is at least as good.
    args: (k, g) => ['-c:v', 'libvpx', '-deadline', 'good', '-cpu-used', '4', '-threads', '1', ...cbr(k), '-g', String(g),
      '-lag-in-frames', '0', '-error-resilient', '1', '-qmin', '2', '-qmax', '63'],
  },
  av1: {
    name: 'av1', encoder: 'libsvtav1',
    // SVT-AV1 CBR needs the low-delay prediction structure (what a real-time sender would use).
    args: (k, g) => ['-c:v', 'libsvtav1', '-preset', '8', '-b:v', `${k}k`, '-g', String(g), '-svtav1-params', 'rc=2:pred-struct=1:lp=1'],
  },
};

export interface SourceCut {
  path: string;
  /** ffmpeg filter that crops and scales the source to the benchmark's crop (e.g. `crop=…,scale=…`). */
  cropFilter: string;
  /** First and one-past-last frame index of the driven part. */
  start: number;
  end: number;
  fps: number;
  /** The cut, already cropped and in yuv420p (see `writeCut`): encoders read it instead of decoding and scaling the clip again. */
  y4m?: string;
}

export function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The filter chain that cuts [start, end) of the source and crops it. */
export function cutFilter(cut: SourceCut): string {
  return `trim=start_frame=${cut.start}:end_frame=${cut.end},setpts=PTS-STARTPTS,${cut.cropFilter}`;
}

/**
 * Writes the cut (cropped, scaled, yuv420p: exactly the frames an encoder would get) to a y4m
 * file once, so every rung of every codec reads it instead of decoding and scaling the clip.
 */
export async function writeCut(cut: SourceCut, y4m: string): Promise<SourceCut> {
  const r = await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', cut.path, '-an', '-vf', cutFilter(cut) + ',format=yuv420p', '-r', String(cut.fps), '-f', 'yuv4mpegpipe', '-strict', '-1', y4m]);
  if (r.code !== 0) throw new Error(`ffmpeg could not cut the clip: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return { ...cut, y4m };
}

/** Encodes the driven part at `kbps`; returns the achieved bitrate (coded bytes × 8 ÷ duration). */
export async function encodeRung(cut: SourceCut, codec: CodecName, kbps: number, gopFrames: number, out: string): Promise<{ kbps: number; frames: number }> {
  const input = cut.y4m ? ['-i', cut.y4m, '-an'] : ['-i', cut.path, '-an', '-vf', cutFilter(cut) + ',format=yuv420p'];
  const enc = await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...input, '-r', String(cut.fps), ...CODECS[codec].args(kbps, gopFrames), out]);
  if (enc.code !== 0) throw new Error(`${CODECS[codec].encoder} at ${kbps} kbit/s failed: ${enc.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', out]);
  if (probe.code !== 0) throw new Error(`ffprobe failed on ${out}: ${probe.stderr.trim()}`);
  const sizes = probe.stdout.split('\n').filter((l) => l.trim()).map(Number);
  const bytes = sizes.reduce((s, x) => s + x, 0);
  const frames = cut.end - cut.start;
  return { kbps: (bytes * 8) / (frames / cut.fps) / 1000, frames: sizes.length };
}

/** Whether Debian's ffmpeg has every encoder the baselines need; returns the missing ones. */
export async function missingEncoders(codecs: readonly CodecName[]): Promise<string[]> {
  const r = await run('ffmpeg', ['-hide_banner', '-encoders']);
  return codecs.map((c) => CODECS[c].encoder).filter((e) => !new RegExp(`\\s${e}\\s`).test(r.stdout));
}
