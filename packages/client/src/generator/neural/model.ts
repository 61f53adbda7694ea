/**
 * The exported networks in tfjs, op for op after models/neural/reference_nhwc.py (EXPORT.md):
 * embedder E (enrollment) and AdaIN generator G (per frame). All tensors NHWC float32.
 * Every public method is tidy: it returns only the tensors it documents.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AdainSlot, NeuralTopology, NeuralWeights } from './weights.ts';

/** (A type alias, not an interface, so it is a tf.TensorContainer for tf.tidy.) */
export type GeneratorOutput = {
  /** (B, S, S, 3) in [-1, 1]. */
  rgb: tf.Tensor4D;
  /** (B, S, S, 1) in [0, 1]: the blend / correction mask (× the warp's coverage for `net.mask_face` weights). */
  mask: tf.Tensor4D;
};

export type EmbedderOutput = {
  /** (1, emb_dim): E's output averaged over the K images. */
  embedding: tf.Tensor2D;
  /** (1, psiDim): AdaIN parameters projected from the embedding. */
  psi: tf.Tensor2D;
};

export class NeuralModel {
  readonly topology: NeuralTopology;
  private readonly w: Readonly<Record<string, tf.Tensor>>;
  private readonly slots: Map<string, AdainSlot>;

  /**
   * @param differentiable build graphs that can be differentiated with respect to inputs and ψ
   *   on every backend (unfused convolutions; see conv()) — for fine-tuning, not rendering.
   */
  constructor(weights: NeuralWeights, private readonly differentiable = false) {
    this.topology = weights.topology;
    this.w = weights.tensors;
    this.slots = new Map(weights.topology.adainSlots.map((s) => [s.name, s]));
    for (const n of ['G/stem/kernel', 'G/out/kernel', 'G/proj/kernel', 'E/enc.stem/kernel']) this.tensor(n);
  }

  get imageSize(): number {
    return this.topology.imageSize;
  }

  /** Whether E's weights were exported (enrollment possible). */
  get hasEmbedder(): boolean {
    return 'E/enc.stem/kernel' in this.w;
  }

  /**
   * E over K (frame, landmark image) pairs, each (K, S, S, 3) in [-1, 1]; returns the averaged
   * embedding and ψ (one person).
   */
  embed(frames: tf.Tensor4D, landmarkImages: tf.Tensor4D): EmbedderOutput {
    return tf.tidy(() => {
      let x = this.conv(tf.concat([frames, landmarkImages], 3), 'E/enc.stem', 2);
      for (let i = 0; i < this.topology.net.e_ch.length - 1; i++) {
        const n = `E/enc.blocks.${i}`;
        let h = this.conv(tf.relu(x), `${n}.c1`, 2);
        h = this.conv(tf.relu(h), `${n}.c2`, 1);
        x = tf.add(h, this.conv(this.pool(x), `${n}.skip`, 1));
      }
      const v = tf.mean(tf.relu(x), [1, 2]); // (K, emb)
      const embedding = tf.mean(v, 0, true) as tf.Tensor2D; // (1, emb)
      return { embedding, psi: this.project(embedding) };
    });
  }

