/**
 * Browser side of `npm run track` and the tracking e2e test: the real `FaceTracker`,
 * fed raw RGBA frames fetched from the local server.
 */
import { FaceTracker } from '../../src/tracking/index.ts';
import type { FaceTrackerOptions, LandmarkMode } from '../../src/tracking/index.ts';

export interface PageInitOptions {
  delegate: 'auto' | 'GPU' | 'CPU';
  thread: 'auto' | 'worker' | 'main';
  mode: LandmarkMode;
  smoothing: boolean;
}

export interface PageTrackResult {
  t: number;
  landmarks: number[] | null;
  blendshapes: number[] | null;
  matrix: number[] | null;
  /** Time in FaceLandmarker. */
  ms: number;
  /** Time from fetch start to result (fetch, ImageBitmap, transfer, landmarker). */
  totalMs: number;
}

export interface VisagePageApi {
  init(o: PageInitOptions): Promise<{ delegate: string; thread: string; fallbackReasons: string[] }>;
  /** `still`: a still photo among the camera's frames (FaceTracker.track's `still`). */
  track(url: string, width: number, height: number, t: number, still?: boolean): Promise<PageTrackResult>;
  close(): Promise<void>;
}

let tracker: FaceTracker | null = null;

const api: VisagePageApi = {
  async init(o) {
    const options: FaceTrackerOptions = {
      delegate: o.delegate,
      thread: o.thread,
      mode: o.mode,
      smoothing: o.smoothing ? {} : false,
      workerFactory: () => new Worker('/bundle/tracker.worker.js', { type: 'module', name: 'visage-face-tracker' }),
    };
    tracker = await FaceTracker.create(options);
    return { delegate: tracker.delegate, thread: tracker.thread, fallbackReasons: [...tracker.fallbackReasons] };
  },
  async track(url, width, height, t, still = false) {
    if (!tracker) throw new Error('init() first');
    const t0 = performance.now();
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    const pixels = new Uint8ClampedArray(await res.arrayBuffer());
    const bitmap = await createImageBitmap(new ImageData(pixels, width, height));
    const { frame, ms } = await tracker.track(bitmap, t, { still });
    return {
      t: frame.t,
      landmarks: frame.landmarks ? Array.from(frame.landmarks) : null,
      blendshapes: frame.blendshapes ? Array.from(frame.blendshapes) : null,
      matrix: frame.matrix ? Array.from(frame.matrix) : null,
      ms,
      totalMs: performance.now() - t0,
    };
  },
  async close() {
    await tracker?.close();
    tracker = null;
  },
};

(globalThis as unknown as { visage: VisagePageApi }).visage = api;
