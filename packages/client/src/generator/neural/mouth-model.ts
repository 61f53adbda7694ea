/**
 * The mouth refiner in tfjs (models/neural/mouth.py is the reference; EXPORT.md "Mouth refiner"
 * the format): a person-agnostic U-Net that corrects the warp render inside the mouth patch
 * (mouth-patch.ts), driven by the lip contours.
 *
 *   patch = clamp(warp + window · mask · Δ),  Δ = tanh(·) ∈ [-1, 1], mask = sigmoid(·)
 *
 * or, for weights trained with a low-pass (`lowpass` σ in the topology), patch = clamp(warp + window ·
 * G_σ ∗ (mask · Δ)): the correction blurred by a Gaussian of σ patch pixels (reflect padding), so it
 * recolours and reshades the warp's mouth without taking its detail away.
 *
 * Layers: conv3×3 + leaky ReLU (0.2) pairs; encoder enc0 (S), enc1..3 (stride 2, 'same' padding
 * as PyTorch's padding 1: output ⌈S/2⌉); decoder dec2..0: nearest upsampling to the skip's size,
 * concatenation [upsampled, skip], two convs; out: conv3×3 → 4 channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadWeightsManifest, type DecodedWeights } from './weights.ts';
import { DEFAULT_MOUTH_WEIGHTS_URL, EYE_REGIONS, MOUTH_REGION, compositeMouthPatch, lipImage, mouthPatchFrame, sampleMouthPatch, type PatchRegion } from './mouth-patch.ts';
import type { RgbaImage } from '../image.ts';
import { GaussianBlur, MAX_LOWPASS_SIGMA, isLowpassSigma } from './lowpass.ts';

export const MOUTH_WEIGHTS_FORMAT = 'visage-mouth-weights';
export { DEFAULT_MOUTH_WEIGHTS_URL };

export interface MouthTopology {
  layout: 'NHWC';
  /** Patch side S. */
  size: number;
  /** Encoder widths (4). */
  channels: number[];
  /** Patch geometry it was trained with (mouth-patch.ts). */
  span: number;
  drop: number;
  /** The fixed fade of the correction: raised cosine over this fraction of the patch at each border. */
  windowEdge: number;
  /** σ (patch pixels) of the Gaussian the correction is low-passed by; absent: none. */
  lowpass?: number;
  trainedSteps?: number;
}


export type MouthWeights = DecodedWeights<MouthTopology>;

/** Validates a refiner's topology against the window it will be run on (the mouth's, or the eyes' for eye weights). */
export function validateMouthTopology(t: unknown, region: PatchRegion = MOUTH_REGION): MouthTopology {
  const o = t as Partial<MouthTopology> | null;
  if (!o || typeof o !== 'object') throw new TypeError('mouth weights: modelTopology missing');
  if (o.layout !== 'NHWC') throw new TypeError(`mouth weights: layout ${String(o.layout)} is not NHWC`);
  if (!Number.isInteger(o.size) || (o.size as number) < 16) throw new TypeError('mouth weights: size must be an integer ≥ 16');
  if (!Array.isArray(o.channels) || o.channels.length !== 4 || !o.channels.every((c) => Number.isInteger(c) && c > 0)) throw new TypeError('mouth weights: channels must be 4 positive integers');
  for (const k of ['span', 'drop', 'windowEdge'] as const) if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw new TypeError(`mouth weights: ${k} missing`);
  if (!(o.windowEdge! > 0 && o.windowEdge! <= 0.5)) throw new TypeError('mouth weights: windowEdge must be in (0, 0.5]');
  if (o.lowpass !== undefined && !(isLowpassSigma(o.lowpass) && Math.ceil(3 * o.lowpass) < o.size!)) {
    throw new TypeError(`mouth weights: lowpass must be a σ in (0, ${MAX_LOWPASS_SIGMA}] smaller than a third of the patch, got ${String(o.lowpass)}`);
  }
  if (Math.abs(o.span! - region.span) > 1e-6 || Math.abs(o.drop! - region.drop) > 1e-6) {
    throw new TypeError(`${region.name} weights: trained on a patch of span ${o.span}, drop ${o.drop}; this client cuts span ${region.span}, drop ${region.drop}`);
  }
  return o as MouthTopology;
}

