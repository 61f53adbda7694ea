import { describe, expect, it } from 'vitest';
import { planFrames, PlanError } from './selection.ts';

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
    expect(() => planFrames(faces(20, (i) => i < 10), 1, 40)).toThrow(PlanError);
    expect(() => planFrames(faces(20, (i) => i < 10), 1, 40)).toThrow(/first 20 %.*10 of 20 frames have a face/);
  });
});
