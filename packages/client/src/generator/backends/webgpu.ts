/**
 * WebGPU backend (WGSL render pipeline): one texture, one indexed draw into an rgba8unorm
 * target with depth24plus, copied to a mappable buffer for readback. Same conventions as the
 * CPU rasteriser (see types.ts): clip = (x'·w, y'·w, depth·w, w), linear filtering, clamp-to-edge.
 */
import { VisageError } from '@visage/protocol';
import type { DrawMesh, RasterBackend } from './types.ts';
import type { RgbaImage } from '../image.ts';
import {
  BufferUsage, MapMode, TextureUsage, navigatorGpu, type GpuBuffer, type GpuDevice, type GpuTexture,
} from './webgpu-types.ts';

const WGSL = /* wgsl */ `
struct VsOut { @builtin(position) pos: vec4f, @location(0) uv: vec2f };
@vertex fn vs(@location(0) p: vec4f, @location(1) uv: vec2f) -> VsOut {
  var o: VsOut;
  let w = p.w;
  o.pos = vec4f((p.x * 2.0 - 1.0) * w, (1.0 - p.y * 2.0) * w, p.z * w, w);
  o.uv = uv;
  return o;
}
@group(0) @binding(0) var tex: texture_2d<f32>;
@group(0) @binding(1) var samp: sampler;
@fragment fn fs(i: VsOut) -> @location(0) vec4f {
  return vec4f(textureSample(tex, samp, i.uv).rgb, 1.0);
}`;

export interface WebGpuBackendOptions {
  /** Use this device (not destroyed on dispose); default: request one from navigator.gpu. */
  device?: GpuDevice;
}

export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend | null> {
  if (options.device) return new WebGpuBackend(options.device, false);
  const gpu = navigatorGpu();
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const device = await adapter.requestDevice();
  return new WebGpuBackend(device, true);
}

export class WebGpuBackend implements RasterBackend {
  readonly kind = 'webgpu' as const;
  private readonly pipeline: { getBindGroupLayout(i: number): unknown };
  private readonly sampler: unknown;
  private texture: GpuTexture | null = null;
  private bindGroup: unknown = null;
  private color: GpuTexture | null = null;
  private depth: GpuTexture | null = null;
  private readback: GpuBuffer | null = null;
  private size = [0, 0];
  private posBuf: GpuBuffer | null = null;
  private uvBuf: GpuBuffer | null = null;
  private idxBuf: GpuBuffer | null = null;
  private uploadedIndices: Uint32Array | null = null;
  private disposed = false;

  constructor(private readonly device: GpuDevice, private readonly ownsDevice: boolean) {
    const module = device.createShaderModule({ code: WGSL });
    this.pipeline = device.createRenderPipeline({
      layout: 'auto',
      vertex: {
        module, entryPoint: 'vs',
        buffers: [
          { arrayStride: 16, attributes: [{ shaderLocation: 0, offset: 0, format: 'float32x4' }] },
          { arrayStride: 8, attributes: [{ shaderLocation: 1, offset: 0, format: 'float32x2' }] },
        ],
      },
      fragment: { module, entryPoint: 'fs', targets: [{ format: 'rgba8unorm' }] },
      primitive: { topology: 'triangle-list', cullMode: 'none' },
      depthStencil: { format: 'depth24plus', depthWriteEnabled: true, depthCompare: 'less' },
    });
    this.sampler = device.createSampler({ magFilter: 'linear', minFilter: 'linear', addressModeU: 'clamp-to-edge', addressModeV: 'clamp-to-edge' });
  }

