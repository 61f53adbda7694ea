import { describe, expect, it } from 'vitest';
import { bestSimilarity, similarity } from './similarity.ts';

describe('similarity (cosine)', () => {
  it('is 1 for the same direction, -1 for opposite, 0 for orthogonal', () => {
    expect(similarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(similarity([1, 2, 3], [-1, -2, -3])).toBeCloseTo(-1, 12);
    expect(similarity([1, 0], [0, 5])).toBe(0);
  });
  it('matches a hand-computed value and is symmetric', () => {
    const a = Float32Array.from([0.5, -1, 2]), b = Float32Array.from([1, 1, 1]);
    // (0.5 - 1 + 2) / (sqrt(5.25) · sqrt(3))
    expect(similarity(a, b)).toBeCloseTo(1.5 / Math.sqrt(5.25 * 3), 6);
    expect(similarity(b, a)).toBe(similarity(a, b));
  });
  it('does not depend on scale', () => {
    expect(similarity([3, 1, -2], [1, 0, 1])).toBeCloseTo(similarity([30, 10, -20], [0.1, 0, 0.1]), 12);
  });
  it('rejects mismatched, empty and zero vectors', () => {
    expect(() => similarity([1, 2], [1, 2, 3])).toThrow(TypeError);
    expect(() => similarity([], [])).toThrow(TypeError);
    expect(() => similarity([0, 0], [1, 0])).toThrow(/all zeros/);
  });
  it('bestSimilarity takes the closest enrolled descriptor', () => {
    expect(bestSimilarity([1, 0], [[0, 1], [1, 0.1], [-1, 0]])).toBeCloseTo(similarity([1, 0], [1, 0.1]), 12);
    expect(bestSimilarity([1, 0], [])).toBe(-1);
  });
});
