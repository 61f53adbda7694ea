/**
 * Per-frame geometry of the warp generator: the textured face (skin triangles from the atlas, eye
 * openings from the iris-centred eyeball patches — or, for older embeddings, fanned around the iris
 * from the eye band — the mouth opening filled from the mouth-interior patch) over the background
 * plate, which is warped by a mesh extended to the image border: the face oval, four rings around it whose motion fades from the head's to none,
 * and the frame border, which stays put.
 */
import type { DrawMesh } from '../backends/types.ts';
import { FACE_OVAL, SKIN_TRIANGLES } from '../mesh-data.ts';
import {
  EYES, EYE_BAND, EYE_CENTER_UVS, EYEBALL_PATCH_WIDTH, MOUTH_LOOP, atlasUv, eyeCenter, eyeballCoord, eyeballFrame, mouthFrame, mouthPatchCoord,
  toPixels, type Points,
} from './face-model.ts';
import { regionUv, type PackedTexture } from './texture-layout.ts';

const RING_SCALES = [1.2, 1.5, 1.9, 2.6];
/** How much of the head's motion each ring follows, and how much of that is the local oval motion vs the fitted similarity. */
const RING_FOLLOW = [0.9, 0.65, 0.4, 0.15];
const RING_LOCAL = [0.7, 0.4, 0.15, 0];
const BACKGROUND_DEPTH = 0.999;
const PLATE_FACE_DEPTH = 0.998;
const MOUTH_DEPTH_OFFSET = 0.01;

interface Similarity { a: number; b: number; tx: number; ty: number }

export class FrameMeshBuilder {
  readonly mesh: DrawMesh;
  private readonly n: number;
  // Vertex ranges.
  private readonly eyeBase: number;
  private readonly mouthBase: number;
  private readonly bgBase: number;
  private readonly ringCount = RING_SCALES.length;
  private readonly ovalN = FACE_OVAL.length;
  // Plate rest geometry (pixel units of the plate, normalised by the plate size when drawn).
  private readonly restOval: Float32Array;
  private readonly restRings: Float32Array;
  private readonly restCenter: [number, number];
  private readonly borderPts: Float32Array;
  private readonly cornerCount: number;

