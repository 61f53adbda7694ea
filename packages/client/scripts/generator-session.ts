/**
 * Headless Chromium (with --enable-unsafe-webgpu) running the warp generator page; used by
 * e2e/generator.e2e.test.ts and the benchmark script.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { CLIENT_DIR } from './lib/paths.ts';
import { openPageSession, toWireEmbedding } from './lib/page-session.ts';
import type { GeneratorPageApi } from './generator-page/page.ts';

export interface GeneratorSession {
  readonly page: Page;
  call<K extends keyof GeneratorPageApi>(method: K, ...args: Parameters<GeneratorPageApi[K]>): Promise<Awaited<ReturnType<GeneratorPageApi[K]>>>;
  close(): Promise<void>;
}

export { toWireEmbedding };

export async function openGeneratorSession(): Promise<GeneratorSession> {
  const { page, close } = await openPageSession({ entry: resolve(CLIENT_DIR, 'scripts/generator-page/page.ts'), name: 'generator page' });
  return {
    page,
    call: (method, ...args) =>
      page.evaluate(
        ([m, a]) => {
          const api = (globalThis as unknown as { visageGenerator: Record<string, (...x: unknown[]) => unknown> }).visageGenerator;
          return api[m as string]!(...(a as unknown[]));
        },
        [method, args] as const,
      ) as never,
    close,
  };
}
