/**
 * `npm run eval -- --post-oracle`: a diagnostic, not a generator. Before scoring, it pastes the
 * real frame's pixels into ours over one or more face regions (feathered at the edge), to measure
 * how much of the gap to the real frame — identity (CSIM) above all — each region holds: where a
 * refiner could still gain, and where it cannot.
 */
import { EYES } from '../../packages/client/src/generator/warp/face-model.ts';
import { faceOvalMask } from '../../packages/client/src/enrollment/face-metrics.ts';
import { forEachPixelIn } from '../../packages/client/src/enrollment/atlas/polygon.ts';
import { gaussianRgb, innerFaceMask, INNER_DETAIL } from './sharpen.ts';

export const ORACLE_REGIONS = ['eyes', 'brows', 'nose', 'mouth', 'inner', 'rim', 'outside', 'all'] as const;
export type OracleRegion = (typeof ORACLE_REGIONS)[number];
/**
 * What is pasted: the real pixels (all), only their low frequencies over ours' high ones (lf:
 * shading, colour, lighting), only their high frequencies over ours' low ones (hf: detail and
 * alignment), or nothing of them but ours scaled per channel to the real region's mean colour
 * (gain: exposure and white balance). The split is a Gaussian of BAND_SIGMA_PX at a 256-px crop.
 */
export type OracleBand = 'all' | 'lf' | 'hf' | 'gain';
export interface Oracle { regions: OracleRegion[]; band: OracleBand }
const BAND_SIGMA_PX = 6;

const BROWS = [[70, 63, 105, 66, 107, 55, 65, 52, 53, 46], [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]];
const NOSE = [168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 97, 326, 327, 64, 294, 48, 278, 115, 344, 220, 440, 129, 358];
const OUTER_LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];
/** Feather radius at a 256-px crop (scaled with the crop). */
const FEATHER_PX = 3;

/** Convex hull (monotone chain) of points. */
function hull(pts: [number, number][]): [number, number][] {
  const p = pts.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: [number, number][]) => {
    const h: [number, number][] = [];
    for (const q of list) {
      while (h.length >= 2 && cross(h[h.length - 2]!, h[h.length - 1]!, q) <= 0) h.pop();
      h.push(q);
    }
    h.pop();
    return h;
  };
  return [...half(p), ...half(p.slice().reverse())];
}

/** The hull of landmarks `ids` scaled by `scale` about their centroid, filled into `mask` (pixels). */
function fillHull(mask: Uint8Array, lm: ArrayLike<number>, ids: readonly number[], scale: number, W: number, H: number): void {
  const pts = ids.map((i) => [lm[i * 3]! * W, lm[i * 3 + 1]! * H] as [number, number]);
  const cx = pts.reduce((s, q) => s + q[0], 0) / pts.length, cy = pts.reduce((s, q) => s + q[1], 0) / pts.length;
  forEachPixelIn(W, H, hull(pts.map(([x, y]) => [cx + (x - cx) * scale, cy + (y - cy) * scale])), (o) => (mask[o / 4] = 1));
}

/** The 0/1 mask of a region, from the real frame's landmarks (normalised to the W × H crop). */
export function regionMask(region: OracleRegion, lm: ArrayLike<number>, W: number, H: number): Uint8Array {
  const m = new Uint8Array(W * H);
  switch (region) {
    case 'eyes': for (const e of EYES) fillHull(m, lm, e.loop, 1.6, W, H); break;
    case 'brows': for (const b of BROWS) fillHull(m, lm, b, 1.4, W, H); break;
    case 'nose': fillHull(m, lm, NOSE, 1.1, W, H); break;
    case 'mouth': fillHull(m, lm, OUTER_LIPS, 1.2, W, H); break;
    case 'inner': return innerFaceMask(lm, W, H, INNER_DETAIL);
    case 'rim': {
      const oval = faceOvalMask(Float32Array.from(lm), W, H), inner = innerFaceMask(lm, W, H, INNER_DETAIL);
      for (let i = 0; i < m.length; i++) m[i] = oval[i]! && !inner[i] ? 1 : 0;
      break;
    }
    case 'outside': {
      const oval = faceOvalMask(Float32Array.from(lm), W, H);
      for (let i = 0; i < m.length; i++) m[i] = oval[i] ? 0 : 1;
      break;
    }
    case 'all': m.fill(1); break;
  }
  return m;
}

