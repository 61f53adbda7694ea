/**
 * The render core of one remote speaker, free of the DOM so it runs in a Worker on an
 * OffscreenCanvas (or on the main thread on a canvas):
 * landmark packets → decoder → jitter buffer → retarget → generator → canvas.
 * Degrades instead of failing: a placeholder until the embedding arrives, hold and then
 * a fade to the enrollment photo when the face is lost, a smaller drawing size and then
 * fewer frames per second when the generator cannot keep up.
 *
 * All times handed in and out are wall-clock ms (`performance.timeOrigin + now`), so the
 * main thread and a worker (whose `performance` clocks differ) agree.
 */
import {
  JitterBuffer,
  TypedEmitter,
  canonicaliseNeutral,
  createDecoder,
  defaultBasis,
  motionLimit,
  unwrapTimestamp,
  type AvatarEmbedding,
  type LandmarkDecoder,
  type LostReason,
  type MotionLimit,
  type RenderState,
} from '@visage/protocol';
import { createGenerator } from '../generator/registry.ts';
import type { Generator } from '../generator/types.ts';
import { unpackWarpContent, WARP_FAMILY } from '../generator/warp/content.ts';
import { DEFAULT_EYE_WEIGHTS_URL, DEFAULT_MOUTH_WEIGHTS_URL } from '../generator/neural/mouth-patch.ts';
import { Retargeter } from '../generator/retarget.ts';
import { LipSync, type AudioPlayoutSample } from './lip-sync.ts';
import { SizeGovernor } from './size-governor.ts';

export interface AvatarRenderOptions {
  peerId: string;
  name: string;
  /** The sender may publish an avatar that is not its own face; always shown to the user. */
  impersonation: boolean;
  /** Output size in pixels (square). Default 256. */
  size?: number;
  /** Target render rate. Default 30. */
  fps?: number;
  /** Generator family and backend. Default: the embedding's family, 'auto'. */
  generator?: string;
  backend?: 'auto' | 'webgpu' | 'webgl' | 'cpu';
  /**
   * Redraw the mouth of warp avatars with the neural mouth refiner (models/weights/mouth/, ~1 MB,
   * tfjs; the neural generator with `faceRefiner: false`): closes the slit or the pasted teeth the
   * warp draws between lips that meet. With it (unless `eyes: false`) the eye refiner
   * (models/weights/eyes/, ~1 MB) redraws both eyes: lids that close, irises that move. Off by default: on tfjs-wasm in headless Chromium on this
   * project's 2-core CPU a 256×256 frame takes 26–29 ms with the mouth refiner against 6–10 ms for the warp alone
   * under load, 15.8 against 4.0 ms on a quiet machine (`bench-neural.ts --no-face-refiner [--mouth]`). If the refiner cannot start (weights not
   * served, no tfjs backend), an 'error' event says so and the avatar is drawn by the warp alone.
   */
  mouthRefiner?: boolean | MouthRefinerRenderOptions;
}

export interface MouthRefinerRenderOptions {
  /** URL of the mouth refiner's model.json. Default '/models/mouth/model.json'. */
  weightsUrl?: string;
  /** Also run the eye refiner (default true). */
  eyes?: boolean;
  /**
   * Run the mouth refiner (default true). `{ mouth: false }`: the eye refiner alone, the one
   * configuration better than the warp on all five benchmark metrics at one photo and at eight
   * (CSIM +0.0038 / +0.0011; with the mouth refiner too: +0.0031 / level, better pixels and AKD;
   * models/RESULTS.md, session 15).
   */
  mouth?: boolean;
  /** URL of the eye refiner's model.json. Default '/models/eyes/model.json'. */
  eyeWeightsUrl?: string;
  /** URL folder with tfjs-backend-wasm's .wasm files. Default '/tfjs-wasm/'. */
  wasmPath?: string;
  /** tfjs backend for the network. Default: 'wasm' when `backend` is 'cpu', else 'auto'. */
  tfBackend?: 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
}

