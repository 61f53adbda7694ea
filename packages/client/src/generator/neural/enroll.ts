/**
 * Neural enrollment: E over the K enrollment photos (face crop + landmark image, as in
 * training), averaged, projected to AdaIN parameters ψ, stored in the embedding's
 * IdentityVector and AdaInParams sections. Call after the warp enrollment built `embedding`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AvatarEmbedding } from '@visage/protocol';
import type { RgbaImage } from '../image.ts';
import { NeuralModel } from './model.ts';
import { loadNeuralWeights, type NeuralWeights } from './weights.ts';
import { useTfBackend, type TfBackendPreference } from './tf-backend.ts';
import { cropBox, cropRect, cropResize, toCropPixels, LANDMARK_COUNT } from './crop.ts';
import { rasteriseLandmarks } from './landmark-image.ts';
import { withNeuralSections } from './sections.ts';
import { DEFAULT_NEURAL_WEIGHTS_URL } from './neural-generator.ts';

export interface NeuralEnrollOptions {
  /** Already-loaded weights (not disposed here); otherwise loaded from `weightsUrl`. */
  weights?: NeuralWeights;
  /** URL of model.json; default DEFAULT_NEURAL_WEIGHTS_URL. */
  weightsUrl?: string;
  /** tfjs backend; default 'auto'. */
  backend?: TfBackendPreference;
  /** wasm binaries folder on our own origin (see tf-backend.ts). */
  wasmPath?: string;
}

export interface NeuralIdentityResult {
  /** E's output averaged over the K photos (emb_dim). */
  embedding: Float32Array;
  /** AdaIN parameters (psiDim). */
  psi: Float32Array;
}

/** Runs E on K photos with their 478×3 landmarks (normalised to each photo). */
export async function computeNeuralIdentity(model: NeuralModel, images: readonly RgbaImage[], landmarks: readonly Float32Array[]): Promise<NeuralIdentityResult> {
  if (images.length === 0 || images.length !== landmarks.length) throw new TypeError('need as many landmark sets as images (at least one)');
  const s = model.imageSize, k = images.length;
  const frames = new Float32Array(k * s * s * 3), lms = new Float32Array(k * s * s * 3);
  const lmImg = new Uint8Array(s * s * 3);
  images.forEach((img, i) => {
    const l = landmarks[i]!;
    if (!(l instanceof Float32Array) || l.length !== LANDMARK_COUNT * 3) throw new TypeError(`landmarks[${i}] must be a Float32Array of ${LANDMARK_COUNT * 3} values`);
    const r = cropRect(cropBox(l, img.width, img.height));
    cropResize(img, r, s, frames.subarray(i * s * s * 3, (i + 1) * s * s * 3));
    rasteriseLandmarks(toCropPixels(l, img.width, img.height, r, s), s, 3, lmImg);
    for (let j = 0; j < lmImg.length; j++) lms[i * s * s * 3 + j] = lmImg[j]! / 127.5 - 1;
  });
  const { embedding, psi } = tf.tidy(() => model.embed(tf.tensor4d(frames, [k, s, s, 3]), tf.tensor4d(lms, [k, s, s, 3])));
  try {
    return { embedding: (await embedding.data()) as Float32Array, psi: (await psi.data()) as Float32Array };
  } finally {
    tf.dispose([embedding, psi]);
  }
}

/**
 * Adds (or replaces) the neural IdentityVector and AdaInParams sections of `embedding`, computed
 * from the enrollment photos and their landmarks. Returns a new embedding; the input is untouched.
 */
export async function addNeuralSections(
  embedding: AvatarEmbedding,
  images: readonly RgbaImage[],
  landmarks: readonly Float32Array[],
  options: NeuralEnrollOptions = {},
): Promise<AvatarEmbedding> {
  await useTfBackend(options.backend ?? 'auto', options.wasmPath ? { wasmPath: options.wasmPath } : {});
  const weights = options.weights ?? (await loadNeuralWeights(options.weightsUrl ?? DEFAULT_NEURAL_WEIGHTS_URL));
  try {
    const model = new NeuralModel(weights);
    if (!model.hasEmbedder) throw new TypeError('these neural weights have no embedder (E)');
    return withNeuralSections(embedding, await computeNeuralIdentity(model, images, landmarks));
  } finally {
    if (!options.weights) weights.dispose();
  }
}
