/**
 * One benchmark run (issue 7): track → crop → enroll → encode/decode + generate in Chromium →
 * codec ladders → score everything on the same crops and frames → equivalent bitrates.
 * `runEval` is what the CLI (eval.ts), eval:all and the e2e test call.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { FaceFrame } from '@visage/protocol';
import { enrollWarpAvatar } from '../../packages/client/src/enrollment/atlas/enroll.ts';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pngCodec } from '../../packages/client/src/generator/codec.ts';
import { encodePng } from '../../packages/client/src/generator/png.ts';
import { decodeRgbaFrames, frameTimestampMs, probeVideo, type VideoInfo } from '../../packages/client/scripts/lib/video.ts';
import { CODECS, DEFAULT_LADDER_KBPS, FLOOR_TOLERANCE, cutFilter, encodeRung, missingEncoders, run, writeCut, type CodecName, type SourceCut } from './codecs.ts';
import { clipCropBox, toCropLandmarks, DEFAULT_CROP_SCALE, FACERES_CROP_SCALE, FACERES_INPUT, type CropBox } from './crop.ts';
import { equivalentBitrate, savingFactor, type Direction, type Equivalent } from './equivalent.ts';
import { encodeFrames, packetKbps, senderNeutral } from './landmark-codec.ts';
import { cosine, l1, landmarkDistancePx, maskedL1, partDistancePx, meanOf, psnr, shapeDistancePx, ssim, ssimReference, type Rgba, type SsimReference } from './metrics.ts';
import { planFrames, subsetPositions, type FramePlan } from './selection.ts';
import type { FineTuneReport } from '../../packages/client/src/generator/neural/fine-tune.ts';
import { openEvalSession, type Analysis, type EvalSession } from './session.ts';
import { formatStages, StageProfile } from './profile.ts';
import { EYE_WEIGHTS_DIR, MOUTH_WEIGHTS_DIR, NEURAL_WEIGHTS_DIR, REPO_ROOT } from '../../packages/client/scripts/lib/paths.ts';
import { DEFAULT_FINE_TUNE_LAYERS } from '../../packages/client/src/generator/neural/sections.ts';
import { contentHash, readCachedTracks, writeCachedTracks } from './tracks-cache.ts';
import { collectFrames, Mp4Writer } from './video-io.ts';
import type { WireEmbedding } from './page/page.ts';
import { pasteReal, regionMask, type Oracle } from './oracle.ts';
import { INNER_DETAIL, innerFaceMask, maskedDetail, postFilter, postSharpen, type PostFilter, type PostSharpen } from './sharpen.ts';
import { toWireEmbedding } from '../../packages/client/scripts/lib/page-session.ts';
import { LANDMARK_PARTS } from '../../packages/client/src/generator/neural/landmark-image.ts';
import { DEFAULT_LANDMARK_MODE, smoothedByDefault, type LandmarkMode } from '../../packages/client/src/tracking/landmark-mode.ts';
import { smoothTrack as smoothFaceTrack } from '../../packages/client/src/tracking/face-smoother.ts';

export interface EvalOptions {
  video: string;
  shots: number;
  generator: string;
  size: number;
  seed: number;
  /** At most this many driven frames are scored (every Nth). */
  maxEvalFrames: number;
  /**
   * AKD, CSIM and face rate of the codec rungs are measured on at most this many of the scored
   * frames (every ⌈n/N⌉-th usable one, seeded phase: see subsetPositions; 0 = all). Ours and static are always measured on all
   * scored frames, and the headline compares ours on the same subset. Pixel metrics: all frames.
   */
  rungFrames: number;
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
  /** Refuse (UpscaleSkip) when the clip's face crop is smaller than `size` in the source. */
  noUpscale?: boolean;
  /** The neural generator's weights folder (model.json + shards; default models/weights/neural). */
  neuralWeights?: string;
  /** Neural generator, K ≥ 2: fine-tune ψ on the enrollment shots in the page for this many seconds. */
  fineTuneSeconds?: number;
  /** With fineTuneSeconds: G blocks tuned too (fine-tune.ts `layers`; default DEFAULT_FINE_TUNE_LAYERS, as the SDK). */
  fineTuneLayers?: string[];
  /** With fineTuneSeconds: weight of the identity term (fine-tune.ts `identityWeight`; default 0). */
  fineTuneIdentityWeight?: number;
  /** Neural generator: run the mouth refiner (default true) with the weights in this folder (default models/weights/mouth). */
  mouth?: boolean;
  mouthWeights?: string;
  /** Neural generator: run the eye refiner (default true) with the weights in this folder (default models/weights/eyes). */
  eyes?: boolean;
  eyeWeights?: string;
  /** Neural generator: when G's face correction runs (NeuralGenerator `faceRefiner`; default 'fitted', as receivers). */
  faceRefiner?: boolean | 'fitted';
  /** Neural generator: G's correction low-passed by a Gaussian of this σ (G pixels); 0: the full correction; default the generator's. */
  faceLowpass?: number;
  /** Diagnostic: unsharp-mask our frames before scoring (sharpen.ts). */
  postSharpen?: PostSharpen;
  /** Diagnostic: a residual linear filter applied to our frames inside the inner face (sharpen.ts). */
  postFilter?: { file: string; filter: PostFilter };
  /** Diagnostic: the real frame pasted into ours over these regions before scoring. */
  postOracle?: Oracle;
  /** Enroll from only this one (0-based) of the K shots (same driven and scored frames). */
  onlyShot?: number;
  /** Enroll with this shot's weight in the texture-atlas fusion multiplied (EnrollOptions.photoWeights). */
  atlasBoost?: { shot: number; factor: number };
  /** Enroll with the shots' unwraps registered before fusion (EnrollOptions.registerPhotos). */
  atlasRegister?: 'reference' | 'consensus';
  /** Enroll with shading and detail fused apart (EnrollOptions.detailFusion). */
  atlasDetail?: { sigma: number; power: number };
  /** Enroll without the other shots' mouth interiors (EnrollOptions.mouthSet: false). */
  mouthSet?: false;
  /**
   * Diagnostic: drive with each real crop's own from-scratch track (the benchmark's tracker)
   * instead of the sender's track, where it finds a face; the enrollment as `enrollLandmarks` says.
   */
  driveRetracked?: boolean;
  /**
   * Where the shots' landmarks come from: 'stills' (default), each real crop measured on its own
   * from scratch, as a product measures enrollment photos; 'track', read off the clip's continuous
   * track (how results were made before session 24; its shots agree with each other more than
   * separate photos do).
   */
  enrollLandmarks?: EnrollLandmarks;
  /** How the sender's tracker follows the face when the clip is tracked (default the client's `DEFAULT_LANDMARK_MODE`; cached per mode). */
  trackMode?: LandmarkMode;
  /**
   * One-Euro smoothing (the client's `DEFAULT_FACE_SMOOTHING`) of the clip's tracks, as the sender
   * smooths them. Default: on in 'per-frame' mode, off in 'video' mode (the FaceTracker's default).
   * Not applied to a --tracks file.
   */
  trackSmoothing?: boolean;
  /** Diagnostic: the face crop at this square of the source frame instead of the one placed from the tracks. */
  cropBox?: CropBox;
  /**
   * Whose landmarks of the real frame faceres crops around for CSIM (every variant on the same
   * crop): 'real' (default), the real frame's own from-scratch track; 'sender', the sender's
   * track of it (how results were scored before session 23).
   */
  csimCrop?: 'real' | 'sender';
  /** Let faceres use tfjs' multi-threaded wasm build (default false: one pool thread on 2 cores, no gain). */
  faceresThreads?: boolean;
  log: (line: string) => void;
}

