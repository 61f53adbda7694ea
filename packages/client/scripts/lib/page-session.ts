/**
 * A browser page for scripts and e2e tests: bundles `entry` with esbuild, serves it
 * (plus `mounts`) from a local static server, opens it in headless Chromium and waits
 * until the page sets `document.title = 'ready'`. `close()` ends browser and server.
 */
import type { Browser, Page } from 'playwright-core';
import type { AvatarEmbedding } from '@visage/protocol';
import { bundleBrowser } from './bundle.ts';
import { launchChromium } from './chromium.ts';
import { startStaticServer } from './static-server.ts';

export interface PageSessionOptions {
  /** Browser entry file (absolute path). */
  entry: string;
  /** URL prefix → folder on disk. */
  mounts?: Record<string, string>;
  /** Extra Chromium switches. Default: `--enable-unsafe-webgpu`. */
  args?: string[];
  readyTimeoutMs?: number;
  /** For error messages, e.g. 'neural page'. */
  name: string;
}

export interface PageSession {
  readonly page: Page;
  /** Uncaught page errors so far. */
  readonly errors: string[];
  close(): Promise<void>;
}

export async function openPageSession(options: PageSessionOptions): Promise<PageSession> {
  const files = await bundleBrowser({ entries: { page: options.entry }, publicPath: '/bundle/' });
  files.set('/', { body: '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/bundle/page.js"></script>', type: 'text/html; charset=utf-8' });
  const server = await startStaticServer({ files, ...(options.mounts ? { mounts: options.mounts } : {}) });
  let browser: Browser | null = null;
  try {
    browser = await launchChromium({ args: options.args ?? ['--enable-unsafe-webgpu'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.origin + '/');
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: options.readyTimeoutMs ?? 30_000 }).catch(() => {
      throw new Error(`${options.name} did not load: ${errors.join('; ')}`);
    });
    const b = browser;
    return {
      page,
      errors,
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

/** An embedding as JSON for `page.evaluate` (section bytes as base64). */
export interface WireEmbedding {
  formatVersion: number;
  generator: { family: string; version: number };
  sections: { type: number; mandatory: boolean; b64: string }[];
}

export function toWireEmbedding(e: AvatarEmbedding): WireEmbedding {
  return { ...e, sections: e.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, b64: Buffer.from(s.bytes).toString('base64') })) };
}
