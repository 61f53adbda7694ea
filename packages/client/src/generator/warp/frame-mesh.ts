/**
 * Per-frame geometry of the warp generator: the textured face (skin triangles from the atlas, the
 * upper lids in two bands so that the lashes keep their thickness in a blink, eye openings from the
 * iris-centred eyeball patches — or, for older embeddings, fanned around the iris from the eye band
 * — the mouth opening filled from the mouth-interior patch) over the background
 * plate, which is warped by a mesh extended to the image border: the face oval, four rings around it whose motion fades from the head's to none,
 * and the frame border, which stays put.
 */
import type { DrawMesh } from '../backends/types.ts';
import { FACE_OVAL, SKIN_TRIANGLES } from '../mesh-data.ts';
import {
  EYES, EYE_BAND, EYE_CENTER_UVS, EYEBALL_PATCH_WIDTH, MOUTH_FRAME_X, MOUTH_FRAME_Y, MOUTH_LOOP, atlasUv, eyeCenter, eyeballCoord, eyeballFrame, landmarkDistance, mouthFrame, mouthPatchCoord, mouthWidth,
  toPixels, type Points,
} from './face-model.ts';
import { regionUv, type PackedTexture, type Region } from './texture-layout.ts';
import type { MouthEntry } from './content.ts';
import { luminance, sampleBilinear, type RgbaImage } from '../image.ts';

const RING_SCALES = [1.2, 1.5, 1.9, 2.6];
/** How much of the head's motion each ring follows, and how much of that is the local oval motion vs the fitted similarity. */
const RING_FOLLOW = [0.9, 0.65, 0.4, 0.15];
const RING_LOCAL = [0.7, 0.4, 0.15, 0];
const BACKGROUND_DEPTH = 0.999;
const PLATE_FACE_DEPTH = 0.998;
const MOUTH_DEPTH_OFFSET = 0.01;
/** Upper/lower inner-lip point pairs of MOUTH_LOOP (1…9 facing 19…11), between its corners 0 and 10. */
const MOUTH_COLUMNS = 9;
/**
 * With several mouth interiors, a frame keeps the one it drew last unless another is nearer this
 * frame's mouth by this much (`mouthDistance`; in the openings alone, about a pixel on a 50-px
 * mouth), so that a mouth held between two photos' does not flicker between their interiors.
 */
export const MOUTH_SWITCH_MARGIN = 0.02;
/** Weight of the mouth width (face-model.ts `mouthWidth`) against the openings in that distance. */
export const MOUTH_WIDTH_WEIGHT = 3;

/** A mouth interior the frame can draw: where it is in the texture, its photo's inner lips, gap and openings. */
interface MouthSource { region: Region; contour: readonly number[]; gap: number; open: Float32Array; width: number }

/**
 * The upper lids' skin strips: the lid margin (the eye loop's upper half, corner to corner) and the
 * landmark ring above it (by the crease), column by column; subject's right eye, then left.
 */
const LID_STRIPS: readonly { margin: readonly number[]; crease: readonly number[] }[] = [
  { margin: [33, 246, 161, 160, 159, 158, 157, 173, 133], crease: [130, 247, 30, 29, 27, 28, 56, 190, 243] },
  { margin: [263, 466, 388, 387, 386, 385, 384, 398, 362], crease: [359, 467, 260, 259, 257, 258, 286, 414, 463] },
];
const LID_COLUMNS = 9;
/** Vertices per row of lid-strip vertices (both lids). */
const LID_ROW = LID_STRIPS.length * LID_COLUMNS;
/** Part of the margin-to-crease strip (in the atlas) that holds the lashes. */
const LASH_BAND = 0.35;
/** Where (from the margin) the lid skin band samples the strip once the lid is stretched twice. */
const LID_SKIN_FROM = 0.95;
/**
 * A lid strip whose darkest point (its lash line) lies this far from the margin (as a fraction of
 * the way to the crease) starts on the eyeball: the lid is drawn from LASH_ABOVE below that line.
 * Further than LID_SHIFTED[1], the darkest point is a crease or brow above the lid.
 */
const LID_SHIFTED = [0.45, 0.75] as const;
const LASH_ABOVE = 0.1;

/**
 * Each upper lid's lash line in the atlas: the darkest point of its margin-to-crease strip, as a
 * fraction of the way from the tracked margin to the crease, searched from 0.1 to 1.1 along the
 * middle five columns.
 */
