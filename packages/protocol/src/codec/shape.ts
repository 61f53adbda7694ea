/**
 * Shape analysis and synthesis shared by the encoder, the decoder and the
 * basis-learning script.
 *
 * Spaces: tracker landmarks are normalised image coordinates (x by width, y by
 * height, z on the scale of x). The codec works in an isotropic space where
 * y is multiplied by `aspect` = height / width, so a similarity transform
 * (rotation, uniform scale, translation) maps the canonical face onto it.
 */
import { BLENDSHAPE_COUNT } from '../frame.ts';
import { COORDS, POSE_PARAMS, type Basis } from './basis.ts';
import {
  fitSimilarity,
  invertSimilarity,
  matToRotvec,
  normaliseShape,
  procrustesMean,
  rotvecToMat,
  applySimilarity,
} from './geometry.ts';

export function toIsotropic(landmarks: ArrayLike<number>, aspect: number, out = new Float64Array(COORDS)): Float64Array {
  for (let i = 0; i < COORDS; i += 3) {
    out[i] = landmarks[i]!;
    out[i + 1] = landmarks[i + 1]! * aspect;
    out[i + 2] = landmarks[i + 2]!;
  }
  return out;
}

/**
 * Aligns any 478-point shape (e.g. a painting's landmarks, in normalised image
 * coordinates of an image with the given aspect) to the basis template: centred,
 * unit RMS radius, template orientation. Use the result as a neutral.
 */
export function canonicaliseNeutral(landmarks: ArrayLike<number>, template: ArrayLike<number>, aspect = 1): Float32Array {
  if (landmarks.length !== COORDS) throw new TypeError(`neutral shape must have ${COORDS} values, got ${landmarks.length}`);
  const iso = normaliseShape(toIsotropic(landmarks, aspect));
  const sim = fitSimilarity(iso, template);
  const out = new Float64Array(COORDS);
  applySimilarity({ s: 1, r: sim.r, t: [0, 0, 0] }, iso, out);
  return Float32Array.from(normaliseShape(out));
}

/**
 * Estimates a person's neutral shape from tracked frames (Procrustes mean of up to
 * `maxFrames` evenly spaced frames with a face). In production the neutral comes from
 * the avatar embedding; this is for tools, the bench and tests.
 */
export function estimateNeutral(
  frames: readonly { landmarks: Float32Array | null }[],
  template: ArrayLike<number>,
  aspect = 1,
  maxFrames = 300,
): Float32Array {
  const withFace = frames.filter((f) => f.landmarks !== null);
  if (withFace.length === 0) throw new TypeError('estimateNeutral: no frame has a face');
  const stride = Math.max(1, Math.floor(withFace.length / maxFrames));
  const shapes: Float64Array[] = [];
  for (let i = 0; i < withFace.length; i += stride) shapes.push(toIsotropic(withFace[i]!.landmarks!, aspect));
  return Float32Array.from(procrustesMean(shapes, template));
}

/** Continuous pose of a frame: [rotvec x, y, z, ln s, tx/s, ty/s, tz/s] and canonical offset. */
export function analyseShape(
  iso: Float64Array,
  neutral: ArrayLike<number>,
  offsetOut: Float64Array,
): Float64Array {
  const sim = fitSimilarity(neutral, iso);
  invertSimilarity(sim, iso, offsetOut);
  for (let i = 0; i < COORDS; i++) offsetOut[i] = offsetOut[i]! - neutral[i]!;
  const rv = matToRotvec(sim.r);
  const pose = new Float64Array(POSE_PARAMS);
  pose[0] = rv[0]; pose[1] = rv[1]; pose[2] = rv[2];
  pose[3] = Math.log(sim.s);
  pose[4] = sim.t[0] / sim.s; pose[5] = sim.t[1] / sim.s; pose[6] = sim.t[2] / sim.s;
  return pose;
}

