/**
 * Benchmark (not a test): the generators on native WebGPU in Node — Dawn, the WebGPU
 * implementation inside Chromium, through the `webgpu` npm package's dawn.node — for GPU timings
 * on machines that have a GPU but no browser (the accelerator machine). Prints ms/frame of:
 * the warp generator's WGSL rasteriser (against the CPU rasteriser, same frames), the issue's
 * reference conv stack, G bare at 64 and 256 px, the neural generator as receivers run it
 * (refiners on tfjs-backend-webgpu, warp on the CPU or WebGPU rasteriser), and ψ fine-tuning
 * steps; every WebGPU frame is compared with tfjs-cpu's / the CPU rasteriser's.
 *
 * It runs as an esbuild bundle (tfjs-backend-webgpu's ESM build does not load under tsx in Node),
 * which also lets it run where there is no node_modules: scripts/device/prepare.sh packs the
 * bundle, a node binary, dawn.node and the Vulkan loader; scripts/device/run.sh runs it there.
 *   node bench.mjs --dawn path/to/dawn.node [--root REPO] [--frames 30] [--json FILE] [--quick]
 * --root: the repo (weights and fixtures), default cwd. --quick: small sizes and few frames (a
 * correctness run on a software adapter, e.g. ICD_OVERRIDE=/usr/lib/chromium/vk_swiftshader_icd.json).
 */
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useTfBackend } from '../src/generator/neural/tf-backend.ts';
import { loadNeuralWeightsFromDir, nodeWeightsHandler } from '../src/generator/neural/weights-node.ts';
import { loadEyeWeights, loadMouthWeights } from '../src/generator/neural/mouth-model.ts';
import { addNeuralSections } from '../src/generator/neural/enroll.ts';
import { NeuralGenerator } from '../src/generator/neural/neural-generator.ts';
import { NeuralModel } from '../src/generator/neural/model.ts';
import { DEFAULT_FINE_TUNE_LAYERS, readNeuralSections } from '../src/generator/neural/sections.ts';
import { fineTuneNeural } from '../src/generator/neural/fine-tune.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';
import { enrollWarpAvatar } from '../src/enrollment/atlas/enroll.ts';
import { pngCodec } from '../src/generator/codec.ts';
import { decodePng } from '../src/generator/png.ts';
import type { RgbaImage } from '../src/generator/image.ts';
import { msPerRender, usPerTinyOp, type RenderTarget, type Renders } from './lib/timing.ts';

const { values } = parseArgs({
  options: {
    dawn: { type: 'string' },
    root: { type: 'string' },
    frames: { type: 'string', default: '30' },
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const n = Number(values.frames);
if (!Number.isInteger(n) || n < 1) throw new TypeError(`--frames must be a positive integer, got ${values.frames}`);
const quick = values.quick ?? false;
const root = resolve(values.root ?? process.cwd());
const out: Record<string, unknown> = {};
const log = (key: string, value: unknown, line: string) => { out[key] = value; console.log(line); };

// ---- Dawn as navigator.gpu -------------------------------------------------------------------
type Dawn = { create(flags: string[]): unknown; globals: Record<string, unknown> };
if (!values.dawn) throw new TypeError('--dawn FILE (dawn.node from the npm package `webgpu`) is required');
const dawn = createRequire(import.meta.url)(resolve(values.dawn)) as Dawn;
Object.assign(globalThis, dawn.globals);
const gpu = dawn.create([]) as { requestAdapter(o?: object): Promise<{ info: Record<string, unknown> } | null> };
Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('Dawn found no WebGPU adapter (Vulkan driver and loader installed? VK_ICD_FILENAMES?)');
const info = adapter.info;
log('adapter', { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
  `adapter: ${String(info.vendor)} ${String(info.architecture)} ${String(info.description)} (device ${String(info.device)})`);

// ---- fixtures: the warp golden fixtures' frames 30 / 50 --------------------------------------
const fixtures = resolve(root, 'packages/client/test/fixtures/warp');
const frame = (i: 30 | 50): Promise<RgbaImage> => decodePng(new Uint8Array(readFileSync(`${fixtures}/edtalk-pose_source1-f${i}.png`)));
const lmJson = JSON.parse(readFileSync(`${fixtures}/edtalk-pose_source1-landmarks.json`, 'utf8')) as { frames: Record<string, number[]> };
const landmarks = (i: 30 | 50) => Float32Array.from(lmJson.frames[String(i)]!);
const photo30 = await frame(30), photo50 = await frame(50), lm30 = landmarks(30), lm50 = landmarks(50);

const target = (w: number, h: number): RenderTarget => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) });
const timeRenders = (g: Renders, t: RenderTarget, frames: number): Promise<number> => msPerRender(g, t, lm50, lm30, frames);
function diff(a: Uint8ClampedArray, b: Uint8ClampedArray): { max: number; mean: number } {
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); sum += d; if (d > max) max = d; }
  return { max, mean: sum / a.length };
}
const fmt = (x: number) => x.toFixed(x < 10 ? 2 : 1);

