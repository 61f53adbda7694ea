import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { decodeEmbedding, encodeEmbedding } from './container.ts';
import { sha256 } from './sha256.ts';
import { decodeGeneratorWeights, encodeGeneratorWeights, fingerprintFloats, floatToHalf, halfToFloat, MAX_TUNED_TENSORS } from './generator-weights.ts';
import { SectionType, type AvatarEmbedding } from './types.ts';

const weights = () => ({
  baseFingerprint: 0xdeadbeef,
  tensors: [
    { name: 'G/out/kernel', delta: Float32Array.from({ length: 576 }, (_, i) => Math.sin(i) * 1e-3) },
    { name: 'G/out/bias', delta: Float32Array.of(0.5, -0.25, 0, 1e-5) },
  ],
});

describe('float16', () => {
  it('rounds to the nearest half and back (exact values, subnormals, overflow, ties to even)', () => {
    for (const v of [0, 1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 0.333251953125]) expect(halfToFloat(floatToHalf(v))).toBe(v);
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(halfToFloat(floatToHalf(70000))).toBe(Infinity);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even (1.0)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (1 + 2⁻⁹)
    expect(halfToFloat(floatToHalf(2 ** -25))).toBe(0); // half the smallest subnormal, tie → 0
    expect(halfToFloat(floatToHalf(3 * 2 ** -26))).toBe(2 ** -24);
  });

  it('is within half an ulp for any finite value in range (property)', () => {
    fc.assert(fc.property(fc.float({ min: -65000, max: 65000, noNaN: true }), (v) => {
      const r = halfToFloat(floatToHalf(v));
      const ulp = Math.abs(v) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 10);
      expect(Math.abs(r - v)).toBeLessThanOrEqual(ulp / 2 + 1e-12);
    }), { numRuns: 2000 });
  });
});

describe('GeneratorWeights section', () => {
  it('round-trips names, fingerprint and float16 deltas', () => {
    const w = weights();
    const d = decodeGeneratorWeights(encodeGeneratorWeights(w));
    expect(d.baseFingerprint).toBe(0xdeadbeef);
    expect(d.tensors.map((t) => t.name)).toEqual(['G/out/kernel', 'G/out/bias']);
    d.tensors.forEach((t, k) => t.delta.forEach((v, i) => expect(v).toBe(halfToFloat(floatToHalf(w.tensors[k]!.delta[i]!)))));
    expect(encodeGeneratorWeights(w).length).toBe(7 + (1 + 12 + 4 + 2 * 576) + (1 + 10 + 4 + 8));
  });

  it('refuses what it cannot carry', () => {
    const w = weights();
    expect(() => encodeGeneratorWeights({ ...w, tensors: [] })).toThrow(TypeError);
    expect(() => encodeGeneratorWeights({ ...w, baseFingerprint: -1 })).toThrow(TypeError);
    expect(() => encodeGeneratorWeights({ ...w, tensors: [w.tensors[0]!, w.tensors[0]!] })).toThrow(/twice/);
    expect(() => encodeGeneratorWeights({ ...w, tensors: [{ name: '', delta: Float32Array.of(1) }] })).toThrow(TypeError);
    expect(() => encodeGeneratorWeights({ ...w, tensors: [{ name: 'x'.repeat(65), delta: Float32Array.of(1) }] })).toThrow(TypeError);
    expect(() => encodeGeneratorWeights({ ...w, tensors: [{ name: 'a', delta: Float32Array.of(NaN) }] })).toThrow(/finite/);
    expect(() => encodeGeneratorWeights({ ...w, tensors: [{ name: 'a', delta: Float32Array.of(1e6) }] })).toThrow(/finite/);
    expect(() => encodeGeneratorWeights({ ...w, tensors: Array.from({ length: MAX_TUNED_TENSORS + 1 }, (_, i) => ({ name: `t${i}`, delta: Float32Array.of(1) })) })).toThrow(TypeError);
  });

  it('rejects malformed bytes with a TypeError naming the problem', () => {
    const good = encodeGeneratorWeights(weights());
    const edit = (f: (b: Uint8Array) => void) => { const b = Uint8Array.from(good); f(b); return b; };
    expect(() => decodeGeneratorWeights(good.subarray(0, 5))).toThrow(/truncated/);
    for (const n of [7, 8, 20, 24, good.length - 1]) expect(() => decodeGeneratorWeights(good.subarray(0, n))).toThrow(/truncated/);
    expect(() => decodeGeneratorWeights(Uint8Array.from([...good, 0]))).toThrow(/trailing/);
    expect(() => decodeGeneratorWeights(edit((b) => (b[0] = 2)))).toThrow(/version 2/);
    expect(() => decodeGeneratorWeights(edit((b) => b.set([0, 0], 5)))).toThrow(/0 tensors/);
    expect(() => decodeGeneratorWeights(edit((b) => (b[7] = 0)))).toThrow(/name is 0 bytes/);
    expect(() => decodeGeneratorWeights(edit((b) => (b[8] = 0xff)))).toThrow(/UTF-8/);
    expect(() => decodeGeneratorWeights(edit((b) => b.set([0, 0, 0, 0], 20)))).toThrow(/empty/);
    expect(() => decodeGeneratorWeights(edit((b) => b.set([0x00, 0x7c], 24)))).toThrow(/non-finite/);
  });

  it('is validated inside the embedding container like every known section', () => {
    const e = (bytes: Uint8Array): AvatarEmbedding => ({ formatVersion: 1, generator: { family: 'neural', version: 1 }, sections: [{ type: SectionType.GeneratorWeights, mandatory: false, bytes }] });
    const good = encodeGeneratorWeights(weights());
    expect(decodeEmbedding(encodeEmbedding(e(good))).sections[0]!.bytes).toEqual(good);
    expect(() => encodeEmbedding(e(good.subarray(0, 30)))).toThrow(TypeError);
  });

  it('fingerprints the float32 values in order', () => {
    const a = Float32Array.of(1, 2, 3), b = Float32Array.of(4);
    expect(fingerprintFloats([a, b])).toBe(fingerprintFloats([Float32Array.of(1, 2, 3, 4)]));
    expect(fingerprintFloats([a, b])).not.toBe(fingerprintFloats([b, a]));
    expect(fingerprintFloats([Float32Array.of(1, 2, 3.0000002)])).not.toBe(fingerprintFloats([a]));
    expect(fingerprintFloats([])).toBe(0x811c9dc5);
  });
});

it('a container whose GeneratorWeights section is malformed fails with DecodeError (invalid_field)', () => {
  const e: AvatarEmbedding = { formatVersion: 1, generator: { family: 'neural', version: 1 }, sections: [{ type: 200, mandatory: false, bytes: encodeGeneratorWeights(weights()).subarray(0, 30) }] };
  const b = encodeEmbedding(e);
  // The first section's type is the big-endian u16 at 7 + len('neural') + 4: retype 200 → GeneratorWeights, re-hash.
  expect([b[17], b[18]]).toEqual([0, 200]);
  b[18] = SectionType.GeneratorWeights;
  b.set(sha256(b.subarray(0, b.length - 32)), b.length - 32);
  let err: unknown;
  try { decodeEmbedding(b); } catch (x) { err = x; }
  expect(err).toBeInstanceOf(DecodeError);
  expect((err as DecodeError).reason).toBe('invalid_field');
});