  /** ψ = ê · P + b for (B, emb_dim) embeddings. */
  project(embedding: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(embedding, this.tensor('G/proj/kernel') as tf.Tensor2D), this.tensor('G/proj/bias')));
  }

  /** G: landmark image (B,S,S,3) in [-1,1], ψ (B, psiDim), warp channels (B,S,S,4) → rgb, mask. */
  generate(landmarkImage: tf.Tensor4D, psi: tf.Tensor2D, warp: tf.Tensor4D): GeneratorOutput {
    return tf.tidy(() => {
      const net = this.topology.net;
      let x = this.conv(tf.concat([landmarkImage, warp], 3), 'G/stem', 2);
      for (let i = 0; i < net.g_down.length; i++) {
        const n = `G/down.${i}`;
        let h = this.conv(tf.relu(this.affineIn(x, `${n}.n1`)), `${n}.c1`, 2);
        h = this.conv(tf.relu(this.affineIn(h, `${n}.n2`)), `${n}.c2`, 1);
        x = tf.add(h, this.conv(this.pool(x), `${n}.skip`, 1));
      }
      for (let i = 0; i < net.g_res; i++) {
        const n = `G/res.${i}`;
        const h = this.conv(tf.relu(this.adain(x, psi, `${n}.n1`)), `${n}.c1`, 1);
        x = tf.add(x, this.conv(tf.relu(this.adain(h, psi, `${n}.n2`)), `${n}.c2`, 1));
      }
      for (let i = 0; i < net.g_up.length; i++) {
        const n = `G/up.${i}`;
        let h = this.conv(this.up(tf.relu(this.adain(x, psi, `${n}.n1`))), `${n}.c1`, 1);
        h = this.conv(tf.relu(this.adain(h, psi, `${n}.n2`)), `${n}.c2`, 1);
        x = tf.add(h, this.up(this.conv(x, `${n}.skip`, 1)));
      }
      const y = this.conv(this.up(tf.relu(this.adain(x, psi, 'G/out_norm'))), 'G/out', 1);
      const [b, s] = [y.shape[0], y.shape[1]];
      const rgb = tf.tanh(tf.slice(y, [0, 0, 0, 0], [b, s, s, 3]));
      let mask = tf.sigmoid(tf.slice(y, [0, 0, 0, 3], [b, s, s, 1])) as tf.Tensor4D;
      // Face-masked refiner: corrections only where the warp draws the face (its coverage mask).
      if (net.mask_face) mask = tf.mul(mask, tf.slice(warp, [0, 0, 0, 3], [b, s, s, 1]));
      return { rgb, mask };
    });
  }

  private tensor(name: string): tf.Tensor {
    const t = this.w[name];
    if (!t) throw new TypeError(`neural weights: tensor '${name}' missing`);
    return t;
  }

  /** k×k conv, zero padding k//2 on every side (symmetric — not 'same', see EXPORT.md), + bias. */
  private conv(x: tf.Tensor4D, name: string, stride: 1 | 2): tf.Tensor4D {
    const filter = this.tensor(`${name}/kernel`) as tf.Tensor4D;
    const p = filter.shape[0] >> 1;
    const pad = p === 0 ? 'valid' as const : [[0, 0], [p, p], [p, p], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
    // Unfused when differentiating: the fused op's gradient always computes the filter's too
    // (Conv2DBackpropFilter, which e.g. the wasm backend lacks); the weights are constants here.
    if (this.differentiable) return tf.add(tf.conv2d(x, filter, stride, pad), this.tensor(`${name}/bias`));
    return tf.fused.conv2d({ x, filter, strides: stride, pad, bias: this.tensor(`${name}/bias`) });
  }

  /** Instance norm over H, W with biased variance. */
  private inorm(x: tf.Tensor4D): tf.Tensor4D {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.topology.instanceNormEpsilon)));
  }

  private affineIn(x: tf.Tensor4D, name: string): tf.Tensor4D {
    return tf.add(tf.mul(this.inorm(x), this.tensor(`${name}/gamma`)), this.tensor(`${name}/beta`));
  }

  /** (1 + γ) · IN(x) + β with γ, β sliced from ψ at the slot's offset. */
  private adain(x: tf.Tensor4D, psi: tf.Tensor2D, name: string): tf.Tensor4D {
    const slot = this.slots.get(name);
    if (!slot) throw new TypeError(`neural weights: AdaIN slot '${name}' missing`);
    const b = psi.shape[0];
    const c = slot.channels;
    const gamma = tf.reshape(tf.slice(psi, [0, slot.offset], [b, c]), [b, 1, 1, c]);
    const beta = tf.reshape(tf.slice(psi, [0, slot.offset + c], [b, c]), [b, 1, 1, c]);
    return tf.add(tf.mul(tf.add(gamma, 1), this.inorm(x)), beta);
  }

  private pool(x: tf.Tensor4D): tf.Tensor4D {
    return tf.avgPool(x, 2, 2, 'valid');
  }

  private up(x: tf.Tensor4D): tf.Tensor4D {
    return tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2], false, false);
  }
}
