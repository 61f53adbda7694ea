/**
 * The one headless-Chromium page of an eval run (see page/page.ts): bundling, the local
 * server (tracker assets, Human's models, tfjs wasm binaries, the neural weights; COOP/COEP so
 * the page is cross-origin isolated and faceres may use wasm threads) and typed calls into the
 * page. Frames go to the page as raw RGBA (GET /frames/…) and come back the same way
 * (PUT /upload/…): no PNG, no base64.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { bundleBrowser } from '../../packages/client/scripts/lib/bundle.ts';
import { launchChromium } from '../../packages/client/scripts/lib/chromium.ts';
import { CLIENT_DIR, FACE_FEATURES_DIR, MOUTH_WEIGHTS_DIR, NEURAL_WEIGHTS_DIR, trackingAssetMounts } from '../../packages/client/scripts/lib/paths.ts';
import { NO_PHONE_HOME_CSP, startStaticServer, type StaticServer } from '../../packages/client/scripts/lib/static-server.ts';
import type { LandmarkMode } from '../../packages/client/src/tracking/landmark-mode.ts';
import type { FineTuneReport } from '../../packages/client/src/generator/neural/fine-tune.ts';
import type { AnalyseItem, EvalPageApi, EvalPageInfo, NeuralPageOptions, TrackedFrame, WireEmbedding } from './page/page.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const HUMAN_MODELS_DIR = resolve(dirname(require.resolve('@vladmandic/human')), '../models');
const TFJS_WASM_DIR = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
/** models/weights/neural, served at /models/neural/ (the neural generator's default URL). */
export const NEURAL_PAGE_OPTIONS: NeuralPageOptions = { weightsUrl: '/models/neural/model.json', wasmPath: '/tfjs-wasm/' };

export interface Analysis { landmarks: Float32Array | null; embedding: Float32Array | null }

/** One frame to analyse: its pixels and the landmarks (normalised to it) faceres crops around (null: its own). */
export interface AnalyseRequest { rgba: Uint8Array; embedCrop: Float32Array | null }

export interface AnalyseStats { trackMs: number; embedMs: number; wallMs: number; tracked: number; embedded: number; reusedTracks: number }

export interface EvalSession {
  readonly info: EvalPageInfo;
  readonly page: Page;
  /** The sender's tracking of consecutive frames (the session's `trackMode`, clip timestamps). */
  trackMany(frames: Uint8Array[], width: number, height: number, ts: number[]): Promise<TrackedFrame[]>;
  /**
   * Landmarks from scratch + faceres descriptor for each frame. A frame whose pixels were
   * tracked before in this session is not tracked again (tracking from scratch is a pure
   * function of the pixels), so e.g. the 30 identical static frames are tracked once.
   */
  analyseMany(frames: AnalyseRequest[], width: number, height: number): Promise<{ analyses: Analysis[]; stats: AnalyseStats }>;
  enrollNeural(embedding: WireEmbedding, frames: Uint8Array[], size: number, landmarks: Float32Array[], fineTune?: { seconds: number; layers: string[]; identityWeight: number }): Promise<{ embedding: WireEmbedding; fineTune: FineTuneReport | null }>;
  /** Neural generator: `mouth` runs the mouth refiner (served at /models/mouth/), `eyes` the eye refiner (/models/eyes/), `faceRefiner` says when G's correction runs (`faceRefining`: whether it does). */
  initReceiver(generator: string, embedding: WireEmbedding, neutral: Float32Array, initialLandmarks: Float32Array, neural?: { mouth: boolean; faceRefiner: boolean | 'fitted'; eyes?: boolean; faceLowpass?: number }): Promise<{ backend: string | null; family: string; detail: string | null; faceRefining?: boolean }>;
  /** Renders every packet; returns the frames at `keep` positions. */
  render(packets: Uint8Array[], keep: number[], width: number, height: number): Promise<{ frames: Map<number, Uint8Array>; renderMs: number; decodeMs: number }>;
  close(): Promise<void>;
}

