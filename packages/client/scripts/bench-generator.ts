/**
 * npm-less benchmark (not a test): ms/frame of the warp generator per backend in headless
 * Chromium on this machine, plus the CPU backend in Node, and the image agreement with CPU.
 *   npx tsx packages/client/scripts/bench-generator.ts [--sizes 256,512] [--frames 20]
 */
import { parseArgs } from 'node:util';
import { openGeneratorSession, toWireEmbedding } from './generator-session.ts';
import { enrollWarpAvatar } from '../src/enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';
import { pngCodec } from '../src/generator/codec.ts';
import { embeddingPayloadBytes } from '../src/generator/warp/content.ts';
import { loadFrame, loadLandmarks, psnr, faceMask } from '../test/warp-fixtures.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string' }, frames: { type: 'string' }, backends: { type: 'string' } } });
const sizes = (values.sizes ?? '256,512').split(',').map(Number);
const n = Number(values.frames ?? 20);
const backends = (values.backends ?? 'webgpu,webgl,cpu').split(',') as ('webgpu' | 'webgl' | 'cpu')[];
const l30 = loadLandmarks(30), l50 = loadLandmarks(50);
const f30 = await loadFrame(30), f50 = await loadFrame(50);
const { embedding } = await enrollWarpAvatar([{ image: f30, landmarks: l30 }], { codec: pngCodec });
console.log(`embedding payload: ${embeddingPayloadBytes(embedding)} bytes (PNG sections)`);

const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
await g.init(embedding);
const out = { width: 256, height: 256, data: new Uint8ClampedArray(256 * 256 * 4) };
await g.render(l30, out);
console.log(`identity PSNR: face ${psnr(out.data, f30.data, faceMask(l30, 256, 256)).toFixed(2)} dB, whole frame ${psnr(out.data, f30.data).toFixed(2)} dB`);
await g.render(l50, out);
console.log(`head turn (frame 50 landmarks) face PSNR vs real frame 50: ${psnr(out.data, f50.data, faceMask(l50, 256, 256)).toFixed(2)} dB (unwarped photo: ${psnr(f30.data, f50.data, faceMask(l50, 256, 256)).toFixed(2)} dB)`);
for (const size of sizes) {
  const o = { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) };
  for (let i = 0; i < 3; i++) await g.render(i % 2 ? l50 : l30, o);
  const t = performance.now();
  for (let i = 0; i < n; i++) await g.render(i % 2 ? l50 : l30, o);
  console.log(`node cpu ${size}×${size}: ${((performance.now() - t) / n).toFixed(1)} ms/frame`);
}
g.dispose();

const s = await openGeneratorSession();
try {
  const wire = toWireEmbedding(embedding);
  for (const size of sizes) for (const b of backends) {
    const r = await s.call('bench', b, wire, [Array.from(l30), Array.from(l50)], size, size, n);
    console.log(`chromium ${r.backend} ${size}×${size}: ${r.msPerFrame.toFixed(1)} ms/frame`);
  }
} finally {
  await s.close();
}
