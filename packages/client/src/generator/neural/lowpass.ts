/**
 * A separable Gaussian over NHWC tensors with reflect padding, as models/neural/mouth.py's
 * gaussian_blur(): the low-pass of a refiner's correction (the bi-layer split — the network's low
 * frequencies over the warp's detail).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The largest σ accepted (its kernel, 2·⌈3σ⌉ + 1 taps, must fit the image's reflect padding). */
export const MAX_LOWPASS_SIGMA = 4;

/** Whether `sigma` is a σ this low-pass accepts: a number in (0, MAX_LOWPASS_SIGMA]. */
export function isLowpassSigma(sigma: unknown): sigma is number {
  return typeof sigma === 'number' && sigma > 0 && sigma <= MAX_LOWPASS_SIGMA;
}

/** The normalised taps of a Gaussian of `sigma`, radius ⌈3σ⌉; as mouth.py's gaussian_blur(). */
export function gaussianTaps(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-0.5 * (i / sigma) ** 2);
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/**
 * tf.mirrorPad(…, 'reflect') along one axis, from slices, reverses and a concat: tfjs's MirrorPad
 * gradient only slices the middle out of dy and drops what flowed into the reflected border.
 */
function reflectPad(x: tf.Tensor4D, axis: 1 | 2, r: number): tf.Tensor4D {
  const n = x.shape[axis];
  const part = (from: number, size: number): tf.Tensor4D => {
    const begin = [0, 0, 0, 0], shape = [...x.shape];
    begin[axis] = from;
    shape[axis] = size;
    return tf.reverse(tf.slice(x, begin, shape), axis);
  };
  return tf.concat([part(1, r), x, part(n - 1 - r, r)], axis);
}

/** Owns its two depthwise filters (1×n and n×1 over `channels`); dispose() frees them. */
export class GaussianBlur {
  readonly radius: number;
  private readonly row: tf.Tensor4D;
  private readonly col: tf.Tensor4D;
  private dense: { row: tf.Tensor4D; col: tf.Tensor4D } | null = null;

  constructor(readonly sigma: number, readonly channels: number) {
    if (!isLowpassSigma(sigma)) throw new TypeError(`low-pass σ must be in (0, ${MAX_LOWPASS_SIGMA}], got ${String(sigma)}`);
    const k = gaussianTaps(sigma), n = k.length;
    const taps = new Float32Array(n * channels);
    for (let i = 0; i < n; i++) taps.fill(k[i]!, channels * i, channels * (i + 1));
    this.radius = (n - 1) / 2;
    this.row = tf.tensor4d(taps, [1, n, channels, 1]);
    this.col = tf.tensor4d(taps, [n, 1, channels, 1]);
  }

  /** x (B,H,W,channels), H and W > radius → the same shape, blurred along x then y. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    const r = this.radius;
    return tf.tidy(() => {
      const h = tf.depthwiseConv2d(tf.mirrorPad(x, [[0, 0], [0, 0], [r, r], [0, 0]], 'reflect'), this.row, 1, 'valid');
      return tf.depthwiseConv2d(tf.mirrorPad(h, [[0, 0], [r, r], [0, 0], [0, 0]], 'reflect'), this.col, 1, 'valid');
    });
  }

  /**
   * The same blur as apply(), written so that its gradient is right on every backend: dense
   * convolutions (a channel-diagonal kernel; wasm has no input gradient for depthwise ones) and
   * reflectPad instead of tf.mirrorPad. For fine-tuning.
   */
  applyTrainable(x: tf.Tensor4D): tf.Tensor4D {
    const r = this.radius;
    if (!this.dense) {
      const c = this.channels, k = gaussianTaps(this.sigma), n = k.length;
      const taps = new Float32Array(n * c * c);
      for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) taps[(i * c + j) * c + j] = k[i]!;
      // kept: the first call may come inside a caller's tf.tidy, which must not free them
      this.dense = { row: tf.keep(tf.tensor4d(taps, [1, n, c, c])), col: tf.keep(tf.tensor4d(taps, [n, 1, c, c])) };
    }
    const { row, col } = this.dense;
    return tf.tidy(() => {
      const h = tf.conv2d(reflectPad(x, 2, r), row, 1, 'valid');
      return tf.conv2d(reflectPad(h, 1, r), col, 1, 'valid');
    });
  }

  dispose(): void {
    tf.dispose([this.row, this.col, ...(this.dense ? [this.dense.row, this.dense.col] : [])]);
    this.dense = null;
  }
}
