/**
 * G's warp channels (the bi-layer refiner): the v1 warp render cropped to the network's S×S face
 * crop, and its coverage mask. The same code makes the training data
 * (packages/client/scripts/neural-warp-cache.ts) and feeds the generator at run time, so the
 * network sees at inference exactly what it was trained on.
 */
import type { RgbaImage } from '../image.ts';
import { FACE_OVAL } from './landmark-image.ts';

/** One axis of Pillow's antialiased bilinear resize (Resample.c precompute_coeffs) over a
 * float source window [in0, in1) that may extend past the image: taps outside [0, inSize) read
 * black (like Pillow's crop() padding) instead of being renormalised away. */
function axisCoeffs(in0: number, in1: number, outSize: number): { lo: Int32Array; n: Int32Array; k: Float64Array; ksize: number } {
  const scale = (in1 - in0) / outSize;
  const fs = Math.max(scale, 1);
  const support = fs;
  const ksize = Math.ceil(support) * 2 + 2;
  const lo = new Int32Array(outSize), n = new Int32Array(outSize), k = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const xmin = Math.floor(center - support + 0.5);
    const xmax = Math.min(Math.floor(center + support + 0.5) - xmin, ksize);
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
 * The window (x0, y0, w, h) of `img` (pixels, floats) resized to size×size RGB with Pillow's
 * antialiased bilinear filter, black outside the image. Values 0..255 (unrounded), HWC.
 */
export function cropResample(img: RgbaImage, x0: number, y0: number, w: number, h: number, size: number, out: Float32Array = new Float32Array(size * size * 3)): Float32Array {
  const cx = axisCoeffs(x0, x0 + w, size), cy = axisCoeffs(y0, y0 + h, size);
  const W = img.width, H = img.height, d = img.data;
  // Horizontal pass for every source row any output row reads.
  let rlo = Infinity, rhi = -Infinity;
  for (let yy = 0; yy < size; yy++) { rlo = Math.min(rlo, cy.lo[yy]!); rhi = Math.max(rhi, cy.lo[yy]! + cy.n[yy]!); }
  rlo = Math.max(0, rlo); rhi = Math.min(H, rhi);
  const rows = Math.max(0, rhi - rlo);
  const tmp = new Float64Array(rows * size * 3);
  for (let r = 0; r < rows; r++) {
    const row = (r + rlo) * W;
    for (let xx = 0; xx < size; xx++) {
      let a = 0, b = 0, c = 0;
      const base = cx.lo[xx]!;
      for (let t = 0; t < cx.n[xx]!; t++) {
        const sx = base + t;
        if (sx < 0 || sx >= W) continue;
        const wt = cx.k[xx * cx.ksize + t]!, o = (row + sx) * 4;
        a += wt * d[o]!; b += wt * d[o + 1]!; c += wt * d[o + 2]!;
      }
      const o = (r * size + xx) * 3;
      tmp[o] = a; tmp[o + 1] = b; tmp[o + 2] = c;
    }
  }
  for (let yy = 0; yy < size; yy++) {
    for (let xx = 0; xx < size; xx++) {
      let a = 0, b = 0, c = 0;
      const base = cy.lo[yy]!;
      for (let t = 0; t < cy.n[yy]!; t++) {
        const sy = base + t;
        if (sy < rlo || sy >= rhi) continue;
        const wt = cy.k[yy * cy.ksize + t]!, o = ((sy - rlo) * size + xx) * 3;
        a += wt * tmp[o]!; b += wt * tmp[o + 1]!; c += wt * tmp[o + 2]!;
      }
      const o = (yy * size + xx) * 3;
      out[o] = Math.min(255, Math.max(0, a)); out[o + 1] = Math.min(255, Math.max(0, b)); out[o + 2] = Math.min(255, Math.max(0, c));
    }
  }
  return out;
}

const SUB = 4;

/**
 * Coverage mask of the warp's face (the face-oval polygon of the landmarks, in crop pixels of a
 * size×size crop): fraction of 4×4 sub-samples inside, in [0, 1].
 */
export function ovalCoverage(cropPts: ArrayLike<number>, size: number, out: Float32Array = new Float32Array(size * size)): Float32Array {
  const n = FACE_OVAL.length;
  const px = new Float64Array(n), py = new Float64Array(n);
  let ylo = Infinity, yhi = -Infinity;
  FACE_OVAL.forEach((k, i) => { px[i] = cropPts[3 * k]!; py[i] = cropPts[3 * k + 1]!; ylo = Math.min(ylo, py[i]!); yhi = Math.max(yhi, py[i]!); });
  out.fill(0);
  const xs: number[] = [];
  const inc = 1 / (SUB * SUB);
  // Scanline fill at sub-sample rows: crossings of the polygon's edges, even-odd.
  for (let sy = 0; sy < size * SUB; sy++) {
    const y = (sy + 0.5) / SUB;
    if (y < ylo || y > yhi) continue;
    xs.length = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = py[i]!, yj = py[j]!;
      if (yi > y !== yj > y) xs.push(px[i]! + ((y - yi) * (px[j]! - px[i]!)) / (yj - yi));
    }
    xs.sort((a, b) => a - b);
    const row = Math.floor(sy / SUB) * size;
    for (let e = 0; e + 1 < xs.length; e += 2) {
      // sub-sample columns sx with (sx + 0.5) / SUB in [xs[e], xs[e+1])
      const a = Math.max(0, Math.ceil(xs[e]! * SUB - 0.5)), b = Math.min(size * SUB, Math.ceil(xs[e + 1]! * SUB - 0.5));
      for (let sx = a; sx < b; sx++) out[row + Math.floor(sx / SUB)]! += inc;
    }
  }
  return out;
}

/**
 * The 4 warp channels of G's input, NHWC (size, size, 4), as in training: RGB rounded to 8 bits
 * then mapped to [-1, 1], mask rounded to 8 bits then mapped to [0, 1].
 * `render` is the warp frame; (x0, y0, side) the crop square in the render's pixels.
 */
export function warpChannels(render: RgbaImage, x0: number, y0: number, side: number, cropPts: ArrayLike<number>, size: number,
  out: Float32Array = new Float32Array(size * size * 4), scratch?: { rgb: Float32Array; mask: Float32Array }): Float32Array {
  const rgb = cropResample(render, x0, y0, side, side, size, scratch?.rgb);
  const mask = ovalCoverage(cropPts, size, scratch?.mask);
  for (let p = 0; p < size * size; p++) {
    out[4 * p] = Math.round(rgb[3 * p]!) / 127.5 - 1;
    out[4 * p + 1] = Math.round(rgb[3 * p + 1]!) / 127.5 - 1;
    out[4 * p + 2] = Math.round(rgb[3 * p + 2]!) / 127.5 - 1;
    out[4 * p + 3] = Math.round(mask[p]! * 255) / 255;
  }
  return out;
}