const sizes: [number, number][] = quick ? [[128, 128]] : [[256, 256], [640, 480], [1280, 720]];
const frames = quick ? Math.min(n, 3) : n;

// ---- 1. the warp generator: WGSL rasteriser against the CPU one ------------------------------
const { embedding: warpEmbedding } = await enrollWarpAvatar([{ image: photo30, landmarks: lm30 }], { codec: pngCodec });
for (const [w, h] of sizes) {
  const cpu = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
  const gpuWarp = new WarpGenerator({ backend: 'webgpu', codec: pngCodec });
  await cpu.init(warpEmbedding); await gpuWarp.init(warpEmbedding);
  const a = target(w, h), b = target(w, h);
  const cpuMs = await timeRenders(cpu, a, frames);
  const gpuMs = await timeRenders(gpuWarp, b, frames);
  await cpu.render(lm50, a); await gpuWarp.render(lm50, b);
  const d = diff(a.data, b.data);
  log(`warp_${w}x${h}`, { cpuMs, webgpuMs: gpuMs, maxDiff: d.max, meanDiff: d.mean },
    `warp ${w}×${h}: webgpu ${fmt(gpuMs)} ms/frame (readback included), cpu ${fmt(cpuMs)} ms/frame; |Δ| max ${d.max} mean ${d.mean.toFixed(3)} levels`);
  cpu.dispose(); gpuWarp.dispose();
}

// ---- 2. tfjs-backend-webgpu: the reference conv stack and G bare ---------------------
await useTfBackend('webgpu');
log('tfBackend', tf.getBackend(), `tfjs backend: ${tf.getBackend()}`);
async function timeTf(f: () => tf.Tensor, reps: number): Promise<number> {
  const once = async () => { const y = f(); await y.data(); y.dispose(); };
  await once(); await once();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await once();
  return (performance.now() - t0) / reps;
}
{
  const s = quick ? 64 : 256;
  const x = tf.randomUniform([1, s, s, 64], -1, 1) as tf.Tensor4D;
  const ws = Array.from({ length: 8 }, (_, i) => tf.randomUniform([3, 3, 64, 64], -0.05, 0.05, 'float32', i + 1) as tf.Tensor4D);
  const ms = await timeTf(() => tf.tidy(() => ws.reduce((h, w) => tf.relu(tf.conv2d(h, w, 1, 'same')), x)), frames);
  const gflop = (8 * 2 * s * s * 64 * 64 * 9) / 1e9;
  log('convStack', { size: s, ms, gflop, gflops: gflop / (ms / 1000) },
    `8 × conv 3×3 64→64 at ${s}×${s} (${gflop.toFixed(1)} GFLOP): ${fmt(ms)} ms (${(gflop / (ms / 1000)).toFixed(0)} GFLOP/s), readback included`);
  tf.dispose([x, ...ws]);
  const us = await usPerTinyOp(tf);
  log('tinyOpUs', us, `a near-empty op (8×8×16 add) costs ${us.toFixed(0)} µs: the per-dispatch overhead`);
}
const weightsDir = (name: string) => resolve(root, 'models/weights', name);
/**
 * The three networks' weights, loaded under `backend` so that their tensors live there (a tensor
 * moved from WebGPU to the CPU backend is read synchronously, which tfjs-webgpu cannot do in Node).
 */
async function loadWeights(backend: 'cpu' | 'webgpu') {
  await useTfBackend(backend);
  return {
    weights: await loadNeuralWeightsFromDir(weightsDir('neural')),
    mouthWeights: await loadMouthWeights(nodeWeightsHandler(weightsDir('mouth'))),
    eyeWeights: await loadEyeWeights(nodeWeightsHandler(weightsDir('eyes'))),
  };
}
const onCpu = await loadWeights('cpu');
const embedding = await addNeuralSections(warpEmbedding, [photo30], [lm30], { weights: onCpu.weights, backend: 'cpu' });
const onGpu = await loadWeights('webgpu');
const weights = onGpu.weights;
{
  const model = new NeuralModel(weights);
  const psiV = readNeuralSections(embedding).psi!;
  const psi = tf.tensor2d(psiV, [1, psiV.length]);
  for (const s of quick ? [64] : [64, 256]) {
    const x = tf.randomUniform([1, s, s, 3], -1, 1) as tf.Tensor4D;
    const warp = tf.zeros([1, s, s, model.topology.net.warp_ch]) as tf.Tensor4D;
    const run = () => tf.tidy(() => { const o = model.generate(x, psi, warp); return tf.concat([o.rgb, o.mask], 3); });
    const ms = await timeTf(run, frames);
    // tfjs kernels per frame; the one-dispatch norms (webgpu-norm.ts) are not tfjs kernels and come on top.
    const prof = await tf.profile(async () => { const y = run(); await y.data(); y.dispose(); });
    log(`g_${s}`, { ms, tfjsKernels: prof.kernels.length }, `G bare at ${s}×${s} (shipped face refiner's network; ${s === 256 ? 'the full config\'s frame size' : 'its trained size'}): ${fmt(ms)} ms, readback included; ${prof.kernels.length} tfjs kernels + the norms' own dispatches`);
    tf.dispose([x, warp]);
  }
  psi.dispose();
}

