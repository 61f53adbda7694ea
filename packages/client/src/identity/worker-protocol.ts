/** Messages between `WorkerFaceIdentity` (main thread) and `identity.worker.ts`. */
import type { FaceIdentityOptions, IdentityFace } from './face-identity.ts';

export type IdentityToWorker =
  | { type: 'init'; id: number; options: Partial<FaceIdentityOptions> }
  | { type: 'describe'; id: number; image: ImageBitmap | ImageData }
  | { type: 'numTensors'; id: number }
  | { type: 'dispose'; id: number };

export type IdentityFromWorker =
  | { type: 'ready'; id: number; backend: string }
  | { type: 'faces'; id: number; faces: IdentityFace[] }
  | { type: 'numTensors'; id: number; numTensors: number }
  | { type: 'disposed'; id: number }
  | { type: 'error'; id: number; message: string };
