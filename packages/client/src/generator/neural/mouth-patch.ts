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
 */
import type { RgbaImage } from '../image.ts';
import { mouthFrame, type MouthFrame } from '../warp/face-model.ts';

/** Where the app serves models/weights/mouth/ by default (here, not in mouth-model.ts, so that tfjs-free code can name it). */
export const DEFAULT_MOUTH_WEIGHTS_URL = '/models/mouth/model.json';

/** Window side, in inner-corner distances. */
export const MOUTH_PATCH_SPAN = 1.6;
/** Window centre below the corners' midpoint, in inner-corner distances. */
export const MOUTH_PATCH_DROP = 0.1;

/** Outer and inner lip contours (MediaPipe face mesh), each a closed loop. */
export const OUTER_LIP_LOOP: readonly number[] = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];
export const INNER_LIP_LOOP: readonly number[] = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191];

/** The two corner landmarks in pixels, for mouthFrame (which reads only 78 and 308); reused per call. */
const cornerScratch = new Float32Array(478 * 3);

/** The patch's placement in a W×H image: the mouth frame of the landmarks in that image's pixels. */
export function mouthPatchFrame(landmarks: ArrayLike<number>, width: number, height: number): MouthFrame {
  for (const i of [78, 308]) { cornerScratch[i * 3] = landmarks[i * 3]! * width; cornerScratch[i * 3 + 1] = landmarks[i * 3 + 1]! * height; }
  return mouthFrame(cornerScratch);
}

/** Image position (pixels, continuous: pixel centres at +0.5) of patch coordinates (u, v) ∈ [0, 1]². */
export function patchToImage(f: MouthFrame, u: number, v: number): [number, number] {
  const a = (u - 0.5) * MOUTH_PATCH_SPAN * f.len, b = ((v - 0.5) * MOUTH_PATCH_SPAN + MOUTH_PATCH_DROP) * f.len;
  return [f.ox + a * f.ux - b * f.uy, f.oy + a * f.uy + b * f.ux];
}

/** Patch coordinates (u, v) of an image position (inverse of patchToImage). */
export function imageToPatch(f: MouthFrame, x: number, y: number): [number, number] {
  const dx = x - f.ox, dy = y - f.oy;
  const a = (dx * f.ux + dy * f.uy) / f.len, b = (-dx * f.uy + dy * f.ux) / f.len;
  return [a / MOUTH_PATCH_SPAN + 0.5, (b - MOUTH_PATCH_DROP) / MOUTH_PATCH_SPAN + 0.5];
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
export function sampleMouthPatch(img: RgbaImage, f: MouthFrame, size: number, out: Float32Array = new Float32Array(size * size * 3)): Float32Array {
  const n = Math.max(1, Math.min(8, Math.ceil((MOUTH_PATCH_SPAN * f.len) / size)));
  const px: number[] = [0, 0, 0];
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let r = 0, g = 0, b = 0;
      for (let sj = 0; sj < n; sj++) {
        for (let si = 0; si < n; si++) {
          const [x, y] = patchToImage(f, (i + (si + 0.5) / n) / size, (j + (sj + 0.5) / n) / size);
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
export function lipImage(landmarks: ArrayLike<number>, width: number, height: number, f: MouthFrame, size: number, out: Float32Array = new Float32Array(size * size * 2)): Float32Array {
  const loops = [INNER_LIP_LOOP, OUTER_LIP_LOOP].map((loop) => {
    const xs = new Float64Array(loop.length), ys = new Float64Array(loop.length);
    loop.forEach((idx, k) => {
      const [u, v] = imageToPatch(f, landmarks[idx * 3]! * width, landmarks[idx * 3 + 1]! * height);
      xs[k] = u * size; ys[k] = v * size;
    });
    return { xs, ys };
  });
  // Even-odd fill at 4×4 samples per pixel, one scanline per sample row: a sample is inside when
  // an odd number of the row's edge crossings lie to its right — the ray-crossing test, with the
  // crossings computed once per row instead of once per sample.
  const ss = 4, xc = new Float64Array(INNER_LIP_LOOP.length + OUTER_LIP_LOOP.length);
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
export function compositeMouthPatch(frame: { width: number; height: number; data: Uint8ClampedArray | Uint8Array }, f: MouthFrame, size: number, corr: Float32Array): void {
  const W = frame.width, H = frame.height, d = frame.data;
  const corners = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([u, v]) => patchToImage(f, u!, v!));
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0])))), x1 = Math.min(W - 1, Math.ceil(Math.max(...corners.map((c) => c[0]))));
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1])))), y1 = Math.min(H - 1, Math.ceil(Math.max(...corners.map((c) => c[1]))));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const [u, v] = imageToPatch(f, x + 0.5, y + 0.5);
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