  constructor(
    private readonly tex: PackedTexture,
    plateLandmarks: Float32Array,
    private readonly plateWidth: number,
    private readonly plateHeight: number,
    /** The mouth patch's photo's inner-lip contour in the patch ([s, t] per MOUTH_LOOP point), or null. */
    private readonly mouthContour: readonly number[] | null = null,
  ) {
    const plate = toPixels(plateLandmarks, plateWidth, plateHeight);
    const on = this.ovalN;
    this.restOval = new Float32Array(on * 2);
    let cx = 0, cy = 0;
    for (let i = 0; i < on; i++) {
      const k = FACE_OVAL[i]!;
      this.restOval[i * 2] = plate[k * 3]!; this.restOval[i * 2 + 1] = plate[k * 3 + 1]!;
      cx += plate[k * 3]!; cy += plate[k * 3 + 1]!;
    }
    cx /= on; cy /= on;
    this.restCenter = [cx, cy];
    // Border points: rays from the centre through each oval point, hitting the frame (slightly outside it).
    const m = 1, x0 = -m, y0 = -m, x1 = plateWidth + m, y1 = plateHeight + m;
    this.borderPts = new Float32Array(on * 2);
    const rayT = new Float32Array(on);
    for (let i = 0; i < on; i++) {
      const dx = this.restOval[i * 2]! - cx, dy = this.restOval[i * 2 + 1]! - cy;
      let t = Infinity;
      if (dx > 1e-9) t = Math.min(t, (x1 - cx) / dx); else if (dx < -1e-9) t = Math.min(t, (x0 - cx) / dx);
      if (dy > 1e-9) t = Math.min(t, (y1 - cy) / dy); else if (dy < -1e-9) t = Math.min(t, (y0 - cy) / dy);
      if (!Number.isFinite(t)) t = 1;
      rayT[i] = t;
      this.borderPts[i * 2] = cx + dx * Math.max(t, 1.05); this.borderPts[i * 2 + 1] = cy + dy * Math.max(t, 1.05);
    }
    // Rings between oval (t = 1) and border (t = rayT), clamped to stay strictly ordered.
    this.restRings = new Float32Array(this.ringCount * on * 2);
    for (let r = 0; r < this.ringCount; r++) {
      for (let i = 0; i < on; i++) {
        const tb = Math.max(rayT[i]!, 1.05);
        const lo = 1 + (tb - 1) * (r + 1) / (this.ringCount + 2), hi = 1 + (tb - 1) * (r + 2) / (this.ringCount + 2);
        const t = Math.min(hi, Math.max(lo, RING_SCALES[r]!));
        const dx = this.restOval[i * 2]! - cx, dy = this.restOval[i * 2 + 1]! - cy;
        this.restRings[(r * on + i) * 2] = cx + dx * t; this.restRings[(r * on + i) * 2 + 1] = cy + dy * t;
      }
    }
    // Corners that fall between consecutive border rays (by angle around the centre).
    const corners: { after: number; x: number; y: number }[] = [];
    const ang = (x: number, y: number) => Math.atan2(y - cy, x - cx);
    for (const [qx, qy] of [[x0, y0], [x1, y0], [x1, y1], [x0, y1]] as const) {
      const a = ang(qx, qy);
      for (let i = 0; i < on; i++) {
        const j = (i + 1) % on;
        const ai = ang(this.borderPts[i * 2]!, this.borderPts[i * 2 + 1]!), aj = ang(this.borderPts[j * 2]!, this.borderPts[j * 2 + 1]!);
        if (angleBetween(ai, aj, a)) { corners.push({ after: i, x: qx, y: qy }); break; }
      }
    }
    this.cornerCount = corners.length;

    // Vertex layout: 478 landmarks | eye fans (loop + centre) ×2 | mouth (loop + centre) | background.
    this.eyeBase = 478;
    const eyeVerts = EYES.reduce((s, e) => s + e.loop.length + 1, 0);
    this.mouthBase = this.eyeBase + eyeVerts;
    this.bgBase = this.mouthBase + MOUTH_LOOP.length + 1;
    // Background: centre, oval, rings, border, corners.
    const bgVerts = 1 + on * (2 + this.ringCount) + corners.length;
    this.n = this.bgBase + bgVerts;

    const idx: number[] = [];
    // Background first (drawn behind everything by depth anyway).
    const bc = this.bgBase, ovalV = (i: number) => bc + 1 + (i % on);
    const ringV = (r: number, i: number) => bc + 1 + on * (r + 1) + (i % on);
    const borderV = (i: number) => bc + 1 + on * (this.ringCount + 1) + (i % on);
    for (let i = 0; i < on; i++) idx.push(bc, ovalV(i), ovalV(i + 1));
    const rowV = (row: number, i: number) => (row === 0 ? ovalV(i) : row <= this.ringCount ? ringV(row - 1, i) : borderV(i));
    for (let row = 0; row <= this.ringCount; row++) {
      for (let i = 0; i < on; i++) {
        const a = rowV(row, i), b = rowV(row, i + 1), c = rowV(row + 1, i), d = rowV(row + 1, i + 1);
        idx.push(a, b, d, a, d, c);
      }
    }
    corners.forEach((c, k) => idx.push(borderV(c.after), bc + 1 + on * (this.ringCount + 2) + k, borderV(c.after + 1)));
    // Skin.
    for (const v of SKIN_TRIANGLES) idx.push(v);
    // Eye fans.
    let base = this.eyeBase;
    for (const e of EYES) {
      const L = e.loop.length;
      for (let i = 0; i < L; i++) idx.push(base + L, base + i, base + ((i + 1) % L));
      base += L + 1;
    }
    // Mouth fan.
    const ML = MOUTH_LOOP.length;
    for (let i = 0; i < ML; i++) idx.push(this.mouthBase + ML, this.mouthBase + i, this.mouthBase + ((i + 1) % ML));

    this.mesh = { positions: new Float32Array(this.n * 4), uvs: new Float32Array(this.n * 2), indices: new Uint32Array(idx) };
    this.initStaticUvs(corners);
  }

