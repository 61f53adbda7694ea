/**
 * `FaceIdentity` in a module Worker: the same `describe`/`describeAll` surface, with the
 * image transferred (ImageBitmap) or copied (ImageData) to the worker. `createFaceIdentity`
 * prefers the worker and falls back to the main thread when the worker cannot start.
 */
import { WorkerRpc } from '../util/worker-rpc.ts';
import { FaceIdentity, pickFace, type FaceIdentityOptions, type IdentityFace, type IdentityInput, type PixelBox } from './face-identity.ts';
import type { IdentityFromWorker, IdentityToWorker } from './worker-protocol.ts';

/** What the identity guard and enrollment need from face recognition, wherever it runs. */
export interface FaceDescriber {
  readonly backend: string;
  /** 'worker' or 'main'. */
  readonly thread: 'worker' | 'main';
  describeAll(image: IdentityInput): Promise<IdentityFace[]>;
  describe(image: IdentityInput, hint?: PixelBox): Promise<IdentityFace | null>;
  dispose(): void;
}

export interface FaceIdentityThreadOptions {
  /** 'auto' (default): a module Worker, falling back to the main thread. */
  thread?: 'auto' | 'worker' | 'main';
  /**
   * Creates the module Worker. Default: `identity.worker.ts` next to this file via
   * `new URL(..., import.meta.url)` (what Vite bundles); other bundlers pass a factory.
   */
  workerFactory?: () => Worker;
}

function defaultWorkerFactory(): Worker {
  return new Worker(new URL('./identity.worker.ts', import.meta.url), { type: 'module', name: 'visage-face-identity' });
}

export class WorkerFaceIdentity implements FaceDescriber {
  readonly thread = 'worker' as const;
  readonly #rpc: WorkerRpc<IdentityToWorker, IdentityFromWorker>;
  #backend = '';
  #disposed = false;

  private constructor(worker: Worker) {
    this.#rpc = new WorkerRpc(worker, 'face identity');
  }

  static async create(options: Partial<FaceIdentityOptions>, worker: Worker): Promise<WorkerFaceIdentity> {
    const identity = new WorkerFaceIdentity(worker);
    try {
      identity.#backend = (await identity.#rpc.call({ type: 'init', options }, 'ready')).backend;
    } catch (err) {
      identity.#rpc.terminate();
      throw err;
    }
    return identity;
  }

  get backend(): string {
    return this.#backend;
  }

  /** Live tfjs tensors in the worker (for leak checks). */
  async numTensors(): Promise<number> {
    return (await this.#rpc.call({ type: 'numTensors' }, 'numTensors')).numTensors;
  }

  async describeAll(image: IdentityInput): Promise<IdentityFace[]> {
    if (this.#disposed) throw new Error('FaceIdentity is disposed');
    let payload: ImageBitmap | ImageData;
    if (image instanceof ImageData) payload = image;
    else if (image instanceof ImageBitmap) payload = await createImageBitmap(image); // the caller keeps (and closes) its own
    else payload = await createImageBitmap(image);
    return (await this.#rpc.call({ type: 'describe', image: payload }, 'faces', payload instanceof ImageBitmap ? [payload] : [])).faces;
  }

  async describe(image: IdentityInput, hint?: PixelBox): Promise<IdentityFace | null> {
    return pickFace(await this.describeAll(image), hint);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    void this.#rpc.call({ type: 'dispose' }, 'disposed').catch(() => undefined).finally(() => this.#rpc.terminate());
  }
}

/** Face recognition off the main thread when possible (see `FaceIdentityThreadOptions`). */
export async function createFaceIdentity(options: Partial<FaceIdentityOptions> & FaceIdentityThreadOptions = {}): Promise<FaceDescriber> {
  const { thread = 'auto', workerFactory = defaultWorkerFactory, ...rest } = options;
  if (thread !== 'main' && typeof Worker !== 'undefined') {
    try {
      return await WorkerFaceIdentity.create(rest, workerFactory());
    } catch (err) {
      if (thread === 'worker') throw err;
      console.warn(`visage: face identity worker unavailable (${err instanceof Error ? err.message : String(err)}); running on the main thread`);
    }
  }
  return FaceIdentity.create(rest);
}
