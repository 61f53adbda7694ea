/**
 * Pure measurements of one face in one photo, from an `RgbaImage` and MediaPipe's 478
 * landmarks (normalised x, y in [0, 1] of the image): size and framing, head pose, sharpness
 * and exposure. No browser API; `photo-check.ts` turns these numbers into verdicts.
 */
import type { RgbaImage } from '../generator/image.ts';
import { createImage, resize } from '../generator/image.ts';
import { FACE_OVAL } from '../generator/mesh-data.ts';

/** One face as the detector gives it. */
export interface DetectedFace {
  /** 478 × (x, y, z), x and y normalised to the image (MediaPipe convention). */
  landmarks: Float32Array;
  /** MediaPipe's 4×4 facial transformation matrix (column-major), when available. */
  matrix: Float32Array | null;
}

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Side of the square grey crop that sharpness is measured on (px). */
export const SHARPNESS_CROP_PX = 128;

/** Bounding box of the landmarks in pixels (may extend beyond the image). */
export function landmarkBox(landmarks: Float32Array, width: number, height: number): FaceBox {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 2 < landmarks.length; i += 3) {
    const x = landmarks[i]! * width, y = landmarks[i + 1]! * height;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * How far the landmark box reaches outside the image, as a fraction of the box's larger
 * side (0 when the whole face is inside).
 */
export function outsideFraction(box: FaceBox, width: number, height: number): number {
  const over = Math.max(0, -box.x, -box.y, box.x + box.width - width, box.y + box.height - height);
  return over / Math.max(box.width, box.height, 1e-9);
}

export interface HeadPose {
  /** Left/right turn, degrees (0 = facing the camera). */
  yawDeg: number;
  /** Up/down tilt, degrees. */
  pitchDeg: number;
  /** In-plane rotation, degrees. */
  rollDeg: number;
}

const DEG = 180 / Math.PI;

/**
 * Head pose from the facial transformation matrix: the canonical face's forward axis (+z,
 * out of the face) and up axis (+y) mapped to camera space. Column-major: column c is
 * `m[4c..4c+2]`.
 */
export function poseFromMatrix(m: Float32Array): HeadPose {
  const fx = m[8]!, fy = m[9]!, fz = m[10]!;
  const ux = m[4]!, uy = m[5]!;
  return {
    yawDeg: Math.atan2(fx, fz) * DEG,
    pitchDeg: Math.atan2(-fy, Math.hypot(fx, fz)) * DEG,
    rollDeg: Math.atan2(-ux, uy) * DEG,
  };
}

/**
 * Rough head pose from 2-D landmarks alone (when no matrix is given): yaw from where the
 * nose tip sits between the cheeks, pitch from where it sits between eyes and chin, roll
 * from the eye line. Good to ~10° near frontal, which is what the check needs.
 */
export function poseFromLandmarks(lm: Float32Array, width: number, height: number): HeadPose {
  const p = (i: number) => [lm[i * 3]! * width, lm[i * 3 + 1]! * height] as const;
  const [nx, ny] = p(1); // nose tip
  const [rx, ry] = p(234); // right cheek (image left)
  const [lx, ly] = p(454); // left cheek
  const [ex1, ey1] = p(33), [ex2, ey2] = p(263); // outer eye corners
  const [cx, cy] = p(152); // chin
  const roll = Math.atan2(ey2 - ey1, ex2 - ex1);
  // Rotate into the face frame so roll does not leak into yaw/pitch.
  const c = Math.cos(-roll), s = Math.sin(-roll);
  const u = (x: number, y: number) => x * c - y * s;
  const v = (x: number, y: number) => x * s + y * c;
  const dl = u(nx, ny) - u(rx, ry), dr = u(lx, ly) - u(nx, ny);
  const t = (dl - dr) / Math.max(dl + dr, 1e-9); // -1..1
  const eyeV = (v(ex1, ey1) + v(ex2, ey2)) / 2;
  const q = (v(nx, ny) - eyeV) / Math.max(v(cx, cy) - eyeV, 1e-9); // ≈ 0.45 frontal
  return { yawDeg: Math.asin(Math.max(-1, Math.min(1, t))) * DEG, pitchDeg: (q - 0.45) * 100, rollDeg: roll * DEG };
}

/** Rec. 709 luma of sRGB-coded values, 0..255. */
function luma(d: Uint8ClampedArray, o: number): number {
  return 0.2126 * d[o]! + 0.7152 * d[o + 1]! + 0.0722 * d[o + 2]!;
}

/** Pixels inside the face oval (polygon of `FACE_OVAL` landmarks), as a 0/1 mask. */
export function faceOvalMask(lm: Float32Array, width: number, height: number): Uint8Array {
  const poly = FACE_OVAL.map((i) => [lm[i * 3]! * width, lm[i * 3 + 1]! * height] as const);
  const mask = new Uint8Array(width * height);
  let y0 = Infinity, y1 = -Infinity;
  for (const [, y] of poly) { y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const ys = Math.max(0, Math.floor(y0)), ye = Math.min(height - 1, Math.ceil(y1));
  const xs: number[] = [];
  for (let y = ys; y <= ye; y++) {
    const yc = y + 0.5;
    xs.length = 0;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i]!, [xj, yj] = poly[j]!;
      if (yi > yc !== yj > yc) xs.push(xi + ((yc - yi) * (xj - xi)) / (yj - yi));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const a = Math.max(0, Math.ceil(xs[k]! - 0.5)), b = Math.min(width - 1, Math.floor(xs[k + 1]! - 0.5));
      for (let x = a; x <= b; x++) mask[y * width + x] = 1;
    }
  }
  return mask;
}

