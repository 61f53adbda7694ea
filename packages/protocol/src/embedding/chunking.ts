/**
 * Chunking and reassembly of an encoded embedding for the reliable data channel.
 *
 * Chunk (big-endian): magic 0xE5, version 1, transfer id u32 (first 4 bytes of the
 * content hash), index u16, count u16, total length u32, then the payload. Every chunk
 * but the last carries exactly ceil(total / count) bytes.
 */
import { DecodeError, DecodeErrorReason } from '../errors.ts';
import { decodeEmbedding, MAX_EMBEDDING_BYTES, type DecodedEmbedding } from './container.ts';

export const CHUNK_MAGIC = 0xe5;
export const CHUNK_VERSION = 1;
export const CHUNK_HEADER_BYTES = 14;
/** Default chunk payload size: 16 KiB keeps every message under the common SCTP limit. */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 - CHUNK_HEADER_BYTES;

export function chunkEmbedding(container: Uint8Array, chunkBytes = DEFAULT_CHUNK_BYTES): Uint8Array[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new TypeError('chunkBytes must be a positive integer');
  if (container.length < 32 || container.length > MAX_EMBEDDING_BYTES) throw new RangeError('container size out of range');
  const count = Math.ceil(container.length / chunkBytes);
  if (count > 0xffff) throw new RangeError('too many chunks; raise chunkBytes');
  const size = Math.ceil(container.length / count);
  const id = new DataView(container.buffer, container.byteOffset + container.length - 32, 4).getUint32(0);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const payload = container.subarray(i * size, Math.min(container.length, (i + 1) * size));
    const c = new Uint8Array(CHUNK_HEADER_BYTES + payload.length);
    const v = new DataView(c.buffer);
    c[0] = CHUNK_MAGIC;
    c[1] = CHUNK_VERSION;
    v.setUint32(2, id);
    v.setUint16(6, i);
    v.setUint16(8, count);
    v.setUint32(10, container.length);
    c.set(payload, CHUNK_HEADER_BYTES);
    chunks.push(c);
  }
  return chunks;
}

interface Transfer {
  total: number;
  count: number;
  size: number;
  buf: Uint8Array;
  have: Uint8Array;
  received: number;
}

/**
 * Reassembles chunks (any order, duplicates ignored). `push` returns the decoded,
 * hash-checked embedding when a transfer completes, else null. At most `maxTransfers`
 * incomplete transfers are kept (oldest dropped), so memory stays bounded.
 */
export class EmbeddingReassembler {
  private readonly transfers = new Map<number, Transfer>();
  constructor(private readonly maxTransfers = 4) {}

  push(chunk: Uint8Array): DecodedEmbedding | null {
    if (chunk.length < CHUNK_HEADER_BYTES) throw DecodeError.truncated('embedding chunk');
    if (chunk[0] !== CHUNK_MAGIC) throw new DecodeError(DecodeErrorReason.BadMagic, 'not an embedding chunk');
    if (chunk[1] !== CHUNK_VERSION) throw new DecodeError(DecodeErrorReason.UnsupportedVersion, `chunk version ${chunk[1]}`);
    const v = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const id = v.getUint32(2);
    const index = v.getUint16(6);
    const count = v.getUint16(8);
    const total = v.getUint32(10);
    if (total > MAX_EMBEDDING_BYTES) throw new DecodeError(DecodeErrorReason.TooLarge, `embedding of ${total} bytes exceeds the cap`);
    if (count < 1 || count > total || index >= count) throw DecodeError.invalid(`chunk ${index} of ${count} for ${total} bytes`);
    const size = Math.ceil(total / count);
    if ((count - 1) * size >= total) throw DecodeError.invalid('chunk count does not fit the total length');
    const expected = index === count - 1 ? total - (count - 1) * size : size;
    if (chunk.length - CHUNK_HEADER_BYTES !== expected) throw DecodeError.invalid(`chunk ${index} carries ${chunk.length - CHUNK_HEADER_BYTES} bytes, expected ${expected}`);
    let t = this.transfers.get(id);
    if (t && (t.total !== total || t.count !== count)) throw DecodeError.invalid('chunk disagrees with earlier chunks of the same transfer');
    if (!t) {
      if (this.transfers.size >= this.maxTransfers) this.transfers.delete(this.transfers.keys().next().value!);
      t = { total, count, size, buf: new Uint8Array(total), have: new Uint8Array(count), received: 0 };
      this.transfers.set(id, t);
    }
    if (t.have[index]) return null;
    t.have[index] = 1;
    t.received++;
    t.buf.set(chunk.subarray(CHUNK_HEADER_BYTES), index * size);
    if (t.received < t.count) return null;
    this.transfers.delete(id);
    return decodeEmbedding(t.buf);
  }

  /** Number of incomplete transfers held. */
  get pending(): number {
    return this.transfers.size;
  }
}
