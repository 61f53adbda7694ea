/**
 * Weighted 3D similarity (Procrustes/Horn) between landmark sets, in a right-handed y-up frame.
 * Image landmarks (x right, y down, z away from camera, normalised) are lifted to that frame with
 * `liftLandmarks` so the fitted rotation is proper.
 */
import { PROCRUSTES_BASIS } from './mesh-data.ts';

/** X ↦ s·R·X + t, R row-major 3×3. */
export interface Pose { s: number; R: Float64Array; t: [number, number, number] }

/** Image-normalised landmarks → isotropic, y-up, z-towards-camera units of the image height. */
export function liftLandmarks(l: Float32Array, aspect: number): Float64Array {
  const out = new Float64Array(l.length);
  for (let i = 0; i < l.length; i += 3) { out[i] = l[i]! * aspect; out[i + 1] = -l[i + 1]!; out[i + 2] = -l[i + 2]! * aspect; }
  return out;
}
export function lowerLandmarks(p: Float64Array, aspect: number): Float32Array {
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 3) { out[i] = p[i]! / aspect; out[i + 1] = -p[i + 1]!; out[i + 2] = -p[i + 2]! / aspect; }
  return out;
}

const BASIS_IDS = PROCRUSTES_BASIS.map(([i]) => i);
const BASIS_W = PROCRUSTES_BASIS.map(([, w]) => w);

/** Fits pose mapping src (3×n) onto dst over the Procrustes basis landmarks. */
export function fitPose(src: ArrayLike<number>, dst: ArrayLike<number>, ids: readonly number[] = BASIS_IDS, weights: readonly number[] = BASIS_W): Pose {
  let W = 0;
  const cs = [0, 0, 0], cd = [0, 0, 0];
  ids.forEach((id, k) => {
    const w = weights[k]!; W += w;
    for (let j = 0; j < 3; j++) { cs[j]! += w * src[id * 3 + j]!; cd[j]! += w * dst[id * 3 + j]!; }
  });
  for (let j = 0; j < 3; j++) { cs[j]! /= W; cd[j]! /= W; }
  // Cross-covariance S[a][b] = Σ w (src_a)(dst_b), and source variance.
  const S = new Float64Array(9);
  let varS = 0;
  ids.forEach((id, k) => {
    const w = weights[k]!;
    const a = [src[id * 3]! - cs[0]!, src[id * 3 + 1]! - cs[1]!, src[id * 3 + 2]! - cs[2]!];
    const b = [dst[id * 3]! - cd[0]!, dst[id * 3 + 1]! - cd[1]!, dst[id * 3 + 2]! - cd[2]!];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) S[r * 3 + c]! += w * a[r]! * b[c]!;
    varS += w * (a[0]! ** 2 + a[1]! ** 2 + a[2]! ** 2);
  });
  const [Sxx, Sxy, Sxz, Syx, Syy, Syz, Szx, Szy, Szz] = S as unknown as number[];
  const N = [
    [Sxx! + Syy! + Szz!, Syz! - Szy!, Szx! - Sxz!, Sxy! - Syx!],
    [Syz! - Szy!, Sxx! - Syy! - Szz!, Sxy! + Syx!, Szx! + Sxz!],
    [Szx! - Sxz!, Sxy! + Syx!, -Sxx! + Syy! - Szz!, Syz! + Szy!],
    [Sxy! - Syx!, Szx! + Sxz!, Syz! + Szy!, -Sxx! - Syy! + Szz!],
  ];
  const [w, x, y, z] = largestEigenvector4(N);
  const R = new Float64Array([
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z,
  ]);
  // Scale: Σ w b·(R a) / Σ w |a|².
  let num = 0;
  ids.forEach((id, k) => {
    const wk = weights[k]!;
    const a = [src[id * 3]! - cs[0]!, src[id * 3 + 1]! - cs[1]!, src[id * 3 + 2]! - cs[2]!];
    const b = [dst[id * 3]! - cd[0]!, dst[id * 3 + 1]! - cd[1]!, dst[id * 3 + 2]! - cd[2]!];
    for (let r = 0; r < 3; r++) num += wk * b[r]! * (R[r * 3]! * a[0]! + R[r * 3 + 1]! * a[1]! + R[r * 3 + 2]! * a[2]!);
  });
  const s = varS > 0 ? num / varS : 1;
  const t: [number, number, number] = [0, 0, 0];
  for (let r = 0; r < 3; r++) t[r] = cd[r]! - s * (R[r * 3]! * cs[0]! + R[r * 3 + 1]! * cs[1]! + R[r * 3 + 2]! * cs[2]!);
  return { s, R, t };
}

function largestEigenvector4(M: number[][]): [number, number, number, number] {
  // Jacobi eigenvalue iteration on a symmetric 4×4.
  const A = M.map((r) => [...r]);
  const V = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) off += A[p]![q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) {
      const apq = A[p]![q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (A[q]![q]! - A[p]![p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < 4; k++) {
        const akp = A[k]![p]!, akq = A[k]![q]!;
        A[k]![p] = c * akp - s * akq; A[k]![q] = s * akp + c * akq;
      }
      for (let k = 0; k < 4; k++) {
        const apk = A[p]![k]!, aqk = A[q]![k]!;
        A[p]![k] = c * apk - s * aqk; A[q]![k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 4; k++) {
        const vkp = V[k]![p]!, vkq = V[k]![q]!;
        V[k]![p] = c * vkp - s * vkq; V[k]![q] = s * vkp + c * vkq;
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (A[i]![i]! > A[best]![best]!) best = i;
  return [V[0]![best]!, V[1]![best]!, V[2]![best]!, V[3]![best]!];
}

export function applyPose(p: Pose, src: ArrayLike<number>, out: Float64Array = new Float64Array(src.length)): Float64Array {
  const { s, R, t } = p;
  for (let i = 0; i < src.length; i += 3) {
    const x = src[i]!, y = src[i + 1]!, z = src[i + 2]!;
    for (let r = 0; r < 3; r++) out[i + r] = s * (R[r * 3]! * x + R[r * 3 + 1]! * y + R[r * 3 + 2]! * z) + t[r]!;
  }
  return out;
}

export function invertPose(p: Pose): Pose {
  const R = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) R[r * 3 + c] = p.R[c * 3 + r]!;
  const s = 1 / p.s;
  const t: [number, number, number] = [0, 0, 0];
  for (let r = 0; r < 3; r++) t[r] = -s * (R[r * 3]! * p.t[0] + R[r * 3 + 1]! * p.t[1] + R[r * 3 + 2]! * p.t[2]);
  return { s, R, t };
}

/** a ∘ b: first b, then a. */
export function composePose(a: Pose, b: Pose): Pose {
  const R = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    let v = 0;
    for (let k = 0; k < 3; k++) v += a.R[r * 3 + k]! * b.R[k * 3 + c]!;
    R[r * 3 + c] = v;
  }
  const t: [number, number, number] = [0, 0, 0];
  for (let r = 0; r < 3; r++) t[r] = a.s * (a.R[r * 3]! * b.t[0] + a.R[r * 3 + 1]! * b.t[1] + a.R[r * 3 + 2]! * b.t[2]) + a.t[r]!;
  return { s: a.s * b.s, R, t };
}
