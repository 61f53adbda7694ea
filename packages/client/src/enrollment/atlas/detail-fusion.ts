/**
 * Two-band fusion of the photos' unwraps (multi-band blending after Burt & Adelson, with two
 * bands). The plain fusion averages every photo's texel with weights quality⁴: colour and
 * shading blend without seams, but the photos' fine detail (creases, lid folds, skin texture),
 * which never lies on quite the same texels in two photos, is averaged away. Here the shading
 * (below a Gaussian of `sigma` texels) is fused with those weights and the detail (the rest)
 * with the weights raised to `power`, so that each region's detail comes from nearly one photo.
 */
import type { Unwrap } from './register.ts';

export interface DetailFusionOptions {
  /** Gaussian σ in texels that splits shading from detail (> 0). */
  sigma: number;
  /** Exponent applied to the fusion weights for the detail band (> 0; 1 = plain fusion, above 1 sharper, below flatter). */
  power: number;
}

export function validateDetailFusion(o: DetailFusionOptions): void {
  if (!(Number.isFinite(o.sigma) && o.sigma > 0 && o.sigma <= 32)) throw new TypeError(`detailFusion.sigma must be in (0, 32], got ${o.sigma}`);
  if (!(Number.isFinite(o.power) && o.power > 0 && o.power <= 64)) throw new TypeError(`detailFusion.power must be in (0, 64], got ${o.power}`);
}

/**
 * Fuses the unwraps (side A) into RGB (A·A·3) and a coverage mask (1 where any photo has
 * data). `gains` are per-photo per-channel exposure gains.
 */
export function fuseTwoBand(
  unwraps: readonly Unwrap[], gains: readonly (readonly number[])[], A: number, o: DetailFusionOptions,
): { color: Float32Array; mask: Float32Array } {
  validateDetailFusion(o);
  const n = A * A;
  const lowSum = new Float32Array(n * 3), highSum = new Float32Array(n * 3);
  const W = new Float32Array(n), V = new Float32Array(n);
  const plane = new Float32Array(n), valid = new Float32Array(n);
  // Detail weights relative to each texel's largest weight, so that high powers do not underflow.
  const wmax = new Float32Array(n);
  for (const u of unwraps) for (let k = 0; k < n; k++) wmax[k] = Math.max(wmax[k]!, u.weight[k]!);
  for (let i = 0; i < unwraps.length; i++) {
    const u = unwraps[i]!, g = gains[i]!;
    for (let k = 0; k < n; k++) valid[k] = u.weight[k]! > 0 ? 1 : 0;
    const norm = gaussianBlur(valid, A, o.sigma);
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < n; k++) plane[k] = valid[k]! * u.color[k * 3 + c]! * g[c]!;
      const low = gaussianBlur(plane, A, o.sigma);
      for (let k = 0; k < n; k++) {
        const w = u.weight[k]!;
        if (w <= 0) continue;
        const l = low[k]! / Math.max(norm[k]!, 1e-6);
        const v = (w / wmax[k]!) ** o.power;
        lowSum[k * 3 + c]! += w * l;
        highSum[k * 3 + c]! += v * (plane[k]! - l);
      }
    }
    for (let k = 0; k < n; k++) {
      const w = u.weight[k]!;
      if (w <= 0) continue;
      W[k]! += w;
      V[k]! += (w / wmax[k]!) ** o.power;
    }
  }
  const color = new Float32Array(n * 3), mask = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    if (!(W[k]! > 0)) continue;
    mask[k] = 1;
    for (let c = 0; c < 3; c++) color[k * 3 + c] = lowSum[k * 3 + c]! / W[k]! + (V[k]! > 0 ? highSum[k * 3 + c]! / V[k]! : 0);
  }
  return { color, mask };
}

/** Separable Gaussian blur of a square A×A plane, edges clamped. */
export function gaussianBlur(src: Float32Array, A: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += kernel[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= s;
  const tmp = new Float32Array(A * A), out = new Float32Array(A * A);
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += kernel[i + r]! * src[y * A + Math.min(A - 1, Math.max(0, x + i))]!;
      tmp[y * A + x] = acc;
    }
  }
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += kernel[i + r]! * tmp[Math.min(A - 1, Math.max(0, y + i)) * A + x]!;
      out[y * A + x] = acc;
    }
  }
  return out;
}
