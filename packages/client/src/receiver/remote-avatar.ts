/**
 * One remote speaker, rebuilt locally:
 * data channel → decoder → jitter buffer → retarget → generator → canvas → MediaStream.
 * Degrades instead of failing: a placeholder until the embedding arrives, hold and
 * then a fade to the enrollment photo when the face is lost, fewer frames per second
 * when the generator cannot keep up.
 */
import {
  JitterBuffer,
  TypedEmitter,
  canonicaliseNeutral,
  createDecoder,
  defaultBasis,
  unwrapTimestamp,
  type AvatarEmbedding,
  type LandmarkDecoder,
  type RenderState,
} from '@visage/protocol';
import { createGenerator } from '../generator/registry.ts';
import type { Generator } from '../generator/types.ts';
import { unpackWarpContent, type WarpContent } from '../generator/warp/content.ts';
import { Retargeter } from '../generator/retarget.ts';
import { LipSync, sampleAudioPlayout } from './lip-sync.ts';

export interface RemoteAvatarOptions {
  peerId: string;
  name: string;
  /** The sender may publish an avatar that is not its own face; always shown to the user. */
  impersonation: boolean;
  /** Output size in pixels (square). Default 256. */
  size?: number;
  /** Target render rate. Default 30. */
  fps?: number;
  /** Generator family and backend. Default 'warp', 'auto'. */
  generator?: string;
  backend?: 'auto' | 'webgpu' | 'webgl' | 'cpu';
}

export interface RemoteAvatarStats {
  peerId: string;
  /** Landmark payload received, kbit/s over the last ~2 s. */
  kbps: number;
  /** Frames drawn per second over the last ~2 s. */
  renderFps: number;
  /** Mean generator time per frame, ms. */
  renderMs: number;
  /** Sender capture → drawn on the canvas, ms (needs roughly synced clocks: same machine or NTP). */
  latencyMs: number | null;
  /** Jitter buffer target delay, ms. */
  jitterDelayMs: number;
  /** Extra delay added for lip sync, ms, and the last measured video−audio offset. */
  lipSyncDelayMs: number;
  avOffsetMs: number | null;
  state: RenderState | 'no-avatar';
  backend: string | null;
  packets: number;
  decodeErrors: number;
}

export type RemoteAvatarEvents = {
  /** The embedding arrived and the generator is ready. */
  ready: [];
  faceLost: [lost: boolean];
  stats: [stats: RemoteAvatarStats];
  error: [error: Error];
};

/** After this long without a face, the enrollment photo fades in (ms). */
export const FADE_AFTER_MS = 1_000;
export const FADE_DURATION_MS = 800;

export class RemoteAvatar extends TypedEmitter<RemoteAvatarEvents> {
  readonly peerId: string;
  readonly name: string;
  readonly impersonation: boolean;
  /** Always true: this stream is synthesised, not camera video. */
  readonly isAvatar = true;
  readonly canvas: HTMLCanvasElement;
  readonly stream: MediaStream;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #size: number;
  readonly #fps: number;
  readonly #options: RemoteAvatarOptions;
  readonly #jitter = new JitterBuffer();
  readonly #lipSync = new LipSync();
  #generator: Generator | null = null;
  #content: WarpContent | null = null;
  #plateBitmap: ImageBitmap | null = null;
  #decoder: LandmarkDecoder | null = null;
  #retargeter: Retargeter | null = null;
  #embeddingHash: string | null = null;
  #audioReceiver: { getStats(): Promise<RTCStatsReport> } | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #busy = false;
  #closed = false;
  #lostSince: number | null = null;
  #lostReported = false;
  #lastState: RenderState | 'no-avatar' = 'no-avatar';
  #pending: { bytes: Uint8Array; arrival: number }[] = [];
  #window = { start: performance.now(), bytes: 0, frames: 0, renderMs: 0, latency: 0, latencyN: 0 };
  #packets = 0;
  #decodeErrors = 0;
  #latencySamples: number[] = [];
  #transitSamples: number[] = [];
  #stats: RemoteAvatarStats;
  #frameInterval: number;

