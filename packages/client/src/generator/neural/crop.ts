/**
 * The face crop the networks see (models/neural/data.py): a square around the 36 face-oval
 * landmarks, side 1.9 × the box's larger side, centre moved up 0.08 × side, corner and side
 * rounded like Python's round(); and the Pillow-style crop + bilinear resize of enrollment photos.
 */
import { FACE_OVAL, roundHalfEven } from './landmark-image.ts';
import type { RgbaImage } from '../image.ts';

export const CROP_SCALE = 1.9;
export const CROP_SHIFT = 0.08;
export const LANDMARK_COUNT = 478;

/** Unrounded crop square in frame pixels. */
export interface CropBox {
  cx: number;
  cy: number;
  side: number;
}

/** The integer crop the pipeline uses: top-left corner and side in frame pixels. */
export interface CropRect {
  x0: number;
  y0: number;
  side: number;
}

/** Crop box of one face; `landmarks` are 478×3 normalised to a width×height frame. */
export function cropBox(landmarks: ArrayLike<number>, width: number, height: number): CropBox {
  let xlo = Infinity, ylo = Infinity, xhi = -Infinity, yhi = -Infinity;
  for (const i of FACE_OVAL) {
    const x = landmarks[3 * i]! * width, y = landmarks[3 * i + 1]! * height;
    if (x < xlo) xlo = x; if (x > xhi) xhi = x;
    if (y < ylo) ylo = y; if (y > yhi) yhi = y;
  }
  const side = Math.max(xhi - xlo, yhi - ylo) * CROP_SCALE;
  return { cx: (xlo + xhi) / 2, cy: (ylo + yhi) / 2 - CROP_SHIFT * side, side };
}

export function cropRect(b: CropBox): CropRect {
  return { x0: roundHalfEven(b.cx - b.side / 2), y0: roundHalfEven(b.cy - b.side / 2), side: Math.max(1, roundHalfEven(b.side)) };
}

/** Landmarks (normalised to width×height) → crop pixels of a size×size crop, 478×3 (z scaled like x). */
export function toCropPixels(landmarks: ArrayLike<number>, width: number, height: number, r: CropRect, size: number, out = new Float32Array(LANDMARK_COUNT * 3)): Float32Array {
  const s = size / r.side;
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    out[3 * i] = (landmarks[3 * i]! * width - r.x0) * s;
    out[3 * i + 1] = (landmarks[3 * i + 1]! * height - r.y0) * s;
    out[3 * i + 2] = landmarks[3 * i + 2]! * width * s;
  }
  return out;
}

/** Pillow's antialiased BILINEAR coefficients for one axis (Resample.c precompute_coeffs). */
function coeffs(inSize: number, in0: number, in1: number, outSize: number): { lo: Int32Array; n: Int32Array; k: Float64Array; ksize: number } {
  const scale = (in1 - in0) / outSize;
  const fs = Math.max(scale, 1);
  const support = fs; // bilinear support 1.0
  const ksize = Math.ceil(support) * 2 + 1;
  const lo = new Int32Array(outSize), n = new Int32Array(outSize), k = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) / fs);
      const w = t < 1 ? 1 - t : 0;
      k[xx * ksize + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) k[xx * ksize + x]! /= ww;
    lo[xx] = xmin; n[xx] = xmax;
  }
  return { lo, n, k, ksize };
}

/**
 * Pillow's `img.crop((x0, y0, x0+side, y0+side)).resize((size, size), BILINEAR, reducing_gap=2)`
 * as RGB in [-1, 1] (size·size·3 floats): black outside the photo; the integer `reduce()` step
 * box-averages, then antialiased bilinear. Matches Pillow to about one 8-bit level (Pillow
 * rounds to 8 bits between passes with fixed-point weights; this stays in float).
 */
export function cropResize(img: RgbaImage, r: CropRect, size: number, out = new Float32Array(size * size * 3)): Float32Array {
  const factor = Math.max(1, Math.floor(r.side / size / 2));
  const rw = Math.ceil(r.side / factor);
  // reduce(): box average over factor×factor (partial boxes at the edge), with the crop's black border.
  const red = new Float64Array(rw * rw * 3);
  for (let y = 0; y < rw; y++) {
    for (let x = 0; x < rw; x++) {
      let a = 0, b = 0, c = 0, cnt = 0;
      for (let dy = 0; dy < factor; dy++) {
        const cyy = y * factor + dy;
        if (cyy >= r.side) break;
        const sy = r.y0 + cyy;
        for (let dx = 0; dx < factor; dx++) {
          const cxx = x * factor + dx;
          if (cxx >= r.side) break;
          const sx = r.x0 + cxx;
          cnt++;
          if (sx < 0 || sy < 0 || sx >= img.width || sy >= img.height) continue;
          const o = (sy * img.width + sx) * 4;
          a += img.data[o]!; b += img.data[o + 1]!; c += img.data[o + 2]!;
        }
      }
      const o = (y * rw + x) * 3;
      red[o] = a / cnt; red[o + 1] = b / cnt; red[o + 2] = c / cnt;
    }
  }
  const box = r.side / factor;
  const cx = coeffs(rw, 0, box, size);
  // horizontal pass → rw × size, then vertical → size × size
  const tmp = new Float64Array(rw * size * 3);
  for (let y = 0; y < rw; y++) {
    for (let xx = 0; xx < size; xx++) {
      let a = 0, b = 0, c = 0;
      for (let t = 0; t < cx.n[xx]!; t++) {
        const w = cx.k[xx * cx.ksize + t]!, o = (y * rw + cx.lo[xx]! + t) * 3;
        a += w * red[o]!; b += w * red[o + 1]!; c += w * red[o + 2]!;
      }
      const o = (y * size + xx) * 3;
      tmp[o] = Math.min(255, Math.max(0, a)); tmp[o + 1] = Math.min(255, Math.max(0, b)); tmp[o + 2] = Math.min(255, Math.max(0, c));
    }
  }
  for (let yy = 0; yy < size; yy++) {
    for (let x = 0; x < size; x++) {
      let a = 0, b = 0, c = 0;
      for (let t = 0; t < cx.n[yy]!; t++) {
        const w = cx.k[yy * cx.ksize + t]!, o = ((cx.lo[yy]! + t) * size + x) * 3;
        a += w * tmp[o]!; b += w * tmp[o + 1]!; c += w * tmp[o + 2]!;
      }
      const o = (yy * size + x) * 3;
      out[o] = Math.round(Math.min(255, Math.max(0, a))) / 127.5 - 1;
      out[o + 1] = Math.round(Math.min(255, Math.max(0, b))) / 127.5 - 1;
      out[o + 2] = Math.round(Math.min(255, Math.max(0, c))) / 127.5 - 1;
    }
  }
  return out;
}