export interface RemoteAvatarStats {
  peerId: string;
  /** Landmark payload received, kbit/s over the last ~2 s. */
  kbps: number;
  /** Frames drawn per second over the last ~2 s. */
  renderFps: number;
  /** Mean generator time per frame, ms. */
  renderMs: number;
  /** Side of the square the generator draws, px (below the output size while degraded). */
  renderSize: number;
  /** Sender capture → drawn on the canvas, ms (needs roughly synced clocks: same machine or NTP). */
  latencyMs: number | null;
  /** Jitter buffer target delay, ms. */
  jitterDelayMs: number;
  /** Extra delay added for lip sync, ms, and the last measured video−audio offset. */
  lipSyncDelayMs: number;
  avOffsetMs: number | null;
  /** How the audio's playout position is known: on the sender's clock, estimated, or not yet. */
  lipSyncSource: 'sender-clock' | 'estimate' | null;
  state: RenderState | 'no-avatar';
  /** Why the face is reported lost ('no-face': the sender sees none; 'no-data': nothing arrives), else null. */
  lostReason: LostReason | null;
  /** Face frames a second the sender sends (from the packets' capture times and sequence numbers), null while unknown. */
  senderFps: number | null;
  /** Fraction of the sender's recent landmark packets lost on the way, null while unknown. */
  lossRate: number | null;
  /**
   * What keeps the face's motion under MIN_SMOOTH_FPS (12) frames a second, so that it moves in
   * steps: 'sender' (its device tracks too few frames) or 'network' (loss on the way); null when
   * enough arrive.
   */
  motionLimit: MotionLimit | null;
  backend: string | null;
  /** The generator drawing the avatar: its family ('warp'), or with refiners 'warp+eyes+mouth', 'warp+eyes', 'warp+mouth'; null before the avatar arrives. */
  generator: string | null;
  /** Where rendering runs. */
  thread: 'worker' | 'main';
  packets: number;
  decodeErrors: number;
}

export type AvatarRendererEvents = {
  /** The embedding arrived and the generator is ready. */
  ready: [];
  /**
   * The face has been lost for 200 ms, or is back (reason null), or is still lost for another
   * reason: 'no-face' (the sender's camera shows none it may send), 'no-data' (nothing has
   * arrived for longer than the jitter buffer conceals: a weak link or a stalled sender).
   */
  faceLost: [lost: boolean, reason: LostReason | null];
  stats: [stats: RemoteAvatarStats];
  error: [error: Error];
};

/** A remote avatar's stats before anything has been drawn. */
export function emptyRemoteStats(peerId: string, renderSize: number, thread: RemoteAvatarStats['thread']): RemoteAvatarStats {
  return {
    peerId, kbps: 0, renderFps: 0, renderMs: 0, renderSize, latencyMs: null, jitterDelayMs: 0, lipSyncDelayMs: 0, avOffsetMs: null,
    lipSyncSource: null, state: 'no-avatar', lostReason: null, senderFps: null, lossRate: null, motionLimit: null, backend: null, generator: null, thread, packets: 0, decodeErrors: 0,
  };
}

/** After this long without a face, the enrollment photo fades in (ms). */
export const FADE_AFTER_MS = 1_000;
export const FADE_DURATION_MS = 800;

type Canvas2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

const wallNow = (): number => performance.timeOrigin + performance.now();