  constructor(options: RemoteAvatarOptions) {
    super();
    this.#options = options;
    this.peerId = options.peerId;
    this.name = options.name;
    this.impersonation = options.impersonation;
    this.#size = options.size ?? 256;
    this.#fps = options.fps ?? 30;
    this.#frameInterval = 1000 / this.#fps;
    this.canvas = document.createElement('canvas');
    this.canvas.width = this.canvas.height = this.#size;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new TypeError('no 2D canvas context');
    this.#ctx = ctx;
    this.stream = this.canvas.captureStream(this.#fps);
    this.#stats = this.#emptyStats();
    this.#drawPlaceholder();
    this.#schedule();
  }

  #emptyStats(): RemoteAvatarStats {
    return {
      peerId: this.peerId, kbps: 0, renderFps: 0, renderMs: 0, latencyMs: null, jitterDelayMs: 0,
      lipSyncDelayMs: 0, avOffsetMs: null, state: 'no-avatar', backend: null, packets: 0, decodeErrors: 0,
    };
  }

  get stats(): Readonly<RemoteAvatarStats> {
    return this.#stats;
  }

  /** Capture → drawn latencies (ms) of the frames drawn since the last call (for benchmarks). */
  takeLatencySamples(): number[] {
    const out = this.#latencySamples;
    this.#latencySamples = [];
    return out;
  }

  /** Capture → arrival times (ms) of the landmark packets received since the last call (for benchmarks). */
  takeTransitSamples(): number[] {
    const out = this.#transitSamples;
    this.#transitSamples = [];
    return out;
  }

  get embeddingHash(): string | null {
    return this.#embeddingHash;
  }

  get ready(): boolean {
    return this.#generator !== null;
  }

  /** Adds the speaker's audio to the stream and uses it for lip sync. */
  addAudio(track: MediaStreamTrack, receiver?: { getStats(): Promise<RTCStatsReport> }): void {
    for (const t of this.stream.getAudioTracks()) this.stream.removeTrack(t);
    this.stream.addTrack(track);
    this.#audioReceiver = receiver ?? null;
  }

