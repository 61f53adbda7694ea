/**
 * Deterministic video decoding with Debian's ffmpeg: probe with ffprobe, then stream
 * every frame (no dropping or duplication) as raw RGBA.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';

export class VideoInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VideoInputError';
  }
}

export interface VideoInfo {
  path: string;
  /** Size of the decoded (display-rotated) frames. */
  width: number;
  height: number;
  /** Average frame rate (ffprobe avg_frame_rate), used for timestamps. */
  fps: number;
  /** Frame count from the container, when it says. */
  frameCount: number | null;
  durationS: number | null;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', (err) => reject(new VideoInputError(`cannot run ${cmd}: ${err.message}`, { cause: err })));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function rate(s: unknown): number {
  if (typeof s !== 'string') return Number.NaN;
  const [n, d] = s.split('/').map(Number);
  return d ? n! / d : Number(n);
}

/** Milliseconds of frame `index` at `fps`, rounded to µs (the reference tracks' convention). */
export function frameTimestampMs(index: number, fps: number): number {
  return Math.round((index * 1000 * 1000) / fps) / 1000;
}

export async function probeVideo(path: string): Promise<VideoInfo> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new VideoInputError(`video not found or not readable: ${path}`);
  }
  const { code, stdout, stderr } = await run('ffprobe', [
    '-v', 'error', '-select_streams', 'v:0', '-count_packets',
    '-show_entries', 'stream=codec_type,width,height,avg_frame_rate,r_frame_rate,nb_frames,nb_read_packets,duration:stream_side_data=rotation',
    '-of', 'json', path,
  ]);
  if (code !== 0) throw new VideoInputError(`not a readable video: ${path}: ${stderr.trim().split('\n').pop() ?? 'ffprobe failed'}`);
  let stream: Record<string, unknown> | undefined;
  try {
    stream = (JSON.parse(stdout) as { streams?: Record<string, unknown>[] }).streams?.[0];
  } catch {
    throw new VideoInputError(`ffprobe gave unreadable output for ${path}`);
  }
  if (!stream || stream.codec_type !== 'video') throw new VideoInputError(`no video stream in ${path}`);
  let width = Number(stream.width);
  let height = Number(stream.height);
  if (!(width > 0 && height > 0)) throw new VideoInputError(`video stream of ${path} has no size`);
  const sideData = (stream.side_data_list as { rotation?: number }[] | undefined) ?? [];
  const rotation = Math.abs(Number(sideData.find((s) => s.rotation !== undefined)?.rotation ?? 0)) % 180;
  if (rotation === 90) [width, height] = [height, width];
  let fps = rate(stream.avg_frame_rate);
  if (!(fps > 0)) fps = rate(stream.r_frame_rate);
  if (!(fps > 0 && fps < 1000)) throw new VideoInputError(`video ${path} has no usable frame rate`);
  const frames = Number(stream.nb_read_packets ?? stream.nb_frames);
  const duration = Number(stream.duration);
  return { path, width, height, fps, frameCount: frames > 0 ? frames : null, durationS: duration > 0 ? duration : null };
}

/**
 * Yields every frame of `info.path` as RGBA (width × height × 4 bytes), in order.
 * Throws `VideoInputError` if ffmpeg fails (corrupt data) or yields no frame.
 */
export async function* decodeRgbaFrames(info: VideoInfo): AsyncGenerator<Uint8Array> {
  const frameBytes = info.width * info.height * 4;
  const ff = spawn('ffmpeg', [
    '-nostdin', '-v', 'error', '-xerror', '-i', info.path, '-map', '0:v:0',
    '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  ff.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number>((resolve, reject) => {
    ff.on('error', (err) => reject(new VideoInputError(`cannot run ffmpeg: ${err.message}`, { cause: err })));
    ff.on('close', (code) => resolve(code ?? 1));
  });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let count = 0;
  let finished = false;
  try {
    for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= frameBytes) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        const frame = new Uint8Array(frameBytes);
        frame.set(all.subarray(0, frameBytes));
        const rest = all.subarray(frameBytes);
        pending = rest.length ? [rest] : [];
        pendingBytes = rest.length;
        count++;
        yield frame;
      }
    }
    const code = await exited;
    finished = true;
    if (code !== 0) throw new VideoInputError(`ffmpeg could not decode ${info.path} (frame ${count}): ${stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${code}`}`);
    if (pendingBytes !== 0) throw new VideoInputError(`ffmpeg output for ${info.path} ended mid-frame (${pendingBytes} bytes left)`);
    if (count === 0) throw new VideoInputError(`no frames decoded from ${info.path}`);
  } finally {
    if (!finished) ff.kill('SIGKILL');
  }
}