/** A 0/1 mask box-blurred twice (radius r) into weights in [0, 1]. */
function feather(mask: Uint8Array, W: number, H: number, r: number): Float32Array {
  let a = Float32Array.from(mask);
  for (let pass = 0; pass < 2; pass++) {
    const tmp = new Float32Array(W * H), out = new Float32Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += a[y * W + Math.min(W - 1, Math.max(0, x + d))]!;
      tmp[y * W + x] = s / (2 * r + 1);
    }
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      let s = 0;
      for (let d = -r; d <= r; d++) s += tmp[Math.min(H - 1, Math.max(0, y + d)) * W + x]!;
      out[y * W + x] = s / (2 * r + 1);
    }
    a = out;
  }
  return a;
}

/** Pastes `real` (or one band of it) into `ours` (RGBA, in place) over the union of `regions`; nothing without landmarks. */
export function pasteReal(ours: Uint8Array, real: Uint8Array, W: number, H: number, { regions, band }: Oracle, lm: ArrayLike<number> | null): void {
  if (ours.length !== W * H * 4 || real.length !== W * H * 4) throw new TypeError(`frames must be ${W}×${H}×4 bytes`);
  if (!lm || regions.length === 0) return;
  const union = new Uint8Array(W * H);
  for (const r of regions) regionMask(r, lm, W, H).forEach((v, i) => { if (v) union[i] = 1; });
  let source: (i: number, c: number) => number = (i, c) => real[i * 4 + c]!;
  if (band === 'gain') {
    const so = [0, 0, 0], sr = [0, 0, 0];
    union.forEach((v, i) => { if (v) for (let c = 0; c < 3; c++) { so[c]! += ours[i * 4 + c]!; sr[c]! += real[i * 4 + c]!; } });
    const g = so.map((x, c) => (x > 0 ? sr[c]! / x : 1));
    source = (i, c) => ours[i * 4 + c]! * g[c]!;
  } else if (band !== 'all') {
    const sigma = (BAND_SIGMA_PX * W) / 256, bo = gaussianRgb(ours, W, H, sigma), br = gaussianRgb(real, W, H, sigma);
    source = band === 'lf'
      ? (i, c) => ours[i * 4 + c]! - bo[i * 3 + c]! + br[i * 3 + c]!
      : (i, c) => bo[i * 3 + c]! + real[i * 4 + c]! - br[i * 3 + c]!;
  }
  const w = regions.includes('all') ? Float32Array.from(union) : feather(union, W, H, Math.max(1, Math.round((FEATHER_PX * W) / 256)));
  for (let i = 0; i < W * H; i++) {
    const a = w[i]!;
    if (a <= 0) continue;
    for (let c = 0; c < 3; c++) ours[i * 4 + c] = Math.min(255, Math.max(0, Math.round(ours[i * 4 + c]! * (1 - a) + source(i, c) * a)));
  }
}

/** Parses `REGION[,REGION…][:lf|:hf|:gain]`; a string says what is wrong. */
export function parseOracle(v: string): Oracle | string {
  const m = /^(.*?)(?::(lf|hf|gain))?$/.exec(v.trim())!;
  const parts = m[1]!.split(',').map((s) => s.trim());
  const bad = parts.filter((p) => !(ORACLE_REGIONS as readonly string[]).includes(p));
  if (bad.length) return `expected a comma list of ${ORACLE_REGIONS.join(', ')}, then optionally :lf, :hf or :gain, got ${JSON.stringify(v)}`;
  return { regions: [...new Set(parts)] as OracleRegion[], band: (m[2] as OracleBand | undefined) ?? 'all' };
}