/**
 * Version of the method: bump it whenever a change can move any number of a result (what is
 * measured, how, on which frames). eval:all keys its cached per-clip JSON by it.
 * v3 (session 26): the sender as the client runs it (every frame measured afresh, One-Euro
 * smoothed, the K shots measured as stills); v2 drove from MediaPipe's VIDEO-mode track with the
 * shots' landmarks read off it (the per-clip JSONs of models/results/eval/*-v2.json).
 */
export const EVAL_METHOD_VERSION = 3;

export type EnrollLandmarks = 'stills' | 'track';
export const ENROLL_LANDMARKS: readonly EnrollLandmarks[] = ['stills', 'track'];


/** AKD/CSIM/face rate of ours or static on the codec rungs' subset of frames. */
export interface SubsetScores { akd: number | null; csim: number | null; face_rate: number | null }

export const DEFAULT_EVAL_OPTIONS = {
  shots: 1, generator: 'warp', size: 256, seed: 0, maxEvalFrames: 30, rungFrames: 10, codecs: ['h264', 'vp8', 'av1'] as CodecName[],
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
/** One variant's metrics per scored frame (clip frame `index`); AKD/CSIM null where the frame was not analysed or had no face. */
export interface PerFrameScores {
  index: number[];
  l1: number[];
  psnr: number[];
  ssim: number[];
  akd: (number | null)[];
  csim: (number | null)[];
  /**
   * Detail inside the face (mean |Laplacian| of the luma inside the face oval shrunk to
   * INNER_DETAIL about its centre, real frame's landmarks) of ours and of the real frame: how
   * sharp the face is drawn, whatever the identity network makes of it. Absent in older results.
   */
  detail?: (number | null)[];
  detail_real?: (number | null)[];
  /** L1 around the mouth: inside the real frame's outer-lip hull scaled 1.2× about its centre. Absent in older results. */
  mouth_l1?: (number | null)[];
  /** AKD over one face part's landmarks (AKD_PARTS): where the landmark error is. Absent in older results. */
  akd_eyes?: (number | null)[];
  akd_lips?: (number | null)[];
  akd_oval?: (number | null)[];
  /**
   * AKD with the face's mean 2-D offset removed first (`shapeDistancePx`): the error in the face's
   * shape, without its placement. Absent in older results.
   */
  akd_shape?: (number | null)[];
  /**
   * The same two distances for the driving landmarks themselves (the sender's continuous VIDEO-mode
   * track of the real clip, in the crop, before the codec) against the real frame's from-scratch
   * track: how far the two ways of tracking disagree. Not a floor for AKD: a drawn face re-tracked
   * from scratch can be closer to the real one. Ours only; absent in older results.
   */
  akd_drive?: (number | null)[];
  akd_drive_shape?: (number | null)[];
}

function partIndices(...names: string[]): number[] {
  return names.flatMap((n) => {
    const part = LANDMARK_PARTS.find(([name]) => name === n);
    if (!part) throw new Error(`no landmark part ${n}`);
    return [...part[1]];
  });
}

/** The face parts AKD is also reported on: eye contours and irises, outer and inner lips, face oval. */
export const AKD_PARTS = {
  akd_eyes: partIndices('right_eye', 'left_eye', 'right_iris', 'left_iris'),
  akd_lips: partIndices('outer_lips', 'inner_lips'),
  akd_oval: partIndices('face_oval'),
} as const satisfies Record<string, readonly number[]>;
const AKD_PART_ENTRIES = Object.entries(AKD_PARTS) as [keyof typeof AKD_PARTS, readonly number[]][];

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
  /** EVAL_METHOD_VERSION of the code that produced this result. */
  method_version?: number;
  seed: number;
  generator: string;
  /** Neural generator only: whether the mouth refiner ran; G's mode (faceRefiner) and whether G ran. */
  mouth_refiner?: boolean;
  face_refiner?: boolean | 'fitted';
  face_refiner_ran?: boolean;
  /** Neural generator with --face-lowpass: G's correction low-passed by this σ (a diagnostic). */
  face_lowpass?: number;
  /** Neural generator with an eye refiner: its weights folder. */
  eye_refiner?: string;
  /** Set when our frames were sharpened before scoring (--post-sharpen, a diagnostic). */
  post_sharpen?: PostSharpen;
  /** Set when a fitted filter was applied to our frames before scoring (--post-filter, a diagnostic). */
  post_filter?: { file: string; kernel_size: number };
  /** --post-oracle: the real frame was pasted over these regions (one band of it) before scoring. */
  post_oracle?: Oracle;
  /** --drive-retracked: driven by the real crops' from-scratch tracks, not the sender's. */
  drive_retracked?: true;
  /** The sender's tracking mode (--track-mode; absent: 'video' before session 24, or a --tracks file). */
  track_mode?: LandmarkMode;
  /** Set when the clip's tracks were One-Euro smoothed as the sender smooths them. */
  track_smoothing?: 'one-euro';
  generator_backend: string | null;
  render_where: string;
  video: { path: string; width: number; height: number; fps: number; frames: number };
  /** `given`: set by --crop-box, not placed from the tracks (then `scale` played no part). */
  crop: CropBox & { scale: number; given?: true };
  frames_with_face: number;
  enrollment: {
    region: [number, number]; shots_requested: number; frames: number[]; embedding_bytes: number; fine_tune?: FineTuneReport | null;
    /** --only-shot: which of the K shots `frames` holds. */
    only_shot?: number;
    /** --atlas-boost: each shot's multiplier in the atlas fusion. */
    atlas_weights?: number[];
    /** --atlas-register: how the shots' unwraps were registered before fusion. */
    atlas_register?: 'reference' | 'consensus';
    /** Where the shots' landmarks came from (absent in results before session 24: 'track'). */
    landmarks?: EnrollLandmarks;
    /** How many further mouth interiors the avatar carries (MouthSet), and whether --no-mouth-set left them out. */
    mouth_set?: number;
    no_mouth_set?: true;
  };
  driven: { start: number; end: number; count: number; packets_bytes: number; face_lost_packets: number };
  scoring: { every: number; phase: number; indices: number[]; real_face_found: number };
  /**
   * When the codec rungs' AKD/CSIM/face rate use a subset of the scored frames: its clip frame
   * indices and ours / static on the same frames (the headline's AKD and CSIM use these). Null: all frames.
   */
  rung_subset?: { frames: number; indices: number[]; ours: SubsetScores; static: SubsetScores } | null;
  /** Ours, frame by frame: the scored frames with a face in the real crop (paired comparisons: `npm run eval:compare`). */
  per_frame?: PerFrameScores;
  csim: string;
  akd: string;
  tracker: string;
  codec_settings: Record<string, string>;
  side_by_side: string | null;
  /** Wall-clock seconds per phase (total = the whole run). */
  timings_s: Record<string, number>;
  /** Busy seconds per stage (see profile.ts; overlapping stages run at the same time). */
  stages_s?: Record<string, number>;
  /** Machine load average (1 min) at the start and end of the run. */
  load?: string;
  warnings: string[];
}

