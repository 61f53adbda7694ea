import { describe, expect, it } from 'vitest';
import { applyDisplacement, displacement, registerUnwraps, type Unwrap } from './register.ts';

/** A textured A×A unwrap: smooth blobs (detail at several scales), fully seen. */
function textured(A: number, shiftX = 0, shiftY = 0): Unwrap {
  const color = new Float32Array(A * A * 3), weight = new Float32Array(A * A).fill(1);
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      const u = x - shiftX, v = y - shiftY;
      const l = 128 + 40 * Math.sin(u * 0.7) * Math.cos(v * 0.55) + 25 * Math.sin(u * 0.23 + v * 0.31) + 15 * Math.cos(u * 1.3 - v * 0.9);
      for (let c = 0; c < 3; c++) color[(y * A + x) * 3 + c] = l;
    }
  }
  return { color, weight };
}

describe('atlas registration', () => {
  it('finds a sub-texel shift between two unwraps and moves one onto the other', () => {
    const A = 96;
    const ref = textured(A), moving = textured(A, 1.5, -2);
    const d = displacement(ref, moving, A);
    expect(d.matched).toBeGreaterThan(20);
    const c = (A / 2) * A + A / 2;
    expect(d.dx[c]).toBeCloseTo(1.5, 0);
    expect(d.dy[c]).toBeCloseTo(-2, 0);
    const moved = applyDisplacement(moving, A, d.dx, d.dy);
    let before = 0, after = 0, n = 0;
    for (let y = 20; y < A - 20; y++) for (let x = 20; x < A - 20; x++) {
      const k = (y * A + x) * 3;
      before += Math.abs(moving.color[k]! - ref.color[k]!); after += Math.abs(moved.color[k]! - ref.color[k]!); n++;
    }
    expect(after / n).toBeLessThan(0.2 * (before / n));
  });

  it('leaves unwraps that agree, or that see nothing in common, where they are', () => {
    const A = 64;
    const ref = textured(A);
    const same = displacement(ref, textured(A), A);
    expect(same.dx.every((v) => v === 0) && same.dy.every((v) => v === 0)).toBe(true);
    const blind = { color: textured(A, 1, 1).color, weight: new Float32Array(A * A) };
    const none = displacement(ref, blind, A);
    expect(none.matched).toBe(0);
    expect(applyDisplacement(blind, A, none.dx, none.dy).color).toEqual(blind.color);
  });

  it('registers onto one unwrap (kept as it is) or onto their mean (all move)', () => {
    const A = 96;
    const a = textured(A), b = textured(A, 2, 0), c = textured(A, -2, 0);
    const onto0 = registerUnwraps([a, b, c], 0, A);
    expect(onto0[0]).toBe(a);
    const err = (u: Unwrap, v: Unwrap) => { let e = 0; for (let y = 20; y < A - 20; y++) for (let x = 20; x < A - 20; x++) e += Math.abs(u.color[(y * A + x) * 3]! - v.color[(y * A + x) * 3]!); return e; };
    expect(err(onto0[1]!, a)).toBeLessThan(0.2 * err(b, a));
    expect(err(onto0[2]!, a)).toBeLessThan(0.2 * err(c, a));
    const mean = registerUnwraps([a, b, c], null, A);
    expect(mean.every((u, i) => u !== [a, b, c][i])).toBe(true);
    expect(() => registerUnwraps([a, b], 2, A)).toThrow(RangeError);
  });
});
