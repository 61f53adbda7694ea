/**
 * Browser page for the neural generator benchmark (bench-neural.ts): runs NeuralGenerator and
 * the bare G on each tfjs backend, weights from /models/neural/, wasm binaries from /tfjs-wasm/
 * (our own server, never a CDN).
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeEmbedding, embeddingHash, encodeEmbedding, type AvatarEmbedding } from '@visage/protocol';
import { withNeuralEnrollment, type NeuralEnrollmentOptions } from '../../src/sender/enroll.ts';
import { NeuralGenerator } from '../../src/generator/neural/neural-generator.ts';
import { NeuralModel, conv2dTunable } from '../../src/generator/neural/model.ts';
import { normReluWebGpu, webGpuNormAvailable } from '../../src/generator/neural/webgpu-norm.ts';
import { loadNeuralWeights } from '../../src/generator/neural/weights.ts';
import { softwareGpu, useTfBackend, type TfBackendName } from '../../src/generator/neural/tf-backend.ts';
import { readNeuralSections } from '../../src/generator/neural/sections.ts';
import { fineTuneNeural, type FineTuneOptions, type FineTuneReport } from '../../src/generator/neural/fine-tune.ts';
import { FaceFeatureNet, identityDistance } from '../../src/generator/neural/face-features.ts';
import { usPerTinyOp } from '../lib/timing.ts';

export interface WireEmbedding extends Omit<AvatarEmbedding, 'sections'> {
  sections: { type: number; mandatory: boolean; b64: string }[];
}

export interface NeuralRunResult {
  backend: TfBackendName;
  /** Full render (crop, landmark image, G, readback, paste) at the weights' size. */
  renderMs: number;
  /** Bare G at `gSize`×`gSize` input (same weights; the network is fully convolutional), with readback. */
  gMs: number | null;
  gSize: number;
  /** Whether the generator ran the bi-layer path (warp inside + refiner composite). */
  refining: boolean;
  /** G tensors the embedding's GeneratorWeights section replaced (0: the shared G). */
  tunedTensors: number;
  /** The mouth refiner ran on every frame. */
  refiningMouth: boolean;
  /** Whether the eye refiner ran. */
  refiningEyes: boolean;
  /** Tensor count change across the timed renders (must be 0). */
  leakedTensors: number;
  /** Output RGBA of the first render, base64. */
  pixels: string;
}

const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toB64 = (u: Uint8ClampedArray): string => { let s = ''; for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000)); return btoa(s); };
const fromWire = (w: WireEmbedding): AvatarEmbedding => ({ ...w, sections: w.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, bytes: b64(s.b64) })) });
const toWire = (e: AvatarEmbedding): WireEmbedding => ({ ...e, sections: e.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, b64: toB64(new Uint8ClampedArray(s.bytes)) })) });
const WEIGHTS_URL = '/models/neural/model.json';
const WASM_PATH = '/tfjs-wasm/';
const FACE_FEATURES_URL = '/models/face-recognition/model.json';
const MOUTH_WEIGHTS_URL = '/models/mouth/model.json';
const EYE_WEIGHTS_URL = '/models/eyes/model.json';

/** Person-specific fine-tuning of ψ in the page (photos as base64 RGBA + their landmarks). */
async function fineTune(backend: TfBackendName, wire: WireEmbedding, photos: { width: number; height: number; rgba: string; landmarks: number[] }[], options: Omit<FineTuneOptions, 'weights' | 'weightsUrl' | 'backend' | 'wasmPath' | 'signal' | 'onProgress'>): Promise<{ wire: WireEmbedding; report: FineTuneReport; losses: number[]; leakedTensors: number }> {
  const embedding = fromWire(wire);
  await useTfBackend(backend, { wasmPath: WASM_PATH });
  const weights = await loadNeuralWeights(WEIGHTS_URL);
  const before = tf.memory().numTensors;
  const losses: number[] = [];
  try {
    const r = await fineTuneNeural(embedding, photos.map((p) => ({ image: { width: p.width, height: p.height, data: new Uint8ClampedArray(b64(p.rgba)) }, landmarks: Float32Array.from(p.landmarks) })), {
      weights, backend, faceFeaturesUrl: FACE_FEATURES_URL, ...options, onProgress: (p) => losses.push(p.loss),
    });
    const leakedTensors = tf.memory().numTensors - before;
    return { wire: toWire(r.embedding), report: r.report, losses, leakedTensors };
  } finally {
    weights.dispose();
  }
}

