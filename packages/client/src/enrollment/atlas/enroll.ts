/**
 * Warp-avatar enrollment: from 1..K photos with their tracked landmarks, build the embedding
 * content (fused texture atlas, neutral shape, background plate + landmarks, mouth and eye
 * patches) and pack it into an `AvatarEmbedding` within the size budget.
 */
import type { AvatarEmbedding } from '@visage/protocol';
import { createImage, luminance, pushPullFill, resize, sampleBilinear, type RgbaImage } from '../../generator/image.ts';
import {
  ATLAS_TRIANGLES, EYES, LANDMARK_COUNT, MOUTH_FRAME_Y, MOUTH_LOOP, MOUTH_PATCH_HEIGHT, MOUTH_PATCH_WIDTH,
  eyeOpenness, mouthFrame, mouthOpenness, mouthWidth, mouthPatchCoord, mouthPatchToPixel, toPixels, type Points,
} from '../../generator/warp/face-model.ts';
import { embeddingPayloadBytes, packWarpContent, type MouthEntry, type PackOptions, type WarpContent } from '../../generator/warp/content.ts';
import { contourOpenings, mouthDistance, MOUTH_SWITCH_MARGIN } from '../../generator/warp/frame-mesh.ts';
import { canonicalize } from '../../generator/retarget.ts';
import { triangleQuality, unwrapPhoto } from './unwrap.ts';
import { registerUnwraps } from './register.ts';
import { fuseTwoBand, type DetailFusionOptions } from './detail-fusion.ts';
import { extractEyeballs } from './eyeballs.ts';
import { forEachPixelIn, pointInPolygon } from './polygon.ts';
import { synthesizeOpenMouth, type MouthColors } from '../../generator/warp/mouth-synth.ts';

export interface EnrollmentPhoto {
  image: RgbaImage;
  /** 478×3 MediaPipe landmarks normalised to this image. */
  landmarks: Float32Array;
}

export interface EnrollOptions extends PackOptions {
  /** Atlas side in texels (default 256). */
  atlasSize?: number;
  /** Longest side of the background plate in pixels (default 320; shrunk to fit maxBytes). */
  plateSize?: number;
  /** Which photo is the background plate (default: the most frontal). */
  plateIndex?: number;
  /** Per-photo multipliers of the texture-atlas fusion weights (default 1 each): favour some photos' texture. */
  photoWeights?: readonly number[];
  /**
   * Move each photo's unwrap onto the most frontal photo's ('reference') or onto their weighted
   * mean ('consensus') before fusing them (register.ts). A diagnostic, off by default: neither
   * beat plain fusion on the held-out persons (models/RESULTS.md, session 15).
   */
  registerPhotos?: 'reference' | 'consensus';
  /**
   * Fuse the photos' shading and their detail separately (detail-fusion.ts): the detail band with
   * the fusion weights raised to `power`, so that it comes from nearly one photo per region.
   */
  detailFusion?: DetailFusionOptions;
  /**
   * Also carry the mouth interiors of the other photos with an open mouth (the MouthSet section),
   * so that each frame draws the one nearest its opening (default true).
   */
  mouthSet?: boolean;
  /** Size budget of the section payloads (default 256 KiB minus 1 KiB for the container). */
  maxBytes?: number;
  name?: string;
}

export const DEFAULT_ATLAS_SIZE = 256;
export const DEFAULT_PLATE_SIZE = 320;
export const DEFAULT_MAX_BYTES = 256 * 1024 - 1024;
/** Below this inner-lip gap / mouth width the mouth counts as closed and the interior is synthesised. */
export const MOUTH_OPEN_THRESHOLD = 0.12;
/**
 * An open mouth whose opening has fewer pixels than this as bright as teeth (70 % of the teeth
 * colour `mouthColors` gives) shows no teeth. Of the 40 clips' one-shot photos that are open, 3
 * have under 1 % (dark openings), the others 8 % or more.
 */
export const MIN_TEETH_FRACTION = 0.05;
/** At most this many further mouth interiors (MouthSet) besides the mouth patch. */
export const MAX_MOUTH_SET = 7;

