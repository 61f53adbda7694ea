/**
 * Node timing of the 'neural' generator (bi-layer refiner) against the warp generator alone
 * (CPU rasteriser for both warps), same embedding, same landmarks, 256×256 target; tfjs on
 * 'wasm' (default; tfjs-backend-wasm's binaries from node_modules) or 'cpu'.
 *
 *   npx tsx packages/client/scripts/bench-neural-node.ts [--backend wasm|cpu] [--weights DIR] [--size 256] [--n 10]
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { REPO_ROOT } from './lib/paths.ts';
import { useTfBackend } from '../src/generator/neural/tf-backend.ts';
import { loadNeuralWeightsFromDir } from '../src/generator/neural/weights-node.ts';
import { addNeuralSections } from '../src/generator/neural/enroll.ts';
import { NeuralGenerator } from '../src/generator/neural/neural-generator.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';
import { enrollWarpAvatar } from '../src/enrollment/atlas/enroll.ts';
import { pngCodec } from '../src/generator/codec.ts';
import { loadFrame, loadLandmarks } from '../test/warp-fixtures.ts';
import { msPerRender, type Renders } from './lib/timing.ts';

const { values } = parseArgs({ options: { weights: { type: 'string' }, size: { type: 'string', default: '256' }, n: { type: 'string', default: '10' }, backend: { type: 'string', default: 'wasm' } } });
const size = Number(values.size), n = Number(values.n);
const backend = values.backend === 'cpu' ? 'cpu' : 'wasm';
const wasmPath = resolve(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/';
await useTfBackend(backend, { wasmPath });
const weights = await loadNeuralWeightsFromDir(values.weights ?? resolve(REPO_ROOT, 'models/weights/neural'));
const photo = await loadFrame(30), lm30 = loadLandmarks(30), lm50 = loadLandmarks(50);
const { embedding: warpEmb } = await enrollWarpAvatar([{ image: photo, landmarks: lm30 }], { codec: pngCodec });
const embedding = await addNeuralSections(warpEmb, [photo], [lm30], { weights, backend, wasmPath });
const target = { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) };
const time = (g: Renders): Promise<number> => msPerRender(g, target, lm50, lm30, n);
const w = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
await w.init(embedding);
const warpMs = await time(w);
w.dispose();
const g = new NeuralGenerator({ backend, wasmPath, weights, codec: pngCodec });
await g.init(embedding);
const neuralMs = await time(g);
console.log(`tfjs ${g.tfBackend}; ${size}×${size}, ${n} frames: warp alone ${warpMs.toFixed(1)} ms/frame; neural (refining: ${g.refining}, S=${g.imageSize}) ${neuralMs.toFixed(1)} ms/frame`);
g.dispose();
weights.dispose();
