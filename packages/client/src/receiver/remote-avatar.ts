/**
 * One remote speaker, rebuilt locally:
 * data channel → decoder → jitter buffer → retarget → generator → canvas → MediaStream.
 *
 * The rendering (`AvatarRenderer`) runs in its own module Worker on an OffscreenCanvas
 * where the browser allows it, so a slow generator never delays the page, the data
 * channels or the tracker; otherwise on the main thread. Either way the app gets the
 * same canvas (to put in the page) and the same MediaStream (canvas capture + audio).
 */
import { TypedEmitter, type AvatarEmbedding, type LostReason } from '@visage/protocol';
import { WorkerRpc } from '../util/worker-rpc.ts';
import {
  AvatarRenderer,
  emptyRemoteStats,
  type AvatarRenderOptions,
  type RemoteAvatarStats,
} from './avatar-renderer.ts';
import { AudioPlayoutSampler } from './lip-sync.ts';
import type { AvatarFromWorker, AvatarToWorker } from './worker-protocol.ts';

export { avatarCodecNeutral, FADE_AFTER_MS, FADE_DURATION_MS } from './avatar-renderer.ts';
export { DEGRADE_SCALES } from './size-governor.ts';
export type { RemoteAvatarStats } from './avatar-renderer.ts';

export interface RemoteAvatarOptions extends AvatarRenderOptions {
  /**
   * Where rendering runs: 'auto' (default) a module Worker with an OffscreenCanvas when
   * the browser supports it, else the main thread.
   */
  thread?: 'auto' | 'worker' | 'main';
  /**
   * Creates the render Worker. Default: `avatar.worker.ts` next to this file via
   * `new URL(..., import.meta.url)` (what Vite bundles); other bundlers pass a factory.
   */
  workerFactory?: () => Worker;
}

export type RemoteAvatarEvents = {
  /** The embedding arrived and the generator is ready. */
  ready: [];
  /** As AvatarRenderer's: lost for 200 ms, back (reason null), or lost for another reason. */
  faceLost: [lost: boolean, reason: LostReason | null];
  stats: [stats: RemoteAvatarStats];
  error: [error: Error];
};

export interface LatencySamples {
  latency: number[];
  syncWait: number[];
  transit: number[];
}

/** How often the audio's playout position is read for lip sync, ms. */
const AUDIO_SAMPLE_MS = 500;

function defaultWorkerFactory(): Worker {
  return new Worker(new URL('./avatar.worker.ts', import.meta.url), { type: 'module', name: 'visage-avatar' });
}

function canUseWorker(canvas: HTMLCanvasElement): boolean {
  return typeof Worker !== 'undefined' && typeof OffscreenCanvas !== 'undefined' && typeof canvas.transferControlToOffscreen === 'function';
}

