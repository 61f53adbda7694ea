import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { decodeHeader, encodeHeaderInto, PACKET_FORMAT_VERSION, PACKET_HEADER_BYTES, unwrapSeq, unwrapTimestamp, type PacketHeader } from './header.ts';

const encode = (h: PacketHeader): Uint8Array => {
  const b = new Uint8Array(PACKET_HEADER_BYTES);
  encodeHeaderInto(h, new DataView(b.buffer));
  return b;
};

describe('packet header', () => {
  it('has the documented byte layout', () => {
    const bytes = encode({ version: 1, codecId: 1, streamId: 7, seq: 0x1234, timestamp: 70_000, key: true, faceLost: false });
    expect(Array.from(bytes)).toEqual([
      0b0110_0001, // version 1 (bits 7-6), key (bit 5), faceLost 0 (bit 4), codec id 1 (bits 3-0)
      7, // stream id
      0x12, 0x34, // sequence number, big-endian
      0x11, 0x70, // 70000 ms mod 65536 = 4464 = 0x1170
    ]);
  });

  it('round-trips every field', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        fc.boolean(),
        (codecId, streamId, seq, timestamp, key, faceLost) => {
          const h = { version: PACKET_FORMAT_VERSION, codecId, streamId, seq, timestamp, key, faceLost };
          expect(decodeHeader(encode(h))).toEqual(h);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('unwraps timestamps and sequence numbers across the wrap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -30_000, max: 30_000 }), (ref, delta) => {
        const t = Math.max(0, ref + delta);
        expect(unwrapTimestamp(t % 65536, ref)).toBe(t);
        expect(unwrapSeq(t % 65536, ref)).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects short input and other versions with DecodeError', () => {
    expect(() => decodeHeader(new Uint8Array(5))).toThrow(DecodeError);
    const b = encode({ version: 1, codecId: 1, streamId: 0, seq: 0, timestamp: 0, key: false, faceLost: false });
    b[0] = (b[0]! & 0x3f) | (2 << 6);
    expect(() => decodeHeader(b)).toThrow(expect.objectContaining({ reason: 'unsupported_version' }));
  });

  it('rejects out-of-range fields on encode with TypeError', () => {
    expect(() => encode({ version: 1, codecId: 16, streamId: 0, seq: 0, timestamp: 0, key: false, faceLost: false })).toThrow(TypeError);
    expect(() => encode({ version: 1, codecId: 0, streamId: 256, seq: 0, timestamp: 0, key: false, faceLost: false })).toThrow(TypeError);
  });
});
