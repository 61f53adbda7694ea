import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { chunkEmbedding, EmbeddingReassembler } from './chunking.ts';
import { decodeEmbedding, encodeEmbedding, floatSectionBytes, imageSize, MAX_EMBEDDING_BYTES, MAX_IMAGE_SIDE, neutralShapeOf } from './container.ts';
import { sha256, toHex } from './sha256.ts';
import { SectionType, type AvatarEmbedding } from './types.ts';

/** n bytes that start like a 64×48 baseline JPEG (SOI, then a SOF0 segment), the rest filler. */
const JPEG_HEAD = [0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x30, 0x00, 0x40, 0x03];
const jpeg = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i < JPEG_HEAD.length ? JPEG_HEAD[i]! : (i * 7) & 255));
const neutral = Float32Array.from({ length: 1434 }, (_, i) => Math.sin(i));

function sample(extra: AvatarEmbedding['sections'] = []): AvatarEmbedding {
  return {
    formatVersion: 1,
    generator: { family: 'warp', version: 3 },
    sections: [
      { type: SectionType.NeutralShape, mandatory: true, bytes: floatSectionBytes(neutral) },
      { type: SectionType.TextureAtlas, mandatory: true, bytes: jpeg(5000) },
      { type: SectionType.Metadata, mandatory: false, bytes: new TextEncoder().encode('{"name":"Ada"}') },
      ...extra,
    ],
  };
}

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err.reason;
    throw err;
  }
  return 'ok';
};

/** Re-hashes a container after editing it, so validation past the hash is exercised. */
function rehash(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32);
  return out;
}

