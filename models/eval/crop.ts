/**
 * Face crops of the benchmark. One fixed square box per clip (every frame, real or generated, is
 * compared on the same pixels), the landmark transform into that box, and the roll-corrected
 * crop fed to the face-recognition model for CSIM.
 */
import type { Rgba } from './metrics.ts';

export interface CropBox {
  /** Top-left corner and side, in source pixels (integers, inside the frame). */
  x: number;
  y: number;
  side: number;
}

/** Default ratio of the crop side to the face's landmark extent (forehead-to-chin plus margin). */
export const DEFAULT_CROP_SCALE = 1.8;

/** Bounding box of 478×3 normalised landmarks in pixels. */
export function landmarkBox(lm: Float32Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < lm.length; i += 3) {
    const x = lm[i]! * width, y = lm[i + 1]! * height;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { x0, y0, x1, y1 };
}

function quantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
}

/**
 * One square crop for the whole clip: centred on the median face centre, side = `scale` × the
 * 90th-percentile face extent, shrunk and shifted to stay inside the frame (portrait and
 * landscape videos alike). Throws when no frame has a face.
 */
export function clipCropBox(frames: readonly (Float32Array | null)[], width: number, height: number, scale = DEFAULT_CROP_SCALE): CropBox {
  const cx: number[] = [], cy: number[] = [], ext: number[] = [];
  for (const lm of frames) {
    if (!lm) continue;
    const b = landmarkBox(lm, width, height);
    cx.push((b.x0 + b.x1) / 2);
    cy.push((b.y0 + b.y1) / 2);
    ext.push(Math.max(b.x1 - b.x0, b.y1 - b.y0));
  }
  if (ext.length === 0) throw new RangeError('no frame has a face: cannot place the face crop');
  let side = Math.round(scale * quantile(ext, 0.9));
  side = Math.max(16, Math.min(side, width, height));
  side -= side % 2;
  const clampTo = (v: number, hi: number) => Math.max(0, Math.min(hi, v));
  const x = clampTo(Math.round(quantile(cx, 0.5) - side / 2), width - side);
  const y = clampTo(Math.round(quantile(cy, 0.5) - side / 2), height - side);
  return { x, y, side };
}

/** Landmarks normalised to the source frame → normalised to the crop (z keeps MediaPipe's x units). */
export function toCropLandmarks(lm: Float32Array, box: CropBox, width: number, height: number): Float32Array {
  const out = new Float32Array(lm.length);
  for (let i = 0; i < lm.length; i += 3) {
    out[i] = (lm[i]! * width - box.x) / box.side;
    out[i + 1] = (lm[i + 1]! * height - box.y) / box.side;
    out[i + 2] = (lm[i + 2]! * width) / box.side;
  }
  return out;
}

/** Input side of Human's faceres model. */
export const FACERES_INPUT = 224;
/** Crop side relative to the landmark extent for the identity model. */
export const FACERES_CROP_SCALE = 1.2;
// Outer eye corners of the MediaPipe mesh (image left, image right).
const EYE_A = 33, EYE_B = 263;

/**
 * The face as the identity model sees it: a square around the landmark box (× FACERES_CROP_SCALE),
 * rotated so the eye line is level, bilinearly resampled to `out`×`out`, RGB as 0–255 floats (HWC).
 * Pixels outside the image are black.
 */
export function identityCrop(img: Rgba, lm: Float32Array, out = FACERES_INPUT, scale = FACERES_CROP_SCALE): Float32Array {
  const { width: w, height: h, data } = img;
  const b = landmarkBox(lm, w, h);
  const cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
  const side = scale * Math.max(b.x1 - b.x0, b.y1 - b.y0, 1);
  const angle = Math.atan2((lm[EYE_B * 3 + 1]! - lm[EYE_A * 3 + 1]!) * h, (lm[EYE_B * 3]! - lm[EYE_A * 3]!) * w);
  const cos = Math.cos(angle), sin = Math.sin(angle), step = side / out;
  const res = new Float32Array(out * out * 3);
  for (let v = 0; v < out; v++) {
    for (let u = 0; u < out; u++) {
      const du = (u + 0.5 - out / 2) * step, dv = (v + 0.5 - out / 2) * step;
      const sx = cx + du * cos - dv * sin - 0.5, sy = cy + du * sin + dv * cos - 0.5;
      const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
      const o = (v * out + u) * 3;
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (const [dx, dy, wt] of [[0, 0, (1 - fx) * (1 - fy)], [1, 0, fx * (1 - fy)], [0, 1, (1 - fx) * fy], [1, 1, fx * fy]] as const) {
          const xx = x0 + dx, yy = y0 + dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h) acc += wt * data[(yy * w + xx) * 4 + c]!;
        }
        res[o + c] = acc;
      }
    }
  }
  return res;
}
