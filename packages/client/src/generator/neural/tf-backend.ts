/**
 * tfjs backend choice for the neural generator. tfjs's engine is global, so this picks the
 * process-wide backend: 'auto' tries webgpu → webgl → wasm → cpu on a real GPU and keeps the first
 * that initialises. A software GPU (SwiftShader, llvmpipe: what a browser offers without a usable
 * GPU) is passed over for wasm: in headless Chromium here SwiftShader's WebGPU is ~100× and its
 * WebGL ~5× slower than wasm for the refiners (packages/client/README.md). Software WebGL is still
 * tried after wasm, before tfjs-cpu; software WebGPU only when asked for by name.
 * Backend packages are imported lazily so an app only pays for what it uses.
 *
 * wasm: the .wasm binaries are never fetched from a CDN — `wasmPath` (a URL folder served by
 * the app, ending in '/', holding tfjs-backend-wasm*.wasm from @tensorflow/tfjs-backend-wasm/dist)
 * is required, or a filesystem folder in Node.
 */
import * as tf from '@tensorflow/tfjs-core';

export type TfBackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type TfBackendPreference = TfBackendName | 'auto';
export const TF_AUTO_ORDER: readonly TfBackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface TfBackendOptions {
  /** Folder (URL in browsers, path in Node) with the tfjs-backend-wasm .wasm files; wasm is skipped without it. */
  wasmPath?: string;
  /**
   * Let tfjs-backend-wasm use its multi-threaded build; default false. Threads need a
   * cross-origin-isolated page whose CSP allows blob: workers (tfjs spawns them from blob URLs).
   */
  wasmThreads?: boolean;
}

let wasmPathSet: string | null = null;

async function register(name: TfBackendName, options: TfBackendOptions): Promise<boolean> {
  if (tf.findBackendFactory(name)) return true;
  switch (name) {
    case 'webgpu':
      if (typeof navigator === 'undefined' || !(navigator as Navigator & { gpu?: unknown }).gpu) return false;
      await import('@tensorflow/tfjs-backend-webgpu');
      return true;
    case 'webgl':
      if (typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') return false;
      await import('@tensorflow/tfjs-backend-webgl');
      return true;
    case 'wasm': {
      if (!options.wasmPath) return false;
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (wasmPathSet === null) {
        wasm.setWasmPaths(options.wasmPath.endsWith('/') ? options.wasmPath : `${options.wasmPath}/`);
        wasmPathSet = options.wasmPath;
      }
      if (!options.wasmThreads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      return true;
    }
    case 'cpu':
      // A dependency of tfjs-backend-webgl, registered here for Node and as the last resort.
      await import('@tensorflow/tfjs-backend-cpu');
      return true;
  }
}

/** Renderer names of software rasterisers (WebGL's UNMASKED_RENDERER, WebGPU's adapter info). */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render/i;

const softwareProbes = new Map<'webgpu' | 'webgl', Promise<string | null>>();

/**
 * Why `name` runs on a software GPU ('SwiftShader …'), or null for a hardware GPU or when it cannot
 * be told. Probes once per page with its own adapter or context, which it releases.
 */
export function softwareGpu(name: 'webgpu' | 'webgl'): Promise<string | null> {
  let probe = softwareProbes.get(name);
  if (!probe) softwareProbes.set(name, (probe = probeSoftwareGpu(name)));
  return probe;
}

async function probeSoftwareGpu(name: 'webgpu' | 'webgl'): Promise<string | null> {
  try {
    if (name === 'webgpu') {
      type Adapter = { isFallbackAdapter?: boolean; info?: Record<string, string | undefined>; requestAdapterInfo?: () => Promise<Record<string, string | undefined>> };
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(o?: object): Promise<Adapter | null> } }).gpu;
      const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return null;
      const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
      const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
      if (SOFTWARE_RENDERER.test(text)) return text;
      return adapter.isFallbackAdapter ? `fallback adapter ${text}`.trim() : null;
    }
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return SOFTWARE_RENDERER.test(renderer) ? renderer : null;
  } catch {
    return null;
  }
}

/**
 * Makes `name` (or for 'auto' the first working one, hardware GPUs first) the active tfjs backend;
 * returns its name.
 */
export async function useTfBackend(pref: TfBackendPreference, options: TfBackendOptions = {}): Promise<TfBackendName> {
  if (pref !== 'auto' && !TF_AUTO_ORDER.includes(pref)) throw new TypeError(`unknown tfjs backend '${String(pref)}'`);
  const errors: string[] = [];
  let order: TfBackendName[] = [pref as TfBackendName];
  if (pref === 'auto') {
    order = [];
    let softwareGl = false;
    for (const name of TF_AUTO_ORDER) {
      const sw = name === 'webgpu' || name === 'webgl' ? await softwareGpu(name) : null;
      if (sw === null) order.push(name);
      else {
        errors.push(`${name}: software GPU (${sw})`);
        softwareGl ||= name === 'webgl';
      }
    }
    // A software GPU's WebGL still beats tfjs-cpu; its WebGPU does not.
    if (softwareGl) order.splice(order.indexOf('cpu'), 0, 'webgl');
  }
  for (const name of order) {
    if (tf.getBackend() === name && tf.engine().backendNames().includes(name)) return name;
    try {
      if (!(await register(name, options))) { errors.push(`${name}: unavailable`); continue; }
      if (await tf.setBackend(name)) { await tf.ready(); return name; }
      errors.push(`${name}: failed to initialise`);
    } catch (err) {
      errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no tfjs backend available (${errors.join('; ')})`);
}
