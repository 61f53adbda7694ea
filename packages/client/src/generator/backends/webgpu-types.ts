/**
 * The slice of the WebGPU API this package uses (TypeScript's DOM lib does not ship WebGPU
 * types and @webgpu/types is not a dependency). Structural, so real GPU objects satisfy it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface GpuBuffer { destroy(): void; mapAsync(mode: number): Promise<void>; getMappedRange(): ArrayBuffer; unmap(): void }
export interface GpuTexture { destroy(): void; createView(): unknown }
export interface GpuQueue {
  writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView): void;
  writeTexture(dst: { texture: GpuTexture }, data: ArrayBufferView, layout: { bytesPerRow: number; rowsPerImage?: number }, size: { width: number; height: number }): void;
  submit(cmds: unknown[]): void;
  onSubmittedWorkDone(): Promise<void>;
}
export interface GpuRenderPass {
  setPipeline(p: unknown): void; setBindGroup(i: number, g: unknown): void;
  setVertexBuffer(slot: number, b: GpuBuffer): void; setIndexBuffer(b: GpuBuffer, format: 'uint32'): void;
  drawIndexed(count: number): void; end(): void;
}
export interface GpuEncoder {
  beginRenderPass(desc: any): GpuRenderPass;
  copyTextureToBuffer(src: any, dst: any, size: any): void;
  finish(): unknown;
}
export interface GpuDevice {
  readonly queue: GpuQueue;
  readonly lost: Promise<unknown>;
  createBuffer(desc: { size: number; usage: number; mappedAtCreation?: boolean }): GpuBuffer;
  createTexture(desc: any): GpuTexture;
  createSampler(desc: any): unknown;
  createShaderModule(desc: { code: string }): unknown;
  createRenderPipeline(desc: any): { getBindGroupLayout(i: number): unknown };
  createBindGroup(desc: any): unknown;
  createCommandEncoder(): GpuEncoder;
  destroy(): void;
}
export interface GpuAdapter { requestDevice(desc?: any): Promise<GpuDevice>; readonly info?: { vendor?: string; architecture?: string; description?: string } }
export interface Gpu { requestAdapter(opts?: any): Promise<GpuAdapter | null> }

export const BufferUsage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, INDEX: 0x10, VERTEX: 0x20 } as const;
export const TextureUsage = { COPY_SRC: 0x1, COPY_DST: 0x2, TEXTURE_BINDING: 0x4, RENDER_ATTACHMENT: 0x10 } as const;
export const MapMode = { READ: 0x1 } as const;

export function navigatorGpu(): Gpu | null {
  const nav = (globalThis as { navigator?: { gpu?: Gpu } }).navigator;
  return nav?.gpu ?? null;
}
