/**
 * Binary avatar embedding container (big-endian):
 *
 *   offset  size  field
 *   0       4     magic "VSGE"
 *   4       1     format version (EMBEDDING_FORMAT_VERSION)
 *   5       1     flags (reserved, must be 0)
 *   6       1     generator family length L (1–16), then L ASCII bytes
 *   7+L     2     generator version (u16)
 *   9+L     2     section count (u16, ≤ MAX_SECTIONS)
 *   …             sections: type u16, flags u8 (bit 0 = mandatory; others 0), length u32, bytes
 *   end−32  32    SHA-256 of every byte before it (the content hash; receivers cache by it)
 *
 * The whole container is at most MAX_EMBEDDING_BYTES. Decoding validates every length,
 * known section contents, and the hash; unknown mandatory sections are rejected, unknown
 * optional sections are skipped (and listed in `skipped`).
 */
import { DecodeError, DecodeErrorReason } from '../errors.ts';
import { LANDMARK_COUNT } from '../frame.ts';
import { sha256, toHex } from './sha256.ts';
import { decodeGeneratorWeights } from './generator-weights.ts';
import { SectionType, type AvatarEmbedding, type EmbeddingSection } from './types.ts';

export const EMBEDDING_MAGIC = new Uint8Array([0x56, 0x53, 0x47, 0x45]); // "VSGE"
export const EMBEDDING_FORMAT_VERSION = 1;
export const MAX_EMBEDDING_BYTES = 256 * 1024;
export const MAX_SECTIONS = 64;
export const MAX_FAMILY_BYTES = 16;
export const HASH_BYTES = 32;
const SECTION_HEADER_BYTES = 7;
const MANDATORY_FLAG = 0x01;

const KNOWN_TYPES = new Set<number>(Object.values(SectionType));
const SHAPE_BYTES = LANDMARK_COUNT * 3 * 4;

export interface DecodedEmbedding extends AvatarEmbedding {
  /** Hex SHA-256 content hash (cache key). */
  hash: string;
  /** Types of unknown optional sections that were skipped. */
  skipped: number[];
}

function fail(reason: DecodeErrorReason, message: string): never {
  throw new DecodeError(reason, `embedding: ${message}`);
}

/**
 * Largest side of an image section. Enrollment writes at most 320 px (the plate); the cap keeps a
 * few KB of a well-compressed huge image from becoming gigabytes of pixels on every receiver.
 */
export const MAX_IMAGE_SIDE = 2048;

const u16be = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u16le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u24le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);

/**
 * The width and height a WebP, JPEG or PNG declares in its header (read without decoding it),
 * or null when the bytes are none of those or their header is cut short or malformed.
 */
export function imageSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) === 'IHDR') {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk the markers to the first start-of-frame (SOF0–SOF15 but DHT C4, JPG C8, DAC CC).
    let i = 2;
    while (i + 9 <= b.length) {
      if (b[i] !== 0xff) return null;
      const m = b[i + 1]!;
      if (m === 0xff) { i++; continue; }
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { width: u16be(b, i + 7), height: u16be(b, i + 5) };
      if (m === 0x01 || (m >= 0xd0 && m <= 0xd9)) { i += 2; continue; }
      const len = u16be(b, i + 2);
      if (len < 2) return null;
      i += 2 + len;
    }
    return null;
  }
  if (b.length >= 30 && String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!) === 'RIFF' && String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!) === 'WEBP') {
    const chunk = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
    if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    if (chunk === 'VP8L' && b[20] === 0x2f) {
      const v = (b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24)) >>> 0;
      return { width: (v & 0x3fff) + 1, height: ((v >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  }
  return null;
}

/** Why an image section is refused, or null: it must be a WebP, JPEG or PNG of 1…MAX_IMAGE_SIDE px a side. */
function imageProblem(type: number, b: Uint8Array): string | null {
  const size = imageSize(b);
  if (!size) return `section ${type} is not a WebP, JPEG or PNG image`;
  const { width, height } = size;
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) return `section ${type} is a ${width}×${height} image: each side must be 1–${MAX_IMAGE_SIDE} px`;
  return null;
}

function finiteFloats(b: Uint8Array): boolean {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < b.length; i += 4) if (!Number.isFinite(v.getFloat32(i, true))) return false;
  return true;
}

/**
 * Validates the contents of a known section type; returns an error message or null.
 * Float sections are little-endian float32 (the platform order of typed arrays everywhere).
 */
