import type { FaceFrame } from '@visage/protocol';
import { VisageError } from '@visage/protocol';
import { MainThreadBackend, WorkerBackend } from './backends.ts';
import type { TrackerBackend, TrackerInput } from './backends.ts';
import { FaceSmoother } from './face-smoother.ts';
import type { FaceSmootherOptions } from './face-smoother.ts';
import { DEFAULT_LANDMARK_MODE, LANDMARK_MODES, smoothedByDefault } from './landmark-mode.ts';
import type { LandmarkMode } from './landmark-mode.ts';
import type { LandmarkerConfig, TrackerDelegate } from './landmarker.ts';

/** Where the app serves the repo's `models/mediapipe/face_landmarker.task` (never a CDN). */
export const DEFAULT_MODEL_ASSET_PATH = '/models/mediapipe/face_landmarker.task';
/** Where the app serves `node_modules/@mediapipe/tasks-vision/wasm` (never a CDN). */
export const DEFAULT_WASM_BASE_PATH = '/mediapipe/wasm';

export interface FaceTrackerOptions {
  /** URL of the model bundle. Default `DEFAULT_MODEL_ASSET_PATH`. */
  modelAssetPath?: string;
  /** URL of the tasks-vision wasm folder. Default `DEFAULT_WASM_BASE_PATH`. */
  wasmBasePath?: string;
  /** 'auto' (default) uses the GPU delegate when it loads, CPU otherwise. */
  delegate?: 'auto' | TrackerDelegate;
  /** 'auto' (default) runs in a module Worker and falls back to the main thread. */
  thread?: 'auto' | 'worker' | 'main';
  /**
   * Creates the tracker's module Worker. Default: `tracker.worker.ts` next to this file
   * via `new URL(..., import.meta.url)` (what Vite bundles); bundlers that do not
   * rewrite that pattern must pass a factory.
   */
  workerFactory?: () => Worker;
  /**
   * 'per-frame' (default, `DEFAULT_LANDMARK_MODE`): the face found and its landmarks measured
   * in every frame, then One-Euro smoothed (`smoothing`). 'video': MediaPipe's VIDEO mode, which
   * follows the face from the previous frame and smooths its landmarks inside MediaPipe (see
   * `LandmarkMode`).
   */
  mode?: LandmarkMode;
  /**
   * One-Euro smoothing of the tracker's output (options over `DEFAULT_FACE_SMOOTHING`), or
   * `false` for the landmarks as MediaPipe gives them. Default: `DEFAULT_FACE_SMOOTHING` in
   * 'per-frame' mode, `false` in 'video' mode (MediaPipe smooths those already).
   */
  smoothing?: Partial<FaceSmootherOptions> | false;
  /** MediaPipe thresholds, each default 0.5. */
  minFaceDetectionConfidence?: number;
  minFacePresenceConfidence?: number;
  minTrackingConfidence?: number;
}

export interface TrackResult {
  frame: FaceFrame;
  /** Milliseconds spent in FaceLandmarker for this frame. */
  ms: number;
}

function defaultWorkerFactory(): Worker {
  return new Worker(new URL('./tracker.worker.ts', import.meta.url), { type: 'module', name: 'visage-face-tracker' });
}

function checkConfidence(name: string, v: number | undefined): number {
  const value = v ?? 0.5;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new TypeError(`${name} must be in [0, 1], got ${String(v)}`);
  return value;
}

/**
 * Tracks one face per frame with MediaPipe FaceLandmarker (478 landmarks, 52 blendshapes,
 * facial transformation matrix): measured afresh in every frame and One-Euro smoothed (the
 * default), or in MediaPipe's VIDEO mode (`mode`, see `LandmarkMode`).
 *
 * ```ts
 * const tracker = await FaceTracker.create();
 * console.log(tracker.delegate, tracker.thread); // e.g. 'GPU', 'worker'
 * const frame = await tracker.track(await createImageBitmap(video), performance.now());
 * ```
 */