export class RemoteAvatar extends TypedEmitter<RemoteAvatarEvents> {
  readonly peerId: string;
  readonly name: string;
  readonly impersonation: boolean;
  /** Always true: this stream is synthesised, not camera video. */
  readonly isAvatar = true;
  /** The avatar's canvas, to show in the page (with a worker, a placeholder it draws into). */
  readonly canvas: HTMLCanvasElement;
  readonly stream: MediaStream;
  /** Where rendering runs. */
  readonly thread: 'worker' | 'main';
  readonly #local: AvatarRenderer | null;
  readonly #rpc: WorkerRpc<AvatarToWorker, AvatarFromWorker> | null;
  #stats: RemoteAvatarStats;
  #ready = false;
  #lost: LostReason | null = null;
  #embeddingHash: string | null = null;
  #audioTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: RemoteAvatarOptions) {
    super();
    this.peerId = options.peerId;
    this.name = options.name;
    this.impersonation = options.impersonation;
    const size = options.size ?? 256;
    this.canvas = document.createElement('canvas');
    this.canvas.width = this.canvas.height = size;
    this.stream = this.canvas.captureStream(options.fps ?? 30);
    const { thread = 'auto', workerFactory = defaultWorkerFactory, ...renderOptions } = options;
    const useWorker = thread === 'worker' || (thread === 'auto' && canUseWorker(this.canvas));
    if (useWorker) {
      const offscreen = this.canvas.transferControlToOffscreen();
      this.thread = 'worker';
      this.#local = null;
      this.#rpc = new WorkerRpc(workerFactory(), 'avatar', (msg) => this.#onEvent(msg));
      this.#rpc.call({ type: 'init', canvas: offscreen, options: renderOptions }, 'ok', [offscreen]).catch((err: unknown) => this.#fail(err));
    } else {
      this.thread = 'main';
      this.#rpc = null;
      const local = new AvatarRenderer(this.canvas, renderOptions);
      local.on('ready', () => this.#onReady());
      local.on('faceLost', (lost, reason) => this.#onFaceLost(lost, reason));
      local.on('stats', (stats) => this.#onStats(stats));
      local.on('error', (err) => this.safeEmit('error', err));
      this.#local = local;
    }
    this.#stats = emptyRemoteStats(this.peerId, size, this.thread);
  }

  get stats(): Readonly<RemoteAvatarStats> {
    return this.#stats;
  }

  /** Why the face is lost now ('no-face', 'no-data'; see the `faceLost` event), or null while it is drawn. */
  get lost(): LostReason | null {
    return this.#lost;
  }

  get embeddingHash(): string | null {
    return this.#embeddingHash;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Installs a (new) avatar embedding. `hash` identifies it for caching. */
  async setEmbedding(embedding: AvatarEmbedding, hash: string): Promise<void> {
    if (this.#closed || hash === this.#embeddingHash) return;
    if (this.#local) await this.#local.setEmbedding(embedding, hash);
    else await this.#rpc!.call({ type: 'embedding', embedding, hash }, 'ok');
    this.#embeddingHash = hash;
  }

  /** A landmark packet arrived at local time `arrivalMs` (performance.now()). */
  pushLandmarkPacket(bytes: Uint8Array, arrivalMs = performance.now()): void {
    if (this.#closed) return;
    const arrival = performance.timeOrigin + arrivalMs;
    if (this.#local) this.#local.pushLandmarkPacket(bytes, arrival);
    else this.#rpc!.notify({ type: 'packet', bytes, arrival });
  }

  /** Adds the speaker's audio to the stream and uses it for lip sync. */
  addAudio(track: MediaStreamTrack, receiver?: { getStats(): Promise<RTCStatsReport> }): void {
    for (const t of this.stream.getAudioTracks()) this.stream.removeTrack(t);
    this.stream.addTrack(track);
    clearInterval(this.#audioTimer);
    if (!receiver || this.#closed) return;
    const sampler = new AudioPlayoutSampler(receiver);
    this.#audioTimer = setInterval(() => {
      void sampler
        .sample()
        .then((sample) => {
          if (!sample || this.#closed) return;
          if (this.#local) this.#local.audioPlayout(sample);
          else this.#rpc!.notify({ type: 'audio', sample });
        })
        .catch(() => undefined);
    }, AUDIO_SAMPLE_MS);
  }

  /** What the avatar shows now (the caller closes the bitmap). */
  async snapshot(): Promise<ImageBitmap> {
    if (this.#local) return this.#local.snapshot();
    return (await this.#rpc!.call({ type: 'snapshot' }, 'snapshot')).bitmap;
  }

  /**
   * Since the last call (for benchmarks): capture → drawn latency of each frame drawn, the
   * part of it spent waiting for the audio (lip sync), and capture → arrival of each
   * landmark packet; ms.
   */
  async takeSamples(): Promise<LatencySamples> {
    if (this.#local) return { latency: this.#local.takeLatencySamples(), syncWait: this.#local.takeSyncWaitSamples(), transit: this.#local.takeTransitSamples() };
    if (this.#closed) return { latency: [], syncWait: [], transit: [] };
    const { latency, syncWait, transit } = await this.#rpc!.call({ type: 'samples' }, 'samples');
    return { latency, syncWait, transit };
  }

  #onEvent(msg: AvatarFromWorker): void {
    if (msg.type === 'error') {
      this.safeEmit('error', new Error(msg.message));
      return;
    }
    if (msg.type !== 'event') return;
    if (msg.event === 'ready') this.#onReady();
    else if (msg.event === 'faceLost') this.#onFaceLost(msg.lost, msg.reason);
    else if (msg.event === 'stats') this.#onStats(msg.stats);
    else this.safeEmit('error', new Error(msg.message));
  }

  #onFaceLost(lost: boolean, reason: LostReason | null): void {
    this.#lost = lost ? reason : null;
    this.safeEmit('faceLost', lost, reason);
  }

  #onReady(): void {
    this.#ready = true;
    this.safeEmit('ready');
  }

  #onStats(stats: RemoteAvatarStats): void {
    this.#stats = stats;
    this.safeEmit('stats', stats);
  }

  #fail(err: unknown): void {
    this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
  }

  /** Stops rendering and releases the generator; the stream's tracks end. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#audioTimer);
    this.#local?.close();
    if (this.#rpc) {
      const rpc = this.#rpc;
      void rpc.call({ type: 'close' }, 'ok').catch(() => undefined).finally(() => rpc.terminate());
    }
    for (const t of this.stream.getTracks()) t.stop();
    this.removeAllListeners();
  }
}
