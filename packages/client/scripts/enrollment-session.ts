/**
 * One headless-Chromium page running the real enrollment checks (FaceLandmarker, IMAGE
 * mode) and identity descriptors (human faceres on tfjs), driven from Node:
 * `openEnrollmentSession()` → `check(image)` / `describe(image)` → `close()`. Models, wasm
 * and pages all come from a 127.0.0.1 server with the no-phone-home CSP.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RgbaImage } from '../src/generator/image.ts';
import type { DetectedFace } from '../src/enrollment/face-metrics.ts';
import type { PhotoCheckResult } from '../src/enrollment/photo-check.ts';
import type { IdentityBackend, IdentityFace, PixelBox } from '../src/identity/face-identity.ts';
import { bundleBrowser } from './lib/bundle.ts';
import { launchChromium } from './lib/chromium.ts';
import { CLIENT_DIR, trackingAssetMounts } from './lib/paths.ts';
import { startStaticServer } from './lib/static-server.ts';
import type { StaticServer } from './lib/static-server.ts';
import type { EnrollPageApi, EnrollPageInit } from './enrollment-page/page.ts';

const require = createRequire(import.meta.url);
/** node_modules/@vladmandic/human/models */
export const HUMAN_MODEL_DIR = resolve(dirname(require.resolve('@vladmandic/human')), '../models');
/** node_modules/@tensorflow/tfjs-backend-wasm/dist (the .wasm files) */
export const TFJS_WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));

/** URL prefix → folder for `FaceIdentity`'s defaults (`modelBasePath`, `wasmPath`). */
export function identityAssetMounts(): Record<string, string> {
  return { '/models/human/': HUMAN_MODEL_DIR, '/tfjs-wasm/': TFJS_WASM_DIR };
}

export interface EnrollmentSessionOptions {
  browser?: Browser;
  /** Load the photo-check analyzer. Default true. */
  analyzer?: boolean;
  /** Identity backend, or null for none. Default 'wasm'. */
  identity?: IdentityBackend | null;
}

export interface EnrollmentSession {
  readonly page: Page;
  readonly server: StaticServer;
  readonly identityBackend: string | null;
  /** Page load + model load, ms. */
  readonly startupMs: number;
  /** Every URL requested by the page. */
  readonly requests: string[];
  /** Browser console errors and uncaught page errors. */
  readonly consoleErrors: string[];
  check(image: RgbaImage): Promise<{ faces: DetectedFace[]; result: PhotoCheckResult; ms: number }>;
  /** All faces' descriptors and the one picked for `hint` (or the largest). */
  describe(image: RgbaImage, hint?: PixelBox): Promise<{ faces: IdentityFace[]; face: IdentityFace | null; ms: number; numTensors: number }>;
  close(): Promise<void>;
}

const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>visage enrollment</title><script type="module" src="/bundle/enroll.js"></script>';

export async function openEnrollmentSession(options: EnrollmentSessionOptions = {}): Promise<EnrollmentSession> {
  const t0 = performance.now();
  const files = await bundleBrowser({ entries: { enroll: resolve(CLIENT_DIR, 'scripts/enrollment-page/page.ts') }, publicPath: '/bundle/' });
  files.set('/', { body: PAGE_HTML, type: 'text/html; charset=utf-8' });
  files.set('/favicon.ico', { body: new Uint8Array(0), type: 'image/x-icon' }); // keeps a 404 out of consoleErrors
  const server = await startStaticServer({ files, mounts: { ...trackingAssetMounts(), ...identityAssetMounts() } });
  const ownBrowser = options.browser ? null : await launchChromium();
  const browser = options.browser ?? ownBrowser!;
  const context = await browser.newContext();
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
    if (process.env.VISAGE_DEBUG) console.error(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  if (process.env.VISAGE_DEBUG) context.on('request', (r) => console.error(`[request] ${r.url()}`));
  const close = async () => {
    await page.evaluate(() => (globalThis as unknown as { visageEnroll?: EnrollPageApi }).visageEnroll?.close()).catch(() => {});
    await context.close().catch(() => {});
    await ownBrowser?.close().catch(() => {});
    await server.close();
  };
  let n = 0;
  const put = (img: RgbaImage) => {
    const path = `/images/${n++}`;
    server.files.set(path, { body: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), type: 'application/octet-stream' });
    return path;
  };
  try {
    await page.goto(server.origin + '/');
    await page.waitForFunction(() => 'visageEnroll' in globalThis);
    const init: EnrollPageInit = { analyzer: options.analyzer ?? true, identity: options.identity === undefined ? 'wasm' : options.identity };
    const ready = await page.evaluate((o) => (globalThis as unknown as { visageEnroll: EnrollPageApi }).visageEnroll.init(o), init);
    return {
      page,
      server,
      requests,
      consoleErrors,
      identityBackend: ready.identityBackend,
      startupMs: performance.now() - t0,
      async check(image) {
        const path = put(image);
        try {
          const r = await page.evaluate(([u, w, h]) => (globalThis as unknown as { visageEnroll: EnrollPageApi }).visageEnroll.check(u, w, h), [path, image.width, image.height] as const);
          return { faces: r.faces.map((f) => ({ landmarks: Float32Array.from(f.landmarks), matrix: f.matrix ? Float32Array.from(f.matrix) : null })), result: r.result, ms: r.ms };
        } finally {
          server.files.delete(path);
        }
      },
      async describe(image, hint) {
        const path = put(image);
        try {
          const r = await page.evaluate(
            ([u, w, h, b]) => (globalThis as unknown as { visageEnroll: EnrollPageApi }).visageEnroll.describe(u, w, h, b),
            [path, image.width, image.height, hint ?? null] as const,
          );
          const faces: IdentityFace[] = r.faces.map((f) => ({ descriptor: Float32Array.from(f.descriptor), box: f.box as unknown as PixelBox, score: f.score }));
          return { faces, face: r.picked >= 0 ? faces[r.picked]! : null, ms: r.ms, numTensors: r.numTensors };
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