export class EvalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalInputError';
  }
}

/** The clip's face crop is smaller than the asked size: the run would score an upscale (eval:all skips it). */
export class UpscaleSkip extends Error {
  constructor(readonly faceSide: number, readonly size: number) {
    super(`the face crop is ${faceSide} px in the source, smaller than ${size} px: not run (an upscale)`);
    this.name = 'UpscaleSkip';
  }
}

/** Side in source pixels of the clip's face crop (the box every frame is cropped to). */
export function sourceFaceSide(tracks: readonly FaceFrame[], width: number, height: number, cropScale = DEFAULT_CROP_SCALE): number {
  return clipCropBox(tracks.map((f) => f.landmarks), width, height, cropScale).side;
}

/**
 * Scores one variant's frames (same order as `real`) against the real frames, on the usable
 * frames only: those where the tracker finds a face in the real crop. Pixel metrics use every
 * usable frame; AKD, CSIM and face rate those that were analysed (`analyses[k]` not null).
 */
/** What every variant is compared with in a real frame, computed once per run: its half of SSIM, its inner-face mask and detail. */
interface RealHalf { ssim: SsimReference; inner: Uint8Array; detail: number | null; mouth: Uint8Array }

function score(real: Rgba[], realA: Analysis[], frames: Rgba[], analyses: (Analysis | null)[], size: number, halves: readonly (RealHalf | null)[], indices: readonly number[], drive?: readonly (Float32Array | null)[]): { scores: Scores; perFrame: PerFrameScores } {
  const pf: PerFrameScores = { index: [], l1: [], psnr: [], ssim: [], akd: [], csim: [], detail: [], detail_real: [], mouth_l1: [], akd_eyes: [], akd_lips: [], akd_oval: [], akd_shape: [], ...(drive ? { akd_drive: [], akd_drive_shape: [] } : {}) };
  let found = 0, analysed = 0;
  for (let i = 0; i < frames.length; i++) {
    if (!realA[i]!.landmarks) continue;
    pf.index.push(indices[i]!);
    pf.l1.push(l1(real[i]!, frames[i]!));
    pf.psnr.push(psnr(real[i]!, frames[i]!));
    const half = halves[i]!;
    pf.ssim.push(ssim(half.ssim, frames[i]!));
    pf.detail!.push(maskedDetail(frames[i]!, half.inner));
    pf.detail_real!.push(half.detail);
    pf.mouth_l1!.push(maskedL1(real[i]!, frames[i]!, half.mouth));
    const a = analyses[i];
    pf.akd.push(a ? landmarkDistancePx(realA[i]!.landmarks, a.landmarks, size) : null);
    for (const [part, indices] of AKD_PART_ENTRIES) {
      pf[part]!.push(a ? partDistancePx(realA[i]!.landmarks, a.landmarks, size, indices) : null);
    }
    pf.akd_shape!.push(a ? shapeDistancePx(realA[i]!.landmarks, a.landmarks, size) : null);
    if (drive) {
      pf.akd_drive!.push(landmarkDistancePx(realA[i]!.landmarks, drive[i] ?? null, size));
      pf.akd_drive_shape!.push(shapeDistancePx(realA[i]!.landmarks, drive[i] ?? null, size));
    }
    pf.csim.push(a ? cosine(realA[i]!.embedding, a.embedding) : null);
    if (!a) continue;
    analysed++;
    if (a.landmarks) found++;
  }
  if (pf.index.length === 0) return { scores: { l1: null, psnr: null, ssim: null, akd: null, csim: null, face_rate: null }, perFrame: pf };
  return {
    scores: { l1: meanOf(pf.l1), psnr: meanOf(pf.psnr), ssim: meanOf(pf.ssim), akd: meanOf(pf.akd), csim: meanOf(pf.csim), face_rate: analysed ? found / analysed : null },
    perFrame: pf,
  };
}

/** AKD/CSIM/face rate on the positions in `subset` only (analyses of all frames given). */
function subsetScores(realA: Analysis[], analyses: Analysis[], subset: readonly number[], size: number): SubsetScores {
  let found = 0, n = 0;
  const akd: (number | null)[] = [], cs: (number | null)[] = [];
  for (const k of subset) {
    if (!realA[k]!.landmarks) continue;
    n++;
    akd.push(landmarkDistancePx(realA[k]!.landmarks, analyses[k]!.landmarks, size));
    cs.push(cosine(realA[k]!.embedding, analyses[k]!.embedding));
    if (analyses[k]!.landmarks) found++;
  }
  return { akd: meanOf(akd), csim: meanOf(cs), face_rate: n ? found / n : null };
}

/** Our scores as the headline compares them: AKD/CSIM/face rate on the rungs' subset when there is one. */
export function headlineScores(r: Pick<EvalResult, 'ours' | 'details'>): Scores {
  const sub = r.details.rung_subset;
  return sub ? { ...r.ours, ...sub.ours } : r.ours;
}

/** The sender's tracking of every frame of the clip (in the session's mode), 25 frames per page call. */
async function trackClip(session: EvalSession, info: VideoInfo, log: (s: string) => void): Promise<FaceFrame[]> {
  const frames: FaceFrame[] = [];
  let chunk: Uint8Array[] = [];
  const flush = async () => {
    if (!chunk.length) return;
    const ts = chunk.map((_, k) => frameTimestampMs(frames.length + k, info.fps));
    const rs = await session.trackMany(chunk, info.width, info.height, ts);
    rs.forEach((r, k) => frames.push({ t: ts[k]!, landmarks: r.landmarks ? Float32Array.from(r.landmarks) : null, blendshapes: r.blendshapes ? Float32Array.from(r.blendshapes) : null, matrix: r.matrix ? Float32Array.from(r.matrix) : null }));
    if (Math.floor(frames.length / 100) !== Math.floor((frames.length - chunk.length) / 100)) log(`  tracked ${frames.length} frames`);
    chunk = [];
  };
  for await (const rgba of decodeRgbaFrames(info)) {
    chunk.push(rgba);
    if (chunk.length === 25) await flush();
  }
  await flush();
  return frames;
}

