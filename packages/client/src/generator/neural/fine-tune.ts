/**
 * Person-specific fine-tuning of the bi-layer refiner, on the sender's device after enrollment
 * (the paper's few-shot fine-tuning, restricted to ψ — the AdaIN parameters E projected from the
 * photos — so the result travels in the embedding's AdaInParams section and every receiver gets
 * it; G's weights stay the shared, meta-learned ones).
 *
 * Training pairs are leave-one-out, the situation the refiner meets at run time: for each
 * enrollment photo j, a warp avatar built from the other photos renders j's landmarks, and the
 * refiner's composite (warp + mask·Δ, at the network's S×S crop) is pulled towards photo j's real
 * crop (L1), with an L2 pull of ψ towards E's projection. Needs at least 2 photos.
 *
 * Browser entry (not re-exported by ./index.ts): it registers tfjs-core's gradients, whose ESM
 * files Node cannot import. Runs on whatever tfjs backend is active ('auto': WebGPU first).
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import type { AvatarEmbedding } from '@visage/protocol';
import { buildWarpContent, type EnrollmentPhoto } from '../../enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../warp/warp-generator.ts';
import { NeuralModel } from './model.ts';
import { loadNeuralWeights, type NeuralWeights } from './weights.ts';
import { useTfBackend, type TfBackendName, type TfBackendPreference } from './tf-backend.ts';
import { cropBox, cropRect, cropResize, toCropPixels } from './crop.ts';
import { rasteriseLandmarks } from './landmark-image.ts';
import { warpChannels } from './warp-input.ts';
import { readNeuralSections, withNeuralSections } from './sections.ts';
import { DEFAULT_NEURAL_WEIGHTS_URL } from './neural-generator.ts';

export interface FineTuneOptions {
  /** Already-loaded weights (not disposed here); otherwise loaded from `weightsUrl`. */
  weights?: NeuralWeights;
  weightsUrl?: string;
  backend?: TfBackendPreference;
  wasmPath?: string;
  /** Wall-clock budget, pair preparation included (default 60 s). */
  maxSeconds?: number;
  /** Adam steps at most (default 150). */
  maxSteps?: number;
  /** Adam learning rate on ψ (default 0.003). */
  learningRate?: number;
  /** Weight of mean((ψ − ψ₀)²) (default 1). */
  anchor?: number;
  signal?: AbortSignal;
  onProgress?: (p: { step: number; loss: number; seconds: number }) => void;
}

export interface FineTuneReport {
  backend: TfBackendName;
  pairs: number;
  steps: number;
  seconds: number;
  /** Leave-one-out L1 of the composite on the S×S crops ([-1, 1] scale ÷ 2 = [0, 1] scale), before and after. */
  l1Before: number;
  l1After: number;
  /** Same for the warp render alone (the refiner's starting point). */
  l1Warp: number;
  /** Why it stopped. */
  stopped: 'steps' | 'time' | 'aborted';
}

interface Pairs {
  lm: tf.Tensor4D;
  warp: tf.Tensor4D;
  real: tf.Tensor4D;
}

/** Leave-one-out inputs for every photo: landmark image, warp channels of the others' avatar, real crop. */
async function buildPairs(photos: readonly EnrollmentPhoto[], s: number): Promise<Pairs> {
  const k = photos.length;
  const lm = new Float32Array(k * s * s * 3), warp = new Float32Array(k * s * s * 4), real = new Float32Array(k * s * s * 3);
  const lmImg = new Uint8Array(s * s * 3);
  for (let j = 0; j < k; j++) {
    const { image, landmarks } = photos[j]!;
    const others = photos.filter((_, i) => i !== j);
    const gen = new WarpGenerator({ backend: 'cpu' });
    try {
      await gen.initContent(buildWarpContent(others));
      const frame = { width: image.width, height: image.height, data: new Uint8ClampedArray(image.width * image.height * 4) };
      await gen.render(landmarks, frame);
      const rect = cropRect(cropBox(landmarks, image.width, image.height));
      const pts = toCropPixels(landmarks, image.width, image.height, rect, s);
      warpChannels(frame, rect.x0, rect.y0, rect.side, pts, s, warp.subarray(j * s * s * 4, (j + 1) * s * s * 4));
      rasteriseLandmarks(pts, s, 3, lmImg);
      for (let i = 0; i < lmImg.length; i++) lm[j * s * s * 3 + i] = lmImg[i]! / 127.5 - 1;
      cropResize(image, rect, s, real.subarray(j * s * s * 3, (j + 1) * s * s * 3));
    } finally {
      gen.dispose();
    }
  }
  return { lm: tf.tensor4d(lm, [k, s, s, 3]), warp: tf.tensor4d(warp, [k, s, s, 4]), real: tf.tensor4d(real, [k, s, s, 3]) };
}