  private initStaticUvs(corners: { x: number; y: number }[]): void {
    const { uvs, positions } = this.mesh;
    const { atlas, plate } = this.tex;
    for (let i = 0; i < 478; i++) { const [u, v] = atlasUv(i < 468 ? i : -1); regionUv(atlas, u, v, uvs, i * 2); }
    let base = this.eyeBase;
    EYES.forEach((e, k) => {
      const L = e.loop.length;
      for (let i = 0; i <= L; i++) {
        const [u, v] = i < L ? atlasUv(e.loop[i]!) : EYE_CENTER_UVS[k]!;
        if (this.tex.eyes) regionUv(this.tex.eyes, (u - EYE_BAND[0]) / (EYE_BAND[2] - EYE_BAND[0]), (v - EYE_BAND[1]) / (EYE_BAND[3] - EYE_BAND[1]), uvs, (base + i) * 2);
        else regionUv(atlas, u, v, uvs, (base + i) * 2);
      }
      base += L + 1;
    });
    // Background UVs are the rest positions in the plate.
    const pw = this.plateWidth, ph = this.plateHeight, on = this.ovalN, bc = this.bgBase;
    const setBg = (v: number, x: number, y: number) => {
      regionUv(plate, Math.min(1, Math.max(0, x / pw)), Math.min(1, Math.max(0, y / ph)), uvs, v * 2);
      positions[v * 4 + 2] = BACKGROUND_DEPTH; positions[v * 4 + 3] = 1;
    };
    setBg(bc, this.restCenter[0], this.restCenter[1]);
    for (let i = 0; i < on; i++) setBg(bc + 1 + i, this.restOval[i * 2]!, this.restOval[i * 2 + 1]!);
    for (let r = 0; r < this.ringCount; r++) for (let i = 0; i < on; i++) setBg(bc + 1 + on * (r + 1) + i, this.restRings[(r * on + i) * 2]!, this.restRings[(r * on + i) * 2 + 1]!);
    for (let i = 0; i < on; i++) {
      const v = bc + 1 + on * (this.ringCount + 1) + i;
      setBg(v, this.borderPts[i * 2]!, this.borderPts[i * 2 + 1]!);
      positions[v * 4] = this.borderPts[i * 2]! / pw; positions[v * 4 + 1] = this.borderPts[i * 2 + 1]! / ph;
    }
    corners.forEach((c, k) => {
      const v = bc + 1 + on * (this.ringCount + 2) + k;
      setBg(v, c.x, c.y);
      positions[v * 4] = c.x / pw; positions[v * 4 + 1] = c.y / ph;
    });
    positions[bc * 4 + 2] = PLATE_FACE_DEPTH;
    for (let i = 0; i < on; i++) positions[(bc + 1 + i) * 4 + 2] = PLATE_FACE_DEPTH;
  }