export function lashLines(atlas: RgbaImage): number[] {
  const N = 21, px = new Float32Array(4); // 0.1 … 1.1
  return LID_STRIPS.map((l) => {
    const lum = new Float64Array(N);
    for (let i = 2; i <= 6; i++) {
      for (let j = 0; j < N; j++) {
        const [u, v] = stripUv(l, i, 0.1 + j * 0.05);
        sampleBilinear(atlas, u * atlas.width, v * atlas.height, px);
        lum[j]! += luminance(px);
      }
    }
    let d = 0;
    for (let j = 1; j < N; j++) if (lum[j]! < lum[d]!) d = j;
    return 0.1 + d * 0.05;
  });
}

/**
 * For each upper lid, where the photo's lid starts in the atlas, as a fraction of the way from the
 * tracked margin to the crease: 0 on most photos, whose strip starts with the lashes (the lash line,
 * `lashLines`, at 0.1–0.3). On a photo whose eyes look up or whose margin landmarks sit inside the
 * opening, the strip starts on the eyeball and the lash line is further up (liveportrait-d14:
 * 0.55–0.6); the lid is then drawn from just below that line, else it would show the eyeball as
 * lashes and the lash line magnified as lid skin.
 */
export function lidStarts(atlas: RgbaImage): number[] {
  return lashLines(atlas).map((dark) => (dark >= LID_SHIFTED[0] && dark <= LID_SHIFTED[1] ? dark - LASH_ABOVE : 0));
}

/** Atlas UV at fraction `g` of the way from column `i`'s lid margin to its crease (g > 1: above the crease). */
function stripUv(l: (typeof LID_STRIPS)[number], i: number, g: number): [number, number] {
  const [mu, mv] = atlasUv(l.margin[i]!), [cu, cv] = atlasUv(l.crease[i]!);
  return [mu + (cu - mu) * g, mv + (cv - mv) * g];
}

function eyeWidth(p: Points, l: { margin: readonly number[] }): number {
  return landmarkDistance(p, l.margin[0]!, l.margin[LID_COLUMNS - 1]!) || 1;
}

interface Similarity { a: number; b: number; tx: number; ty: number }

export class FrameMeshBuilder {
  readonly mesh: DrawMesh;
  private readonly n: number;
  // Vertex ranges.
  private readonly eyeBase: number;
  private readonly mouthBase: number;
  private readonly lidBase: number;
  /** Per lid column, where its lid starts on the margin-to-crease strip in the atlas (`lidStarts`, tapered). */
  private readonly lidStart: Float32Array;
  private readonly bgBase: number;
  private readonly ringCount = RING_SCALES.length;
  private readonly ovalN = FACE_OVAL.length;
  // Plate rest geometry (pixel units of the plate, normalised by the plate size when drawn).
  private readonly restOval: Float32Array;
  private readonly restRings: Float32Array;
  private readonly restCenter: [number, number];
  private readonly borderPts: Float32Array;
  private readonly cornerCount: number;
  /** Where a mouth opened wider than the photo's opens: the fraction of the photo's opening at its dark gap. */
  private readonly mouthGap: number;
  /** The mouth interiors with contours: the mouth patch's first, then the mouth set's (empty without a contour). */
  private readonly mouths: MouthSource[];
  /** Which of `mouths` the last frame drew. */
  private mouthIndex = 0;
  /** Whether every mouth interior knows its photo's mouth width (older sets go by the openings alone). */
  private readonly mouthUseWidth: boolean;
  private readonly frameOpen = new Float32Array(MOUTH_COLUMNS);
  /** Per lid column, the plate photo's margin-to-crease distance over its eye width. */
  private readonly lidRest: Float32Array;