/** Deterministic test values: bias + scale · sin(seed · 12.9898 + i · 78.233), n of them. */
function sinNoise(n: number, seed: number, scale: number, bias = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => bias + Math.sin(seed * 12.9898 + i * 78.233) * scale);
}

/**
 * conv2dTunable's gradients (input and kernel) on `backend` against tfjs-cpu's own conv2d
 * gradients (which has Conv2DBackpropFilter), for a random 3×3 and 1×1 case: max |Δ|.
 */
async function tunableGradCheck(backend: TfBackendName): Promise<{ dx: number; dw: number; y: number; leakedTensors: number }> {
  const cases = [[2, 9, 7, 5, 4, 3], [1, 6, 6, 8, 3, 1]] as const;
  const worst = { dx: 0, dw: 0, y: 0 };
  let leaked = 0;
  for (const [b, h, w, cin, cout, k] of cases) {
    const data = { x: sinNoise(b * h * w * cin, 1, 0.5), w: sinNoise(k * k * cin * cout, 2, 0.5), r: sinNoise(b * h * w * cout, 3, 0.5) };
    const grads = async (name: TfBackendName, tunable: boolean) => {
      await useTfBackend(name, { wasmPath: WASM_PATH });
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(data.x, [b, h, w, cin]), f = tf.tensor4d(data.w, [k, k, cin, cout]), r = tf.tensor4d(data.r, [b, h, w, cout]);
      const conv = (xi: tf.Tensor4D, fi: tf.Tensor4D) => (tunable ? conv2dTunable(xi, fi) : tf.conv2d(xi, fi, 1, 'same'));
      const g = tf.grads((xi: tf.Tensor, fi: tf.Tensor) => tf.sum(tf.mul(conv(xi as tf.Tensor4D, fi as tf.Tensor4D), r)));
      const [dx, dw] = g([x, f]);
      const y = conv(x, f);
      const out = { dx: (await dx!.data()) as Float32Array, dw: (await dw!.data()) as Float32Array, y: (await y.data()) as Float32Array };
      tf.dispose([x, f, r, dx!, dw!, y]);
      leaked += tf.memory().numTensors - before;
      return out;
    };
    const ref = await grads('cpu', false), got = await grads(backend, true);
    for (const key of ['dx', 'dw', 'y'] as const) {
      for (let i = 0; i < ref[key].length; i++) worst[key] = Math.max(worst[key], Math.abs(ref[key][i]! - got[key][i]!));
    }
  }
  return { ...worst, leakedTensors: leaked };
}

/**
 * The one-dispatch WebGPU norm (webgpu-norm.ts) against the same step in tfjs ops on tfjs-cpu:
 * ReLU(scale · IN(x) + shift) with the AdaIN layout (both read from one ψ-like vector at offsets,
 * scale + 1) and the affine one (γ, β); one case per workgroup size (≤ and > 64×64 pixels).
 * Max |Δ| and the output's mean, so that a kernel writing zeros cannot pass.
 */