  /** Fills positions (and the mouth and eyeball UVs) for one frame of landmarks (normalised to the output frame). */
  update(landmarks: Float32Array): DrawMesh {
    const pw = this.plateWidth, ph = this.plateHeight;
    const p = toPixels(landmarks, pw, ph);
    const { positions: P, uvs } = this.mesh;
    // Perspective: w = (D + z) / D with the camera D = 4 face widths away.
    let minX = Infinity, maxX = -Infinity;
    for (const k of FACE_OVAL) { minX = Math.min(minX, p[k * 3]!); maxX = Math.max(maxX, p[k * 3]!); }
    const D = 4 * Math.max(1e-6, maxX - minX);
    const put = (v: number, x: number, y: number, z: number, depthOffset = 0) => {
      P[v * 4] = x / pw; P[v * 4 + 1] = y / ph;
      P[v * 4 + 2] = Math.min(0.99, Math.max(0.001, 0.5 + z / pw + depthOffset));
      P[v * 4 + 3] = Math.max(0.2, 1 + z / D);
    };
    for (let i = 0; i < 478; i++) put(i, p[i * 3]!, p[i * 3 + 1]!, p[i * 3 + 2]!);
    let base = this.eyeBase;
    EYES.forEach((e, k) => {
      const L = e.loop.length;
      for (let i = 0; i < L; i++) { const j = e.loop[i]!; put(base + i, p[j * 3]!, p[j * 3 + 1]!, p[j * 3 + 2]!); }
      const [x, y, z] = eyeCenter(p, e);
      put(base + L, x, y, z);
      if (this.tex.eyeballs) {
        // The opening samples the eyeball patch through this frame's eyeball frame: one similarity
        // for the whole fan, so the iris keeps its shape and position whatever the lids do.
        const f = eyeballFrame(p, k), r = this.tex.eyeballs, inset = 1 / EYEBALL_PATCH_WIDTH;
        for (let i = 0; i <= L; i++) {
          const [s, t] = eyeballCoord(f, P[(base + i) * 4]! * pw, P[(base + i) * 4 + 1]! * ph);
          regionUv(r, (k + Math.min(1 - inset, Math.max(inset, s))) / 2, clamp01(t), uvs, (base + i) * 2);
        }
      }
      base += L + 1;
    });
    const f = mouthFrame(p);
    const ML = MOUTH_LOOP.length, lips = this.mouthContour;
    let mx = 0, my = 0, mz = 0, ms = 0, mt = 0;
    for (let i = 0; i < ML; i++) {
      const k = MOUTH_LOOP[i]!;
      const x = p[k * 3]!, y = p[k * 3 + 1]!, z = p[k * 3 + 2]!;
      mx += x; my += y; mz += z;
      put(this.mouthBase + i, x, y, z, MOUTH_DEPTH_OFFSET);
      // With the photo's inner-lip contour, each lip point samples where the photo had it (teeth stay
      // under their lip as the mouth opens or closes); without, the mouth frame's similarity.
      const [s, t] = lips ? [lips[2 * i]!, lips[2 * i + 1]!] : mouthPatchCoord(f, x, y);
      ms += s; mt += t;
      regionUv(this.tex.mouth, clamp01(s), clamp01(t), uvs, (this.mouthBase + i) * 2);
    }
    mx /= ML; my /= ML; mz /= ML;
    put(this.mouthBase + ML, mx, my, mz, MOUTH_DEPTH_OFFSET);
    const [s, t] = lips ? [ms / ML, mt / ML] : mouthPatchCoord(f, mx, my);
    regionUv(this.tex.mouth, clamp01(s), clamp01(t), uvs, (this.mouthBase + ML) * 2);

    // Background: the oval follows the face exactly, rings blend local oval motion and the fitted similarity.
    const on = this.ovalN, bc = this.bgBase;
    const cur = new Float32Array(on * 2);
    for (let i = 0; i < on; i++) { const k = FACE_OVAL[i]!; cur[i * 2] = p[k * 3]!; cur[i * 2 + 1] = p[k * 3 + 1]!; }
    const S = fitSimilarity(this.restOval, cur);
    const apply = (x: number, y: number): [number, number] => [S.a * x - S.b * y + S.tx, S.b * x + S.a * y + S.ty];
    const [ccx, ccy] = apply(this.restCenter[0], this.restCenter[1]);
    let sx = 0, sy = 0;
    for (let i = 0; i < on; i++) { sx += cur[i * 2]!; sy += cur[i * 2 + 1]!; }
    void ccx; void ccy;
    P[bc * 4] = sx / on / pw; P[bc * 4 + 1] = sy / on / ph;
    for (let i = 0; i < on; i++) { P[(bc + 1 + i) * 4] = cur[i * 2]! / pw; P[(bc + 1 + i) * 4 + 1] = cur[i * 2 + 1]! / ph; }
    for (let r = 0; r < this.ringCount; r++) {
      const follow = RING_FOLLOW[r]!, local = RING_LOCAL[r]!;
      for (let i = 0; i < on; i++) {
        const rx = this.restRings[(r * on + i) * 2]!, ry = this.restRings[(r * on + i) * 2 + 1]!;
        const [gx, gy] = apply(rx, ry);
        const lx = cur[i * 2]! - this.restOval[i * 2]!, ly = cur[i * 2 + 1]! - this.restOval[i * 2 + 1]!;
        const dx = follow * (local * lx + (1 - local) * (gx - rx)), dy = follow * (local * ly + (1 - local) * (gy - ry));
        const v = bc + 1 + on * (r + 1) + i;
        P[v * 4] = (rx + dx) / pw; P[v * 4 + 1] = (ry + dy) / ph;
      }
    }
    return this.mesh;
  }
}

function clamp01(x: number): number { return x < 0 ? 0 : x > 1 ? 1 : x; }

/** Is angle a inside the short arc from a0 to a1? */
function angleBetween(a0: number, a1: number, a: number): boolean {
  const norm = (x: number) => ((x % (2 * Math.PI)) + 3 * Math.PI) % (2 * Math.PI) - Math.PI;
  const span = norm(a1 - a0), off = norm(a - a0);
  return span >= 0 ? off >= 0 && off < span : off <= 0 && off > span;
}

/** Least-squares 2D similarity (x' = a·x − b·y + tx, y' = b·x + a·y + ty) mapping src onto dst. */
export function fitSimilarity(src: Float32Array, dst: Float32Array): Similarity {
  const n = src.length / 2;
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) { sx += src[i * 2]!; sy += src[i * 2 + 1]!; dx += dst[i * 2]!; dy += dst[i * 2 + 1]!; }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let num1 = 0, num2 = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i * 2]! - sx, py = src[i * 2 + 1]! - sy, qx = dst[i * 2]! - dx, qy = dst[i * 2 + 1]! - dy;
    num1 += px * qx + py * qy; num2 += px * qy - py * qx; den += px * px + py * py;
  }
  const a = den > 0 ? num1 / den : 1, b = den > 0 ? num2 / den : 0;
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) };
}

export type { Points };
