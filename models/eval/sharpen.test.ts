import { describe, expect, it } from 'vitest';
import { innerFaceMask, maskedDetail, parsePostFilter, parsePostSharpen, postFilter, postSharpen, type PostFilter } from './sharpen.ts';
import { parseEvalArgs } from './args.ts';

const W = 64;
function image(f: (x: number, y: number) => number): Uint8Array {
  const d = new Uint8Array(W * W * 4);
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) { const v = f(x, y); d.set([v, v, v, 255], (y * W + x) * 4); }
  return d;
}
/** A face-ish set of 478 landmarks: all on a circle of radius 0.3 about the centre (the oval indices land on it). */
const ring = Float32Array.from({ length: 478 * 3 }, (_, i) => {
  const q = Math.floor(i / 3), a = (q / 478) * 2 * Math.PI;
  return i % 3 === 0 ? 0.5 + 0.3 * Math.cos(a) : i % 3 === 1 ? 0.5 + 0.3 * Math.sin(a) : 0;
});

describe('eval --post-sharpen', () => {
  it('leaves flat regions alone and steepens an edge (overshoot on both sides)', () => {
    const flat = image(() => 120);
    const f0 = flat.slice();
    postSharpen(flat, W, W, { amount: 1, sigma: 1, inner: null }, null);
    expect(flat).toEqual(f0);
    const edge = image((x) => (x < 32 ? 80 : 160));
    postSharpen(edge, W, W, { amount: 1, sigma: 1, inner: null }, null);
    const px = (x: number) => edge[(10 * W + x) * 4]!;
    expect(px(31)).toBeLessThan(80);
    expect(px(32)).toBeGreaterThan(160);
    expect(px(5)).toBe(80);
    expect(px(60)).toBe(160);
  });
  it('amount 0 is the identity', () => {
    const img = image((x, y) => (x * 7 + y * 13) % 256), copy = img.slice();
    postSharpen(img, W, W, { amount: 0, sigma: 1.5, inner: null }, null);
    expect(img).toEqual(copy);
  });
  it('with inner, changes only pixels inside the shrunk face oval, and nothing without landmarks', () => {
    const img = image((x, y) => ((x >> 2) + (y >> 2)) % 2 ? 200 : 50), copy = img.slice();
    postSharpen(img, W, W, { amount: 1, sigma: 1, inner: 0.5 }, ring);
    let changedInside = 0;
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 4, r = Math.hypot((x + 0.5) / W - 0.5, (y + 0.5) / W - 0.5);
        if (img[o] !== copy[o]) {
          expect(r).toBeLessThan(0.15 + 1.5 / W);
          changedInside++;
        }
      }
    }
    expect(changedInside).toBeGreaterThan(100);
    const again = copy.slice();
    postSharpen(again, W, W, { amount: 1, sigma: 1, inner: 0.5 }, null);
    expect(again).toEqual(copy);
    expect(() => postSharpen(new Uint8Array(10), W, W, { amount: 1, sigma: 1, inner: null }, null)).toThrow(TypeError);
  });
  it('parses A[,SIGMA[,INNER]] and refuses the rest', () => {
    expect(parsePostSharpen('0.5')).toEqual({ amount: 0.5, sigma: 1, inner: null });
    expect(parsePostSharpen('0.25,1.5,0.85')).toEqual({ amount: 0.25, sigma: 1.5, inner: 0.85 });
    for (const bad of ['', 'x', '0.5,', '-1', '5', '0.5,0.1', '0.5,1,0', '0.5,1,1.2', '1,1,1,1']) expect(typeof parsePostSharpen(bad)).toBe('string');
    expect(parseEvalArgs(['clip.mp4', '--post-sharpen', '0.5,1,0.85'], ['warp'])!.postSharpen).toEqual({ amount: 0.5, sigma: 1, inner: 0.85 });
    expect(() => parseEvalArgs(['clip.mp4', '--post-sharpen', 'lots'], ['warp'])).toThrow(/--post-sharpen: expected/);
  });
});

describe('eval per-frame detail inside the face', () => {
  it('is 0 on a flat face, grows with contrast and with sharpening, and is null without pixels', () => {
    const inner = innerFaceMask(ring, W, W, 0.85);
    expect(inner.reduce((n, v) => n + v, 0)).toBeGreaterThan(300);
    const at = (im: Uint8Array) => maskedDetail({ width: W, height: W, data: im }, inner)!;
    expect(at(image(() => 90))).toBe(0);
    const low = image((x, y) => ((x >> 1) + (y >> 1)) % 2 ? 120 : 100), high = image((x, y) => ((x >> 1) + (y >> 1)) % 2 ? 200 : 20);
    expect(at(high)).toBeCloseTo(at(low) * 9, 6);
    const before = high.slice();
    postSharpen(high, W, W, { amount: 1, sigma: 1, inner: null }, null);
    expect(at(high)).toBeGreaterThan(at(before));
    expect(maskedDetail({ width: W, height: W, data: before }, new Uint8Array(W * W))).toBeNull();
  });
});

describe('eval --post-filter', () => {
  const zero = (k: number) => Array.from({ length: k * k }, () => [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  it('applies the residual filter inside the inner face only: a zero filter is the identity, a centre tap scales', () => {
    const img = image((x, y) => (x * 3 + y * 5) % 200), copy = img.slice();
    postFilter(img, W, W, { size: 3, kernel: zero(3), bias: [0, 0, 0] }, 0.85, ring);
    expect(img).toEqual(copy);
    const k = zero(3);
    k[4] = [[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]]; // the centre tap: out = 1.5 · in, per channel
    const f: PostFilter = { size: 3, kernel: k, bias: [0, 0, 0] };
    postFilter(img, W, W, f, 0.5, ring);
    const inner = innerFaceMask(ring, W, W, 0.5);
    for (let p = 0; p < W * W; p++) expect(img[p * 4]).toBe(inner[p] ? Math.min(255, Math.round(copy[p * 4]! * 1.5)) : copy[p * 4]);
    const again = copy.slice();
    postFilter(again, W, W, f, 0.5, null);
    expect(again).toEqual(copy);
  });
  it('reads restore.py JSON and refuses malformed filters', () => {
    expect(parsePostFilter({ kernel_size: 3, kernel: zero(3), bias: [0, 0, 0.1] })).toEqual({ size: 3, kernel: zero(3), bias: [0, 0, 0.1] });
    expect(parsePostFilter({ kernel_size: 4, kernel: zero(4), bias: [0, 0, 0] })).toMatch(/odd/);
    expect(parsePostFilter({ kernel_size: 3, kernel: zero(5), bias: [0, 0, 0] })).toMatch(/9 × 3 × 3/);
    expect(parsePostFilter({ kernel_size: 3, kernel: zero(3), bias: [0, 0] })).toMatch(/bias/);
    expect(parsePostFilter(null)).toMatch(/kernel_size/);
    expect(() => parseEvalArgs(['clip.mp4', '--post-filter', '/nonexistent.json'], ['warp'])).toThrow(/--post-filter \/nonexistent.json: ENOENT/);
  });
});
