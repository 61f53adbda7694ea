/**
 * The one headless-Chromium page of an eval run (see page/page.ts): bundling, the local
 * server (tracker assets, Human's models, tfjs wasm binaries) and typed calls into the page.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { bundleBrowser } from '../../packages/client/scripts/lib/bundle.ts';
import { launchChromium } from '../../packages/client/scripts/lib/chromium.ts';
import { CLIENT_DIR, trackingAssetMounts } from '../../packages/client/scripts/lib/paths.ts';
import { NO_PHONE_HOME_CSP, startStaticServer, type StaticServer } from '../../packages/client/scripts/lib/static-server.ts';
import type { AnalysedFrame, EvalPageApi, EvalPageInfo, TrackedFrame, WireEmbedding } from './page/page.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const HUMAN_MODELS_DIR = resolve(dirname(require.resolve('@vladmandic/human')), '../models');
const TFJS_WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));


export interface EvalSession {
  readonly info: EvalPageInfo;
  readonly page: Page;
  track(rgba: Uint8Array, width: number, height: number, t: number): Promise<TrackedFrame>;
  analyse(rgba: Uint8Array, width: number, height: number, cropLandmarks: Float32Array | null): Promise<{ landmarks: Float32Array | null; embedding: Float32Array | null; trackMs: number; embedMs: number }>;
  /** Many frames of one size in one page call. */
  analyseMany(frames: Uint8Array[], width: number, height: number, cropLandmarks: (Float32Array | null)[]): Promise<{ landmarks: Float32Array | null; embedding: Float32Array | null; trackMs: number; embedMs: number }[]>;
  initReceiver(generator: string, embedding: WireEmbedding, neutral: Float32Array, initialLandmarks: Float32Array): Promise<{ backend: string | null; family: string }>;
  render(packets: Uint8Array[], keep: number[], width: number, height: number): Promise<{ frames: (Uint8Array | null)[]; renderMs: number; decodeMs: number }>;
  close(): Promise<void>;
}

export interface EvalSessionOptions {
  /** Load faceres for CSIM (default true). */
  faceres?: boolean;
  browser?: Browser;
}

export async function openEvalSession(options: EvalSessionOptions = {}): Promise<EvalSession> {
  const files = await bundleBrowser({
    entries: {
      page: resolve(here, 'page/page.ts'),
      'tracker.worker': resolve(CLIENT_DIR, 'src/tracking/tracker.worker.ts'),
    },
    publicPath: '/bundle/',
  });
  files.set('/', { body: '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/bundle/page.js"></script>', type: 'text/html; charset=utf-8' });
  const server: StaticServer = await startStaticServer({
    files,
    mounts: { ...trackingAssetMounts(), '/human-models/': HUMAN_MODELS_DIR, '/tfjs-wasm/': TFJS_WASM_DIR },
    csp: NO_PHONE_HOME_CSP,
  });
  const own = options.browser ? null : await launchChromium();
  const browser = options.browser ?? own!;
  const context = await browser.newContext();
  const errors: string[] = [];
  const close = async () => {
    await page?.evaluate(() => (globalThis as unknown as { visageEval?: EvalPageApi }).visageEval?.close()).catch(() => {});
    await context.close().catch(() => {});
    await own?.close().catch(() => {});
    await server.close();
  };
  let page: Page | undefined;
  try {
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('crash', () => errors.push('page crashed'));
    page.on('console', (m) => {
      if (m.type() === 'error' || process.env.VISAGE_EVAL_DEBUG) errors.push(m.text());
      if (process.env.VISAGE_EVAL_DEBUG) process.stderr.write(`[page] ${m.text()}\n`);
    });
    await page.goto(server.origin + '/');
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 }).catch(() => {
      throw new Error(`eval page did not load: ${errors.join('; ') || 'timeout'}`);
    });
    const p = page;
    const call = <K extends keyof EvalPageApi>(m: K, ...args: Parameters<EvalPageApi[K]>) =>
      p.evaluate(([name, a]) => {
        const api = (globalThis as unknown as { visageEval: Record<string, (...x: unknown[]) => unknown> }).visageEval;
        return api[name as string]!(...(a as unknown[]));
      }, [m, args] as const) as Promise<Awaited<ReturnType<EvalPageApi[K]>>>;
    const info = await call('init', { faceres: options.faceres ?? true });
    let n = 0;
    const serve = async <T>(rgba: Uint8Array, fn: (url: string) => Promise<T>): Promise<T> => {
      const path = `/frames/${n++}`;
      server.files.set(path, { body: rgba, type: 'application/octet-stream' });
      try {
        return await fn(path);
      } finally {
        server.files.delete(path);
      }
    };
    const check = (rgba: Uint8Array, w: number, h: number) => {
      if (rgba.length !== w * h * 4) throw new TypeError(`expected ${w * h * 4} RGBA bytes, got ${rgba.length}`);
    };
    return {
      info,
      page: p,
      track(rgba, w, h, t) {
        check(rgba, w, h);
        return serve(rgba, (url) => call('track', url, w, h, t));
      },
      async analyse(rgba, w, h, cropLandmarks) {
        check(rgba, w, h);
        const r: AnalysedFrame = await serve(rgba, (url) => call('analyse', url, w, h, cropLandmarks ? Array.from(cropLandmarks) : null));
        return { ...r, landmarks: r.landmarks ? Float32Array.from(r.landmarks) : null, embedding: r.embedding ? Float32Array.from(r.embedding) : null };
      },
      async analyseMany(frames, w, h, crops) {
        const paths = frames.map((f) => {
          check(f, w, h);
          const path = `/frames/${n++}`;
          server.files.set(path, { body: f, type: 'application/octet-stream' });
          return path;
        });
        try {
          const rs = await call('analyseMany', paths, w, h, crops.map((c) => (c ? Array.from(c) : null)));
          return rs.map((r) => ({ ...r, landmarks: r.landmarks ? Float32Array.from(r.landmarks) : null, embedding: r.embedding ? Float32Array.from(r.embedding) : null }));
        } finally {
          for (const p of paths) server.files.delete(p);
        }
      },
      initReceiver(generator, embedding, neutral, initial) {
        return call('initReceiver', generator, embedding, Array.from(neutral), Array.from(initial));
      },
      async render(packets, keep, w, h) {
        const r = await call('render', packets.map((b) => Buffer.from(b).toString('base64')), keep, w, h);
        return { ...r, frames: r.frames.map((f) => (f === null ? null : new Uint8Array(Buffer.from(f, 'base64')))) };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
