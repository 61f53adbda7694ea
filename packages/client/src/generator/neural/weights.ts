/**
 * The exported neural weights (models/neural/EXPORT.md): a tfjs weights manifest with float16
 * shards plus a hand-written topology. Loading goes through a tf.io IOHandler — `tf.io.http`
 * for a URL in the browser, `nodeWeightsHandler` (weights-node.ts) for files in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MAX_LOWPASS_SIGMA, isLowpassSigma } from './lowpass.ts';

export const NEURAL_WEIGHTS_FORMAT = 'visage-neural-weights';
export const NEURAL_WEIGHTS_FORMAT_VERSION = 1;

export interface AdainSlot {
  name: string;
  channels: number;
  offset: number;
}

/** `modelTopology` of model.json. */
export interface NeuralTopology {
  layout: 'NHWC';
  imageSize: number;
  valueRange: [number, number];
  net: {
    emb_dim: number;
    g_stem: number;
    g_down: number[];
    g_res: number;
    g_up: number[];
    e_ch: number[];
    lm_ch: number;
    warp_ch: number;
    /** Bi-layer refiner (absent in older weights): frame = warp·(1−mask) + rgb·mask, G fed the v1 warp render. */
    refine?: boolean;
    /** Refiner whose RGB head is a correction Δ ∈ [-1, 1]: frame = clamp(warp + mask·Δ). */
    residual?: boolean;
    /** Refiner whose mask is multiplied by the warp's face-oval coverage (the 7th input channel). */
    mask_face?: boolean;
    mask_bias?: number;
    /** Residual refiner trained through a low-pass: frame = clamp(warp + G_σ ∗ (mask·Δ)), σ in G pixels. */
    lowpass?: number;
  };
  psiDim: number;
  adainSlots: AdainSlot[];
  instanceNormEpsilon: number;
  trainedSteps?: number;
  trainedSeconds?: number;
  config?: string;
}

/** Decoded weights: topology + named float32 tensors (owned; `dispose()` frees them). */
export type NeuralWeights = DecodedWeights<NeuralTopology>;

/** Checks the topology fields the port relies on; throws TypeError with the first problem. */
export function validateTopology(t: unknown): NeuralTopology {
  const o = t as Partial<NeuralTopology> | null;
  if (!o || typeof o !== 'object') throw new TypeError('neural weights: modelTopology missing');
  if (o.layout !== 'NHWC') throw new TypeError(`neural weights: layout ${String(o.layout)} is not NHWC`);
  if (!Number.isInteger(o.imageSize) || (o.imageSize as number) % 16 !== 0) throw new TypeError('neural weights: imageSize must be a multiple of 16');
  if (!o.net || !Array.isArray(o.net.g_down) || !Array.isArray(o.net.g_up) || !Array.isArray(o.net.e_ch)) throw new TypeError('neural weights: net description missing');
  if (!Array.isArray(o.adainSlots) || !Number.isInteger(o.psiDim)) throw new TypeError('neural weights: adainSlots/psiDim missing');
  if (typeof o.instanceNormEpsilon !== 'number') throw new TypeError('neural weights: instanceNormEpsilon missing');
  const lowpass = o.net.lowpass;
  if (lowpass !== undefined && lowpass !== 0 && !(isLowpassSigma(lowpass) && o.net.residual === true)) {
    throw new TypeError(`neural weights: net.lowpass must be 0 or a σ in (0, ${MAX_LOWPASS_SIGMA}] on a residual refiner, got ${String(lowpass)}`);
  }
  return o as NeuralTopology;
}

/** Decoded weights of any of the project's tfjs weight formats: its topology + named float32 tensors. */
export interface DecodedWeights<T> {
  readonly topology: T;
  readonly tensors: Readonly<Record<string, tf.Tensor>>;
  dispose(): void;
}

/**
 * Loads and decodes a model.json + float16 shards through any tf.io handler, or from the URL of
 * model.json (`tf.io.http`, shards fetched from the same folder), checking its `format` and
 * topology (`validate` throws a TypeError). Needs an initialised tfjs backend.
 */
export async function loadWeightsManifest<T>(source: string | tf.io.IOHandler, format: string, validate: (t: unknown) => T, requestInit?: RequestInit): Promise<DecodedWeights<T>> {
  const handler = typeof source === 'string' ? tf.io.http(source, requestInit ? { requestInit } : {}) : source;
  if (!handler.load) throw new TypeError(`${format}: IOHandler has no load()`);
  const artifacts = await handler.load();
  const extra = artifacts as tf.io.ModelArtifacts & { format?: string };
  if (extra.format !== undefined && extra.format !== format) throw new TypeError(`${format}: the file's format is '${extra.format}'`);
  const topology = validate(artifacts.modelTopology);
  if (!artifacts.weightSpecs || !artifacts.weightData) throw new TypeError(`${format}: no weights in the manifest`);
  const tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  let disposed = false;
  return {
    topology,
    tensors,
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose(Object.values(tensors));
    },
  };
}

/**
 * Loads and decodes the weights through any tf.io handler, or from the URL of model.json
 * (`tf.io.http`, shards fetched from the same folder). Needs an initialised tfjs backend.
 */
export function loadNeuralWeights(source: string | tf.io.IOHandler, requestInit?: RequestInit): Promise<NeuralWeights> {
  return loadWeightsManifest(source, NEURAL_WEIGHTS_FORMAT, validateTopology, requestInit);
}
