/**
 * The warp generator's view of an avatar embedding: typed, decoded section contents, and the
 * mapping to and from `AvatarEmbedding` sections (the binary container itself is packages/protocol's).
 */
import { SectionType, type AvatarEmbedding, type EmbeddingSection } from '@visage/protocol';
import { createImage, type RgbaImage } from '../image.ts';
import { defaultImageCodec, type ImageCodec, type ImageMime } from '../codec.ts';
import { EYEBALL_PATCH_HEIGHT, EYEBALL_PATCH_WIDTH, LANDMARK_COUNT, MOUTH_LOOP, MOUTH_PATCH_HEIGHT, MOUTH_PATCH_WIDTH } from './face-model.ts';

export const WARP_FAMILY = 'warp';
export const WARP_VERSION = 1;
export const EMBEDDING_FORMAT_VERSION = 1;

export interface WarpMetadata {
  /** Free-form display name. */
  name?: string;
  /** Number of enrollment photos fused. */
  photos: number;
  /** Per-photo gains applied by exposure matching, [r, g, b]. */
  gains?: number[][];
  /** Source of the mouth patch: index of the photo, or 'synthetic'. */
  mouthSource?: number | 'synthetic';
  eyeSource?: number;
  /** The mouth patch's photo's inner-lip contour in the patch, [s, t] per MOUTH_LOOP point. */
  mouthContour?: number[];
  /** The mouth patch's photo's mouth width (face-model.ts `mouthWidth`). */
  mouthWidth?: number;
  /** The MouthSet section's patches: the photo of each, its inner-lip contour (as mouthContour) and its mouth width. */
  mouthSet?: { sources: number[]; contours: number[][]; widths?: number[] };
  [key: string]: unknown;
}

/** A further mouth interior: another enrollment photo's opening, drawn for frames whose opening is nearer its own. */
export interface MouthEntry {
  /** MOUTH_PATCH_WIDTH × MOUTH_PATCH_HEIGHT, in the mouth frame of its photo. */
  patch: RgbaImage;
  /** Its photo's inner-lip contour in the patch, [s, t] per MOUTH_LOOP point. */
  contour: number[];
  /** Index of its enrollment photo. */
  source: number;
  /** Its photo's mouth width (face-model.ts `mouthWidth`), if known. */
  width?: number;
}

export interface WarpContent {
  /** 478×3 neutral shape in canonical-model units and pose (see retarget.ts). */
  neutral: Float32Array;
  /** Square texture atlas in MediaPipe canonical UV space. */
  atlas: RgbaImage;
  /** Background plate: the enrollment photo the face is drawn over. */
  plate: RgbaImage;
  /** 478×3 landmarks of the plate photo, normalised to it. */
  plateLandmarks: Float32Array;
  /** Mouth-interior patch in the mouth frame (face-model.ts), or null to synthesise one. */
  mouth: RgbaImage | null;
  /** High-resolution crop of the atlas's EYE_BAND (embeddings before the eyeball patches), or null. */
  eyes: RgbaImage | null;
  /** Both eyes in their eyeball frames (face-model.ts) from the most open-eyed photo, or null. Drawn instead of `eyes`. */
  eyeballs: RgbaImage | null;
  /** Further mouth interiors besides `mouth` (needs its contour), or absent/empty. */
  mouthSet?: MouthEntry[];
  metadata: WarpMetadata;
}

export interface PackOptions {
  codec?: ImageCodec;
  /** Lossy format and quality for the atlas, plate and patches; PNG when the codec has nothing else. */
  mime?: ImageMime;
  quality?: number;
}

export function floatsToBytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i]!, true);
  return out;
}

