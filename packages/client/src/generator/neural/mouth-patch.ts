/**
 * The mouth refiner's patch: a square, rotation-normalised window around the lips, in the warp
 * generator's mouth frame (face-model.ts: origin between the inner lip corners 78/308, x along
 * them, scale = their distance). The same geometry cuts the training patches out of real frames
 * and warp renders (scripts/neural-mouth-cache.ts) and, at run time, the warp render's patch the
 * network corrects and pastes back (compositeMouthPatch).
 *
 * Patch pixel (i, j) of an S×S patch sits at mouth-frame coordinates
 *   a = ((i + 0.5) / S − 0.5) · SPAN,  b = ((j + 0.5) / S − 0.5) · SPAN + DROP
 * (in corner distances), i.e. the window spans SPAN corner distances each way and is centred
 * DROP below the corners, where an opening jaw moves the lower lip.
 *
 * The eye refiner cuts its windows with the same code: a `PatchRegion` names the two corner
 * landmarks, the span, the drop and the two contours of the shape image (EYE_REGIONS: each eye
 * between its corners, the iris and the opening); every function here takes one (default the mouth's).
 */
import type { RgbaImage } from '../image.ts';
import { cornerFrame, type MouthFrame } from '../warp/face-model.ts';
import { LEFT_EYE_LOOP, RIGHT_EYE_LOOP } from '../mesh-data.ts';

/** Where the app serves models/weights/mouth/ by default (here, not in mouth-model.ts, so that tfjs-free code can name it). */
export const DEFAULT_MOUTH_WEIGHTS_URL = '/models/mouth/model.json';
/** Where the app serves models/weights/eyes/ (the eye refiner) by default. */
export const DEFAULT_EYE_WEIGHTS_URL = '/models/eyes/model.json';

/** Window side, in inner-corner distances. */
export const MOUTH_PATCH_SPAN = 1.6;
/** Window centre below the corners' midpoint, in inner-corner distances. */
export const MOUTH_PATCH_DROP = 0.1;

/** Outer and inner lip contours (MediaPipe face mesh), each a closed loop. */
export const OUTER_LIP_LOOP: readonly number[] = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];
export const INNER_LIP_LOOP: readonly number[] = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191];

/**
 * A refiner's window: two corner landmarks define the frame (origin between them, x from the
 * first to the second, scale their distance), the window spans `span` distances each way and is
 * centred `drop` below them; `loops` are the two filled contours of the shape image (channel 0,
 * then channel 1 — channel 1 covers the region the metrics score).
 */
export interface PatchRegion {
  name: string;
  corners: readonly [number, number];
  span: number;
  drop: number;
  loops: readonly [readonly number[], readonly number[]];
}

export const MOUTH_REGION: PatchRegion = { name: 'mouth', corners: [78, 308], span: MOUTH_PATCH_SPAN, drop: MOUTH_PATCH_DROP, loops: [INNER_LIP_LOOP, OUTER_LIP_LOOP] };

/** Eye windows: corners outer→inner (right eye) and inner→outer (left eye), so x runs left to right in the image for both; channel 0 the iris, channel 1 the eye opening. */
export const EYE_PATCH_SPAN = 1.6;
export const EYE_PATCH_DROP = -0.12;
export const EYE_REGIONS: readonly PatchRegion[] = [
  { name: 'eye-right', corners: [33, 133], span: EYE_PATCH_SPAN, drop: EYE_PATCH_DROP, loops: [[469, 470, 471, 472], RIGHT_EYE_LOOP] },
  { name: 'eye-left', corners: [362, 263], span: EYE_PATCH_SPAN, drop: EYE_PATCH_DROP, loops: [[474, 475, 476, 477], LEFT_EYE_LOOP] },
];

/** The patch's placement in a W×H image: the region's frame of the landmarks in that image's pixels. */
export function mouthPatchFrame(landmarks: ArrayLike<number>, width: number, height: number, region: PatchRegion = MOUTH_REGION): MouthFrame {
  const [a, b] = region.corners;
  return cornerFrame(landmarks[a * 3]! * width, landmarks[a * 3 + 1]! * height, landmarks[b * 3]! * width, landmarks[b * 3 + 1]! * height);
}

