/**
 * A pretrained face-recognition network for the fine-tuning's identity term (the paper's
 * VGGFace perceptual term, with the network this project can obtain offline): face-api's
 * FaceRecognitionNet — a ResNet-34-like network trained with dlib's metric-learning recipe,
 * 150×150 RGB → 128-d descriptor. Weights from @vladmandic/face-api 1.7.15 (MIT; uint8-quantised
 * as published), committed under models/weights/face-recognition. It is not the network the
 * benchmark's CSIM uses (Human's faceres), so the identity term does not grade its own exam.
 *
 * Re-implemented on tfjs-core ops (conv2d, max/avg pool, relu, resizeBilinear) so that gradients
 * reach the input image on every backend, wasm included; the weights are constants (only the
 * image is differentiated). Golden fixture: face-features.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';

export const FACE_FEATURES_FORMAT = 'visage-face-recognition';
/** Where an app serves models/weights/face-recognition/ by default. */
export const DEFAULT_FACE_FEATURES_URL = '/models/face-recognition/model.json';

/** The network's input side (other sizes are resized to it). */
export const FACE_FEATURES_INPUT = 150;
const INPUT = FACE_FEATURES_INPUT;
const MEAN_RGB = [122.782, 117.001, 104.298] as const;
const BLOCKS = [
  ['conv32_1', 'same'], ['conv32_2', 'same'], ['conv32_3', 'same'],
  ['conv64_down', 'down'], ['conv64_1', 'same'], ['conv64_2', 'same'], ['conv64_3', 'same'],
  ['conv128_down', 'down'], ['conv128_1', 'same'], ['conv128_2', 'same'],
  ['conv256_down', 'down'], ['conv256_1', 'same'], ['conv256_2', 'same'],
  ['conv256_down_out', 'down'],
] as const;

export class FaceFeatureNet {
  readonly #w: Record<string, tf.Tensor>;
  #disposed = false;

  private constructor(tensors: Record<string, tf.Tensor>) {
    this.#w = tensors;
  }

  /** Loads model.json and its shard through a tf.io handler, or from a URL (`tf.io.http`). */
  static async load(source: string | tf.io.IOHandler = DEFAULT_FACE_FEATURES_URL): Promise<FaceFeatureNet> {
    const handler = typeof source === 'string' ? tf.io.http(source) : source;
    if (!handler.load) throw new TypeError('face-recognition weights: IOHandler has no load()');
    const artifacts = (await handler.load()) as tf.io.ModelArtifacts & { format?: string };
    if (artifacts.format !== FACE_FEATURES_FORMAT) throw new TypeError(`face-recognition weights: format '${String(artifacts.format)}' is not ${FACE_FEATURES_FORMAT}`);
    if (!artifacts.weightSpecs || !artifacts.weightData) throw new TypeError('face-recognition weights: no weights in the manifest');
    const tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
    const net = new FaceFeatureNet(tensors);
    for (const name of ['conv32_down/conv/filters', 'fc', ...BLOCKS.map(([b]) => `${b}/conv2/conv/filters`)]) net.#tensor(name);
    return net;
  }

  /**
   * (B, S, S, 3) RGB face crops in [-1, 1] (any S; resized bilinearly to 150²) → (B, 128)
   * descriptors, differentiable with respect to the images.
   */
  describe(images: tf.Tensor4D): tf.Tensor2D {
    if (this.#disposed) throw new Error('FaceFeatureNet: disposed');
    return tf.tidy(() => {
      let x: tf.Tensor4D = images.shape[1] === INPUT && images.shape[2] === INPUT ? images : tf.image.resizeBilinear(images, [INPUT, INPUT]);
      // [-1, 1] → 0..255, minus the mean colour, / 255 (face-api's normalisation).
      x = tf.div(tf.sub(tf.mul(tf.add(x, 1), 127.5), tf.tensor1d([...MEAN_RGB])), 255);
      x = this.#conv(x, 'conv32_down', 2, 'valid', true);
      x = tf.maxPool(x, 3, 2, 'valid');
      for (const [block, kind] of BLOCKS) x = kind === 'down' ? this.#residualDown(x, block) : this.#residual(x, block);
      return tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, this.#tensor('fc') as tf.Tensor2D);
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose(Object.values(this.#w));
  }

  /** conv → + bias → × scale + shift (dlib's affine layer) → relu (optional). */
  #conv(x: tf.Tensor4D, name: string, stride: 1 | 2, pad: 'same' | 'valid', relu: boolean): tf.Tensor4D {
    let y = tf.add(tf.conv2d(x, this.#tensor(`${name}/conv/filters`) as tf.Tensor4D, stride, pad), this.#tensor(`${name}/conv/bias`));
    y = tf.add(tf.mul(y, this.#tensor(`${name}/scale/weights`)), this.#tensor(`${name}/scale/biases`));
    return (relu ? tf.relu(y) : y) as tf.Tensor4D;
  }

  #residual(x: tf.Tensor4D, block: string): tf.Tensor4D {
    const h = this.#conv(this.#conv(x, `${block}/conv1`, 1, 'same', true), `${block}/conv2`, 1, 'same', false);
    return tf.relu(tf.add(h, x)) as tf.Tensor4D;
  }

  /** Strided block: the shortcut is a 2×2 average pool, zero-padded in channels (and by a row/column where the strided conv is one larger). */
  #residualDown(x: tf.Tensor4D, block: string): tf.Tensor4D {
    let h = this.#conv(this.#conv(x, `${block}/conv1`, 2, 'valid', true), `${block}/conv2`, 1, 'same', false);
    let pooled = tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D;
    if (pooled.shape[1] !== h.shape[1] || pooled.shape[2] !== h.shape[2]) {
      const [b, hh, ww, c] = h.shape;
      h = tf.concat([h, tf.zeros([b, 1, ww, c])], 1);
      h = tf.concat([h, tf.zeros([b, hh + 1, 1, c])], 2);
    }
    if (pooled.shape[3] !== h.shape[3]) pooled = tf.concat([pooled, tf.zeros(pooled.shape)], 3);
    return tf.relu(tf.add(pooled, h)) as tf.Tensor4D;
  }

  #tensor(name: string): tf.Tensor {
    const t = this.#w[name];
    if (!t) throw new TypeError(`face-recognition weights: tensor '${name}' missing`);
    return t;
  }
}

/** 1 − cosine similarity per row of two (B, D) descriptor batches, averaged: the identity distance. */
export function identityDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(a, b), 1);
    const norms = tf.mul(tf.norm(a, 'euclidean', 1), tf.norm(b, 'euclidean', 1));
    return tf.mean(tf.sub(1, tf.div(dot, tf.maximum(norms, 1e-8)))) as tf.Scalar;
  });
}
