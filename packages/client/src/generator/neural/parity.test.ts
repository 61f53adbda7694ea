/**
 * Export parity: the committed PyTorch fixture (models/weights/neural/parity) reproduced by the
 * tfjs port on the cpu backend within the fixture's tolerance (1e-3 max abs), for E and G.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useTfBackend } from './tf-backend.ts';
import { loadNeuralWeightsFromDir } from './weights-node.ts';
import { fixtureTensor, maxAbsDiff, readParityFixture, type FixtureTensor } from './fixture-node.ts';
import { NeuralModel } from './model.ts';
import type { NeuralWeights } from './weights.ts';

const WEIGHTS = fileURLToPath(new URL('../../../../../models/weights/neural/', import.meta.url));

describe('neural export parity (tfjs cpu vs PyTorch fixture)', () => {
  let weights: NeuralWeights;
  let model: NeuralModel;
  let fx: Map<string, FixtureTensor>;
  let tol: number;
  const get = (n: string): FixtureTensor => fixtureTensor(fx, n);

  beforeAll(async () => {
    await useTfBackend('cpu');
    weights = await loadNeuralWeightsFromDir(WEIGHTS);
    model = new NeuralModel(weights);
    ({ tensors: fx, tolerance: tol } = await readParityFixture(`${WEIGHTS}parity`));
  });
  afterAll(() => weights?.dispose());

  it('E: averaged embedding and ψ', async () => {
    const f = get('ref_frames'), l = get('ref_lms');
    const [, k, s] = f.shape as [number, number, number];
    const frames = tf.tensor4d(f.data, [k, s, s, 3]);
    const lms = tf.tensor4d(l.data, [k, s, s, 3]);
    const { embedding, psi } = model.embed(frames, lms);
    const dEmb = maxAbsDiff(await embedding.data(), get('embedding').data);
    const dPsi = maxAbsDiff(await psi.data(), get('psi').data);
    tf.dispose([frames, lms, embedding, psi]);
    console.log(`parity E: embedding max |Δ| ${dEmb.toExponential(2)}, psi ${dPsi.toExponential(2)} (tolerance ${tol})`);
    expect(dEmb).toBeLessThan(tol);
    expect(dPsi).toBeLessThan(tol);
  });

  it('G: rgb and mask from the fixture ψ', async () => {
    const lm = get('lm'), warp = get('warp'), psiF = get('psi');
    const before = tf.memory().numTensors;
    const out = model.generate(
      tf.tensor4d(lm.data, lm.shape as [number, number, number, number]),
      tf.tensor2d(psiF.data, psiF.shape as [number, number]),
      tf.tensor4d(warp.data, warp.shape as [number, number, number, number]),
    );
    const dRgb = maxAbsDiff(await out.rgb.data(), get('rgb').data);
    const dMask = maxAbsDiff(await out.mask.data(), get('mask').data);
    tf.dispose([out.rgb, out.mask]);
    // The three inputs above were created outside a tidy: they are the only leftovers.
    expect(tf.memory().numTensors - before).toBe(3);
    console.log(`parity G: rgb max |Δ| ${dRgb.toExponential(2)}, mask ${dMask.toExponential(2)} (tolerance ${tol})`);
    expect(dRgb).toBeLessThan(tol);
    expect(dMask).toBeLessThan(tol);
  });

  it('refiner: the composite (warp + mask·Δ, or warp·(1−mask) + rgb·mask) at S×S, from real v1 warp channels', async () => {
    if (!weights.topology.net.refine) return; // weights trained without the warp channels
    const comp = fx.get('composite');
    expect(comp, 'refiner fixtures hold the composite').toBeDefined();
    const warp = get('warp').data, rgb = get('rgb').data, mask = get('mask').data;
    let nonzero = 0;
    for (let p = 0; p < mask.length; p++) if (warp[4 * p + 3]! > 0) nonzero++;
    expect(nonzero, 'the fixture feeds a real warp mask, not zeros').toBeGreaterThan(mask.length / 20);
    const lm = get('lm'), psiF = get('psi');
    const out = model.generate(
      tf.tensor4d(lm.data, lm.shape as [number, number, number, number]),
      tf.tensor2d(psiF.data, psiF.shape as [number, number]),
      tf.tensor4d(warp, get('warp').shape as [number, number, number, number]),
    );
    const r = await out.rgb.data(), m = await out.mask.data();
    tf.dispose([out.rgb, out.mask]);
    const mine = new Float32Array(r.length);
    const residual = weights.topology.net.residual === true;
    for (let p = 0; p < m.length; p++) {
      for (let c = 0; c < 3; c++) {
        const w = warp[4 * p + c]!, x = r[3 * p + c]!, k = m[p]!;
        mine[3 * p + c] = residual ? Math.min(1, Math.max(-1, w + k * x)) : w * (1 - k) + x * k;
      }
    }
    const d = maxAbsDiff(mine, comp!.data);
    console.log(`parity composite: max |Δ| ${d.toExponential(2)} (tolerance ${tol}); fixture mask mean ${(mask.reduce((a, b) => a + b, 0) / mask.length).toFixed(3)}, rgb[0] ${rgb[0]!.toFixed(3)}`);
    expect(d).toBeLessThan(tol);
  });
});
