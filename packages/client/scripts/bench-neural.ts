/**
 * Benchmark (not a test): ms/frame of the neural generator per tfjs backend in headless
 * Chromium (--enable-unsafe-webgpu → SwiftShader WebGPU, correctness only on the small input),
 * plus Node's cpu backend; agreement of each backend's frame with Node cpu.
 *   npx tsx packages/client/scripts/bench-neural.ts [--frames 10] [--g-size 256] [--backends wasm,webgl,cpu,webgpu] [--mouth] [--eyes] [--no-face-refiner]
 * Also prints each backend's cost per near-empty op (lib/timing.ts usPerTinyOp: the per-dispatch
 * overhead that G's ~80 WebGPU dispatches per frame pay; bench-webgpu-node.ts prints Dawn's in Node).
 * --mouth: with the mouth refiner after the face refiner (models/weights/mouth).
 * --eyes: with the eye refiner too (models/weights/eyes); with --mouth and --no-face-refiner, what
 * receivers draw by default for an avatar whose G is not fitted.
 * --no-face-refiner: without G — the warp render alone inside the generator, or with --mouth the warp
 * plus the mouth refiner (what a receiver's `render.mouthRefiner` runs).
 */
import { parseArgs } from 'node:util';
import { openNeuralSession, refinerEmbedding, toWire } from './neural-session.ts';
import { EYE_WEIGHTS_DIR, MOUTH_WEIGHTS_DIR, NEURAL_WEIGHTS_DIR } from './lib/paths.ts';
import { loadEyeWeights, loadMouthWeights } from '../src/generator/neural/mouth-model.ts';
import { nodeWeightsHandler } from '../src/generator/neural/weights-node.ts';
import { useTfBackend } from '../src/generator/neural/tf-backend.ts';
import { loadNeuralWeightsFromDir } from '../src/generator/neural/weights-node.ts';
import { NeuralGenerator } from '../src/generator/neural/neural-generator.ts';
import { loadLandmarks } from '../test/warp-fixtures.ts';
import { pngCodec } from '../src/generator/codec.ts';

const { values } = parseArgs({ options: { frames: { type: 'string' }, 'g-size': { type: 'string' }, backends: { type: 'string' }, size: { type: 'string' }, mouth: { type: 'boolean' }, eyes: { type: 'boolean' }, 'no-face-refiner': { type: 'boolean' } } });
const mouth = values.mouth ?? false;
const eyes = values.eyes ?? false;
const faceRefiner = !values['no-face-refiner'];
const n = Number(values.frames ?? 10);
const gSize = Number(values['g-size'] ?? 256);
const size = Number(values.size ?? 256);
const backends = (values.backends ?? 'wasm,webgl,cpu,webgpu').split(',') as ('webgpu' | 'webgl' | 'wasm' | 'cpu')[];

await useTfBackend('cpu');
const weights = await loadNeuralWeightsFromDir(NEURAL_WEIGHTS_DIR);
// The client's embedding: warp sections + E's vector and ψ, so every backend times the bi-layer path.
const embedding = await refinerEmbedding(weights, 'cpu');
const lm = loadLandmarks(50);
const mouthWeights = mouth ? await loadMouthWeights(nodeWeightsHandler(MOUTH_WEIGHTS_DIR)) : null;
const eyeWeights = eyes ? await loadEyeWeights(nodeWeightsHandler(EYE_WEIGHTS_DIR)) : null;
const g = new NeuralGenerator({ backend: 'cpu', weights, codec: pngCodec, cropSmoothing: 0, faceRefiner, ...(mouthWeights ? { mouthWeights } : {}), ...(eyeWeights ? { eyeWeights } : {}) });
await g.init(embedding);
const ref = { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) };
await g.render(lm, ref);
let t = performance.now();
for (let i = 0; i < n; i++) await g.render(lm, ref);
console.log(`node tfjs-cpu: render ${((performance.now() - t) / n).toFixed(1)} ms/frame (refining: ${g.refining}, face: ${g.refiningFace}, mouth: ${g.refiningMouth}, eyes: ${g.refiningEyes}; G at ${weights.topology.imageSize} px, ${size}×${size} target)`);
g.dispose();
weights.dispose();
mouthWeights?.dispose();
eyeWeights?.dispose();

const session = await openNeuralSession();
try {
  const wire = toWire(embedding);
  for (const b of backends) {
    const slow = b === 'webgpu';
    try {
      const r = await session.run(b, wire, Array.from(lm), size, size, slow ? 2 : n, slow ? 64 : gSize, slow ? 1 : Math.max(2, Math.round(n / 2)), mouth, faceRefiner, eyes);
      const px = Buffer.from(r.pixels, 'base64');
      let maxd = 0;
      for (let i = 0; i < px.length; i++) maxd = Math.max(maxd, Math.abs(px[i]! - ref.data[i]!));
      console.log(`chromium ${r.backend}: render ${r.renderMs.toFixed(1)} ms/frame; bare G at ${r.gSize}×${r.gSize}: ${r.gMs?.toFixed(1)} ms; refining ${r.refining}, mouth ${r.refiningMouth}, eyes ${r.refiningEyes}; leaked tensors ${r.leakedTensors}; max |Δ| vs node cpu ${maxd} levels; ${(await session.tinyOpUs(b)).toFixed(0)} µs per near-empty op`);
    } catch (err) {
      console.log(`chromium ${b}: failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
} finally {
  await session.close();
}
