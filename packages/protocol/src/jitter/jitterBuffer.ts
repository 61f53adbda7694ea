/**
 * Receiver-side jitter buffer for decoded face frames.
 *
 * - Adaptive target delay: a high quantile (default the 90th percentile) of recent
 *   transit-time variation (arrival − capture, relative to the fastest recent packet)
 *   plus a margin, clamped to [minDelayMs, maxDelayMs] and slewed smoothly. Face
 *   motion extrapolates well over a few frames, so a late frame costs a brief
 *   extrapolation, not a glitch: the buffer trades the last few percent of late
 *   frames for latency, unlike an audio jitter buffer.
 * - Reordering and duplicates: frames are kept sorted by capture time; late
 *   frames (older than what was already rendered) are dropped.
 * - Interpolation to the display rate between the two frames around the playout time.
 * - Concealment when no newer frame has arrived: extrapolate linearly for up to
 *   `extrapolateMs`, then hold, and report face-lost once the newest frame is more
 *   than the concealment window behind the playout time: `concealMs` (default 200 ms),
 *   or `concealFrames` (default 2) of the sender's typical frame intervals if that is
 *   longer, so that a sender whose tracker runs slowly (a weak CPU, a busy machine) is
 *   interpolated between its frames instead of reported lost between them.
 * - Why a render is lost (`RenderResult.lost`): 'no-face' while the sender's newest word is a
 *   face-lost packet (its camera shows no face it may send) and it keeps repeating it,
 *   'no-data' when nothing has come for longer than the window (a weak link, or a sender too
 *   busy to track) — so an app can say "looked away" and "connection stalled" apart.
 * - Why motion arrives in steps while it is drawn (`stats.senderFps`, `lossRate`; senderRate.ts):
 *   from the packets' sequence numbers, the sender's own frame rate apart from loss on the way.
 */
import type { FaceFrame } from '../frame.ts';
import { SenderRateMeter } from './senderRate.ts';

export interface JitterBufferOptions {
  /** Lower bound of the target delay, ms. Default 20. */
  minDelayMs?: number;
  /** Upper bound of the target delay, ms. Default 400. */
  maxDelayMs?: number;
  /** Target delay before any statistics exist, ms. Default 60. */
  initialDelayMs?: number;
  /** Quantile of the transit spread the delay covers, in (0, 1]. Default 0.9. */
  quantile?: number;
  /** Safety margin added to the measured jitter, ms. Default 10. */
  marginMs?: number;
  /** Hold/extrapolate this long past the newest frame, then report face-lost. Default 200. */
  concealMs?: number;
  /** Part of the concealment that extrapolates (the rest holds). Default 100. */
  extrapolateMs?: number;
  /**
   * The concealment window is at least this many of the sender's typical frame intervals
   * (median step of recent capture times; steps over 1 s, outages, are not counted).
   * Default 2; 0 keeps it at `concealMs`.
   */
  concealFrames?: number;
  /**
   * A face-lost packet stands for this long (or the concealment window, if longer); after it,
   * with nothing newer, the render is lost for 'no-data'. Senders repeat face-lost packets
   * (the client every 250 ms), so the default 1000 survives a few of them being dropped.
   */
  faceLostHoldMs?: number;
  /** Transit samples kept for the delay estimate. Default 128. */
  historySize?: number;
  /** Largest change of the target delay per render call, ms. Default 2. */
  slewMs?: number;
}

export const DEFAULT_JITTER_OPTIONS: Required<JitterBufferOptions> = {
  minDelayMs: 20,
  maxDelayMs: 400,
  initialDelayMs: 60,
  quantile: 0.9,
  marginMs: 10,
  concealMs: 200,
  extrapolateMs: 100,
  concealFrames: 2,
  faceLostHoldMs: 1000,
  historySize: 128,
  slewMs: 2,
};

/** A frame as handed to the buffer: capture time `t` must be unwrapped (continuous) ms. */
export interface BufferedFrame {
  t: number;
  /** null landmarks mark a face-lost packet. */
  landmarks: Float32Array | null;
  blendshapes: Float32Array | null;
  /**
   * The packet's u16 sequence number, when known: with it the buffer tells the sender's own frame
   * rate from loss on the way (`JitterStats.senderFps`, `lossRate`).
   */
  seq?: number;
}

export type RenderState =
  /** Nothing received yet, or playout has not reached the first frame. */
  | 'waiting'
  /** Interpolated between two received frames (or exactly on one). */
  | 'live'
  /** Extrapolated or held after the newest frame (loss or late packets). */
  | 'concealed'
  /** The sender reported no face, or concealment ran out (`lost` says which). */
  | 'lost';

