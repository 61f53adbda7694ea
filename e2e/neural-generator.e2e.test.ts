/**
 * Neural generator in real Chromium: every tfjs backend (wasm, webgl, cpu, and WebGPU on
 * SwiftShader via --enable-unsafe-webgpu) draws the same frame as Node's tfjs-cpu within 2
 * levels and leaks no tensors — on the bi-layer path the client uses (an embedding with the warp
 * sections: the warp runs inside and the refiner composites onto it), and on the no-warp
 * fallback. Small frame, one timed render: SwiftShader WebGPU is slow.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AvatarEmbedding } from '@visage/protocol';
import { openNeuralSession, refinerEmbedding, toWire, NEURAL_WEIGHTS_DIR, type NeuralSession } from '../packages/client/scripts/neural-session.ts';
import { useTfBackend } from '../packages/client/src/generator/neural/tf-backend.ts';
import { loadNeuralWeightsFromDir } from '../packages/client/src/generator/neural/weights-node.ts';
import { NeuralGenerator } from '../packages/client/src/generator/neural/neural-generator.ts';
import { pngCodec } from '../packages/client/src/generator/codec.ts';
import { loadFrame, loadLandmarks } from '../packages/client/test/warp-fixtures.ts';
import { SectionType } from '@visage/protocol';

const SIZE = 96;
const lm = loadLandmarks(50);
let session: NeuralSession;
const paths = { refiner: { warp: true }, fallback: { warp: false } } as const;
const cases = {} as Record<keyof typeof paths, { embedding: AvatarEmbedding; ref: Uint8ClampedArray; refining: boolean }>;

beforeAll(async () => {
  await useTfBackend('cpu');
  const weights = await loadNeuralWeightsFromDir(NEURAL_WEIGHTS_DIR);
  for (const [name, { warp }] of Object.entries(paths) as [keyof typeof paths, { warp: boolean }][]) {
    const embedding = await refinerEmbedding(weights, 'cpu', { warp });
    const g = new NeuralGenerator({ backend: 'cpu', weights, codec: pngCodec, cropSmoothing: 0 });
    await g.init(embedding);
    const out = { width: SIZE, height: SIZE, data: new Uint8ClampedArray(SIZE * SIZE * 4) };
    await g.render(lm, out);
    cases[name] = { embedding, ref: out.data, refining: g.refining };
    g.dispose();
  }
  weights.dispose();
  session = await openNeuralSession();
}, 120_000);
afterAll(async () => session?.close());

it('Node takes the refiner path with warp sections and the fallback without', () => {
  expect(cases.refiner.refining).toBe(true);
  expect(cases.fallback.refining).toBe(false);
  // The two paths draw different pictures (the refiner's is the warp render plus a correction).
  let diff = 0;
  for (let i = 0; i < cases.refiner.ref.length; i++) diff += Math.abs(cases.refiner.ref[i]! - cases.fallback.ref[i]!);
  expect(diff / cases.refiner.ref.length).toBeGreaterThan(5);
});

for (const path of Object.keys(paths) as (keyof typeof paths)[]) {
  for (const backend of ['wasm', 'webgl', 'cpu', 'webgpu'] as const) {
    it(`${path}, ${backend}: same frame as Node tfjs-cpu, no leaked tensors`, async () => {
      const { embedding, ref, refining } = cases[path];
      const r = await session.run(backend, toWire(embedding), Array.from(lm), SIZE, SIZE, 1, 64, 0);
      expect(r.backend).toBe(backend);
      expect(r.refining).toBe(refining);
      expect(r.leakedTensors).toBe(0);
      const px = Buffer.from(r.pixels, 'base64');
      let maxd = 0;
      for (let i = 0; i < px.length; i++) maxd = Math.max(maxd, Math.abs(px[i]! - ref[i]!));
      expect(maxd).toBeLessThanOrEqual(2);
    });
  }
}

it('fine-tunes ψ on two photos in Chromium (wasm): the leave-one-out loss falls, the embedding carries the new ψ', async () => {
  const photos = await Promise.all(([30, 50] as const).map(async (i) => {
    const f = await loadFrame(i);
    return { width: f.width, height: f.height, rgba: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64'), landmarks: Array.from(loadLandmarks(i)) };
  }));
  const wire = toWire(cases.refiner.embedding);
  const r = await session.fineTune('wasm', wire, photos, { maxSteps: 12 });
  expect(r.report).toMatchObject({ backend: 'wasm', pairs: 2, steps: 12, stopped: 'steps' });
  expect(r.losses).toHaveLength(12);
  expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]!);
  expect(r.report.l1After).toBeLessThan(r.report.l1Before);
  expect(r.report.l1Warp).toBeGreaterThan(0);
  expect(r.leakedTensors).toBe(0);
  const section = (w: typeof wire, t: SectionType) => w.sections.find((x) => x.type === t)!.b64;
  expect(section(r.wire, SectionType.AdaInParams)).not.toBe(section(wire, SectionType.AdaInParams));
  expect(section(r.wire, SectionType.IdentityVector)).toBe(section(wire, SectionType.IdentityVector));
  // Receivers render the tuned embedding like any other.
  const run = await session.run('wasm', r.wire, Array.from(lm), SIZE, SIZE, 1, 64, 0);
  expect(run.refining).toBe(true);
  // The time budget stops it; one photo cannot give a leave-one-out pair.
  const quick = await session.fineTune('wasm', wire, photos, { maxSeconds: 0 });
  expect(quick.report).toMatchObject({ steps: 0, stopped: 'time' });
  await expect(session.fineTune('wasm', wire, photos.slice(0, 1), {})).rejects.toThrow(/at least 2 enrollment photos/);
});