export class AvatarRenderer extends TypedEmitter<AvatarRendererEvents> {
  readonly #canvas: HTMLCanvasElement | OffscreenCanvas;
  readonly #ctx: Canvas2D;
  readonly #options: AvatarRenderOptions;
  readonly #thread: 'worker' | 'main';
  readonly #size: number;
  readonly #frameInterval: number;
  readonly #jitter = new JitterBuffer();
  readonly #lipSync = new LipSync();
  #generator: Generator | null = null;
  #pipeline = 'warp';
  /** The embedding being installed, so that a resend joins it rather than installing twice. */
  #installing: { hash: string; done: Promise<void> } | null = null;
  /** The mouth refiner failed to start once: later avatars of this peer are drawn by the warp alone. */
  #mouthUnavailable = false;
  #plateBitmap: ImageBitmap | null = null;
  #decoder: LandmarkDecoder | null = null;
  #retargeter: Retargeter | null = null;
  #embeddingHash: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #lostSince: number | null = null;
  #lostReported: LostReason | null = null;
  #lastState: RenderState | 'no-avatar' = 'no-avatar';
  /** Capture time last drawn, and when (wall ms). */
  #lastMediaTime = Number.NaN;
  #lastDrawnAt = Number.NaN;
  #lipSyncSource: 'sender-clock' | 'estimate' | null = null;
  #pending: { bytes: Uint8Array; arrival: number }[] = [];
  #window = { start: wallNow(), bytes: 0, frames: 0, renderMs: 0, latency: 0, latencyN: 0 };
  #packets = 0;
  #decodeErrors = 0;
  #latencySamples: number[] = [];
  #syncWaitSamples: number[] = [];
  #transitSamples: number[] = [];
  #stats: RemoteAvatarStats;
  /** Drawing size while degraded, and a scratch canvas for the smaller sizes. */
  readonly #governor: SizeGovernor;
  #small: OffscreenCanvas | null = null;

  constructor(canvas: HTMLCanvasElement | OffscreenCanvas, options: AvatarRenderOptions) {
    super();
    this.#canvas = canvas;
    const m = options.mouthRefiner;
    if (typeof m === 'object' && m !== null && m.eyes === false && m.mouth === false) {
      throw new TypeError('mouthRefiner: eyes and mouth both off; pass mouthRefiner: false for no refiner');
    }
    this.#options = options;
    this.#thread = typeof document === 'undefined' ? 'worker' : 'main';
    this.#size = options.size ?? 256;
    this.#frameInterval = 1000 / (options.fps ?? 30);
    this.#governor = new SizeGovernor(this.#frameInterval);
    canvas.width = canvas.height = this.#size;
    const ctx = canvas.getContext('2d') as Canvas2D | null;
    if (!ctx) throw new TypeError('no 2D canvas context');
    this.#ctx = ctx;
    this.#stats = this.#emptyStats();
    this.#drawPlaceholder();
    this.#timer = setTimeout(() => void this.#tick(), this.#frameInterval);
  }

  #emptyStats(): RemoteAvatarStats {
    return emptyRemoteStats(this.#options.peerId, this.#size, this.#thread);
  }

  get stats(): Readonly<RemoteAvatarStats> {
    return this.#stats;
  }

  get embeddingHash(): string | null {
    return this.#embeddingHash;
  }

  get ready(): boolean {
    return this.#generator !== null;
  }

  /** Capture → drawn latencies (ms) of the frames drawn since the last call (for benchmarks). */
  takeLatencySamples(): number[] {
    const out = this.#latencySamples;
    this.#latencySamples = [];
    return out;
  }

  /** How much of each of those latencies was the wait for the audio (lip sync), ms. */
  takeSyncWaitSamples(): number[] {
    const out = this.#syncWaitSamples;
    this.#syncWaitSamples = [];
    return out;
  }

  /** Capture → arrival times (ms) of the landmark packets received since the last call (for benchmarks). */
  takeTransitSamples(): number[] {
    const out = this.#transitSamples;
    this.#transitSamples = [];
    return out;
  }

