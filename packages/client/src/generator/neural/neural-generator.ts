/**
 * The 'neural' generator (issue 8): crops the face like the training pipeline, rasterises the
 * colour-coded landmark image, runs G with ψ from the embedding's AdaInParams section (or
 * projects its IdentityVector), and draws the S×S result back into the crop square of the
 * target (bilinear), black outside it.
 *
 * G's 4 extra input channels (v1 warp render + mask) are fed zeros: the exported weights were
 * trained with them zero-filled (EXPORT.md), and the mask head is untrained, so frame = rgb.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VisageError, type AvatarEmbedding } from '@visage/protocol';
import type { BackendKind, Generator, RenderTarget } from '../types.ts';
import { NeuralModel } from './model.ts';
import { loadNeuralWeights, type NeuralWeights } from './weights.ts';
import { useTfBackend, type TfBackendName, type TfBackendPreference } from './tf-backend.ts';
import { rasteriseLandmarks } from './landmark-image.ts';
import { cropBox, cropRect, toCropPixels, LANDMARK_COUNT, type CropBox } from './crop.ts';
import { readNeuralSections } from './sections.ts';

export const NEURAL_FAMILY = 'neural';
/** Where an app serves models/weights/neural/ by default. */
export const DEFAULT_NEURAL_WEIGHTS_URL = '/models/neural/model.json';

export interface NeuralGeneratorOptions {
  /** tfjs backend; default 'auto' (webgpu → webgl → wasm → cpu). tfjs's backend is process-wide. */
  backend?: TfBackendPreference;
  /** URL of model.json (shards beside it); default DEFAULT_NEURAL_WEIGHTS_URL. Ignored when `weights` is given. */
  weightsUrl?: string;
  /** Already-loaded weights, shared and not disposed by the generator. */
  weights?: NeuralWeights;
  /** Folder with tfjs-backend-wasm's .wasm files on our own origin (or a path in Node); wasm is skipped without it. */
  wasmPath?: string;
  /** Crop smoothing across frames, EMA weight of the previous box in [0, 1); default 0.5, 0 = none. */
  cropSmoothing?: number;
}

/** tfjs backend → the Generator interface's kind (wasm and cpu both run on the CPU). */
function kindOf(name: TfBackendName): BackendKind {
  return name === 'wasm' ? 'cpu' : name;
}

export class NeuralGenerator implements Generator {
  readonly family = NEURAL_FAMILY;
  private state: 'new' | 'initialising' | 'ready' | 'disposed' = 'new';
  private tfName: TfBackendName | null = null;
  private weights: NeuralWeights | null = null;
  private ownsWeights = false;
  private model: NeuralModel | null = null;
  private psi: tf.Tensor2D | null = null;
  private warp: tf.Tensor4D | null = null;
  private box: CropBox | null = null;
  private lmImage: Uint8Array | null = null;
  private lmFloats: Float32Array | null = null;
  private readonly cropPts = new Float32Array(LANDMARK_COUNT * 3);
  private readonly options: NeuralGeneratorOptions & { backend: TfBackendPreference; cropSmoothing: number };

  constructor(options: NeuralGeneratorOptions = {}) {
    const backend = options.backend ?? 'auto';
    if (!['auto', 'webgpu', 'webgl', 'wasm', 'cpu'].includes(backend)) throw new TypeError(`unknown backend '${String(backend)}'`);
    const cropSmoothing = options.cropSmoothing ?? 0.5;
    if (!(cropSmoothing >= 0 && cropSmoothing < 1)) throw new TypeError('cropSmoothing must be in [0, 1)');
    this.options = { ...options, backend, cropSmoothing };
  }

  get backend(): BackendKind | null {
    return this.tfName ? kindOf(this.tfName) : null;
  }

  /** The tfjs backend in use ('wasm' is reported as 'cpu' by `backend`). */
  get tfBackend(): TfBackendName | null {
    return this.tfName;
  }

  get imageSize(): number | null {
    return this.model?.imageSize ?? null;
  }

  async init(embedding: AvatarEmbedding): Promise<void> {
    if (this.state !== 'new') throw VisageError.invalidState(`init() called on a ${this.state} generator`);
    this.state = 'initialising';
    let weights: NeuralWeights | null = null;
    let owns = false;
    try {
      const name = await useTfBackend(this.options.backend, this.options.wasmPath ? { wasmPath: this.options.wasmPath } : {});
      if (this.options.weights) weights = this.options.weights;
      else { weights = await loadNeuralWeights(this.options.weightsUrl ?? DEFAULT_NEURAL_WEIGHTS_URL); owns = true; }
      const model = new NeuralModel(weights);
      const topo = model.topology;
      const id = readNeuralSections(embedding, { psiDim: topo.psiDim, embDim: topo.net.emb_dim });
      let psi: tf.Tensor2D;
      if (id.psi) {
        if (id.psi.length !== topo.psiDim) throw new TypeError(`AdaInParams has ${id.psi.length} values, the weights expect ${topo.psiDim}`);
        psi = tf.tensor2d(id.psi, [1, topo.psiDim]);
      } else if (id.embedding) {
        const emb = id.embedding;
        psi = tf.tidy(() => model.project(tf.tensor2d(emb, [1, emb.length])));
      } else {
        throw new TypeError('embedding has no neural sections (IdentityVector / AdaInParams): enroll with addNeuralSections()');
      }
      if ((this.state as string) === 'disposed') {
        psi.dispose();
        if (owns) weights.dispose();
        throw VisageError.invalidState('generator disposed during init');
      }
      const s = topo.imageSize;
      this.psi = psi;
      this.warp = tf.zeros([1, s, s, topo.net.warp_ch]);
      this.weights = weights;
      this.ownsWeights = owns;
      this.model = model;
      this.tfName = name;
      this.lmImage = new Uint8Array(s * s * 3);
      this.lmFloats = new Float32Array(s * s * 3);
      this.state = 'ready';
    } catch (err) {
      if (owns && weights && this.weights !== weights) weights.dispose();
      if (this.state === 'initialising') this.state = 'new';
      throw err;
    }
  }