const TRI_COUNT = ATLAS_TRIANGLES.length / 3;

function validate(photos: readonly EnrollmentPhoto[]): void {
  if (photos.length === 0) throw new TypeError('enrollment needs at least one photo');
  photos.forEach((p, i) => {
    if (p.landmarks.length !== LANDMARK_COUNT * 3) throw new TypeError(`photo ${i}: landmarks must hold 478×3 values`);
    if (p.image.data.length !== p.image.width * p.image.height * 4) throw new TypeError(`photo ${i}: image data size mismatch`);
  });
}

/** Builds the decoded warp content (no encoding). */
export function buildWarpContent(photos: readonly EnrollmentPhoto[], options: EnrollOptions = {}): WarpContent {
  validate(photos);
  const pw = options.photoWeights ?? photos.map(() => 1);
  if (pw.length !== photos.length || !pw.every((x) => Number.isFinite(x) && x > 0)) throw new TypeError(`photoWeights must hold ${photos.length} positive numbers, one per photo`);
  const A = options.atlasSize ?? DEFAULT_ATLAS_SIZE;
  const pts: Points[] = photos.map((p) => toPixels(p.landmarks, p.image.width, p.image.height));
  const quality = photos.map((p, i) => triangleQuality(pts[i]!, p.image.width, p.image.height));
  const frontalness = quality.map((q) => q.reduce((s, x) => s + x, 0));
  const ref = frontalness.indexOf(Math.max(...frontalness));
  const eyeSource = argmax(pts.map((p) => EYES.reduce((s, e) => s + eyeOpenness(p, e), 0)));
  const eyeTri = new Uint8Array(TRI_COUNT);
  for (let t = 0; t < TRI_COUNT; t++) if (ATLAS_TRIANGLES[t * 3]! < 0) eyeTri[t] = 1;

  // Per-photo unwraps; eye-fan triangles only from the most open-eyed photo, weights sharpened
  // so the most frontal view of each triangle dominates.
  let unwraps = photos.map((p, i) => {
    const w = new Float32Array(TRI_COUNT);
    for (let t = 0; t < TRI_COUNT; t++) w[t] = eyeTri[t] && photos.length > 1 && i !== eyeSource ? 0 : pw[i]! * quality[i]![t]! ** 4 + 1e-6;
    return unwrapPhoto(p.image, pts[i]!, w, [0, 0, 1, 1], A, A);
  });

  if (options.registerPhotos !== undefined) {
    if (options.registerPhotos !== 'reference' && options.registerPhotos !== 'consensus') throw new TypeError(`registerPhotos must be 'reference' or 'consensus', got ${JSON.stringify(options.registerPhotos)}`);
    if (photos.length > 1) unwraps = registerUnwraps(unwraps, options.registerPhotos === 'consensus' ? null : ref, A);
  }
  // Exposure matching: per-channel gain to the reference photo over texels both see well.
  const gains = unwraps.map((u, i) => {
    if (i === ref) return [1, 1, 1];
    const r = unwraps[ref]!;
    const sr = [0, 0, 0], su = [0, 0, 0];
    for (let k = 0; k < A * A; k++) {
      if (r.weight[k]! < 0.05 || u.weight[k]! < 0.05) continue;
      for (let c = 0; c < 3; c++) { sr[c]! += r.color[k * 3 + c]!; su[c]! += u.color[k * 3 + c]!; }
    }
    return sr.map((s, c) => (su[c]! > 0 ? Math.min(2, Math.max(0.5, s / su[c]!)) : 1));
  });

  const atlas = createImage(A, A, [0, 0, 0, 255]);
  let mask: Float32Array = new Float32Array(A * A);
  if (options.detailFusion && photos.length > 1) {
    const fused = fuseTwoBand(unwraps, gains, A, options.detailFusion);
    mask = fused.mask;
    for (let k = 0; k < A * A; k++) if (mask[k]) for (let j = 0; j < 3; j++) atlas.data[k * 4 + j] = fused.color[k * 3 + j]!;
  } else for (let k = 0; k < A * A; k++) {
    let W = 0;
    const c = [0, 0, 0];
    unwraps.forEach((u, i) => {
      const w = u.weight[k]!;
      if (w <= 0) return;
      W += w;
      for (let j = 0; j < 3; j++) c[j]! += w * u.color[k * 3 + j]! * gains[i]![j]!;
    });
    if (W > 0) {
      for (let j = 0; j < 3; j++) atlas.data[k * 4 + j] = c[j]! / W;
      mask[k] = 1;
    }
  }
  pushPullFill(atlas, mask);

  // Eyeballs: each eye from the photo where it is most open, gaps from the others.
  const eyeballs = extractEyeballs(photos.map((ph, i) => ({ image: ph.image, points: pts[i]!, gain: gains[i]! })));

  // Background plate.
  const plateIndex = options.plateIndex ?? ref;
  const plateSrc = photos[plateIndex];
  if (!plateSrc) throw new TypeError(`plateIndex ${plateIndex} out of range`);
  const ps = options.plateSize ?? DEFAULT_PLATE_SIZE;
  const k = Math.min(1, ps / Math.max(plateSrc.image.width, plateSrc.image.height));
  const plate = k < 1 ? resize(plateSrc.image, Math.max(1, Math.round(plateSrc.image.width * k)), Math.max(1, Math.round(plateSrc.image.height * k))) : copyOpaque(plateSrc.image);

  // Mouth interior from the most open mouth that shows teeth. Without one (closed mouths, or a
  // dark opening without teeth, which opened wider would be a dark hole), a synthetic open mouth
  // in the photo's colours, drawn by the warp like a photo's.
  const opens = pts.map((p) => mouthOpenness(p));
  const colors = photos.map((ph, i) => mouthColors(ph.image, pts[i]!));
  const usable = opens.map((o, i) => o >= MOUTH_OPEN_THRESHOLD && teethFraction(photos[i]!.image, pts[i]!, colors[i]!) >= MIN_TEETH_FRACTION);
  const mouthOpen = usable.some((u) => u);
  const mouthSource = argmax(opens.map((o, i) => (mouthOpen && !usable[i] ? -1 : o)));
  const { patch: mouth, contour: mouthContour } = mouthOpen
    ? extractMouthPatch(photos[mouthSource]!.image, pts[mouthSource]!)
    : synthesizeOpenMouth(lipContour(pts[mouthSource]!), colors[mouthSource]!);
  const primaryWidth = round4(mouthWidth(pts[mouthSource]!));
  const mouthSet = options.mouthSet === false ? [] : buildMouthSet(photos, pts, opens, mouthOpen ? mouthSource : -1, { open: contourOpenings(mouthContour), width: primaryWidth }, gains, mouthOpen ? gains[mouthSource]! : [1, 1, 1]);

  // Neutral shape: mean of the pose-normalised shapes.
  const neutral = new Float32Array(LANDMARK_COUNT * 3);
  for (const p of photos) {
    const { shape } = canonicalize(p.landmarks, p.image.width / p.image.height);
    for (let i = 0; i < neutral.length; i++) neutral[i]! += shape[i]! / photos.length;
  }

  return {
    neutral, atlas, plate, plateLandmarks: photos[plateIndex]!.landmarks.slice(), mouth, eyes: null, eyeballs,
    ...(mouthSet.length ? { mouthSet } : {}),
    metadata: {
      ...(options.name !== undefined ? { name: options.name } : {}),
      photos: photos.length, gains, plateIndex, eyeSource, mouthSource: mouthOpen ? mouthSource : 'synthetic', mouthContour, mouthWidth: primaryWidth, atlasSize: A,
    },
  };
}

