/**
 * Image codecs for embedding image sections. The warp embedding stores PNG, JPEG or WebP bytes;
 * which one is written depends on the codec the enrolling side has, and any receiver decodes all
 * three where a browser is available (Node decodes PNG only unless given another codec).
 */
import type { RgbaImage } from './image.ts';
import { decodePng, encodePng, isPng } from './png.ts';

export type ImageMime = 'image/png' | 'image/jpeg' | 'image/webp';

export interface ImageCodec {
  /** quality in (0, 1] for lossy formats; ignored for PNG. */
  encode(img: RgbaImage, mime: ImageMime, quality?: number): Promise<Uint8Array>;
  decode(bytes: Uint8Array): Promise<RgbaImage>;
  /** Formats this codec can encode. */
  readonly encodes: readonly ImageMime[];
}

export function sniffMime(bytes: Uint8Array): ImageMime | null {
  if (isPng(bytes)) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes.length > 12 && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'image/webp';
  return null;
}

/** Pure-TS PNG codec: runs everywhere. */
export const pngCodec: ImageCodec = {
  encodes: ['image/png'],
  encode: (img) => encodePng(img),
  decode: (bytes) => decodePng(bytes),
};

/** Browser codec on OffscreenCanvas/createImageBitmap: PNG, JPEG and WebP. */
export const canvasCodec: ImageCodec = {
  encodes: ['image/png', 'image/jpeg', 'image/webp'],
  async encode(img, mime, quality = 0.85) {
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('2D canvas unavailable');
    ctx.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
    const blob = await canvas.convertToBlob({ type: mime, quality });
    return new Uint8Array(await blob.arrayBuffer());
  },
  async decode(bytes) {
    const mime = sniffMime(bytes) ?? 'image/png';
    const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('2D canvas unavailable');
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const id = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return { width: id.width, height: id.height, data: id.data };
  },
};

/** The best codec available here: canvas in browsers/workers, PNG-only elsewhere. */
export function defaultImageCodec(): ImageCodec {
  return typeof OffscreenCanvas !== 'undefined' && typeof createImageBitmap !== 'undefined' ? canvasCodec : pngCodec;
}