/** Image position (pixels, continuous: pixel centres at +0.5) of patch coordinates (u, v) ∈ [0, 1]². */
export function patchToImage(f: MouthFrame, u: number, v: number, region: PatchRegion = MOUTH_REGION): [number, number] {
  const a = (u - 0.5) * region.span * f.len, b = ((v - 0.5) * region.span + region.drop) * f.len;
  return [f.ox + a * f.ux - b * f.uy, f.oy + a * f.uy + b * f.ux];
}

/** Patch coordinates (u, v) of an image position (inverse of patchToImage). */
export function imageToPatch(f: MouthFrame, x: number, y: number, region: PatchRegion = MOUTH_REGION): [number, number] {
  const dx = x - f.ox, dy = y - f.oy;
  const a = (dx * f.ux + dy * f.uy) / f.len, b = (-dx * f.uy + dy * f.ux) / f.len;
  return [a / region.span + 0.5, (b - region.drop) / region.span + 0.5];
}

/** The frame scaled to an image `scale` times the size (e.g. a warp render at a lower resolution). */
export function scaleFrame(f: MouthFrame, scale: number): MouthFrame {
  return { ox: f.ox * scale, oy: f.oy * scale, ux: f.ux, uy: f.uy, len: f.len * scale };
}

function bilinear(img: RgbaImage, x: number, y: number, out: number[]): void {
  // x, y in pixel-centre units (pixel k's centre at k); clamped to the edge.
  const W = img.width, H = img.height, d = img.data;
  const cx = Math.min(Math.max(x, 0), W - 1), cy = Math.min(Math.max(y, 0), H - 1);
  const x0 = Math.floor(cx), y0 = Math.floor(cy), x1 = Math.min(x0 + 1, W - 1), y1 = Math.min(y0 + 1, H - 1);
  const fx = cx - x0, fy = cy - y0;
  const o00 = (y0 * W + x0) * 4, o10 = (y0 * W + x1) * 4, o01 = (y1 * W + x0) * 4, o11 = (y1 * W + x1) * 4;
  for (let c = 0; c < 3; c++) {
    out[c] = (d[o00 + c]! * (1 - fx) + d[o10 + c]! * fx) * (1 - fy) + (d[o01 + c]! * (1 - fx) + d[o11 + c]! * fx) * fy;
  }
}

/**
 * Samples the S×S patch of `img` (RGB, 0–255 floats, row-major, 3 per pixel). Each patch pixel
 * averages n×n bilinear taps spread over its footprint (n = ⌈image pixels per patch pixel⌉), so
 * downsampling does not alias.
 */
export function sampleMouthPatch(img: RgbaImage, f: MouthFrame, size: number, out: Float32Array = new Float32Array(size * size * 3), region: PatchRegion = MOUTH_REGION): Float32Array {
  const n = Math.max(1, Math.min(8, Math.ceil((region.span * f.len) / size)));
  const px: number[] = [0, 0, 0];
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let r = 0, g = 0, b = 0;
      for (let sj = 0; sj < n; sj++) {
        for (let si = 0; si < n; si++) {
          const [x, y] = patchToImage(f, (i + (si + 0.5) / n) / size, (j + (sj + 0.5) / n) / size, region);
          bilinear(img, x - 0.5, y - 0.5, px);
          r += px[0]!; g += px[1]!; b += px[2]!;
        }
      }
      const o = (j * size + i) * 3, k = n * n;
      out[o] = r / k; out[o + 1] = g / k; out[o + 2] = b / k;
    }
  }
  return out;
}

/**
 * The lips as the network sees them: channel 0 the filled inner-lip contour (the mouth opening),
 * channel 1 the filled outer-lip contour (lips and opening), each antialiased (4×4 samples per
 * pixel), values in [0, 1], S×S×2 row-major. `landmarks` are normalised to a W×H image.
 */
