import { describe, expect, it } from 'vitest';
import { canonicalize, retarget, Retargeter } from './retarget.ts';
import { loadLandmarks } from '../../test/warp-fixtures.ts';
import { encodePng, decodePng } from './png.ts';

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('retarget', () => {
  const l30 = loadLandmarks(30), l50 = loadLandmarks(50);

  it('canonicalize + absolute retarget of a face onto itself is the identity', () => {
    const { shape } = canonicalize(l30);
    const out = retarget(l30, shape, shape);
    expect(maxDiff(out, l30)).toBeLessThan(1e-4);
  });

  it('anchored motion: the reference frame maps onto the avatar plate, later frames move relative to it', () => {
    const avatar = canonicalize(l30).shape;
    const r = new Retargeter(avatar, l30, 1);
    expect(maxDiff(r.apply(l30), l30)).toBeLessThan(1e-4);
    // Driving with frame 50 after anchoring at 30 reproduces frame 50 (same person, same camera).
    expect(maxDiff(r.apply(l50), l50)).toBeLessThan(1e-3);
  });

  it("keeps the avatar's identity shape and takes the driver's expression", () => {
    const avatar = canonicalize(l30).shape;
    // A "different person": wider-set eyes and a longer face in canonical space.
    const other = avatar.map((v, i) => (i % 3 === 0 ? v * 1.15 : i % 3 === 1 ? v * 0.9 : v));
    const drivingNeutral = other;
    // Driver opens the mouth: lower lip down in canonical units (y up).
    const drivingLocal = other.slice();
    drivingLocal[14 * 3 + 1]! -= 1.0;
    const { pose } = canonicalize(l30);
    const driving = new Float32Array(478 * 3);
    for (let i = 0; i < 478; i++) {
      const x = drivingLocal[i * 3]!, y = drivingLocal[i * 3 + 1]!, z = drivingLocal[i * 3 + 2]!;
      const p = [0, 1, 2].map((r) => pose.s * (pose.R[r * 3]! * x + pose.R[r * 3 + 1]! * y + pose.R[r * 3 + 2]! * z) + pose.t[r]!);
      driving[i * 3] = p[0]!; driving[i * 3 + 1] = -p[1]!; driving[i * 3 + 2] = -p[2]!;
    }
    const out = retarget(driving, drivingNeutral, avatar, { anchor: { drivingRef: driving, avatarRef: l30 } });
    const back = canonicalize(out).shape;
    // Eye distance is the avatar's, not the driver's.
    const eyeDist = (s: Float32Array) => Math.abs(s[33 * 3]! - s[263 * 3]!);
    expect(Math.abs(eyeDist(back) - eyeDist(avatar))).toBeLessThan(0.05 * eyeDist(avatar));
    // Mouth opened by about the driver's amount (scaled by face size).
    const gap = (s: Float32Array) => s[13 * 3 + 1]! - s[14 * 3 + 1]!;
    expect(gap(back) - gap(avatar)).toBeGreaterThan(0.6);
  });

  it('rejects wrong sizes', () => {
    expect(() => retarget(new Float32Array(3), l30, l30)).toThrow(TypeError);
  });
});

describe('png codec', () => {
  it('round-trips RGB and RGBA', async () => {
    for (const alpha of [255, 128]) {
      const img = { width: 7, height: 5, data: new Uint8ClampedArray(7 * 5 * 4).map((_, i) => (i % 4 === 3 ? alpha : (i * 37) % 256)) };
      const back = await decodePng(await encodePng(img));
      expect(back.width).toBe(7);
      expect(Array.from(back.data)).toEqual(Array.from(img.data));
    }
  });
});
