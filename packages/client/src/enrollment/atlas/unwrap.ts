/**
 * Unwrapping one photo into MediaPipe canonical UV space: per-triangle visibility (z-buffer at the
 * photo's landmarks) and frontality, and the texel resampling itself.
 */
import { CANONICAL_POSITIONS } from '../../generator/mesh-data.ts';
import { ATLAS_TRIANGLES, EYES, atlasUv, eyeCenter, type Points } from '../../generator/warp/face-model.ts';
import { sampleBilinear, type RgbaImage } from '../../generator/image.ts';

const TRI_COUNT = ATLAS_TRIANGLES.length / 3;

/** Pixel-space position of an ATLAS_TRIANGLES vertex id (landmark or eye-fan centre). */
export function vertexPosition(p: Points, id: number, out: number[]): void {
  if (id >= 0) { out[0] = p[id * 3]!; out[1] = p[id * 3 + 1]!; out[2] = p[id * 3 + 2]!; return; }
  const c = eyeCenter(p, EYES[-1 - id]!);
  out[0] = c[0]; out[1] = c[1]; out[2] = c[2];
}

/** Sign of each triangle's screen-space area when the canonical face looks at the camera. */
const FRONT_SIGN: Int8Array = (() => {
  const s = new Int8Array(TRI_COUNT);
  const pos = (id: number): [number, number] => {
    if (id >= 0) return [CANONICAL_POSITIONS[id * 3]!, -CANONICAL_POSITIONS[id * 3 + 1]!];
    const e = EYES[-1 - id]!;
    let x = 0, y = 0;
    for (const i of e.loop) { x += CANONICAL_POSITIONS[i * 3]!; y -= CANONICAL_POSITIONS[i * 3 + 1]!; }
    return [x / e.loop.length, y / e.loop.length];
  };
  for (let t = 0; t < TRI_COUNT; t++) {
    const a = pos(ATLAS_TRIANGLES[t * 3]!), b = pos(ATLAS_TRIANGLES[t * 3 + 1]!), c = pos(ATLAS_TRIANGLES[t * 3 + 2]!);
    s[t] = Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) || 1;
  }
  return s;
})();

/**
 * Per-triangle quality in [0, 1]: frontality (cosine between the triangle normal and the view
 * direction, 0 when back-facing) × visibility (fraction of its corners and centre that pass a
 * z-buffer test against the whole mesh).
 */
export function triangleQuality(p: Points, width: number, height: number): Float32Array {
  const q = new Float32Array(TRI_COUNT);
  // Depth buffer at ≤ 256 px.
  const scale = Math.min(1, 256 / Math.max(width, height));
  const dw = Math.max(1, Math.round(width * scale)), dh = Math.max(1, Math.round(height * scale));
  const depth = new Float32Array(dw * dh).fill(Infinity);
  const a = [0, 0, 0], b = [0, 0, 0], c = [0, 0, 0];
  const tris: number[][] = [];
  for (let t = 0; t < TRI_COUNT; t++) {
    vertexPosition(p, ATLAS_TRIANGLES[t * 3]!, a); vertexPosition(p, ATLAS_TRIANGLES[t * 3 + 1]!, b); vertexPosition(p, ATLAS_TRIANGLES[t * 3 + 2]!, c);
    tris.push([...a, ...b, ...c]);
    rasterDepth(depth, dw, dh, a[0]! * scale, a[1]! * scale, a[2]!, b[0]! * scale, b[1]! * scale, b[2]!, c[0]! * scale, c[1]! * scale, c[2]!);
  }
  const faceWidth = Math.max(1, width);
  for (let t = 0; t < TRI_COUNT; t++) {
    const v = tris[t]!;
    const e1 = [v[3]! - v[0]!, v[4]! - v[1]!, v[5]! - v[2]!], e2 = [v[6]! - v[0]!, v[7]! - v[1]!, v[8]! - v[2]!];
    const nx = e1[1]! * e2[2]! - e1[2]! * e2[1]!, ny = e1[2]! * e2[0]! - e1[0]! * e2[2]!, nz = e1[0]! * e2[1]! - e1[1]! * e2[0]!;
    const len = Math.hypot(nx, ny, nz);
    if (!(len > 0)) continue;
    const front = (Math.sign(nz) || 1) === FRONT_SIGN[t] ? Math.abs(nz) / len : 0;
    if (front <= 0) continue;
    let vis = 0;
    const pts = [[v[0]!, v[1]!, v[2]!], [v[3]!, v[4]!, v[5]!], [v[6]!, v[7]!, v[8]!], [(v[0]! + v[3]! + v[6]!) / 3, (v[1]! + v[4]! + v[7]!) / 3, (v[2]! + v[5]! + v[8]!) / 3]];
    for (const [x, y, z] of pts) {
      const ix = Math.min(dw - 1, Math.max(0, Math.floor(x! * scale))), iy = Math.min(dh - 1, Math.max(0, Math.floor(y! * scale)));
      // Tolerance: 1.5% of the image width in depth.
      if (z! <= depth[iy * dw + ix]! + 0.015 * faceWidth) vis++;
    }
    q[t] = front * (vis / pts.length);
  }
  return q;
}

