/**
 * `npm run eval -- --post-sharpen`: a diagnostic, not a generator. It unsharp-masks our frames
 * before they are scored, to measure how the metrics answer to high frequencies — whether
 * identity (CSIM) asks for detail that L1-trained refiners remove. Optionally only inside the
 * face oval shrunk about its landmarks' centroid (`inner`), away from the face outline and
 * the background, where the warp and the real frame are least aligned.
 */
import { faceOvalMask } from '../../packages/client/src/enrollment/face-metrics.ts';

export interface PostSharpen {
  /** out = in + amount · (in − Gaussian blur(in)). */
  amount: number;
  /** Gaussian sigma, px at crop size. */
  sigma: number;
  /** When set: only inside the face oval scaled by this factor about the landmarks' centroid (0–1]. */
  inner: number | null;
}

/** The face oval's scale for the benchmark's inner-face detail and --post-filter (as --post-sharpen's INNER). */
export const INNER_DETAIL = 0.85;

/** Pixels inside the face oval scaled by `inner` about the landmarks' centroid (landmarks normalised to the frame), as a 0/1 mask. */
export function innerFaceMask(landmarks: ArrayLike<number>, width: number, height: number, inner: number): Uint8Array {
  const n = landmarks.length / 3, lm = Float32Array.from(landmarks);
  let cx = 0, cy = 0;
  for (let q = 0; q < n; q++) { cx += lm[q * 3]! / n; cy += lm[q * 3 + 1]! / n; }
  for (let q = 0; q < n; q++) { lm[q * 3] = cx + (lm[q * 3]! - cx) * inner; lm[q * 3 + 1] = cy + (lm[q * 3 + 1]! - cy) * inner; }
  return faceOvalMask(lm, width, height);
}

/**
 * Detail inside a mask: mean |4-neighbour Laplacian| of the luma (0–1 scale) over the masked
 * pixels that are not on the image border; null when none is.
 */
export function maskedDetail(img: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }, mask: Uint8Array): number | null {
  const { width: W, height: H, data: d } = img;
  const luma = (x: number, y: number) => { const o = (y * W + x) * 4; return (0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!) / 255; };
  let s = 0, n = 0;
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      if (!mask[y * W + x]) continue;
      s += Math.abs(luma(x - 1, y) + luma(x + 1, y) + luma(x, y - 1) + luma(x, y + 1) - 4 * luma(x, y));
      n++;
    }
  }
  return n ? s / n : null;
}

/** Separable Gaussian blur of the RGB of an RGBA image (edges replicated), as float RGB. */
export function gaussianRgb(f: Uint8Array, width: number, height: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((s, v) => s + v, 0);
  for (let i = 0; i < k.length; i++) k[i]! /= ks;
  const tmp = new Float32Array(width * height * 3), out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r]! * f[(y * width + Math.min(width - 1, Math.max(0, x + i))) * 4 + c]!;
        tmp[(y * width + x) * 3 + c] = s;
      }
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[(Math.min(height - 1, Math.max(0, y + i)) * width + x) * 3 + c]!;
        out[(y * width + x) * 3 + c] = s;
      }
    }
  }
  return out;
}

/**
 * Sharpens an RGBA frame in place. `landmarks` (478 × xyz, normalised to the frame) are needed
 * when `p.inner` is set; a frame without landmarks is then left as it is.
 */
export function postSharpen(f: Uint8Array, width: number, height: number, p: PostSharpen, landmarks: ArrayLike<number> | null): void {
  if (f.length !== width * height * 4) throw new TypeError(`frame has ${f.length} bytes, not ${width}×${height}×4`);
  let mask: Uint8Array | null = null;
  if (p.inner !== null) {
    if (!landmarks) return;
    mask = innerFaceMask(landmarks, width, height, p.inner);
  }
  const blur = gaussianRgb(f, width, height, p.sigma);
  for (let q = 0; q < width * height; q++) {
    if (mask && !mask[q]) continue;
    for (let c = 0; c < 3; c++) {
      const o = q * 4 + c;
      f[o] = Math.min(255, Math.max(0, Math.round(f[o]! + p.amount * (f[o]! - blur[q * 3 + c]!))));
    }
  }
}

/** A residual linear filter (models/neural/restore.py): out = in + Σ kernel ∗ in + bias, on [0, 1] values. */
export interface PostFilter {
  /** Odd kernel side. */
  size: number;
  /** [tap (row-major over size×size)][in channel][out channel]. */
  kernel: number[][][];
  bias: number[];
}

/** Reads restore.py's JSON; a string says what is wrong. */
export function parsePostFilter(json: unknown): PostFilter | string {
  const j = json as { kernel_size?: unknown; kernel?: unknown; bias?: unknown } | null;
  const k = j?.kernel_size;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > 15 || k % 2 !== 1) return 'kernel_size must be an odd integer in [1, 15]';
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  const kernel = j!.kernel;
  if (!Array.isArray(kernel) || kernel.length !== k * k || !kernel.every((t) => Array.isArray(t) && t.length === 3 && t.every((r) => Array.isArray(r) && r.length === 3 && r.every(finite)))) return `kernel must be ${k * k} × 3 × 3 numbers`;
  if (!Array.isArray(j!.bias) || j!.bias.length !== 3 || !j!.bias.every(finite)) return 'bias must be 3 numbers';
  return { size: k, kernel: kernel as number[][][], bias: j!.bias as number[] };
}

/** Applies a PostFilter to an RGBA frame in place, inside the face oval scaled by `inner` (edges replicated); nothing without landmarks. */
export function postFilter(f: Uint8Array, width: number, height: number, p: PostFilter, inner: number, landmarks: ArrayLike<number> | null): void {
  if (f.length !== width * height * 4) throw new TypeError(`frame has ${f.length} bytes, not ${width}×${height}×4`);
  if (!landmarks) return;
  const mask = innerFaceMask(landmarks, width, height, inner), src = f.slice(), r = (p.size - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      const acc = [p.bias[0]!, p.bias[1]!, p.bias[2]!];
      let t = 0;
      for (let dy = -r; dy <= r; dy++) {
        const yy = Math.min(height - 1, Math.max(0, y + dy));
        for (let dx = -r; dx <= r; dx++, t++) {
          const o = (yy * width + Math.min(width - 1, Math.max(0, x + dx))) * 4, k = p.kernel[t]!;
          for (let i = 0; i < 3; i++) {
            const v = src[o + i]! / 255, ki = k[i]!;
            acc[0]! += v * ki[0]!; acc[1]! += v * ki[1]!; acc[2]! += v * ki[2]!;
          }
        }
      }
      const o = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) f[o + c] = Math.min(255, Math.max(0, Math.round(src[o + c]! + 255 * acc[c]!)));
    }
  }
}

/** Parses `A[,SIGMA[,INNER]]` (sigma default 1 px; inner absent: the whole frame). */
export function parsePostSharpen(v: string): PostSharpen | string {
  const parts = v.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length > 3 || parts.some((s) => s === '') || nums.some((x) => !Number.isFinite(x))) return `expected A[,SIGMA[,INNER]], got ${JSON.stringify(v)}`;
  const [amount, sigma = 1, inner] = nums as [number, number?, number?];
  if (amount < 0 || amount > 4) return `amount must be in [0, 4], got ${amount}`;
  if (sigma < 0.3 || sigma > 8) return `sigma must be in [0.3, 8] px, got ${sigma}`;
  if (inner !== undefined && (inner <= 0 || inner > 1)) return `inner must be in (0, 1], got ${inner}`;
  return { amount, sigma, inner: inner ?? null };
}