export function bytesToFloats(b: Uint8Array, expected: number, what: string): Float32Array {
  if (b.length !== expected * 4) throw new TypeError(`${what}: expected ${expected * 4} bytes, got ${b.length}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(expected);
  for (let i = 0; i < expected; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

export async function packWarpContent(c: WarpContent, options: PackOptions = {}): Promise<AvatarEmbedding> {
  const codec = options.codec ?? defaultImageCodec();
  const mime = options.mime && codec.encodes.includes(options.mime) ? options.mime : codec.encodes.includes('image/webp') ? 'image/webp' : 'image/png';
  const q = options.quality ?? 0.8;
  const img = (i: RgbaImage) => codec.encode(i, mime, q);
  const sections: EmbeddingSection[] = [
    { type: SectionType.NeutralShape, mandatory: true, bytes: floatsToBytes(c.neutral) },
    { type: SectionType.TextureAtlas, mandatory: true, bytes: await img(c.atlas) },
    { type: SectionType.BackgroundPlate, mandatory: true, bytes: await img(c.plate) },
    { type: SectionType.PlateLandmarks, mandatory: true, bytes: floatsToBytes(c.plateLandmarks) },
  ];
  if (c.mouth) sections.push({ type: SectionType.MouthPatch, mandatory: false, bytes: await img(c.mouth) });
  if (c.eyes) sections.push({ type: SectionType.EyePatch, mandatory: false, bytes: await img(c.eyes) });
  if (c.eyeballs) sections.push({ type: SectionType.EyeballPatch, mandatory: false, bytes: await img(c.eyeballs) });
  let metadata = c.metadata;
  if (c.mouthSet?.length) {
    sections.push({ type: SectionType.MouthSet, mandatory: false, bytes: await img(stackMouths(c.mouthSet)) });
    const widths = c.mouthSet.every((m) => validWidth(m.width)) ? { widths: c.mouthSet.map((m) => m.width!) } : {};
    metadata = { ...metadata, mouthSet: { sources: c.mouthSet.map((m) => m.source), contours: c.mouthSet.map((m) => m.contour), ...widths } };
  }
  sections.push({ type: SectionType.Metadata, mandatory: false, bytes: new TextEncoder().encode(JSON.stringify(metadata)) });
  return { formatVersion: EMBEDDING_FORMAT_VERSION, generator: { family: WARP_FAMILY, version: WARP_VERSION }, sections };
}

export async function unpackWarpContent(e: AvatarEmbedding, codec: ImageCodec = defaultImageCodec()): Promise<WarpContent> {
  if (e.generator.family !== WARP_FAMILY) throw new TypeError(`embedding is for generator '${e.generator.family}', not '${WARP_FAMILY}'`);
  if (e.generator.version > WARP_VERSION) throw new TypeError(`warp embedding version ${e.generator.version} is newer than ${WARP_VERSION}`);
  const known = new Set<number>([SectionType.NeutralShape, SectionType.TextureAtlas, SectionType.BackgroundPlate, SectionType.PlateLandmarks, SectionType.MouthPatch, SectionType.EyePatch, SectionType.EyeballPatch, SectionType.MouthSet, SectionType.Metadata]);
  for (const s of e.sections) if (s.mandatory && !known.has(s.type)) throw new TypeError(`unknown mandatory section ${s.type}`);
  const get = (t: number) => e.sections.find((s) => s.type === t)?.bytes;
  const need = (t: number, what: string) => {
    const b = get(t);
    if (!b) throw new TypeError(`warp embedding lacks the ${what} section`);
    return b;
  };
  const meta = get(SectionType.Metadata);
  const mouth = get(SectionType.MouthPatch), eyes = get(SectionType.EyePatch), eyeballs = get(SectionType.EyeballPatch), set = get(SectionType.MouthSet);
  const metadata = meta ? (JSON.parse(new TextDecoder().decode(meta)) as WarpMetadata) : { photos: 0 };
  return {
    neutral: bytesToFloats(need(SectionType.NeutralShape, 'NeutralShape'), LANDMARK_COUNT * 3, 'NeutralShape'),
    atlas: await codec.decode(need(SectionType.TextureAtlas, 'TextureAtlas')),
    plate: await codec.decode(need(SectionType.BackgroundPlate, 'BackgroundPlate')),
    plateLandmarks: bytesToFloats(need(SectionType.PlateLandmarks, 'PlateLandmarks'), LANDMARK_COUNT * 3, 'PlateLandmarks'),
    mouth: mouth ? await codec.decode(mouth) : null,
    eyes: eyes ? await codec.decode(eyes) : null,
    eyeballs: eyeballs ? await decodeEyeballs(codec, eyeballs) : null,
    ...(set ? { mouthSet: splitMouths(await codec.decode(set), metadata.mouthSet) } : {}),
    metadata,
  };
}

function stackMouths(set: readonly MouthEntry[]): RgbaImage {
  const W = MOUTH_PATCH_WIDTH, H = MOUTH_PATCH_HEIGHT, out = createImage(W, H * set.length);
  set.forEach((m, i) => {
    if (m.patch.width !== W || m.patch.height !== H) throw new TypeError(`mouthSet[${i}]: expected a ${W}×${H} patch, got ${m.patch.width}×${m.patch.height}`);
    if (!validContour(m.contour)) throw new TypeError(`mouthSet[${i}]: the contour must hold an [s, t] in [-1, 2] per MOUTH_LOOP point`);
    out.data.set(m.patch.data, i * W * H * 4);
  });
  return out;
}

function splitMouths(img: RgbaImage, meta: WarpMetadata['mouthSet']): MouthEntry[] {
  const W = MOUTH_PATCH_WIDTH, H = MOUTH_PATCH_HEIGHT, n = img.height / H;
  if (img.width !== W || !Number.isInteger(n) || n < 1) throw new TypeError(`MouthSet: expected ${W}×(${H}·n), got ${img.width}×${img.height}`);
  const sources = meta?.sources, contours = meta?.contours, widths = meta?.widths;
  if (!Array.isArray(sources) || !Array.isArray(contours) || sources.length !== n || contours.length !== n) {
    throw new TypeError(`MouthSet: the metadata must give a source and a contour for each of its ${n} patches`);
  }
  return contours.map((contour, i) => {
    if (!validContour(contour)) throw new TypeError(`MouthSet: patch ${i}'s contour must hold an [s, t] in [-1, 2] per MOUTH_LOOP point`);
    if (!Number.isInteger(sources[i]) || sources[i]! < 0) throw new TypeError(`MouthSet: patch ${i}'s source must be a photo index`);
    const patch = createImage(W, H);
    patch.data.set(img.data.subarray(i * W * H * 4, (i + 1) * W * H * 4));
    const width = Array.isArray(widths) && widths.length === n ? widths[i] : undefined;
    return { patch, contour, source: sources[i]!, ...(validWidth(width) ? { width } : {}) };
  });
}

