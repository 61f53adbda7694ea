/**
 * One benchmark run (issue 7): track → crop → enroll → encode/decode + generate in Chromium →
 * codec ladders → score everything on the same crops and frames → equivalent bitrates.
 * `runEval` is what the CLI (eval.ts), eval:all and the e2e test call.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { FaceFrame } from '@visage/protocol';
import { enrollWarpAvatar } from '../../packages/client/src/enrollment/atlas/enroll.ts';
import { pngCodec } from '../../packages/client/src/generator/codec.ts';
import { encodePng } from '../../packages/client/src/generator/png.ts';
import { decodeRgbaFrames, frameTimestampMs, probeVideo, type VideoInfo } from '../../packages/client/scripts/lib/video.ts';
import { CODECS, DEFAULT_LADDER_KBPS, FLOOR_TOLERANCE, cutFilter, encodeRung, missingEncoders, run, type CodecName, type SourceCut } from './codecs.ts';
import { clipCropBox, toCropLandmarks, DEFAULT_CROP_SCALE, FACERES_CROP_SCALE, FACERES_INPUT, type CropBox } from './crop.ts';
import { equivalentBitrate, savingFactor, type Direction, type Equivalent } from './equivalent.ts';
import { encodeFrames, packetKbps, senderNeutral } from './landmark-codec.ts';
import { cosine, l1, landmarkDistancePx, meanOf, psnr, ssim, type Rgba } from './metrics.ts';
import { planFrames, type FramePlan } from './selection.ts';
import { openEvalSession, type EvalSession } from './session.ts';
import { contentHash, readCachedTracks, writeCachedTracks } from './tracks-cache.ts';
import { collectFrames, Mp4Writer } from './video-io.ts';
import type { WireEmbedding } from './page/page.ts';

export interface EvalOptions {
  video: string;
  shots: number;
  generator: string;
  size: number;
  seed: number;
  /** At most this many driven frames are scored (every Nth). */
  maxEvalFrames: number;
  codecs: CodecName[];
  ladderKbps: number[];
  /** Keyframe interval of the codec baselines in seconds. */
  gopSeconds: number;
  sideBySide?: string;
  /** Tracks file to use instead of tracking (must match the clip frame for frame). */
  tracks?: string;
  /** Use and fill the tracks cache (default true). */
  cache: boolean;
  cropScale: number;
  log: (line: string) => void;
}

export const DEFAULT_EVAL_OPTIONS = {
  shots: 1, generator: 'warp', size: 256, seed: 0, maxEvalFrames: 30, codecs: ['h264', 'vp8', 'av1'] as CodecName[],
  ladderKbps: [...DEFAULT_LADDER_KBPS], gopSeconds: 2, cache: true, cropScale: DEFAULT_CROP_SCALE,
} satisfies Partial<EvalOptions>;

export interface Scores {
  l1: number | null;
  psnr: number | null;
  ssim: number | null;
  /** Mean landmark distance to the real frame's (re-tracked) landmarks, px at crop size. */
  akd: number | null;
  csim: number | null;
  /** Fraction of scored frames where the tracker finds a face. */
  face_rate: number | null;
}
export interface Rung extends Scores { kbps: number; target_kbps: number }
export type HeadlineMetric = 'ssim' | 'psnr' | 'csim' | 'akd';
export const HEADLINE_METRICS: readonly HeadlineMetric[] = ['ssim', 'psnr', 'csim', 'akd'];
const DIRECTION: Record<HeadlineMetric, Direction> = { ssim: 'higher', psnr: 'higher', csim: 'higher', akd: 'lower' };

export interface EvalResult {
  clip: string;
  /** Frames scored per variant (driven frames with a face in the real crop, subsampled). */
  frames: number;
  shots: number;
  size: number;
  ours: Scores & { kbps: number; fps_render: number };
  static: Scores & { kbps: 0 };
  codecs: Partial<Record<CodecName, Rung[]>>;
  equivalent_kbps: Partial<Record<CodecName, Record<HeadlineMetric, Equivalent>>>;
  saving: Partial<Record<CodecName, Record<HeadlineMetric, Equivalent>>>;
  details: EvalDetails;
}

