/**
 * Eyeball patches: each eye of the photos resampled in its eyeball frame (face-model.ts), so the
 * renderer can move the iris with the driving iris landmarks and let the lids cover it. Texels the
 * photo shows inside the eye opening are kept as they are (keeping the lid line's shading too
 * measured better than leaving a margin: models/RESULTS.md); the rest is filled as an eyeball would
 * look: the sclera extrapolated from its visible texels, the iris from the visible iris ring by
 * ring (an iris is about radially symmetric; lids usually hide its top).
 */
import { createImage, pushPullFill, sampleBilinear, type RgbaImage } from '../../generator/image.ts';
import {
  EYES, EYEBALL_HALF_X, EYEBALL_HALF_Y, EYEBALL_PATCH_HEIGHT, EYEBALL_PATCH_WIDTH, eyeOpenness, eyeballFrame, eyeballToPixel, irisRadius,
  type Points,
} from '../../generator/warp/face-model.ts';
import { pointInPolygon, type Polygon } from './polygon.ts';

/** The sclera's colour where the photos show (almost) none of it. */
const SCLERA_FALLBACK: readonly [number, number, number] = [205, 195, 190];
/** The synthesised iris's colours, where no photo shows an iris (eyes closed, irises not where tracked). */
const IRIS_FALLBACK: readonly [number, number, number] = [78, 56, 44];
const PUPIL: readonly [number, number, number] = [22, 18, 18];
/** Rings the visible iris is averaged over, from the centre out. */
const RING_BINS = 6;
/** A photo's iris counts as seen when its core is darker than this fraction of its sclera's luma… */
const IRIS_CONTRAST = 0.7;
/** …or, with no sclera in view, darker than this. */
const IRIS_MAX_LUMA = 110;
const MIN_IRIS_TEXELS = 10;
/** Fewer visible sclera texels than this (a corner or two) are not extrapolated: SCLERA_FALLBACK is. */
const MIN_SCLERA_TEXELS = 16;
/** Plausible iris radii in eye widths; a tracked radius outside is clamped (a closed eye's ring is noise). */
const IRIS_RADIUS_RANGE: readonly [number, number] = [0.14, 0.3];

export interface EyeballSource {
  image: RgbaImage;
  points: Points;
  /** Exposure gain applied to this photo's texels, [r, g, b]. */
  gain: readonly number[];
}

/** One eye of one photo in its eyeball frame: the texels the photo shows, and which those are. */
interface EyeSample { rgb: Uint8ClampedArray; seen: Uint8Array }

/**
 * Both eyes' patches side by side (EYES order), EYEBALL_PATCH_WIDTH × EYEBALL_PATCH_HEIGHT each.
 * Each eye comes from the photo where it is most open; what that photo hides is taken from the
 * other photos (most open first), then from the other eye mirrored, and only then synthesised.
 */
export function extractEyeballs(photos: readonly EyeballSource[]): RgbaImage {
  if (photos.length === 0) throw new TypeError('extractEyeballs needs at least one photo');
  const W = EYEBALL_PATCH_WIDTH, H = EYEBALL_PATCH_HEIGHT;
  const samples = EYES.map((_, k) => photos.map((ph) => sampleEyeball(ph, k)));
  const byOpenness = EYES.map((e, k) => photos.map((ph, i) => ({ i, o: eyeOpenness(ph.points, e) })).sort((a, b) => b.o - a.o).map((x) => x.i));
  const out = createImage(2 * W, H, [0, 0, 0, 255]);
  EYES.forEach((_, k) => {
    const first = byOpenness[k]![0]!;
    const layers = [...byOpenness[k]!.map((i) => samples[k]![i]!), ...byOpenness[1 - k]!.map((i) => mirror(samples[1 - k]![i]!))];
    const eye = fillEyeball(layers, irisRadius(photos[first]!.points, k));
    for (let y = 0; y < H; y++) out.data.set(eye.data.subarray(y * W * 4, (y + 1) * W * 4), (y * 2 * W + k * W) * 4);
  });
  return out;
}

function sampleEyeball(ph: EyeballSource, k: number): EyeSample {
  const W = EYEBALL_PATCH_WIDTH, H = EYEBALL_PATCH_HEIGHT, N = W * H, p = ph.points;
  const f = eyeballFrame(p, k);
  const poly: Polygon = EYES[k]!.loop.map((i) => [p[i * 3]!, p[i * 3 + 1]!] as const);
  const rgb = new Uint8ClampedArray(N * 3), seen = new Uint8Array(N);
  const px = new Float32Array(4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const [sx, sy] = eyeballToPixel(f, (x + 0.5) / W, (y + 0.5) / H);
    if (!pointInPolygon(sx, sy, poly)) continue;
    sampleBilinear(ph.image, sx, sy, px);
    const i = y * W + x;
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = px[c]! * ph.gain[c]!;
    seen[i] = 1;
  }
  return { rgb, seen };
}

/** The other eye seen in a mirror: eye 1's frame runs inner → outer corner, eye 0's outer → inner. */
function mirror(e: EyeSample): EyeSample {
  const W = EYEBALL_PATCH_WIDTH, H = EYEBALL_PATCH_HEIGHT;
  const rgb = new Uint8ClampedArray(e.rgb.length), seen = new Uint8Array(e.seen.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const i = y * W + x, j = y * W + (W - 1 - x);
    seen[i] = e.seen[j]!;
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = e.rgb[j * 3 + c]!;
  }
  return { rgb, seen };
}

