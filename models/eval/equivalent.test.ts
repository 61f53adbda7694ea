import { describe, expect, it } from 'vitest';
import { equivalentBitrate, savingFactor } from './equivalent.ts';

const curve = [
  { kbps: 10, value: 0.7 },
  { kbps: 20, value: 0.8 },
  { kbps: 40, value: 0.9 },
  { kbps: 80, value: 0.95 },
];

describe('equivalentBitrate', () => {
  it('returns a rung exactly when the score matches it', () => {
    expect(equivalentBitrate(curve, 0.9, 'higher')).toBeCloseTo(40, 9);
  });
  it('interpolates on log-bitrate', () => {
    // Halfway between 0.8 and 0.9 → geometric mean of 20 and 40.
    expect(equivalentBitrate(curve, 0.85, 'higher')).toBeCloseTo(Math.sqrt(20 * 40), 9);
  });
  it("says 'below' when the lowest rung already matches and 'above' when none does", () => {
    expect(equivalentBitrate(curve, 0.5, 'higher')).toBe('below');
    expect(equivalentBitrate(curve, 0.7, 'higher')).toBe('below');
    expect(equivalentBitrate(curve, 0.99, 'higher')).toBe('above');
  });
  it('handles lower-is-better metrics (AKD)', () => {
    const akd = [{ kbps: 10, value: 8 }, { kbps: 100, value: 2 }];
    expect(equivalentBitrate(akd, 5, 'lower')).toBeCloseTo(Math.sqrt(10 * 100), 9);
    expect(equivalentBitrate(akd, 9, 'lower')).toBe('below');
    expect(equivalentBitrate(akd, 1, 'lower')).toBe('above');
  });
  it('takes the first crossing of a non-monotonic curve and sorts by rate', () => {
    const wiggle = [{ kbps: 40, value: 0.8 }, { kbps: 10, value: 0.6 }, { kbps: 20, value: 0.85 }];
    expect(equivalentBitrate(wiggle, 0.8, 'higher')).toBeGreaterThan(10);
    expect(equivalentBitrate(wiggle, 0.8, 'higher')).toBeLessThan(20);
  });
  it('counts a rung without a score as not reaching ours, and returns null without data', () => {
    expect(equivalentBitrate([{ kbps: 10, value: null }, { kbps: 20, value: 0.9 }], 0.95, 'higher')).toBe('above');
    // No face at the floor: AKD missing there, so the codec is not 'below'; the crossing is bounded by the next rung.
    expect(equivalentBitrate([{ kbps: 7, value: null }, { kbps: 60, value: 0.3 }], 0.4, 'lower')).toBe(60);
    expect(equivalentBitrate([{ kbps: 7, value: null }, { kbps: 30, value: 0.5 }, { kbps: 60, value: 0.3 }], 0.4, 'lower')).toBeCloseTo(Math.sqrt(30 * 60), 9);
    expect(equivalentBitrate([{ kbps: 10, value: null }], 0.5, 'higher')).toBeNull();
    expect(equivalentBitrate(curve, null, 'higher')).toBeNull();
  });
});

describe('savingFactor', () => {
  it('divides by our bitrate and passes strings through', () => {
    expect(savingFactor(40, 2)).toBe(20);
    expect(savingFactor('below', 2)).toBe('below');
    expect(savingFactor('above', 2)).toBe('above');
    expect(savingFactor(null, 2)).toBeNull();
  });
});
