/**
 * Browser page for the neural generator benchmark (bench-neural.ts): runs NeuralGenerator and
 * the bare G on each tfjs backend, weights from /models/neural/, wasm binaries from /tfjs-wasm/
 * (our own server, never a CDN).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AvatarEmbedding } from '@visage/protocol';
import { NeuralGenerator } from '../../src/generator/neural/neural-generator.ts';
import { NeuralModel } from '../../src/generator/neural/model.ts';
import { loadNeuralWeights } from '../../src/generator/neural/weights.ts';
import { useTfBackend, type TfBackendName } from '../../src/generator/neural/tf-backend.ts';
import { readNeuralSections } from '../../src/generator/neural/sections.ts';
import { fineTuneNeural, type FineTuneReport } from '../../src/generator/neural/fine-tune.ts';

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

/** Person-specific fine-tuning of ψ in the page (photos as base64 RGBA + their landmarks). */
async function fineTune(backend: TfBackendName, wire: WireEmbedding, photos: { width: number; height: number; rgba: string; landmarks: number[] }[], options: { maxSteps?: number; maxSeconds?: number; learningRate?: number }): Promise<{ wire: WireEmbedding; report: FineTuneReport; losses: number[]; leakedTensors: number }> {
  const embedding = fromWire(wire);
  await useTfBackend(backend, { wasmPath: WASM_PATH });
  const weights = await loadNeuralWeights(WEIGHTS_URL);
  const before = tf.memory().numTensors;
  const losses: number[] = [];
  try {
    const r = await fineTuneNeural(embedding, photos.map((p) => ({ image: { width: p.width, height: p.height, data: new Uint8ClampedArray(b64(p.rgba)) }, landmarks: Float32Array.from(p.landmarks) })), {
      weights, backend, ...options, onProgress: (p) => losses.push(p.loss),
    });
    const leakedTensors = tf.memory().numTensors - before;
    return { wire: toWire(r.embedding), report: r.report, losses, leakedTensors };
  } finally {
    weights.dispose();
  }
}

const api = {
  fineTune,
  async run(backend: TfBackendName, wire: WireEmbedding, landmarks: number[], width: number, height: number, n: number, gSize: number, gN: number): Promise<NeuralRunResult> {
    const embedding = fromWire(wire);
    const lm = Float32Array.from(landmarks);
    await useTfBackend(backend, { wasmPath: WASM_PATH });
    const g = new NeuralGenerator({ backend, weightsUrl: WEIGHTS_URL, wasmPath: WASM_PATH, cropSmoothing: 0 });
    await g.init(embedding);
    const target = { width, height, data: new Uint8ClampedArray(width * height * 4) };
    await g.render(lm, target);
    const pixels = toB64(target.data);
    const refining = g.refining;
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
    return { backend, renderMs, gMs, gSize, refining, leakedTensors, pixels };
  },
};
export type NeuralPageApi = typeof api;
(globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural = api;
document.title = 'ready';
