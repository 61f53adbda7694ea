/**
 * Pure-TypeScript rasteriser: the reference implementation (golden tests, offline rendering,
 * eval in Node) and the last-resort fallback in browsers. Perspective-correct (attributes
 * interpolated as a/w and 1/w in screen space), depth-tested (less), bilinear texture filtering
 * with clamp-to-edge, pixel centres at (i + 0.5), inclusive edges so shared edges never crack.
 */
import type { DrawMesh, RasterBackend } from './types.ts';
import type { RgbaImage } from '../image.ts';
import { VisageError } from '@visage/protocol';

export class CpuBackend implements RasterBackend {
  readonly kind = 'cpu' as const;
  private texture: RgbaImage | null = null;
  private depth: Float32Array = new Float32Array(0);
  private disposed = false;
  private readonly clear: readonly [number, number, number, number];

  /** clear: colour of pixels no triangle covers (default opaque black; tests use a marker colour). */
  constructor(options: { clear?: readonly [number, number, number, number] } = {}) {
    this.clear = options.clear ?? [0, 0, 0, 255];
  }

  setTexture(image: RgbaImage): void {
    if (this.disposed) throw VisageError.invalidState('backend disposed');
    this.texture = image;
  }

  async draw(mesh: DrawMesh, width: number, height: number, out: Uint8ClampedArray | Uint8Array): Promise<void> {
    this.drawSync(mesh, width, height, out);
  }

  drawSync(mesh: DrawMesh, width: number, height: number, out: Uint8ClampedArray | Uint8Array): void {
    if (this.disposed) throw VisageError.invalidState('backend disposed');
    const tex = this.texture;
    if (!tex) throw VisageError.invalidState('no texture');
    if (out.length !== width * height * 4) throw new TypeError(`output buffer has ${out.length} bytes, expected ${width * height * 4}`);
    if (this.depth.length !== width * height) this.depth = new Float32Array(width * height);
    const depth = this.depth;
    depth.fill(Infinity);
    const [cr, cg, cb, ca] = this.clear;
    for (let i = 0; i < out.length; i += 4) { out[i] = cr; out[i + 1] = cg; out[i + 2] = cb; out[i + 3] = ca; }

    const P = mesh.positions, T = mesh.uvs, I = mesh.indices;
    const tw = tex.width, th = tex.height, td = tex.data;
    for (let t = 0; t < I.length; t += 3) {
      const i0 = I[t]!, i1 = I[t + 1]!, i2 = I[t + 2]!;
      const x0 = P[i0 * 4]! * width, y0 = P[i0 * 4 + 1]! * height, z0 = P[i0 * 4 + 2]!, q0 = 1 / P[i0 * 4 + 3]!;
      const x1 = P[i1 * 4]! * width, y1 = P[i1 * 4 + 1]! * height, z1 = P[i1 * 4 + 2]!, q1 = 1 / P[i1 * 4 + 3]!;
      const x2 = P[i2 * 4]! * width, y2 = P[i2 * 4 + 1]! * height, z2 = P[i2 * 4 + 2]!, q2 = 1 / P[i2 * 4 + 3]!;
      const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
      if (!(Math.abs(area) > 1e-12)) continue;
      const inv = 1 / area;
      const minX = Math.max(0, Math.floor(Math.min(x0, x1, x2) - 0.5));
      const maxX = Math.min(width - 1, Math.ceil(Math.max(x0, x1, x2) - 0.5));
      const minY = Math.max(0, Math.floor(Math.min(y0, y1, y2) - 0.5));
      const maxY = Math.min(height - 1, Math.ceil(Math.max(y0, y1, y2) - 0.5));
      if (minX > maxX || minY > maxY) continue;
      // Texture coordinates pre-divided by w, in texel units.
      const u0 = T[i0 * 2]! * tw * q0, v0 = T[i0 * 2 + 1]! * th * q0;
      const u1 = T[i1 * 2]! * tw * q1, v1 = T[i1 * 2 + 1]! * th * q1;
      const u2 = T[i2 * 2]! * tw * q2, v2 = T[i2 * 2 + 1]! * th * q2;
      for (let py = minY; py <= maxY; py++) {
        const cy = py + 0.5;
        for (let px = minX; px <= maxX; px++) {
          const cx = px + 0.5;
          // Barycentrics, normalised by the signed area so both windings work.
          const b0 = ((x1 - cx) * (y2 - cy) - (x2 - cx) * (y1 - cy)) * inv;
          const b1 = ((x2 - cx) * (y0 - cy) - (x0 - cx) * (y2 - cy)) * inv;
          const b2 = 1 - b0 - b1;
          if (b0 < -1e-7 || b1 < -1e-7 || b2 < -1e-7) continue;
          const z = b0 * z0 + b1 * z1 + b2 * z2;
          const di = py * width + px;
          if (!(z < depth[di]!)) continue;
          depth[di] = z;
          const q = b0 * q0 + b1 * q1 + b2 * q2;
          let fx = (b0 * u0 + b1 * u1 + b2 * u2) / q - 0.5;
          let fy = (b0 * v0 + b1 * v1 + b2 * v2) / q - 0.5;
          if (fx < 0) fx = 0; else if (fx > tw - 1) fx = tw - 1;
          if (fy < 0) fy = 0; else if (fy > th - 1) fy = th - 1;
          const ix = fx | 0, iy = fy | 0;
          const ax = fx - ix, ay = fy - iy;
          const jx = ix + 1 < tw ? 4 : 0, jy = iy + 1 < th ? tw * 4 : 0;
          const s = (iy * tw + ix) * 4, o = di * 4;
          for (let c = 0; c < 3; c++) {
            const a = td[s + c]!, b = td[s + jx + c]!, d = td[s + jy + c]!, e = td[s + jx + jy + c]!;
            const top = a + (b - a) * ax, bot = d + (e - d) * ax;
            out[o + c] = (top + (bot - top) * ay + 0.5) | 0;
          }
          out[o + 3] = 255;
        }
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.texture = null;
    this.depth = new Float32Array(0);
  }
}