function rasterDepth(depth: Float32Array, w: number, h: number, x0: number, y0: number, z0: number, x1: number, y1: number, z1: number, x2: number, y2: number, z2: number): void {
  const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  if (!(Math.abs(area) > 1e-12)) return;
  const minX = Math.max(0, Math.floor(Math.min(x0, x1, x2))), maxX = Math.min(w - 1, Math.ceil(Math.max(x0, x1, x2)));
  const minY = Math.max(0, Math.floor(Math.min(y0, y1, y2))), maxY = Math.min(h - 1, Math.ceil(Math.max(y0, y1, y2)));
  for (let py = minY; py <= maxY; py++) for (let px = minX; px <= maxX; px++) {
    const cx = px + 0.5, cy = py + 0.5;
    const b0 = ((x1 - cx) * (y2 - cy) - (x2 - cx) * (y1 - cy)) / area;
    const b1 = ((x2 - cx) * (y0 - cy) - (x0 - cx) * (y2 - cy)) / area;
    const b2 = 1 - b0 - b1;
    if (b0 < 0 || b1 < 0 || b2 < 0) continue;
    const z = b0 * z0 + b1 * z1 + b2 * z2;
    const i = py * w + px;
    if (z < depth[i]!) depth[i] = z;
  }
}

/**
 * Resamples `photo` into a UV-space image covering uvRect = [u0, v0, u1, v1], triangle by
 * triangle. Texels get the colour and the triangle's weight (0 = no data); with several
 * triangles on one texel the heavier one wins.
 */
export function unwrapPhoto(
  photo: RgbaImage, p: Points, weights: Float32Array, uvRect: readonly [number, number, number, number], outW: number, outH: number,
): { color: Float32Array; weight: Float32Array } {
  const color = new Float32Array(outW * outH * 3), weight = new Float32Array(outW * outH);
  const [u0, v0, u1, v1] = uvRect;
  const sx = outW / (u1 - u0), sy = outH / (v1 - v0);
  const A = [0, 0, 0], B = [0, 0, 0], C = [0, 0, 0];
  const px = new Float32Array(4);
  for (let t = 0; t < TRI_COUNT; t++) {
    const w = weights[t]!;
    if (!(w > 0)) continue;
    const ia = ATLAS_TRIANGLES[t * 3]!, ib = ATLAS_TRIANGLES[t * 3 + 1]!, ic = ATLAS_TRIANGLES[t * 3 + 2]!;
    const ua = atlasUv(ia), ub = atlasUv(ib), uc = atlasUv(ic);
    const ax = (ua[0] - u0) * sx, ay = (ua[1] - v0) * sy, bx = (ub[0] - u0) * sx, by = (ub[1] - v0) * sy, cx = (uc[0] - u0) * sx, cy = (uc[1] - v0) * sy;
    const area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
    if (!(Math.abs(area) > 1e-12)) continue;
    vertexPosition(p, ia, A); vertexPosition(p, ib, B); vertexPosition(p, ic, C);
    // Conservative coverage (texels touching the triangle) so neighbouring triangles leave no seams.
    const minX = Math.max(0, Math.floor(Math.min(ax, bx, cx) - 0.5)), maxX = Math.min(outW - 1, Math.ceil(Math.max(ax, bx, cx) - 0.5));
    const minY = Math.max(0, Math.floor(Math.min(ay, by, cy) - 0.5)), maxY = Math.min(outH - 1, Math.ceil(Math.max(ay, by, cy) - 0.5));
    const pad = 0.75 / Math.sqrt(Math.abs(area));
    for (let yy = minY; yy <= maxY; yy++) for (let xx = minX; xx <= maxX; xx++) {
      const qx = xx + 0.5, qy = yy + 0.5;
      const b0 = ((bx - qx) * (cy - qy) - (cx - qx) * (by - qy)) / area;
      const b1 = ((cx - qx) * (ay - qy) - (ax - qx) * (cy - qy)) / area;
      const b2 = 1 - b0 - b1;
      if (b0 < -pad || b1 < -pad || b2 < -pad) continue;
      const inside = b0 >= 0 && b1 >= 0 && b2 >= 0;
      const i = yy * outW + xx;
      const wt = inside ? w : w * 0.5;
      if (wt <= weight[i]!) continue;
      sampleBilinear(photo, b0 * A[0]! + b1 * B[0]! + b2 * C[0]!, b0 * A[1]! + b1 * B[1]! + b2 * C[1]!, px);
      color[i * 3] = px[0]!; color[i * 3 + 1] = px[1]!; color[i * 3 + 2] = px[2]!;
      weight[i] = wt;
    }
  }
  return { color, weight };
}