export function validateSection(type: number, bytes: Uint8Array): string | null {
  switch (type) {
    case SectionType.NeutralShape:
    case SectionType.PlateLandmarks:
      if (bytes.length !== SHAPE_BYTES) return `section ${type} must be ${SHAPE_BYTES} bytes (478×3 float32)`;
      return finiteFloats(bytes) ? null : `section ${type} holds a non-finite value`;
    case SectionType.TextureAtlas:
    case SectionType.BackgroundPlate:
    case SectionType.MouthPatch:
    case SectionType.EyePatch:
    case SectionType.EyeballPatch:
    case SectionType.MouthSet:
      return imageProblem(type, bytes);
    case SectionType.IdentityVector:
      if (bytes.length === 0 || bytes.length % 4 !== 0) return 'identity vector must be a non-empty float32 array';
      return finiteFloats(bytes) ? null : 'identity vector holds a non-finite value';
    case SectionType.AdaInParams:
      return bytes.length > 0 && bytes.length % 2 === 0 ? null : 'AdaIN parameters must be a non-empty float16/float32 array';
    case SectionType.GeneratorWeights:
      try {
        decodeGeneratorWeights(bytes);
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    case SectionType.Metadata: {
      try {
        const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        const obj: unknown = JSON.parse(text);
        return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? null : 'metadata must be a JSON object';
      } catch {
        return 'metadata must be UTF-8 JSON';
      }
    }
    default:
      return null;
  }
}

/** Size in bytes `encodeEmbedding` will produce. */
export function embeddingByteLength(e: AvatarEmbedding): number {
  return 11 + e.generator.family.length + e.sections.reduce((a, s) => a + SECTION_HEADER_BYTES + s.bytes.length, 0) + HASH_BYTES;
}

/** Serialises an embedding; throws TypeError for values the format cannot carry. */
export function encodeEmbedding(e: AvatarEmbedding): Uint8Array {
  const family = e.generator.family;
  if (!/^[\x21-\x7e]{1,16}$/.test(family)) throw new TypeError('generator.family must be 1–16 printable ASCII characters');
  if (!Number.isInteger(e.generator.version) || e.generator.version < 0 || e.generator.version > 0xffff) throw new TypeError('generator.version must be a u16');
  if (e.formatVersion !== EMBEDDING_FORMAT_VERSION) throw new TypeError(`formatVersion must be ${EMBEDDING_FORMAT_VERSION}`);
  if (e.sections.length > MAX_SECTIONS) throw new TypeError(`at most ${MAX_SECTIONS} sections`);
  const seen = new Set<number>();
  for (const s of e.sections) {
    if (!Number.isInteger(s.type) || s.type < 0 || s.type > 0xffff) throw new TypeError(`section type must be a u16, got ${s.type}`);
    if (seen.has(s.type)) throw new TypeError(`duplicate section type ${s.type}`);
    seen.add(s.type);
    const problem = KNOWN_TYPES.has(s.type) ? validateSection(s.type, s.bytes) : null;
    if (problem) throw new TypeError(problem);
  }
  const total = embeddingByteLength(e);
  if (total > MAX_EMBEDDING_BYTES) throw new RangeError(`embedding is ${total} bytes, the cap is ${MAX_EMBEDDING_BYTES}`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(EMBEDDING_MAGIC, 0);
  out[4] = e.formatVersion;
  out[5] = 0;
  out[6] = family.length;
  for (let i = 0; i < family.length; i++) out[7 + i] = family.charCodeAt(i);
  let p = 7 + family.length;
  view.setUint16(p, e.generator.version);
  view.setUint16(p + 2, e.sections.length);
  p += 4;
  for (const s of e.sections) {
    view.setUint16(p, s.type);
    out[p + 2] = s.mandatory ? MANDATORY_FLAG : 0;
    view.setUint32(p + 3, s.bytes.length);
    out.set(s.bytes, p + SECTION_HEADER_BYTES);
    p += SECTION_HEADER_BYTES + s.bytes.length;
  }
  out.set(sha256(out.subarray(0, p)), p);
  return out;
}

/** Parses and validates a container; throws DecodeError with a reason for any problem. */
export function decodeEmbedding(bytes: Uint8Array): DecodedEmbedding {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('embedding must be a Uint8Array');
  if (bytes.length > MAX_EMBEDDING_BYTES) fail(DecodeErrorReason.TooLarge, `${bytes.length} bytes exceeds the ${MAX_EMBEDDING_BYTES}-byte cap`);
  if (bytes.length < 4) fail(DecodeErrorReason.Truncated, 'shorter than the magic');
  for (let i = 0; i < 4; i++) if (bytes[i] !== EMBEDDING_MAGIC[i]) fail(DecodeErrorReason.BadMagic, 'not a Visage embedding');
  if (bytes.length < 12 + HASH_BYTES) fail(DecodeErrorReason.Truncated, 'header is truncated');
  if (bytes[4] !== EMBEDDING_FORMAT_VERSION) fail(DecodeErrorReason.UnsupportedVersion, `format version ${bytes[4]}`);
  if (bytes[5] !== 0) fail(DecodeErrorReason.InvalidField, 'reserved flags are set');
  const body = bytes.length - HASH_BYTES;
  const hash = sha256(bytes.subarray(0, body));
  const familyLen = bytes[6]!;
  if (familyLen < 1 || familyLen > MAX_FAMILY_BYTES) fail(DecodeErrorReason.InvalidField, `generator family length ${familyLen}`);
  if (7 + familyLen + 4 > body) fail(DecodeErrorReason.Truncated, 'header is truncated');
  let family = '';
  for (let i = 0; i < familyLen; i++) {
    const c = bytes[7 + i]!;
    if (c < 0x21 || c > 0x7e) fail(DecodeErrorReason.InvalidField, 'generator family is not printable ASCII');
    family += String.fromCharCode(c);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 7 + familyLen;
  const version = view.getUint16(p);
  const count = view.getUint16(p + 2);
  p += 4;
  if (count > MAX_SECTIONS) fail(DecodeErrorReason.InvalidField, `${count} sections (max ${MAX_SECTIONS})`);
  const raw: { type: number; mandatory: boolean; start: number; length: number }[] = [];
  for (let i = 0; i < count; i++) {
    if (p + SECTION_HEADER_BYTES > body) fail(DecodeErrorReason.Truncated, `section ${i} header is truncated`);
    const type = view.getUint16(p);
    const flags = bytes[p + 2]!;
    const length = view.getUint32(p + 3);
    if ((flags & ~MANDATORY_FLAG) !== 0) fail(DecodeErrorReason.InvalidField, `section ${i} has unknown flags`);
    p += SECTION_HEADER_BYTES;
    if (length > body - p) fail(DecodeErrorReason.Truncated, `section ${i} (type ${type}) claims ${length} bytes, ${body - p} left`);
    raw.push({ type, mandatory: (flags & MANDATORY_FLAG) !== 0, start: p, length });
    p += length;
  }
  if (p !== body) fail(DecodeErrorReason.TooLarge, `${body - p} unexpected bytes after the last section`);
  for (let i = 0; i < HASH_BYTES; i++) if (hash[i] !== bytes[body + i]) fail(DecodeErrorReason.BadHash, 'content hash does not match');
  const sections: EmbeddingSection[] = [];
  const skipped: number[] = [];
  const seen = new Set<number>();
  for (const s of raw) {
    if (seen.has(s.type)) fail(DecodeErrorReason.InvalidField, `duplicate section type ${s.type}`);
    seen.add(s.type);
    const sectionBytes = bytes.slice(s.start, s.start + s.length);
    if (!KNOWN_TYPES.has(s.type)) {
      if (s.mandatory) fail(DecodeErrorReason.UnknownMandatorySection, `unknown mandatory section type ${s.type}`);
      skipped.push(s.type);
      continue;
    }
    const problem = validateSection(s.type, sectionBytes);
    if (problem) fail(DecodeErrorReason.InvalidField, problem);
    sections.push({ type: s.type, mandatory: s.mandatory, bytes: sectionBytes });
  }
  return { formatVersion: EMBEDDING_FORMAT_VERSION, generator: { family, version }, sections, hash: toHex(hash), skipped };
}

/** Hex content hash of an encoded container (its last 32 bytes), without validating it. */
export function embeddingHash(bytes: Uint8Array): string {
  if (bytes.length < HASH_BYTES) throw DecodeError.truncated('embedding');
  return toHex(bytes.subarray(bytes.length - HASH_BYTES));
}

/** The neutral shape section as Float32Array (little-endian), or null when absent. */
export function neutralShapeOf(e: AvatarEmbedding): Float32Array | null {
  const s = e.sections.find((x) => x.type === SectionType.NeutralShape);
  if (!s) return null;
  const view = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  return Float32Array.from({ length: s.bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** Encodes a Float32Array (e.g. a neutral shape) as section bytes (little-endian). */
export function floatSectionBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return out;
}
