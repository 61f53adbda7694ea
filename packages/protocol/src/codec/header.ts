/**
 * Codec packet header: 6 bytes, big-endian.
 *
 *   byte 0   bits 7-6  format version (PACKET_FORMAT_VERSION = 1)
 *            bit  5    key      (keyframe: sent every ≤ 1 s and on request)
 *            bit  4    faceLost (no face; no payload follows)
 *            bits 3-0  codec id (names the basis version; see basis.ts)
 *   byte 1   stream id (0-255, one per sender track)
 *   byte 2-3 sequence number (u16, wraps)
 *   byte 4-5 capture timestamp in ms (u16, wraps every 65.536 s; unwrap with `unwrapTimestamp`)
 *
 * The payload (range-coded pose, expression, blendshapes) follows directly.
 */
import { DecodeError, DecodeErrorReason } from '../errors.ts';

export const PACKET_FORMAT_VERSION = 1;
export const PACKET_HEADER_BYTES = 6;
export const SEQ_MODULO = 0x10000;
export const TIMESTAMP_MODULO = 0x10000;

export interface PacketHeader {
  version: number;
  codecId: number;
  streamId: number;
  /** u16 sequence number. */
  seq: number;
  /** Capture timestamp modulo 2^16 ms. */
  timestamp: number;
  key: boolean;
  faceLost: boolean;
}

export function encodeHeaderInto(h: PacketHeader, view: DataView, offset = 0): number {
  if (!Number.isInteger(h.codecId) || h.codecId < 0 || h.codecId > 15) throw new TypeError(`codecId must be 0-15, got ${h.codecId}`);
  if (!Number.isInteger(h.streamId) || h.streamId < 0 || h.streamId > 255) throw new TypeError(`streamId must be 0-255, got ${h.streamId}`);
  if (!Number.isInteger(h.version) || h.version < 0 || h.version > 3) throw new TypeError(`version must be 0-3, got ${h.version}`);
  view.setUint8(offset, (h.version << 6) | (h.key ? 0x20 : 0) | (h.faceLost ? 0x10 : 0) | h.codecId);
  view.setUint8(offset + 1, h.streamId);
  view.setUint16(offset + 2, mod(h.seq, SEQ_MODULO));
  view.setUint16(offset + 4, mod(Math.round(h.timestamp), TIMESTAMP_MODULO));
  return PACKET_HEADER_BYTES;
}

/** Parses the header; throws DecodeError for short input or an unknown version. */
export function decodeHeader(bytes: Uint8Array): PacketHeader {
  if (bytes.length < PACKET_HEADER_BYTES) throw DecodeError.truncated('packet header');
  const b0 = bytes[0]!;
  const version = b0 >> 6;
  if (version !== PACKET_FORMAT_VERSION) {
    throw new DecodeError(DecodeErrorReason.UnsupportedVersion, `packet format version ${version} (expected ${PACKET_FORMAT_VERSION})`);
  }
  return {
    version,
    key: (b0 & 0x20) !== 0,
    faceLost: (b0 & 0x10) !== 0,
    codecId: b0 & 0x0f,
    streamId: bytes[1]!,
    seq: (bytes[2]! << 8) | bytes[3]!,
    timestamp: (bytes[4]! << 8) | bytes[5]!,
  };
}

function mod(v: number, m: number): number {
  return ((v % m) + m) % m;
}

/**
 * Wrap-safe unwrapping: returns the full value congruent to `wrapped` (mod `modulo`)
 * closest to `reference` (a previously unwrapped value).
 */
export function unwrap(wrapped: number, reference: number, modulo: number): number {
  const base = reference - mod(reference, modulo);
  let v = base + wrapped;
  if (v - reference > modulo / 2) v -= modulo;
  else if (reference - v >= modulo / 2) v += modulo;
  return v;
}

export function unwrapTimestamp(wrapped: number, referenceMs: number): number {
  return unwrap(wrapped, referenceMs, TIMESTAMP_MODULO);
}

export function unwrapSeq(wrapped: number, reference: number): number {
  return unwrap(wrapped, reference, SEQ_MODULO);
}