describe('embedding container', () => {
  it('round-trips header, sections and the neutral shape', () => {
    const bytes = encodeEmbedding(sample());
    expect(Array.from(bytes.subarray(0, 7))).toEqual([0x56, 0x53, 0x47, 0x45, 1, 0, 4]); // "VSGE", version 1, flags 0, family length 4
    const d = decodeEmbedding(bytes);
    expect(d.generator).toEqual({ family: 'warp', version: 3 });
    expect(d.sections.map((s) => [s.type, s.mandatory, s.bytes.length])).toEqual([[1, true, 5736], [2, true, 5000], [9, false, 14]]);
    expect(neutralShapeOf(d)).toEqual(neutral);
    expect(d.hash).toBe(toHex(sha256(bytes.subarray(0, bytes.length - 32))));
  });

  it('round-trips arbitrary generator ids and optional unknown sections (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9._-]{1,16}$/),
        fc.nat(0xffff),
        fc.array(fc.tuple(fc.integer({ min: 100, max: 0xffff }), fc.uint8Array({ maxLength: 300 })), { maxLength: 5 }),
        (family, version, unknown) => {
          const types = [...new Set(unknown.map(([t]) => t))];
          const e: AvatarEmbedding = { formatVersion: 1, generator: { family, version }, sections: types.map((t) => ({ type: t, mandatory: false, bytes: new Uint8Array(3) })) };
          const d = decodeEmbedding(encodeEmbedding(e));
          expect(d.generator).toEqual({ family, version });
          expect(d.sections).toEqual([]);
          expect(d.skipped).toEqual(types);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects an unknown mandatory section and skips an unknown optional one', () => {
    expect(reason(() => decodeEmbedding(encodeEmbedding(sample([{ type: 999, mandatory: true, bytes: new Uint8Array(4) }]))))).toBe('unknown_mandatory_section');
    const d = decodeEmbedding(encodeEmbedding(sample([{ type: 999, mandatory: false, bytes: new Uint8Array(4) }])));
    expect(d.skipped).toEqual([999]);
    expect(d.sections.length).toBe(3);
  });

  it('rejects bad hash, bad magic, version, truncation, trailing bytes and oversize', () => {
    const good = encodeEmbedding(sample());
    const flipped = Uint8Array.from(good);
    flipped[100]! ^= 1;
    expect(reason(() => decodeEmbedding(flipped))).toBe('bad_hash');
    const magic = Uint8Array.from(good);
    magic[0] = 0;
    expect(reason(() => decodeEmbedding(magic))).toBe('bad_magic');
    const version = Uint8Array.from(good);
    version[4] = 2;
    expect(reason(() => decodeEmbedding(version))).toBe('unsupported_version');
    for (const n of [0, 3, 10, 40, 200, good.length - 1]) expect(reason(() => decodeEmbedding(good.slice(0, n)))).not.toBe('ok');
    expect(reason(() => decodeEmbedding(rehash(Uint8Array.from([...good.subarray(0, good.length - 32), 0, ...good.subarray(good.length - 32)]))))).toBe('too_large');
    expect(reason(() => decodeEmbedding(new Uint8Array(MAX_EMBEDDING_BYTES + 1)))).toBe('too_large');
    expect(() => encodeEmbedding(sample([{ type: SectionType.BackgroundPlate, mandatory: true, bytes: jpeg(MAX_EMBEDDING_BYTES) }]))).toThrow(RangeError);
  });

  it('validates known sections even when the hash matches', () => {
    const good = encodeEmbedding(sample());
    // Neutral shape payload starts after header (7 + 4 + 4) and its 7-byte section header.
    const nan = Uint8Array.from(good);
    nan.set([0x00, 0x00, 0xc0, 0x7f], 7 + 4 + 4 + 7); // float32 NaN, little-endian
    expect(reason(() => decodeEmbedding(rehash(nan)))).toBe('invalid_field');
    expect(() => encodeEmbedding(sample([{ type: SectionType.EyePatch, mandatory: true, bytes: new Uint8Array(10) }]))).toThrow(TypeError);
    expect(() => encodeEmbedding(sample([{ type: SectionType.EyeballPatch, mandatory: false, bytes: new Uint8Array(10) }]))).toThrow(/section 11 is not a WebP, JPEG or PNG image/);
    expect(() => encodeEmbedding(sample([{ type: SectionType.MouthSet, mandatory: false, bytes: new Uint8Array(10) }]))).toThrow(/section 12 is not a WebP, JPEG or PNG image/);
  });

  it('reads image sizes from their headers and refuses images over MAX_IMAGE_SIDE a side', () => {
    expect(imageSize(jpeg(100))).toEqual({ width: 64, height: 48 });
    // A JPEG with an APP0 segment before its SOF2 (progressive) frame.
    expect(imageSize(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, 0xff, 0xc2, 0x00, 0x11, 0x08, 0x01, 0x00, 0x02, 0x00, 0x03, 0, 0, 0]))).toEqual({ width: 512, height: 256 });
    const png = (w: number, h: number) => {
      const b = new Uint8Array(33);
      b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
      new DataView(b.buffer).setUint32(16, w);
      new DataView(b.buffer).setUint32(20, h);
      return b;
    };
    expect(imageSize(png(320, 240))).toEqual({ width: 320, height: 240 });
    const riff = (chunk: string, body: number[]) => Uint8Array.from([...'RIFF'].map((c) => c.charCodeAt(0)).concat([0, 0, 0, 0], [...'WEBP' + chunk].map((c) => c.charCodeAt(0)), [0, 0, 0, 0], body, new Array<number>(16).fill(0)));
    // VP8 (lossy): frame tag, start code, 14-bit width and height; VP8L: 14-bit width−1, height−1; VP8X: 24-bit canvas size−1.
    expect(imageSize(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]))).toEqual({ width: 640, height: 480 });
    expect(imageSize(riff('VP8L', [0x2f, 127 & 255, ((127 >> 8) & 0x3f) | ((63 & 3) << 6), (63 >> 2) & 255, 0]))).toEqual({ width: 128, height: 64 });
    expect(imageSize(riff('VP8X', [0, 0, 0, 0, 255, 0, 0, 127, 0, 0]))).toEqual({ width: 256, height: 128 });
    expect(imageSize(Uint8Array.from([0xff, 0xd8, 0xff]))).toBeNull();
    expect(imageSize(new Uint8Array(40))).toBeNull();
    // A few KB that would decode to gigabytes of pixels are refused at the boundary.
    expect(() => encodeEmbedding(sample([{ type: SectionType.BackgroundPlate, mandatory: false, bytes: png(60_000, 60_000) }]))).toThrow(new RegExp(`section 3 is a 60000×60000 image: each side must be 1–${MAX_IMAGE_SIDE} px`));
    expect(() => encodeEmbedding(sample([{ type: SectionType.MouthSet, mandatory: false, bytes: png(128, 0) }]))).toThrow(/section 12 is a 128×0 image/);
    const ok = encodeEmbedding(sample([{ type: SectionType.MouthSet, mandatory: false, bytes: png(128, MAX_IMAGE_SIDE) }]));
    expect(decodeEmbedding(ok).sections.some((x) => x.type === SectionType.MouthSet)).toBe(true);
  });

  it('throws only DecodeError on 5,000 mutated containers', () => {
    const good = encodeEmbedding(sample());
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.boolean(), fc.nat(), (writes, fix, cut) => {
        let b: Uint8Array = Uint8Array.from(good);
        for (const [pos, v] of writes) b[pos % b.length] = v;
        if (cut % 3 === 0) b = b.slice(0, cut % b.length);
        if (fix && b.length >= 32) b = rehash(b);
        reason(() => decodeEmbedding(b));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('embedding chunking', () => {
  it('reassembles chunks in any order, ignoring duplicates', () => {
    const bytes = encodeEmbedding(sample([{ type: SectionType.BackgroundPlate, mandatory: false, bytes: jpeg(60_000) }]));
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 20_000 }), fc.integer({ min: 0, max: 1000 }), (size, seed) => {
        const chunks = chunkEmbedding(bytes, size);
        const order = chunks.map((c, i) => ({ c, k: (i * 7919 + seed * 104729) % 1000003 })).sort((a, b) => a.k - b.k).map((x) => x.c);
        const r = new EmbeddingReassembler();
        let done = null;
        for (const c of [order[0]!, ...order]) {
          const out = r.push(c);
          if (out) done = out;
        }
        expect(done?.hash).toBe(toHex(bytes.subarray(bytes.length - 32)));
        expect(r.pending).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects malformed chunks with DecodeError and bounds pending transfers', () => {
    const chunks = chunkEmbedding(encodeEmbedding(sample()), 1000);
    const r = new EmbeddingReassembler(2);
    expect(reason(() => r.push(new Uint8Array(5)))).toBe('truncated');
    const bad = Uint8Array.from(chunks[0]!);
    bad[0] = 0;
    expect(reason(() => r.push(bad))).toBe('bad_magic');
    const big = Uint8Array.from(chunks[0]!);
    new DataView(big.buffer).setUint32(10, MAX_EMBEDDING_BYTES + 1);
    expect(reason(() => r.push(big))).toBe('too_large');
    const short = chunks[0]!.slice(0, 100);
    expect(reason(() => r.push(short))).toBe('invalid_field');
    for (let id = 0; id < 5; id++) {
      const c = Uint8Array.from(chunks[0]!);
      new DataView(c.buffer).setUint32(2, id);
      r.push(c);
    }
    expect(r.pending).toBe(2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        reason(() => new EmbeddingReassembler().push(b));
      }),
      { numRuns: 5000 },
    );
  });

  it('a tampered chunk fails the content hash', () => {
    const chunks = chunkEmbedding(encodeEmbedding(sample()), 1000);
    const r = new EmbeddingReassembler();
    chunks[2]![40]! ^= 0xff;
    expect(reason(() => chunks.forEach((c) => r.push(c)))).toBe('bad_hash');
  });
});