export function lipImage(landmarks: ArrayLike<number>, width: number, height: number, f: MouthFrame, size: number, out: Float32Array = new Float32Array(size * size * 2), region: PatchRegion = MOUTH_REGION): Float32Array {
  const loops = region.loops.map((loop) => {
    const xs = new Float64Array(loop.length), ys = new Float64Array(loop.length);
    loop.forEach((idx, k) => {
      const [u, v] = imageToPatch(f, landmarks[idx * 3]! * width, landmarks[idx * 3 + 1]! * height, region);
      xs[k] = u * size; ys[k] = v * size;
    });
    return { xs, ys };
  });
  // Even-odd fill at 4×4 samples per pixel, one scanline per sample row: a sample is inside when
  // an odd number of the row's edge crossings lie to its right — the ray-crossing test, with the
  // crossings computed once per row instead of once per sample.
  const ss = 4, xc = new Float64Array(region.loops[0].length + region.loops[1].length);
  out.fill(0, 0, size * size * 2);
  for (let c = 0; c < 2; c++) {
    const { xs, ys } = loops[c]!;
    for (let j = 0; j < size; j++) {
      for (let sj = 0; sj < ss; sj++) {
        const y = j + (sj + 0.5) / ss;
        let n = 0;
        for (let a = 0, b = xs.length - 1; a < xs.length; b = a++) {
          if ((ys[a]! > y) !== (ys[b]! > y)) xc[n++] = ((xs[b]! - xs[a]!) * (y - ys[a]!)) / (ys[b]! - ys[a]!) + xs[a]!;
        }
        if (n === 0) continue;
        for (let i = 0; i < size; i++) {
          let hits = 0;
          for (let si = 0; si < ss; si++) {
            const x = i + (si + 0.5) / ss;
            let right = 0;
            for (let k = 0; k < n; k++) if (x < xc[k]!) right++;
            hits += right & 1;
          }
          const o = (j * size + i) * 2 + c;
          out[o] = out[o]! + hits / (ss * ss);
        }
      }
    }
  }
  return out;
}

/**
 * Adds a patch-space correction onto `frame` in place. `corr` holds 4 values per patch pixel (S×S
 * row-major): the correction in 0–255 units (RGB) and its weight alpha ∈ [0, 1]. Every frame pixel
 * inside the patch gets the bilinear interpolation of alpha·correction at its patch coordinates;
 * pixels outside the patch are untouched.
 */
export function compositeMouthPatch(frame: { width: number; height: number; data: Uint8ClampedArray | Uint8Array }, f: MouthFrame, size: number, corr: Float32Array, region: PatchRegion = MOUTH_REGION): void {
  const W = frame.width, H = frame.height, d = frame.data;
  const corners = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([u, v]) => patchToImage(f, u!, v!, region));
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0])))), x1 = Math.min(W - 1, Math.ceil(Math.max(...corners.map((c) => c[0]))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1])))), y1 = Math.min(H - 1, Math.ceil(Math.max(...corners.map((c) => c[1]))));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const [u, v] = imageToPatch(f, x + 0.5, y + 0.5, region);
      const px = u * size - 0.5, py = v * size - 0.5;
      if (px < -0.5 || py < -0.5 || px > size - 0.5 || py > size - 0.5) continue;
      const cx = Math.min(Math.max(px, 0), size - 1), cy = Math.min(Math.max(py, 0), size - 1);
      const i0 = Math.floor(cx), j0 = Math.floor(cy), i1 = Math.min(i0 + 1, size - 1), j1 = Math.min(j0 + 1, size - 1);
      const fx = cx - i0, fy = cy - j0;
      // Bilinear weights × each tap's alpha (premultiplied).
      const q00 = (j0 * size + i0) * 4, q10 = (j0 * size + i1) * 4, q01 = (j1 * size + i0) * 4, q11 = (j1 * size + i1) * 4;
      const w00 = (1 - fx) * (1 - fy) * corr[q00 + 3]!, w10 = fx * (1 - fy) * corr[q10 + 3]!, w01 = (1 - fx) * fy * corr[q01 + 3]!, w11 = fx * fy * corr[q11 + 3]!;
      if (w00 + w10 + w01 + w11 <= 0) continue;
      const o = (y * W + x) * 4;
      for (let c = 0; c < 3; c++) {
        const add = corr[q00 + c]! * w00 + corr[q10 + c]! * w10 + corr[q01 + c]! * w01 + corr[q11 + c]! * w11;
        d[o + c] = Math.min(255, Math.max(0, Math.round(d[o + c]! + add)));
      }
    }
  }
}
