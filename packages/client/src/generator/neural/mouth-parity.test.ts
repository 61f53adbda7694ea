/**
 * Export parity of the mouth and eye refiners: each committed PyTorch fixture (models/weights/mouth/parity,
 * models/weights/eyes/parity, written by `python -m neural.mouth export`) reproduced by the tfjs port on the cpu backend within
 * the fixture's tolerance (1e-3 max abs): Δ, the correction's weight (window · mask) and the patch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useTfBackend } from './tf-backend.ts';
import { nodeWeightsHandler } from './weights-node.ts';
import { fixtureTensor, maxAbsDiff, readParityFixture, type FixtureTensor } from './fixture-node.ts';
import { MouthModel, loadEyeWeights, loadMouthWeights, validateMouthTopology, type MouthWeights } from './mouth-model.ts';
import { EYE_REGIONS, MOUTH_REGION } from './mouth-patch.ts';

const WEIGHTS = fileURLToPath(new URL('../../../../../models/weights/mouth/', import.meta.url));
const EYE_WEIGHTS = fileURLToPath(new URL('../../../../../models/weights/eyes/', import.meta.url));

describe.each([
  { name: 'mouth', dir: WEIGHTS, load: loadMouthWeights },
  { name: 'eye', dir: EYE_WEIGHTS, load: loadEyeWeights },
])('$name refiner export parity (tfjs cpu vs PyTorch fixture)', ({ name, dir, load }) => {
  let weights: MouthWeights;
  let model: MouthModel;
  let fx: Map<string, FixtureTensor>;
  let tol: number;
  const get = (n: string): FixtureTensor => fixtureTensor(fx, n);

  beforeAll(async () => {
    await useTfBackend('cpu');
    weights = await load(nodeWeightsHandler(dir));
    model = new MouthModel(weights);
    ({ tensors: fx, tolerance: tol } = await readParityFixture(`${dir}parity`));
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
    console.log(`${name} parity: Δ ${d.delta.toExponential(2)}, alpha ${d.alpha.toExponential(2)}, patch ${d.patch.toExponential(2)} (tolerance ${tol})`);
    for (const v of Object.values(d)) expect(v).toBeLessThan(tol);
    // Not a zero network: the fixture's correction is visible somewhere.
    const a = get('alpha').data, dl = get('delta').data;
    let m = 0;
    for (let p = 0; p < a.length; p++) m = Math.max(m, a[p]! * Math.abs(dl[3 * p]!));
    expect(m).toBeGreaterThan(0.01);
  });

  it('refuses weights cut for another patch geometry or with a broken topology', () => {
    const t = { ...weights.topology };
    const [own, other] = name === 'mouth' ? [MOUTH_REGION, EYE_REGIONS[0]!] : [EYE_REGIONS[0]!, MOUTH_REGION];
    expect(validateMouthTopology(t, own)).toBe(t);
    expect(() => validateMouthTopology({ ...t, span: t.span + 0.1 }, own)).toThrow(/span/);
    expect(() => validateMouthTopology({ ...t, channels: [1, 2] }, own)).toThrow(/channels/);
    expect(() => validateMouthTopology({ ...t, layout: 'NCHW' }, own)).toThrow(/NHWC/);
    expect(() => validateMouthTopology(null, own)).toThrow(/modelTopology/);
    for (const lowpass of [0, -1, 4.5, Number.NaN, '2']) expect(() => validateMouthTopology({ ...t, lowpass }, own)).toThrow(/lowpass/);
    expect(validateMouthTopology({ ...t, lowpass: 2 }, own).lowpass).toBe(2);
    // Mouth weights are not eye weights, nor the other way round: the windows' drops differ.
    expect(() => validateMouthTopology(t, other)).toThrow(new RegExp(`${other.name} weights: trained on a patch of span 1.6, drop ${own.drop}`));
  });
});
