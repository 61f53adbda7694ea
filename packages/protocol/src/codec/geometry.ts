/**
 * Small fixed-size linear algebra for the codec: similarity Procrustes (Horn's
 * quaternion method), rotation vectors, and generalised Procrustes for a neutral shape.
 * Points are flat Float64Array/Float32Array [x0, y0, z0, x1, ...].
 */

export type Mat3 = Float64Array; // row-major 3×3

export interface Similarity {
  /** Uniform scale. */
  s: number;
  /** Rotation, row-major 3×3. */
  r: Mat3;
  /** Translation. */
  t: [number, number, number];
}

/** Eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi). */
function maxEigenvector4(a: Float64Array): Float64Array {
  const m = Float64Array.from(a);
  const v = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) off += m[p * 4 + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < 4; p++) {
      for (let q = p + 1; q < 4; q++) {
        const apq = m[p * 4 + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * 4 + q]! - m[p * 4 + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < 4; k++) {
          const mkp = m[k * 4 + p]!;
          const mkq = m[k * 4 + q]!;
          m[k * 4 + p] = c * mkp - s * mkq;
          m[k * 4 + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < 4; k++) {
          const mpk = m[p * 4 + k]!;
          const mqk = m[q * 4 + k]!;
          m[p * 4 + k] = c * mpk - s * mqk;
          m[q * 4 + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = v[k * 4 + p]!;
          const vkq = v[k * 4 + q]!;
          v[k * 4 + p] = c * vkp - s * vkq;
          v[k * 4 + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (m[i * 4 + i]! > m[best * 4 + best]!) best = i;
  return new Float64Array([v[best]!, v[4 + best]!, v[8 + best]!, v[12 + best]!]);
}

export function quatToMat(w: number, x: number, y: number, z: number): Mat3 {
  const n = Math.hypot(w, x, y, z) || 1;
  w /= n; x /= n; y /= n; z /= n;
  return new Float64Array([
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ]);
}

/**
 * Least-squares similarity mapping `src` onto `dst` (both n points):
 * minimises Σ |s·R·src_i + t − dst_i|².
 */
export function fitSimilarity(src: ArrayLike<number>, dst: ArrayLike<number>): Similarity {
  const n = src.length / 3;
  let ax = 0, ay = 0, az = 0, bx = 0, by = 0, bz = 0;
  for (let i = 0; i < n; i++) {
    ax += src[3 * i]!; ay += src[3 * i + 1]!; az += src[3 * i + 2]!;
    bx += dst[3 * i]!; by += dst[3 * i + 1]!; bz += dst[3 * i + 2]!;
  }
  ax /= n; ay /= n; az /= n; bx /= n; by /= n; bz /= n;
  let sxx = 0, sxy = 0, sxz = 0, syx = 0, syy = 0, syz = 0, szx = 0, szy = 0, szz = 0, na = 0;
  for (let i = 0; i < n; i++) {
    const px = src[3 * i]! - ax, py = src[3 * i + 1]! - ay, pz = src[3 * i + 2]! - az;
    const qx = dst[3 * i]! - bx, qy = dst[3 * i + 1]! - by, qz = dst[3 * i + 2]! - bz;
    sxx += px * qx; sxy += px * qy; sxz += px * qz;
    syx += py * qx; syy += py * qy; syz += py * qz;
    szx += pz * qx; szy += pz * qy; szz += pz * qz;
    na += px * px + py * py + pz * pz;
  }
  const nm = new Float64Array([
    sxx + syy + szz, syz - szy, szx - sxz, sxy - syx,
    syz - szy, sxx - syy - szz, sxy + syx, szx + sxz,
    szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy,
    sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz,
  ]);
  const q = maxEigenvector4(nm);
  const r = quatToMat(q[0]!, q[1]!, q[2]!, q[3]!);
  // s = Σ q·(R p) / Σ |p|²  =  trace(R · Sᵀ-ish) / na
  const num =
    r[0]! * sxx + r[1]! * syx + r[2]! * szx +
    r[3]! * sxy + r[4]! * syy + r[5]! * szy +
    r[6]! * sxz + r[7]! * syz + r[8]! * szz;
  const s = na > 0 ? num / na : 1;
  const t: [number, number, number] = [
    bx - s * (r[0]! * ax + r[1]! * ay + r[2]! * az),
    by - s * (r[3]! * ax + r[4]! * ay + r[5]! * az),
    bz - s * (r[6]! * ax + r[7]! * ay + r[8]! * az),
  ];
  return { s, r, t };
}

/** Applies s·R·p + t to every point into `out`. */
export function applySimilarity(sim: Similarity, pts: ArrayLike<number>, out: Float64Array): Float64Array {
  const { s, r, t } = sim;
  for (let i = 0; i < pts.length; i += 3) {
    const x = pts[i]!, y = pts[i + 1]!, z = pts[i + 2]!;
    out[i] = s * (r[0]! * x + r[1]! * y + r[2]! * z) + t[0];
    out[i + 1] = s * (r[3]! * x + r[4]! * y + r[5]! * z) + t[1];
    out[i + 2] = s * (r[6]! * x + r[7]! * y + r[8]! * z) + t[2];
  }
  return out;
}

/** Inverse: (Rᵀ(p − t))/s, into `out`. */
export function invertSimilarity(sim: Similarity, pts: ArrayLike<number>, out: Float64Array): Float64Array {
  const { s, r, t } = sim;
  const k = 1 / s;
  for (let i = 0; i < pts.length; i += 3) {
    const x = pts[i]! - t[0], y = pts[i + 1]! - t[1], z = pts[i + 2]! - t[2];
    out[i] = k * (r[0]! * x + r[3]! * y + r[6]! * z);
    out[i + 1] = k * (r[1]! * x + r[4]! * y + r[7]! * z);
    out[i + 2] = k * (r[2]! * x + r[5]! * y + r[8]! * z);
  }
  return out;
}

/** Rotation matrix → rotation vector (axis × angle). */
export function matToRotvec(r: Mat3): [number, number, number] {
  const tr = r[0]! + r[4]! + r[8]!;
  const cos = Math.min(1, Math.max(-1, (tr - 1) / 2));
  const angle = Math.acos(cos);
  const vx = r[7]! - r[5]!, vy = r[2]! - r[6]!, vz = r[3]! - r[1]!;
  const sin = Math.sin(angle);
  if (angle < 1e-9) return [vx / 2, vy / 2, vz / 2];
  if (Math.PI - angle < 1e-6) {
    // Near 180°: axis from the diagonal.
    const ax = Math.sqrt(Math.max(0, (r[0]! + 1) / 2));
    const ay = Math.sqrt(Math.max(0, (r[4]! + 1) / 2)) * (r[1]! >= 0 ? 1 : -1);
    const az = Math.sqrt(Math.max(0, (r[8]! + 1) / 2)) * (r[2]! >= 0 ? 1 : -1);
    return [ax * angle, ay * angle, az * angle];
  }
  const k = angle / (2 * sin);
  return [vx * k, vy * k, vz * k];
}

/** Rotation vector → rotation matrix (Rodrigues). */
export function rotvecToMat(x: number, y: number, z: number): Mat3 {
  const angle = Math.hypot(x, y, z);
  if (angle < 1e-12) return quatToMat(1, x / 2, y / 2, z / 2);
  const h = angle / 2;
  const k = Math.sin(h) / angle;
  return quatToMat(Math.cos(h), x * k, y * k, z * k);
}

/** Centres a shape and scales it to unit RMS point radius, in place. */
export function normaliseShape(shape: Float64Array): Float64Array {
  const n = shape.length / 3;
  let cx = 0, cy = 0, cz = 0;
  for (let i = 0; i < n; i++) { cx += shape[3 * i]!; cy += shape[3 * i + 1]!; cz += shape[3 * i + 2]!; }
  cx /= n; cy /= n; cz /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    shape[3 * i] = shape[3 * i]! - cx; shape[3 * i + 1] = shape[3 * i + 1]! - cy; shape[3 * i + 2] = shape[3 * i + 2]! - cz;
    ss += shape[3 * i]! ** 2 + shape[3 * i + 1]! ** 2 + shape[3 * i + 2]! ** 2;
  }
  const k = ss > 0 ? 1 / Math.sqrt(ss / n) : 1;
  for (let i = 0; i < shape.length; i++) shape[i] = shape[i]! * k;
  return shape;
}

/**
 * Generalised Procrustes mean of `shapes`, expressed in the frame of `template`
 * (centred, unit RMS radius, rotated onto the template).
 */
export function procrustesMean(shapes: ArrayLike<number>[], template: ArrayLike<number>, iterations = 3): Float64Array {
  const len = template.length;
  let ref = normaliseShape(Float64Array.from(template));
  const tmp = new Float64Array(len);
  for (let it = 0; it < iterations; it++) {
    const acc = new Float64Array(len);
    for (const shape of shapes) {
      applySimilarity(fitSimilarity(shape, ref), shape, tmp);
      for (let i = 0; i < len; i++) acc[i] = acc[i]! + tmp[i]!;
    }
    ref = normaliseShape(acc);
    // Keep the orientation of the template.
    const sim = fitSimilarity(ref, template);
    applySimilarity({ s: 1, r: sim.r, t: [0, 0, 0] }, ref, tmp);
    ref = normaliseShape(Float64Array.from(tmp));
  }
  return ref;
}