/** Mean |composite − real| over the batch, in [0, 1] units. */
function compositeL1(model: NeuralModel, p: Pairs, psi: tf.Tensor2D): tf.Scalar {
  const [k, s] = [p.lm.shape[0], p.lm.shape[1]];
  const { rgb, mask } = model.generate(p.lm, tf.tile(psi, [k, 1]) as tf.Tensor2D, p.warp);
  const comp = tf.clipByValue(tf.add(tf.slice(p.warp, [0, 0, 0, 0], [k, s, s, 3]), tf.mul(mask, rgb)), -1, 1);
  return tf.div(tf.mean(tf.abs(tf.sub(comp, p.real))), 2) as tf.Scalar;
}

/**
 * Fine-tunes ψ of `embedding` (which must carry the neural sections, from addNeuralSections) on
 * the enrollment photos; returns the embedding with the new AdaInParams and a report. The
 * IdentityVector is kept (it is E's, not the tuned ψ's).
 */
export async function fineTuneNeural(
  embedding: AvatarEmbedding,
  photos: readonly EnrollmentPhoto[],
  options: FineTuneOptions = {},
): Promise<{ embedding: AvatarEmbedding; report: FineTuneReport }> {
  if (photos.length < 2) throw new TypeError(`fine-tuning needs at least 2 enrollment photos (leave-one-out pairs), got ${photos.length}`);
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  const backend = await useTfBackend(options.backend ?? 'auto', options.wasmPath ? { wasmPath: options.wasmPath } : {});
  const weights = options.weights ?? (await loadNeuralWeights(options.weightsUrl ?? DEFAULT_NEURAL_WEIGHTS_URL));
  let pairs: Pairs | null = null;
  let psi: tf.Variable<tf.Rank.R2> | null = null;
  let psi0: tf.Tensor2D | null = null;
  let optimizer: tf.Optimizer | null = null;
  try {
    const model = new NeuralModel(weights, true);
    const topo = model.topology;
    if (!topo.net.refine) throw new TypeError('these neural weights are not a refiner: nothing to fine-tune against the warp');
    const id = readNeuralSections(embedding, { psiDim: topo.psiDim, embDim: topo.net.emb_dim });
    if (!id.psi || !id.embedding) throw new TypeError('embedding has no neural sections: call addNeuralSections() first');
    pairs = await buildPairs(photos, model.imageSize);
    psi0 = tf.tensor2d(id.psi, [1, topo.psiDim]);
    psi = tf.variable(psi0); // shares psi0's data until the first update
    const p = pairs, v = psi, anchorT = psi0;
    const value = async (f: () => tf.Scalar): Promise<number> => {
      const l = tf.tidy(f);
      try { return (await l.data())[0]!; } finally { l.dispose(); }
    };
    const [k, s] = [p.warp.shape[0], p.warp.shape[1]];
    const l1Warp = await value(() => tf.div(tf.mean(tf.abs(tf.sub(tf.slice(p.warp, [0, 0, 0, 0], [k, s, s, 3]), p.real))), 2) as tf.Scalar);
    const l1Before = await value(() => compositeL1(model, p, anchorT));
    optimizer = tf.train.adam(options.learningRate ?? 0.003);
    const maxSteps = options.maxSteps ?? 150, maxSeconds = options.maxSeconds ?? 60, anchor = options.anchor ?? 1;
    let steps = 0;
    let stopped: FineTuneReport['stopped'] = 'steps';
    while (steps < maxSteps) {
      if (options.signal?.aborted) { stopped = 'aborted'; break; }
      if (seconds() > maxSeconds) { stopped = 'time'; break; }
      const loss = optimizer.minimize(() => tf.add(compositeL1(model, p, v), tf.mul(anchor, tf.mean(tf.square(tf.sub(v, anchorT))))) as tf.Scalar, true, [v])!;
      steps++;
      const lossValue = await value(() => loss);
      options.onProgress?.({ step: steps, loss: lossValue, seconds: seconds() });
    }
    const l1After = await value(() => compositeL1(model, p, v));
    const tuned = (await v.data()) as Float32Array;
    return {
      embedding: withNeuralSections(embedding, { embedding: id.embedding, psi: tuned }),
      report: { backend, pairs: photos.length, steps, seconds: seconds(), l1Before, l1After, l1Warp, stopped },
    };
  } finally {
    if (pairs) tf.dispose([pairs.lm, pairs.warp, pairs.real]);
    psi?.dispose();
    psi0?.dispose();
    optimizer?.dispose();
    if (!options.weights) weights.dispose();
  }
}
