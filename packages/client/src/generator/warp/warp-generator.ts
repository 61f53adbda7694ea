/**
 * The 'warp' generator: the avatar's own texture on the MediaPipe face mesh at the decoded
 * landmarks, over a background plate warped with the head. See frame-mesh.ts for the geometry.
 */
import { VisageError, type AvatarEmbedding } from '@visage/protocol';
import type { BackendKind, BackendPreference, Generator, RenderTarget } from '../types.ts';
import type { BackendFactory, RasterBackend } from '../backends/types.ts';
import { selectBackend } from '../backends/select.ts';
import type { ImageCodec } from '../codec.ts';
import { mouthContour, unpackWarpContent, validWidth, WARP_FAMILY, type WarpContent } from './content.ts';
import { packTexture } from './texture-layout.ts';
import { FrameMeshBuilder } from './frame-mesh.ts';
import { synthesizeMouthPatch } from './mouth-synth.ts';
import { LANDMARK_COUNT } from './face-model.ts';

export interface WarpGeneratorOptions {
  /** Backend to use; default 'auto' (webgpu → webgl → cpu). */
  backend?: BackendPreference;
  /** Creates backends; default: the built-in ones. */
  backendFactory?: BackendFactory;
  /** Decodes image sections; default: canvas in browsers, PNG-only elsewhere. */
  codec?: ImageCodec;
}

export class WarpGenerator implements Generator {
  readonly family = WARP_FAMILY;
  private rasterBackend: RasterBackend | null = null;
  private builder: FrameMeshBuilder | null = null;
  private content: WarpContent | null = null;
  private state: 'new' | 'initialising' | 'ready' | 'disposed' = 'new';
  private scratch: Uint8ClampedArray | null = null;
  private readonly options: Required<Pick<WarpGeneratorOptions, 'backend'>> & WarpGeneratorOptions;

  constructor(options: WarpGeneratorOptions = {}) {
    const backend = options.backend ?? 'auto';
    if (!['auto', 'webgpu', 'webgl', 'cpu'].includes(backend)) throw new TypeError(`unknown backend '${String(backend)}'`);
    this.options = { ...options, backend };
  }

  get backend(): BackendKind | null {
    return this.rasterBackend?.kind ?? null;
  }

  /** Which mouth interior the last frame drew (0 before the first): 0 the mouth patch, k the mouth set's (k−1)th; null before init or without a contour. */
  get mouthInterior(): number | null {
    return this.builder?.mouthInterior ?? null;
  }

  /** The decoded embedding content (after init). */
  get warpContent(): WarpContent | null {
    return this.content;
  }

  async init(embedding: AvatarEmbedding): Promise<void> {
    if (this.state !== 'new') throw VisageError.invalidState(`init() called on a ${this.state} generator`);
    this.state = 'initialising';
    try {
      const content = await unpackWarpContent(embedding, this.options.codec);
      await this.initContent(content);
    } catch (err) {
      if (this.state === 'initialising') this.state = 'new';
      throw err;
    }
  }

  /** Like init() but from already-decoded content (offline rendering, tests). */
  async initContent(content: WarpContent): Promise<void> {
    if (this.state === 'disposed') throw VisageError.invalidState('generator disposed');
    const contour = mouthContour(content), mouthSet = contour ? content.mouthSet ?? [] : [];
    const tex = packTexture(content.atlas, content.eyeballs ? null : content.eyes, content.eyeballs, content.mouth ?? synthesizeMouthPatch(), content.plate, mouthSet.map((m) => m.patch));
    const backend = await selectBackend(this.options.backend, this.options.backendFactory);
    if ((this.state as string) === 'disposed') { backend.dispose(); throw VisageError.invalidState('generator disposed during init'); }
    backend.setTexture(tex.image);
    this.rasterBackend = backend;
    this.content = content;
    this.builder = new FrameMeshBuilder(tex, content.plateLandmarks, content.plate.width, content.plate.height, contour, content.mouth, content.atlas, mouthSet, validWidth(content.metadata.mouthWidth) ? content.metadata.mouthWidth : NaN);
    this.state = 'ready';
  }

  async render(landmarks: Float32Array, target: RenderTarget): Promise<void> {
    if (this.state !== 'ready' || !this.rasterBackend || !this.builder) throw VisageError.invalidState(`render() on a ${this.state} generator`);
    if (!(landmarks instanceof Float32Array) || landmarks.length !== LANDMARK_COUNT * 3) {
      throw new TypeError(`landmarks must be a Float32Array of ${LANDMARK_COUNT * 3} values`);
    }
    const mesh = this.builder.update(landmarks);
    if ('data' in target) {
      await this.rasterBackend.draw(mesh, target.width, target.height, target.data);
      return;
    }
    const { width, height } = target;
    if (!this.scratch || this.scratch.length !== width * height * 4) this.scratch = new Uint8ClampedArray(width * height * 4);
    await this.rasterBackend.draw(mesh, width, height, this.scratch);
    const ctx = target.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new TypeError('target canvas has no 2D context');
    ctx.putImageData(new ImageData(this.scratch as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  }

  dispose(): void {
    if (this.state === 'disposed') return;
    this.state = 'disposed';
    this.rasterBackend?.dispose();
    this.rasterBackend = null;
    this.builder = null;
    this.content = null;
    this.scratch = null;
  }
}
