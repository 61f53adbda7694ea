/**
 * Person-specific fine-tuning of the bi-layer refiner, on the sender's device after enrollment
 * (the paper's few-shot fine-tuning). It tunes ψ — the AdaIN parameters E projected from the
 * photos, carried in the embedding's AdaInParams section — and, optionally, the last layers of G
 * (`layers`), carried as float16 deltas to the shared weights in the GeneratorWeights section
 * (tuned-weights.ts), so every receiver renders with them. The rest of G stays the shared,
 * meta-learned network.
 *
 * Training pairs are leave-one-out, the situation the refiner meets at run time: for each
 * enrollment photo j, a warp avatar built from the other photos renders j's landmarks, and the
 * refiner's composite (warp + mask·Δ, at the network's S×S crop) is pulled towards photo j's real
 * crop (L1 plus L1 of pixel differences, and with `identityWeight` an identity term: the cosine
 * distance of a pretrained face-recognition network's descriptors, face-features.ts, taken on the
 * composite as receivers draw it — the full-resolution warp crop plus the upsampled correction —
 * against the real photo's crop at the network's 150×150), with an L2 pull towards the starting
 * values. Some pairs are held out for early stopping (`holdOut`).
 * Needs at least 2 photos.
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
import { readNeuralSections, withNeuralSections, TUNABLE_LAYER } from './sections.ts';
import { withTunedWeights } from './tuned-weights.ts';
import { DEFAULT_NEURAL_WEIGHTS_URL, checkFaceLowpass } from './neural-generator.ts';
import { GaussianBlur } from './lowpass.ts';
import { DEFAULT_FACE_FEATURES_URL, FACE_FEATURES_INPUT, FaceFeatureNet, identityDistance } from './face-features.ts';

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
  /**
   * G blocks whose convolution kernels and biases are tuned too (default none): 'G/out',
   * 'G/up.N', 'G/res.N' (stride-1 blocks). Their deltas travel in the embedding (2 bytes each).
   */
  layers?: readonly string[];
  /** Adam learning rate on the tuned layers (default 0.001). */
  weightLearningRate?: number;
  /** Weight of Σ mean((W − W₀)²) over the tuned tensors (default 1). */
  weightAnchor?: number;
  /**
   * Pairs held out for early stopping (default ⌊K/4⌋: 2 of 8 photos, none below 4). They are not
   * trained on; every `validateEvery` steps their L1 is measured and the best state so far kept —
   * step 0 (E's ψ and the shared G) included, so tuning that does not help the held-out pairs is
   * not shipped.
   */
  holdOut?: number;
  /** Steps between validations (default 5). */
  validateEvery?: number;
  /**
   * With held-out pairs: stop after this many validations in a row without a new best (default 8,
   * i.e. 40 steps) — the held-out pairs have stopped improving, more steps would only overfit.
   */
  patience?: number;
  /** Weight of the gradient-domain term (L1 of horizontal/vertical pixel differences) in the pair loss (default 1). */
  edgeWeight?: number;
  /**
   * Weight of the identity term in the pair loss: 1 − cosine of face-api's FaceRecognitionNet
   * descriptors of the composite and the real crop (default 0: off). The network is loaded from
   * `faceFeaturesUrl` (default DEFAULT_FACE_FEATURES_URL) unless `faceFeatures` is given.
   */
  identityWeight?: number;
  faceFeatures?: FaceFeatureNet;
  faceFeaturesUrl?: string;
  /**
   * Score the pairs with G's correction low-passed by this σ (G output pixels), as receivers draw
   * it (NeuralGeneratorOptions.faceLowpass). Default null: the full correction. Tuning through the
   * receivers' low-pass (σ = 2) fits a stronger low-frequency correction, which cost the held-out
   * persons identity (CSIM −0.0015 at K=8, models/RESULTS.md session 18); tuning the full
   * correction and letting receivers low-pass it does not.
   */
  faceLowpass?: number | null;
  signal?: AbortSignal;
  onProgress?: (p: { step: number; loss: number; seconds: number }) => void;
}