/** How many photos' open mouths the avatar carries, and whether one of them shows teeth (else the mouth patch is synthetic). */
export function mouthCoverage(c: WarpContent): { open: number; teeth: boolean } {
  const own = c.mouth !== null && c.metadata.mouthSource !== undefined && c.metadata.mouthSource !== 'synthetic';
  return { open: (own ? 1 : 0) + (c.mouthSet?.length ?? 0), teeth: own };
}

/**
 * Enrolls and packs within `maxBytes`: first leaving out mouth-set entries (the least open first),
 * then shrinking the plate (then the atlas). Returns the embedding, the content it encodes, and
 * its payload size.
 */
export async function enrollWarpAvatar(
  photos: readonly EnrollmentPhoto[], options: EnrollOptions = {},
): Promise<{ embedding: AvatarEmbedding; content: WarpContent; bytes: number }> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let atlasSize = options.atlasSize ?? DEFAULT_ATLAS_SIZE;
  let plateSize = options.plateSize ?? DEFAULT_PLATE_SIZE;
  let quality = options.quality ?? 0.8;
  let withSet = options.mouthSet !== false;
  for (let attempt = 0; attempt < 8; attempt++) {
    let content = buildWarpContent(photos, { ...options, atlasSize, plateSize, mouthSet: withSet });
    let embedding = await packWarpContent(content, { ...options, quality });
    let bytes = embeddingPayloadBytes(embedding);
    // Further mouths are worth less than the plate's and the atlas's resolution.
    while (bytes > maxBytes && content.mouthSet?.length) {
      const { mouthSet, ...rest } = content;
      content = mouthSet.length > 1 ? { ...rest, mouthSet: mouthSet.slice(0, -1) } : rest;
      embedding = await packWarpContent(content, { ...options, quality });
      bytes = embeddingPayloadBytes(embedding);
    }
    if (bytes <= maxBytes) return { embedding, content, bytes };
    withSet = false;
    plateSize = Math.round(plateSize * 0.8);
    quality = Math.max(0.5, quality - 0.05);
    if (attempt >= 3) atlasSize = Math.max(128, Math.round(atlasSize * 0.8));
  }
  throw new RangeError(`avatar embedding does not fit in ${maxBytes} bytes`);
}