export interface EvalSessionOptions {
  /** Load faceres for CSIM (default true). */
  faceres?: boolean;
  /**
   * Multi-threaded wasm for faceres (default false). tfjs sizes its pthread pool at half the
   * cores, i.e. one thread on this 2-core machine, so it only helps on bigger machines.
   */
  faceresThreads?: boolean;
  /** How the sender's tracker follows the face when the clip is tracked (default 'video'). */
  trackMode?: LandmarkMode;
  /** Folder with the neural generator's model.json + shards, served at /models/neural/ (default NEURAL_WEIGHTS_DIR). */
  neuralWeightsDir?: string;
  /** Folder with the mouth refiner's model.json + shards, served at /models/mouth/ (default MOUTH_WEIGHTS_DIR). */
  mouthWeightsDir?: string;
  /** Folder with an eye refiner's model.json + shards, served at /models/eyes/ (none by default). */
  eyeWeightsDir?: string;
  browser?: Browser;
}

/**
 * With faceres threads: the product's policy (nothing leaves the origin) plus blob: scripts, as
 * tfjs' threaded wasm starts its pthreads from a blob: worker that importScripts() a blob: copy
 * of its loader. Without: the product's policy unchanged.
 */
export const THREADED_WASM_CSP = NO_PHONE_HOME_CSP.replace("script-src 'self'", "script-src 'self' blob:");

/** The page bundle, built once per process (eval:all runs many clips; edits made meanwhile do not leak into a running batch). */
let bundled: ReturnType<typeof bundleBrowser> | null = null;

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

