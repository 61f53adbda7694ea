/**
 * Packs the warp content's images into one texture (atlas, eye band or eyeballs, mouth patch, plate, further mouths stacked
 * vertically with edge-replicated gutters) so every backend draws a frame with one texture and
 * one draw call.
 */
import { createImage, type RgbaImage } from '../image.ts';

/** A region of the packed texture, in normalised texture coordinates. */
export interface Region { u0: number; v0: number; du: number; dv: number }
export interface PackedTexture {
  image: RgbaImage;
  atlas: Region;
  eyes: Region | null;
  eyeballs: Region | null;
  mouth: Region;
  plate: Region;
  /** The further mouth interiors (WarpContent.mouthSet), in its order. */
  mouthSet: Region[];
}

const GUTTER = 2;

export function packTexture(atlas: RgbaImage, eyes: RgbaImage | null, eyeballs: RgbaImage | null, mouth: RgbaImage, plate: RgbaImage, mouthSet: readonly RgbaImage[] = []): PackedTexture {
  const parts = [atlas, eyes, eyeballs, mouth, plate, ...mouthSet];
  const width = Math.max(...parts.map((p) => (p ? p.width : 0))) + 2 * GUTTER;
  const height = parts.reduce((s, p) => s + (p ? p.height + 2 * GUTTER : 0), 0);
  const image = createImage(width, height, [0, 0, 0, 255]);
  let y = 0;
  const regions = parts.map((p) => {
    if (!p) return null;
    blitWithGutter(image, p, GUTTER, y + GUTTER);
    const r: Region = { u0: GUTTER / width, v0: (y + GUTTER) / height, du: p.width / width, dv: p.height / height };
    y += p.height + 2 * GUTTER;
    return r;
  });
  return { image, atlas: regions[0]!, eyes: regions[1] ?? null, eyeballs: regions[2] ?? null, mouth: regions[3]!, plate: regions[4]!, mouthSet: regions.slice(5) as Region[] };
}

function blitWithGutter(dst: RgbaImage, src: RgbaImage, x0: number, y0: number): void {
  for (let y = -GUTTER; y < src.height + GUTTER; y++) {
    const sy = Math.min(src.height - 1, Math.max(0, y));
    for (let x = -GUTTER; x < src.width + GUTTER; x++) {
      const sx = Math.min(src.width - 1, Math.max(0, x));
      const d = ((y0 + y) * dst.width + x0 + x) * 4, s = (sy * src.width + sx) * 4;
      dst.data[d] = src.data[s]!; dst.data[d + 1] = src.data[s + 1]!; dst.data[d + 2] = src.data[s + 2]!; dst.data[d + 3] = 255;
    }
  }
}

export function regionUv(r: Region, u: number, v: number, out: Float32Array, o: number): void {
  out[o] = r.u0 + u * r.du;
  out[o + 1] = r.v0 + v * r.dv;
}
