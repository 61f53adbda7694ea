/**
 * Headless Chromium (with --enable-unsafe-webgpu) running the warp generator page; used by
 * e2e/generator.e2e.test.ts and the benchmark script.
 */
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { AvatarEmbedding } from '@visage/protocol';
import { bundleBrowser } from './lib/bundle.ts';
import { launchChromium } from './lib/chromium.ts';
import { CLIENT_DIR } from './lib/paths.ts';
import { startStaticServer, type StaticServer } from './lib/static-server.ts';
import type { GeneratorPageApi, WireEmbedding } from './generator-page/page.ts';

export interface GeneratorSession {
  readonly page: Page;
  call<K extends keyof GeneratorPageApi>(method: K, ...args: Parameters<GeneratorPageApi[K]>): Promise<Awaited<ReturnType<GeneratorPageApi[K]>>>;
  close(): Promise<void>;
}

export function toWireEmbedding(e: AvatarEmbedding): WireEmbedding {
  return { ...e, sections: e.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, b64: Buffer.from(s.bytes).toString('base64') })) };
}

export async function openGeneratorSession(): Promise<GeneratorSession> {
  const files = await bundleBrowser({ entries: { page: resolve(CLIENT_DIR, 'scripts/generator-page/page.ts') }, publicPath: '/bundle/' });
  files.set('/', { body: '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/bundle/page.js"></script>', type: 'text/html; charset=utf-8' });
  const server: StaticServer = await startStaticServer({ files });
  let browser: Browser | null = null;
  try {
    browser = await launchChromium({ args: ['--enable-unsafe-webgpu'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.origin + '/');
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 }).catch(() => {
      throw new Error(`generator page did not load: ${errors.join('; ')}`);
    });
    const b = browser;
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
      async close() {
        await b.close().catch(() => {});
        await server.close();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => {});
    await server.close();
    throw err;
  }
}
