import { describe, expect, it } from 'vitest';
import { cosine, l1, landmarkDistancePx, maskedL1, partDistancePx, meanOf, psnr, PSNR_CAP_DB, shapeDistancePx, ssim, ssimReference, type Rgba } from './metrics.ts';

function pattern(w: number, h: number, f: (x: number, y: number) => number): Rgba {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = f(x, y);
    data.set([v, v, 255 - v, 255], (y * w + x) * 4);
  }
  return { width: w, height: h, data };
}

// Deterministic texture: smooth gradient plus a hash so SSIM sees structure.
const tex = (x: number, y: number) => (Math.round(128 + 60 * Math.sin(x / 5) * Math.cos(y / 7)) + ((x * 31 + y * 17) % 23)) & 255;

describe('pixel metrics', () => {
  const a = pattern(64, 48, tex);
  it('identical images: L1 0, PSNR at the cap, SSIM 1', () => {
    expect(l1(a, a)).toBe(0);
    expect(psnr(a, a)).toBe(PSNR_CAP_DB);
    expect(ssim(a, a)).toBeCloseTo(1, 6);
  });
  it('a constant offset gives the known L1 and PSNR', () => {
    const flat = pattern(32, 32, () => 100);
    const plus10 = pattern(32, 32, () => 110);
    expect(l1(flat, plus10)).toBeCloseTo(10 / 255, 9);
    expect(psnr(flat, plus10)).toBeCloseTo(10 * Math.log10((255 * 255) / 100), 9);
  });
  it('masked L1 counts only the masked pixels, and is null for an empty mask', () => {
    const a = { width: 4, height: 2, data: new Uint8ClampedArray(32) }, b = { width: 4, height: 2, data: new Uint8ClampedArray(32).fill(255) };
    const mask = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(maskedL1(a, b, mask)).toBe(1);
    b.data.fill(0, 0, 4);
    expect(maskedL1(a, b, mask)).toBe(0);
    expect(maskedL1(a, b, Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0]))).toBe(0.5);
    expect(maskedL1(a, b, new Uint8Array(8))).toBeNull();
    expect(() => maskedL1(a, b, new Uint8Array(7))).toThrow(/mask length/);
  });

  it('a one-pixel shift lowers SSIM and PSNR, more for a larger shift', () => {
    const smooth = (x: number, y: number) => Math.round(128 + 100 * Math.sin(x / 6) * Math.cos(y / 9));
    const a = pattern(64, 48, smooth);
    const s1 = pattern(64, 48, (x, y) => smooth(x + 1, y));
    const s3 = pattern(64, 48, (x, y) => smooth(x + 3, y));
    expect(ssim(a, s1)).toBeLessThan(1);
    expect(ssim(a, s3)).toBeLessThan(ssim(a, s1));
    expect(psnr(a, s3)).toBeLessThan(psnr(a, s1));
    expect(ssim(a, s1)).toBeCloseTo(ssim(s1, a), 9);
  });
  it('SSIM of an image and its negative is negative', () => {
    const neg = { ...a, data: a.data.map((v, i) => (i % 4 === 3 ? v : 255 - v)) };
    expect(ssim(a, neg)).toBeLessThan(0);
  });
  it('rejects mismatched sizes and tiny images', () => {
    expect(() => l1(a, pattern(10, 10, tex))).toThrow(TypeError);
    expect(() => ssim(pattern(8, 8, tex), pattern(8, 8, tex))).toThrow(/at least 11/);
  });
});

describe('landmark and embedding metrics', () => {
  it('landmark distance is the mean 2-D offset in pixels at the crop size', () => {
    const a = new Float32Array(478 * 3);
    const b = a.map((v, i) => (i % 3 === 0 ? v + 0.01 : i % 3 === 2 ? v + 5 : v));
    expect(landmarkDistancePx(a, b, 256)).toBeCloseTo(2.56, 4);
    expect(landmarkDistancePx(a, null, 256)).toBeNull();
  });
  it('part distance averages over the part\'s landmarks only, and checks its indices', () => {
    const a = new Float32Array(478 * 3);
    const b = a.slice();
    b[13 * 3 + 1] = 0.03; // landmark 13 moved 0.03 down, 14 and the rest stay
    expect(partDistancePx(a, b, 100, [13, 14])).toBeCloseTo(1.5, 5);
    expect(partDistancePx(a, b, 100, [14, 0])).toBe(0);
    expect(landmarkDistancePx(a, b, 100)).toBeCloseTo(3 / 478, 5);
    expect(partDistancePx(null, b, 100, [13])).toBeNull();
    expect(() => partDistancePx(a, b, 100, [])).toThrow(RangeError);
    expect(() => partDistancePx(a, b, 100, [478])).toThrow(/outside 0…477/);
  });
  it('shape distance ignores a shift of the whole face and keeps what moves within it', () => {
    const a = new Float32Array(478 * 3).map((_, i) => ((i * 37) % 101) / 101);
    const shifted = a.map((v, i) => (i % 3 === 0 ? v + 0.02 : i % 3 === 1 ? v - 0.01 : v));
    expect(landmarkDistancePx(a, shifted, 100)).toBeCloseTo(Math.hypot(2, 1), 4);
    expect(shapeDistancePx(a, shifted, 100)).toBeCloseTo(0, 4);
    // one landmark moved 0.478 right, then the whole face shifted back by its mean (0.001):
    // 477 landmarks 0.1 px off, the moved one 47.7 px
    const moved = shifted.slice();
    moved[13 * 3] = moved[13 * 3]! + 0.478;
    expect(shapeDistancePx(a, moved, 100)).toBeCloseTo((477 * 0.1 + 47.7) / 478, 4);
    expect(shapeDistancePx(a, null, 100)).toBeNull();
    expect(() => shapeDistancePx(a, new Float32Array(3), 100)).toThrow(TypeError);
  });
  it('cosine: 1 for the same direction, 0 orthogonal, null for zero vectors', () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([0, 0], [1, 1])).toBeNull();
  });
  it('meanOf ignores nulls and NaN', () => {
    expect(meanOf([1, null, 3, Number.NaN])).toBe(2);
    expect(meanOf([null])).toBeNull();
  });
});

describe('ssim with a prepared reference', () => {
  it('gives exactly the value of ssim(a, b)', () => {
    const img = (seed: number): Rgba => {
      const data = new Uint8Array(32 * 24 * 4);
      let v = seed;
      for (let i = 0; i < data.length; i++) data[i] = (v = (v * 1103515245 + 12345) >>> 0) >>> 24;
      return { width: 32, height: 24, data };
    };
    const a = img(1), b = img(2);
    const ref = ssimReference(a);
    expect(ssim(ref, b)).toBe(ssim(a, b));
    expect(ssim(ref, a)).toBeCloseTo(1, 6);
    expect(() => ssim(ref, { width: 24, height: 32, data: new Uint8Array(24 * 32 * 4) })).toThrow(/sizes differ/);
  });
});