/** Projects a canonical offset onto the basis: c_k = Σ_i project[k,i]·(offset_i − mean_i). */
export function projectOffset(basis: Pick<Basis, 'components' | 'project' | 'mean'>, offset: Float64Array, out = new Float64Array(basis.components)): Float64Array {
  const { project, mean } = basis;
  const centred = new Float64Array(COORDS);
  for (let i = 0; i < COORDS; i++) centred[i] = offset[i]! - mean[i]!;
  for (let k = 0; k < basis.components; k++) {
    let acc = 0;
    const base = k * COORDS;
    for (let i = 0; i < COORDS; i++) acc += project[base + i]! * centred[i]!;
    out[k] = acc;
  }
  return out;
}

/**
 * Rebuilds landmarks in normalised image coordinates:
 * x = s·R·(neutral + mean + Σ c_k·recon_k) + t, then y / aspect.
 */
export function synthesise(
  basis: Pick<Basis, 'components' | 'reconT' | 'mean'>,
  neutral: ArrayLike<number>,
  pose: ArrayLike<number>,
  coefs: ArrayLike<number>,
  aspect: number,
  out = new Float32Array(COORDS),
): Float32Array {
  const { reconT, mean } = basis;
  const kk = basis.components;
  // Non-zero coefficients only (most high-order ones quantise to zero).
  const idx = new Int32Array(kk);
  const val = new Float64Array(kk);
  let nnz = 0;
  for (let k = 0; k < kk; k++) {
    const c = coefs[k]!;
    if (c !== 0) {
      idx[nnz] = k;
      val[nnz++] = c;
    }
  }
  const r = rotvecToMat(pose[0]!, pose[1]!, pose[2]!);
  const s = Math.exp(pose[3]!);
  const tx = pose[4]! * s, ty = pose[5]! * s, tz = pose[6]! * s;
  const r0 = s * r[0]!, r1 = s * r[1]!, r2 = s * r[2]!;
  const r3 = s * r[3]!, r4 = s * r[4]!, r5 = s * r[5]!;
  const r6 = s * r[6]!, r7 = s * r[7]!, r8 = s * r[8]!;
  const invAspect = 1 / aspect;
  for (let i = 0; i < COORDS; i += 3) {
    let x = neutral[i]! + mean[i]!;
    let y = neutral[i + 1]! + mean[i + 1]!;
    let z = neutral[i + 2]! + mean[i + 2]!;
    const bx = i * kk, by = bx + kk, bz = by + kk;
    for (let j = 0; j < nnz; j++) {
      const k = idx[j]!;
      const c = val[j]!;
      x += c * reconT[bx + k]!;
      y += c * reconT[by + k]!;
      z += c * reconT[bz + k]!;
    }
    out[i] = r0 * x + r1 * y + r2 * z + tx;
    out[i + 1] = (r3 * x + r4 * y + r5 * z + ty) * invAspect;
    out[i + 2] = r6 * x + r7 * y + r8 * z + tz;
  }
  return out;
}

/** Blendshape features: [coefs (K), rotvec (3), 1]. */
export function blendshapeFeatures(coefs: ArrayLike<number>, pose: ArrayLike<number>, k: number): Float64Array {
  const f = new Float64Array(k + 4);
  for (let i = 0; i < k; i++) f[i] = coefs[i]!;
  f[k] = pose[0]!; f[k + 1] = pose[1]!; f[k + 2] = pose[2]!; f[k + 3] = 1;
  return f;
}

/** Linear prediction of the 52 blendshapes from the features (unclamped). */
export function predictBlendshapes(regression: ArrayLike<number>, features: Float64Array, out = new Float64Array(BLENDSHAPE_COUNT)): Float64Array {
  out.fill(0);
  for (let f = 0; f < features.length; f++) {
    const v = features[f]!;
    if (v === 0) continue;
    const base = f * BLENDSHAPE_COUNT;
    for (let j = 0; j < BLENDSHAPE_COUNT; j++) out[j] = out[j]! + v * regression[base + j]!;
  }
  return out;
}

/** Quantises with a rounding dead zone (fraction of a step pulled towards zero). */
export function quantise(v: number, step: number, deadzone = 0): number {
  const a = Math.abs(v) / step;
  const q = Math.floor(a + 0.5 - deadzone);
  return q <= 0 ? 0 : v < 0 ? -q : q;
}