/**
 * The other photos' open mouths (teeth or not: each is how this person's mouth looks at its
 * opening and width), most open first, without near-duplicates of the mouth patch's or of each
 * other's (closer than MOUTH_SWITCH_MARGIN by frame-mesh.ts `mouthDistance`, which a frame could
 * never switch between), exposure-matched to the mouth patch.
 */
function buildMouthSet(
  photos: readonly EnrollmentPhoto[], pts: readonly Points[], opens: readonly number[], primary: number, primaryKey: { open: Float32Array; width: number },
  gains: readonly (readonly number[])[], primaryGain: readonly number[],
): MouthEntry[] {
  const order = opens.map((o, i) => [o, i] as const).filter(([o, i]) => i !== primary && o >= MOUTH_OPEN_THRESHOLD).sort((a, b) => b[0] - a[0]);
  const kept = [primaryKey], out: MouthEntry[] = [];
  for (const [, i] of order) {
    if (out.length >= MAX_MOUTH_SET) break;
    const key = { open: contourOpenings(lipContour(pts[i]!)), width: round4(mouthWidth(pts[i]!)) };
    if (kept.some((k) => mouthDistance(k, key, true) < MOUTH_SWITCH_MARGIN)) continue;
    const { patch, contour } = extractMouthPatch(photos[i]!.image, pts[i]!);
    const g = gains[i]!.map((v, c) => v / primaryGain[c]!);
    for (let k = 0; k < patch.data.length; k += 4) for (let c = 0; c < 3; c++) patch.data[k + c] = patch.data[k + c]! * g[c]!;
    kept.push(key);
    out.push({ patch, contour, source: i, width: key.width });
  }
  return out;
}

/** The photo's inner-lip contour in its mouth frame: [s, t] per MOUTH_LOOP point. */
function lipContour(p: Points): number[] {
  const f = mouthFrame(p);
  return MOUTH_LOOP.flatMap((i) => mouthPatchCoord(f, p[i * 3]!, p[i * 3 + 1]!).map(round4));
}