/**
 * Why a render is 'lost': the sender's packets say its camera shows no face that may be drawn
 * (out of view, or held by its identity guard), or no frame has arrived for longer than the
 * concealment window (a weak link, or a sender too busy to track).
 */
export type LostReason = 'no-face' | 'no-data';

export interface RenderResult {
  state: RenderState;
  /** Set on 'lost' results only. */
  lost?: LostReason;
  /** Capture-time position that was rendered, ms. */
  mediaTime: number;
  /** Rebuilt frame for 'live' and 'concealed', else null. */
  frame: FaceFrame | null;
}

export interface JitterStats {
  received: number;
  duplicates: number;
  late: number;
  targetDelayMs: number;
  /** Face frames a second the sender sends (needs `seq` on pushed frames), or null while unknown. */
  senderFps: number | null;
  /** Fraction of the sender's recent packets that never arrived (needs `seq`), or null while unknown. */
  lossRate: number | null;
}

const MAX_BUFFERED = 256;
/** Capture-time steps kept for the sender's typical frame interval. */
const INTERVAL_HISTORY = 32;
/** Longer steps are outages, not the sender's frame rate. */
const MAX_FRAME_INTERVAL_MS = 1000;

export class JitterBuffer {
  private readonly opts: Required<JitterBufferOptions>;
  private frames: BufferedFrame[] = [];
  private transits: number[] = [];
  private intervals: number[] = [];
  private newestT = Number.NEGATIVE_INFINITY;
  /** Median of `intervals`, kept up to date by push (render reads it at the display rate). */
  private typicalIntervalMs = 0;
  private target: number;
  private lastRendered = Number.NEGATIVE_INFINITY;
  private received = 0;
  private duplicates = 0;
  private late = 0;
  private readonly rate = new SenderRateMeter();

