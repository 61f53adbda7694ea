/**
 * camera → tracker → codec → data channel. One packet per tracked frame; while no
 * face is found, face-lost packets at a low rate instead of silence.
 */
import { MIN_SMOOTH_FPS, TypedEmitter, createEncoder, defaultBasis, estimateNeutral, type FaceFrame, type LandmarkEncoder } from '@visage/protocol';
import type { FaceTracker } from '../tracking/index.ts';
import type { CameraSource } from './camera-source.ts';

/** Face-lost packets are sent at most this often (ms). */
export const FACE_LOST_INTERVAL_MS = 250;
/** Without a given neutral shape, this many face frames are collected to estimate one. */
export const NEUTRAL_WARMUP_FRAMES = 20;

export interface PacketSink {
  send(bytes: Uint8Array): void;
}

export interface PublisherStats {
  framesTracked: number;
  framesWithFace: number;
  packetsSent: number;
  bytesSent: number;
  /** Mean payload bitrate over the last ~2 s, kbit/s. */
  kbps: number;
  /** Mean tracker time per frame over the last ~2 s, ms. */
  trackerMs: number;
  /** Tracked frames per second over the last ~2 s. */
  fps: number;
  /** Frames per second the camera delivered over the same window (at most the source's maxFps). */
  cameraFps: number;
}

/**
 * True when tracking keeps up with too few of the camera's frames: fewer than MIN_SMOOTH_FPS (12)
 * a second and less than 60 % of what the camera gives. The device is too busy; receivers see the
 * motion in steps (their stats' `motionLimit: 'sender'`), or stalled ('no-data'), so the sender
 * should be told. A slow camera (low light) is not it.
 */
export function trackingBehind(stats: Pick<PublisherStats, 'fps' | 'cameraFps'>): boolean {
  return stats.cameraFps > 0 && stats.fps < Math.min(MIN_SMOOTH_FPS, 0.6 * stats.cameraFps);
}

export type PublisherEvents = {
  /** The face appeared (false) or disappeared (true). */
  faceLost: [lost: boolean];
  stats: [stats: PublisherStats];
  /** One encoded packet was sent (after `sink.send`). */
  packet: [bytes: Uint8Array, frame: FaceFrame];
  error: [error: Error];
};

export interface LandmarkPublisherOptions {
  source: CameraSource;
  tracker: FaceTracker;
  sink: PacketSink;
  /**
   * The sender's neutral shape in the codec's canonical form. Given for a self-avatar
   * (derived from the embedding, so receivers decode exactly); otherwise estimated from
   * the first frames (impersonation: the receivers animate the avatar's own neutral).
   */
  neutral?: Float32Array;
  streamId?: number;
  /**
   * While this returns false, frames go out as face-lost packets: receivers hold, then
   * show the enrollment photo (the identity guard closes it when the live face is not
   * the enrolled one).
   */
  gate?: () => boolean;
}

export class LandmarkPublisher extends TypedEmitter<PublisherEvents> {
  readonly #options: LandmarkPublisherOptions;
  #encoder: LandmarkEncoder | null = null;
  #warmup: FaceFrame[] = [];
  #running = false;
  #loopDone: Promise<void> = Promise.resolve();
  #lost: boolean | null = null;
  #lastLostPacket = -Infinity;
  readonly #stats: PublisherStats = { framesTracked: 0, framesWithFace: 0, packetsSent: 0, bytesSent: 0, kbps: 0, trackerMs: 0, fps: 0, cameraFps: 0 };
  #window = { start: 0, bytes: 0, ms: 0, frames: 0, seen: 0 };

  constructor(options: LandmarkPublisherOptions) {
    super();
    this.#options = options;
  }

  get stats(): Readonly<PublisherStats> {
    return this.#stats;
  }

  /** Asks for a keyframe (a receiver joined or asked). */
  requestKeyframe(): void {
    this.#encoder?.requestKeyframe();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#window = { start: performance.now(), bytes: 0, ms: 0, frames: 0, seen: this.#options.source.framesSeen };
    this.#loopDone = this.#loop();
  }

  /** Stops; resolves once the frame in flight (if any) has been tracked and dropped. */
  stop(): Promise<void> {
    this.#running = false;
    return this.#loopDone;
  }

  async #loop(): Promise<void> {
    const { source, tracker } = this.#options;
    while (this.#running) {
      const cam = await source.next();
      if (!cam || !this.#running) {
        cam?.bitmap.close();
        break;
      }
      try {
        const aspect = cam.height / cam.width;
        const { frame, ms } = await tracker.track(cam.bitmap, cam.t);
        const open = this.#options.gate?.() ?? true;
        this.#onTracked(open ? { ...frame, t: cam.t } : { t: cam.t, landmarks: null, blendshapes: null, matrix: null }, ms, aspect);
      } catch (err) {
        this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  #encoderFor(frame: FaceFrame, aspect: number): LandmarkEncoder | null {
    if (this.#encoder) return this.#encoder;
    const basis = defaultBasis();
    let neutral = this.#options.neutral;
    if (!neutral) {
      if (frame.landmarks) this.#warmup.push(frame);
      if (this.#warmup.length < NEUTRAL_WARMUP_FRAMES) return null;
      neutral = estimateNeutral(this.#warmup, basis.template, aspect);
      this.#warmup = [];
    }
    this.#encoder = createEncoder({ neutral, aspect, basis, streamId: this.#options.streamId ?? 0 });
    return this.#encoder;
  }

  #onTracked(frame: FaceFrame, trackerMs: number, aspect: number): void {
    const s = this.#stats;
    s.framesTracked++;
    const lost = frame.landmarks === null;
    if (!lost) s.framesWithFace++;
    if (lost !== this.#lost) {
      this.#lost = lost;
      this.safeEmit('faceLost', lost);
    }
    const encoder = this.#encoderFor(frame, aspect);
    let sent = 0;
    if (encoder && (!lost || frame.t - this.#lastLostPacket >= FACE_LOST_INTERVAL_MS)) {
      if (lost) this.#lastLostPacket = frame.t;
      const bytes = encoder.encode(frame);
      this.#options.sink.send(bytes);
      sent = bytes.byteLength;
      s.packetsSent++;
      s.bytesSent += sent;
      this.safeEmit('packet', bytes, frame);
    }
    const w = this.#window;
    w.bytes += sent;
    w.ms += trackerMs;
    w.frames++;
    const elapsed = performance.now() - w.start;
    if (elapsed >= 2000) {
      s.kbps = (w.bytes * 8) / elapsed;
      s.trackerMs = w.ms / w.frames;
      s.fps = (w.frames * 1000) / elapsed;
      const seen = this.#options.source.framesSeen;
      s.cameraFps = ((seen - w.seen) * 1000) / elapsed;
      this.#window = { start: performance.now(), bytes: 0, ms: 0, frames: 0, seen };
      this.safeEmit('stats', { ...s });
    }
  }
}