/**
 * The colours a synthetic mouth takes from a photo: the lips' (sampled just outside the inner lips
 * of the middle columns) and the teeth's, from the eye whites' (white under the same light, whatever
 * the skin).
 */
export function mouthColors(img: RgbaImage, p: Points): MouthColors {
  const f = mouthFrame(p), px = new Float32Array(4);
  const lip = [0, 0, 0];
  const cols = [3, 4, 5, 6, 7], L = MOUTH_LOOP.length;
  for (const c of cols) {
    for (const [i, dy] of [[c, -0.06], [L - c, 0.08]] as const) {
      const k = MOUTH_LOOP[i]!, [s, t] = mouthPatchCoord(f, p[k * 3]!, p[k * 3 + 1]!);
      const [x, y] = mouthPatchToPixel(f, s, t + dy / MOUTH_FRAME_Y);
      sampleBilinear(img, x, y, px);
      for (let ch = 0; ch < 3; ch++) lip[ch]! += px[ch]! / (2 * cols.length);
    }
  }
  const whites: [number, number, number, number][] = [];
  for (const e of EYES) {
    forEachPixelIn(img.width, img.height, e.loop.map((i) => [p[i * 3]!, p[i * 3 + 1]!] as const), (o) => {
      const r = img.data[o]!, g = img.data[o + 1]!, b = img.data[o + 2]!;
      whites.push([luminance([r, g, b]), r, g, b]);
    });
  }
  whites.sort((a, b) => b[0] - a[0]);
  // The whites are the brightest few per cent of the openings (the rest is iris, lashes and lid shadow).
  const top = whites.slice(0, Math.max(1, Math.round(whites.length * 0.03)));
  const white = whites.length >= 30 ? [1, 2, 3].map((ch) => top.reduce((s, q) => s + q[ch]!, 0) / top.length) : [200, 190, 180];
  // Teeth: the whites, less tinted by the skin around them.
  const lum = luminance(white);
  const teeth = white.map((v) => Math.min(255, v + (lum - v) * 0.3)) as [number, number, number];
  return { lip: lip as [number, number, number], teeth };
}

/** The fraction of the photo's inner-lip opening at least 70 % as bright as its teeth colour would be. */
export function teethFraction(img: RgbaImage, p: Points, colors: MouthColors): number {
  const poly = MOUTH_LOOP.map((i) => [p[i * 3]!, p[i * 3 + 1]!] as const);
  const limit = 0.7 * luminance(colors.teeth);
  let n = 0, bright = 0;
  forEachPixelIn(img.width, img.height, poly, (o) => {
    n++;
    if (luminance(img.data.subarray(o, o + 3)) >= limit) bright++;
  });
  return n ? bright / n : 0;
}

/** The photo's mouth interior in the mouth frame, and its inner-lip contour there ([s, t] per MOUTH_LOOP point). */
function extractMouthPatch(img: RgbaImage, p: Points): { patch: RgbaImage; contour: number[] } {
  const f = mouthFrame(p);
  const w = MOUTH_PATCH_WIDTH, h = MOUTH_PATCH_HEIGHT;
  const out = createImage(w, h, [0, 0, 0, 255]);
  const mask = new Float32Array(w * h);
  const poly = MOUTH_LOOP.map((i) => [p[i * 3]!, p[i * 3 + 1]!] as const);
  const px = new Float32Array(4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const [sx, sy] = mouthPatchToPixel(f, (x + 0.5) / w, (y + 0.5) / h);
    const k = y * w + x;
    if (!pointInPolygon(sx, sy, poly)) continue;
    sampleBilinear(img, sx, sy, px);
    out.data[k * 4] = px[0]!; out.data[k * 4 + 1] = px[1]!; out.data[k * 4 + 2] = px[2]!;
    mask[k] = 1;
  }
  pushPullFill(out, mask);
  return { patch: out, contour: lipContour(p) };
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

function copyOpaque(img: RgbaImage): RgbaImage {
  const out = createImage(img.width, img.height);
  out.data.set(img.data);
  for (let i = 3; i < out.data.length; i += 4) out.data[i] = 255;
  return out;
}

function argmax(a: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}
