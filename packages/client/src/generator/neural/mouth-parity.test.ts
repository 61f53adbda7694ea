/**
 * Export parity of the mouth refiner: the committed PyTorch fixture (models/weights/mouth/parity,
 * written by `python -m neural.mouth export`) reproduced by the tfjs port on the cpu backend within
 * the fixture's tolerance (1e-3 max abs): Δ, the correction's weight (window · mask) and the patch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useTfBackend } from './tf-backend.ts';
import { nodeWeightsHandler } from './weights-node.ts';
import { fixtureTensor, maxAbsDiff, readParityFixture, type FixtureTensor } from './fixture-node.ts';
import { MouthModel, loadMouthWeights, validateMouthTopology, type MouthWeights } from './mouth-model.ts';
import { EYE_REGIONS } from './mouth-patch.ts';

const WEIGHTS = fileURLToPath(new URL('../../../../../models/weights/mouth/', import.meta.url));

describe('mouth refiner export parity (tfjs cpu vs PyTorch fixture)', () => {
  let weights: MouthWeights;
  let model: MouthModel;
  let fx: Map<string, FixtureTensor>;
  let tol: number;
  const get = (n: string): FixtureTensor => fixtureTensor(fx, n);

  beforeAll(async () => {
    await useTfBackend('cpu');
    weights = await loadMouthWeights(nodeWeightsHandler(WEIGHTS));
    model = new MouthModel(weights);
    ({ tensors: fx, tolerance: tol } = await readParityFixture(`${WEIGHTS}parity`));
  });
  afterAll(() => {
    model?.dispose();
    weights?.dispose();
  });

  it('Δ, alpha and the refined patch match PyTorch on real patches', async () => {
    const warp = get('warp'), lips = get('lips');
    const before = tf.memory().numTensors;
    const w = tf.tensor4d(warp.data, warp.shape as [number, number, number, number]);
    const l = tf.tensor4d(lips.data, lips.shape as [number, number, number, number]);
    const { delta, alpha } = model.run(w, l);
    const patch = tf.tidy(() => tf.clipByValue(tf.add(w, tf.mul(alpha, delta)), -1, 1));
    const d = { delta: maxAbsDiff(await delta.data(), get('delta').data), alpha: maxAbsDiff(await alpha.data(), get('alpha').data), patch: maxAbsDiff(await patch.data(), get('patch').data) };
    tf.dispose([w, l, delta, alpha, patch]);
    expect(tf.memory().numTensors).toBe(before);
    console.log(`mouth parity: Δ ${d.delta.toExponential(2)}, alpha ${d.alpha.toExponential(2)}, patch ${d.patch.toExponential(2)} (tolerance ${tol})`);
    for (const v of Object.values(d)) expect(v).toBeLessThan(tol);
    // Not a zero network: the fixture's correction is visible somewhere.
    const a = get('alpha').data, dl = get('delta').data;
    let m = 0;
    for (let p = 0; p < a.length; p++) m = Math.max(m, a[p]! * Math.abs(dl[3 * p]!));
    expect(m).toBeGreaterThan(0.01);
  });

  it('refuses weights cut for another patch geometry or with a broken topology', () => {
    const t = { ...weights.topology };
    expect(() => validateMouthTopology({ ...t, span: t.span + 0.1 })).toThrow(/span/);
    expect(() => validateMouthTopology({ ...t, channels: [1, 2] })).toThrow(/channels/);
    expect(() => validateMouthTopology({ ...t, layout: 'NCHW' })).toThrow(/NHWC/);
    expect(() => validateMouthTopology(null)).toThrow(/modelTopology/);
    // Mouth weights are not eye weights: the eyes' window has another drop.
    expect(() => validateMouthTopology(t, EYE_REGIONS[0])).toThrow(/eye-right weights: trained on a patch of span 1.6, drop 0.1/);
  });
});
