import type { AvatarEmbedding } from '@visage/protocol';

/** Which rasterisation backend a generator runs on. */
export type BackendKind = 'webgpu' | 'webgl' | 'cpu';
/** What to ask for: a specific backend, or the best one available ('auto': webgpu → webgl → cpu). */
export type BackendPreference = BackendKind | 'auto';

/** A CPU-side RGBA8 frame (row-major, top row first, 4 bytes per pixel). */
export interface PixelTarget {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** Where a generator draws: a pixel buffer (all backends) or a 2D-capable canvas. */
export type RenderTarget = PixelTarget | HTMLCanvasElement | OffscreenCanvas;

/**
 * A receiver-side face generator: turns (avatar embedding, decoded landmarks) into frames.
 * Landmarks are MediaPipe's 478×3 normalised layout (x right, y down in [0, 1] of the output
 * frame, z relative depth in x units, smaller = closer), already retargeted to the avatar
 * (see `retarget.ts`).
 */
export interface Generator {
  /** Generator family, e.g. 'warp'. */
  readonly family: string;
  /** The backend actually in use; null before `init()` resolves. */
  readonly backend: BackendKind | null;
  /** Decodes the embedding and uploads GPU resources. Must be called once before `render()`. */
  init(embedding: AvatarEmbedding): Promise<void>;
  /** Draws one frame. Throws `TypeError` on a wrong landmark count, `VisageError(invalid_state)` before init/after dispose. */
  render(landmarks: Float32Array, target: RenderTarget): Promise<void>;
  /** Releases every GPU resource; idempotent. The generator is unusable afterwards. */
  dispose(): void;
}
