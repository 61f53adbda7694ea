/**
 * Backend selection: 'auto' tries WebGPU, then WebGL2, then the CPU rasteriser; an explicit
 * kind must be available or creation fails. The factory is injectable (tests, workers, apps
 * that own their GPU device).
 */
import type { BackendKind, BackendPreference } from '../types.ts';
import type { BackendFactory, RasterBackend } from './types.ts';
import { CpuBackend } from './cpu.ts';

export const AUTO_ORDER: readonly BackendKind[] = ['webgpu', 'webgl', 'cpu'];

/** The default factory: GPU backends are loaded lazily so Node never touches them. */
export const defaultBackendFactory: BackendFactory = async (kind) => {
  switch (kind) {
    case 'cpu':
      return new CpuBackend();
    case 'webgl': {
      const { createWebGlBackend } = await import('./webgl.ts');
      return createWebGlBackend();
    }
    case 'webgpu': {
      const { createWebGpuBackend } = await import('./webgpu.ts');
      return createWebGpuBackend();
    }
  }
};

export async function selectBackend(pref: BackendPreference, factory: BackendFactory = defaultBackendFactory): Promise<RasterBackend> {
  const order = pref === 'auto' ? AUTO_ORDER : [pref];
  const errors: string[] = [];
  for (const kind of order) {
    try {
      const b = await factory(kind);
      if (b) return b;
      errors.push(`${kind}: unavailable`);
    } catch (err) {
      errors.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no rasterisation backend available (${errors.join('; ')})`);
}
