/**
 * The 'neural' generator (issue 8), a bi-layer refiner of the v1 warp render: per frame it
 *  1. renders the v1 warp generator (run internally from the same embedding's warp sections) at
 *     the target's full resolution;
 *  2. crops the face like the training pipeline (models/neural/data.py) and rasterises the
 *     colour-coded landmark image; crops the warp render the same way (+ its face-oval coverage
 *     mask) — warp-input.ts, the code that also made the training data;
 *  3. runs G (ψ from the embedding's AdaInParams section, or its IdentityVector projected) at the
 *     weights' S×S → rgb and a blend mask;
 *  4. upsamples rgb and mask bilinearly to the crop square and composites them onto the
 *     full-resolution warp render — frame = warp + mask·Δ for the residual refiner (`net.residual`:
 *     G's RGB head is a correction Δ), frame = warp·(1−mask) + rgb·mask for the blending one; the
 *     warp everywhere else — so the warp keeps its sharpness and G only corrects what it learned
 *     to (mouth, eyes, seams, lighting);
 *  5. the eye refiner (`eyeWeightsUrl`, on by default with G when its weights are fetched): the same network trained on each eye's
 *     corner-aligned window (mouth-patch.ts EYE_REGIONS) — lids that close, irises that move, where
 *     the warp stretches one photo's eyes;
 *  6. the mouth refiner (mouth-model.ts; `mouthWeightsUrl`, on by default when the weights are fetched):
 *     a person-agnostic network that redraws the inside of a lip-aligned window of the frame —
 *     teeth, a dark opening, lips that meet — where the warp can only stretch one photo's mouth.
 *
 * Fallback: weights without `net.refine` (trained with zero warp channels), or an embedding
 * without warp sections, get zero warp channels and frame = rgb pasted into the crop square,
 * black outside it (the pre-refiner behaviour).
 */
import * as tf from '@tensorflow/tfjs-core';
import { VisageError, type AvatarEmbedding } from '@visage/protocol';
import { SectionType } from '@visage/protocol';
import type { BackendKind, BackendPreference, Generator, RenderTarget } from '../types.ts';
import type { BackendFactory } from '../backends/types.ts';
import type { ImageCodec } from '../codec.ts';
import { WarpGenerator } from '../warp/warp-generator.ts';
import { unpackWarpContent, WARP_FAMILY, WARP_VERSION } from '../warp/content.ts';
import { warpChannels } from './warp-input.ts';
import { NeuralModel } from './model.ts';
import { loadNeuralWeights, type NeuralWeights } from './weights.ts';
import { useTfBackend, type TfBackendName, type TfBackendPreference } from './tf-backend.ts';
import { rasteriseLandmarks } from './landmark-image.ts';
import { cropBox, cropRect, toCropPixels, LANDMARK_COUNT, type CropBox } from './crop.ts';
import { readNeuralSections } from './sections.ts';
import { readTunedWeights } from './tuned-weights.ts';
import { DEFAULT_MOUTH_WEIGHTS_URL, MouthModel, MouthRefiner, loadEyeWeights, loadMouthWeights, type MouthWeights } from './mouth-model.ts';
import { GaussianBlur, MAX_LOWPASS_SIGMA, isLowpassSigma } from './lowpass.ts';
import { DEFAULT_EYE_WEIGHTS_URL, EYE_REGIONS } from './mouth-patch.ts';

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
  /**
   * Raster backend of the internal warp generator; default 'cpu': the refiner was trained on the
   * CPU rasteriser's renders (GPU rasterisers sample slightly differently), and it is the same
   * in Node and every browser. 'auto' picks webgpu → webgl → cpu.
   */
  warpBackend?: BackendPreference;
  /** Creates the warp generator's raster backends (tests). */
  warpBackendFactory?: BackendFactory;
  /** Decodes the warp sections' images; default: canvas in browsers, PNG-only elsewhere. */
  codec?: ImageCodec;
  /** Already-loaded mouth refiner weights (shared, not disposed by the generator). */
  mouthWeights?: MouthWeights;
  /**
   * URL of the mouth refiner's model.json (models/weights/mouth/), or null for no mouth refiner.
   * Default: DEFAULT_MOUTH_WEIGHTS_URL when the generator loads its own weights (no `weights`),
   * none when they are preloaded. Ignored when `mouthWeights` is given.
   */
  mouthWeightsUrl?: string | null;
  /** Already-loaded eye refiner weights (shared, not disposed by the generator). */
  eyeWeights?: MouthWeights;
  /**
   * URL of the eye refiner's model.json (the mouth refiner's network trained on the eyes' windows,
   * mouth-patch.ts EYE_REGIONS), or null for none. Default: DEFAULT_EYE_WEIGHTS_URL when the
   * generator fetches its own weights (no `weights`) and `faceRefiner` is not false (false: callers
   * say which refiners they want): with the eye refiner, G + mouth is better on all five benchmark
   * metrics (K=8, models/RESULTS.md session 15). Ignored when `eyeWeights` is given.
   */
  eyeWeightsUrl?: string | null;
  /**
   * When to run G, the person-conditioned face refiner. 'fitted' (default): only when the embedding
   * carries G layers fine-tuned to the person on these weights (the sender's fine-tuning shipped
   * them, fine-tune.ts with `layers`; ψ-only tuning does not mark the embedding), or has no warp
   * sections to draw from. The shared G alone, not fitted, made new persons' frames worse than the
   * warp + eye + mouth refiners on CSIM and the pixel metrics, on two sets of persons it had not
   * seen (models/RESULTS.md, session 18). true: always. false: never — the frame is the warp render
   * plus the eye and mouth refiners' corrections; G's weights are not loaded and the embedding
   * needs only the warp sections (any warp avatar).
   */
  faceRefiner?: boolean | 'fitted';
  /**
   * Low-pass G's residual correction, mask · Δ, by a Gaussian of σ pixels of G's output before it
   * is composited, so G reshades the warp render but does not repaint its features: what G repaints
   * finely is the training persons' detail, which costs a new person's likeness (models/RESULTS.md,
   * session 17). Default: the σ G was trained through (`net.lowpass` of its weights), else
   * DEFAULT_FACE_LOWPASS; null: G's full correction.
   */
  faceLowpass?: number | null;
}