export function loadMouthWeights(source: string | tf.io.IOHandler, requestInit?: RequestInit): Promise<MouthWeights> {
  return loadWeightsManifest(source, MOUTH_WEIGHTS_FORMAT, (t) => validateMouthTopology(t, MOUTH_REGION), requestInit);
}

/** The eye refiner: the same network and format, trained on the eyes' windows (EYE_REGIONS). */
export function loadEyeWeights(source: string | tf.io.IOHandler, requestInit?: RequestInit): Promise<MouthWeights> {
  return loadWeightsManifest(source, MOUTH_WEIGHTS_FORMAT, (t) => validateMouthTopology(t, EYE_REGIONS[0]!), requestInit);
}

/** The S×S fade (row-major): raised cosine from 0 at the border to 1 at `edge`·S inside; as mouth.py's window(). */
export function mouthWindow(size: number, edge: number): Float32Array {
  const w1 = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c = (i + 0.5) / size;
    const d = Math.min(c, 1 - c) / edge;
    w1[i] = d >= 1 ? 1 : 0.5 - 0.5 * Math.cos(Math.PI * Math.max(0, d));
  }
  const w = new Float32Array(size * size);
  for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) w[j * size + i] = w1[j]! * w1[i]!;
  return w;
}

const ENCODER = ['enc0', 'enc1', 'enc2', 'enc3'] as const;
const DECODER = ['dec2', 'dec1', 'dec0'] as const;

export class MouthModel {
  readonly size: number;
  private readonly window: tf.Tensor4D;
  /** The correction's low-pass, when the weights have one. */
  private readonly lowpass: GaussianBlur | null;

  constructor(readonly weights: MouthWeights) {
    const t = weights.topology;
    this.size = t.size;
    for (const b of [...ENCODER, ...DECODER]) for (const i of [0, 1]) for (const k of ['kernel', 'bias']) this.tensor(`M/${b}.${i}/${k}`);
    this.tensor('M/out/kernel');
    this.window = tf.tensor4d(mouthWindow(t.size, t.windowEdge), [1, t.size, t.size, 1]);
    this.lowpass = t.lowpass !== undefined ? new GaussianBlur(t.lowpass, 3) : null;
  }

  private tensor(name: string): tf.Tensor {
    const x = this.weights.tensors[name];
    if (!x) throw new TypeError(`mouth weights: tensor ${name} missing`);
    return x;
  }

  /** conv3×3 + bias (+ LeakyReLU 0.2) as one fused op: half the kernel launches of conv, add, leakyRelu. */
  private conv(x: tf.Tensor4D, name: string, stride: 1 | 2 = 1, activate = true): tf.Tensor4D {
    const filter = this.tensor(`${name}/kernel`) as tf.Tensor4D, bias = this.tensor(`${name}/bias`);
    // PyTorch's padding 1: 'same' at stride 1; at stride 2 a 1-pixel pad on every side and a valid
    // convolution give its ⌈S/2⌉ outputs at windows 2i−1..2i+1 (tfjs 'same' would pad 0 before, 1 after).
    const input = stride === 1 ? x : tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    return tf.fused.conv2d({ x: input, filter, strides: stride, pad: stride === 1 ? 'same' : 'valid', bias, ...(activate ? { activation: 'leakyrelu' as const, leakyreluAlpha: 0.2 } : {}) });
  }

  private block(x: tf.Tensor4D, name: string, stride: 1 | 2): tf.Tensor4D {
    return this.conv(this.conv(x, `M/${name}.0`, stride), `M/${name}.1`);
  }

