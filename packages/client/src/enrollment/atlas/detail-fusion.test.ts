import { describe, expect, it } from 'vitest';
import { fuseTwoBand, gaussianBlur } from './detail-fusion.ts';
import type { Unwrap } from './register.ts';

const A = 48;

/** An unwrap of a smooth ramp plus a fine pattern of the given phase, with a constant weight. */
function unwrap(weight: number, phase: number, amp = 20): Unwrap {
  const color = new Float32Array(A * A * 3), w = new Float32Array(A * A).fill(weight);
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      const v = 100 + x + amp * Math.sin(1.9 * x + phase) * Math.cos(1.7 * y);
      for (let c = 0; c < 3; c++) color[(y * A + x) * 3 + c] = v;
    }
  }
  return { color, weight: w };
}

/** Mean absolute texel difference over the interior (away from the clamped edges). */
function interiorDiff(a: Float32Array, b: Float32Array): number {
  let s = 0, n = 0;
  for (let y = 8; y < A - 8; y++) for (let x = 8; x < A - 8; x++) { s += Math.abs(a[(y * A + x) * 3]! - b[(y * A + x) * 3]!); n++; }
  return s / n;
}

describe('two-band atlas fusion', () => {
  it('is the plain weighted mean at power 1', () => {
    const u = [unwrap(0.9, 0), unwrap(0.3, 2)];
    const { color, mask } = fuseTwoBand(u, [[1, 1, 1], [1, 1, 1]], A, { sigma: 2, power: 1 });
    expect(mask.every((m) => m === 1)).toBe(true);
    const plain = new Float32Array(A * A * 3);
    for (let k = 0; k < plain.length; k++) plain[k] = (0.9 * u[0]!.color[k]! + 0.3 * u[1]!.color[k]!) / 1.2;
    expect(interiorDiff(color, plain)).toBeLessThan(1e-3);
  });

  it('takes the detail from the heavier photo and keeps the blended shading', () => {
    // Opposite-phase patterns: the plain mean cancels much of the detail; power 8 keeps photo 0's.
    const u = [unwrap(0.8, 0), unwrap(0.6, Math.PI)];
    const gains = [[1, 1, 1], [1, 1, 1]];
    const plain = fuseTwoBand(u, gains, A, { sigma: 2, power: 1 }).color;
    const sharp = fuseTwoBand(u, gains, A, { sigma: 2, power: 8 }).color;
    const toFirst = (c: Float32Array) => interiorDiff(c, u[0]!.color);
    expect(toFirst(sharp)).toBeLessThan(0.25 * toFirst(plain));
    // The shading is the same in both: their blurred versions agree.
    const ch0 = (c: Float32Array) => Float32Array.from({ length: A * A }, (_, k) => c[k * 3]!);
    const bp = gaussianBlur(ch0(plain), A, 4), bs = gaussianBlur(ch0(sharp), A, 4);
    let diff = 0;
    for (let y = 8; y < A - 8; y++) for (let x = 8; x < A - 8; x++) diff += Math.abs(bp[y * A + x]! - bs[y * A + x]!) / (A - 16) ** 2;
    expect(diff).toBeLessThan(1);
  });

  it('applies the exposure gains and leaves unseen texels out of the mask', () => {
    const seen = unwrap(1, 0, 0);
    seen.weight.fill(0, 0, A * 4);
    const { color, mask } = fuseTwoBand([seen], [[2, 1, 1]], A, { sigma: 1.5, power: 4 });
    expect(mask[0]).toBe(0);
    expect(mask[A * 10]).toBe(1);
    const k = (A * 20 + 20) * 3;
    expect(color[k]).toBeCloseTo(2 * seen.color[k]!, 2);
    expect(color[k + 1]).toBeCloseTo(seen.color[k + 1]!, 2);
  });

  it('rejects bad options', () => {
    const u = [unwrap(1, 0)];
    expect(() => fuseTwoBand(u, [[1, 1, 1]], A, { sigma: 0, power: 4 })).toThrow(/sigma/);
    expect(() => fuseTwoBand(u, [[1, 1, 1]], A, { sigma: 2, power: 0 })).toThrow(/power/);
    expect(() => fuseTwoBand(u, [[1, 1, 1]], A, { sigma: Number.NaN, power: 4 })).toThrow(/sigma/);
  });
});
