/**
 * tfjs backend choice for the neural generator. tfjs's engine is global, so this picks the
 * process-wide backend: 'auto' tries webgpu → webgl → wasm → cpu and keeps the first that
 * initialises. Backend packages are imported lazily so an app only pays for what it uses.
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

/** Makes `name` (or the first working one for 'auto') the active tfjs backend; returns its name. */
export async function useTfBackend(pref: TfBackendPreference, options: TfBackendOptions = {}): Promise<TfBackendName> {
  if (pref !== 'auto' && !TF_AUTO_ORDER.includes(pref)) throw new TypeError(`unknown tfjs backend '${String(pref)}'`);
  const order = pref === 'auto' ? TF_AUTO_ORDER : [pref];
  const errors: string[] = [];
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
