/**
 * Neural generator in real Chromium: every tfjs backend (wasm, webgl, cpu, and WebGPU on
 * SwiftShader via --enable-unsafe-webgpu) draws the same frame as Node's tfjs-cpu within 2
 * levels and leaks no tensors — on the bi-layer path the client uses (an embedding with the warp
 * sections: the warp runs inside and the refiner composites onto it), and on the no-warp
 * fallback, with the mouth refiner after the face refiner, and with the mouth refiner alone over
 * the warp (faceRefiner: false). Small frame, one timed render:
 * SwiftShader WebGPU is slow. The one-dispatch WebGPU norm G renders with (webgpu-norm.ts) is
 * checked on its own against the composed ops on tfjs-cpu.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AvatarEmbedding } from '@visage/protocol';
import { openNeuralSession, refinerEmbedding, toWire, type NeuralSession } from '../packages/client/scripts/neural-session.ts';
import { MOUTH_WEIGHTS_DIR, NEURAL_WEIGHTS_DIR } from '../packages/client/scripts/lib/paths.ts';
import { loadMouthWeights } from '../packages/client/src/generator/neural/mouth-model.ts';
import { nodeWeightsHandler } from '../packages/client/src/generator/neural/weights-node.ts';
import { useTfBackend } from '../packages/client/src/generator/neural/tf-backend.ts';
import { loadNeuralWeightsFromDir } from '../packages/client/src/generator/neural/weights-node.ts';
import { NeuralGenerator } from '../packages/client/src/generator/neural/neural-generator.ts';
import { pngCodec } from '../packages/client/src/generator/codec.ts';
import { loadFrame, loadLandmarks } from '../packages/client/test/warp-fixtures.ts';
import { SectionType } from '@visage/protocol';

const SIZE = 96;
const lm = loadLandmarks(50);
let session: NeuralSession;
// 'warp+mouth': faceRefiner false — the warp render plus the mouth refiner, what a receiver's render.mouthRefiner draws.
const paths = {
  refiner: { warp: true, mouth: false, face: true }, fallback: { warp: false, mouth: false, face: true },
  mouth: { warp: true, mouth: true, face: true }, 'warp+mouth': { warp: true, mouth: true, face: false },
} as const;
const cases = {} as Record<keyof typeof paths, { embedding: AvatarEmbedding; ref: Uint8ClampedArray; refining: boolean; refiningMouth: boolean }>;

beforeAll(async () => {
  await useTfBackend('cpu');
  const weights = await loadNeuralWeightsFromDir(NEURAL_WEIGHTS_DIR);
  const mouthWeights = await loadMouthWeights(nodeWeightsHandler(MOUTH_WEIGHTS_DIR));
  for (const [name, { warp, mouth, face }] of Object.entries(paths) as [keyof typeof paths, { warp: boolean; mouth: boolean; face: boolean }][]) {
    const embedding = await refinerEmbedding(weights, 'cpu', { warp });
    const g = new NeuralGenerator({ backend: 'cpu', weights, codec: pngCodec, cropSmoothing: 0, faceRefiner: face, ...(mouth ? { mouthWeights } : {}) });
    await g.init(embedding);
    const out = { width: SIZE, height: SIZE, data: new Uint8ClampedArray(SIZE * SIZE * 4) };
    await g.render(lm, out);
    cases[name] = { embedding, ref: out.data, refining: g.refining, refiningMouth: g.refiningMouth };
    g.dispose();
  }
  weights.dispose();
  mouthWeights.dispose();
  session = await openNeuralSession();
}, 120_000);
afterAll(async () => session?.close());

/** Fixture frames as the neural page takes photos: base64 RGBA + their landmarks. */
async function pagePhotos(frames: readonly (30 | 50)[]) {
  return Promise.all(frames.map(async (i) => {
    const f = await loadFrame(i);
    return { width: f.width, height: f.height, rgba: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64'), landmarks: Array.from(loadLandmarks(i)) };
  }));
}

it('Node takes the refiner path with warp sections and the fallback without', () => {
  expect(cases.refiner.refining).toBe(true);
  expect(cases.fallback.refining).toBe(false);
  expect(cases.mouth.refiningMouth).toBe(true);
  expect(cases.refiner.refiningMouth).toBe(false);
  // The mouth refiner changes the frame around the mouth only.
  const lmPx = (i: number) => [lm[i * 3]! * SIZE, lm[i * 3 + 1]! * SIZE] as const;
  const [mx, my] = [(lmPx(78)[0] + lmPx(308)[0]) / 2, (lmPx(78)[1] + lmPx(308)[1]) / 2];
  const reach = Math.hypot(lmPx(308)[0] - lmPx(78)[0], lmPx(308)[1] - lmPx(78)[1]) * 1.3;
  let near = 0, far = 0;
  for (let p = 0; p < SIZE * SIZE; p++) {
    const d = Math.abs(cases.mouth.ref[p * 4]! - cases.refiner.ref[p * 4]!);
    if (Math.hypot((p % SIZE) + 0.5 - mx, Math.floor(p / SIZE) + 0.5 - my) < reach) near += d; else far += d;
  }
  expect(near).toBeGreaterThan(50);
  expect(far).toBe(0);
  // The two paths draw different pictures (the refiner's is the warp render plus a correction).
  let diff = 0;
  for (let i = 0; i < cases.refiner.ref.length; i++) diff += Math.abs(cases.refiner.ref[i]! - cases.fallback.ref[i]!);
  expect(diff / cases.refiner.ref.length).toBeGreaterThan(5);
});

for (const path of Object.keys(paths) as (keyof typeof paths)[]) {
  for (const backend of ['wasm', 'webgl', 'cpu', 'webgpu'] as const) {
    it(`${path}, ${backend}: same frame as Node tfjs-cpu, no leaked tensors`, async () => {
      const { embedding, ref, refining } = cases[path];
      const r = await session.run(backend, toWire(embedding), Array.from(lm), SIZE, SIZE, 1, 64, 0, paths[path].mouth, paths[path].face);
      expect(r.backend).toBe(backend);
      expect(r.refining).toBe(refining);
      expect(r.refiningMouth).toBe(paths[path].mouth);
      expect(r.leakedTensors).toBe(0);
      const px = Buffer.from(r.pixels, 'base64');
      let maxd = 0;
      for (let i = 0; i < px.length; i++) maxd = Math.max(maxd, Math.abs(px[i]! - ref[i]!));
      expect(maxd).toBeLessThanOrEqual(2);
    });
  }
}

it('in a browser (weights fetched) G runs with the eye and mouth refiners by default; the eye refiner only redraws the eyes', async () => {
  const wire = toWire(cases.mouth.embedding);
  const plain = await session.run('wasm', wire, Array.from(lm), SIZE, SIZE, 1, 64, 0, true, true, false);
  const byDefault = await session.run('wasm', wire, Array.from(lm), SIZE, SIZE, 1, 64, 0, true, true, 'default');
  expect(plain).toMatchObject({ refining: true, refiningMouth: true, refiningEyes: false, leakedTensors: 0 });
  expect(byDefault).toMatchObject({ refining: true, refiningMouth: true, refiningEyes: true, leakedTensors: 0 });
  // Same frame except around the eyes.
  const a = Buffer.from(plain.pixels, 'base64'), b = Buffer.from(byDefault.pixels, 'base64');
  const lmPx = (i: number) => [lm[i * 3]! * SIZE, lm[i * 3 + 1]! * SIZE] as const;
  const eyes = [[33, 133], [362, 263]].map(([p, q]) => ({ c: [(lmPx(p!)[0] + lmPx(q!)[0]) / 2, (lmPx(p!)[1] + lmPx(q!)[1]) / 2], r: Math.hypot(lmPx(q!)[0] - lmPx(p!)[0], lmPx(q!)[1] - lmPx(p!)[1]) * 1.2 }));
  let near = 0, far = 0;
  for (let p = 0; p < SIZE * SIZE; p++) {
    const d = Math.abs(a[p * 4]! - b[p * 4]!);
    const x = (p % SIZE) + 0.5, y = Math.floor(p / SIZE) + 0.5;
    if (eyes.some((e) => Math.hypot(x - e.c[0]!, y - e.c[1]!) < e.r)) near += d; else far += d;
  }
  expect(near).toBeGreaterThan(20);
  expect(far).toBe(0);
});

it('fine-tunes ψ on two photos in Chromium (wasm): the leave-one-out loss falls, the embedding carries the new ψ', async () => {
  const photos = await pagePhotos([30, 50]);
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
  // faceLowpass: the pairs scored with G's correction low-passed (default: the full correction),
  // so the same state scores differently; the warp alone does not change.
  const lowpassed = await session.fineTune('wasm', wire, photos, { maxSeconds: 0, faceLowpass: 2 });
  expect(lowpassed.report.l1Warp).toBe(quick.report.l1Warp);
  expect(lowpassed.report.l1Before).not.toBe(quick.report.l1Before);
  expect((await session.fineTune('wasm', wire, photos, { maxSeconds: 0, faceLowpass: null })).report.l1Before).toBe(quick.report.l1Before);
  await expect(session.fineTune('wasm', wire, photos, { maxSeconds: 0, faceLowpass: 9 })).rejects.toThrow(/faceLowpass must be/);
  await expect(session.fineTune('wasm', wire, photos.slice(0, 1), {})).rejects.toThrow(/at least 2 enrollment photos/);
});

it('fine-tunes G’s last layers with ψ (wasm): the loss falls faster, the deltas travel in the embedding and receivers apply them', async () => {
  const photos = await pagePhotos([30, 50]);
  const wire = toWire(cases.refiner.embedding);
  const psiOnly = await session.fineTune('wasm', wire, photos, { maxSteps: 8 });
  const r = await session.fineTune('wasm', wire, photos, { maxSteps: 8, layers: ['G/up.2', 'G/out'] });
  expect(r.report).toMatchObject({ backend: 'wasm', pairs: 2, steps: 8, stopped: 'steps', tunedTensors: 8 });
  expect(psiOnly.report).toMatchObject({ tunedTensors: 0, tunedValues: 0 });
  expect(r.losses.at(-1)!).toBeLessThan(psiOnly.losses.at(-1)!);
  expect(r.report.l1After).toBeLessThan(psiOnly.report.l1After);
  expect(r.leakedTensors).toBe(0);
  const tunedSection = r.wire.sections.find((x) => x.type === SectionType.GeneratorWeights);
  expect(tunedSection && !tunedSection.mandatory).toBe(true);
  expect(psiOnly.wire.sections.some((x) => x.type === SectionType.GeneratorWeights)).toBe(false);
  // Section layout: 7-byte header, then per tensor 1 + name + 4 bytes and 2 bytes per value (float16).
  const tunedNames = ['G/up.2.c1/kernel', 'G/up.2.c1/bias', 'G/up.2.c2/kernel', 'G/up.2.c2/bias', 'G/up.2.skip/kernel', 'G/up.2.skip/bias', 'G/out/kernel', 'G/out/bias'];
  expect(Buffer.from(tunedSection!.b64, 'base64').length).toBe(7 + tunedNames.reduce((a, n) => a + 5 + n.length, 0) + 2 * r.report.tunedValues);
  const run = await session.run('wasm', r.wire, Array.from(lm), SIZE, SIZE, 1, 64, 0);
  expect(run).toMatchObject({ refining: true, tunedTensors: 8, leakedTensors: 0 });
  const plain = await session.run('wasm', psiOnly.wire, Array.from(lm), SIZE, SIZE, 1, 64, 0);
  expect(plain.tunedTensors).toBe(0);
  expect(run.pixels).not.toBe(plain.pixels);
  await expect(session.fineTune('wasm', wire, photos, { maxSteps: 1, layers: ['G/down.0'] })).rejects.toThrow(/cannot fine-tune 'G\/down.0'/);
});

it('early stopping on held-out pairs ships the best validated state, and nothing when tuning only hurts them', async () => {
  const photos = await pagePhotos([30, 50, 30, 50]);
  const wire = toWire(cases.refiner.embedding);
  const section = (w: typeof wire, t: SectionType) => w.sections.find((x) => x.type === t)?.b64;
  const r = await session.fineTune('wasm', wire, photos, { maxSteps: 10, validateEvery: 2, layers: ['G/out'] });
  expect(r.report).toMatchObject({ pairs: 4, holdOut: 1, steps: 10 });
  expect(r.report.valBest!).toBeLessThanOrEqual(r.report.valStart!);
  expect(r.report.bestStep % 2).toBe(0);
  expect(r.report.valWarp).toBeGreaterThan(0);
  expect(r.leakedTensors).toBe(0);
  if (r.report.bestStep > 0) expect(section(r.wire, SectionType.GeneratorWeights)).toBeDefined();
  // A learning rate that wrecks the network: the held-out pair never improves, so training stops
  // after `patience` validations and step 0 is shipped (E's ψ, the shared G: no GeneratorWeights section).
  const wrecked = await session.fineTune('wasm', wire, photos, { maxSteps: 20, validateEvery: 1, patience: 3, learningRate: 50, weightLearningRate: 50, layers: ['G/out'] });
  expect(wrecked.report).toMatchObject({ bestStep: 0, tunedTensors: 0, tunedValues: 0, steps: 3, stopped: 'converged' });
  expect(wrecked.report.valBest).toBe(wrecked.report.valStart);
  expect(section(wrecked.wire, SectionType.AdaInParams)).toBe(section(wire, SectionType.AdaInParams));
  expect(section(wrecked.wire, SectionType.GeneratorWeights)).toBeUndefined();
  expect(wrecked.leakedTensors).toBe(0);
  await expect(session.fineTune('wasm', wire, photos, { maxSteps: 1, holdOut: 3 })).rejects.toThrow(/at least 2 training pairs/);
  await expect(session.fineTune('wasm', wire, photos, { maxSteps: 1, patience: 0 })).rejects.toThrow(/patience/);
});

it('fine-tunes with the identity term (face-recognition descriptors) on wasm: it is measured on the held-out pairs and in the loss', async () => {
  const photos = await pagePhotos([30, 50, 30, 50]);
  const wire = toWire(cases.refiner.embedding);
  const plain = await session.fineTune('wasm', wire, photos, { maxSteps: 4, validateEvery: 2, layers: ['G/out'] });
  const r = await session.fineTune('wasm', wire, photos, { maxSteps: 4, validateEvery: 2, layers: ['G/out'], identityWeight: 0.5 });
  expect(plain.report.valIdentityWarp).toBeNull();
  expect(r.report.valIdentityWarp).toBeGreaterThan(0);
  expect(r.report.valIdentityBest).toBeGreaterThan(0);
  // Same pairs and steps: the loss now carries 0.5 × the identity distance on top of the pixel terms.
  expect(r.losses[0]!).toBeGreaterThan(plain.losses[0]!);
  expect(r.report.valWarp! - plain.report.valWarp!).toBeCloseTo(0.5 * r.report.valIdentityWarp!, 4);
  expect(r.leakedTensors).toBe(0);
  await expect(session.fineTune('wasm', wire, photos, { maxSteps: 1, identityWeight: -1 })).rejects.toThrow(/identityWeight/);
});

it('the SDK’s neural enrollment adds E’s sections and the fine-tuned layers, re-encodes and re-hashes the embedding', async () => {
  const photos = await pagePhotos([30, 50]);
  const warpOnly = toWire({ ...cases.refiner.embedding, sections: cases.refiner.embedding.sections.filter((s) => s.type !== SectionType.IdentityVector && s.type !== SectionType.AdaInParams) });
  const plain = await session.neuralEnrollment(warpOnly, photos, { backend: 'wasm' });
  expect(plain.sections).toEqual(expect.arrayContaining([SectionType.TextureAtlas, SectionType.IdentityVector, SectionType.AdaInParams]));
  expect(plain.sections).not.toContain(SectionType.GeneratorWeights);
  expect(plain.fineTune).toBeNull();
  expect(plain.hash).toBe(plain.rehash);
  const tuned = await session.neuralEnrollment(warpOnly, photos, { backend: 'wasm', fineTuneSeconds: 4 });
  expect(tuned.fineTune).toMatchObject({ backend: 'wasm', pairs: 2, holdOut: 0, tunedTensors: 8, stopped: 'time' });
  expect(tuned.fineTune!.steps).toBeGreaterThan(0);
  expect(tuned.sections).toContain(SectionType.GeneratorWeights);
  expect(tuned.hash).toBe(tuned.rehash);
  expect(tuned.hash).not.toBe(plain.hash);
  expect(tuned.leakedTensors).toBe(0);
  expect(tuned.tunedLayersDropped).toBe(false);
  // An avatar already near the 256 KB cap (an app's own optional section): the tuned layers are left out, ψ kept.
  const near = (await import('@visage/protocol')).MAX_EMBEDDING_BYTES - Buffer.from(plain.bytesB64, 'base64').length - 4_000;
  const big = { ...warpOnly, sections: [...warpOnly.sections, { type: 200, mandatory: false, b64: Buffer.alloc(near).toString('base64') }] };
  const full = await session.neuralEnrollment(big, photos, { backend: 'wasm', fineTuneSeconds: 2 });
  expect(full.tunedLayersDropped).toBe(true);
  expect(full.fineTune!.tunedTensors).toBe(8);
  expect(full.sections).toEqual(expect.arrayContaining([SectionType.AdaInParams]));
  expect(full.sections).not.toContain(SectionType.GeneratorWeights);
  await expect(session.neuralEnrollment(warpOnly, photos.slice(0, 1), { fineTuneSeconds: 4 })).rejects.toThrow(/at least 2 enrollment photos/);
  await expect(session.neuralEnrollment(warpOnly, photos, { fineTuneSeconds: -1 })).rejects.toThrow(/fineTuneSeconds/);
});

for (const backend of ['wasm', 'webgl'] as const) {
  it(`identity term: the face-recognition distance and its gradient on ${backend} equal tfjs-cpu’s`, async () => {
    const r = await session.identityGradCheck(backend);
    expect(r.leakedTensors).toBe(0);
    expect(r.distance).toBeGreaterThan(0.001);
    expect(r.gradMax).toBeGreaterThan(0);
    expect(r.distanceDiff).toBeLessThan(1e-4);
    expect(r.gradRelDiff).toBeLessThan(1e-3);
  });
}

it("tfjs 'auto' passes over a software GPU (SwiftShader's WebGPU and WebGL here) for wasm", async () => {
  const r = await session.autoBackend();
  expect(r.softwareWebgpu).toMatch(/swiftshader/i);
  expect(r.softwareWebgl).toMatch(/swiftshader/i);
  expect(r.auto).toBe('wasm');
});

it('the one-dispatch WebGPU norm G renders with equals instance norm, scale, shift and ReLU in tfjs ops on tfjs-cpu', async () => {
  const r = await session.normCheck();
  expect(r.cases).toBe(4);
  expect(r.leakedTensors).toBe(0);
  expect(r.meanOut).toBeGreaterThan(0.1);
  expect(r.maxDiff).toBeLessThan(1e-4);
});

for (const backend of ['wasm', 'webgl', 'cpu', 'webgpu'] as const) {
  it(`conv2dTunable: input and kernel gradients on ${backend} equal tfjs-cpu’s conv2d gradients`, async () => {
    const r = await session.tunableGradCheck(backend);
    expect(r.leakedTensors).toBe(0);
    expect(r.y).toBeLessThan(1e-4);
    expect(r.dx).toBeLessThan(1e-4);
    expect(r.dw).toBeLessThan(1e-4);
  });
}