export async function openEvalSession(options: EvalSessionOptions = {}): Promise<EvalSession> {
  bundled ??= bundleBrowser({
    entries: {
      page: resolve(here, 'page/page.ts'),
      'faceres.worker': resolve(here, 'page/faceres.worker.ts'),
      'tracker.worker': resolve(CLIENT_DIR, 'src/tracking/tracker.worker.ts'),
    },
    publicPath: '/bundle/',
  });
  const files = new Map(await bundled);
  files.set('/', { body: '<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/bundle/page.js"></script>', type: 'text/html; charset=utf-8' });
  const uploads = new Map<string, Uint8Array>();
  const server: StaticServer = await startStaticServer({
    files,
    mounts: { ...trackingAssetMounts(), '/human-models/': HUMAN_MODELS_DIR, '/tfjs-wasm/': TFJS_WASM_DIR, '/models/neural/': options.neuralWeightsDir ?? NEURAL_WEIGHTS_DIR, '/models/mouth/': options.mouthWeightsDir ?? MOUTH_WEIGHTS_DIR, ...(options.eyeWeightsDir ? { '/models/eyes/': options.eyeWeightsDir } : {}), '/models/face-recognition/': FACE_FEATURES_DIR },
    csp: options.faceresThreads ? THREADED_WASM_CSP : NO_PHONE_HOME_CSP,
    handlers: [
      async (req, res) => {
        if (req.method !== 'PUT' || !req.url?.startsWith('/upload/')) return false;
        const parts: Buffer[] = [];
        for await (const c of req) parts.push(c as Buffer);
        uploads.set(req.url, new Uint8Array(Buffer.concat(parts)));
        res.writeHead(204);
        res.end();
        return true;
      },
    ],
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
    context.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on('console', (m) => {
      if (/favicon\.ico/.test(m.location().url ?? '')) return;
      if (m.type() === 'error' || process.env.VISAGE_EVAL_DEBUG) errors.push(`${m.text()}${m.location().url ? ` [${new URL(m.location().url).pathname}]` : ''}`);
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
      }, [m, args] as const).catch((err: unknown) => {
        const msg = err instanceof Error ? err.message.replace(/^page\.evaluate: /, '').split('\n')[0] : String(err);
        throw new Error(`eval page: ${msg}${errors.length ? ` (${errors.slice(-3).join('; ')})` : ''}`);
      }) as Promise<Awaited<ReturnType<EvalPageApi[K]>>>;
    const info = await call('init', { faceres: options.faceres ?? true, faceresThreads: options.faceresThreads ?? false, trackMode: options.trackMode ?? 'video' });
    let n = 0;
    /** Serves frames under fresh paths for the duration of `fn`. */
    const serving = async <T>(frames: Uint8Array[], w: number, h: number, fn: (paths: string[]) => Promise<T>): Promise<T> => {
      const paths = frames.map((f) => {
        if (f.length !== w * h * 4) throw new TypeError(`expected ${w * h * 4} RGBA bytes, got ${f.length}`);
        const path = `/frames/${n++}`;
        server.files.set(path, { body: f, type: 'application/octet-stream' });
        return path;
      });
      try {
        return await fn(paths);
      } finally {
        for (const path of paths) server.files.delete(path);
      }
    };
    /** Landmarks from scratch by pixel content (sha1 + size). */
    const tracked = new Map<string, Float32Array | null>();
    let renders = 0;
    return {
      info,
      page: p,
      trackMany(frames, w, h, ts) {
        return serving(frames, w, h, (paths) => call('trackMany', paths, w, h, ts));
      },
      async analyseMany(frames, w, h) {
        const keys = frames.map((f) => `${w}x${h}:${sha1(f.rgba)}`);
        const first = new Map<string, number>();
        // A frame faceres crops around its own landmarks is always tracked here (keeps this simple).
        const track = keys.map((k, i) => {
          if (frames[i]!.embedCrop && (tracked.has(k) || first.has(k))) return false;
          if (!first.has(k)) first.set(k, i);
          return true;
        });
        const r = await serving(frames.map((f) => f.rgba), w, h, (paths) => {
          const items: AnalyseItem[] = paths.map((url, i) => ({ url, track: track[i]!, embedCrop: frames[i]!.embedCrop ? Array.from(frames[i]!.embedCrop!) : null }));
          return call('analyseMany', items, w, h);
        });
        r.frames.forEach((f, i) => {
          if (track[i]) tracked.set(keys[i]!, f.landmarks ? Float32Array.from(f.landmarks) : null);
        });
        const analyses = r.frames.map((f, i) => ({
          landmarks: tracked.get(keys[i]!) ?? null,
          embedding: f.embedding ? Float32Array.from(f.embedding) : null,
        }));
        return { analyses, stats: { trackMs: r.trackMs, embedMs: r.embedMs, wallMs: r.wallMs, tracked: r.tracked, embedded: r.embedded, reusedTracks: frames.length - r.tracked } };
      },
      enrollNeural(embedding, frames, size, landmarks, fineTune) {
        return serving(frames, size, size, (paths) => call('enrollNeural', embedding, paths, size, size, landmarks.map((l) => Array.from(l)), { ...NEURAL_PAGE_OPTIONS, ...(fineTune === undefined ? {} : { fineTuneSeconds: fineTune.seconds, fineTuneLayers: fineTune.layers, fineTuneIdentityWeight: fineTune.identityWeight }) }));
      },
      initReceiver(generator, embedding, neutral, initial, neural) {
        return call('initReceiver', generator, embedding, Array.from(neutral), Array.from(initial),
          { ...NEURAL_PAGE_OPTIONS, ...(neural?.mouth ? { mouthWeightsUrl: '/models/mouth/model.json' } : {}), ...(neural?.eyes ? { eyeWeightsUrl: '/models/eyes/model.json' } : {}), faceRefiner: neural?.faceRefiner ?? 'fitted', ...(neural?.faceLowpass !== undefined ? { faceLowpass: neural.faceLowpass } : {}) });
      },
      async render(packets, keep, w, h) {
        const prefix = `/upload/${renders++}/`;
        const r = await call('render', packets.map((b) => Buffer.from(b).toString('base64')), keep, w, h, prefix);
        const frames = new Map<number, Uint8Array>();
        for (const k of keep) {
          const f = uploads.get(prefix + k);
          if (!f || f.length !== w * h * 4) throw new Error(`eval page: rendered frame ${k} did not arrive`);
          frames.set(k, f);
          uploads.delete(prefix + k);
        }
        return { ...r, frames };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