async function normCheck(): Promise<{ maxDiff: number; meanOut: number; cases: number; leakedTensors: number }> {
  const cases = [[5, 7, 12], [72, 70, 6]] as const;
  let maxDiff = 0, meanOut = 0, leaked = 0;
  for (const [h, w, c] of cases) {
    const data = { x: sinNoise(h * w * c, 1, 3, 0.7), psi: sinNoise(5 + 2 * c + 3, 2, 0.8), gamma: sinNoise(c, 3, 1, 1), beta: sinNoise(c, 4, 0.5) };
    const run = async (name: TfBackendName) => {
      await useTfBackend(name, { wasmPath: WASM_PATH });
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(data.x, [1, h, w, c]), psi = tf.tensor2d(data.psi, [1, data.psi.length]);
      const gamma = tf.tensor1d(data.gamma), beta = tf.tensor1d(data.beta);
      const composed = (scale: tf.Tensor, shift: tf.Tensor) => tf.tidy(() => {
        const { mean, variance } = tf.moments(x, [1, 2], true);
        return tf.relu(tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), scale), shift));
      });
      let outs: tf.Tensor[];
      if (name === 'webgpu') {
        if (!webGpuNormAvailable()) throw new Error('the WebGPU norm is not available on the webgpu backend');
        outs = [normReluWebGpu(x, psi, 5, 1, psi, 5 + c, 1e-5), normReluWebGpu(x, gamma, 0, 0, beta, 0, 1e-5)];
      } else {
        outs = tf.tidy(() => [composed(tf.add(tf.slice(psi, [0, 5], [1, c]), 1), tf.slice(psi, [0, 5 + c], [1, c])), composed(gamma, beta)]);
      }
      const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([x, psi, gamma, beta, ...outs]);
      leaked += tf.memory().numTensors - before;
      return values;
    };
    const ref = await run('cpu'), got = await run('webgpu');
    for (let k = 0; k < ref.length; k++) {
      let sum = 0;
      for (let i = 0; i < ref[k]!.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(ref[k]![i]! - got[k]![i]!)); sum += got[k]![i]!; }
      meanOut = Math.max(meanOut, sum / ref[k]!.length);
    }
  }
  return { maxDiff, meanOut, cases: cases.length * 2, leakedTensors: leaked };
}

/** What this page's GPUs are (software or not) and which backend tfjs 'auto' picks with wasm served. */
async function autoBackend(): Promise<{ softwareWebgpu: string | null; softwareWebgl: string | null; auto: TfBackendName }> {
  return { softwareWebgpu: await softwareGpu('webgpu'), softwareWebgl: await softwareGpu('webgl'), auto: await useTfBackend('auto', { wasmPath: WASM_PATH }) };
}

/**
 * The identity term's network on `backend` against tfjs-cpu: the identity distance between two
 * 64×64 images and its gradient with respect to the first (what fine-tuning back-propagates):
 * max |Δ| of the gradient relative to its largest entry, and |Δ| of the distance.
 */
async function identityGradCheck(backend: TfBackendName): Promise<{ distance: number; distanceDiff: number; gradRelDiff: number; gradMax: number; leakedTensors: number }> {
  const s = 64;
  const img = (seed: number) => Float32Array.from({ length: s * s * 3 }, (_, i) => Math.sin(seed * 12.9898 + i * 0.0137) * 0.8);
  const a = img(1), b = img(2);
  let leaked = 0;
  const run = async (name: TfBackendName) => {
    await useTfBackend(name, { wasmPath: WASM_PATH });
    const net = await FaceFeatureNet.load(FACE_FEATURES_URL);
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(a, [1, s, s, 3]), y = tf.tensor4d(b, [1, s, s, 3]);
    const target = net.describe(y);
    const { value, grad } = tf.valueAndGrad((xi: tf.Tensor) => identityDistance(net.describe(xi as tf.Tensor4D), target))(x);
    const out = { d: (await value.data())[0]!, g: (await grad.data()) as Float32Array };
    tf.dispose([x, y, target, value, grad]);
    leaked += tf.memory().numTensors - before;
    net.dispose();
    return out;
  };
  const ref = await run('cpu'), got = await run(backend);
  let gradMax = 0, diff = 0;
  for (let i = 0; i < ref.g.length; i++) {
    gradMax = Math.max(gradMax, Math.abs(ref.g[i]!));
    diff = Math.max(diff, Math.abs(ref.g[i]! - got.g[i]!));
  }
  return { distance: ref.d, distanceDiff: Math.abs(ref.d - got.d), gradRelDiff: diff / gradMax, gradMax, leakedTensors: leaked };
}