  /** Forgets the smoothed crop (call on a cut or a new speaker). */
  reset(): void {
    this.box = null;
  }

  async render(landmarks: Float32Array, target: RenderTarget): Promise<void> {
    if (this.state !== 'ready' || !this.model || !this.psi || !this.warp || !this.lmImage || !this.lmFloats) throw VisageError.invalidState(`render() on a ${this.state} generator`);
    if (!(landmarks instanceof Float32Array) || landmarks.length !== LANDMARK_COUNT * 3) {
      throw new TypeError(`landmarks must be a Float32Array of ${LANDMARK_COUNT * 3} values`);
    }
    const { width, height } = target;
    const s = this.model.imageSize;
    const raw = cropBox(landmarks, width, height);
    const a = this.box ? this.options.cropSmoothing : 0;
    const prev = this.box ?? raw;
    this.box = { cx: a * prev.cx + (1 - a) * raw.cx, cy: a * prev.cy + (1 - a) * raw.cy, side: a * prev.side + (1 - a) * raw.side };
    const rect = cropRect(this.box);
    rasteriseLandmarks(toCropPixels(landmarks, width, height, rect, s, this.cropPts), s, 3, this.lmImage);
    const lmF = this.lmFloats;
    for (let i = 0; i < lmF.length; i++) lmF[i] = this.lmImage[i]! / 127.5 - 1;
    const model = this.model, psi = this.psi, warp = this.warp;
    const out = tf.tidy(() => {
      const { rgb } = model.generate(tf.tensor4d(lmF, [1, s, s, 3]), psi, warp);
      return tf.clipByValue(tf.mul(tf.add(rgb, 1), 127.5), 0, 255);
    });
    let pixels: Float32Array;
    try {
      pixels = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    if ('data' in target) {
      paste(pixels, s, rect, target.data, width, height);
      return;
    }
    const buf = new Uint8ClampedArray(width * height * 4);
    paste(pixels, s, rect, buf, width, height);
    const ctx = target.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new TypeError('target canvas has no 2D context');
    ctx.putImageData(new ImageData(buf as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  }

  dispose(): void {
    if (this.state === 'disposed') return;
    this.state = 'disposed';
    this.psi?.dispose();
    this.warp?.dispose();
    if (this.ownsWeights) this.weights?.dispose();
    this.psi = null;
    this.warp = null;
    this.weights = null;
    this.model = null;
    this.lmImage = null;
    this.lmFloats = null;
  }
}

/** Bilinear upsampling of the S×S RGB result into the crop square of an RGBA frame; black elsewhere. */
function paste(src: Float32Array, s: number, r: { x0: number; y0: number; side: number }, dst: Uint8ClampedArray | Uint8Array, width: number, height: number): void {
  if (dst.length !== width * height * 4) throw new TypeError(`target buffer must hold ${width * height * 4} bytes`);
  const k = s / r.side;
  for (let y = 0; y < height; y++) {
    const inY = y >= r.y0 && y < r.y0 + r.side;
    let fy = (y + 0.5 - r.y0) * k - 0.5;
    fy = fy < 0 ? 0 : fy > s - 1 ? s - 1 : fy;
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, s - 1), ay = fy - y0;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      dst[o + 3] = 255;
      if (!inY || x < r.x0 || x >= r.x0 + r.side) { dst[o] = 0; dst[o + 1] = 0; dst[o + 2] = 0; continue; }
      let fx = (x + 0.5 - r.x0) * k - 0.5;
      fx = fx < 0 ? 0 : fx > s - 1 ? s - 1 : fx;
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, s - 1), ax = fx - x0;
      const i00 = (y0 * s + x0) * 3, i10 = (y0 * s + x1) * 3, i01 = (y1 * s + x0) * 3, i11 = (y1 * s + x1) * 3;
      for (let c = 0; c < 3; c++) {
        const top = src[i00 + c]! + (src[i10 + c]! - src[i00 + c]!) * ax;
        const bot = src[i01 + c]! + (src[i11 + c]! - src[i01 + c]!) * ax;
        dst[o + c] = Math.round(top + (bot - top) * ay);
      }
    }
  }
}