  constructor(options: JitterBufferOptions = {}) {
    this.opts = { ...DEFAULT_JITTER_OPTIONS, ...options };
    const o = this.opts;
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`JitterBuffer option ${k} must be a finite number ≥ 0`);
    }
    if (o.minDelayMs > o.maxDelayMs) throw new TypeError('minDelayMs must be ≤ maxDelayMs');
    if (o.extrapolateMs > o.concealMs) throw new TypeError('extrapolateMs must be ≤ concealMs');
    if (!(o.quantile > 0 && o.quantile <= 1)) throw new TypeError('quantile must be in (0, 1]');
    if (o.historySize < 1) throw new TypeError('historySize must be ≥ 1');
    this.target = Math.min(o.maxDelayMs, Math.max(o.minDelayMs, o.initialDelayMs));
  }

  /** Current target playout delay (ms beyond the fastest recent transit). */
  get targetDelayMs(): number {
    return this.target;
  }

  /**
   * How far past the newest frame playout may run before face-lost is reported, and the
   * longest gap between two received frames that is interpolated: `concealMs`, or
   * `concealFrames` typical frame intervals of the sender if that is longer.
   */
  get concealWindowMs(): number {
    return Math.max(this.opts.concealMs, this.opts.concealFrames * this.typicalIntervalMs);
  }

  get stats(): JitterStats {
    return { received: this.received, duplicates: this.duplicates, late: this.late, targetDelayMs: this.target, ...this.rate.stats };
  }

  /** Adds a decoded frame that arrived at local time `arrivalMs`. */
  push(frame: BufferedFrame, arrivalMs: number): void {
    if (!Number.isFinite(frame.t) || !Number.isFinite(arrivalMs)) throw new TypeError('frame.t and arrivalMs must be finite');
    if (frame.seq !== undefined) this.rate.add(frame.seq, frame.t, frame.landmarks !== null);
    this.received++;
    this.transits.push(arrivalMs - frame.t);
    if (this.transits.length > this.opts.historySize) this.transits.shift();
    if (frame.t > this.newestT) {
      const step = frame.t - this.newestT;
      if (step <= MAX_FRAME_INTERVAL_MS) {
        this.intervals.push(step);
        if (this.intervals.length > INTERVAL_HISTORY) this.intervals.shift();
        const n = this.intervals.length;
        this.typicalIntervalMs = n < 4 ? 0 : [...this.intervals].sort((x, y) => x - y)[n >> 1]!;
      }
      this.newestT = frame.t;
    }
    if (frame.t <= this.lastRendered && (this.frames.length === 0 || frame.t < this.frames[0]!.t)) {
      this.late++;
      return;
    }
    // Insert sorted by t (usually at the end).
    let i = this.frames.length;
    while (i > 0 && this.frames[i - 1]!.t > frame.t) i--;
    if (i > 0 && this.frames[i - 1]!.t === frame.t) {
      this.duplicates++;
      return;
    }
    this.frames.splice(i, 0, frame);
    if (this.frames.length > MAX_BUFFERED) this.frames.shift();
  }

  /** Renders the frame for local time `nowMs` (call at the display rate). */
  render(nowMs: number): RenderResult {
    if (this.transits.length === 0) return { state: 'waiting', mediaTime: Number.NaN, frame: null };
    this.adaptDelay();
    let base = Infinity;
    for (const v of this.transits) if (v < base) base = v;
    const media = nowMs - base - this.target;
    // Drop frames no longer needed: keep the newest frame at or before `media` and one before it.
    let idx = -1;
    for (let i = this.frames.length - 1; i >= 0; i--) {
      if (this.frames[i]!.t <= media) {
        idx = i;
        break;
      }
    }
    if (idx > 1) {
      this.frames.splice(0, idx - 1);
      idx = 1;
    }
    if (idx < 0) return { state: 'waiting', mediaTime: media, frame: null };
    this.lastRendered = Math.max(this.lastRendered, media);
    const a = this.frames[idx]!;
    const next = this.frames[idx + 1];
    const { extrapolateMs } = this.opts;
    const concealMs = this.concealWindowMs;
    if (!a.landmarks) {
      // `a` is the newest frame at or before playout: nothing covers the time since it.
      const stale = media - a.t > Math.max(concealMs, this.opts.faceLostHoldMs);
      return { state: 'lost', lost: stale ? 'no-data' : 'no-face', mediaTime: media, frame: null };
    }
    if (next && next.landmarks && next.t - a.t <= concealMs) {
      const w = (media - a.t) / (next.t - a.t);
      return { state: 'live', mediaTime: media, frame: blend(a, next, w, media) };
    }
    const ahead = media - a.t;
    if (ahead === 0) return { state: 'live', mediaTime: media, frame: blend(a, a, 0, media) };
    if (ahead > concealMs) return { state: 'lost', lost: 'no-data', mediaTime: media, frame: null };
    const prev = idx > 0 ? this.frames[idx - 1] : undefined;
    if (prev && prev.landmarks && a.t - prev.t <= concealMs) {
      // Linear extrapolation from the last two frames for up to extrapolateMs, then hold.
      const w = Math.min(ahead, extrapolateMs) / (a.t - prev.t);
      return { state: 'concealed', mediaTime: media, frame: blend(prev, a, 1 + w, media) };
    }
    return { state: 'concealed', mediaTime: media, frame: blend(a, a, 0, media) };
  }

  /** Forgets all frames and statistics (e.g. after a stream restart). */
  reset(): void {
    this.frames = [];
    this.transits = [];
    this.intervals = [];
    this.newestT = Number.NEGATIVE_INFINITY;
    this.typicalIntervalMs = 0;
    this.rate.reset();
    this.lastRendered = Number.NEGATIVE_INFINITY;
    this.target = Math.min(this.opts.maxDelayMs, Math.max(this.opts.minDelayMs, this.opts.initialDelayMs));
  }

  private adaptDelay(): void {
    const n = this.transits.length;
    if (n < 8) return;
    let base = Infinity;
    for (const v of this.transits) if (v < base) base = v;
    const jitter = this.transits.map((v) => v - base).sort((x, y) => x - y);
    const spread = jitter[Math.min(n - 1, Math.floor(n * this.opts.quantile))]!;
    const want = Math.min(this.opts.maxDelayMs, Math.max(this.opts.minDelayMs, spread + this.opts.marginMs));
    const step = this.opts.slewMs;
    this.target += Math.max(-step, Math.min(step, want - this.target));
  }
}

function lerpArray(a: Float32Array, b: Float32Array, w: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + (b[i]! - a[i]!) * w;
  return out;
}

function blend(a: BufferedFrame, b: BufferedFrame, w: number, t: number): FaceFrame {
  const landmarks = lerpArray(a.landmarks!, b.landmarks!, w);
  let blendshapes: Float32Array | null = null;
  if (a.blendshapes && b.blendshapes && a.blendshapes.length === b.blendshapes.length) {
    blendshapes = lerpArray(a.blendshapes, b.blendshapes, w);
    for (let i = 0; i < blendshapes.length; i++) blendshapes[i] = Math.min(1, Math.max(0, blendshapes[i]!));
  }
  return { t, landmarks, blendshapes, matrix: null };
}
