/**
 * photos → landmarks → avatar embedding (bytes, hashed). Runs entirely in the
 * sender's browser: the photos never leave it; only the embedding is sent.
 */
import { embeddingHash, encodeEmbedding, type AvatarEmbedding } from '@visage/protocol';
import { enrollWarpAvatar } from '../enrollment/atlas/enroll.ts';
import type { RgbaImage } from '../generator/image.ts';
import type { FaceTracker } from '../tracking/index.ts';

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

/** Finds the face of a still: the VIDEO-mode tracker is fed it a few times to settle. */
export async function landmarksOfStill(tracker: FaceTracker, image: RgbaImage): Promise<Float32Array | null> {
  let landmarks: Float32Array | null = null;
  for (let k = 0; k < 3; k++) {
    const bitmap = await createImageBitmap(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height));
    landmarks = (await tracker.track(bitmap, nextStillTime())).frame.landmarks;
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
  const { embedding } = await enrollWarpAvatar(
    images.map((image, i) => ({ image, landmarks: landmarks[i]! })),
    name !== undefined ? { name } : {},
  );
  const bytes = encodeEmbedding(embedding);
  return { embedding, bytes, hash: embeddingHash(bytes), landmarks, images };
}
