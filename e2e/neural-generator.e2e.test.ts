/**
 * Neural generator in real Chromium: every tfjs backend (wasm, webgl, cpu, and WebGPU on
 * SwiftShader via --enable-unsafe-webgpu) draws the same frame as Node's tfjs-cpu within 2
 * levels and leaks no tensors. Small frame, one timed render: SwiftShader WebGPU is slow.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AvatarEmbedding } from '@visage/protocol';
import { openNeuralSession, toWire, NEURAL_WEIGHTS_DIR, type NeuralSession } from '../packages/client/scripts/neural-session.ts';
import { useTfBackend } from '../packages/client/src/generator/neural/tf-backend.ts';
import { loadNeuralWeightsFromDir } from '../packages/client/src/generator/neural/weights-node.ts';
import { addNeuralSections } from '../packages/client/src/generator/neural/enroll.ts';
import { NeuralGenerator } from '../packages/client/src/generator/neural/neural-generator.ts';
import { loadFrame, loadLandmarks } from '../packages/client/test/warp-fixtures.ts';

const SIZE = 96;
let session: NeuralSession;
let embedding: AvatarEmbedding;
let ref: Uint8ClampedArray;
const lm = loadLandmarks(50);

beforeAll(async () => {
  await useTfBackend('cpu');
  const weights = await loadNeuralWeightsFromDir(NEURAL_WEIGHTS_DIR);
  embedding = await addNeuralSections({ formatVersion: 1, generator: { family: 'neural', version: 1 }, sections: [] }, [await loadFrame(30)], [loadLandmarks(30)], { weights, backend: 'cpu' });
  const g = new NeuralGenerator({ backend: 'cpu', weights, cropSmoothing: 0 });
  await g.init(embedding);
  const out = { width: SIZE, height: SIZE, data: new Uint8ClampedArray(SIZE * SIZE * 4) };
  await g.render(lm, out);
  ref = out.data;
  g.dispose();
  weights.dispose();
  session = await openNeuralSession();
});
afterAll(async () => session?.close());

for (const backend of ['wasm', 'webgl', 'cpu', 'webgpu'] as const) {
  it(`${backend}: same frame as Node tfjs-cpu, no leaked tensors`, async () => {
    const r = await session.run(backend, toWire(embedding), Array.from(lm), SIZE, SIZE, 1, 64, 0);
    expect(r.backend).toBe(backend);
    expect(r.leakedTensors).toBe(0);
    const px = Buffer.from(r.pixels, 'base64');
    let maxd = 0;
    for (let i = 0; i < px.length; i++) maxd = Math.max(maxd, Math.abs(px[i]! - ref[i]!));
    expect(maxd).toBeLessThanOrEqual(2);
  });
}