export interface Exposure {
  /** Mean luma over the face oval, 0..255. */
  meanLuma: number;
  /** Fraction of face pixels with luma ≤ 16 (crushed shadows). */
  darkFraction: number;
  /** Fraction of face pixels with luma ≥ 250 (blown highlights). */
  brightFraction: number;
  /** Face pixels measured. */
  pixels: number;
}

export function measureExposure(img: RgbaImage, lm: Float32Array): Exposure {
  const mask = faceOvalMask(lm, img.width, img.height);
  let n = 0, sum = 0, dark = 0, bright = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const y = luma(img.data, i * 4);
    n++;
    sum += y;
    if (y <= 16) dark++;
    if (y >= 250) bright++;
  }
  return n ? { meanLuma: sum / n, darkFraction: dark / n, brightFraction: bright / n, pixels: n } : { meanLuma: 0, darkFraction: 1, brightFraction: 0, pixels: 0 };
}

/**
 * The inner face (eyes, nose, mouth: the middle 70 % of the landmark box, made square),
 * cut out and shrunk to at most `maxSize`² with box prefiltering (never enlarged:
 * interpolation would fake blur); grey values (luma) 0..255.
 */
export function innerFaceGrey(img: RgbaImage, box: FaceBox, maxSize = SHARPNESS_CROP_PX): { grey: Float32Array; size: number } {
  const side = Math.max(box.width, box.height) * 0.7;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const x0 = Math.round(cx - side / 2), y0 = Math.round(cy - side / 2), s = Math.max(1, Math.round(side));
  const crop = createImage(s, s);
  for (let y = 0; y < s; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, y0 + y));
    for (let x = 0; x < s; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, x0 + x));
      const i = (sy * img.width + sx) * 4, o = (y * s + x) * 4;
      crop.data[o] = img.data[i]!; crop.data[o + 1] = img.data[i + 1]!; crop.data[o + 2] = img.data[i + 2]!; crop.data[o + 3] = 255;
    }
  }
  const size = Math.min(s, maxSize);
  const small = size === s ? crop : resize(crop, size, size);
  const grey = new Float32Array(size * size);
  for (let i = 0; i < grey.length; i++) grey[i] = luma(small.data, i * 4);
  return { grey, size };
}

/**
 * Sharpness: variance of the 4-neighbour Laplacian of the inner-face crop, shrunk to at
 * most `SHARPNESS_CROP_PX`, so that it measures detail at the size the face is used,
 * whatever the photo's resolution.
 */
export function laplacianVariance(grey: Float32Array, size: number): number {
  let n = 0, sum = 0, sq = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const i = y * size + x;
      const l = grey[i - 1]! + grey[i + 1]! + grey[i - size]! + grey[i + size]! - 4 * grey[i]!;
      n++;
      sum += l;
      sq += l * l;
    }
  }
  const mean = sum / n;
  return sq / n - mean * mean;
}

/**
 * Contrast-invariant sharpness: energy of the Laplacian over energy of the gradient on the
 * inner-face crop (both ∝ contrast², so the ratio measures how much of the detail is at the
 * finest scale, not how much detail or light there is). Calibrated on the shared stills:
 * 0.80–4.3 for all 31 of them, ≤ 0.63 once blurred with a Gaussian of σ = 1 px at the
 * measurement scale (README "Enrollment").
 */
export function sharpnessRatio(grey: Float32Array, size: number): number {
  let l2 = 0, g2 = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const i = y * size + x;
      const l = grey[i - 1]! + grey[i + 1]! + grey[i - size]! + grey[i + size]! - 4 * grey[i]!;
      const gx = (grey[i + 1]! - grey[i - 1]!) / 2, gy = (grey[i + size]! - grey[i - size]!) / 2;
      l2 += l * l;
      g2 += gx * gx + gy * gy;
    }
  }
  return g2 > 0 ? l2 / g2 : 0;
}