  /** Installs a (new) avatar embedding. `hash` identifies it for caching. */
  async setEmbedding(embedding: AvatarEmbedding, hash: string): Promise<void> {
    if (this.#closed || hash === this.#embeddingHash) return;
    const content = await unpackWarpContent(embedding);
    const generator = createGenerator(this.#options.generator ?? embedding.generator.family, {
      backend: this.#options.backend ?? 'auto',
    });
    await generator.init(embedding);
    if (this.#closed) {
      generator.dispose();
      return;
    }
    this.#generator?.dispose();
    this.#generator = generator;
    this.#content = content;
    this.#embeddingHash = hash;
    this.#plateBitmap?.close();
    const plate = content.plate;
    this.#plateBitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(plate.data), plate.width, plate.height));
    const plateAspectHW = plate.height / plate.width;
    const codecNeutral = avatarCodecNeutral(content.plateLandmarks, plateAspectHW);
    this.#decoder = createDecoder({ neutral: codecNeutral });
    // Decoded landmarks already carry the avatar's identity (decoded onto its neutral):
    // the retargeter only anchors the motion to where the photo put the head.
    this.#retargeter = new Retargeter(content.neutral, content.plateLandmarks, plate.width / plate.height, {
      drivingNeutral: content.neutral,
    });
    this.#jitter.reset();
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) this.pushLandmarkPacket(p.bytes, p.arrival);
    this.safeEmit('ready');
  }

  /** A landmark packet arrived at local time `arrivalMs` (performance.now()). */
  pushLandmarkPacket(bytes: Uint8Array, arrivalMs = performance.now()): void {
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
      const t = unwrapTimestamp(decoded.header.timestamp, performance.timeOrigin + arrivalMs);
      const landmarks = decoded.frame?.landmarks ?? null;
      if (this.#transitSamples.length < 4096) this.#transitSamples.push(performance.timeOrigin + arrivalMs - t);
      this.#jitter.push(
        { t, landmarks: landmarks ? this.#toOutput(landmarks, decoded.aspect) : null, blendshapes: decoded.frame?.blendshapes ?? null },
        performance.timeOrigin + arrivalMs,
      );
    } catch (err) {
      this.#decodeErrors++;
      if (this.#decodeErrors <= 3) this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  #toOutput(landmarks: Float32Array, aspectHW: number): Float32Array {
    return this.#retargeter!.apply(landmarks, 1 / aspectHW);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#frameInterval);
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const start = performance.now();
    if (!this.#busy) {
      this.#busy = true;
      try {
        await this.#renderOnce(start);
      } catch (err) {
        this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
      } finally {
        this.#busy = false;
      }
    }
    this.#updateStats();
    // Degrade the rate rather than fall behind: next frame no sooner than one interval after this one ended.
    const spent = performance.now() - start;
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, this.#frameInterval - spent));
  }

  async #renderOnce(now: number): Promise<void> {
    if (!this.#generator) {
      this.#lastState = 'no-avatar';
      return;
    }
    const wallNow = performance.timeOrigin + now - this.#lipSync.extraDelayMs;
    const result = this.#jitter.render(wallNow);
    this.#lastState = result.state;
    const lost = result.state === 'lost';
    if (lost) this.#lostSince ??= now;
    else this.#lostSince = null;
    const reportLost = this.#lostSince !== null && now - this.#lostSince > 200;
    if (reportLost !== this.#lostReported) {
      this.#lostReported = reportLost;
      this.safeEmit('faceLost', reportLost);
    }
    if (result.frame?.landmarks) {
      const t0 = performance.now();
      await this.#generator.render(result.frame.landmarks, this.canvas);
      const w = this.#window;
      w.renderMs += performance.now() - t0;
      w.frames++;
      const latency = performance.timeOrigin + performance.now() - result.mediaTime;
      w.latency += latency;
      w.latencyN++;
      if (this.#latencySamples.length < 4096) this.#latencySamples.push(latency);
      this.#drawBadge();
      if (this.#audioReceiver && w.frames % 15 === 0) {
        const sample = await sampleAudioPlayout(this.#audioReceiver).catch(() => null);
        if (sample) this.#lipSync.update(result.mediaTime, sample, performance.now());
      }
    } else if (this.#lostSince !== null && now - this.#lostSince > FADE_AFTER_MS && this.#plateBitmap) {
      // Hold the last frame, then fade to the enrollment photo.
      const alpha = Math.min(1, (now - this.#lostSince - FADE_AFTER_MS) / FADE_DURATION_MS);
      this.#ctx.globalAlpha = alpha * 0.25;
      this.#drawPlate();
      this.#ctx.globalAlpha = 1;
      this.#drawBadge();
    }
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
    ctx.fillStyle = '#1f2430';
    ctx.fillRect(0, 0, this.#size, this.#size);
    ctx.fillStyle = '#8a93a6';
    ctx.font = `${Math.round(this.#size / 12)}px sans-serif`;
    ctx.textAlign = 'center';
    ctx.fillText(this.name || this.peerId, this.#size / 2, this.#size / 2);
    ctx.font = `${Math.round(this.#size / 20)}px sans-serif`;
    ctx.fillText('waiting for avatar…', this.#size / 2, this.#size / 2 + this.#size / 10);
    this.#drawBadge();
  }

  /** Burned into the stream, so the label travels wherever the MediaStream goes. */
  #drawBadge(): void {
    const ctx = this.#ctx;
    const h = Math.max(12, Math.round(this.#size / 16));
    const text = this.impersonation ? 'AVATAR · NOT THEIR FACE' : 'AVATAR';
    ctx.font = `bold ${Math.round(h * 0.7)}px sans-serif`;
    const w = ctx.measureText(text).width + h;
    ctx.fillStyle = this.impersonation ? 'rgba(200, 40, 40, 0.85)' : 'rgba(20, 20, 20, 0.7)';
    ctx.fillRect(4, 4, w, h);
    ctx.fillStyle = '#fff';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, 4 + h / 2, 4 + h / 2);
    ctx.textBaseline = 'alphabetic';
  }

  #updateStats(): void {
    const w = this.#window;
    const elapsed = performance.now() - w.start;
    if (elapsed < 2000) return;
    this.#stats = {
      peerId: this.peerId,
      kbps: (w.bytes * 8) / elapsed,
      renderFps: (w.frames * 1000) / elapsed,
      renderMs: w.frames ? w.renderMs / w.frames : 0,
      latencyMs: w.latencyN ? w.latency / w.latencyN : null,
      jitterDelayMs: this.#jitter.targetDelayMs,
      lipSyncDelayMs: this.#lipSync.extraDelayMs,
      avOffsetMs: this.#lipSync.offsetMs,
      state: this.#lastState,
      backend: this.#generator?.backend ?? null,
      packets: this.#packets,
      decodeErrors: this.#decodeErrors,
    };
    this.#window = { start: performance.now(), bytes: 0, frames: 0, renderMs: 0, latency: 0, latencyN: 0 };
    this.safeEmit('stats', this.#stats);
  }

  /** Stops rendering and releases the generator; the stream's tracks end. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#generator?.dispose();
    this.#generator = null;
    this.#plateBitmap?.close();
    for (const t of this.stream.getTracks()) t.stop();
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
