/**
 * Headless Chromium (--enable-unsafe-webgpu) running the neural generator page, with the
 * weights mounted at /models/neural/ (the mouth and eye refiners' at /models/mouth/, /models/eyes/) and tfjs-backend-wasm's binaries at /tfjs-wasm/ (served
 * here, never from a CDN). Used by bench-neural.ts and e2e/neural-generator.e2e.test.ts.
 */
import { resolve } from 'node:path';
import { CLIENT_DIR, EYE_WEIGHTS_DIR, FACE_FEATURES_DIR, MOUTH_WEIGHTS_DIR, NEURAL_WEIGHTS_DIR, REPO_ROOT } from './lib/paths.ts';
import { openPageSession, toWireEmbedding } from './lib/page-session.ts';
import type { NeuralPageApi, NeuralRunResult } from './neural-page/page.ts';
import type { AvatarEmbedding } from '@visage/protocol';
import { enrollWarpAvatar } from '../src/enrollment/atlas/enroll.ts';
import { pngCodec } from '../src/generator/codec.ts';
import { addNeuralSections } from '../src/generator/neural/enroll.ts';
import type { NeuralWeights } from '../src/generator/neural/weights.ts';
import { loadFrame, loadLandmarks } from '../test/warp-fixtures.ts';


export interface NeuralSession {
  run(...args: Parameters<NeuralPageApi['run']>): Promise<NeuralRunResult>;
  fineTune(...args: Parameters<NeuralPageApi['fineTune']>): ReturnType<NeuralPageApi['fineTune']>;
  neuralEnrollment(...args: Parameters<NeuralPageApi['neuralEnrollment']>): ReturnType<NeuralPageApi['neuralEnrollment']>;
  tunableGradCheck(...args: Parameters<NeuralPageApi['tunableGradCheck']>): ReturnType<NeuralPageApi['tunableGradCheck']>;
  identityGradCheck(...args: Parameters<NeuralPageApi['identityGradCheck']>): ReturnType<NeuralPageApi['identityGradCheck']>;
  normCheck(): ReturnType<NeuralPageApi['normCheck']>;
  autoBackend(): ReturnType<NeuralPageApi['autoBackend']>;
  tinyOpUs(...args: Parameters<NeuralPageApi['tinyOpUs']>): ReturnType<NeuralPageApi['tinyOpUs']>;
  close(): Promise<void>;
}

/** An embedding as JSON for `page.evaluate` (section bytes as base64). */
export const toWire = toWireEmbedding;

/**
 * The embedding the client sends for the neural generator: the warp sections (enrollWarpAvatar,
 * PNG-coded) plus E's vector and ψ, from fixture frame 30. With refiner weights the generator then
 * runs the warp inside and composites (`refining`); `warp: false` gives the no-warp fallback.
 */
export async function refinerEmbedding(weights: NeuralWeights, backend: 'cpu' | 'wasm', options: { warp?: boolean; wasmPath?: string } = {}): Promise<AvatarEmbedding> {
  const photo = await loadFrame(30), lm = loadLandmarks(30);
  const base: AvatarEmbedding = options.warp === false
    ? { formatVersion: 1, generator: { family: 'neural', version: 1 }, sections: [] }
    : (await enrollWarpAvatar([{ image: photo, landmarks: lm }], { codec: pngCodec })).embedding;
  return addNeuralSections(base, [photo], [lm], { weights, backend, ...(options.wasmPath ? { wasmPath: options.wasmPath } : {}) });
}

export async function openNeuralSession(): Promise<NeuralSession> {
  const { page, errors, close } = await openPageSession({
    entry: resolve(CLIENT_DIR, 'scripts/neural-page/page.ts'),
    mounts: { '/models/neural/': NEURAL_WEIGHTS_DIR, '/models/mouth/': MOUTH_WEIGHTS_DIR, '/models/eyes/': EYE_WEIGHTS_DIR, '/models/face-recognition/': FACE_FEATURES_DIR, '/tfjs-wasm/': resolve(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') },
    readyTimeoutMs: 60_000,
    name: 'neural page',
  });
  const fail = (err: unknown): never => {
    throw new Error(`${err instanceof Error ? err.message.split('\n')[0] : String(err)} ${errors.join('; ')}`);
  };
  return {
    run: (...args) => page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.run(...a), args).catch(fail),
    fineTune: (...args) => page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.fineTune(...a), args).catch(fail),
    neuralEnrollment: (...args) => page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.neuralEnrollment(...a), args).catch(fail),
    tunableGradCheck: (...args) => page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.tunableGradCheck(...a), args).catch(fail),
    identityGradCheck: (...args) => page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.identityGradCheck(...a), args).catch(fail),
    normCheck: () => page.evaluate(() => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.normCheck()).catch(fail),
    tinyOpUs: (...args) => page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.tinyOpUs(...a), args).catch(fail),
    autoBackend: () => page.evaluate(() => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.autoBackend()).catch(fail),
    close,
  };
}