/** The SDK's neural enrollment (sender/enroll.ts withNeuralEnrollment) on an enrollment built in Node. */
async function neuralEnrollment(wire: WireEmbedding, photos: { width: number; height: number; rgba: string; landmarks: number[] }[], options: Omit<NeuralEnrollmentOptions, 'weightsUrl' | 'wasmPath' | 'signal' | 'onProgress'>): Promise<{ sections: number[]; bytesB64: string; hash: string; rehash: string; fineTune: FineTuneReport | null; tunedLayersDropped: boolean; leakedTensors: number }> {
  const embedding = fromWire(wire);
  const images = photos.map((p) => ({ width: p.width, height: p.height, data: new Uint8ClampedArray(b64(p.rgba)) }));
  const landmarks = photos.map((p) => Float32Array.from(p.landmarks));
  const bytes = encodeEmbedding(embedding);
  await useTfBackend(options.backend && options.backend !== 'auto' ? options.backend : 'wasm', { wasmPath: WASM_PATH });
  const before = tf.memory().numTensors;
  const r = await withNeuralEnrollment({ embedding, bytes, hash: embeddingHash(bytes), landmarks, images }, { ...options, weightsUrl: WEIGHTS_URL, wasmPath: WASM_PATH });
  return {
    sections: decodeEmbedding(r.enrollment.bytes).sections.map((s) => s.type),
    bytesB64: toB64(new Uint8ClampedArray(r.enrollment.bytes)),
    hash: r.enrollment.hash,
    rehash: embeddingHash(r.enrollment.bytes),
    fineTune: r.fineTune,
    tunedLayersDropped: r.tunedLayersDropped,
    leakedTensors: tf.memory().numTensors - before,
  };
}

const api = {
  fineTune,
  neuralEnrollment,
  tunableGradCheck,
  normCheck,
  autoBackend,
  async tinyOpUs(backend: TfBackendName): Promise<number> {
    await useTfBackend(backend, { wasmPath: WASM_PATH });
    return usPerTinyOp(tf);
  },
  identityGradCheck,
  /** `eyes`: the eye refiner from /models/eyes/ (true), none (false), or the generator's default ('default'). */
  async run(backend: TfBackendName, wire: WireEmbedding, landmarks: number[], width: number, height: number, n: number, gSize: number, gN: number, mouth = false, faceRefiner = true, eyes: boolean | 'default' = false): Promise<NeuralRunResult> {
    const embedding = fromWire(wire);
    const lm = Float32Array.from(landmarks);
    await useTfBackend(backend, { wasmPath: WASM_PATH });
    const g = new NeuralGenerator({ backend, weightsUrl: WEIGHTS_URL, wasmPath: WASM_PATH, cropSmoothing: 0, mouthWeightsUrl: mouth ? MOUTH_WEIGHTS_URL : null, faceRefiner, ...(eyes === 'default' ? {} : { eyeWeightsUrl: eyes ? EYE_WEIGHTS_URL : null }) });
    await g.init(embedding);
    const target = { width, height, data: new Uint8ClampedArray(width * height * 4) };
    await g.render(lm, target);
    const pixels = toB64(target.data);
    const refining = g.refining, tunedTensors = g.tunedTensors, refiningMouth = g.refiningMouth, refiningEyes = g.refiningEyes;
    const before = tf.memory().numTensors;
    await g.render(lm, target);
    let t = performance.now();
    for (let i = 0; i < n; i++) await g.render(lm, target);
    const renderMs = (performance.now() - t) / n;
    const leakedTensors = tf.memory().numTensors - before;
    g.dispose();
    let gMs: number | null = null;
    if (gN > 0) {
      const weights = await loadNeuralWeights(WEIGHTS_URL);
      const model = new NeuralModel(weights);
      const psiV = readNeuralSections(embedding).psi!;
      const psi = tf.tensor2d(psiV, [1, psiV.length]);
      const x = tf.randomUniform([1, gSize, gSize, 3], -1, 1) as tf.Tensor4D;
      const warp = tf.zeros([1, gSize, gSize, model.topology.net.warp_ch]) as tf.Tensor4D;
      const once = async (): Promise<void> => { const o = model.generate(x, psi, warp); await o.rgb.data(); tf.dispose([o.rgb, o.mask]); };
      await once();
      t = performance.now();
      for (let i = 0; i < gN; i++) await once();
      gMs = (performance.now() - t) / gN;
      tf.dispose([psi, x, warp]);
      weights.dispose();
    }
    return { backend, renderMs, gMs, gSize, refining, tunedTensors, refiningMouth, refiningEyes, leakedTensors, pixels };
  },
};
export type NeuralPageApi = typeof api;
(globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural = api;
document.title = 'ready';
