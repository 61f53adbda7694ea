import { describe, expect, it } from 'vitest';
import { planFrames, PlanError, subsetPositions } from './selection.ts';

const faces = (n: number, missing: (i: number) => boolean = () => false) => Array.from({ length: n }, (_, i) => !missing(i));

describe('planFrames', () => {
  it('spreads K shots over the first 20 % and scores the rest', () => {
    const p = planFrames(faces(100), 4, 1000);
    expect(p.enrollEnd).toBe(20);
    expect(p.shots).toEqual([2, 7, 12, 17]);
    expect(p.driven).toEqual({ start: 20, end: 100 });
    expect(p.evalIndices).toHaveLength(80);
    expect(p.evalIndices.every((i) => i >= 20)).toBe(true);
  });
  it('subsamples scored frames every Nth', () => {
    const p = planFrames(faces(250), 1, 40);
    expect(p.every).toBe(5);
    expect(p.evalIndices.length).toBeLessThanOrEqual(40);
    expect(p.evalIndices[1]! - p.evalIndices[0]!).toBe(5);
  });
  it('is deterministic per seed and varies with it', () => {
    const a = planFrames(faces(300), 4, 30, 5), b = planFrames(faces(300), 4, 30, 5), c = planFrames(faces(300), 4, 30, 6);
    expect(a).toEqual(b);
    expect([a.shots, a.phase]).not.toEqual([c.shots, c.phase]);
  });
  it('uses fewer shots when the first 20 % has fewer faces', () => {
    const p = planFrames(faces(16), 8, 40);
    expect(p.enrollEnd).toBe(3);
    expect(p.shots).toEqual([0, 1, 2]);
    expect(p.shotsRequested).toBe(8);
  });
  it('only enrolls from frames with a face', () => {
    const p = planFrames(faces(50, (i) => i < 8), 1, 40);
    expect(p.shots[0]).toBeGreaterThanOrEqual(8);
  });
  it('scores only driven frames with a face', () => {
    const p = planFrames(faces(40, (i) => i >= 30), 1, 100);
    expect(p.evalIndices).toEqual(Array.from({ length: 22 }, (_, k) => 8 + k));
    expect(p.driven).toEqual({ start: 8, end: 40 });
  });
  it('explains clips it cannot use', () => {
    expect(() => planFrames(faces(20, (i) => i >= 4), 1, 40)).toThrow(/no face in the driven part/);
    expect(() => planFrames(faces(1), 1, 40)).toThrow(/too short: 1 frame/);
    expect(() => planFrames(faces(20, () => true), 1, 40)).toThrow(/no face found in any of the 20 frames/);
    expect(() => planFrames(faces(20, (i) => i < 19), 1, 40)).toThrow(PlanError);
    expect(() => planFrames(faces(20, (i) => i < 19), 1, 40)).toThrow(/no face in the driven part/);
  });
  it('enrolls from the first 20 % after the face appears when the clip starts without one', () => {
    const p = planFrames(faces(100, (i) => i < 40), 1, 1000);
    expect([p.enrollStart, p.enrollEnd]).toEqual([40, 52]);
    expect(p.shots).toEqual([46]);
    expect(p.driven).toEqual({ start: 52, end: 100 });
    expect(p.evalIndices[0]).toBe(52);
    // A clip with a face in its first 20 % keeps the plain window.
    expect(planFrames(faces(100, (i) => i < 5), 1, 1000)).toMatchObject({ enrollStart: 0, enrollEnd: 20, shots: [12] });
  });
});

describe('subsetPositions', () => {
  it('takes every ⌈n/count⌉-th position, phase 0 for seed 0', () => {
    expect(subsetPositions(30, 10)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(subsetPositions(29, 10)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(subsetPositions(7, 3)).toEqual([0, 3, 6]);
  });
  it('returns everything when the subset would not be smaller', () => {
    expect(subsetPositions(5, 0)).toEqual([0, 1, 2, 3, 4]);
    expect(subsetPositions(5, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(subsetPositions(5, 9)).toEqual([0, 1, 2, 3, 4]);
  });
  it('is a pure function of (n, count, seed), at most count long, inside [0, n)', () => {
    for (const seed of [1, 2, 3, 1234]) {
      const a = subsetPositions(28, 10, seed);
      expect(subsetPositions(28, 10, seed)).toEqual(a);
      expect(a.length).toBeLessThanOrEqual(10);
      expect(a.length).toBeGreaterThanOrEqual(9);
      expect(a.every((k) => k >= 0 && k < 28)).toBe(true);
      expect([...a].sort((x, y) => x - y)).toEqual(a);
    }
  });
});