export class FaceTracker {
  /** The delegate actually in use. */
  readonly delegate: TrackerDelegate;
  /** Where the landmarker runs. */
  readonly thread: 'worker' | 'main';
  /** How it follows the face from frame to frame. */
  readonly mode: LandmarkMode;
  /** Why the preferred set-up was not used (GPU failed, Worker unavailable), if so. */
  readonly fallbackReasons: readonly string[];
  readonly #backend: TrackerBackend;
  readonly #smoother: FaceSmoother | null;
  #lastT = -Infinity;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(backend: TrackerBackend, delegate: TrackerDelegate, mode: LandmarkMode, reasons: string[], smoother: FaceSmoother | null) {
    this.#backend = backend;
    this.delegate = delegate;
    this.mode = mode;
    this.thread = backend.thread;
    this.fallbackReasons = Object.freeze(reasons);
    this.#smoother = smoother;
  }

  static async create(options: FaceTrackerOptions = {}): Promise<FaceTracker> {
    const delegate = options.delegate ?? 'auto';
    if (!['auto', 'GPU', 'CPU'].includes(delegate)) throw new TypeError(`delegate must be 'auto', 'GPU' or 'CPU', got ${String(delegate)}`);
    const thread = options.thread ?? 'auto';
    if (!['auto', 'worker', 'main'].includes(thread)) throw new TypeError(`thread must be 'auto', 'worker' or 'main', got ${String(thread)}`);
    const mode = options.mode ?? DEFAULT_LANDMARK_MODE;
    if (!LANDMARK_MODES.includes(mode)) throw new TypeError(`mode must be one of ${LANDMARK_MODES.join(', ')}, got ${String(mode)}`);
    const config: LandmarkerConfig = {
      modelAssetPath: new URL(options.modelAssetPath ?? DEFAULT_MODEL_ASSET_PATH, globalThis.location?.href).href,
      wasmBasePath: new URL(options.wasmBasePath ?? DEFAULT_WASM_BASE_PATH, globalThis.location?.href).href.replace(/\/$/, ''),
      delegate,
      minFaceDetectionConfidence: checkConfidence('minFaceDetectionConfidence', options.minFaceDetectionConfidence),
      minFacePresenceConfidence: checkConfidence('minFacePresenceConfidence', options.minFacePresenceConfidence),
      minTrackingConfidence: checkConfidence('minTrackingConfidence', options.minTrackingConfidence),
      mode,
    };
    const smoothing = options.smoothing ?? (smoothedByDefault(mode) ? {} : false);
    const smoother = smoothing ? new FaceSmoother(smoothing) : null;
    const reasons: string[] = [];

    if (thread !== 'main') {
      let backend: WorkerBackend | null = null;
      try {
        if (typeof Worker === 'undefined') throw new Error('Worker is not available here');
        if (typeof createImageBitmap === 'undefined') throw new Error('createImageBitmap is not available here');
        backend = new WorkerBackend((options.workerFactory ?? defaultWorkerFactory)());
        const info = await backend.init(config);
        if (info.gpuError) reasons.push(`GPU delegate unavailable: ${info.gpuError}`);
        return new FaceTracker(backend, info.delegate, mode, reasons, smoother);
      } catch (err) {
        await backend?.close().catch(() => {});
        const message = err instanceof Error ? err.message : String(err);
        if (thread === 'worker') throw new VisageError('internal', `face tracker failed to start in a Worker: ${message}`, { cause: err });
        reasons.push(`Worker unavailable, tracking on the main thread: ${message}`);
      }
    }
    const backend = new MainThreadBackend();
    try {
      const info = await backend.init(config);
      if (info.gpuError) reasons.push(`GPU delegate unavailable: ${info.gpuError}`);
      return new FaceTracker(backend, info.delegate, mode, reasons, smoother);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new VisageError('internal', `face tracker failed to load (${config.modelAssetPath}): ${message}`, { cause: err });
    }
  }

  /**
   * Tracks one frame captured at `timestampMs` (wall-clock ms, `Date.now()` scale, for
   * every caller of one tracker: camera frames and enrollment stills share it). Calls
   * that overlap are queued and run in order; a timestamp that is not after the previous
   * one is moved 1 ms past it (MediaPipe needs them increasing), so stills taken while
   * the camera is tracked never fail. ImageBitmap and VideoFrame inputs are consumed: the
   * tracker closes them. The frame's size is needed for smoothing and is read from the input.
   * `still: true` marks a still photo among the camera's frames (enrollment): it is left out of
   * the smoothing, and in 'per-frame' mode its face is the largest one in it and does not become
   * the face the camera's next frame continues. (In 'video' mode the still does go through
   * MediaPipe's tracking, which then looks for the camera's next face where the still's was.)
   */
  track(input: TrackerInput, timestampMs: number, options: { still?: boolean } = {}): Promise<TrackResult> {
    if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) {
      return Promise.reject(new TypeError(`timestampMs must be a finite number, got ${String(timestampMs)}`));
    }
    const run = this.#queue.then(() => this.#trackNow(input, timestampMs, options.still ?? false));
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #trackNow(input: TrackerInput, timestampMs: number, still: boolean): Promise<TrackResult> {
    if (this.#closed) throw VisageError.invalidState('FaceTracker is closed');
    const t = timestampMs > this.#lastT ? timestampMs : this.#lastT + 1;
    const [w, h] = inputSize(input);
    this.#lastT = t;
    const { frame, ms } = await this.#backend.detect(input, t, still);
    return { frame: this.#smoother && !still ? this.#smoother.smooth(frame, w, h) : frame, ms };
  }

  /** Releases the landmarker (and the Worker). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#backend.close();
  }
}

function inputSize(input: TrackerInput): [number, number] {
  if (typeof VideoFrame !== 'undefined' && input instanceof VideoFrame) return [input.displayWidth, input.displayHeight];
  if (typeof HTMLVideoElement !== 'undefined' && input instanceof HTMLVideoElement) return [input.videoWidth, input.videoHeight];
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) return [input.naturalWidth, input.naturalHeight];
  const sized = input as { width: number; height: number };
  return [sized.width, sized.height];
}
