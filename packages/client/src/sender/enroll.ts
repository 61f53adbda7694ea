/**
 * photos → landmarks → avatar embedding (bytes, hashed). Runs entirely in the
 * sender's browser: the photos never leave it; only the embedding is sent.
 */
import { embeddingByteLength, embeddingHash, encodeEmbedding, MAX_EMBEDDING_BYTES, SectionType, type AvatarEmbedding } from '@visage/protocol';
import { enrollWarpAvatar, mouthCoverage } from '../enrollment/atlas/enroll.ts';
import type { RgbaImage } from '../generator/image.ts';
import type { FaceTracker } from '../tracking/index.ts';
import { DEFAULT_FINE_TUNE_LAYERS } from '../generator/neural/sections.ts';

/** What apps may pass as an enrollment photo. */
export type PhotoInput = Blob | ImageBitmap | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageData;

export interface Enrollment {
  embedding: AvatarEmbedding;
  /** The encoded container, as sent on the reliable channel. */
  bytes: Uint8Array;
  /** Hex SHA-256 of `bytes`: receivers cache by it. */
  hash: string;
  /** Landmarks found per photo (for previews and checks). */
  landmarks: Float32Array[];
  images: RgbaImage[];
  /**
   * The avatar's mouths: how many photos' open mouths it carries (each frame draws the one nearest
   * its opening), and whether one shows teeth. With no teeth the warp draws a synthetic mouth; an
   * app can ask for a photo mid-word or smiling. Set by `enrollPhotos`.
   */
  mouths?: { open: number; teeth: boolean };
}

export class EnrollmentError extends Error {
  readonly photoIndex: number;
  constructor(photoIndex: number, message: string) {
    super(message);
    this.name = 'EnrollmentError';
    this.photoIndex = photoIndex;
  }
}

/** Decodes any photo input to RGBA pixels, scaled so the longest side is at most `maxSide`. */
export async function toRgba(input: PhotoInput, maxSide = 1024): Promise<RgbaImage> {
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    return { width: input.width, height: input.height, data: new Uint8ClampedArray(input.data) };
  }
  const bitmap = input instanceof ImageBitmap ? input : await createImageBitmap(input as ImageBitmapSource);
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new TypeError('no 2D context for decoding photos');
  ctx.drawImage(bitmap, 0, 0, width, height);
  if (bitmap !== input) bitmap.close();
  const { data } = ctx.getImageData(0, 0, width, height);
  return { width, height, data };
}

/** Stills are stamped on the same wall clock as camera frames (the tracker keeps them increasing). */
function nextStillTime(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Finds the face of a still, outside the smoothing of the camera's frames: measured once in
 * 'per-frame' mode; a 'video'-mode tracker is fed it a few times to settle.
 */
export async function landmarksOfStill(tracker: FaceTracker, image: RgbaImage): Promise<Float32Array | null> {
  let landmarks: Float32Array | null = null;
  for (let k = 0; k < (tracker.mode === 'per-frame' ? 1 : 3); k++) {
    const bitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height));
    landmarks = (await tracker.track(bitmap, nextStillTime(), { still: true })).frame.landmarks;
  }
  return landmarks;
}

export async function enrollPhotos(tracker: FaceTracker, photos: readonly PhotoInput[], name?: string): Promise<Enrollment> {
  if (photos.length < 1 || photos.length > 8) throw new TypeError(`enroll needs 1 to 8 photos, got ${photos.length}`);
  const images: RgbaImage[] = [];
  const landmarks: Float32Array[] = [];
  for (const [i, photo] of photos.entries()) {
    const image = await toRgba(photo);
    const lm = await landmarksOfStill(tracker, image);
    if (!lm) throw new EnrollmentError(i, `photo ${i + 1}: no face found — use a photo where your face is clearly visible`);
    images.push(image);
    landmarks.push(lm);
  }
  const { embedding, content } = await enrollWarpAvatar(
    images.map((image, i) => ({ image, landmarks: landmarks[i]! })),
    name !== undefined ? { name } : {},
  );
  const bytes = encodeEmbedding(embedding);
  return { embedding, bytes, hash: embeddingHash(bytes), landmarks, images, mouths: mouthCoverage(content) };
}

