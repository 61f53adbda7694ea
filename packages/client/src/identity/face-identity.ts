/**
 * Face-recognition descriptors in the browser: @vladmandic/human's pipeline (BlazeFace
 * detector → FaceMesh crop, rotation-corrected → HSE FaceRes descriptor, 1024 floats) on
 * tfjs. Default backend: wasm, single-threaded SIMD (the threaded build needs blob:
 * workers, which our CSP forbids; WebGL in headless Chromium is SwiftShader). Models and wasm come from our own origin
 * (`modelBasePath`, `wasmPath`), never a CDN; nothing is cached in IndexedDB.
 */
import { Human } from '@vladmandic/human';
import type { Config } from '@vladmandic/human';
import type { FaceDescriptor } from './similarity.ts';

export type IdentityBackend = 'wasm' | 'webgl' | 'cpu';

export interface FaceIdentityOptions {
  /** URL folder holding human's blazeface/facemesh/faceres .json + .bin. Default '/models/human/'. */
  modelBasePath: string;
  /** URL folder holding tfjs-backend-wasm's .wasm files. Default '/tfjs-wasm/'. */
  wasmPath: string;
  /** tfjs backend. Default 'wasm'. */
  backend: IdentityBackend;
  /** Most faces looked at per image. Default 4. */
  maxFaces: number;
  /** Detector confidence. Default 0.3. */
  minConfidence: number;
}

export const DEFAULT_FACE_IDENTITY_OPTIONS: Readonly<FaceIdentityOptions> = Object.freeze({
  modelBasePath: '/models/human/',
  wasmPath: '/tfjs-wasm/',
  backend: 'wasm',
  maxFaces: 4,
  minConfidence: 0.3,
});

/** A face box in pixels: x, y (top-left), width, height. */
export type PixelBox = readonly [number, number, number, number];

export interface IdentityFace {
  descriptor: FaceDescriptor;
  /** Where human found the face, px. */
  box: PixelBox;
  /** Human's face confidence, 0..1. */
  score: number;
}

/** What `describe` accepts: anything human takes as browser input. */
export type IdentityInput = ImageData | ImageBitmap | HTMLImageElement | HTMLVideoElement | HTMLCanvasElement | OffscreenCanvas;

function iou(a: PixelBox, b: PixelBox): number {
  const x0 = Math.max(a[0], b[0]), y0 = Math.max(a[1], b[1]);
  const x1 = Math.min(a[0] + a[2], b[0] + b[2]), y1 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter || 1);
}

/** Picks the face overlapping `hint` most, or the largest face without a hint. */
export function pickFace<T extends { box: PixelBox }>(faces: readonly T[], hint?: PixelBox): T | null {
  let best: T | null = null, bestScore = -Infinity;
  for (const f of faces) {
    const s = hint ? iou(f.box, hint) : f.box[2] * f.box[3];
    if (s > bestScore) { best = f; bestScore = s; }
  }
  if (hint && best && bestScore <= 0) return null;
  return best;
}

export class FaceIdentity {
  /** Where this instance computes: a worker's global scope or the page's main thread. */
  readonly thread: 'worker' | 'main' = typeof document === 'undefined' ? 'worker' : 'main';
  readonly #human: Human;
  #disposed = false;
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(human: Human) {
    this.#human = human;
  }

  static async create(options: Partial<FaceIdentityOptions> = {}): Promise<FaceIdentity> {
    const o: FaceIdentityOptions = { ...DEFAULT_FACE_IDENTITY_OPTIONS, ...options };
    if (!(Number.isInteger(o.maxFaces) && o.maxFaces >= 1)) throw new TypeError(`maxFaces must be a positive integer, got ${o.maxFaces}`);
    const config: Partial<Config> = {
      backend: o.backend,
      modelBasePath: o.modelBasePath,
      wasmPath: o.wasmPath,
      debug: false,
      async: true,
      warmup: 'none',
      cacheModels: false,
      // Every call is a fresh still: never reuse a previous frame's result.
      cacheSensitivity: 0,
      filter: { enabled: false },
      gesture: { enabled: false },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      segmentation: { enabled: false },
      face: {
        enabled: true,
        detector: { rotation: true, maxDetected: o.maxFaces, minConfidence: o.minConfidence, skipFrames: 0, skipTime: 0, return: false },
        mesh: { enabled: true },
        iris: { enabled: false },
        emotion: { enabled: false },
        attention: { enabled: false },
        antispoof: { enabled: false },
        liveness: { enabled: false },
        description: { enabled: true, skipFrames: 0, skipTime: 0 },
      },
    };
    const human = new Human(config);
    // Threaded wasm starts its pthreads from blob: URLs, which the no-phone-home CSP
    // (`worker-src 'self'`) blocks — and the backend then hangs. Single-threaded SIMD.
    if (o.backend === 'wasm') human.tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await human.load();
    const backend = String(human.tf.getBackend());
    if (backend !== o.backend) throw new Error(`FaceIdentity: tfjs backend '${o.backend}' did not start (got '${backend}')`);
    return new FaceIdentity(human);
  }

  /** The tfjs backend in use. */
  get backend(): string {
    return String(this.#human.tf.getBackend());
  }

  /** Live tfjs tensors (for leak checks). */
  get numTensors(): number {
    return (this.#human.tf.memory() as { numTensors: number }).numTensors;
  }

  /** Descriptors of every face found (up to `maxFaces`). Calls are serialised. */
  describeAll(image: IdentityInput): Promise<IdentityFace[]> {
    if (this.#disposed) return Promise.reject(new Error('FaceIdentity is disposed'));
    const run = this.#busy.then(async () => {
      const result = await this.#human.detect(image);
      if (result.error) throw new Error(`FaceIdentity: ${result.error}`);
      const faces: IdentityFace[] = [];
      for (const f of result.face) {
        if (!f.embedding || f.embedding.length === 0) continue;
        faces.push({ descriptor: Float32Array.from(f.embedding), box: [f.box[0], f.box[1], f.box[2], f.box[3]], score: f.score });
      }
      return faces;
    });
    this.#busy = run.catch(() => undefined);
    return run;
  }

  /**
   * The descriptor of one face: the one overlapping `hint` (e.g. the tracker's landmark
   * box) most, or the largest; null when no face is found there.
   */
  async describe(image: IdentityInput, hint?: PixelBox): Promise<IdentityFace | null> {
    return pickFace(await this.describeAll(image), hint);
  }

  /** Releases the models' tensors. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const model of Object.values(this.#human.models.models ?? {})) (model as { dispose?: () => void } | null)?.dispose?.();
  }
}

/**
 * A `DescriptorSource` for `IdentityGuard` from a live camera: grabs a frame (e.g.
 * `createImageBitmap(video)`), describes the face that `hint` points at (e.g. the tracker's
 * landmark box) or the largest, and closes the frame.
 */
export function cameraDescriptorSource(
  identity: Pick<FaceIdentity, 'describe'>,
  grab: () => Promise<IdentityInput | null>,
  hint?: () => PixelBox | undefined,
): () => Promise<FaceDescriptor | null> {
  return async () => {
    const frame = await grab();
    if (!frame) return null;
    try {
      return (await identity.describe(frame, hint?.()))?.descriptor ?? null;
    } finally {
      if (typeof ImageBitmap !== 'undefined' && frame instanceof ImageBitmap) frame.close();
    }
  };
}