  /** What the canvas shows now. */
  snapshot(): Promise<ImageBitmap> {
    return createImageBitmap(this.#canvas);
  }

  /**
   * Installs a (new) avatar embedding. `hash` identifies it for caching; the same embedding
   * arriving again while it is being installed (a resend) joins that installation.
   */
  setEmbedding(embedding: AvatarEmbedding, hash: string): Promise<void> {
    if (this.#closed || hash === this.#embeddingHash) return Promise.resolve();
    if (this.#installing?.hash === hash) return this.#installing.done;
    const done = this.#install(embedding, hash).finally(() => {
      if (this.#installing?.done === done) this.#installing = null;
    });
    this.#installing = { hash, done };
    return done;
  }

  async #install(embedding: AvatarEmbedding, hash: string): Promise<void> {
    const content = await unpackWarpContent(embedding);
    let { generator, pipeline } = this.#createGenerator(embedding.generator.family, this.#mouthUnavailable ? false : this.#options.mouthRefiner);
    try {
      await generator.init(embedding);
    } catch (err) {
      if (!pipeline.startsWith('warp+')) throw err;
      // An optional refinement must not cost the avatar: say why (once) and draw the warp alone.
      generator.dispose();
      this.#mouthUnavailable = true;
      const refiners = { 'warp+mouth': 'mouth refiner', 'warp+eyes': 'eye refiner' }[pipeline] ?? 'eye and mouth refiners';
      this.safeEmit('error', new Error(`${refiners} unavailable, drawing ${this.#options.peerId} with the warp alone: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      ({ generator, pipeline } = this.#createGenerator(embedding.generator.family, false));
      await generator.init(embedding);
    }
    if (this.#closed) {
      generator.dispose();
      return;
    }
    this.#generator?.dispose();
    this.#generator = generator;
    this.#pipeline = pipeline;
    this.#embeddingHash = hash;
    this.#plateBitmap?.close();
    const plate = content.plate;
    this.#plateBitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(plate.data), plate.width, plate.height));
    this.#decoder = createDecoder({ neutral: avatarCodecNeutral(content.plateLandmarks, plate.height / plate.width) });
    // Decoded landmarks already carry the avatar's identity (decoded onto its neutral):
    // the retargeter only anchors the motion to where the photo put the head.
    this.#retargeter = new Retargeter(content.neutral, content.plateLandmarks, plate.width / plate.height, { drivingNeutral: content.neutral });
    this.#jitter.reset();
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) this.pushLandmarkPacket(p.bytes, p.arrival);
    this.safeEmit('ready');
  }

  #createGenerator(embeddingFamily: string, m: AvatarRenderOptions['mouthRefiner']): { generator: Generator; pipeline: string } {
    const family = this.#options.generator ?? embeddingFamily;
    const backend = this.#options.backend ?? 'auto';
    if (!m || family !== WARP_FAMILY) return { generator: createGenerator(family, { backend }), pipeline: family };
    const o = m === true ? {} : m;
    const eyes = o.eyes !== false, mouth = o.mouth !== false;
    const generator = createGenerator('neural', {
      faceRefiner: false,
      backend: o.tfBackend ?? (backend === 'cpu' ? 'wasm' : 'auto'),
      warpBackend: backend,
      wasmPath: o.wasmPath ?? '/tfjs-wasm/',
      mouthWeightsUrl: mouth ? (o.weightsUrl ?? DEFAULT_MOUTH_WEIGHTS_URL) : null,
      eyeWeightsUrl: eyes ? (o.eyeWeightsUrl ?? DEFAULT_EYE_WEIGHTS_URL) : null,
    });
    return { generator, pipeline: `warp${eyes ? '+eyes' : ''}${mouth ? '+mouth' : ''}` };
  }

  /** A landmark packet arrived at wall-clock time `arrivalMs`. */
  pushLandmarkPacket(bytes: Uint8Array, arrivalMs = wallNow()): void {
    if (this.#closed) return;
    this.#packets++;
    this.#window.bytes += bytes.byteLength;
    if (!this.#decoder) {
      // Keep a little until the embedding is here (it is sent first, but channels race).
      if (this.#pending.length < 60) this.#pending.push({ bytes, arrival: arrivalMs });
      return;
    }
    try {
      const decoded = this.#decoder.decode(bytes);
      // Capture time on the sender's wall clock (the header keeps 16 bits of ms).
      const t = unwrapTimestamp(decoded.header.timestamp, arrivalMs);
      if (this.#transitSamples.length < 4096) this.#transitSamples.push(arrivalMs - t);
      const landmarks = decoded.frame?.landmarks ?? null;
      this.#jitter.push(
        { t, seq: decoded.header.seq, landmarks: landmarks ? this.#retargeter!.apply(landmarks, 1 / decoded.aspect) : null, blendshapes: decoded.frame?.blendshapes ?? null },
        arrivalMs,
      );
    } catch (err) {
      this.#decodeErrors++;
      if (this.#decodeErrors <= 3) this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Where the speaker's audio is in its playout (wall-clock `atMs`): lip sync follows it. */
  audioPlayout(sample: AudioPlayoutSample): void {
    this.#lipSyncSource = sample.source ?? 'sender-clock';
    const now = wallNow();
    if (Number.isFinite(this.#lastMediaTime)) this.#lipSync.update(this.#lastMediaTime + (now - this.#lastDrawnAt), sample, now);
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const start = wallNow();
    try {
      await this.#renderOnce(start);
    } catch (err) {
      this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
    }
    this.#updateStats();
    if (this.#closed) return;
    // Never fall behind: the next frame no sooner than one interval after this one ended
    // (so the rate drops once the smallest drawing size is still too slow).
    const spent = wallNow() - start;
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, this.#frameInterval - spent));
  }

  async #renderOnce(now: number): Promise<void> {
    if (!this.#generator) {
      this.#lastState = 'no-avatar';
      return;
    }
    const result = this.#jitter.render(now - this.#lipSync.extraDelayMs);
    this.#lastState = result.state;
    if (result.state === 'lost') this.#lostSince ??= now;
    else this.#lostSince = null;
    const reportLost = this.#lostSince !== null && now - this.#lostSince > 200 ? result.lost ?? 'no-data' : null;
    if (reportLost !== this.#lostReported) {
      this.#lostReported = reportLost;
      this.safeEmit('faceLost', reportLost !== null, reportLost);
    }
    if (result.frame?.landmarks) {
      const t0 = wallNow();
      await this.#draw(result.frame.landmarks);
      const drawn = wallNow();
      const w = this.#window;
      w.renderMs += drawn - t0;
      w.frames++;
      this.#lastMediaTime = result.mediaTime;
      this.#lastDrawnAt = t0;
      const latency = drawn - result.mediaTime;
      w.latency += latency;
      w.latencyN++;
      if (this.#latencySamples.length < 4096) {
        this.#latencySamples.push(latency);
        this.#syncWaitSamples.push(this.#lipSync.extraDelayMs);
      }
      this.#drawBadge();
    } else if (this.#lostSince !== null && now - this.#lostSince > FADE_AFTER_MS && this.#plateBitmap) {
      // Hold the last frame, then fade to the enrollment photo.
      const alpha = Math.min(1, (now - this.#lostSince - FADE_AFTER_MS) / FADE_DURATION_MS);
      this.#ctx.globalAlpha = alpha * 0.25;
      this.#drawPlate();
      this.#ctx.globalAlpha = 1;
      this.#drawBadge();
    }
  }

  /** Draws at the current (possibly reduced) size and scales up to the output. */
  async #draw(landmarks: Float32Array): Promise<void> {
    const scale = this.#governor.scale;
    if (scale === 1) {
      await this.#generator!.render(landmarks, this.#canvas);
      return;
    }
    const side = Math.round(this.#size * scale);
    if (!this.#small || this.#small.width !== side) this.#small = new OffscreenCanvas(side, side);
    await this.#generator!.render(landmarks, this.#small);
    this.#ctx.imageSmoothingEnabled = true;
    this.#ctx.drawImage(this.#small, 0, 0, this.#size, this.#size);
  }

  #drawPlate(): void {
    const bmp = this.#plateBitmap;
    if (!bmp) return;
    const s = this.#size / Math.max(bmp.width, bmp.height);
    const w = bmp.width * s;
    const h = bmp.height * s;
    this.#ctx.drawImage(bmp, (this.#size - w) / 2, (this.#size - h) / 2, w, h);
  }

  #drawPlaceholder(): void {
    const ctx = this.#ctx;
    const name = this.#options.name || this.#options.peerId;
    ctx.fillStyle = '#1f2430';
    ctx.fillRect(0, 0, this.#size, this.#size);
    ctx.fillStyle = '#8a93a6';
    ctx.font = `${Math.round(this.#size / 12)}px sans-serif`;
    ctx.textAlign = 'center';
    ctx.fillText(name, this.#size / 2, this.#size / 2);
    ctx.font = `${Math.round(this.#size / 20)}px sans-serif`;
    ctx.fillText('waiting for avatar…', this.#size / 2, this.#size / 2 + this.#size / 10);
    this.#drawBadge();
  }

  /** Burned into the stream, so the label travels wherever the MediaStream goes. */
  #drawBadge(): void {
    const ctx = this.#ctx;
    const h = Math.max(12, Math.round(this.#size / 16));
    const impersonation = this.#options.impersonation;
    const text = impersonation ? 'AVATAR · NOT THEIR FACE' : 'AVATAR';
    ctx.font = `bold ${Math.round(h * 0.7)}px sans-serif`;
    const w = ctx.measureText(text).width + h;
    ctx.fillStyle = impersonation ? 'rgba(200, 40, 40, 0.85)' : 'rgba(20, 20, 20, 0.7)';
    ctx.fillRect(4, 4, w, h);
    ctx.fillStyle = '#fff';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, 4 + h / 2, 4 + h / 2);
    ctx.textBaseline = 'alphabetic';
  }

  #updateStats(): void {
    const w = this.#window;
    const elapsed = wallNow() - w.start;
    if (elapsed < 2000) return;
    const renderMs = w.frames ? w.renderMs / w.frames : 0;
    const { senderFps, lossRate } = this.#jitter.stats;
    const rate = { senderFps, lossRate };
    this.#stats = {
      peerId: this.#options.peerId,
      kbps: (w.bytes * 8) / elapsed,
      renderFps: (w.frames * 1000) / elapsed,
      renderMs,
      renderSize: Math.round(this.#size * this.#governor.scale),
      latencyMs: w.latencyN ? w.latency / w.latencyN : null,
      jitterDelayMs: this.#jitter.targetDelayMs,
      lipSyncDelayMs: this.#lipSync.extraDelayMs,
      avOffsetMs: this.#lipSync.offsetMs,
      lipSyncSource: this.#lipSyncSource,
      state: this.#lastState,
      lostReason: this.#lostReported,
      ...rate,
      motionLimit: motionLimit(rate),
      backend: this.#generator?.backend ?? null,
      generator: this.#generator ? this.#pipeline : null,
      thread: this.#thread,
      packets: this.#packets,
      decodeErrors: this.#decodeErrors,
    };
    if (w.frames > 0) this.#governor.update(renderMs);
    this.#window = { start: wallNow(), bytes: 0, frames: 0, renderMs: 0, latency: 0, latencyN: 0 };
    this.safeEmit('stats', this.#stats);
  }

  /** Stops rendering and releases the generator. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#generator?.dispose();
    this.#generator = null;
    this.#plateBitmap?.close();
    this.removeAllListeners();
  }
}

/**
 * The codec's neutral shape of an avatar, derived from its embedding alone (the
 * plate photo's landmarks), so sender and receivers compute the same one.
 */
export function avatarCodecNeutral(plateLandmarks: Float32Array, plateAspectHW: number): Float32Array {
  return canonicaliseNeutral(plateLandmarks, defaultBasis().template, plateAspectHW);
}