/** Options of the neural generator's part of enrollment (`withNeuralEnrollment`). */
export interface NeuralEnrollmentOptions {
  /** URL of the neural weights' model.json (default '/models/neural/model.json'). */
  weightsUrl?: string;
  /** Folder of tfjs-backend-wasm's .wasm files on your own origin (wasm is skipped without it). */
  wasmPath?: string;
  /** tfjs backend (default 'auto': WebGPU first). */
  backend?: 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  /**
   * Person-specific fine-tuning budget in seconds (needs 2 or more photos; 0 or absent: none).
   * The result travels in the embedding (AdaInParams, GeneratorWeights). Receivers run G only for
   * an avatar that carries tuned layers (NeuralGenerator `faceRefiner: 'fitted'`, the default).
   */
  fineTuneSeconds?: number;
  /** G blocks tuned besides ψ (default DEFAULT_FINE_TUNE_LAYERS: G/up.2 and G/out; [] tunes ψ only, which receivers' 'fitted' default does not count). */
  fineTuneLayers?: string[];
  signal?: AbortSignal;
  onProgress?: (p: { step: number; loss: number; seconds: number }) => void;
}

/** Result of `withNeuralEnrollment`: the enrollment with the neural sections, and what fine-tuning did. */
export interface NeuralEnrollmentResult {
  enrollment: Enrollment;
  fineTune: import('../generator/neural/fine-tune.ts').FineTuneReport | null;
  /** The tuned G layers did not fit under the embedding's size cap and were left out (ψ kept). */
  tunedLayersDropped: boolean;
}

/**
 * Adds the neural generator's sections to an enrollment, on this device: E's averaged vector and
 * ψ from the same photos (IdentityVector, AdaInParams), then, with `fineTuneSeconds`, the
 * person-specific fine-tuning. The photos stay here; the re-encoded embedding (new bytes and hash)
 * is what receivers get. tfjs and the weights load only when this is called.
 */
export async function withNeuralEnrollment(enrollment: Enrollment, options: NeuralEnrollmentOptions = {}): Promise<NeuralEnrollmentResult> {
  const seconds = options.fineTuneSeconds ?? 0;
  if (!(Number.isFinite(seconds) && seconds >= 0)) throw new TypeError(`fineTuneSeconds must be a number ≥ 0, got ${seconds}`);
  if (seconds > 0 && enrollment.images.length < 2) throw new TypeError('fine-tuning needs at least 2 enrollment photos');
  const [{ addNeuralSections }, { loadNeuralWeights }, { DEFAULT_NEURAL_WEIGHTS_URL }, { useTfBackend }] = await Promise.all([
    import('../generator/neural/enroll.ts'),
    import('../generator/neural/weights.ts'),
    import('../generator/neural/neural-generator.ts'),
    import('../generator/neural/tf-backend.ts'),
  ]);
  const backend = options.backend ?? 'auto';
  await useTfBackend(backend, options.wasmPath ? { wasmPath: options.wasmPath } : {});
  const weights = await loadNeuralWeights(options.weightsUrl ?? DEFAULT_NEURAL_WEIGHTS_URL);
  try {
    const common = { weights, backend, ...(options.wasmPath ? { wasmPath: options.wasmPath } : {}) };
    let embedding = await addNeuralSections(enrollment.embedding, enrollment.images, enrollment.landmarks, common);
    let fineTune: NeuralEnrollmentResult['fineTune'] = null;
    if (seconds > 0) {
      const { fineTuneNeural } = await import('../generator/neural/fine-tune.ts');
      const photos = enrollment.images.map((image, i) => ({ image, landmarks: enrollment.landmarks[i]! }));
      const r = await fineTuneNeural(embedding, photos, {
        ...common,
        maxSeconds: seconds,
        maxSteps: Number.MAX_SAFE_INTEGER,
        layers: options.fineTuneLayers ?? DEFAULT_FINE_TUNE_LAYERS,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      embedding = r.embedding;
      fineTune = r.report;
    }
    // The tuned layers are an optional extra: if they push the embedding over the size cap, ship ψ alone.
    let tunedLayersDropped = false;
    if (embeddingByteLength(embedding) > MAX_EMBEDDING_BYTES && embedding.sections.some((s) => s.type === SectionType.GeneratorWeights)) {
      embedding = { ...embedding, sections: embedding.sections.filter((s) => s.type !== SectionType.GeneratorWeights) };
      tunedLayersDropped = true;
    }
    const bytes = encodeEmbedding(embedding);
    return { enrollment: { ...enrollment, embedding, bytes, hash: embeddingHash(bytes) }, fineTune, tunedLayersDropped };
  } finally {
    weights.dispose();
  }
}
