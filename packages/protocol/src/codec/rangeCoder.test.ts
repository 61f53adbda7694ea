import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntModel, learnIntModel } from './model.ts';
import { FrequencyTable, RangeDecoder, RangeEncoder } from './rangeCoder.ts';

describe('range coder', () => {
  it('round-trips symbols, raw bits and escaped integers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 2, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 16 }), fc.integer({ min: -100000, max: 100000 })), { maxLength: 60 }),
        (freqs, ops) => {
          const table = new FrequencyTable(Uint32Array.from(freqs));
          const model = new IntModel(learnIntModel([0, 1, -1, 2, 5, 0, 0, 3], 4));
          const enc = new RangeEncoder();
          for (const [sym, bits, int] of ops) {
            table.encode(enc, sym % freqs.length);
            enc.encodeBits(bits === 0 ? 0 : sym % 2 ** bits, bits);
            model.encode(enc, int);
          }
          const bytes = enc.finish();
          const dec = new RangeDecoder(bytes, 0);
          for (const [sym, bits, int] of ops) {
            expect(table.decode(dec)).toBe(sym % freqs.length);
            expect(dec.decodeBits(bits)).toBe(bits === 0 ? 0 : sym % 2 ** bits);
            expect(model.decode(dec)).toBe(model.clamp(int));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('costs close to the ideal code length', () => {
    const table = new FrequencyTable(Uint32Array.from([60000, 5536]));
    const enc = new RangeEncoder();
    for (let i = 0; i < 1000; i++) table.encode(enc, i % 10 === 0 ? 1 : 0);
    const ideal = (900 * -Math.log2(60000 / 65536) + 100 * -Math.log2(5536 / 65536)) / 8;
    expect(enc.finish().length).toBeLessThanOrEqual(Math.ceil(ideal) + 2);
  });

  it('terminates an empty message with zero bytes', () => {
    expect(new RangeEncoder().finish().length).toBe(0);
  });
});
