/**
 * The refiners' low-pass (lowpass.ts): the taps and the separable blur with reflect padding, against
 * a direct computation of models/neural/mouth.py's gaussian_blur() definition.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { useTfBackend } from './tf-backend.ts';
import { GaussianBlur, MAX_LOWPASS_SIGMA, gaussianTaps } from './lowpass.ts';

beforeAll(async () => {
  await useTfBackend('cpu');
});

describe('gaussianTaps', () => {
  it('has 2·⌈3σ⌉ + 1 symmetric taps summing to 1, as mouth.py gaussian_blur', () => {
    for (const [sigma, n] of [[1, 7], [1.5, 11], [2, 13], [0.2, 3]] as const) {
      const k = gaussianTaps(sigma);
      expect(k.length).toBe(n);
      expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      for (let i = 0; i < n; i++) expect(k[i]).toBeCloseTo(k[n - 1 - i]!, 7);
      const r = (n - 1) / 2;
      expect(k[r + 1]! / k[r]!).toBeCloseTo(Math.exp(-0.5 / (sigma * sigma)), 5);
    }
  });
});

describe('GaussianBlur', () => {
  /** The blur by definition: reflect-pad (edge not repeated), convolve along x, then along y. */
  function reference(img: Float32Array, h: number, w: number, c: number, sigma: number): Float32Array {
    const k = gaussianTaps(sigma), r = (k.length - 1) / 2;
    const refl = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
    const tmp = new Float32Array(img.length), out = new Float32Array(img.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
      let a = 0;
      for (let t = -r; t <= r; t++) a += k[t + r]! * img[(y * w + refl(x + t, w)) * c + ch]!;
      tmp[(y * w + x) * c + ch] = a;
    }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) {
      let a = 0;
      for (let t = -r; t <= r; t++) a += k[t + r]! * tmp[(refl(y + t, h) * w + x) * c + ch]!;
      out[(y * w + x) * c + ch] = a;
    }
    return out;
  }

  it('equals the definition (reflect padding at the borders), keeps constants and frees what it made', async () => {
    const h = 9, w = 14, c = 3;
    const img = new Float32Array(h * w * c).map((_, i) => Math.sin(i * 12.9898) * 0.5);
    const before = tf.memory().numTensors;
    for (const sigma of [1, 2]) {
      const blur = new GaussianBlur(sigma, c);
      const x = tf.tensor4d(img, [1, h, w, c]);
      const y = blur.apply(x);
      const got = await y.data(), want = reference(img, h, w, c, sigma);
      let d = 0;
      for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
      expect(d).toBeLessThan(1e-5);
      const flat = tf.fill([2, h, w, c], 0.3) as tf.Tensor4D;
      const f = blur.apply(flat);
      expect(Math.max(...Array.from(await f.data(), (v) => Math.abs(v - 0.3)))).toBeLessThan(1e-6);
      tf.dispose([x, y, flat, f]);
      blur.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('applyTrainable (dense convolutions, for fine-tuning) equals apply, and its gradient is the blur’s adjoint', async () => {
    const h = 10, w = 12, c = 3;
    const img = new Float32Array(h * w * c).map((_, i) => Math.sin(i * 78.233) * 0.5);
    const wts = new Float32Array(h * w * c).map((_, i) => Math.cos(i * 3.71));
    const before = tf.memory().numTensors;
    const blur = new GaussianBlur(2, c);
    const x = tf.tensor4d(img, [1, h, w, c]), y = tf.tensor4d(wts, [1, h, w, c]);
    const a = blur.apply(x), b = tf.tidy(() => blur.applyTrainable(x)); // first call inside a tidy: its filters survive it
    const [da, db] = [await a.data(), await b.data()];
    expect(Math.max(...Array.from(da, (v, i) => Math.abs(v - db[i]!)))).toBeLessThan(1e-6);
    // f(x) = Σ blur(x)·y is linear, so ∇f · x = f(x) — and ∇f = blurᵀ y, which must not be y or blur(y)
    const f = (t: tf.Tensor4D) => tf.sum(tf.mul(blur.applyTrainable(t), y)) as tf.Scalar;
    const { value, grad } = tf.valueAndGrad(f)(x);
    const dot = tf.tidy(() => tf.sum(tf.mul(grad, x)));
    expect((await dot.data())[0]!).toBeCloseTo((await value.data())[0]!, 4);
    const off = tf.tidy(() => tf.max(tf.abs(tf.sub(grad, y))));
    expect((await off.data())[0]!).toBeGreaterThan(0.1);
    tf.dispose([x, y, a, b, value, grad, dot, off]);
    blur.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a σ outside (0, MAX_LOWPASS_SIGMA]', () => {
    for (const s of [0, -1, MAX_LOWPASS_SIGMA + 0.5, Number.NaN]) expect(() => new GaussianBlur(s, 3)).toThrow(/σ must be in/);
  });
});
