/**
 * The demo app's build: `demo/` → `dist/`, which the SFU serves (VISAGE_STATIC_DIR).
 * The tracker's model and wasm are copied from the repo into the build at the
 * FaceTracker's default URLs, so nothing is ever fetched from a CDN.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

/** URL prefix (without slashes) → files to serve under it. */
function trackerAssets(): { prefix: string; dir: string; files: string[] | null }[] {
  const require = createRequire(import.meta.url);
  const wasmDir = path.join(path.dirname(require.resolve('@mediapipe/tasks-vision')), 'wasm');
  const humanModels = path.resolve(path.dirname(require.resolve('@vladmandic/human')), '../models');
  const tfjsWasm = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const mouthDir = path.join(repoRoot, 'models/weights/mouth');
  const eyesDir = path.join(repoRoot, 'models/weights/eyes');
  return [
    { prefix: 'models/mediapipe', dir: path.join(repoRoot, 'models/mediapipe'), files: ['face_landmarker.task'] },
    { prefix: 'mediapipe/wasm', dir: wasmDir, files: null },
    // The identity guard (FaceIdentity defaults): human's face detector, mesh and recognition models, tfjs wasm.
    { prefix: 'models/human', dir: humanModels, files: ['blazeface', 'facemesh', 'faceres'].flatMap((m) => [`${m}.json`, `${m}.bin`]) },
    { prefix: 'tfjs-wasm', dir: tfjsWasm, files: ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] },
    // The neural mouth and eye refiners (the lobby's "refine mouths" option): model.json and the shards it names.
    { prefix: 'models/mouth', dir: mouthDir, files: ['model.json', ...mouthShards(mouthDir)] },
    { prefix: 'models/eyes', dir: eyesDir, files: ['model.json', ...mouthShards(eyesDir)] },
  ];
}

/** The weight files a tfjs model.json names (its parity fixture beside it is not shipped). */
function mouthShards(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  return manifest.weightsManifest.flatMap((g) => g.paths);
}

const MIME: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.task': 'application/octet-stream', '.json': 'application/json' };

/** Copies the tracker assets into the build output; serves them from the repo in `vite dev`. */
function visageTrackerAssets(): Plugin {
  let outDir = '';
  return {
    name: 'visage-tracker-assets',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0] ?? '';
        for (const { prefix, dir } of trackerAssets()) {
          if (!url.startsWith(`/${prefix}/`)) continue;
          const file = path.join(dir, path.basename(url));
          if (!existsSync(file)) break;
          res.setHeader('content-type', MIME[path.extname(file)] ?? 'application/octet-stream');
          createReadStream(file).pipe(res);
          return;
        }
        next();
      });
    },
    async writeBundle() {
      for (const { prefix, dir, files } of trackerAssets()) {
        const target = path.join(outDir, prefix);
        await mkdir(target, { recursive: true });
        if (files) for (const f of files) await cp(path.join(dir, f), path.join(target, f));
        else await cp(dir, target, { recursive: true });
      }
    },
  };
}

export default defineConfig({
  root: path.join(here, 'demo'),
  base: '/',
  publicDir: false,
  plugins: [visageTrackerAssets()],
  worker: { format: 'es' },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
  },
  server: {
    // `npx vite` in packages/client: the app with hot reload, talking to an SFU started
    // separately with `npm run sfu -- --dev` (VISAGE_SFU, default http://localhost:3000).
    proxy: {
      '/api': process.env.VISAGE_SFU ?? 'http://localhost:3000',
      '/signaling': { target: process.env.VISAGE_SFU ?? 'http://localhost:3000', ws: true },
    },
    headers: {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    },
  },
});
