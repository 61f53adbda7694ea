/**
 * The fine-tuning's face-recognition network (face-features.ts) against its golden fixture:
 * face-api's own FaceRecognitionNet on a real face crop (scripts/face-features-fixture.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useTfBackend } from './tf-backend.ts';
import { nodeWeightsHandler } from './weights-node.ts';
import { FaceFeatureNet, identityDistance } from './face-features.ts';

const DIR = fileURLToPath(new URL('../../../../../models/weights/face-recognition/', import.meta.url));

describe('face-recognition network for the identity term', () => {
  let net: FaceFeatureNet;
  let input: tf.Tensor4D;
  let expected: number[];

  beforeAll(async () => {
    await useTfBackend('cpu');
    net = await FaceFeatureNet.load(nodeWeightsHandler(DIR));
    const rgb = await readFile(`${DIR}fixture.bin`);
    expect(rgb.byteLength).toBe(150 * 150 * 3);
    // [-1, 1], as the fine-tuning's crops are.
    input = tf.tidy(() => tf.sub(tf.div(tf.tensor4d(Float32Array.from(rgb), [1, 150, 150, 3]), 127.5), 1));
    expected = (JSON.parse(await readFile(`${DIR}fixture.json`, 'utf8')) as { descriptor: number[] }).descriptor;
  });
  afterAll(() => {
    net?.dispose();
    input?.dispose();
  });

  it("gives face-api's descriptor for the fixture face (max abs difference < 1e-3)", async () => {
    const d = net.describe(input);
    expect(d.shape).toEqual([1, 128]);
    const got = await d.data();
    d.dispose();
    expect(expected).toHaveLength(128);
    let worst = 0;
    for (let i = 0; i < 128; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('identity distance: 0 for the same direction, 1 for orthogonal, 2 for opposite, averaged over rows', async () => {
    const a = tf.tensor2d([[1, 0], [0, 3], [2, 2]]);
    const b = tf.tensor2d([[5, 0], [1, 0], [-1, -1]]);
    expect((await identityDistance(a, b).data())[0]).toBeCloseTo((0 + 1 + 2) / 3, 6);
    tf.dispose([a, b]);
  });

  it('refuses weights that are not this network', async () => {
    const neural = fileURLToPath(new URL('../../../../../models/weights/neural/', import.meta.url));
    await expect(FaceFeatureNet.load(nodeWeightsHandler(neural))).rejects.toThrow(/format/);
  });
});
