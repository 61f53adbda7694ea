/**
 * Headless Chromium (--enable-unsafe-webgpu) running the neural generator page, with the
 * weights mounted at /models/neural/ and tfjs-backend-wasm's binaries at /tfjs-wasm/ (served
 * here, never from a CDN). Used by bench-neural.ts and e2e/neural-generator.e2e.test.ts.
 */
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import type { AvatarEmbedding } from '@visage/protocol';
import { bundleBrowser } from './lib/bundle.ts';
import { launchChromium } from './lib/chromium.ts';
import { CLIENT_DIR, REPO_ROOT } from './lib/paths.ts';
import { startStaticServer, type StaticServer } from './lib/static-server.ts';
import type { NeuralPageApi, NeuralRunResult, WireEmbedding } from './neural-page/page.ts';

export const NEURAL_WEIGHTS_DIR = resolve(REPO_ROOT, 'models/weights/neural');

export interface NeuralSession {
  run(...args: Parameters<NeuralPageApi['run']>): Promise<NeuralRunResult>;
  close(): Promise<void>;
}

export function toWire(e: AvatarEmbedding): WireEmbedding {
  return { ...e, sections: e.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, b64: Buffer.from(s.bytes).toString('base64') })) };
}

export async function openNeuralSession(): Promise<NeuralSession> {
  const files = await bundleBrowser({ entries: { page: resolve(CLIENT_DIR, 'scripts/neural-page/page.ts') }, publicPath: '/bundle/' });
  files.set('/', { body: '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/bundle/page.js"></script>', type: 'text/html; charset=utf-8' });
  const server: StaticServer = await startStaticServer({
    files,
    mounts: { '/models/neural/': NEURAL_WEIGHTS_DIR, '/tfjs-wasm/': resolve(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') },
  });
  let browser: Browser | null = null;
  try {
    browser = await launchChromium({ args: ['--enable-unsafe-webgpu'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.origin + '/');
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 }).catch(() => {
      throw new Error(`neural page did not load: ${errors.join('; ')}`);
    });
    const b = browser;
    return {
      run: (...args) =>
        page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.run(...a), args).catch((err: unknown) => {
          throw new Error(`${err instanceof Error ? err.message.split('\n')[0] : String(err)} ${errors.join('; ')}`);
        }),
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
