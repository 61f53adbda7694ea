/**
 * One headless-Chromium page running the real browser tracking code, driven from
 * Node: `openTrackSession()` → `track(rgba, width, height, t)` per frame → `close()`.
 * Frames travel over the local server as raw RGBA (no re-encoding, deterministic).
 */
import type { Browser, Page } from 'playwright-core';
import type { FaceFrame } from '@visage/protocol';
import { resolve } from 'node:path';
import { bundleBrowser } from './bundle.ts';
import { launchChromium } from './chromium.ts';
import { CLIENT_DIR, trackingAssetMounts } from './paths.ts';
import { startStaticServer } from './static-server.ts';
import type { StaticServer } from './static-server.ts';
import type { PageInitOptions, PageTrackResult, VisagePageApi } from '../track-page/page.ts';

export interface TrackSessionOptions {
  /** Reuse a browser; by default one is launched and closed with the session. */
  browser?: Browser;
  delegate?: PageInitOptions['delegate'];
  thread?: PageInitOptions['thread'];
  /** Default 'video', the mode the reference tracks were made in. */
  mode?: PageInitOptions['mode'];
  smoothing?: boolean;
  /** Content-Security-Policy for the page; null disables it (only for the negative test). */
  csp?: string | null;
}

export interface TrackSessionInfo {
  delegate: string;
  thread: string;
  fallbackReasons: string[];
  /** Milliseconds from bundle start to tracker ready. */
  startupMs: number;
}

export interface TrackSession {
  readonly info: TrackSessionInfo;
  readonly page: Page;
  readonly server: StaticServer;
  /** Every URL the page (and its workers) requested, in order. */
  readonly requests: string[];
  /** Browser console errors and CSP reports. */
  readonly consoleErrors: string[];
  /** `still`: track it as a still photo among the camera's frames (FaceTracker.track's `still`). */
  track(rgba: Uint8Array, width: number, height: number, t: number, options?: { still?: boolean }): Promise<{ frame: FaceFrame; ms: number; totalMs: number }>;
  close(): Promise<void>;
}

const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>visage tracking</title><script type="module" src="/bundle/page.js"></script>';

export async function openTrackSession(options: TrackSessionOptions = {}): Promise<TrackSession> {
  const t0 = performance.now();
  const files = await bundleBrowser({
    entries: {
      page: resolve(CLIENT_DIR, 'scripts/track-page/page.ts'),
      'tracker.worker': resolve(CLIENT_DIR, 'src/tracking/tracker.worker.ts'),
    },
    publicPath: '/bundle/',
  });
  files.set('/', { body: PAGE_HTML, type: 'text/html; charset=utf-8' });
  const server = await startStaticServer({ files, mounts: trackingAssetMounts(), csp: options.csp });
  const ownBrowser = options.browser ? null : await launchChromium();
  const browser = options.browser ?? ownBrowser!;
  const context = await browser.newContext();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on('request', (r) => {
    if (!requests.includes(r.url())) requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && consoleErrors.push(`[worker] ${m.text()}`)));
  const close = async () => {
    await page.evaluate(() => (globalThis as unknown as { visage?: VisagePageApi }).visage?.close()).catch(() => {});
    await context.close().catch(() => {});
    await ownBrowser?.close().catch(() => {});
    await server.close();
  };
  try {
    await page.goto(server.origin + '/');
    await page.waitForFunction(() => 'visage' in globalThis);
    const init: PageInitOptions = { delegate: options.delegate ?? 'CPU', thread: options.thread ?? 'auto', mode: options.mode ?? 'video', smoothing: options.smoothing ?? false };
    const ready = await page.evaluate((o) => (globalThis as unknown as { visage: VisagePageApi }).visage.init(o), init);
    const info: TrackSessionInfo = { ...ready, startupMs: performance.now() - t0 };
    let n = 0;
    return {
      info,
      page,
      server,
      requests,
      consoleErrors,
      async track(rgba, width, height, t, options = {}) {
        if (rgba.length !== width * height * 4) throw new TypeError(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
        const path = `/frames/${n++}`;
        server.files.set(path, { body: rgba, type: 'application/octet-stream' });
        try {
          const r: PageTrackResult = await page.evaluate(
            ([u, w, h, ts, still]) => (globalThis as unknown as { visage: VisagePageApi }).visage.track(u, w, h, ts, still),
            [path, width, height, t, options.still ?? false] as const,
          );
          const frame: FaceFrame = {
            t: r.t,
            landmarks: r.landmarks ? Float32Array.from(r.landmarks) : null,
            blendshapes: r.blendshapes ? Float32Array.from(r.blendshapes) : null,
            matrix: r.matrix ? Float32Array.from(r.matrix) : null,
          };
          return { frame, ms: r.ms, totalMs: r.totalMs };
        } finally {
          server.files.delete(path);
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