/** Each texel from the first layer that shows it; the rest an eyeball: sclera extrapolated, iris ring by ring. */
function fillEyeball(layers: readonly EyeSample[], trackedIris: number): RgbaImage {
  const W = EYEBALL_PATCH_WIDTH, H = EYEBALL_PATCH_HEIGHT, N = W * H;
  const rIris = Math.min(IRIS_RADIUS_RANGE[1], Math.max(IRIS_RADIUS_RANGE[0], trackedIris));
  const radius = new Float32Array(N);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    radius[y * W + x] = Math.hypot(((x + 0.5) / W - 0.5) * 2 * EYEBALL_HALF_X, ((y + 0.5) / H - 0.5) * 2 * EYEBALL_HALF_Y) / rIris;
  }
  // A photo whose texels at the tracked iris are not clearly darker than its sclera did not put the
  // iris where the tracker says (a glance under the lid, a tracking error): its iris disk is not used.
  const usable = layers.map((e) => (irisIsDark(e, radius) ? e : withoutIris(e, radius)));
  const photo = createImage(W, H, [0, 0, 0, 255]);
  const seen = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const l = usable.find((e) => e.seen[i]);
    if (!l) continue;
    photo.data.set(l.rgb.subarray(i * 3, i * 3 + 3), i * 4);
    seen[i] = 1;
  }
  // Sclera layer: visible texels clearly outside the iris, extrapolated everywhere.
  const sclera = createImage(W, H, [SCLERA_FALLBACK[0], SCLERA_FALLBACK[1], SCLERA_FALLBACK[2], 255]);
  const scleraMask = new Float32Array(N);
  for (let i = 0; i < N; i++) if (seen[i] && radius[i]! > 1.15) { sclera.data.set(photo.data.subarray(i * 4, i * 4 + 3), i * 4); scleraMask[i] = 1; }
  if (scleraMask.reduce((a, m) => a + m, 0) >= MIN_SCLERA_TEXELS) pushPullFill(sclera, scleraMask);
  // Iris layer: mean visible colour per ring, empty rings from the nearest filled one.
  const ring = (r: number) => Math.min(RING_BINS - 1, Math.floor(r * RING_BINS));
  const sum = new Float64Array(RING_BINS * 3), cnt = new Float64Array(RING_BINS);
  for (let i = 0; i < N; i++) {
    if (!seen[i] || radius[i]! >= 1) continue;
    const b = ring(radius[i]!);
    for (let c = 0; c < 3; c++) sum[b * 3 + c]! += photo.data[i * 4 + c]!;
    cnt[b]!++;
  }
  const irisColor = (b: number): readonly number[] | null => {
    for (let d = 0; d < RING_BINS; d++) for (const j of [b - d, b + d]) {
      if (j >= 0 && j < RING_BINS && cnt[j]! > 0) return [0, 1, 2].map((c) => sum[j * 3 + c]! / cnt[j]!);
    }
    return null;
  };
  const out = createImage(W, H, [0, 0, 0, 255]);
  for (let i = 0; i < N; i++) {
    let rgb: ArrayLike<number>;
    if (seen[i]) rgb = photo.data.subarray(i * 4, i * 4 + 3);
    else {
      // Iris over sclera, with a one-texel-wide soft limbus.
      const a = Math.min(1, Math.max(0, (1.08 - radius[i]!) / 0.16));
      const ir = irisColor(ring(Math.min(radius[i]!, 0.999))) ?? syntheticIris(radius[i]!);
      rgb = [0, 1, 2].map((c) => a * ir[c]! + (1 - a) * sclera.data[i * 4 + c]!);
    }
    out.data[i * 4] = rgb[0]!; out.data[i * 4 + 1] = rgb[1]!; out.data[i * 4 + 2] = rgb[2]!;
  }
  return out;
}

const luma = (rgb: Uint8ClampedArray, i: number) => 0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!;

/** Does the sample show a dark iris at the tracked iris: its core darker than IRIS_CONTRAST × its sclera (or than IRIS_MAX_LUMA without sclera)? */
function irisIsDark(e: EyeSample, radius: Float32Array): boolean {
  let core = 0, nc = 0, white = 0, nw = 0;
  for (let i = 0; i < e.seen.length; i++) {
    if (!e.seen[i]) continue;
    if (radius[i]! < 0.8) { core += luma(e.rgb, i); nc++; } else if (radius[i]! > 1.3) { white += luma(e.rgb, i); nw++; }
  }
  if (nc < MIN_IRIS_TEXELS) return false;
  return nw >= MIN_IRIS_TEXELS ? core / nc < IRIS_CONTRAST * (white / nw) : core / nc < IRIS_MAX_LUMA;
}

function withoutIris(e: EyeSample, radius: Float32Array): EyeSample {
  const seen = e.seen.slice();
  for (let i = 0; i < seen.length; i++) if (radius[i]! < 1.15) seen[i] = 0;
  return { rgb: e.rgb, seen };
}

/** An iris no photo shows: a dark pupil, a brown iris, a darker limbus. */
function syntheticIris(r: number): readonly number[] {
  const pupil = Math.min(1, Math.max(0, (0.42 - r) / 0.08)), limbus = Math.min(1, Math.max(0, (r - 0.8) / 0.2));
  return [0, 1, 2].map((c) => {
    const v = pupil * PUPIL[c]! + (1 - pupil) * IRIS_FALLBACK[c]!;
    return v * (1 - 0.35 * limbus);
  });
}
