import { describe, expect, it } from 'vitest';
import { OneEuroFilter, OneEuroVectorFilter, smoothingFactor } from './one-euro.ts';

/** Deterministic pseudo-random noise in [-1, 1]. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

describe('smoothingFactor', () => {
  it('is the exponential low-pass factor 1 / (1 + tau/dt)', () => {
    expect(smoothingFactor(1, 1 / 30)).toBeCloseTo(1 / (1 + 30 / (2 * Math.PI)), 12);
    expect(smoothingFactor(1e9, 1 / 30)).toBeCloseTo(1, 6);
  });
});

describe('OneEuroFilter', () => {
  it('returns the first sample unchanged and holds a constant signal', () => {
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0, dCutoff: 1 });
    expect(f.filter(5, 0)).toBe(5);
    for (let i = 1; i < 10; i++) expect(f.filter(5, i * 33)).toBe(5);
  });

  it('with beta 0 is an exponential moving average at minCutoff', () => {
    const f = new OneEuroFilter({ minCutoff: 2, beta: 0, dCutoff: 1 });
    f.filter(0, 0);
    const a = smoothingFactor(2, 0.04);
    expect(f.filter(1, 40)).toBeCloseTo(a, 12);
    expect(f.filter(1, 80)).toBeCloseTo(a + a * (1 - a), 12);
  });

  it('reduces jitter on a noisy constant by more than 3x', () => {
    const rnd = noise(1);
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0, dCutoff: 1 });
    let rawVar = 0;
    let outVar = 0;
    for (let i = 0; i < 600; i++) {
      const x = rnd();
      const y = f.filter(x, (i * 1000) / 30);
      if (i > 60) {
        rawVar += x * x;
        outVar += y * y;
      }
    }
    expect(Math.sqrt(outVar / rawVar)).toBeLessThan(1 / 3);
  });

  it('lags less on a fast ramp as beta grows', () => {
    const lagAfterRamp = (beta: number) => {
      const f = new OneEuroFilter({ minCutoff: 1, beta, dCutoff: 1 });
      let y = 0;
      for (let i = 0; i <= 30; i++) y = f.filter(i * 10, (i * 1000) / 30); // 300 units/s
      return 300 - y;
    };
    const slow = lagAfterRamp(0);
    const fast = lagAfterRamp(0.1);
    expect(fast).toBeLessThan(slow / 4);
    expect(fast).toBeGreaterThanOrEqual(0);
  });

  it('ignores a repeated timestamp and restarts after reset()', () => {
    const f = new OneEuroFilter();
    f.filter(1, 0);
    const y = f.filter(2, 33);
    expect(f.filter(100, 33)).toBe(y);
    f.reset();
    expect(f.filter(42, 50)).toBe(42);
  });

  it('rejects bad parameters with TypeError', () => {
    expect(() => new OneEuroFilter({ minCutoff: 0, beta: 0, dCutoff: 1 })).toThrow(TypeError);
    expect(() => new OneEuroFilter({ minCutoff: 1, beta: -1, dCutoff: 1 })).toThrow(TypeError);
    expect(() => new OneEuroFilter({ minCutoff: 1, beta: Number.NaN, dCutoff: 1 })).toThrow(TypeError);
  });
});

describe('OneEuroVectorFilter', () => {
  it('matches independent scalar filters element by element', () => {
    const p = { minCutoff: 1.2, beta: 0.3, dCutoff: 1 };
    const v = new OneEuroVectorFilter(3, p);
    const s = [new OneEuroFilter(p), new OneEuroFilter(p), new OneEuroFilter(p)];
    const rnd = noise(7);
    for (let i = 0; i < 50; i++) {
      const t = i * 33.3;
      const x = [rnd() + i * 0.1, rnd() * 5, Math.sin(i / 5)];
      const out = v.filter(x, t, new Float64Array(3));
      for (let k = 0; k < 3; k++) expect(out[k]).toBeCloseTo(s[k]!.filter(x[k]!, t), 10);
    }
  });

  it('with sharedSpeed moves all points with one cutoff (rigid motion stays rigid)', () => {
    const v = new OneEuroVectorFilter(6, { minCutoff: 1, beta: 0.05, dCutoff: 1, sharedSpeed: true, stride: 3 });
    for (let i = 0; i < 20; i++) {
      const dx = i * 4;
      const out = v.filter([dx, 0, 0, 10 + dx, 5, 0], i * 33);
      expect(out[3]! - out[0]!).toBeCloseTo(10, 4);
      expect(out[4]! - out[1]!).toBeCloseTo(5, 4);
    }
  });

  it('filters in place and validates sizes', () => {
    const v = new OneEuroVectorFilter(2);
    const buf = new Float32Array([1, 2]);
    expect(v.filter(buf, 0, buf)).toBe(buf);
    expect(() => v.filter([1], 10)).toThrow(TypeError);
    expect(() => new OneEuroVectorFilter(0)).toThrow(TypeError);
    expect(() => new OneEuroVectorFilter(4, { minCutoff: 1, beta: 0, dCutoff: 1, stride: 3 })).toThrow(TypeError);
  });
});