/** A mouth width as enrollment writes it, if it is one (anything else is left out: the frame then goes by the opening alone). */
export function validWidth(w: unknown): w is number {
  return typeof w === 'number' && Number.isFinite(w) && w > 0 && w < 10;
}

function validContour(r: unknown): r is number[] {
  return Array.isArray(r) && r.length === 2 * MOUTH_LOOP.length && r.every((v) => typeof v === 'number' && v >= -1 && v <= 2);
}

async function decodeEyeballs(codec: ImageCodec, bytes: Uint8Array): Promise<RgbaImage> {
  const img = await codec.decode(bytes);
  if (img.width !== 2 * EYEBALL_PATCH_WIDTH || img.height !== EYEBALL_PATCH_HEIGHT) {
    throw new TypeError(`EyeballPatch: expected ${2 * EYEBALL_PATCH_WIDTH}×${EYEBALL_PATCH_HEIGHT}, got ${img.width}×${img.height}`);
  }
  return img;
}

/** The metadata's mouth contour if well-formed (an [s, t] per MOUTH_LOOP point, near the patch) and the patch is a photo's, else null. */
export function mouthContour(c: WarpContent): number[] | null {
  const r = c.metadata.mouthContour;
  return c.mouth && validContour(r) ? r : null;
}

/** Total size of the section payloads (the container adds a small header on top). */
export function embeddingPayloadBytes(e: AvatarEmbedding): number {
  return e.sections.reduce((s, x) => s + x.bytes.length, 0);
}
