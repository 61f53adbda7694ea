/**
 * Headless Chromium (--enable-unsafe-webgpu) running the neural generator page, with the
 * weights mounted at /models/neural/ and tfjs-backend-wasm's binaries at /tfjs-wasm/ (served
 * here, never from a CDN). Used by bench-neural.ts and e2e/neural-generator.e2e.test.ts.
 */
import { resolve } from 'node:path';
import { CLIENT_DIR, REPO_ROOT } from './lib/paths.ts';
import { openPageSession, toWireEmbedding } from './lib/page-session.ts';
import type { NeuralPageApi, NeuralRunResult } from './neural-page/page.ts';

export const NEURAL_WEIGHTS_DIR = resolve(REPO_ROOT, 'models/weights/neural');

export interface NeuralSession {
  run(...args: Parameters<NeuralPageApi['run']>): Promise<NeuralRunResult>;
  close(): Promise<void>;
}

/** An embedding as JSON for `page.evaluate` (section bytes as base64). */
export const toWire = toWireEmbedding;

export async function openNeuralSession(): Promise<NeuralSession> {
  const { page, errors, close } = await openPageSession({
    entry: resolve(CLIENT_DIR, 'scripts/neural-page/page.ts'),
    mounts: { '/models/neural/': NEURAL_WEIGHTS_DIR, '/tfjs-wasm/': resolve(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') },
    readyTimeoutMs: 60_000,
    name: 'neural page',
  });
  return {
    run: (...args) =>
      page.evaluate((a) => (globalThis as unknown as { visageNeural: NeuralPageApi }).visageNeural.run(...a), args).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message.split('\n')[0] : String(err)} ${errors.join('; ')}`);
      }),
    close,
  };
}