export interface FineTuneReport {
  backend: TfBackendName;
  pairs: number;
  steps: number;
  seconds: number;
  /**
   * Leave-one-out L1 of the composite on the S×S crops ([0, 1] scale) over all pairs (held-out
   * ones included), before and after (after: the shipped state).
   */
  l1Before: number;
  l1After: number;
  /** Same for the warp render alone (the refiner's starting point). */
  l1Warp: number;
  /** Why it stopped ('converged': the held-out pairs stopped improving, see `patience`). */
  stopped: 'steps' | 'time' | 'aborted' | 'converged';
  /** Held-out pairs (0: no early stopping; the last step is shipped). */
  holdOut: number;
  /** The step whose state was shipped (0: E's ψ and the shared G unchanged). */
  bestStep: number;
  /** Held-out pairs' loss (L1, + edgeWeight × the gradient term, + identityWeight × the identity term): the warp alone, at step 0, and at bestStep (null without held-out pairs). */
  valWarp: number | null;
  valStart: number | null;
  valBest: number | null;
  /** Tuned G tensors (0: ψ only) and their values (the GeneratorWeights section carries 2 bytes each). */
  tunedTensors: number;
  tunedValues: number;
  /** Held-out pairs' identity distance (1 − cosine, face-api's network) for the warp alone and the shipped state (null: no identity term or no held-out pairs). */
  valIdentityWarp: number | null;
  valIdentityBest: number | null;
}

/** Kernel and bias tensors of the named G blocks; throws for a block that is not tunable or absent. */
export function tunableTensors(weights: NeuralWeights, layers: readonly string[]): string[] {
  const names: string[] = [];
  for (const layer of layers) {
    if (!TUNABLE_LAYER.test(layer)) throw new TypeError(`cannot fine-tune '${layer}': only G/out, G/up.N and G/res.N (stride-1 blocks)`);
    const found = Object.keys(weights.tensors).filter((n) => (n.startsWith(`${layer}.`) || n.startsWith(`${layer}/`)) && /\/(kernel|bias)$/.test(n));
    if (found.length === 0) throw new TypeError(`cannot fine-tune '${layer}': the weights have no such block`);
    names.push(...found.filter((n) => !names.includes(n)));
  }
  return names;
}

interface Pairs {
  lm: tf.Tensor4D;
  warp: tf.Tensor4D;
  real: tf.Tensor4D;
  /** Identity term only: the warp render's crop at the identity network's size (full resolution, as receivers draw it)… */
  warpHi?: tf.Tensor4D;
  /** … and the real crops' face descriptors at that size. */
  realId?: tf.Tensor2D;
}

/** A composite at S×S and the correction mask·Δ it added to the warp (null: the warp alone). */
interface Composite {
  img: tf.Tensor4D;
  corr: tf.Tensor4D | null;
}

/**
 * Leave-one-out inputs for every photo: landmark image, warp channels of the others' avatar, real
 * crop; with `hi` > 0 also the warp render's and the real photo's crops at hi×hi (identity term).
 */
async function buildPairs(photos: readonly EnrollmentPhoto[], s: number, hi = 0): Promise<Pairs & { realHi?: tf.Tensor4D }> {
  const k = photos.length;
  const lm = new Float32Array(k * s * s * 3), warp = new Float32Array(k * s * s * 4), real = new Float32Array(k * s * s * 3);
  const warpHi = new Float32Array(k * hi * hi * 3), realHi = new Float32Array(k * hi * hi * 3);
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
      if (hi > 0) {
        cropResize(frame, rect, hi, warpHi.subarray(j * hi * hi * 3, (j + 1) * hi * hi * 3));
        cropResize(image, rect, hi, realHi.subarray(j * hi * hi * 3, (j + 1) * hi * hi * 3));
      }
    } finally {
      gen.dispose();
    }
  }
  const pairs = { lm: tf.tensor4d(lm, [k, s, s, 3]), warp: tf.tensor4d(warp, [k, s, s, 4]), real: tf.tensor4d(real, [k, s, s, 3]) };
  return hi > 0 ? { ...pairs, warpHi: tf.tensor4d(warpHi, [k, hi, hi, 3]), realHi: tf.tensor4d(realHi, [k, hi, hi, 3]) } : pairs;
}

function gatherPairs(p: Pairs, idx: number[]): Pairs {
  return tf.tidy(() => {
    const i = tf.tensor1d(idx, 'int32');
    return {
      lm: tf.gather(p.lm, i), warp: tf.gather(p.warp, i), real: tf.gather(p.real, i),
      ...(p.warpHi ? { warpHi: tf.gather(p.warpHi, i) } : {}), ...(p.realId ? { realId: tf.gather(p.realId, i) } : {}),
    };
  });
}

