/** Shared loaders for the warp generator's golden fixtures (packages/client/test/fixtures/warp). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodePng } from '../src/generator/png.ts';
import { createImage, type RgbaImage } from '../src/generator/image.ts';
import { EYES, MOUTH_LOOP, eyeballFrame, irisRadius } from '../src/generator/warp/face-model.ts';
import { pointInPolygon } from '../src/enrollment/atlas/polygon.ts';
import { FACE_OVAL } from '../src/generator/mesh-data.ts';

const dir = fileURLToPath(new URL('./fixtures/warp/', import.meta.url));

export async function loadFrame(index: 30 | 50): Promise<RgbaImage> {
  return decodePng(new Uint8Array(readFileSync(`${dir}edtalk-pose_source1-f${index}.png`)));
}
export function loadLandmarks(index: 30 | 50): Float32Array {
  const j = JSON.parse(readFileSync(`${dir}edtalk-pose_source1-landmarks.json`, 'utf8')) as { frames: Record<string, number[]> };
  return Float32Array.from(j.frames[String(index)]!);
}

/** Mask of pixels inside the face oval of `landmarks`, shrunk towards its centre by `shrink`. */
export function faceMask(landmarks: Float32Array, width: number, height: number, shrink = 0.9): Uint8Array {
  const poly = FACE_OVAL.map((i) => [landmarks[i * 3]! * width, landmarks[i * 3 + 1]! * height] as [number, number]);
  const cx = poly.reduce((s, p) => s + p[0], 0) / poly.length, cy = poly.reduce((s, p) => s + p[1], 0) / poly.length;
  for (const p of poly) { p[0] = cx + (p[0] - cx) * shrink; p[1] = cy + (p[1] - cy) * shrink; }
  const m = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    let inside = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i]!, [xj, yj] = poly[j]!;
      if (yi > y + 0.5 !== yj > y + 0.5 && x + 0.5 < ((xj - xi) * (y + 0.5 - yi)) / (yj - yi) + xi) inside = !inside;
    }
    m[y * width + x] = inside ? 1 : 0;
  }
  return m;
}

/** PSNR over RGB, optionally restricted to a mask. */
export function psnr(a: Uint8ClampedArray | Uint8Array, b: Uint8ClampedArray | Uint8Array, mask?: Uint8Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < a.length / 4; i++) {
    if (mask && !mask[i]) continue;
    for (let c = 0; c < 3; c++) { s += (a[i * 4 + c]! - b[i * 4 + c]!) ** 2; n++; }
  }
  return 10 * Math.log10((255 * 255) / Math.max(1e-9, s / n));
}

export const SKIN = [200, 150, 130] as const, SCLERA = [235, 232, 228] as const;
export const BROWN = [60, 40, 30] as const, BLUE = [40, 60, 150] as const;

/**
 * A photo of painted eyes for landmarks `p` (pixels of a size × size image): skin everywhere, each
 * eye opening sclera, and in it a disc of iris (the tracked iris radius) centred at `irisAt[k]`.
 */
export function paintEyes(p: Float32Array, size: number, irisAt: readonly (readonly [number, number])[], iris: readonly number[] = BROWN): RgbaImage {
  const img = createImage(size, size, [SKIN[0], SKIN[1], SKIN[2], 255]);
  EYES.forEach((e, k) => {
    const poly = e.loop.map((i) => [p[i * 3]!, p[i * 3 + 1]!] as const);
    const r = irisRadius(p, k) * eyeballFrame(p, k).len;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      if (!pointInPolygon(x + 0.5, y + 0.5, poly)) continue;
      img.data.set(Math.hypot(x + 0.5 - irisAt[k]![0], y + 0.5 - irisAt[k]![1]) < r ? iris : SCLERA, (y * size + x) * 4);
    }
  });
  return img;
}

/** Where the tracker puts each iris centre (pixels). */
export function irisCentres(p: Float32Array): [number, number][] {
  return EYES.map((e) => [p[e.iris * 3]!, p[e.iris * 3 + 1]!]);
}

/** Landmarks with both eye openings `factor` times as tall about their corner line (normalised or pixel units alike). */
export function openEyes(l: Float32Array, factor: number): Float32Array {
  const q = l.slice();
  for (const e of EYES) {
    const cy = (l[e.inner * 3 + 1]! + l[e.outer * 3 + 1]!) / 2;
    for (const i of e.loop) q[i * 3 + 1] = cy + (l[i * 3 + 1]! - cy) * factor;
  }
  return q;
}

/**
 * Landmarks whose inner lips open as an ellipse about the mouth corners' line, `h` mouth widths
 * above and below it (MOUTH_LOOP: corner, 9 upper-lip points, corner, 9 lower-lip points).
 */
export function openMouth(l: Float32Array, h: number): Float32Array {
  const q = l.slice();
  const [ax, ay, bx, by] = [l[78 * 3]!, l[78 * 3 + 1]!, l[308 * 3]!, l[308 * 3 + 1]!];
  const cx = (ax + bx) / 2, cy = (ay + by) / 2, w = bx - ax;
  MOUTH_LOOP.forEach((i, k) => {
    if (k === 0 || k === 10) return;
    const t = Math.min(1, Math.abs(l[i * 3]! - cx) / (w / 2));
    q[i * 3 + 1] = cy + (k < 10 ? -1 : 1) * h * w * Math.sqrt(1 - t * t);
  });
  return q;
}

/**
 * A photo of a painted open mouth for landmarks `p` (pixels of a size × size image): skin, and inside
 * the inner lips a band of teeth under the upper lip (its top `teeth` of the gap), a tongue over the
 * lower lip (its bottom `tongue`), dark in between.
 */
export function paintMouth(p: Float32Array, size: number, teeth = 0.35, tongue = 0): RgbaImage {
  const img = createImage(size, size, [SKIN[0], SKIN[1], SKIN[2], 255]);
  const poly = MOUTH_LOOP.map((i) => [p[i * 3]!, p[i * 3 + 1]!] as const);
  const top = p[13 * 3 + 1]!, gap = p[14 * 3 + 1]! - top;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    if (!pointInPolygon(x + 0.5, y + 0.5, poly)) continue;
    const colour = y + 0.5 < top + teeth * gap ? TEETH : y + 0.5 > top + (1 - tongue) * gap ? TONGUE : CAVITY;
    img.data.set(colour, (y * size + x) * 4);
  }
  return img;
}
export const TEETH = [240, 238, 230] as const, CAVITY = [50, 15, 20] as const, TONGUE = [190, 90, 95] as const;