  /**
   * warp (B,S,S,3) in [-1, 1] and lips (B,S,S,2) in [0, 1] → Δ (B,S,S,3) in [-1, 1] and the
   * correction's weight `alpha` = window · mask (B,S,S,1) in [0, 1]; the refined patch is
   * clamp(warp + alpha · Δ). With a low-pass, Δ = G_σ ∗ (mask · tanh) and alpha = window.
   */
  run(warp: tf.Tensor4D, lips: tf.Tensor4D): { delta: tf.Tensor4D; alpha: tf.Tensor4D } {
    return tf.tidy(() => {
      const skips: tf.Tensor4D[] = [];
      let x = tf.concat([warp, lips], 3) as tf.Tensor4D;
      ENCODER.forEach((b, i) => {
        x = this.block(x, b, i === 0 ? 1 : 2);
        skips.push(x);
      });
      DECODER.forEach((b, i) => {
        const skip = skips[skips.length - 2 - i]!;
        const up = tf.image.resizeNearestNeighbor(x, [skip.shape[1], skip.shape[2]]);
        x = this.block(tf.concat([up, skip], 3) as tf.Tensor4D, b, 1);
      });
      const y = this.conv(x, 'M/out', 1, false);
      const [b, s] = [y.shape[0], y.shape[1]];
      const delta = tf.tanh(tf.slice(y, [0, 0, 0, 0], [b, s, s, 3])) as tf.Tensor4D;
      const mask = tf.sigmoid(tf.slice(y, [0, 0, 0, 3], [b, s, s, 1])) as tf.Tensor4D;
      if (this.lowpass) return { delta: this.lowpass.apply(tf.mul(mask, delta) as tf.Tensor4D), alpha: tf.tile(this.window, [b, 1, 1, 1]) as tf.Tensor4D };
      return { delta, alpha: tf.mul(mask, this.window) as tf.Tensor4D };
    });
  }

  dispose(): void {
    this.window.dispose();
    this.lowpass?.dispose();
  }
}

/**
 * The run-time stage: cuts the mouth patch (or each eye's, with `regions` EYE_REGIONS) out of a
 * rendered frame (the warp render, or the face refiner's composite over it), runs the network and
 * pastes the correction back, in place.
 */
export class MouthRefiner {
  private readonly patch: Float32Array;
  private readonly lips: Float32Array;

  constructor(readonly model: MouthModel, readonly regions: readonly PatchRegion[] = [MOUTH_REGION]) {
    const s = model.size, n = regions.length;
    this.patch = new Float32Array(n * s * s * 3);
    this.lips = new Float32Array(n * s * s * 2);
  }

  /**
   * Refines the mouth (or eyes) of `frame` (RGBA) for normalised `landmarks`, all windows in one
   * batch (they do not overlap); a window under 2 px wide is left alone.
   */
  async apply(frame: { width: number; height: number; data: Uint8ClampedArray | Uint8Array }, landmarks: Float32Array): Promise<void> {
    const s = this.model.size, { width, height } = frame, px = s * s;
    const cut: { region: PatchRegion; f: ReturnType<typeof mouthPatchFrame> }[] = [];
    for (const region of this.regions) {
      const f = mouthPatchFrame(landmarks, width, height, region);
      if (!(f.len >= 2)) continue;
      const k = cut.length;
      sampleMouthPatch(frame as RgbaImage, f, s, this.patch.subarray(k * px * 3, (k + 1) * px * 3), region);
      lipImage(landmarks, width, height, f, s, this.lips.subarray(k * px * 2, (k + 1) * px * 2), region);
      cut.push({ region, f });
    }
    const n = cut.length;
    if (n === 0) return;
    const patch = this.patch.subarray(0, n * px * 3), lips = this.lips.subarray(0, n * px * 2), model = this.model;
    for (let i = 0; i < patch.length; i++) patch[i] = patch[i]! / 127.5 - 1;
    const out = tf.tidy(() => {
      const { delta, alpha } = model.run(tf.tensor4d(patch, [n, s, s, 3]), tf.tensor4d(lips, [n, s, s, 2]));
      return tf.concat([tf.mul(delta, 127.5), alpha], 3);
    });
    let corr: Float32Array;
    try { corr = (await out.data()) as Float32Array; } finally { out.dispose(); }
    cut.forEach(({ region, f }, k) => compositeMouthPatch(frame, f, s, corr.subarray(k * px * 4, (k + 1) * px * 4), region));
  }
}