function disposePairs(p: Pairs | null): void {
  if (p) tf.dispose([p.lm, p.warp, p.real, ...(p.warpHi ? [p.warpHi] : []), ...(p.realId ? [p.realId] : [])]);
}

/**
 * Mean |img − real| over the batch in [0, 1] units, plus `edge` × the same on horizontal and
 * vertical pixel differences (a gradient-domain term: it rewards matching edges, not only colours).
 */
function pairLoss(img: tf.Tensor4D, real: tf.Tensor4D, edge: number): tf.Scalar {
  let l = tf.div(tf.mean(tf.abs(tf.sub(img, real))), 2) as tf.Scalar;
  if (edge > 0) {
    const [b, s] = [img.shape[0], img.shape[1]];
    const d = (t: tf.Tensor4D, axis: 1 | 2) => {
      const size: [number, number, number, number] = axis === 1 ? [b, s - 1, s, 3] : [b, s, s - 1, 3];
      return tf.sub(tf.slice(t, axis === 1 ? [0, 1, 0, 0] : [0, 0, 1, 0], size), tf.slice(t, [0, 0, 0, 0], size));
    };
    const g = tf.add(tf.mean(tf.abs(tf.sub(d(img, 1), d(real, 1)))), tf.mean(tf.abs(tf.sub(d(img, 2), d(real, 2)))));
    l = tf.add(l, tf.mul(edge / 2, g));
  }
  return l;
}

/**
 * The composite as receivers draw it, at the identity network's size: the full-resolution warp
 * crop plus the correction upsampled bilinearly (neural-generator.ts composites the same way).
 */
function identityView(c: Composite, p: Pairs): tf.Tensor4D {
  if (!p.warpHi) return c.img;
  if (!c.corr) return p.warpHi;
  const hi = p.warpHi.shape[1];
  return tf.clipByValue(tf.add(p.warpHi, tf.image.resizeBilinear(c.corr, [hi, hi])), -1, 1) as tf.Tensor4D;
}

/** Identity distance (1 − cosine of face-recognition descriptors) of the composite to the real photos. */
function identityTerm(c: Composite, p: Pairs, net: FaceFeatureNet): tf.Scalar {
  return identityDistance(net.describe(identityView(c, p)), p.realId!);
}

/** The pair objective: pairLoss on the S×S composite plus `identity.weight` × identityTerm. */
function objective(c: Composite, p: Pairs, edge: number, identity: { weight: number; net: FaceFeatureNet } | null): tf.Scalar {
  const l = pairLoss(c.img, p.real, edge);
  if (!identity || !p.realId) return l;
  return tf.add(l, tf.mul(identity.weight, identityTerm(c, p, identity.net))) as tf.Scalar;
}

function warpRgb(p: Pairs): tf.Tensor4D {
  const [k, s] = [p.warp.shape[0], p.warp.shape[1]];
  return tf.slice(p.warp, [0, 0, 0, 0], [k, s, s, 3]);
}

function warpOnly(p: Pairs): Composite {
  return { img: warpRgb(p), corr: null };
}

/** The refiner's composite (warp + mask·Δ, or warp + blur(mask·Δ) with the low-pass) on the pairs, [-1, 1]. */
function composite(model: NeuralModel, p: Pairs, psi: tf.Tensor2D, blur: GaussianBlur | null): Composite {
  const k = p.lm.shape[0];
  const { rgb, mask } = model.generate(p.lm, tf.tile(psi, [k, 1]) as tf.Tensor2D, p.warp);
  const corr = blur ? blur.applyTrainable(tf.mul(mask, rgb) as tf.Tensor4D) : (tf.mul(mask, rgb) as tf.Tensor4D);
  return { img: tf.clipByValue(tf.add(warpRgb(p), corr), -1, 1) as tf.Tensor4D, corr };
}

