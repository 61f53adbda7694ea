/**
 * Where FaceLandmarker runs, behind one interface: a module Worker (preferred) or
 * the main thread (fallback). `FaceTracker` picks one; tests can inject either.
 */
import type { FaceFrame } from '@visage/protocol';
import { detectFrame, loadLandmarker } from './landmarker.ts';
import type { LandmarkerConfig, LoadedLandmarker, TrackerDelegate } from './landmarker.ts';
import type { FromWorker, ToWorker, TransferableFrame } from './worker-protocol.ts';
import { WorkerRpc } from '../util/worker-rpc.ts';

/** Anything FaceTracker accepts; ImageBitmap and VideoFrame are consumed (closed). */
export type TrackerInput = TransferableFrame | HTMLVideoElement | HTMLCanvasElement | OffscreenCanvas | ImageData | HTMLImageElement;

export interface BackendInfo {
  delegate: TrackerDelegate;
  gpuError?: string;
}

export interface TrackerBackend {
  readonly thread: 'worker' | 'main';
  init(config: LandmarkerConfig): Promise<BackendInfo>;
  /** Detects on `input` at `t` ms (`still`: see `detectFrame`); `ms` is the time spent in the landmarker. */
  detect(input: TrackerInput, t: number, still?: boolean): Promise<{ frame: FaceFrame; ms: number }>;
  close(): Promise<void>;
}

function isTransferable(input: TrackerInput): input is TransferableFrame {
  return (
    (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) ||
    (typeof VideoFrame !== 'undefined' && input instanceof VideoFrame)
  );
}

export class MainThreadBackend implements TrackerBackend {
  readonly thread = 'main' as const;
  #landmarker: LoadedLandmarker | null = null;

  async init(config: LandmarkerConfig): Promise<BackendInfo> {
    const loaded = await loadLandmarker(config);
    this.#landmarker = loaded;
    return { delegate: loaded.delegate, ...(loaded.gpuError ? { gpuError: loaded.gpuError } : {}) };
  }

  async detect(input: TrackerInput, t: number, still = false): Promise<{ frame: FaceFrame; ms: number }> {
    const lm = this.#landmarker;
    if (!lm) throw new Error('main-thread tracker not initialised');
    try {
      const t0 = performance.now();
      const frame = detectFrame(lm, input as Exclude<TrackerInput, ImageData>, t, still);
      return { frame, ms: performance.now() - t0 };
    } finally {
      if (isTransferable(input)) input.close();
    }
  }

  async close(): Promise<void> {
    this.#landmarker?.landmarker.close();
    this.#landmarker = null;
  }
}

export class WorkerBackend implements TrackerBackend {
  readonly thread = 'worker' as const;
  readonly #rpc: WorkerRpc<ToWorker, FromWorker>;

  constructor(worker: Worker) {
    this.#rpc = new WorkerRpc(worker, 'tracker');
  }

  async init(config: LandmarkerConfig): Promise<BackendInfo> {
    const msg = await this.#rpc.call({ type: 'init', config }, 'ready');
    return { delegate: msg.delegate, ...(msg.gpuError ? { gpuError: msg.gpuError } : {}) };
  }

  async detect(input: TrackerInput, t: number, still = false): Promise<{ frame: FaceFrame; ms: number }> {
    let frame: TransferableFrame;
    if (isTransferable(input)) frame = input;
    else frame = await createImageBitmap(input);
    const msg = await this.#rpc.call({ type: 'detect', frame, t, ...(still ? { still } : {}) }, 'result', [frame]);
    return { frame: msg.frame, ms: msg.ms };
  }

  async close(): Promise<void> {
    try {
      if (!this.#rpc.dead) await this.#rpc.call({ type: 'close' }, 'closed');
    } finally {
      this.#rpc.terminate();
    }
  }
}
