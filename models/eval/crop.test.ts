import { describe, expect, it } from 'vitest';
import { clipCropBox, identityCrop, landmarkBox, toCropLandmarks } from './crop.ts';

/** 478 landmarks filling a box [x0, x1] × [y0, y1] (normalised), with the eye corners level. */
function face(x0: number, y0: number, x1: number, y1: number): Float32Array {
  const lm = new Float32Array(478 * 3);
  for (let i = 0; i < 478; i++) {
    lm[i * 3] = x0 + ((i % 22) / 21) * (x1 - x0);
    lm[i * 3 + 1] = y0 + (Math.floor(i / 22) / 21) * (y1 - y0);
  }
  const ey = y0 + 0.4 * (y1 - y0);
  lm.set([x0 + 0.2 * (x1 - x0), ey, 0], 33 * 3);
  lm.set([x0 + 0.8 * (x1 - x0), ey, 0], 263 * 3);
  return lm;
}

describe('clipCropBox', () => {
  it('centres a square of scale × the face extent on the face', () => {
    const box = clipCropBox([face(0.4, 0.4, 0.6, 0.6)], 1000, 1000, 1.8);
    expect(box).toEqual({ x: 320, y: 320, side: 360 });
  });
  it('stays inside a portrait frame', () => {
    const box = clipCropBox([face(0.1, 0.05, 0.9, 0.4)], 720, 1280, 1.8);
    expect(box.side).toBeLessThanOrEqual(720);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.side).toBeLessThanOrEqual(720);
    expect(box.y + box.side).toBeLessThanOrEqual(1280);
  });
  it('ignores frames without a face and refuses a clip without any', () => {
    expect(clipCropBox([null, face(0.4, 0.4, 0.6, 0.6), null], 1000, 1000, 1.8)).toEqual({ x: 320, y: 320, side: 360 });
    expect(() => clipCropBox([null, null], 100, 100)).toThrow(/no frame has a face/);
  });
});

describe('toCropLandmarks', () => {
  it('maps the crop box to [0, 1] and scales z with x', () => {
    const lm = face(0.4, 0.4, 0.6, 0.6);
    lm[2] = 0.05;
    const out = toCropLandmarks(lm, { x: 320, y: 320, side: 360 }, 1000, 1000);
    const b = landmarkBox(out, 360, 360);
    expect(b.x0).toBeCloseTo(80, 3);
    expect(b.x1).toBeCloseTo(280, 3);
    expect(out[2]).toBeCloseTo(0.05 * 1000 / 360, 6);
  });
});

describe('identityCrop', () => {
  it('samples the face region at the model size; an upright constant image stays constant', () => {
    const img = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).fill(200) };
    const crop = identityCrop(img, face(0.3, 0.3, 0.7, 0.7), 32);
    expect(crop).toHaveLength(32 * 32 * 3);
    expect(Math.min(...crop)).toBeCloseTo(200, 3);
    expect(Math.max(...crop)).toBeCloseTo(200, 3);
  });
  it('is black outside the image', () => {
    const img = { width: 64, height: 64, data: new Uint8ClampedArray(64 * 64 * 4).fill(200) };
    const crop = identityCrop(img, face(0.8, 0.8, 1.2, 1.2), 16);
    expect(crop[(15 * 16 + 15) * 3]).toBe(0);
  });
});