const rgba = (size: number, data: Uint8Array): Rgba => ({ width: size, height: size, data });

/**
 * --drive-retracked: the driven frames' landmarks from each real crop tracked from scratch, as the
 * benchmark tracks the real frames (the session reuses those tracks when it scores them), where
 * the tracker finds a face there; the sender's elsewhere.
 */
async function retrackDriven(o: EvalOptions, session: EvalSession, plan: FramePlan, cropFilter: string, cropLm: readonly (Float32Array | null)[]): Promise<(Float32Array | null)[]> {
  const indices = Array.from({ length: plan.driven.end - plan.driven.start }, (_, k) => plan.driven.start + k);
  // The whole span, scored frames included: one contiguous run is one ffmpeg select term, whereas
  // the span minus the already-decoded scored frames is a term per gap (ffmpeg runs out of memory).
  const frames = await collectFrames(['-i', o.video, '-map', '0:v:0'], o.size, new Set(indices), cropFilter);
  const out = cropLm.slice();
  let found = 0;
  const CHUNK = 50;
  for (let s = 0; s < indices.length; s += CHUNK) {
    const part = indices.slice(s, s + CHUNK).filter((i) => frames.has(i));
    const r = await session.analyseMany(part.map((i) => ({ rgba: frames.get(i)!, embedCrop: null })), o.size, o.size);
    part.forEach((i, k) => {
      const lm = r.analyses[k]!.landmarks;
      if (lm) { out[i] = lm; found++; }
    });
  }
  o.log(`--drive-retracked: ${found} of ${indices.length} driven frames driven by their from-scratch track, the rest by the sender's`);
  return out;
}

/**
 * --enroll-landmarks stills: the shots' landmarks measured as a product measures enrollment photos, each on
 * its own (the real crop, tracked from scratch), rather than read off the clip's continuous track.
 */
async function stillLandmarks(o: EvalOptions, session: EvalSession, shots: readonly number[], real: ReadonlyMap<number, Uint8Array>): Promise<Float32Array[]> {
  const r = await session.analyseMany(shots.map((i) => ({ rgba: real.get(i)!, embedCrop: null })), o.size, o.size);
  return shots.map((i, k) => {
    const lm = r.analyses[k]!.landmarks;
    if (!lm) throw new EvalInputError(`${basename(o.video)}: no face found in enrollment frame ${i} measured on its own (--enroll-landmarks stills; track takes it from the clip's track)`);
    return lm;
  });
}

/** One rung of a codec ladder, encoded and decoded (the scored positions only). */
interface EncodedRung { codec: CodecName; target: number; kbps: number; frames: number; file: string; decoded: Map<number, Uint8Array> }

/**
 * The codec ladders as a background producer: the cut is written once (y4m), then each rung is
 * encoded and decoded by ffmpeg while the page scores the previous ones. A rung whose achieved
 * rate is still at the codec's floor (within FLOOR_TOLERANCE of the previous) is skipped.
 * At most `depth` rungs are done ahead of the consumer.
 */
function codecLadders(o: EvalOptions, cut: SourceCut, gopFrames: number, tmp: string, keep: ReadonlySet<number>, prof: StageProfile, depth = 2) {
  async function* produce(): AsyncGenerator<EncodedRung> {
    const y4m = await prof.time('ffmpeg_cut', () => writeCut(cut, join(tmp, 'cut.y4m')));
    for (const c of o.codecs) {
      let prev = 0;
      for (const target of [...o.ladderKbps].sort((a, b) => a - b)) {
        const file = join(tmp, `${c}-${target}.mkv`);
        const enc = await prof.time(`ffmpeg_encode_${c}`, () => encodeRung(y4m, c, target, gopFrames, file));
        if (enc.kbps < prev * FLOOR_TOLERANCE) continue; // still at the codec's floor
        prev = enc.kbps;
        const decoded = await prof.time('ffmpeg_decode_rungs', () => collectFrames(['-i', file], o.size, keep));
        yield { codec: c, target, kbps: enc.kbps, frames: enc.frames, file, decoded };
      }
    }
  }
  const it = produce();
  const queue: Promise<IteratorResult<EncodedRung>>[] = [];
  const fill = () => {
    while (queue.length < depth) {
      const p = it.next();
      p.catch(() => {}); // surfaced when consumed
      queue.push(p);
    }
  };
  fill();
  return {
    async next(): Promise<EncodedRung | null> {
      const r = await queue.shift()!;
      fill();
      return r.done ? null : r.value;
    },
    async stop(): Promise<void> {
      await Promise.allSettled(queue);
      await it.return(undefined).catch(() => {});
    },
  };
}

/** Escapes a label for ffmpeg's drawtext inside a filtergraph (keeps letters, digits and a few signs). */
function drawtextLabel(s: string): string {
  return s.replace(/[^A-Za-z0-9 ./()×-]/g, ' ').replace(/\s+/g, ' ').trim();
}