/** σ (G output pixels) of the low-pass of G's correction by default (chosen on persons G was not trained on; RESULTS session 17). */
export const DEFAULT_FACE_LOWPASS = 2;

/** Throws a TypeError unless `option` is absent, null or a σ in (0, MAX_LOWPASS_SIGMA] (the `faceLowpass` options). */
export function checkFaceLowpass(option: unknown): void {
  if (option !== undefined && option !== null && !isLowpassSigma(option)) {
    throw new TypeError(`faceLowpass must be a σ in (0, ${MAX_LOWPASS_SIGMA}], got ${String(option)}`);
  }
}

/**
 * The low-pass σ applied to G's correction for these weights (null: none): the option when given,
 * else the σ the weights were trained through, else DEFAULT_FACE_LOWPASS. Only a residual G has a
 * correction to low-pass.
 */
export function faceLowpassFor(net: NeuralWeights['topology']['net'], option: number | null | undefined): number | null {
  if (net.residual !== true) return null;
  if (option !== undefined) return option;
  return net.lowpass ? net.lowpass : DEFAULT_FACE_LOWPASS;
}

const WARP_SECTIONS = [SectionType.NeutralShape, SectionType.TextureAtlas, SectionType.BackgroundPlate, SectionType.PlateLandmarks];

/** Whether `embedding` carries the warp avatar (the sections the v1 generator needs). */
export function hasWarpSections(embedding: AvatarEmbedding): boolean {
  return WARP_SECTIONS.every((t) => embedding.sections.some((s) => s.type === t));
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
  /** The embedding's tuned G tensors (base + delta), owned. */
  private tuned: Record<string, tf.Tensor> = {};
  private warp: tf.Tensor4D | null = null;
  private box: CropBox | null = null;
  private lmImage: Uint8Array | null = null;
  private lmFloats: Float32Array | null = null;
  private warpGen: WarpGenerator | null = null;
  private warpFrame: Uint8ClampedArray | null = null;
  private warpIn: Float32Array | null = null;
  private warpScratch: { rgb: Float32Array; mask: Float32Array } | null = null;
  private mouth: MouthRefiner | null = null;
  private mouthWeights: MouthWeights | null = null;
  private eyes: MouthRefiner | null = null;
  private eyeWeights: MouthWeights | null = null;
  /** faceLowpass's filter, made at init when G's correction is residual. */
  private faceBlur: GaussianBlur | null = null;
  private readonly cropPts = new Float32Array(LANDMARK_COUNT * 3);
  private readonly options: NeuralGeneratorOptions & { backend: TfBackendPreference; cropSmoothing: number; faceRefiner: boolean | 'fitted' };

  constructor(options: NeuralGeneratorOptions = {}) {
    const backend = options.backend ?? 'auto';
    if (!['auto', 'webgpu', 'webgl', 'wasm', 'cpu'].includes(backend)) throw new TypeError(`unknown backend '${String(backend)}'`);
    const cropSmoothing = options.cropSmoothing ?? 0.5;
    if (!(cropSmoothing >= 0 && cropSmoothing < 1)) throw new TypeError('cropSmoothing must be in [0, 1)');
    if (options.faceRefiner !== undefined && options.faceRefiner !== true && options.faceRefiner !== false && options.faceRefiner !== 'fitted') {
      throw new TypeError(`faceRefiner must be true, false or 'fitted', got ${String(options.faceRefiner)}`);
    }
    checkFaceLowpass(options.faceLowpass);
    this.options = { ...options, backend, cropSmoothing, faceRefiner: options.faceRefiner ?? 'fitted' };
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

  /** Tuned G tensors from the embedding in use (GeneratorWeights section; 0 when none or ignored). */
  get tunedTensors(): number {
    return Object.keys(this.tuned).length;
  }

  /**
   * Why the embedding's tuned layers were not applied (made for other shared weights), else null.
   * Frames are then rendered with ψ and the shared G alone.
   */
  tunedIgnored: string | null = null;

  /** True when frames are the refiner's composite over the v1 warp render (after init). */
  get refining(): boolean {
    return this.warpGen !== null;
  }

  /** True when G's face correction is drawn (false with `faceRefiner: false`, and with 'fitted' for an embedding without G layers fitted to these weights). */
  get refiningFace(): boolean {
    return this.state === 'ready' && this.model !== null;
  }

  /** True when the mouth refiner runs on every frame (after init; needs `refining`). */
  get refiningMouth(): boolean {
    return this.mouth !== null;
  }

  /** True when the eye refiner runs on every frame (after init; needs `eyeWeights` or `eyeWeightsUrl`). */
  get refiningEyes(): boolean {
    return this.eyes !== null;
  }

  async init(embedding: AvatarEmbedding): Promise<void> {
    if (this.state !== 'new') throw VisageError.invalidState(`init() called on a ${this.state} generator`);
    this.state = 'initialising';
    let weights: NeuralWeights | null = null;
    let mouthWeights: MouthWeights | null = null;
    let eyeWeights: MouthWeights | null = null;
    let owns = false;
    let overrides: Record<string, tf.Tensor> = {};
    let psi: tf.Tensor2D | null = null;
    try {
      const name = await useTfBackend(this.options.backend, this.options.wasmPath ? { wasmPath: this.options.wasmPath } : {});
      let model: NeuralModel | null = null;
      const mode = this.options.faceRefiner, warpAvatar = hasWarpSections(embedding);
      // 'fitted' with a warp avatar: G only if the embedding carries tuned layers (checked against the weights below)
      if (mode === true || (mode === 'fitted' && (!warpAvatar || embedding.sections.some((x) => x.type === SectionType.GeneratorWeights)))) {
        if (this.options.weights) weights = this.options.weights;
        else { weights = await loadNeuralWeights(this.options.weightsUrl ?? DEFAULT_NEURAL_WEIGHTS_URL); owns = true; }
        const tunedW = await readTunedWeights(embedding, weights);
        this.tunedIgnored = tunedW.status === 'mismatch' ? tunedW.reason : null;
        overrides = tunedW.status === 'ok' ? tunedW.tensors : {};
        if (mode === 'fitted' && warpAvatar && tunedW.status !== 'ok') {
          if (owns) weights.dispose();
          weights = null;
          owns = false;
        }
      }
      if (weights) {
        model = new NeuralModel(weights, false, overrides);
        const topo = model.topology;
        const id = readNeuralSections(embedding, { psiDim: topo.psiDim, embDim: topo.net.emb_dim });
        if (id.psi) {
          if (id.psi.length !== topo.psiDim) throw new TypeError(`AdaInParams has ${id.psi.length} values, the weights expect ${topo.psiDim}`);
          psi = tf.tensor2d(id.psi, [1, topo.psiDim]);
        } else if (id.embedding) {
          const emb = id.embedding, m = model;
          psi = tf.tidy(() => m.project(tf.tensor2d(emb, [1, emb.length])));
        } else {
          throw new TypeError('embedding has no neural sections (IdentityVector / AdaInParams): enroll with addNeuralSections()');
        }
      } else if (!warpAvatar) {
        throw new TypeError('faceRefiner: false draws the v1 warp render (plus the mouth refiner): the embedding needs the warp sections');
      }
      // The warp generator inside and the eye and mouth refiners after G (refiner path only); the
      // warp generator is freed here if any fails, psi and the refiners' weights by the outer catch.
      let warpGen: WarpGenerator | null = null;
      let mouth: MouthRefiner | null = null;
      let eyes: MouthRefiner | null = null;
      try {
        if ((model === null || model.topology.net.refine) && hasWarpSections(embedding)) {
          const content = await unpackWarpContent({ ...embedding, generator: { family: WARP_FAMILY, version: WARP_VERSION } }, this.options.codec);
          warpGen = new WarpGenerator({ backend: this.options.warpBackend ?? 'cpu', ...(this.options.warpBackendFactory ? { backendFactory: this.options.warpBackendFactory } : {}) });
          await warpGen.initContent(content);
        }
        const mouthUrl = this.options.mouthWeightsUrl === undefined ? (this.options.weights ? null : DEFAULT_MOUTH_WEIGHTS_URL) : this.options.mouthWeightsUrl;
        if (warpGen && (this.options.mouthWeights || mouthUrl)) {
          const mw = this.options.mouthWeights ?? (mouthWeights = await loadMouthWeights(mouthUrl!));
          mouth = new MouthRefiner(new MouthModel(mw));
        }
        // Default on when the generator fetches its own weights (faceRefiner: false callers say which refiners they want).
        const eyeUrl = this.options.eyeWeightsUrl === undefined ? (this.options.weights || this.options.faceRefiner === false ? null : DEFAULT_EYE_WEIGHTS_URL) : this.options.eyeWeightsUrl;
        if (warpGen && (this.options.eyeWeights || eyeUrl)) {
          const ew = this.options.eyeWeights ?? (eyeWeights = await loadEyeWeights(eyeUrl!));
          eyes = new MouthRefiner(new MouthModel(ew), EYE_REGIONS);
        }
      } catch (err) {
        warpGen?.dispose();
        mouth?.model.dispose();
        throw err;
      }
      if ((this.state as string) === 'disposed') {
        warpGen?.dispose();
        mouth?.model.dispose();
        eyes?.model.dispose();
        throw VisageError.invalidState('generator disposed during init');
      }
      this.mouth = mouth;
      this.mouthWeights = mouthWeights;
      this.eyes = eyes;
      this.eyeWeights = eyeWeights;
      this.warpGen = warpGen;
      if (model) {
        const s = model.imageSize;
        if (warpGen) {
          this.warpIn = new Float32Array(s * s * 4);
          this.warpScratch = { rgb: new Float32Array(s * s * 3), mask: new Float32Array(s * s) };
        }
        this.warp = tf.zeros([1, s, s, model.topology.net.warp_ch]);
        this.lmImage = new Uint8Array(s * s * 3);
        this.lmFloats = new Float32Array(s * s * 3);
      }
      this.psi = psi;
      this.tuned = overrides;
      this.weights = weights;
      this.ownsWeights = owns;
      this.model = model;
      // G's correction low-pass, made here so that render() allocates nothing that outlives it.
      const faceLowpass = model ? faceLowpassFor(model.topology.net, this.options.faceLowpass) : null;
      if (faceLowpass !== null) this.faceBlur = new GaussianBlur(faceLowpass, 3);
      this.tfName = name;
      this.state = 'ready';
    } catch (err) {
      if (this.psi !== psi) psi?.dispose();
      if (this.tuned !== overrides) tf.dispose(Object.values(overrides));
      if (owns && weights && this.weights !== weights) weights.dispose();
      if (mouthWeights && this.mouthWeights !== mouthWeights) mouthWeights.dispose();
      if (eyeWeights && this.eyeWeights !== eyeWeights) eyeWeights.dispose();
      if (this.state === 'initialising') this.state = 'new';
      throw err;
    }
  }

  /** Forgets the smoothed crop (call on a cut or a new speaker). */
  reset(): void {
    this.box = null;
  }

  async render(landmarks: Float32Array, target: RenderTarget): Promise<void> {
    if (this.state !== 'ready') throw VisageError.invalidState(`render() on a ${this.state} generator`);
    if (!(landmarks instanceof Float32Array) || landmarks.length !== LANDMARK_COUNT * 3) {
      throw new TypeError(`landmarks must be a Float32Array of ${LANDMARK_COUNT * 3} values`);
    }
    const { width, height } = target;
    if ('data' in target && target.data.length !== width * height * 4) throw new TypeError(`target buffer must hold ${width * height * 4} bytes`);
    const model = this.model, psi = this.psi;
    // G's crop and landmark image (face refiner only)
    let rect: ReturnType<typeof cropRect> | null = null;
    if (model) {
      const s = model.imageSize;
      const raw = cropBox(landmarks, width, height);
      const a = this.box ? this.options.cropSmoothing : 0;
      const prev = this.box ?? raw;
      this.box = { cx: a * prev.cx + (1 - a) * raw.cx, cy: a * prev.cy + (1 - a) * raw.cy, side: a * prev.side + (1 - a) * raw.side };
      rect = cropRect(this.box);
      rasteriseLandmarks(toCropPixels(landmarks, width, height, rect, s, this.cropPts), s, 3, this.lmImage!);
      const lmF = this.lmFloats!;
      for (let i = 0; i < lmF.length; i++) lmF[i] = this.lmImage![i]! / 127.5 - 1;
    }
    let warpFrame: Uint8ClampedArray | null = null;
    if (this.warpGen) {
      if (!this.warpFrame || this.warpFrame.length !== width * height * 4) this.warpFrame = new Uint8ClampedArray(width * height * 4);
      warpFrame = this.warpFrame;
      const frame = { width, height, data: warpFrame };
      await this.warpGen.render(landmarks, frame);
      if (model && rect) warpChannels(frame, rect.x0, rect.y0, rect.side, this.cropPts, model.imageSize, this.warpIn!, this.warpScratch!);
    }
    const dst = 'data' in target ? target.data : new Uint8ClampedArray(width * height * 4);
    if (model && psi && rect) {
      const s = model.imageSize, lmF = this.lmFloats!, zeros = this.warp!, warpIn = warpFrame ? this.warpIn : null;
      const residual = warpIn !== null && model.topology.net.residual === true;
      const out = tf.tidy(() => {
        const w = warpIn ? tf.tensor4d(warpIn, [1, s, s, 4]) : zeros;
        const { rgb, mask } = model.generate(tf.tensor4d(lmF, [1, s, s, 3]), psi, w);
        // faceLowpass: the correction mask · Δ blurred, composited at full weight (warp + blur(mask · Δ)).
        if (residual && this.faceBlur) return tf.concat([tf.mul(this.faceBlur.apply(tf.mul(rgb, mask) as tf.Tensor4D), 127.5), tf.onesLike(mask)], 3);
        // (1, S, S, 4): RGB 0..255 (residual: the correction Δ in levels, −127.5..127.5), mask 0..1
        return tf.concat([residual ? tf.mul(rgb, 127.5) : tf.mul(tf.add(rgb, 1), 127.5), mask], 3);
      });
      let pixels: Float32Array;
      try {
        pixels = (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
      compositeOnto(pixels, s, rect, warpFrame ?? null, dst, width, height, residual);
    } else {
      dst.set(warpFrame!);
    }
    if (this.eyes && warpFrame) await this.eyes.apply({ width, height, data: dst }, landmarks);
    if (this.mouth && warpFrame) await this.mouth.apply({ width, height, data: dst }, landmarks);
    if ('data' in target) return;
    const ctx = target.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new TypeError('target canvas has no 2D context');
    ctx.putImageData(new ImageData(dst as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  }

  dispose(): void {
    if (this.state === 'disposed') return;
    this.state = 'disposed';
    this.psi?.dispose();
    tf.dispose(Object.values(this.tuned));
    this.tuned = {};
    this.warp?.dispose();
    this.warpGen?.dispose();
    this.warpGen = null;
    this.warpFrame = null;
    this.warpIn = null;
    this.warpScratch = null;
    this.faceBlur?.dispose();
    this.faceBlur = null;
    this.mouth?.model.dispose();
    this.mouth = null;
    this.mouthWeights?.dispose();
    this.mouthWeights = null;
    this.eyes?.model.dispose();
    this.eyes = null;
    this.eyeWeights?.dispose();
    this.eyeWeights = null;
    if (this.ownsWeights) this.weights?.dispose();
    this.psi = null;
    this.warp = null;
    this.weights = null;
    this.model = null;
    this.lmImage = null;
    this.lmFloats = null;
  }
}

/**
 * Bilinear sampling grid of the S×S network output over the crop square, along one axis (pixel
 * centres, edge clamp — torch's `interpolate(mode='bilinear', align_corners=False)` on the
 * upsampled square): per pixel of the square, G's two input indices and the weight.
 */
function axisTaps(side: number, s: number): { i0: Int32Array; i1: Int32Array; a: Float64Array } {
  const i0 = new Int32Array(side), i1 = new Int32Array(side), a = new Float64Array(side);
  for (let i = 0; i < side; i++) {
    let f = (i + 0.5) * (s / side) - 0.5;
    f = f < 0 ? 0 : f > s - 1 ? s - 1 : f;
    const k = Math.floor(f);
    i0[i] = k; i1[i] = Math.min(k + 1, s - 1); a[i] = f - k;
  }
  return { i0, i1, a };
}

/**
 * G's S×S output (stride 4: RGB 0..255 or Δ, + mask) upsampled bilinearly into the crop
 * square of an RGBA frame. With a full-resolution warp render, the refiner's composite:
 * out = warp + m·Δ (residual) or warp·(1−m) + rgb·m inside the square, the warp render
 * outside it. Without one (old weights, no warp sections): G's RGB inside, black outside.
 * Alpha is 255 everywhere. Separable: each row of the square interpolates G's two rows once.
 */
function compositeOnto(src: Float32Array, s: number, r: { x0: number; y0: number; side: number }, warp: Uint8ClampedArray | null, dst: Uint8ClampedArray | Uint8Array, width: number, height: number, residual: boolean): void {
  if (warp) dst.set(warp);
  else dst.fill(0);
  for (let o = 3; o < dst.length; o += 4) dst[o] = 255;
  // The square's part inside the frame; the taps are indexed from the square's corner.
  const xa = Math.max(0, r.x0), xb = Math.min(width, r.x0 + r.side), ya = Math.max(0, r.y0), yb = Math.min(height, r.y0 + r.side);
  if (xa >= xb || ya >= yb) return;
  const t = axisTaps(r.side, s);
  const row = new Float64Array(s * 4);
  for (let y = ya; y < yb; y++) {
    const ty = y - r.y0, ay = t.a[ty]!, r0 = t.i0[ty]! * s * 4, r1 = t.i1[ty]! * s * 4;
    for (let k = 0; k < s * 4; k++) row[k] = src[r0 + k]! + (src[r1 + k]! - src[r0 + k]!) * ay;
    let o = (y * width + xa) * 4;
    for (let x = xa; x < xb; x++, o += 4) {
      const tx = x - r.x0, ax = t.a[tx]!, i0 = t.i0[tx]! * 4, i1 = t.i1[tx]! * 4;
      const m = row[i0 + 3]! + (row[i1 + 3]! - row[i0 + 3]!) * ax;
      for (let c = 0; c < 3; c++) {
        const v = row[i0 + c]! + (row[i1 + c]! - row[i0 + c]!) * ax;
        const out = !warp ? v : residual ? warp[o + c]! + v * m : warp[o + c]! * (1 - m) + v * m;
        dst[o + c] = Math.round(Math.min(255, Math.max(0, out)));
      }
    }
  }
}