export interface EvalDetails {
  seed: number;
  generator: string;
  generator_backend: string | null;
  render_where: string;
  video: { path: string; width: number; height: number; fps: number; frames: number };
  crop: CropBox & { scale: number };
  frames_with_face: number;
  enrollment: { region: [number, number]; shots_requested: number; frames: number[]; embedding_bytes: number };
  driven: { start: number; end: number; count: number; packets_bytes: number; face_lost_packets: number };
  scoring: { every: number; phase: number; indices: number[]; real_face_found: number };
  csim: string;
  akd: string;
  tracker: string;
  codec_settings: Record<string, string>;
  side_by_side: string | null;
  timings_s: Record<string, number>;
  warnings: string[];
}

export class EvalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalInputError';
  }
}

interface Analysis { landmarks: Float32Array | null; embedding: Float32Array | null }

/**
 * Scores one variant's frames (same order as `real`) against the real frames, on the usable
 * frames only: those where the tracker finds a face in the real crop.
 */
function score(real: Rgba[], realA: Analysis[], frames: Rgba[], analyses: Analysis[], size: number): Scores {
  const l1s: number[] = [], ps: number[] = [], ss: number[] = [], akd: (number | null)[] = [], cs: (number | null)[] = [];
  let found = 0, n = 0;
  for (let i = 0; i < frames.length; i++) {
    if (!realA[i]!.landmarks) continue;
    n++;
    l1s.push(l1(real[i]!, frames[i]!));
    ps.push(psnr(real[i]!, frames[i]!));
    ss.push(ssim(real[i]!, frames[i]!));
    akd.push(landmarkDistancePx(realA[i]!.landmarks, analyses[i]!.landmarks, size));
    cs.push(cosine(realA[i]!.embedding, analyses[i]!.embedding));
    if (analyses[i]!.landmarks) found++;
  }
  if (n === 0) return { l1: null, psnr: null, ssim: null, akd: null, csim: null, face_rate: null };
  return { l1: meanOf(l1s), psnr: meanOf(ps), ssim: meanOf(ss), akd: meanOf(akd), csim: meanOf(cs), face_rate: found / n };
}

async function trackClip(session: EvalSession, info: VideoInfo, log: (s: string) => void): Promise<FaceFrame[]> {
  const frames: FaceFrame[] = [];
  let i = 0;
  for await (const rgba of decodeRgbaFrames(info)) {
    const t = frameTimestampMs(i++, info.fps);
    const r = await session.track(rgba, info.width, info.height, t);
    frames.push({ t, landmarks: r.landmarks ? Float32Array.from(r.landmarks) : null, blendshapes: r.blendshapes ? Float32Array.from(r.blendshapes) : null, matrix: r.matrix ? Float32Array.from(r.matrix) : null });
    if (i % 100 === 0) log(`  tracked ${i} frames`);
  }
  return frames;
}

function toWire(e: { formatVersion: number; generator: { family: string; version: number }; sections: { type: number; mandatory: boolean; bytes: Uint8Array }[] }): WireEmbedding {
  return { formatVersion: e.formatVersion, generator: e.generator, sections: e.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, b64: Buffer.from(s.bytes).toString('base64') })) };
}

const rgba = (size: number, data: Uint8Array): Rgba => ({ width: size, height: size, data });

