/**
 * Image and landmark metrics of the quality benchmark. Images are RGBA8, row-major, same size;
 * alpha is ignored. All functions are pure and deterministic.
 */

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

function check(a: Rgba, b: Rgba): void {
  if (a.width !== b.width || a.height !== b.height) throw new TypeError(`image sizes differ: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  const n = a.width * a.height * 4;
  if (a.data.length !== n || b.data.length !== n) throw new TypeError('image data length does not match width × height × 4');
}

/** Mean absolute RGB difference on a 0–1 scale (the L1 of the talking-head papers). */
export function l1(a: Rgba, b: Rgba): number {
  check(a, b);
  let s = 0;
  const d1 = a.data, d2 = b.data;
  for (let i = 0; i < d1.length; i += 4) s += Math.abs(d1[i]! - d2[i]!) + Math.abs(d1[i + 1]! - d2[i + 1]!) + Math.abs(d1[i + 2]! - d2[i + 2]!);
  return s / ((d1.length / 4) * 3 * 255);
}

/** L1 as `l1` over the pixels where `mask` (one byte per pixel) is set; null when none is. */
export function maskedL1(a: Rgba, b: Rgba, mask: Uint8Array): number | null {
  check(a, b);
  if (mask.length !== a.width * a.height) throw new TypeError('mask length does not match width × height');
  let s = 0, n = 0;
  const d1 = a.data, d2 = b.data;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    const i = p * 4;
    s += Math.abs(d1[i]! - d2[i]!) + Math.abs(d1[i + 1]! - d2[i + 1]!) + Math.abs(d1[i + 2]! - d2[i + 2]!);
    n++;
  }
  return n ? s / (n * 3 * 255) : null;
}

/** Largest PSNR reported (identical images), in dB. */
export const PSNR_CAP_DB = 100;

/** RGB PSNR in dB (peak 255), capped at PSNR_CAP_DB for identical images. */
export function psnr(a: Rgba, b: Rgba): number {
  check(a, b);
  let s = 0;
  const d1 = a.data, d2 = b.data;
  for (let i = 0; i < d1.length; i += 4) {
    const r = d1[i]! - d2[i]!, g = d1[i + 1]! - d2[i + 1]!, bl = d1[i + 2]! - d2[i + 2]!;
    s += r * r + g * g + bl * bl;
  }
  const mse = s / ((d1.length / 4) * 3);
  if (mse === 0) return PSNR_CAP_DB;
  return Math.min(PSNR_CAP_DB, 10 * Math.log10((255 * 255) / mse));
}

/** BT.601 luma as float (0–255). */
export function luma(img: Rgba): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) out[i] = 0.299 * d[i * 4]! + 0.587 * d[i * 4 + 1]! + 0.114 * d[i * 4 + 2]!;
  return out;
}

const SSIM_RADIUS = 5;
const SSIM_SIGMA = 1.5;
const GAUSS = (() => {
  const w = new Float32Array(2 * SSIM_RADIUS + 1);
  let s = 0;
  for (let i = -SSIM_RADIUS; i <= SSIM_RADIUS; i++) s += w[i + SSIM_RADIUS] = Math.exp(-(i * i) / (2 * SSIM_SIGMA * SSIM_SIGMA));
  for (let i = 0; i < w.length; i++) w[i] = w[i]! / s;
  return w;
})();

/** Separable Gaussian blur over the valid region only (output (w-10)×(h-10)), as in Wang et al. */
function blurValid(src: Float32Array, w: number, h: number, tmp: Float32Array, out: Float32Array): void {
  const R = SSIM_RADIUS, ow = w - 2 * R, oh = h - 2 * R;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k <= 2 * R; k++) s += GAUSS[k]! * src[row + x + k]!;
      tmp[y * ow + x] = s;
    }
  }
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k <= 2 * R; k++) s += GAUSS[k]! * tmp[(y + k) * ow + x]!;
      out[y * ow + x] = s;
    }
  }
}

/** The reference image's half of SSIM (luma, its blurred mean and second moment), reusable across comparisons. */
export interface SsimReference { width: number; height: number; x: Float32Array; mx: Float32Array; sxx: Float32Array }

export function ssimReference(a: Rgba): SsimReference {
  const w = a.width, h = a.height, R = SSIM_RADIUS;
  if (w <= 2 * R || h <= 2 * R) throw new TypeError(`SSIM needs images of at least ${2 * R + 1}×${2 * R + 1}`);
  const x = luma(a);
  const n = w * h;
  const xx = new Float32Array(n);
  for (let i = 0; i < n; i++) xx[i] = x[i]! * x[i]!;
  const m = (w - 2 * R) * (h - 2 * R);
  const tmp = new Float32Array((w - 2 * R) * h);
  const mx = new Float32Array(m), sxx = new Float32Array(m);
  blurValid(x, w, h, tmp, mx);
  blurValid(xx, w, h, tmp, sxx);
  return { width: w, height: h, x, mx, sxx };
}

/**
 * Mean SSIM on luma (Wang et al. 2004: 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03,
 * L = 255, valid region only). Images must be at least 11×11. `a` may be a prepared reference.
 */
export function ssim(a: Rgba | SsimReference, b: Rgba): number {
  const ref = 'mx' in a ? a : ssimReference(a);
  if (ref.width !== b.width || ref.height !== b.height) throw new TypeError(`image sizes differ: ${ref.width}×${ref.height} vs ${b.width}×${b.height}`);
  if (!('mx' in a)) check(a, b);
  const w = ref.width, h = ref.height, R = SSIM_RADIUS;
  const x = ref.x, y = luma(b);
  const n = w * h;
  const yy = new Float32Array(n), xy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    yy[i] = y[i]! * y[i]!;
    xy[i] = x[i]! * y[i]!;
  }
  const ow = w - 2 * R, oh = h - 2 * R, m = ow * oh;
  const tmp = new Float32Array(ow * h);
  const mx = ref.mx, my = new Float32Array(m), sxx = ref.sxx, syy = new Float32Array(m), sxy = new Float32Array(m);
  blurValid(y, w, h, tmp, my);
  blurValid(yy, w, h, tmp, syy);
  blurValid(xy, w, h, tmp, sxy);
  const C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  let s = 0;
  for (let i = 0; i < m; i++) {
    const ux = mx[i]!, uy = my[i]!;
    const vx = sxx[i]! - ux * ux, vy = syy[i]! - uy * uy, cxy = sxy[i]! - ux * uy;
    s += ((2 * ux * uy + C1) * (2 * cxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
  }
  return s / m;
}

/**
 * Mean 2-D distance in pixels between two landmark sets (478×3 normalised to a `size`×`size`
 * image; z ignored). Null when either is missing.
 */
export function landmarkDistancePx(a: Float32Array | null, b: Float32Array | null, size: number): number | null {
  if (!a || !b) return null;
  checkLandmarkPair(a, b);
  return meanOffsetDistance(a, b, size, 0, 0);
}

/**
 * landmarkDistancePx after `b` is shifted so that its mean 2-D position is `a`'s: the error in
 * the face's shape and expression, without where the face as a whole sits in the frame. A
 * generator draws the face where the driving landmarks put it, so the per-frame placement error
 * of the sender's tracker (its smoothing lags fast head motion) is in AKD whatever the generator.
 */
export function shapeDistancePx(a: Float32Array | null, b: Float32Array | null, size: number): number | null {
  if (!a || !b) return null;
  checkLandmarkPair(a, b);
  const n = a.length / 3;
  if (n === 0) return null;
  let dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    dx += a[i * 3]! - b[i * 3]!;
    dy += a[i * 3 + 1]! - b[i * 3 + 1]!;
  }
  return meanOffsetDistance(a, b, size, dx / n, dy / n);
}

/** Mean 2-D distance between a's landmarks and b's shifted by (dx, dy), px at `size`. */
function meanOffsetDistance(a: Float32Array, b: Float32Array, size: number, dx: number, dy: number): number {
  const n = a.length / 3;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.hypot(a[i * 3]! - b[i * 3]! - dx, a[i * 3 + 1]! - b[i * 3 + 1]! - dy);
  return (s / n) * size;
}

/** landmarkDistancePx over the landmarks `indices` only (a face part's). */
export function partDistancePx(a: Float32Array | null, b: Float32Array | null, size: number, indices: readonly number[]): number | null {
  if (!a || !b) return null;
  checkLandmarkPair(a, b);
  if (indices.length === 0) throw new RangeError('a part needs at least one landmark');
  let s = 0;
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i * 3 >= a.length) throw new RangeError(`landmark index ${i} is outside 0…${a.length / 3 - 1}`);
    s += Math.hypot(a[i * 3]! - b[i * 3]!, a[i * 3 + 1]! - b[i * 3 + 1]!);
  }
  return (s / indices.length) * size;
}

function checkLandmarkPair(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length || a.length % 3 !== 0) throw new TypeError('landmark arrays must have the same length, a multiple of 3');
}

/** Cosine similarity of two embeddings; null when either is missing or all-zero. */
export function cosine(a: ArrayLike<number> | null, b: ArrayLike<number> | null): number | null {
  if (!a || !b) return null;
  if (a.length !== b.length) throw new TypeError(`embedding lengths differ: ${a.length} vs ${b.length}`);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  if (aa === 0 || bb === 0) return null;
  return ab / Math.sqrt(aa * bb);
}

/** Mean of the finite, non-null values; null when there are none. */
export function meanOf(values: readonly (number | null)[]): number | null {
  let s = 0, n = 0;
  for (const v of values) if (v !== null && Number.isFinite(v)) { s += v; n++; }
  return n ? s / n : null;
}