  constructor(
    private readonly tex: PackedTexture,
    plateLandmarks: Float32Array,
    private readonly plateWidth: number,
    private readonly plateHeight: number,
    /** The mouth patch's photo's inner-lip contour in the patch ([s, t] per MOUTH_LOOP point), or null. */
    private readonly mouthContour: readonly number[] | null = null,
    /** The mouth patch (where `mouthGap` looks for the gap between the teeth), with the contour. */
    mouthPatch: RgbaImage | null = null,
    /** The atlas (where `lidStarts` looks for each upper lid's lash line), or null: lids from the tracked margin. */
    atlas: RgbaImage | null = null,
    /** Further mouth interiors (their regions are `tex.mouthSet`); used only with `mouthContour`. */
    mouthSet: readonly MouthEntry[] = [],
    /** The mouth patch's photo's mouth width, or NaN: the choice then goes by the openings alone. */
    mouthWidthOfPatch = NaN,
  ) {
    this.mouthGap = mouthContour && mouthPatch ? mouthGap(mouthPatch, mouthContour) : 0.5;
    if (mouthSet.length !== tex.mouthSet.length) throw new TypeError(`mouthSet has ${mouthSet.length} patches, the texture ${tex.mouthSet.length}`);
    this.mouths = mouthContour
      ? [
          { region: tex.mouth, contour: mouthContour, gap: this.mouthGap, open: contourOpenings(mouthContour), width: mouthWidthOfPatch },
          ...mouthSet.map((m, i) => ({ region: tex.mouthSet[i]!, contour: m.contour, gap: mouthGap(m.patch, m.contour), open: contourOpenings(m.contour), width: m.width ?? NaN })),
        ]
      : [];
    this.mouthUseWidth = this.mouths.every((x) => Number.isFinite(x.width));
    const starts = atlas ? lidStarts(atlas) : LID_STRIPS.map(() => 0);
    // Full in the middle of the lid, none at its corners (shared with the skin around the eye).
    this.lidStart = new Float32Array(LID_ROW);
    starts.forEach((o, k) => { for (let i = 0; i < LID_COLUMNS; i++) this.lidStart[k * LID_COLUMNS + i] = o * Math.sin((Math.PI * i) / (LID_COLUMNS - 1)); });
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
    this.lidRest = new Float32Array(LID_ROW);
    LID_STRIPS.forEach((l, k) => {
      const w = eyeWidth(plate, l);
      l.margin.forEach((m, i) => { this.lidRest[k * LID_COLUMNS + i] = landmarkDistance(plate, m, l.crease[i]!) / w; });
    });
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

    // Vertex layout: 478 landmarks | eye fans (loop + centre) ×2 | mouth (loop + centre + the
    // lip-anchored bands' inner rows A, B and the middle band's own copies of them) | lash rows ×2 |
    // background.
    this.eyeBase = 478;
    const eyeVerts = EYES.reduce((s, e) => s + e.loop.length + 1, 0);
    this.mouthBase = this.eyeBase + eyeVerts;
    this.lidBase = this.mouthBase + MOUTH_LOOP.length + 1 + 4 * MOUTH_COLUMNS;
    this.bgBase = this.lidBase + 3 * LID_ROW;
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
    // Skin, but for the upper lids' strips (lid margin to crease), which are drawn in two bands below.
    const lidVerts = LID_STRIPS.map((l) => ({ margin: new Set(l.margin), crease: new Set(l.crease) }));
    for (let i = 0; i < SKIN_TRIANGLES.length; i += 3) {
      const t = [SKIN_TRIANGLES[i]!, SKIN_TRIANGLES[i + 1]!, SKIN_TRIANGLES[i + 2]!];
      const inStrip = lidVerts.some((l) => t.every((v) => l.margin.has(v) || l.crease.has(v)) && t.some((v) => l.margin.has(v)) && t.some((v) => l.crease.has(v)));
      if (!inStrip) idx.push(...t);
    }
    // Upper lids: margin (own vertices: where the lid starts in the atlas) → lash row (the lashes, at
    // the photo's thickness) → crease (the lid skin).
    LID_STRIPS.forEach((l, k) => {
      const row = (i: number) => this.lidBase + k * LID_COLUMNS + i, skin = (i: number) => row(i) + LID_ROW, margin = (i: number) => row(i) + 2 * LID_ROW;
      for (let i = 0; i + 1 < LID_COLUMNS; i++) {
        const m0 = margin(i), m1 = margin(i + 1), c0 = l.crease[i]!, c1 = l.crease[i + 1]!;
        idx.push(m0, m1, row(i + 1), m0, row(i + 1), row(i));
        idx.push(skin(i), skin(i + 1), c1, skin(i), c1, c0);
      }
    });
    // Eye fans.
    let base = this.eyeBase;
    for (const e of EYES) {
      const L = e.loop.length;
      for (let i = 0; i < L; i++) idx.push(base + L, base + i, base + ((i + 1) % L));
      base += L + 1;
    }
    const ML = MOUTH_LOOP.length;
    if (this.mouthContour) {
      // Lip-anchored bands: upper lip → row A (the photo's upper part of the opening, at its scale),
      // a → b (the middle band, where A and B are, sampling the rest of the photo's opening), B →
      // lower lip. Columns run corner 78, the 9 upper/lower pairs, corner 308.
      const mb = this.mouthBase;
      const rows = { A: 0, B: 1, a: 2, b: 3 } as const;
      const col = (row: 'U' | 'L' | keyof typeof rows, c: number): number => {
        if (c === 0) return mb; // corner 78
        if (c === MOUTH_COLUMNS + 1) return mb + MOUTH_COLUMNS + 1; // corner 308 (MOUTH_LOOP[10])
        if (row === 'U') return mb + c;
        if (row === 'L') return mb + ML - c;
        return mb + ML + 1 + rows[row] * MOUTH_COLUMNS + (c - 1);
      };
      for (const [top, bottom] of [['U', 'A'], ['a', 'b'], ['B', 'L']] as const) {
        for (let c = 0; c <= MOUTH_COLUMNS; c++) {
          const a = col(top, c), b = col(top, c + 1), d = col(bottom, c + 1), e = col(bottom, c);
          if (c === 0) idx.push(a, b, d);
          else if (c === MOUTH_COLUMNS) idx.push(a, b, e);
          else idx.push(a, b, d, a, d, e);
        }
      }
    } else {
      // Mouth fan.
      for (let i = 0; i < ML; i++) idx.push(this.mouthBase + ML, this.mouthBase + i, this.mouthBase + ((i + 1) % ML));
    }

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
    // Lid margins where the lid starts in the atlas, lash rows a fixed part of the way from there to the crease.
    LID_STRIPS.forEach((l, k) => l.margin.forEach((_, i) => {
      const o = this.lidStart[k * LID_COLUMNS + i]!, v = this.lidBase + k * LID_COLUMNS + i;
      const [mu, mv] = stripUv(l, i, o), [lu, lv] = stripUv(l, i, o + LASH_BAND);
      regionUv(atlas, mu, mv, uvs, (v + 2 * LID_ROW) * 2);
      regionUv(atlas, lu, lv, uvs, v * 2);
      regionUv(atlas, lu, lv, uvs, (v + LID_ROW) * 2);
    }));
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

  /**
   * The inner rows of the lip-anchored mouth. Per column (an upper inner-lip point U and the lower
   * one L facing it), the photo's opening there, measured at this frame's mouth width, is h_p and
   * this frame's is h_d. Opened wider than in the photo (h_d > h_p), a mouth opens at its dark gap
   * (between the upper teeth and the tongue or lower teeth: `mouthGap`, a fraction g of the
   * opening): the part above it stays under the upper lip and the part below it over the lower lip,
   * each at the photo's scale (band U → A and B → L), so teeth keep their size, and the gap itself
   * grows between them (band a → b, at the same positions as A and B). Closed further than in
   * the photo, the photo's opening is squeezed evenly (cutting out the gap instead showed the
   * tongue between nearly closed lips, where real mouths show a dark slit). At the photo's own
   * opening it is the photo.
   */
  private mouthBands(p: Points, len: number, src: MouthSource, put: (v: number, x: number, y: number, z: number, depthOffset?: number) => void): void {
    const ML = MOUTH_LOOP.length, uvs = this.mesh.uvs, rowA = this.mouthBase + ML + 1, g = src.gap, lips = src.contour, region = src.region;
    // The photo's centre column (inner-lip points 13 and 14).
    const c5 = (MOUTH_COLUMNS + 1) / 2, s5u = lips[2 * c5]!, t5u = lips[2 * c5 + 1]!, s5l = lips[2 * (ML - c5)]!, t5l = lips[2 * (ML - c5) + 1]!;
    for (let c = 1; c <= MOUTH_COLUMNS; c++) {
      const iu = c, il = ML - c, ku = MOUTH_LOOP[iu]!, kl = MOUTH_LOOP[il]!;
      const ux = p[ku * 3]!, uy = p[ku * 3 + 1]!, uz = p[ku * 3 + 2]!, lx = p[kl * 3]!, ly = p[kl * 3 + 1]!, lz = p[kl * 3 + 2]!;
      const su = lips[2 * iu]!, tu = lips[2 * iu + 1]!, sl = lips[2 * il]!, tl = lips[2 * il + 1]!;
      const hp = Math.hypot((sl - su) * MOUTH_FRAME_X * len, (tl - tu) * MOUTH_FRAME_Y * len);
      const hd = Math.hypot(lx - ux, ly - uy);
      // This frame's fractions of the opening where rows A and B are: the gap's edges.
      const wider = hd > hp;
      const da = wider ? (g * hp) / hd : g, db = wider ? 1 - ((1 - g) * hp) / hd : g;
      const at = (f: number) => [ux + (lx - ux) * f, uy + (ly - uy) * f, uz + (lz - uz) * f] as const;
      const [ax, ay, az] = at(da), [bx, by, bz] = at(db);
      const A = rowA + c - 1, B = A + MOUTH_COLUMNS, a = A + 2 * MOUTH_COLUMNS, b = A + 3 * MOUTH_COLUMNS;
      put(A, ax, ay, az, MOUTH_DEPTH_OFFSET); put(a, ax, ay, az, MOUTH_DEPTH_OFFSET);
      put(B, bx, by, bz, MOUTH_DEPTH_OFFSET); put(b, bx, by, bz, MOUTH_DEPTH_OFFSET);
      // A and B sample the photo's gap in this column. The grown gap between them (a → b) is the
      // colour at the centre column's gap: magnified from a thin line, each column's own texels
      // would draw vertical streaks.
      const sg = su + (sl - su) * g, tg = tu + (tl - tu) * g;
      const [ms, mt] = wider ? [s5u + (s5l - s5u) * g, t5u + (t5l - t5u) * g] : [sg, tg];
      regionUv(region, clamp01(sg), clamp01(tg), uvs, A * 2);
      regionUv(region, clamp01(sg), clamp01(tg), uvs, B * 2);
      regionUv(region, clamp01(ms), clamp01(mt), uvs, a * 2);
      regionUv(region, clamp01(ms), clamp01(mt), uvs, b * 2);
    }
  }

  /** Which mouth interior this frame draws (null without contours): the nearest in opening, column by column, with hysteresis. */
  private chooseMouth(p: Points, len: number): MouthSource | null {
    const m = this.mouths;
    if (m.length <= 1) return m[0] ?? null;
    const ML = MOUTH_LOOP.length, o = this.frameOpen;
    for (let c = 1; c <= MOUTH_COLUMNS; c++) o[c - 1] = landmarkDistance(p, MOUTH_LOOP[c]!, MOUTH_LOOP[ML - c]!) / len;
    const frame = { open: o, width: mouthWidth(p) };
    const dist = (k: number) => mouthDistance(m[k]!, frame, this.mouthUseWidth);
    let best = this.mouthIndex, bestD = dist(best);
    const current = bestD;
    for (let k = 0; k < m.length; k++) {
      const d = dist(k);
      if (d < bestD) { best = k; bestD = d; }
    }
    if (bestD < current - MOUTH_SWITCH_MARGIN) this.mouthIndex = best;
    return m[this.mouthIndex]!;
  }

  /** Which mouth interior the last frame drew: 0 the mouth patch, k the mouth set's (k−1)th; null without contours. */
  get mouthInterior(): number | null {
    return this.mouths.length ? this.mouthIndex : null;
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
    const src = this.chooseMouth(p, f.len);
    const ML = MOUTH_LOOP.length, lips = src?.contour ?? null, region = src?.region ?? this.tex.mouth;
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
      regionUv(region, clamp01(s), clamp01(t), uvs, (this.mouthBase + i) * 2);
    }
    mx /= ML; my /= ML; mz /= ML;
    put(this.mouthBase + ML, mx, my, mz, MOUTH_DEPTH_OFFSET);
    const [s, t] = lips ? [ms / ML, mt / ML] : mouthPatchCoord(f, mx, my);
    regionUv(region, clamp01(s), clamp01(t), uvs, (this.mouthBase + ML) * 2);
    if (src) this.mouthBands(p, f.len, src, put);

    // Lash rows: the lashes keep the photo's thickness at the margin when the lid is stretched (a
    // blink: the margin comes down, the crease much less); the lid skin above them takes the stretch.
    LID_STRIPS.forEach((l, k) => {
      const w = eyeWidth(p, l);
      l.margin.forEach((m, i) => {
        const c = l.crease[i]!, stretch = landmarkDistance(p, m, c) / w / Math.max(1e-6, this.lidRest[k * LID_COLUMNS + i]!);
        const f = stretch > 1 ? LASH_BAND / stretch : LASH_BAND;
        const v = this.lidBase + k * LID_COLUMNS + i, vs = v + LID_ROW;
        const x = p[m * 3]! + (p[c * 3]! - p[m * 3]!) * f, y = p[m * 3 + 1]! + (p[c * 3 + 1]! - p[m * 3 + 1]!) * f, z = p[m * 3 + 2]! + (p[c * 3 + 2]! - p[m * 3 + 2]!) * f;
        put(v, x, y, z); put(vs, x, y, z); put(v + 2 * LID_ROW, p[m * 3]!, p[m * 3 + 1]!, p[m * 3 + 2]!);
        // The lid skin above the lashes: stretched, its lower edge samples towards the crease (skin,
        // not the photo's lashes drawn long).
        const g = stretch > 1 ? LASH_BAND + (LID_SKIN_FROM - LASH_BAND) * Math.min(1, stretch - 1) : LASH_BAND;
        const at = (j: number) => stripUv(l, j, g + this.lidStart[k * LID_COLUMNS + j]!);
        // Magnified evenly: drawn towards the centre column's sample as much as it is stretched.
        const [su, sv] = at(i), [ou, ov] = at((LID_COLUMNS - 1) / 2), pull = stretch > 1 ? 1 - 1 / stretch : 0;
        regionUv(this.tex.atlas, su + (ou - su) * pull, sv + (ov - sv) * pull, this.mesh.uvs, vs * 2);
      });
    });

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

/**
 * How far apart two mouths are for choosing an interior: the RMS over the columns of their openings'
 * difference (in mouth widths) and, with `useWidth`, MOUTH_WIDTH_WEIGHT times their widths'.
 */
export function mouthDistance(a: { open: ArrayLike<number>; width: number }, b: { open: ArrayLike<number>; width: number }, useWidth: boolean): number {
  let s = 0;
  for (let c = 0; c < MOUTH_COLUMNS; c++) s += (a.open[c]! - b.open[c]!) ** 2;
  return Math.sqrt(s / MOUTH_COLUMNS + (useWidth ? (MOUTH_WIDTH_WEIGHT * (a.width - b.width)) ** 2 : 0));
}

/** A contour's opening per column (upper inner-lip point to the lower one facing it), in mouth widths. */
export function contourOpenings(lips: readonly number[]): Float32Array {
  const ML = MOUTH_LOOP.length, out = new Float32Array(MOUTH_COLUMNS);
  for (let c = 1; c <= MOUTH_COLUMNS; c++) {
    out[c - 1] = Math.hypot((lips[2 * (ML - c)]! - lips[2 * c]!) * MOUTH_FRAME_X, (lips[2 * (ML - c) + 1]! - lips[2 * c + 1]!) * MOUTH_FRAME_Y);
  }
  return out;
}

/**
 * The dark gap of an open mouth (between the upper teeth and the tongue or lower teeth), as the
 * fraction of the opening from the upper lip: the darkest point, smoothed over a tenth of the
 * opening, of the photo's three centre columns (inner-lip points 82/87, 13/14, 312/317), searched
 * over the middle 70 %. An even interior gives about 0.5.
 */
export function mouthGap(patch: RgbaImage, contour: readonly number[]): number {
  const ML = MOUTH_LOOP.length, N = 41, lum = new Float64Array(N);
  for (let c = MOUTH_COLUMNS / 2 - 0.5; c <= MOUTH_COLUMNS / 2 + 1.5; c++) {
    const su = contour[2 * c]!, tu = contour[2 * c + 1]!, sl = contour[2 * (ML - c)]!, tl = contour[2 * (ML - c) + 1]!;
    for (let i = 0; i < N; i++) {
      const f = i / (N - 1);
      const x = Math.min(patch.width - 1, Math.max(0, Math.round((su + (sl - su) * f) * patch.width - 0.5)));
      const y = Math.min(patch.height - 1, Math.max(0, Math.round((tu + (tl - tu) * f) * patch.height - 0.5)));
      const o = (y * patch.width + x) * 4;
      lum[i]! += luminance(patch.data.subarray(o, o + 3));
    }
  }
  let best = 0.5, bestLum = Infinity;
  for (let i = Math.round(0.15 * (N - 1)); i <= Math.round(0.85 * (N - 1)); i++) {
    let sum = 0, n = 0;
    for (let j = Math.max(0, i - 2); j <= Math.min(N - 1, i + 2); j++) { sum += lum[j]!; n++; }
    // Ties (an even interior) go to the point nearest the middle.
    const v = sum / n + 1e-6 * Math.abs(i - (N - 1) / 2);
    if (v < bestLum) { bestLum = v; best = i / (N - 1); }
  }
  return best;
}