export async function runEval(o: EvalOptions): Promise<EvalResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round((now - mark) / 100) / 10;
    mark = now;
  };
  const warnings: string[] = [];
  const warn = (s: string) => {
    warnings.push(s);
    o.log(`warning: ${s}`);
  };
  const info = await probeVideo(o.video);
  const missing = await missingEncoders(o.codecs);
  if (missing.length) throw new EvalInputError(`this ffmpeg lacks encoder(s) ${missing.join(', ')}; choose others with --codecs`);
  const tmp = await mkdtemp(join(tmpdir(), 'visage-eval-'));
  const session = await openEvalSession();
  o.log(`chromium page ready: tracker ${session.info.trackerDelegate}/${session.info.trackerThread}, faceres on tfjs ${session.info.tfVersion} '${session.info.tfBackend}' backend`);
  try {
    // 1. Tracks of the whole clip (cached by content).
    let tracks: FaceFrame[] | null = null;
    const hash = await contentHash(o.video);
    if (o.tracks) {
      const { readTracksFile } = await import('../../packages/protocol/src/tracks/node.ts');
      tracks = await readTracksFile(o.tracks);
    } else if (o.cache) {
      tracks = await readCachedTracks(hash);
      if (tracks) o.log(`tracks: cache hit (${tracks.length} frames)`);
    }
    if (!tracks) {
      o.log(`tracking ${info.frameCount ?? '?'} frames of ${basename(o.video)} (${info.width}×${info.height}) in Chromium…`);
      tracks = await trackClip(session, info, o.log);
      if (o.cache) await writeCachedTracks(hash, tracks);
    }
    lap('track');
    if (tracks.length === 0) throw new EvalInputError(`no frames decoded from ${o.video}`);
    if (info.frameCount && Math.abs(info.frameCount - tracks.length) > 1) warn(`tracks have ${tracks.length} frames, the container says ${info.frameCount}`);
    const hasFace = tracks.map((f) => f.landmarks !== null);
    const withFace = hasFace.filter(Boolean).length;
    let plan: FramePlan;
    try {
      plan = planFrames(hasFace, o.shots, o.maxEvalFrames, o.seed);
    } catch (err) {
      throw new EvalInputError(`${basename(o.video)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (plan.shots.length < o.shots) warn(`only ${plan.shots.length} of ${o.shots} enrollment shots: the first 20 % (${plan.enrollEnd} frames) has ${hasFace.slice(0, plan.enrollEnd).filter(Boolean).length} frames with a face`);
    if (withFace < tracks.length) warn(`a face was tracked in ${withFace} of ${tracks.length} frames`);
    const drivenCount = plan.driven.end - plan.driven.start;

    // 2. One crop for the clip; landmarks into it.
    const box = clipCropBox(tracks.map((f) => f.landmarks), info.width, info.height, o.cropScale);
    const cropFilter = `crop=${box.side}:${box.side}:${box.x}:${box.y},scale=${o.size}:${o.size}:flags=bicubic`;
    const cropLm = tracks.map((f) => (f.landmarks ? toCropLandmarks(f.landmarks, box, info.width, info.height) : null));
    const cropFrames: FaceFrame[] = tracks.map((f, i) => ({ ...f, landmarks: cropLm[i]! }));
    o.log(`crop ${box.side}px at (${box.x}, ${box.y}) → ${o.size}²; enroll from frames ${plan.shots.join(', ')}; drive ${drivenCount} frames, score ${plan.evalIndices.length} (every ${plan.every})`);

    // 3. Real crops of the shots and scored frames.
    const need = new Set([...plan.shots, ...plan.evalIndices]);
    const real = await collectFrames(['-i', o.video, '-map', '0:v:0', '-fps_mode', 'passthrough', '-vf', cropFilter], o.size, need);
    for (const i of need) if (!real.has(i)) throw new EvalInputError(`${basename(o.video)}: frame ${i} could not be decoded (the clip has fewer frames than tracked)`);
    lap('decode');

    // 4. Enrollment (sender side, Node: same client code as the browser).
    const photos = plan.shots.map((i) => ({ image: { width: o.size, height: o.size, data: new Uint8ClampedArray(real.get(i)!.buffer) }, landmarks: cropLm[i]! }));
    const enrolled = await enrollWarpAvatar(photos, { codec: pngCodec, plateIndex: 0 });
    lap('enroll');

    // 5. Landmark codec: encode in Node (sender), decode + render in Chromium (receiver).
    const neutral = senderNeutral(plan.shots.map((i) => cropFrames[i]!));
    const driven = cropFrames.slice(plan.driven.start, plan.driven.end);
    const packets = encodeFrames(driven, neutral);
    const oursKbps = packetKbps(packets, drivenCount, info.fps);
    const receiver = await session.initReceiver(o.generator, toWire(enrolled.embedding), neutral, cropLm[plan.shots[0]!]!);
    const evalPos = plan.evalIndices.map((i) => i - plan.driven.start);
    const evalPosSet = new Set(evalPos);
    const ours = new Map<number, Uint8Array>();
    const writer = o.sideBySide ? new Mp4Writer(join(tmp, 'ours.mp4'), o.size, o.size, info.fps) : null;
    let renderMs = 0;
    const CHUNK = 25;
    for (let s = 0; s < packets.length; s += CHUNK) {
      const chunk = packets.slice(s, s + CHUNK);
      const keep = chunk.map((_, k) => s + k).filter((p) => writer || evalPosSet.has(p)).map((p) => p - s);
      const r = await session.render(chunk, keep, o.size, o.size);
      renderMs += r.renderMs;
      for (const k of keep) {
        const f = r.frames[k]!;
        if (evalPosSet.has(s + k)) ours.set(s + k, f);
        if (writer) await writer.write(f);
      }
    }
    await writer?.close();
    const fpsRender = drivenCount / (renderMs / 1000);
    o.log(`ours: ${oursKbps.toFixed(2)} kbit/s (${packets.length} packets), ${receiver.family} generator on the ${receiver.backend} backend in Chromium, ${fpsRender.toFixed(1)} fps at ${o.size}²`);
    lap('render');

    // 6. Score: real first (reference landmarks), then each variant on the same frames.
    const realFrames = plan.evalIndices.map((i) => rgba(o.size, real.get(i)!));
    const analysisMs = { track: 0, embed: 0, calls: 0 };
    const analyseAll = async (frames: Rgba[]): Promise<Analysis[]> => {
      const rs = await session.analyseMany(frames.map((f) => f.data as Uint8Array), o.size, o.size, plan.evalIndices.map((i) => cropLm[i] ?? null));
      for (const r of rs) {
        analysisMs.track += r.trackMs;
        analysisMs.embed += r.embedMs;
        analysisMs.calls++;
      }
      return rs.map((r) => ({ landmarks: r.landmarks, embedding: r.embedding }));
    };
    const realA = await analyseAll(realFrames);
    const realFound = realA.filter((a) => a.landmarks).length;
    if (realFound < realA.length) warn(`the tracker finds a face in ${realFound} of ${realA.length} selected real crops; only those ${realFound} are scored`);
    if (realFound === 0) throw new EvalInputError(`${basename(o.video)}: the tracker finds no face in any of the ${realA.length} selected real crops: nothing to score`);
    const scoreVariant = async (frames: Rgba[]) => score(realFrames, realA, frames, await analyseAll(frames), o.size);
    const oursFrames = evalPos.map((p) => rgba(o.size, ours.get(p)!));
    const oursScores = await scoreVariant(oursFrames);
    const staticFrame = rgba(o.size, real.get(plan.shots[0]!)!);
    const staticScores = await scoreVariant(realFrames.map(() => staticFrame));
    lap('score_ours_static');

    // 7. Codec ladders on the same crop, frames and metrics.
    const gopFrames = Math.max(1, Math.round(o.gopSeconds * info.fps));
    const cut: SourceCut = { path: o.video, cropFilter, start: plan.driven.start, end: plan.driven.end, fps: info.fps };
    const codecs: Partial<Record<CodecName, Rung[]>> = {};
    const lowest: Partial<Record<CodecName, string>> = {};
    for (const c of o.codecs) {
      const rungs: Rung[] = [];
      let prev = 0;
      for (const target of [...o.ladderKbps].sort((a, b) => a - b)) {
        const file = join(tmp, `${c}-${target}.mkv`);
        const enc = await encodeRung(cut, c, target, gopFrames, file);
        if (enc.kbps < prev * FLOOR_TOLERANCE) continue; // still at the codec's floor
        prev = enc.kbps;
        const decoded = await collectFrames(['-i', file, '-fps_mode', 'passthrough'], o.size, evalPosSet);
        if (enc.frames !== drivenCount) warn(`${c} at ${target} kbit/s coded ${enc.frames} of ${drivenCount} frames (dropped frames are shown as the previous one)`);
        // A frame the encoder dropped is shown as the previous scored one (a receiver holds its last frame).
        let last: Uint8Array | null = null;
        const frames = evalPos.map((p) => {
          last = decoded.get(p) ?? last;
          if (!last) throw new Error(`${c} at ${target} kbit/s: frame ${p} missing from the decoded stream`);
          return rgba(o.size, last);
        });
        rungs.push({ kbps: enc.kbps, target_kbps: target, ...(await scoreVariant(frames)) });
        lowest[c] ??= file;
        o.log(`  ${c} ${enc.kbps.toFixed(1)} kbit/s: SSIM ${fmt(rungs.at(-1)!.ssim, 3)}, CSIM ${fmt(rungs.at(-1)!.csim, 3)}, AKD ${fmt(rungs.at(-1)!.akd, 2)}`);
      }
      codecs[c] = rungs;
      lap(`codec_${c}`);
    }

    // 8. Headline.
    const { equivalent, saving } = headline(codecs, oursScores, oursKbps);

    // 9. Side by side: real | ours | each codec at its lowest rate | static.
    let sbs: string | null = null;
    if (o.sideBySide) {
      const staticPng = join(tmp, 'static.png');
      await writeFile(staticPng, await encodePng({ width: o.size, height: o.size, data: new Uint8ClampedArray(staticFrame.data) }));
      const inputs = ['-i', o.video, '-i', join(tmp, 'ours.mp4'), ...o.codecs.flatMap((c) => (lowest[c] ? ['-i', lowest[c]!] : [])), '-loop', '1', '-i', staticPng];
      const n = inputs.filter((x) => x === '-i').length;
      const labels = ['real', 'ours', ...o.codecs.filter((c) => lowest[c]), 'static'];
      const graph = `[0:v]${cutFilter(cut)},format=yuv420p[v0];` + Array.from({ length: n - 1 }, (_, k) => `[${k + 1}:v]format=yuv420p,setpts=PTS-STARTPTS[v${k + 1}];`).join('') +
        Array.from({ length: n }, (_, k) => `[v${k}]`).join('') + `hstack=inputs=${n}:shortest=1[out]`;
      const r = await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...inputs, '-filter_complex', graph, '-map', '[out]', '-frames:v', String(drivenCount),
        '-r', String(info.fps), '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', o.sideBySide]);
      if (r.code !== 0) warn(`side-by-side video failed: ${r.stderr.trim().split('\n').pop()}`);
      else {
        sbs = `${o.sideBySide} (${labels.join(' | ')})`;
        o.log(`side by side: ${sbs}`);
      }
      lap('side_by_side');
    }
    timings.total = Math.round((performance.now() - t0) / 100) / 10;
    if (analysisMs.calls) {
      timings.analysis_ms_per_frame_tracker = Math.round(analysisMs.track / analysisMs.calls);
      timings.analysis_ms_per_frame_faceres = Math.round(analysisMs.embed / analysisMs.calls);
      timings.analysed_frames = analysisMs.calls;
    }

    return {
      clip: basename(o.video),
      frames: realFound,
      shots: plan.shots.length,
      size: o.size,
      ours: { kbps: oursKbps, ...oursScores, fps_render: fpsRender },
      static: { kbps: 0, ...staticScores },
      codecs,
      equivalent_kbps: equivalent,
      saving,
      details: {
        seed: o.seed,
        generator: o.generator,
        generator_backend: receiver.backend,
        render_where: 'headless Chromium (decoder + generator in the page)',
        video: { path: o.video, width: info.width, height: info.height, fps: info.fps, frames: tracks.length },
        crop: { ...box, scale: o.cropScale },
        frames_with_face: withFace,
        enrollment: { region: [0, plan.enrollEnd], shots_requested: o.shots, frames: plan.shots, embedding_bytes: enrolled.bytes },
        driven: { ...plan.driven, count: drivenCount, packets_bytes: packets.reduce((s, p) => s + p.length, 0), face_lost_packets: driven.filter((f) => !f.landmarks).length },
        scoring: { every: plan.every, phase: plan.phase, indices: plan.evalIndices, real_face_found: realFound },
        csim: `cosine of Human 3.3.6 faceres descriptors (1024-d), tfjs ${session.info.tfVersion} ${session.info.tfBackend} backend in Chromium; input ${FACERES_INPUT}² roll-corrected crop, side ${FACERES_CROP_SCALE}× the real frame's landmark box`,
        akd: 'mean distance over the 478 MediaPipe landmarks (2-D) between the real and the generated/decoded crop, each tracked from scratch; px at crop size; frames where both have a face',
        tracker: `MediaPipe FaceLandmarker (client FaceTracker, ${session.info.trackerDelegate} delegate, no smoothing)`,
        codec_settings: Object.fromEntries(o.codecs.map((c) => [c, `${CODECS[c].encoder} ${CODECS[c].args(0, gopFrames).join(' ').replace(/ 0k/g, ' <rate>k')}`])),
        side_by_side: sbs,
        timings_s: timings,
        warnings,
      },
    };
  } finally {
    await session.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Equivalent bitrate and saving per codec and headline metric, from the rungs and our scores. */
export function headline(codecs: EvalResult['codecs'], ours: Scores, oursKbps: number): { equivalent: EvalResult['equivalent_kbps']; saving: EvalResult['saving'] } {
  const equivalent: EvalResult['equivalent_kbps'] = {};
  const saving: EvalResult['saving'] = {};
  for (const [c, rungs] of Object.entries(codecs) as [CodecName, Rung[]][]) {
    const e = {} as Record<HeadlineMetric, Equivalent>, s = {} as Record<HeadlineMetric, Equivalent>;
    for (const m of HEADLINE_METRICS) {
      e[m] = equivalentBitrate(rungs.map((r) => ({ kbps: r.kbps, value: r[m] })), ours[m], DIRECTION[m]);
      s[m] = savingFactor(e[m], oursKbps);
    }
    equivalent[c] = e;
    saving[c] = s;
  }
  return { equivalent, saving };
}

export function fmt(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}