  setTexture(image: RgbaImage): void {
    this.check();
    this.texture?.destroy();
    const tex = this.device.createTexture({ size: [image.width, image.height], format: 'rgba8unorm', usage: TextureUsage.TEXTURE_BINDING | TextureUsage.COPY_DST });
    this.device.queue.writeTexture({ texture: tex }, image.data, { bytesPerRow: image.width * 4, rowsPerImage: image.height }, { width: image.width, height: image.height });
    this.texture = tex;
    this.bindGroup = this.device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: tex.createView() }, { binding: 1, resource: this.sampler }],
    });
  }

  private ensureTarget(width: number, height: number): void {
    if (this.size[0] === width && this.size[1] === height && this.color) return;
    this.color?.destroy(); this.depth?.destroy(); this.readback?.destroy();
    this.color = this.device.createTexture({ size: [width, height], format: 'rgba8unorm', usage: TextureUsage.RENDER_ATTACHMENT | TextureUsage.COPY_SRC });
    this.depth = this.device.createTexture({ size: [width, height], format: 'depth24plus', usage: TextureUsage.RENDER_ATTACHMENT });
    this.readback = this.device.createBuffer({ size: paddedRow(width) * height, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.size = [width, height];
  }

  private ensureBuffers(mesh: DrawMesh): void {
    const d = this.device;
    const grow = (b: GpuBuffer | null, bytes: number, usage: number, cur: number) => {
      if (b && cur >= bytes) return b;
      b?.destroy();
      return d.createBuffer({ size: align4(bytes), usage });
    };
    const vBytes = mesh.positions.byteLength, uBytes = mesh.uvs.byteLength;
    if (!this.posBuf || this.posBytes < vBytes) { this.posBuf = grow(this.posBuf, vBytes, BufferUsage.VERTEX | BufferUsage.COPY_DST, 0); this.posBytes = vBytes; }
    if (!this.uvBuf || this.uvBytes < uBytes) { this.uvBuf = grow(this.uvBuf, uBytes, BufferUsage.VERTEX | BufferUsage.COPY_DST, 0); this.uvBytes = uBytes; }
    if (this.uploadedIndices !== mesh.indices) {
      this.idxBuf?.destroy();
      this.idxBuf = d.createBuffer({ size: align4(mesh.indices.byteLength), usage: BufferUsage.INDEX | BufferUsage.COPY_DST });
      d.queue.writeBuffer(this.idxBuf, 0, mesh.indices);
      this.uploadedIndices = mesh.indices;
    }
  }
  private posBytes = 0;
  private uvBytes = 0;

  async draw(mesh: DrawMesh, width: number, height: number, out: Uint8ClampedArray | Uint8Array): Promise<void> {
    this.check();
    if (!this.texture) throw VisageError.invalidState('no texture');
    if (out.length !== width * height * 4) throw new TypeError(`output buffer has ${out.length} bytes, expected ${width * height * 4}`);
    this.ensureTarget(width, height);
    this.ensureBuffers(mesh);
    const d = this.device;
    d.queue.writeBuffer(this.posBuf!, 0, mesh.positions);
    d.queue.writeBuffer(this.uvBuf!, 0, mesh.uvs);
    const enc = d.createCommandEncoder();
    const pass = enc.beginRenderPass({
      colorAttachments: [{ view: this.color!.createView(), clearValue: { r: 0, g: 0, b: 0, a: 1 }, loadOp: 'clear', storeOp: 'store' }],
      depthStencilAttachment: { view: this.depth!.createView(), depthClearValue: 1, depthLoadOp: 'clear', depthStoreOp: 'discard' },
    });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    pass.setVertexBuffer(0, this.posBuf!);
    pass.setVertexBuffer(1, this.uvBuf!);
    pass.setIndexBuffer(this.idxBuf!, 'uint32');
    pass.drawIndexed(mesh.indices.length);
    pass.end();
    const row = paddedRow(width);
    enc.copyTextureToBuffer({ texture: this.color }, { buffer: this.readback, bytesPerRow: row, rowsPerImage: height }, [width, height]);
    d.queue.submit([enc.finish()]);
    const rb = this.readback!;
    await rb.mapAsync(MapMode.READ);
    const src = new Uint8Array(rb.getMappedRange());
    for (let y = 0; y < height; y++) out.set(src.subarray(y * row, y * row + width * 4), y * width * 4);
    rb.unmap();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of [this.texture, this.color, this.depth, this.readback, this.posBuf, this.uvBuf, this.idxBuf]) r?.destroy();
    this.texture = this.color = this.depth = null;
    this.readback = this.posBuf = this.uvBuf = this.idxBuf = null;
    this.bindGroup = null;
    if (this.ownsDevice) this.device.destroy();
  }

  private check(): void {
    if (this.disposed) throw VisageError.invalidState('backend disposed');
  }
}

function paddedRow(width: number): number { return Math.ceil((width * 4) / 256) * 256; }
function align4(n: number): number { return Math.max(4, Math.ceil(n / 4) * 4); }
