/**
 * The exported networks in tfjs, op for op after models/neural/reference_nhwc.py (EXPORT.md):
 * embedder E (enrollment) and AdaIN generator G (per frame). All tensors NHWC float32.
 * Every public method is tidy: it returns only the tensors it documents.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AdainSlot, NeuralTopology, NeuralWeights } from './weights.ts';
import { normReluWebGpu, webGpuNormAvailable } from './webgpu-norm.ts';

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

/**
 * k×k convolution (k odd, zero padding k//2, stride 1) whose gradient every tfjs backend has: the
 * input's through Conv2DBackpropInput (conv2dTranspose), the kernel's as k² small matMuls of
 * shifted input slices with dy — wasm, for one, has no Conv2DBackpropFilter. For fine-tuning.
 */
export function conv2dTunable(x: tf.Tensor4D, filter: tf.Tensor4D, stride: 1 | 2 = 1): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  if (stride !== 1 || kh !== kw || kh % 2 !== 1) throw new TypeError('neural model: only odd square stride-1 kernels can be fine-tuned');
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, 1, 'same'),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const [b, h, w] = [xs.shape[0], xs.shape[1], xs.shape[2]];
        const dy2 = tf.reshape(dy, [b * h * w, cout]);
        const p = kh >> 1;
        const xp = p ? tf.pad(xs, [[0, 0], [p, p], [p, p], [0, 0]]) : xs;
        const taps: tf.Tensor2D[] = [];
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) taps.push(tf.matMul(tf.reshape(tf.slice(xp, [0, i, j, 0], [b, h, w, cin]), [b * h * w, cin]), dy2, true, false));
        }
        return [tf.conv2dTranspose(dy, ws, xs.shape, 1, 'same'), tf.reshape(tf.stack(taps), [kh, kw, cin, cout])];
      },
    };
  });
  return f(x, filter) as tf.Tensor4D;
}

export class NeuralModel {
  readonly topology: NeuralTopology;
  private readonly w: Readonly<Record<string, tf.Tensor>>;
  private readonly slots: Map<string, AdainSlot>;
  private readonly trainable: ReadonlySet<string>;

  /**
   * @param differentiable build graphs that can be differentiated with respect to inputs and ψ
   *   on every backend (unfused convolutions; see conv()) — for fine-tuning, not rendering.
   * @param overrides tensors used instead of the same-named ones in `weights` (not owned): a
   *   person's tuned G layers (sections.ts, GeneratorWeights), or tf.Variables while fine-tuning.
   *   Convolutions whose kernel is overridden are differentiable with respect to it on every
   *   backend when `differentiable` (see conv()).
   */
  constructor(weights: NeuralWeights, private readonly differentiable = false, overrides: Readonly<Record<string, tf.Tensor>> = {}) {
    this.topology = weights.topology;
    for (const [n, t] of Object.entries(overrides)) {
      const base = weights.tensors[n];
      if (!base) throw new TypeError(`neural weights: override '${n}' names no tensor`);
      if (!tf.util.arraysEqual(base.shape, t.shape)) throw new TypeError(`neural weights: override '${n}' has shape [${t.shape.join(', ')}], the weights [${base.shape.join(', ')}]`);
    }
    this.w = { ...weights.tensors, ...overrides };
    this.trainable = new Set(Object.keys(overrides));
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
        let h = this.conv(this.affineInRelu(x, `${n}.n1`), `${n}.c1`, 2);
        h = this.conv(this.affineInRelu(h, `${n}.n2`), `${n}.c2`, 1);
        x = tf.add(h, this.conv(this.pool(x), `${n}.skip`, 1));
      }
      for (let i = 0; i < net.g_res; i++) {
        const n = `G/res.${i}`;
        const h = this.conv(this.adainRelu(x, psi, `${n}.n1`), `${n}.c1`, 1);
        x = tf.add(x, this.conv(this.adainRelu(h, psi, `${n}.n2`), `${n}.c2`, 1));
      }
      for (let i = 0; i < net.g_up.length; i++) {
        const n = `G/up.${i}`;
        let h = this.conv(this.up(this.adainRelu(x, psi, `${n}.n1`)), `${n}.c1`, 1);
        h = this.conv(this.adainRelu(h, psi, `${n}.n2`), `${n}.c2`, 1);
        x = tf.add(h, this.up(this.conv(x, `${n}.skip`, 1)));
      }
      const y = this.conv(this.up(this.adainRelu(x, psi, 'G/out_norm')), 'G/out', 1);
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
    // (Conv2DBackpropFilter, which e.g. the wasm backend lacks). A kernel being fine-tuned gets
    // its gradient from conv2dTunable() instead.
    if (this.differentiable) {
      const y = this.trainable.has(`${name}/kernel`) ? conv2dTunable(x, filter, stride) : tf.conv2d(x, filter, stride, pad);
      return tf.add(y, this.tensor(`${name}/bias`));
    }
    return tf.fused.conv2d({ x, filter, strides: stride, pad, bias: this.tensor(`${name}/bias`) });
  }

  /** Instance norm over H, W with biased variance. */
  private inorm(x: tf.Tensor4D): tf.Tensor4D {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.topology.instanceNormEpsilon)));
  }

  /** ReLU(γ · IN(x) + β), γ and β learned. */
  private affineInRelu(x: tf.Tensor4D, name: string): tf.Tensor4D {
    const gamma = this.tensor(`${name}/gamma`), beta = this.tensor(`${name}/beta`);
    if (this.fusedNorm(x)) return normReluWebGpu(x, gamma, 0, 0, beta, 0, this.topology.instanceNormEpsilon);
    return tf.relu(tf.add(tf.mul(this.inorm(x), gamma), beta)) as tf.Tensor4D;
  }

  /** ReLU((1 + γ) · IN(x) + β), γ and β sliced from ψ at the slot's offset. */
  private adainRelu(x: tf.Tensor4D, psi: tf.Tensor2D, name: string): tf.Tensor4D {
    const slot = this.slots.get(name);
    if (!slot) throw new TypeError(`neural weights: AdaIN slot '${name}' missing`);
    const b = psi.shape[0];
    const c = slot.channels;
    if (c !== x.shape[3]) throw new TypeError(`neural weights: AdaIN slot '${name}' has ${c} channels, its input ${x.shape[3]}`);
    if (this.fusedNorm(x) && b === 1) return normReluWebGpu(x, psi, slot.offset, 1, psi, slot.offset + c, this.topology.instanceNormEpsilon);
    const gamma = tf.reshape(tf.slice(psi, [0, slot.offset], [b, c]), [b, 1, 1, c]);
    const beta = tf.reshape(tf.slice(psi, [0, slot.offset + c], [b, c]), [b, 1, 1, c]);
    return tf.relu(tf.add(tf.mul(tf.add(gamma, 1), this.inorm(x)), beta)) as tf.Tensor4D;
  }

  /** The one-dispatch WebGPU norm (webgpu-norm.ts) for rendering; never while differentiating. */
  private fusedNorm(x: tf.Tensor4D): boolean {
    return !this.differentiable && x.shape[0] === 1 && webGpuNormAvailable();
  }

  private pool(x: tf.Tensor4D): tf.Tensor4D {
    return tf.avgPool(x, 2, 2, 'valid');
  }

  private up(x: tf.Tensor4D): tf.Tensor4D {
    return tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2], false, false);
  }
}