// ---- 3. the neural generator as receivers run it --------------------------------------------
const configs = [
  { name: 'warp+eyes+mouth', faceRefiner: false, eyes: true },
  { name: 'G+mouth', faceRefiner: true, eyes: false },
] as const;
for (const c of configs) {
  for (const warpBackend of ['cpu', 'webgpu'] as const) {
    for (const [w, h] of sizes.slice(0, 2)) {
      const opts = (backend: 'cpu' | 'webgpu') => {
        const w = backend === 'cpu' ? onCpu : onGpu;
        return {
          backend, weights: w.weights, codec: pngCodec, cropSmoothing: 0, faceRefiner: c.faceRefiner, mouthWeights: w.mouthWeights,
          ...(c.eyes ? { eyeWeights: w.eyeWeights } : {}), warpBackend: backend === 'cpu' ? 'cpu' as const : warpBackend,
        };
      };
      await useTfBackend('cpu');
      const ref = new NeuralGenerator(opts('cpu'));
      await ref.init(embedding);
      const a = target(w, h);
      await ref.render(lm50, a);
      ref.dispose();
      await useTfBackend('webgpu');
      const g = new NeuralGenerator(opts('webgpu'));
      await g.init(embedding);
      const b = target(w, h);
      const before = tf.memory().numTensors;
      const ms = await timeRenders(g, b, frames);
      const leaked = tf.memory().numTensors - before;
      await g.render(lm50, b);
      const d = diff(a.data, b.data);
      log(`neural_${c.name}_warp-${warpBackend}_${w}x${h}`, { ms, maxDiff: d.max, meanDiff: d.mean, leaked, refining: g.refining, mouth: g.refiningMouth },
        `neural ${c.name}, warp on ${warpBackend}, ${w}×${h}: ${fmt(ms)} ms/frame (${(1000 / ms).toFixed(0)} fps); vs tfjs-cpu |Δ| max ${d.max} mean ${d.mean.toFixed(3)} levels; leaked tensors ${leaked}`);
      g.dispose();
    }
  }
}

// ---- 4. ψ fine-tuning steps on WebGPU (the sender's optional fine-tune) -----------------------
{
  const photos = [{ image: photo30, landmarks: lm30 }, { image: photo50, landmarks: lm50 }];
  await useTfBackend('cpu');
  const emb2 = await addNeuralSections(warpEmbedding, [photo30, photo50], [lm30, lm50], { weights: onCpu.weights, backend: 'cpu' });
  const runs = [
    { backend: 'webgpu', layers: [] as string[] }, { backend: 'webgpu', layers: [...DEFAULT_FINE_TUNE_LAYERS] },
    { backend: 'cpu', layers: [] as string[] },
  ] as const;
  for (const { backend, layers } of runs) {
    const steps = backend === 'cpu' || quick ? 5 : 100;
    const t0 = performance.now();
    const r = await fineTuneNeural(emb2, photos, { weights: backend === 'cpu' ? onCpu.weights : onGpu.weights, backend, maxSteps: steps, maxSeconds: 120, layers });
    const s = (performance.now() - t0) / 1000;
    const what = layers.length ? `ψ + ${layers.join(', ')}` : 'ψ';
    log(`fineTune_${backend}${layers.length ? '_layers' : ''}`, { steps: r.report.steps, seconds: s, layers, report: r.report },
      `fine-tune ${what} on ${backend}: ${r.report.steps} steps in ${s.toFixed(2)} s (${fmt((s * 1000) / Math.max(1, r.report.steps))} ms/step incl. set-up; L1 ${r.report.l1Before.toFixed(4)} → ${r.report.l1After.toFixed(4)})`);
  }
}

for (const w of [onCpu, onGpu]) { w.weights.dispose(); w.mouthWeights.dispose(); w.eyeWeights.dispose(); }
if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 1));
process.exit(0); // dawn.node keeps the event loop alive while navigator.gpu is referenced
