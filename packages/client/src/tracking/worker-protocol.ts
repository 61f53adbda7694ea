/** Messages between `FaceTracker` (main thread) and `tracker.worker.ts`. */
import type { FaceFrame } from '@visage/protocol';
import type { LandmarkerConfig, TrackerDelegate } from './landmarker.ts';

/** Frames a Worker can receive (transferred, then closed by the worker). */
export type TransferableFrame = ImageBitmap | VideoFrame;

export type ToWorker =
  | { type: 'init'; id: number; config: LandmarkerConfig }
  | { type: 'detect'; id: number; frame: TransferableFrame; t: number; still?: boolean }
  | { type: 'close'; id: number };

export type FromWorker =
  | { type: 'ready'; id: number; delegate: TrackerDelegate; gpuError?: string }
  | { type: 'result'; id: number; frame: FaceFrame; ms: number }
  | { type: 'closed'; id: number }
  | { type: 'error'; id: number; message: string };
