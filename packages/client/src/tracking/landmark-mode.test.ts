import { describe, expect, it } from 'vitest';
import { chooseFace, facePlace } from './landmark-mode.ts';

describe('facePlace', () => {
  it('is the centre and the larger side of the landmarks box', () => {
    // x, y, z triples
    const near = (p: { x: number; y: number; size: number }, x: number, y: number, size: number) => {
      expect(p.x).toBeCloseTo(x, 12);
      expect(p.y).toBeCloseTo(y, 12);
      expect(p.size).toBeCloseTo(size, 12);
    };
    near(facePlace([0.2, 0.3, 9, 0.6, 0.4, -9, 0.4, 0.7, 0]), 0.4, 0.5, 0.4);
    near(facePlace([0.1, 0.1, 0.3, 0.2], 2), 0.2, 0.15, 0.2);
  });
});

describe('chooseFace', () => {
  const left = { x: 0.25, y: 0.5, size: 0.2 };
  const right = { x: 0.75, y: 0.5, size: 0.4 };
  it('takes the largest face when nothing was tracked before', () => {
    expect(chooseFace([left, right], null)).toBe(1);
    expect(chooseFace([right, left], null)).toBe(0);
  });
  it('keeps following the face it tracked, even when a larger one appears', () => {
    expect(chooseFace([right, left], { x: 0.27, y: 0.52, size: 0.2 })).toBe(1);
    expect(chooseFace([left, right], { x: 0.7, y: 0.45, size: 0.4 })).toBe(1);
  });
  it('says -1 when there is no face', () => {
    expect(chooseFace([], null)).toBe(-1);
    expect(chooseFace([], left)).toBe(-1);
  });
});
