import type { BackendKind } from '../types.ts';
import type { RgbaImage } from '../image.ts';

/**
 * One frame's geometry. Topology (indices, vertex count) is fixed per generator instance;
 * positions and uvs change every frame.
 */
export interface DrawMesh {
  /** 4 floats per vertex: x, y in [0, 1] of the target (top-left origin), depth in [0, 1] (0 = near), w > 0 (perspective). */
  positions: Float32Array;
  /** 2 floats per vertex: texture coordinates in [0, 1] of the packed texture (top-left origin). */
  uvs: Float32Array;
  indices: Uint32Array;
}

/**
 * A rasterisation backend: draws a textured, depth-tested, perspective-correct triangle mesh
 * with bilinear texture filtering into an RGBA8 frame. All backends implement the same
 * semantics so their images agree up to rounding and edge coverage.
 */
export interface RasterBackend {
  readonly kind: BackendKind;
  /** Uploads the texture (replacing any previous one). */
  setTexture(image: RgbaImage): void;
  /** Draws mesh into a width×height frame and writes its pixels to `out` (RGBA8, top row first). */
  draw(mesh: DrawMesh, width: number, height: number, out: Uint8ClampedArray | Uint8Array): Promise<void>;
  /** Frees GPU memory; idempotent. */
  dispose(): void;
}

/** Creates a backend, or returns null when this platform cannot run it. */
export type BackendFactory = (kind: BackendKind) => Promise<RasterBackend | null>;