/** Mean |composite − real| over the batch, in [0, 1] units. */
function compositeL1(model: NeuralModel, p: Pairs, psi: tf.Tensor2D, blur: GaussianBlur | null): tf.Scalar {
  return pairLoss(composite(model, p, psi, blur).img, p.real, 0);
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
  const identityWeight = options.identityWeight ?? 0;
  if (!(identityWeight >= 0 && Number.isFinite(identityWeight))) throw new TypeError(`identityWeight must be a finite number ≥ 0, got ${identityWeight}`);
  checkFaceLowpass(options.faceLowpass);
  let faceNet: FaceFeatureNet | null = null;
  let blur: GaussianBlur | null = null;
  let pairs: Pairs | null = null;
  let train: Pairs | null = null;
  let val: Pairs | null = null;
  let psi: tf.Variable<tf.Rank.R2> | null = null;
  let psi0: tf.Tensor2D | null = null;
  const tuned: Record<string, tf.Variable> = {};
  const optimizers: tf.Optimizer[] = [];
  try {
    const names = tunableTensors(weights, options.layers ?? []);
    for (const n of names) tuned[n] = tf.variable(weights.tensors[n]!, true);
    const model = new NeuralModel(weights, true, tuned);
    const topo = model.topology;
    if (!topo.net.refine) throw new TypeError('these neural weights are not a refiner: nothing to fine-tune against the warp');
    if (options.faceLowpass != null && topo.net.residual === true) blur = new GaussianBlur(options.faceLowpass, 3);
    const id = readNeuralSections(embedding, { psiDim: topo.psiDim, embDim: topo.net.emb_dim });
    if (!id.psi || !id.embedding) throw new TypeError('embedding has no neural sections: call addNeuralSections() first');
    const k = photos.length;
    const holdOut = options.holdOut ?? (k >= 4 ? Math.floor(k / 4) : 0);
    if (!Number.isInteger(holdOut) || holdOut < 0 || k - holdOut < 2) throw new TypeError(`holdOut must be an integer leaving at least 2 training pairs, got ${holdOut} of ${k}`);
    const validateEvery = options.validateEvery ?? 5, patience = options.patience ?? 8;
    if (!Number.isInteger(validateEvery) || validateEvery < 1) throw new TypeError(`validateEvery must be a positive integer, got ${validateEvery}`);
    if (!Number.isInteger(patience) || patience < 1) throw new TypeError(`patience must be a positive integer, got ${patience}`);
    const built = await buildPairs(photos, model.imageSize, identityWeight > 0 ? FACE_FEATURES_INPUT : 0);
    pairs = built;
    if (built.realHi) {
      const realHi = built.realHi;
      delete built.realHi;
      try {
        faceNet = options.faceFeatures ?? (await FaceFeatureNet.load(options.faceFeaturesUrl ?? DEFAULT_FACE_FEATURES_URL));
        const net = faceNet;
        built.realId = tf.tidy(() => net.describe(realHi));
      } finally {
        realHi.dispose();
      }
    }
    const identity = faceNet ? { weight: identityWeight, net: faceNet } : null;
    // Held-out pairs evenly spaced over the photos (which are in clip / capture order).
    const valIdx = Array.from({ length: holdOut }, (_, i) => Math.floor(((i + 0.5) * k) / holdOut));
    const trainIdx = Array.from({ length: k }, (_, i) => i).filter((i) => !valIdx.includes(i));
    const all = pairs;
    train = holdOut ? gatherPairs(all, trainIdx) : null;
    val = holdOut ? gatherPairs(all, valIdx) : null;
    psi0 = tf.tensor2d(id.psi, [1, topo.psiDim]);
    psi = tf.variable(psi0); // shares psi0's data until the first update
    const p = train ?? all, v = psi, anchorT = psi0;
    const value = async (f: () => tf.Scalar): Promise<number> => {
      const l = tf.tidy(f);
      try { return (await l.data())[0]!; } finally { l.dispose(); }
    };
    const edge = options.edgeWeight ?? 1;
    const l1Warp = await value(() => pairLoss(warpOnly(all).img, all.real, 0));
    const l1Before = await value(() => compositeL1(model, all, anchorT, blur));
    const vp = val;
    const valWarp = vp ? await value(() => objective(warpOnly(vp), vp, edge, identity)) : null;
    const valStart = vp ? await value(() => objective(composite(model, vp, anchorT, blur), vp, edge, identity)) : null;
    const valIdentity = (c: () => Composite) => (vp && identity ? value(() => identityTerm(c(), vp, identity.net)) : Promise.resolve(null));
    const valIdentityWarp = await valIdentity(() => warpOnly(vp!));
    // The state to ship: step, held-out loss, ψ and tuned values (null: step 0's, E's ψ and the shared G).
    type State = { step: number; loss: number; psi: Float32Array | null; tuned: Record<string, Float32Array> | null };
    let best: State = { step: 0, loss: valStart ?? Infinity, psi: null, tuned: null };
    const snapshot = async (step: number, loss: number): Promise<State> => {
      const t: Record<string, Float32Array> = {};
      for (const n of names) t[n] = (await tuned[n]!.data()) as Float32Array;
      return { step, loss, psi: (await v.data()) as Float32Array, tuned: t };
    };
    const validate = async (step: number): Promise<void> => {
      if (!vp) return;
      const loss = await value(() => objective(composite(model, vp, v, blur), vp, edge, identity));
      if (loss < best.loss) best = await snapshot(step, loss);
    };
    const optPsi = tf.train.adam(options.learningRate ?? 0.003);
    const optW = tf.train.adam(options.weightLearningRate ?? 0.001);
    optimizers.push(optPsi, optW);
    const maxSteps = options.maxSteps ?? 150, maxSeconds = options.maxSeconds ?? 60, anchor = options.anchor ?? 1, weightAnchor = options.weightAnchor ?? 1;
    const loss = (): tf.Scalar => tf.tidy(() => {
      let l = tf.add(objective(composite(model, p, v, blur), p, edge, identity), tf.mul(anchor, tf.mean(tf.square(tf.sub(v, anchorT))))) as tf.Scalar;
      for (const n of names) l = tf.add(l, tf.mul(weightAnchor, tf.mean(tf.square(tf.sub(tuned[n]!, weights.tensors[n]!))))) as tf.Scalar;
      return l;
    });
    let steps = 0;
    let stopped: FineTuneReport['stopped'] = 'steps';
    while (steps < maxSteps) {
      if (options.signal?.aborted) { stopped = 'aborted'; break; }
      if (seconds() > maxSeconds) { stopped = 'time'; break; }
      const { value: l, grads } = tf.variableGrads(loss, [v, ...names.map((n) => tuned[n]!)]);
      optPsi.applyGradients([{ name: v.name, tensor: grads[v.name]! }]);
      if (names.length) optW.applyGradients(names.map((n) => ({ name: tuned[n]!.name, tensor: grads[tuned[n]!.name]! })));
      tf.dispose(Object.values(grads));
      steps++;
      const lossValue = await value(() => l);
      options.onProgress?.({ step: steps, loss: lossValue, seconds: seconds() });
      if (steps % validateEvery === 0) {
        await validate(steps);
        if (vp && steps - best.step >= patience * validateEvery) { stopped = 'converged'; break; }
      }
    }
    if (steps % validateEvery !== 0) await validate(steps);
    if (!vp) best = await snapshot(steps, NaN); // nothing held out: the last step
    // Ship the best state: load it into the variables for the final all-pairs L1, then pack it.
    const chosen = best;
    tf.tidy(() => {
      v.assign(chosen.psi ? tf.tensor2d(chosen.psi, [1, topo.psiDim]) : anchorT);
      for (const n of names) tuned[n]!.assign(chosen.tuned ? tf.tensor(chosen.tuned[n]!, weights.tensors[n]!.shape) : weights.tensors[n]!);
    });
    const l1After = await value(() => compositeL1(model, all, v, blur));
    const valIdentityBest = await valIdentity(() => composite(model, vp!, v, blur));
    const shipped = best.psi !== null;
    let out = withNeuralSections(embedding, { embedding: id.embedding, psi: best.psi ?? id.psi });
    if (shipped && names.length) out = await withTunedWeights(out, weights, best.tuned!);
    const tunedValues = shipped ? names.reduce((a, n) => a + tuned[n]!.size, 0) : 0;
    return {
      embedding: out,
      report: {
        backend, pairs: k, steps, seconds: seconds(), l1Before, l1After, l1Warp, stopped,
        tunedTensors: shipped ? names.length : 0, tunedValues,
        holdOut, bestStep: best.step, valWarp, valStart, valBest: vp ? best.loss : null, valIdentityWarp, valIdentityBest,
      },
    };
  } finally {
    for (const q of [pairs, train, val]) disposePairs(q);
    blur?.dispose();
    if (faceNet && !options.faceFeatures) faceNet.dispose();
    psi?.dispose();
    psi0?.dispose();
    tf.dispose(Object.values(tuned));
    for (const o of optimizers) o.dispose();
    if (!options.weights) weights.dispose();
  }
}