const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export async function runEval(o: EvalOptions): Promise<EvalResult> {
  const prof = new StageProfile();
  const loadStart = loadavg();
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round((now - mark) / 100) / 10;
    mark = now;
  };
  // The sender as the client's FaceTracker is by default: its mode, and that mode's default smoothing.
  const trackMode = o.trackMode ?? DEFAULT_LANDMARK_MODE;
  const smoothTracks = !o.tracks && (o.trackSmoothing ?? smoothedByDefault(trackMode));
  const enrollLandmarks = o.enrollLandmarks ?? 'stills';
  const warnings: string[] = [];
  const warn = (s: string) => {
    warnings.push(s);
    o.log(`warning: ${s}`);
  };
  const info = await prof.time('probe', () => probeVideo(o.video));
  const missing = await missingEncoders(o.codecs);
  if (missing.length) throw new EvalInputError(`this ffmpeg lacks encoder(s) ${missing.join(', ')}; choose others with --codecs`);
  const weightsDir = o.neuralWeights ?? NEURAL_WEIGHTS_DIR;
  if (o.fineTuneSeconds !== undefined && (o.generator !== 'neural' || o.shots < 2)) throw new EvalInputError(`fine-tuning needs --generator neural and --shots 2 or more (leave-one-out pairs); got ${o.generator}, ${o.shots} shot(s)`);
  if (o.generator === 'neural' && !existsSync(join(weightsDir, 'model.json'))) throw new EvalInputError(`the neural generator has no weights: ${join(weightsDir, 'model.json')} not found (--neural-weights DIR)`);
  const mouth = o.generator === 'neural' && o.mouth !== false;
  const mouthDir = o.mouthWeights ?? MOUTH_WEIGHTS_DIR;
  if (mouth && !existsSync(join(mouthDir, 'model.json'))) throw new EvalInputError(`the mouth refiner has no weights: ${join(mouthDir, 'model.json')} not found (--mouth-weights DIR, or --no-mouth)`);
  const eyeDir = o.generator === 'neural' && o.eyes !== false ? (o.eyeWeights ?? EYE_WEIGHTS_DIR) : undefined;
  if (eyeDir !== undefined && !existsSync(join(eyeDir, 'model.json'))) throw new EvalInputError(`the eye refiner has no weights: ${join(eyeDir, 'model.json')} not found (--eye-weights DIR, or --no-eyes)`);
  const tmp = await mkdtemp(join(tmpdir(), 'visage-eval-'));
  let session: EvalSession | null = null;
  let ladders: ReturnType<typeof codecLadders> | null = null;
  try {
    session = await prof.time('page_start', () => openEvalSession({ faceresThreads: o.faceresThreads ?? false, trackMode, ...(o.neuralWeights ? { neuralWeightsDir: o.neuralWeights } : {}), ...(o.mouthWeights ? { mouthWeightsDir: o.mouthWeights } : {}), ...(eyeDir ? { eyeWeightsDir: eyeDir } : {}) }));
    const si = session.info;
    const faceresRuntime = si.tfBackend ? `tfjs ${si.tfVersion} ${si.tfBackend}${si.tfBackend === 'wasm' ? ` (${si.faceresSimd ? 'SIMD' : 'no SIMD'}, ${si.faceresThreads} thread${si.faceresThreads === 1 ? '' : 's'})` : ''}` : 'not loaded';
    o.log(`chromium page ready: tracker ${si.trackerDelegate}/${si.trackerThread}, faceres on ${faceresRuntime} in a worker, cross-origin isolated: ${si.crossOriginIsolated ? 'yes' : 'no'}`);
    if (si.tfBackend === 'wasm' && !si.faceresSimd) warn('faceres runs on wasm without SIMD (slow)');
    lap('page_start');
    // 1. Tracks of the whole clip (cached by content).
    let tracks: FaceFrame[] | null = null;
    const hash = await contentHash(o.video);
    if (o.tracks) {
      const { readTracksFile } = await import('../../packages/protocol/src/tracks/node.ts');
      tracks = await readTracksFile(o.tracks);
    } else if (o.cache) {
      tracks = await readCachedTracks(hash, trackMode);
      if (tracks) o.log(`tracks: cache hit (${tracks.length} frames)`);
    }
    if (!tracks) {
      o.log(`tracking ${info.frameCount ?? '?'} frames of ${basename(o.video)} (${info.width}×${info.height}) in Chromium…`);
      const s = session;
      tracks = await prof.time('track_clip', () => trackClip(s, info, o.log));
      if (o.cache) await writeCachedTracks(hash, tracks, trackMode);
    }
    if (smoothTracks) tracks = smoothFaceTrack(tracks, info.width, info.height);
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
    for (const [flag, k] of [['--only-shot', o.onlyShot], ['--atlas-boost', o.atlasBoost?.shot]] as const) {
      if (k !== undefined && k >= plan.shots.length) throw new EvalInputError(`${basename(o.video)}: ${flag} ${k}, but the enrollment has ${plan.shots.length} shot(s)`);
    }
    if (o.onlyShot !== undefined) plan = { ...plan, shots: [plan.shots[o.onlyShot]!] };
    if (plan.enrollStart > 0) warn(`no face in the first 20 % of the clip; enrolling from the first 20 % after the face appears (frames ${plan.enrollStart}–${plan.enrollEnd - 1})`);
    if (plan.shots.length < o.shots) warn(`only ${plan.shots.length} of ${o.shots} enrollment shots: the enrollment window (frames ${plan.enrollStart}–${plan.enrollEnd - 1}) has ${hasFace.slice(plan.enrollStart, plan.enrollEnd).filter(Boolean).length} frames with a face`);
    if (withFace < tracks.length) warn(`a face was tracked in ${withFace} of ${tracks.length} frames`);
    const drivenCount = plan.driven.end - plan.driven.start;

    // 2. One crop for the clip; landmarks into it.
    const box = o.cropBox ?? clipCropBox(tracks.map((f) => f.landmarks), info.width, info.height, o.cropScale);
    if (box.x + box.side > info.width || box.y + box.side > info.height) throw new EvalInputError(`--crop-box ${box.x},${box.y},${box.side} does not fit the ${info.width}×${info.height} frame`);
    const cropFilter = `crop=${box.side}:${box.side}:${box.x}:${box.y},scale=${o.size}:${o.size}:flags=bicubic`;
    const cropLm = tracks.map((f) => (f.landmarks ? toCropLandmarks(f.landmarks, box, info.width, info.height) : null));
    const cropFrames: FaceFrame[] = tracks.map((f, i) => ({ ...f, landmarks: cropLm[i]! }));
    o.log(`crop ${box.side}px at (${box.x}, ${box.y}) → ${o.size}²; enroll from frames ${plan.shots.join(', ')}; drive ${drivenCount} frames, score ${plan.evalIndices.length} (every ${plan.every})`);
    if (box.side < o.size && o.noUpscale) throw new UpscaleSkip(box.side, o.size);
    if (box.side < o.size) warn(`the face crop is ${box.side} px in the source, upscaled to ${o.size}²`);

    // The codec ladders start now, in ffmpeg beside the page (encode + decode), and are scored in step 7.
    const evalPos = plan.evalIndices.map((i) => i - plan.driven.start);
    const evalPosSet = new Set(evalPos);
    const gopFrames = Math.max(1, Math.round(o.gopSeconds * info.fps));
    const cut: SourceCut = { path: o.video, cropFilter, start: plan.driven.start, end: plan.driven.end, fps: info.fps };
    if (o.codecs.length) ladders = codecLadders(o, cut, gopFrames, tmp, evalPosSet, prof);

    // 3. Real crops of the shots and scored frames.
    const need = new Set([...plan.shots, ...plan.evalIndices]);
    const real = await prof.time('decode_real', () => collectFrames(['-i', o.video, '-map', '0:v:0'], o.size, need, cropFilter));
    for (const i of need) if (!real.has(i)) throw new EvalInputError(`${basename(o.video)}: frame ${i} could not be decoded (the clip has fewer frames than tracked)`);
    lap('decode');

    // 4. Enrollment (sender side, Node: same client code as the browser; the neural sections in the page).
    const shotLm = enrollLandmarks === 'stills' ? await prof.time('enroll_stills', () => stillLandmarks(o, session!, plan.shots, real)) : plan.shots.map((i) => cropLm[i]!);
    if (enrollLandmarks === 'stills') o.log(`enrollment: the ${plan.shots.length} shots' landmarks measured on each crop on its own, ${(meanOf(shotLm.map((lm, k) => landmarkDistancePx(lm, cropLm[plan.shots[k]!]!, o.size))) ?? NaN).toFixed(2)} px from the clip's track on average`);
    const photos = plan.shots.map((i, k) => ({ image: { width: o.size, height: o.size, data: new Uint8ClampedArray(real.get(i)!.buffer) }, landmarks: shotLm[k]! }));
    const photoWeights = o.atlasBoost ? plan.shots.map((_, k) => (k === o.atlasBoost!.shot ? o.atlasBoost!.factor : 1)) : undefined;
    const enrolled = await prof.time('enroll', () => enrollWarpAvatar(photos, { codec: pngCodec, plateIndex: 0, ...(photoWeights ? { photoWeights } : {}), ...(o.atlasRegister ? { registerPhotos: o.atlasRegister } : {}), ...(o.atlasDetail ? { detailFusion: o.atlasDetail } : {}), ...(o.mouthSet === false ? { mouthSet: false } : {}) }));
    const mouthSetCount = enrolled.content.mouthSet?.length ?? 0;
    let wire: WireEmbedding = toWireEmbedding(enrolled.embedding);
    let embeddingBytes = enrolled.bytes;
    let fineTune: FineTuneReport | null = null;
    if (o.generator === 'neural') {
      const s = session;
      try {
        const n = await prof.time('enroll_neural', () => s.enrollNeural(wire, plan.shots.map((i) => real.get(i)!), o.size, shotLm, o.fineTuneSeconds === undefined ? undefined : { seconds: o.fineTuneSeconds, layers: o.fineTuneLayers ?? [...DEFAULT_FINE_TUNE_LAYERS], identityWeight: o.fineTuneIdentityWeight ?? 0 }));
        wire = n.embedding;
        fineTune = n.fineTune;
        if (fineTune) {
          const held = fineTune.holdOut ? `; ${fineTune.holdOut} held out: L1 ${fineTune.valStart!.toFixed(4)} → ${fineTune.valBest!.toFixed(4)} (warp ${fineTune.valWarp!.toFixed(4)}), shipped step ${fineTune.bestStep}` : '';
          o.log(`fine-tuned ψ${fineTune.tunedTensors ? ` and ${fineTune.tunedTensors} G tensors (${fineTune.tunedValues} values)` : ''} on ${fineTune.pairs} leave-one-out pairs: ${fineTune.steps} steps in ${fineTune.seconds.toFixed(1)} s (${fineTune.backend}); pair L1 ${fineTune.l1Before.toFixed(4)} → ${fineTune.l1After.toFixed(4)} (warp alone ${fineTune.l1Warp.toFixed(4)})${held}`);
        }
      } catch (err) {
        throw new EvalInputError(`the neural generator could not enroll (weights ${weightsDir}): ${err instanceof Error ? err.message : String(err)}`);
      }
      const warpSections = new Set(enrolled.embedding.sections.map((x) => x.type));
      embeddingBytes += wire.sections.filter((x) => !warpSections.has(x.type)).reduce((n, x) => n + Buffer.from(x.b64, 'base64').length, 0);
    }
    lap('enroll');

    // 5. Landmark codec: encode in Node (sender), decode + render in Chromium (receiver).
    const neutral = senderNeutral(plan.shots.map((i, k) => ({ ...cropFrames[i]!, landmarks: shotLm[k]! })));
    const driveLm = o.driveRetracked ? await prof.time('drive_retrack', () => retrackDriven(o, session!, plan, cropFilter, cropLm)) : cropLm;
    const driven = cropFrames.slice(plan.driven.start, plan.driven.end).map((f, k) => ({ ...f, landmarks: driveLm[plan.driven.start + k]! }));
    const packets = encodeFrames(driven, neutral);
    const oursKbps = packetKbps(packets, drivenCount, info.fps);
    let receiver: { backend: string | null; family: string; detail: string | null; faceRefining?: boolean };
    try {
      const s = session;
      receiver = await prof.time('generator_init', () => s.initReceiver(o.generator, wire, neutral, shotLm[0]!, { mouth, faceRefiner: o.faceRefiner ?? 'fitted', eyes: eyeDir !== undefined, ...(o.faceLowpass !== undefined ? { faceLowpass: o.faceLowpass } : {}) }));
    } catch (err) {
      throw new EvalInputError(`the ${o.generator} generator failed to load in the page${o.generator === 'neural' ? ` (weights ${weightsDir})` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ours = new Map<number, Uint8Array>();
    const writer = o.sideBySide ? new Mp4Writer(join(tmp, 'ours.mp4'), o.size, o.size, info.fps) : null;
    let renderMs = 0;
    const CHUNK = 25;
    const tRender = performance.now();
    for (let s = 0; s < packets.length; s += CHUNK) {
      const chunk = packets.slice(s, s + CHUNK);
      const keep = chunk.map((_, k) => s + k).filter((p) => writer || evalPosSet.has(p)).map((p) => p - s);
      const r = await session.render(chunk, keep, o.size, o.size);
      renderMs += r.renderMs;
      for (const k of keep) {
        const f = r.frames.get(k)!;
        if (o.postSharpen) postSharpen(f, o.size, o.size, o.postSharpen, cropLm[plan.driven.start + s + k] ?? null);
        if (o.postFilter) postFilter(f, o.size, o.size, o.postFilter.filter, INNER_DETAIL, cropLm[plan.driven.start + s + k] ?? null);
        if (o.postOracle && evalPosSet.has(s + k)) pasteReal(f, real.get(plan.driven.start + s + k)!, o.size, o.size, o.postOracle, cropLm[plan.driven.start + s + k] ?? null);
        if (evalPosSet.has(s + k)) ours.set(s + k, f);
        if (writer) await writer.write(f);
      }
    }
    await writer?.close();
    prof.add('render', performance.now() - tRender, drivenCount);
    const fpsRender = drivenCount / (renderMs / 1000);
    o.log(`ours: ${oursKbps.toFixed(2)} kbit/s (${packets.length} packets), ${receiver.family} generator on the ${receiver.backend}${receiver.detail ? ` (${receiver.detail})` : ''} backend in Chromium, ${fpsRender.toFixed(1)} fps at ${o.size}²`);
    lap('render');

    // 6. Score: real first (reference landmarks and descriptors, once per run), then each variant
    // on the same frames; faceres crops every variant around the same landmarks of the real frame:
    // its own from-scratch track (--csim-crop real, the default: the same whatever the sender
    // tracked), or the sender's track of it (--csim-crop sender, results before session 23).
    const realFrames = plan.evalIndices.map((i) => rgba(o.size, real.get(i)!));
    let embedCrops = plan.evalIndices.map((i) => (o.csimCrop === 'sender' ? cropLm[i] ?? null : null));
    const s = session;
    /** Tracker + faceres on the frames at `positions` (default all); null elsewhere. */
    const analyseAll = async (stage: string, frames: Rgba[], positions?: readonly number[]): Promise<(Analysis | null)[]> => {
      const t = performance.now();
      const ks = positions ?? frames.map((_, k) => k);
      const r = await s.analyseMany(ks.map((k) => ({ rgba: frames[k]!.data as Uint8Array, embedCrop: embedCrops[k]! })), o.size, o.size);
      prof.add(stage, performance.now() - t, ks.length);
      prof.add('page_tracker', r.stats.trackMs, r.stats.tracked);
      prof.add('page_faceres', r.stats.embedMs, r.stats.embedded);
      const out: (Analysis | null)[] = frames.map(() => null);
      ks.forEach((k, j) => (out[k] = r.analyses[j]!));
      return out;
    };
    const realA = (await analyseAll('analyse_real', realFrames)) as Analysis[];
    if (o.csimCrop !== 'sender') embedCrops = realA.map((a) => a.landmarks);
    const realFound = realA.filter((a) => a.landmarks).length;
    if (realFound < realA.length) warn(`the tracker finds a face in ${realFound} of ${realA.length} selected real crops; only those ${realFound} are scored`);
    if (realFound === 0) throw new EvalInputError(`${basename(o.video)}: the tracker finds no face in any of the ${realA.length} selected real crops: nothing to score`);
    // The codec rungs' AKD/CSIM subset: evenly spaced among the usable scored frames.
    const usable = realA.flatMap((a, k) => (a.landmarks ? [k] : []));
    const subset = o.codecs.length > 0 && o.rungFrames > 0 && o.rungFrames < usable.length ? subsetPositions(usable.length, o.rungFrames, o.seed).map((j) => usable[j]!) : null;
    if (subset) o.log(`codec rungs: AKD, CSIM and face rate on ${subset.length} of the ${usable.length} scored frames (--rung-frames ${o.rungFrames}); ours and static on all, and on the same ${subset.length} for the headline`);
    // The real frames' half of SSIM and of the detail measure, once per run.
    const halves = realFrames.map((f, k): RealHalf | null => {
      const lm = realA[k]!.landmarks;
      if (!lm) return null;
      const inner = innerFaceMask(lm, o.size, o.size, INNER_DETAIL);
      return { ssim: ssimReference(f), inner, detail: maskedDetail(f, inner), mouth: regionMask('mouth', lm, o.size, o.size) };
    });
    const scoreVariant = async (stage: string, frames: Rgba[], positions?: readonly number[], drive?: readonly (Float32Array | null)[]) => {
      const a = await analyseAll(stage, frames, positions);
      return { ...(await prof.time('metrics', async () => score(realFrames, realA, frames, a, o.size, halves, plan.evalIndices, drive))), analyses: a };
    };
    const oursFrames = evalPos.map((p) => rgba(o.size, ours.get(p)!));
    const oursRun = await scoreVariant('analyse_ours', oursFrames, undefined, plan.evalIndices.map((i) => driveLm[i] ?? null));
    const oursScores = oursRun.scores;
    const opf = oursRun.perFrame;
    o.log(`landmarks, px at ${o.size}²: ours AKD ${fmt(meanOf(opf.akd), 3)} (shape only ${fmt(meanOf(opf.akd_shape!), 3)}); the driving landmarks themselves ${fmt(meanOf(opf.akd_drive!), 3)} (shape only ${fmt(meanOf(opf.akd_drive_shape!), 3)})`);
    const staticFrame = rgba(o.size, real.get(plan.shots[0]!)!);
    const staticRun = await scoreVariant('analyse_static', realFrames.map(() => staticFrame));
    const staticScores = staticRun.scores;
    const rungSubset = subset ? {
      frames: subset.length,
      indices: subset.map((k) => plan.evalIndices[k]!),
      ours: subsetScores(realA, oursRun.analyses as Analysis[], subset, o.size),
      static: subsetScores(realA, staticRun.analyses as Analysis[], subset, o.size),
    } : null;
    lap('score_ours_static');

    // 7. Codec ladders on the same crop, frames and metrics.
    const codecs: Partial<Record<CodecName, Rung[]>> = {};
    const lowest: Partial<Record<CodecName, { file: string; kbps: number }>> = {};
    for (const c of o.codecs) codecs[c] = [];
    let lastCodec: CodecName | null = null;
    for (const l = ladders; l;) {
      const rung = await prof.time('wait_encoder', () => l.next());
      if (rung && lastCodec && rung.codec !== lastCodec) lap(`codec_${lastCodec}`);
      if (!rung) {
        if (lastCodec) lap(`codec_${lastCodec}`);
        break;
      }
      lastCodec = rung.codec;
      const c = rung.codec;
      if (rung.frames !== drivenCount) warn(`${c} at ${rung.target} kbit/s coded ${rung.frames} of ${drivenCount} frames (dropped frames are shown as the previous one)`);
      // A frame the encoder dropped is shown as the previous scored one (a receiver holds its last frame).
      let last: Uint8Array | null = null;
      const frames = evalPos.map((p) => {
        last = rung.decoded.get(p) ?? last;
        if (!last) throw new Error(`${c} at ${rung.target} kbit/s: frame ${p} missing from the decoded stream`);
        return rgba(o.size, last);
      });
      const sc = (await scoreVariant(`analyse_${c}`, frames, subset ?? undefined)).scores;
      codecs[c]!.push({ kbps: rung.kbps, target_kbps: rung.target, ...sc });
      lowest[c] ??= { file: rung.file, kbps: rung.kbps };
      o.log(`  ${c} ${rung.kbps.toFixed(1)} kbit/s: SSIM ${fmt(sc.ssim, 3)}, CSIM ${fmt(sc.csim, 3)}, AKD ${fmt(sc.akd, 2)}`);
    }

    // 8. Headline.
    const { equivalent, saving } = headline(codecs, rungSubset ? { ...oursScores, ...rungSubset.ours } : oursScores, oursKbps);

    // 9. Side by side: real | ours | each codec at its lowest rate | static, each panel labelled.
    let sbs: string | null = null;
    if (o.sideBySide) {
      const t = performance.now();
      const staticPng = join(tmp, 'static.png');
      await writeFile(staticPng, await encodePng({ width: o.size, height: o.size, data: new Uint8ClampedArray(staticFrame.data) }));
      const shown = o.codecs.filter((c) => lowest[c]);
      const inputs = ['-i', o.video, '-i', join(tmp, 'ours.mp4'), ...shown.flatMap((c) => ['-i', lowest[c]!.file]), '-loop', '1', '-i', staticPng];
      const n = shown.length + 3;
      const labels = ['real', `ours ${o.generator} ${oursKbps.toFixed(1)} kbit/s`, ...shown.map((c) => `${c} ${lowest[c]!.kbps.toFixed(1)} kbit/s`), 'static'];
      const fontSize = Math.max(10, Math.round(o.size / 16));
      const graph = (withText: boolean, font: string) => {
        const text = (k: number) => (withText ? `,drawtext=${font}:text='${drawtextLabel(labels[k]!)}':x=4:y=4:fontsize=${fontSize}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=3` : '');
        return `[0:v]${cutFilter(cut)},format=yuv420p${text(0)}[v0];` +
          Array.from({ length: n - 1 }, (_, k) => `[${k + 1}:v]format=yuv420p,setpts=PTS-STARTPTS${text(k + 1)}[v${k + 1}];`).join('') +
          Array.from({ length: n }, (_, k) => `[v${k}]`).join('') + `hstack=inputs=${n}:shortest=1[out]`;
      };
      const ffmpegSbs = (g: string) => run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...inputs, '-filter_complex', g, '-map', '[out]', '-frames:v', String(drivenCount),
        '-r', String(info.fps), '-c:v', 'libx264', '-crf', '18', '-pix_fmt', 'yuv420p', o.sideBySide!]);
      // DejaVu (Debian's fonts-dejavu-core) when present, else fontconfig's default sans; unlabelled as the last resort.
      let r = await ffmpegSbs(graph(true, existsSync(DEJAVU) ? `fontfile=${DEJAVU}` : 'font=Sans'));
      let labelled = true;
      if (r.code !== 0) {
        warn(`side-by-side labels failed (${r.stderr.trim().split('\n').pop()}); writing the video without labels`);
        r = await ffmpegSbs(graph(false, ''));
        labelled = false;
      }
      if (r.code !== 0) warn(`side-by-side video failed: ${r.stderr.trim().split('\n').pop()}`);
      else {
        sbs = `${o.sideBySide} (${labels.join(' | ')}${labelled ? '' : '; panels unlabelled'})`;
        o.log(`side by side: ${sbs}`);
      }
      prof.add('side_by_side', performance.now() - t);
      lap('side_by_side');
    }
    timings.total = Math.round(prof.wallMs() / 100) / 10;
    const loadEnd = loadavg();
    const loadNote = `load average ${loadStart[0]!.toFixed(1)} at start, ${loadEnd[0]!.toFixed(1)} at end`;
    const stages = prof.record();
    o.log(formatStages(stages, timings.total, loadNote));

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
        method_version: EVAL_METHOD_VERSION,
        seed: o.seed,
        generator: o.generator,
        ...(o.generator === 'neural' ? { mouth_refiner: mouth, face_refiner: o.faceRefiner ?? 'fitted', face_refiner_ran: receiver.faceRefining === true, ...(o.faceLowpass !== undefined ? { face_lowpass: o.faceLowpass } : {}) } : {}),
        ...(eyeDir !== undefined ? { eye_refiner: relative(REPO_ROOT, eyeDir) || eyeDir } : {}),
        ...(o.postSharpen ? { post_sharpen: o.postSharpen } : {}),
        ...(o.postOracle ? { post_oracle: o.postOracle } : {}),
        ...(o.driveRetracked ? { drive_retracked: true } : {}),
        ...(!o.tracks ? { track_mode: trackMode } : {}),
        ...(smoothTracks ? { track_smoothing: 'one-euro' as const } : {}),
        ...(o.postFilter ? { post_filter: { file: o.postFilter.file, kernel_size: o.postFilter.filter.size } } : {}),
        generator_backend: receiver.detail ? `${receiver.backend} (${receiver.detail})` : receiver.backend,
        render_where: 'headless Chromium (decoder + generator in the page)',
        video: { path: o.video, width: info.width, height: info.height, fps: info.fps, frames: tracks.length },
        crop: { ...box, scale: o.cropScale, ...(o.cropBox ? { given: true as const } : {}) },
        frames_with_face: withFace,
        enrollment: {
          region: [plan.enrollStart, plan.enrollEnd], shots_requested: o.shots, frames: plan.shots, embedding_bytes: embeddingBytes,
          ...(o.onlyShot !== undefined ? { only_shot: o.onlyShot } : {}), ...(photoWeights ? { atlas_weights: photoWeights } : {}), ...(o.atlasRegister ? { atlas_register: o.atlasRegister } : {}), ...(o.atlasDetail ? { atlas_detail: o.atlasDetail } : {}),
          mouth_set: mouthSetCount, ...(o.mouthSet === false ? { no_mouth_set: true as const } : {}), landmarks: enrollLandmarks,
          ...(o.fineTuneSeconds !== undefined ? { fine_tune: fineTune } : {}),
        },
        driven: { ...plan.driven, count: drivenCount, packets_bytes: packets.reduce((n, p) => n + p.length, 0), face_lost_packets: driven.filter((f) => !f.landmarks).length },
        scoring: { every: plan.every, phase: plan.phase, indices: plan.evalIndices, real_face_found: realFound },
        rung_subset: rungSubset,
        per_frame: oursRun.perFrame,
        csim: `cosine of Human 3.3.6 faceres descriptors (1024-d), ${faceresRuntime} in Chromium; input ${FACERES_INPUT}² roll-corrected crop, side ${FACERES_CROP_SCALE}× the real frame's landmark box (${o.csimCrop === 'sender' ? "the sender's track of it" : 'its own from-scratch track'})`,
        akd: 'mean distance over the 478 MediaPipe landmarks (2-D) between the real and the generated/decoded crop, each tracked from scratch; px at crop size; frames where both have a face',
        tracker: `MediaPipe FaceLandmarker (client FaceTracker, ${o.tracks ? 'tracks from a file' : `${trackMode} mode`}, ${si.trackerDelegate} delegate, ${smoothTracks ? "One-Euro smoothed (the client's defaults)" : 'no One-Euro smoothing'})`,
        codec_settings: Object.fromEntries(o.codecs.map((c) => [c, `${CODECS[c].encoder} ${CODECS[c].args(0, gopFrames).join(' ').replace(/ 0k/g, ' <rate>k')}`])),
        side_by_side: sbs,
        timings_s: timings,
        stages_s: stages,
        load: loadNote,
        warnings,
      },
    };
  } finally {
    await ladders?.stop();
    await session?.close();
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
