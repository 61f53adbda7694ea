import { describe, expect, it } from 'vitest';
import { JitterBuffer } from './jitterBuffer.ts';
import { MIN_SMOOTH_FPS, SenderRateMeter, motionLimit } from './senderRate.ts';

/** Feeds `n` packets of a sender at `fps`, numbered from `seq0`, dropping those `drop` picks. */
function feed(m: SenderRateMeter, fps: number, n: number, drop: (i: number) => boolean = () => false, seq0 = 0): void {
  for (let i = 0; i < n; i++) if (!drop(i)) m.add((seq0 + i) % 65536, 1000 + (i * 1000) / fps, true);
}

describe('sender rate and loss from sequence numbers', () => {
  it('measures a slow sender as slow, with no loss', () => {
    const m = new SenderRateMeter();
    feed(m, 8, 40);
    expect(m.stats.senderFps).toBeCloseTo(8, 5);
    expect(m.stats.lossRate).toBe(0);
    expect(motionLimit(m.stats)).toBe('sender');
  });

  it('measures a fast sender behind a lossy link as fast, with the loss', () => {
    const m = new SenderRateMeter();
    // 30 fps, two of every three packets lost: what arrives is 10 a second.
    feed(m, 30, 120, (i) => i % 3 !== 0);
    expect(m.stats.senderFps).toBeCloseTo(30, 5);
    expect(m.stats.lossRate!).toBeGreaterThan(0.6);
    expect(m.stats.lossRate!).toBeLessThan(0.7);
    expect(motionLimit(m.stats)).toBe('network');
  });

  it('finds nothing wrong with a smooth sender on a good link, or a little loss', () => {
    const m = new SenderRateMeter();
    feed(m, 30, 100, (i) => i % 10 === 5);
    expect(m.stats.senderFps).toBeCloseTo(30, 5);
    expect(m.stats.lossRate!).toBeCloseTo(0.1, 1);
    expect(motionLimit(m.stats)).toBeNull();
  });

  it('follows the numbering across its wrap, and ignores duplicates and reordering', () => {
    const m = new SenderRateMeter();
    feed(m, 25, 60, () => false, 65520);
    m.add(65530, 1000 + 10 * 40, true); // a duplicate
    m.add(5, 1000 + 21 * 40, true); // an old one, late
    expect(m.stats.senderFps).toBeCloseTo(25, 5);
    expect(m.stats.lossRate).toBe(0);
  });

  it('does not count the face-lost words sent every 250 ms as the frame rate', () => {
    const m = new SenderRateMeter();
    for (let i = 0; i < 20; i++) m.add(i, 1000 + i * 250, false);
    expect(m.stats.senderFps).toBeNull();
    expect(motionLimit(m.stats)).toBeNull();
  });

  it('starts over when the numbering jumps (a restarted sender)', () => {
    const m = new SenderRateMeter();
    feed(m, 8, 40);
    feed(m, 30, 30, () => false, 30000);
    expect(m.stats.senderFps).toBeCloseTo(30, 5);
    expect(m.stats.lossRate).toBe(0);
  });

  it('knows nothing before enough has come, and rejects bad numbers', () => {
    const m = new SenderRateMeter();
    feed(m, 30, 3);
    expect(m.stats).toEqual({ senderFps: null, lossRate: null });
    expect(motionLimit(m.stats)).toBeNull();
    expect(() => m.add(65536, 0, true)).toThrow(RangeError);
    expect(() => m.add(1.5, 0, true)).toThrow(RangeError);
    expect(MIN_SMOOTH_FPS).toBe(12);
  });

  it("reaches the jitter buffer's stats through the frames' seq", () => {
    const jb = new JitterBuffer();
    const lm = new Float32Array(478 * 3);
    for (let i = 0; i < 60; i++) if (i % 2 === 0) jb.push({ t: i * 50, landmarks: lm, blendshapes: null, seq: i }, i * 50 + 30);
    expect(jb.stats.senderFps).toBeCloseTo(20, 5);
    expect(jb.stats.lossRate!).toBeCloseTo(0.5, 1);
    const plain = new JitterBuffer();
    for (let i = 0; i < 20; i++) plain.push({ t: i * 50, landmarks: lm, blendshapes: null }, i * 50 + 30);
    expect(plain.stats).toMatchObject({ senderFps: null, lossRate: null });
    jb.reset();
    expect(jb.stats).toMatchObject({ senderFps: null, lossRate: null });
  });
});
