/**
 * Browser page for the warp generator's real-browser tests and benchmark: exposes
 * `globalThis.visageGenerator` (see GeneratorPageApi), driven from Node with page.evaluate.
 */
import type { AvatarEmbedding } from '@visage/protocol';
import { WarpGenerator } from '../../src/generator/warp/warp-generator.ts';
import { pngCodec } from '../../src/generator/codec.ts';
import { createWebGlBackend } from '../../src/generator/backends/webgl.ts';
import { createWebGpuBackend } from '../../src/generator/backends/webgpu.ts';
import { navigatorGpu, type GpuDevice } from '../../src/generator/backends/webgpu-types.ts';
import type { BackendKind } from '../../src/generator/types.ts';

export interface WireEmbedding { formatVersion: number; generator: { family: string; version: number }; sections: { type: number; mandatory: boolean; b64: string }[] }

export interface GeneratorPageApi {
  /** Renders each landmark set at width×height with the given backend; pixels as base64 RGBA. */
  render(backend: BackendKind | 'auto', embedding: WireEmbedding, landmarks: number[][], width: number, height: number): Promise<{ backend: string | null; frames: string[] }>;
  /** ms per frame over n renders (after 3 warm-up frames), cycling through the landmark sets. */
  bench(backend: BackendKind, embedding: WireEmbedding, landmarks: number[][], width: number, height: number, n: number): Promise<{ backend: string | null; msPerFrame: number }>;
  /** Creates, renders and disposes with instrumented GPU objects; returns live object counts before and after dispose. */
  disposeCheck(backend: 'webgl' | 'webgpu', embedding: WireEmbedding, landmarks: number[]): Promise<{ liveBefore: number; liveAfter: number; created: number }>;
  available(): Promise<Record<BackendKind, boolean>>;
}

const b64ToBytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
function bytesToB64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}
const toEmbedding = (w: WireEmbedding): AvatarEmbedding => ({ ...w, sections: w.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, bytes: b64ToBytes(s.b64) })) });

function countingGl(): { gl: WebGL2RenderingContext; live: () => number; created: () => number } {
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2', { antialias: false, depth: false }) as WebGL2RenderingContext;
  let live = 0, created = 0;
  const g = gl as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const kind of ['Buffer', 'Texture', 'Framebuffer', 'Renderbuffer', 'VertexArray', 'Program']) {
    const c = g[`create${kind}`]!.bind(gl), d = g[`delete${kind}`]!.bind(gl);
    g[`create${kind}`] = (...a: unknown[]) => { const r = c(...a); if (r) { live++; created++; } return r; };
    g[`delete${kind}`] = (...a: unknown[]) => { if (a[0]) live--; return d(...a); };
  }
  return { gl, live: () => live, created: () => created };
}

async function countingDevice(): Promise<{ device: GpuDevice; live: () => number; created: () => number }> {
  const adapter = await navigatorGpu()!.requestAdapter();
  const device = await adapter!.requestDevice();
  let live = 0, created = 0;
  const d = device as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ['createBuffer', 'createTexture']) {
    const orig = d[m]!.bind(device);
    d[m] = (...a: unknown[]) => {
      const r = orig(...a) as { destroy(): void };
      live++; created++;
      const destroy = r.destroy.bind(r);
      let done = false;
      r.destroy = () => { if (!done) { done = true; live--; } destroy(); };
      return r;
    };
  }
  return { device, live: () => live, created: () => created };
}

const api: GeneratorPageApi = {
  async render(backend, embedding, landmarks, width, height) {
    const g = new WarpGenerator({ backend, codec: pngCodec });
    await g.init(toEmbedding(embedding));
    const frames: string[] = [];
    const out = { width, height, data: new Uint8ClampedArray(width * height * 4) };
    for (const l of landmarks) {
      await g.render(Float32Array.from(l), out);
      frames.push(bytesToB64(new Uint8Array(out.data.buffer)));
    }
    const used = g.backend;
    g.dispose();
    return { backend: used, frames };
  },
  async bench(backend, embedding, landmarks, width, height, n) {
    const g = new WarpGenerator({ backend, codec: pngCodec });
    await g.init(toEmbedding(embedding));
    const out = { width, height, data: new Uint8ClampedArray(width * height * 4) };
    const lms = landmarks.map((l) => Float32Array.from(l));
    for (let i = 0; i < 3; i++) await g.render(lms[i % lms.length]!, out);
    const t = performance.now();
    for (let i = 0; i < n; i++) await g.render(lms[i % lms.length]!, out);
    const ms = (performance.now() - t) / n;
    const used = g.backend;
    g.dispose();
    return { backend: used, msPerFrame: ms };
  },
  async disposeCheck(backend, embedding, landmarks) {
    const counted = backend === 'webgl' ? countingGl() : await countingDevice();
    const g = new WarpGenerator({
      backend,
      codec: pngCodec,
      backendFactory: async () => ('gl' in counted ? createWebGlBackend({ gl: counted.gl }) : createWebGpuBackend({ device: counted.device })),
    });
    await g.init(toEmbedding(embedding));
    const out = { width: 32, height: 32, data: new Uint8ClampedArray(32 * 32 * 4) };
    await g.render(Float32Array.from(landmarks), out);
    const liveBefore = counted.live();
    g.dispose();
    const liveAfter = counted.live();
    if ('device' in counted) counted.device.destroy();
    return { liveBefore, liveAfter, created: counted.created() };
  },
  async available() {
    const gl = !!new OffscreenCanvas(1, 1).getContext('webgl2');
    const adapter = navigatorGpu() ? await navigatorGpu()!.requestAdapter() : null;
    return { cpu: true, webgl: gl, webgpu: !!adapter };
  },
};
(globalThis as unknown as { visageGenerator: GeneratorPageApi }).visageGenerator = api;
document.title = 'ready';
