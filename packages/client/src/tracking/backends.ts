/**
 * Where FaceLandmarker runs, behind one interface: a module Worker (preferred) or
 * the main thread (fallback). `FaceTracker` picks one; tests can inject either.
 */
import type { FaceLandmarker } from '@mediapipe/tasks-vision';
import type { FaceFrame } from '@visage/protocol';
import { detectFrame, loadLandmarker } from './landmarker.ts';
import type { LandmarkerConfig, TrackerDelegate } from './landmarker.ts';
import type { FromWorker, ToWorker, TransferableFrame } from './worker-protocol.ts';

/** Anything FaceTracker accepts; ImageBitmap and VideoFrame are consumed (closed). */
export type TrackerInput = TransferableFrame | HTMLVideoElement | HTMLCanvasElement | OffscreenCanvas | ImageData | HTMLImageElement;

export interface BackendInfo {
  delegate: TrackerDelegate;
  gpuError?: string;
}

export interface TrackerBackend {
  readonly thread: 'worker' | 'main';
  init(config: LandmarkerConfig): Promise<BackendInfo>;
  /** Detects on `input` at `t` ms; `ms` is the time spent in the landmarker. */
  detect(input: TrackerInput, t: number): Promise<{ frame: FaceFrame; ms: number }>;
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
  #landmarker: FaceLandmarker | null = null;

  async init(config: LandmarkerConfig): Promise<BackendInfo> {
    const loaded = await loadLandmarker(config);
    this.#landmarker = loaded.landmarker;
    return { delegate: loaded.delegate, ...(loaded.gpuError ? { gpuError: loaded.gpuError } : {}) };
  }

  async detect(input: TrackerInput, t: number): Promise<{ frame: FaceFrame; ms: number }> {
    const lm = this.#landmarker;
    if (!lm) throw new Error('main-thread tracker not initialised');
    try {
      const t0 = performance.now();
      const frame = detectFrame(lm, input as Exclude<TrackerInput, ImageData>, t);
      return { frame, ms: performance.now() - t0 };
    } finally {
      if (isTransferable(input)) input.close();
    }
  }

  async close(): Promise<void> {
    this.#landmarker?.close();
    this.#landmarker = null;
  }
}

interface Pending {
  resolve: (msg: FromWorker) => void;
  reject: (err: Error) => void;
}

export class WorkerBackend implements TrackerBackend {
  readonly thread = 'worker' as const;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: Error | null = null;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const p = this.#pending.get(ev.data.id);
      if (!p) return;
      this.#pending.delete(ev.data.id);
      if (ev.data.type === 'error') p.reject(new Error(ev.data.message));
      else p.resolve(ev.data);
    };
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      this.#fail(new Error(`tracker worker failed: ${ev.message || 'script error (could not load the worker module)'}`));
    };
    worker.onmessageerror = () => this.#fail(new Error('tracker worker sent a message that could not be deserialised'));
  }

  #fail(err: Error): void {
    this.#dead = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  #call(msg: ToWorker, transfer: Transferable[] = []): Promise<FromWorker> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#pending.set(msg.id, { resolve, reject });
      this.#worker.postMessage(msg, transfer);
    });
  }

  async init(config: LandmarkerConfig): Promise<BackendInfo> {
    const msg = await this.#call({ type: 'init', id: this.#nextId++, config });
    if (msg.type !== 'ready') throw new Error(`unexpected worker reply ${msg.type}`);
    return { delegate: msg.delegate, ...(msg.gpuError ? { gpuError: msg.gpuError } : {}) };
  }

  async detect(input: TrackerInput, t: number): Promise<{ frame: FaceFrame; ms: number }> {
    let frame: TransferableFrame;
    if (isTransferable(input)) frame = input;
    else frame = await createImageBitmap(input);
    const msg = await this.#call({ type: 'detect', id: this.#nextId++, frame, t }, [frame]);
    if (msg.type !== 'result') throw new Error(`unexpected worker reply ${msg.type}`);
    return { frame: msg.frame, ms: msg.ms };
  }

  async close(): Promise<void> {
    try {
      if (!this.#dead) await this.#call({ type: 'close', id: this.#nextId++ });
    } finally {
      this.#worker.terminate();
      this.#fail(new Error('tracker worker closed'));
    }
  }
}
