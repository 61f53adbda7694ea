/**
 * NeuralGenerator on the cpu backend with the committed weights: crop pipeline vs Pillow,
 * enrollment → sections → init → render, tensor hygiene (tf.memory().numTensors unchanged), and
 * the bi-layer refiner: the frame is the full-resolution warp render with G's correction blended in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SectionType, decodeGeneratorWeights, encodeGeneratorWeights, type AvatarEmbedding } from '@visage/protocol';
import { createGenerator } from '../registry.ts';
import { useTfBackend } from './tf-backend.ts';
import { loadNeuralWeightsFromDir, nodeWeightsHandler } from './weights-node.ts';
import { addNeuralSections } from './enroll.ts';
import { DEFAULT_FACE_LOWPASS, NeuralGenerator, faceLowpassFor } from './neural-generator.ts';
import { readNeuralSections } from './sections.ts';
import { readTunedWeights, withTunedWeights } from './tuned-weights.ts';
import { cropBox, cropRect, cropResize, toCropPixels } from './crop.ts';
import { rasteriseLandmarks } from './landmark-image.ts';
import { validateTopology, type NeuralWeights } from './weights.ts';
import { loadFrame, loadLandmarks, faceMask } from '../../../test/warp-fixtures.ts';
import { enrollWarpAvatar } from '../../enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../warp/warp-generator.ts';
import { pngCodec } from '../codec.ts';
import { loadMouthWeights } from './mouth-model.ts';
import { EYE_REGIONS, imageToPatch, mouthPatchFrame } from './mouth-patch.ts';

const WEIGHTS = fileURLToPath(new URL('../../../../../models/weights/neural/', import.meta.url));
const MOUTH_WEIGHTS = fileURLToPath(new URL('../../../../../models/weights/mouth/', import.meta.url));
const EMPTY: AvatarEmbedding = { formatVersion: 1, generator: { family: 'neural', version: 1 }, sections: [] };

describe('neural crop pipeline (port of models/neural/data.py)', () => {
  const fx = JSON.parse(readFileSync(new URL('../../../test/fixtures/neural/crop.json', import.meta.url), 'utf8')) as { size: number; rect: number[]; frame: string; lmimg: string }[];
  it('crop rect, resized crop (±1 level) and landmark image (exact) match Pillow', async () => {
    const img = await loadFrame(30), lm = loadLandmarks(30);
    for (const e of fx) {
      const r = cropRect(cropBox(lm, img.width, img.height));
      expect([r.x0, r.y0, r.side]).toEqual(e.rect);
      const want = Buffer.from(e.frame, 'base64');
      const got = cropResize(img, r, e.size);
      let m = 0;
      for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(Math.round((got[i]! + 1) * 127.5) - want[i]!));
      expect(m, `${e.size} px`).toBeLessThanOrEqual(1);
      const lmimg = rasteriseLandmarks(toCropPixels(lm, img.width, img.height, r, e.size), e.size);
      if (e.size === 64) expect(Buffer.from(lmimg).equals(Buffer.from(e.lmimg, 'base64'))).toBe(true);
    }
  });
});

describe('G trained through a low-pass (net.lowpass)', () => {
  const topology = JSON.parse(readFileSync(new URL('model.json', `file://${WEIGHTS}`), 'utf8')).modelTopology;
  it('the topology takes 0 or a σ on a residual refiner, and refuses others with a TypeError', () => {
    expect(validateTopology({ ...topology, net: { ...topology.net, lowpass: 2 } }).net.lowpass).toBe(2);
    expect(validateTopology({ ...topology, net: { ...topology.net, lowpass: 0 } }).net.lowpass).toBe(0);
    for (const lowpass of [-1, 4.5, Number.NaN, '2']) expect(() => validateTopology({ ...topology, net: { ...topology.net, lowpass } })).toThrow(/net.lowpass/);
    expect(() => validateTopology({ ...topology, net: { ...topology.net, residual: false, lowpass: 2 } })).toThrow(/residual/);
  });
  it('the σ receivers use: the option, else the weights’ own, else the default; none without a residual G', () => {
    const net = topology.net;
    expect(net.residual).toBe(true);
    expect(faceLowpassFor(net, undefined)).toBe(net.lowpass ? net.lowpass : DEFAULT_FACE_LOWPASS);
    expect(faceLowpassFor({ ...net, lowpass: 0 }, undefined)).toBe(DEFAULT_FACE_LOWPASS);
    expect(faceLowpassFor({ ...net, lowpass: 1.5 }, undefined)).toBe(1.5);
    expect(faceLowpassFor({ ...net, lowpass: 1.5 }, null)).toBeNull();
    expect(faceLowpassFor({ ...net, lowpass: 1.5 }, 3)).toBe(3);
    expect(faceLowpassFor({ ...net, residual: false }, 3)).toBeNull();
  });
});

describe('NeuralGenerator (cpu backend)', () => {
  let weights: NeuralWeights;
  /** Neural sections only (no warp avatar). */
  let neuralOnly: AvatarEmbedding;
  /** What a sender ships: the warp avatar (photo 30) plus the neural sections (photos 30, 50). */
  let embedding: AvatarEmbedding;
  /** The same warp avatar without neural sections (any warp-only enrollment). */
  let warpAvatar: AvatarEmbedding;
  beforeAll(async () => {
    await useTfBackend('cpu');
    weights = await loadNeuralWeightsFromDir(WEIGHTS);
    const before = tf.memory().numTensors;
    const photos = [await loadFrame(30), await loadFrame(50)], lms = [loadLandmarks(30), loadLandmarks(50)];
    neuralOnly = await addNeuralSections(EMPTY, photos, lms, { weights, backend: 'cpu' });
    const warp = await enrollWarpAvatar([{ image: photos[0]!, landmarks: lms[0]! }], { codec: pngCodec });
    warpAvatar = warp.embedding;
    embedding = await addNeuralSections(warp.embedding, photos, lms, { weights, backend: 'cpu' });
    expect(tf.memory().numTensors).toBe(before);
  });
  afterAll(() => weights?.dispose());

  it('enrollment writes IdentityVector and AdaInParams sections of the weights’ sizes', () => {
    const types = neuralOnly.sections.map((s) => s.type);
    expect(types).toEqual([SectionType.IdentityVector, SectionType.AdaInParams]);
    expect(neuralOnly.sections.every((s) => !s.mandatory)).toBe(true);
    const withWarp = embedding.sections.map((s) => s.type);
    expect(withWarp).toContain(SectionType.TextureAtlas);
    expect(withWarp.filter((t) => t === SectionType.IdentityVector || t === SectionType.AdaInParams)).toHaveLength(2);
    const id = readNeuralSections(embedding);
    expect(id.embedding?.length).toBe(weights.topology.net.emb_dim);
    expect(id.psi?.length).toBe(weights.topology.psiDim);
    expect(id.psi!.every(Number.isFinite)).toBe(true);
  });

  it("createGenerator('neural') renders a face into the crop square without leaking tensors", async () => {
    const g = createGenerator('neural', { backend: 'cpu', weights, cropSmoothing: 0, codec: pngCodec, faceRefiner: true });
    expect(g.family).toBe('neural'); // a lazy wrapper: tfjs and the network load on init()
    expect(g.backend).toBeNull();
    const t0 = tf.memory().numTensors;
    await g.init(embedding);
    expect(g.backend).toBe('cpu');
    const t1 = tf.memory().numTensors;
    const lm = loadLandmarks(50);
    const out = { width: 256, height: 256, data: new Uint8ClampedArray(256 * 256 * 4) };
    await g.render(lm, out);
    await g.render(lm, out);
    expect(tf.memory().numTensors).toBe(t1);
    // inside the face oval: an image, not black; alpha opaque everywhere
    const mask = faceMask(lm, 256, 256);
    let sum = 0, n = 0;
    for (let p = 0; p < 256 * 256; p++) {
      expect(out.data[4 * p + 3]).toBe(255);
      if (mask[p]) { sum += out.data[4 * p]! + out.data[4 * p + 1]! + out.data[4 * p + 2]!; n++; }
    }
    expect(sum / n / 3).toBeGreaterThan(10);
    await expect(g.render(new Float32Array(10), out)).rejects.toThrow(TypeError);
    g.dispose();
    g.dispose();
    expect(tf.memory().numTensors).toBe(t0);
    await expect(g.render(lm, out)).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('refiner: the warp render outside the crop square, the warp with G’s correction blended in inside it', async () => {
    if (!weights.topology.net.refine) return; // weights trained without the warp channels
    const lm = loadLandmarks(50), W = 192, H = 160; // non-square target: the crop square is cut by the frame
    const g = new NeuralGenerator({ backend: 'cpu', weights, cropSmoothing: 0, codec: pngCodec, faceRefiner: true });
    await g.init(embedding);
    expect(g.refining).toBe(true);
    const out = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
    const t = performance.now();
    await g.render(lm, out);
    const ms = performance.now() - t;
    g.dispose();
    const w = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await w.init(embedding);
    const ref = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
    await w.render(lm, ref);
    w.dispose();
    const r = cropRect(cropBox(lm, W, H));
    let outside = 0, inSum = 0, inN = 0, changed = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 4;
      const inside = x >= r.x0 && x < r.x0 + r.side && y >= r.y0 && y < r.y0 + r.side;
      const d = Math.abs(out.data[o]! - ref.data[o]!) + Math.abs(out.data[o + 1]! - ref.data[o + 1]!) + Math.abs(out.data[o + 2]! - ref.data[o + 2]!);
      if (!inside) outside = Math.max(outside, d);
      else { inSum += d / 3; inN++; if (d > 6) changed++; }
    }
    console.log(`refiner ${W}×${H}: ${ms.toFixed(0)} ms/frame (Node, tfjs-cpu, warp cpu); inside the crop mean |composite − warp| ${(inSum / inN).toFixed(2)} levels, ${(100 * changed / inN).toFixed(1)} % of pixels changed by > 2 levels`);
    expect(outside).toBe(0);
    expect(inSum / inN).toBeLessThan(25); // a correction of the warp, not a different picture
    expect(changed).toBeGreaterThan(0); // … but G does contribute
  });

  it('faceLowpass: G’s correction low-passed by default — smoother than the full one (null), the warp outside the square; bad σ refused', async () => {
    for (const faceLowpass of [0, -1, 4.5, Number.NaN]) expect(() => new NeuralGenerator({ backend: 'cpu', weights, faceLowpass })).toThrow(/faceLowpass must be/);
    if (!weights.topology.net.refine) return;
    const lm = loadLandmarks(50), W = 160, H = 160;
    const draw = async (o: { faceLowpass?: number | null; faceRefiner?: boolean }) => {
      const g = new NeuralGenerator({ backend: 'cpu', weights, cropSmoothing: 0, codec: pngCodec, mouthWeightsUrl: null, eyeWeightsUrl: null, faceRefiner: true, ...o });
      await g.init(embedding);
      const f = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
      await g.render(lm, f);
      g.dispose();
      return f.data;
    };
    const before = tf.memory().numTensors;
    const full = await draw({ faceLowpass: null }), low = await draw({}), warp = await draw({ faceRefiner: false });
    expect(Array.from(await draw({ faceLowpass: DEFAULT_FACE_LOWPASS }))).toEqual(Array.from(low));
    expect(tf.memory().numTensors).toBe(before);
    const r = cropRect(cropBox(lm, W, H));
    // roughness of the correction (composite − warp) at G's scale: mean |horizontal second difference
    // over k pixels, k ≈ one G output pixel, inside the square (at 1 px it would be 8-bit rounding)
    const k = Math.max(1, Math.round(r.side / weights.topology.imageSize));
    const rough = (f: Uint8ClampedArray): number => {
      let sum = 0, n = 0;
      for (let y = Math.max(0, r.y0); y < Math.min(H, r.y0 + r.side); y++) for (let x = Math.max(k, r.x0 + k); x < Math.min(W, r.x0 + r.side) - k; x++) {
        const c = (xx: number): number => f[(y * W + xx) * 4]! - warp[(y * W + xx) * 4]!;
        sum += Math.abs(c(x - k) - 2 * c(x) + c(x + k)); n++;
      }
      return sum / n;
    };
    let outside = 0, differs = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 4;
      const inside = x >= r.x0 && x < r.x0 + r.side && y >= r.y0 && y < r.y0 + r.side;
      if (!inside) outside = Math.max(outside, Math.abs(low[o]! - warp[o]!));
      else if (Math.abs(low[o]! - full[o]!) > 1) differs++;
    }
    console.log(`faceLowpass ${DEFAULT_FACE_LOWPASS} (default): correction roughness at ${k} px ${rough(low).toFixed(3)} vs ${rough(full).toFixed(3)} levels (full), ${differs} pixels differ`);
    expect(outside).toBe(0);
    expect(differs).toBeGreaterThan(0);
    expect(rough(low)).toBeLessThan(rough(full));
  });

  it('the mouth refiner changes only its window; without G (faceRefiner: false) the frame is the warp plus the mouth correction', async () => {
    if (!weights.topology.net.refine) return;
    const lm = loadLandmarks(50), W = 160, H = 160;
    const mouthWeights = await loadMouthWeights(nodeWeightsHandler(MOUTH_WEIGHTS));
    const t0 = tf.memory().numTensors;
    const draw = async (o: ConstructorParameters<typeof NeuralGenerator>[0]) => {
      const g = new NeuralGenerator({ backend: 'cpu', weights, cropSmoothing: 0, codec: pngCodec, ...o });
      await g.init(embedding);
      const out = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
      await g.render(lm, out);
      const flags = { mouth: g.refiningMouth, face: g.refiningFace };
      g.dispose();
      return { px: out.data, ...flags };
    };
    const face = await draw({ faceRefiner: true }), faceMouth = await draw({ faceRefiner: true, mouthWeights }), warpOnly = await draw({ faceRefiner: false }), warpMouth = await draw({ faceRefiner: false, mouthWeights });
    expect(tf.memory().numTensors).toBe(t0);
    mouthWeights.dispose();
    expect([face.mouth, faceMouth.mouth, warpOnly.mouth, warpMouth.mouth]).toEqual([false, true, false, true]);
    expect([face.face, warpOnly.face]).toEqual([true, false]);
    const w = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await w.init(embedding);
    const ref = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
    await w.render(lm, ref);
    w.dispose();
    expect(Buffer.from(warpOnly.px).equals(Buffer.from(ref.data))).toBe(true);
    // Both mouth-refined frames differ from their base inside the window only, and by the same correction
    // where G did not touch the frame.
    const f = mouthPatchFrame(lm, W, H);
    for (const [withM, base] of [[faceMouth, face], [warpMouth, warpOnly]] as const) {
      let inside = 0, outside = 0;
      for (let p = 0; p < W * H; p++) {
        const [u, v] = imageToPatch(f, (p % W) + 0.5, Math.floor(p / W) + 0.5);
        const d = Math.abs(withM.px[p * 4]! - base.px[p * 4]!) + Math.abs(withM.px[p * 4 + 1]! - base.px[p * 4 + 1]!) + Math.abs(withM.px[p * 4 + 2]! - base.px[p * 4 + 2]!);
        if (u >= -0.01 && u <= 1.01 && v >= -0.01 && v <= 1.01) inside += d; else outside += d;
      }
      expect(outside).toBe(0);
      expect(inside / (W * H)).toBeGreaterThan(0.05);
    }
  });

  it('an eye refiner changes the frame inside the two eye windows only, and runs before the mouth refiner', async () => {
    const lm = loadLandmarks(50), W = 160, H = 160;
    // Any weights of the refiner's format drive the plumbing (preloaded weights are not checked for their window).
    const net = await loadMouthWeights(nodeWeightsHandler(MOUTH_WEIGHTS));
    const t0 = tf.memory().numTensors;
    const draw = async (o: ConstructorParameters<typeof NeuralGenerator>[0]) => {
      const g = new NeuralGenerator({ backend: 'cpu', cropSmoothing: 0, codec: pngCodec, faceRefiner: false, mouthWeightsUrl: null, ...o });
      await g.init(embedding);
      const out = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
      await g.render(lm, out);
      const flags = [g.refiningEyes, g.refiningMouth];
      g.dispose();
      return { px: out.data, flags };
    };
    const base = await draw({}), eyes = await draw({ eyeWeights: net }), both = await draw({ eyeWeights: net, mouthWeights: net }), mouth = await draw({ mouthWeights: net });
    expect(tf.memory().numTensors).toBe(t0);
    net.dispose();
    expect([base.flags, eyes.flags, both.flags]).toEqual([[false, false], [true, false], [true, true]]);
    const frames = EYE_REGIONS.map((r) => ({ r, f: mouthPatchFrame(lm, W, H, r) }));
    const inside = [0, 0];
    let outside = 0;
    for (let p = 0; p < W * H; p++) {
      const d = Math.abs(eyes.px[p * 4]! - base.px[p * 4]!) + Math.abs(eyes.px[p * 4 + 1]! - base.px[p * 4 + 1]!) + Math.abs(eyes.px[p * 4 + 2]! - base.px[p * 4 + 2]!);
      const k = frames.findIndex(({ r, f }) => {
        const [u, v] = imageToPatch(f, (p % W) + 0.5, Math.floor(p / W) + 0.5, r);
        return u >= -0.01 && u <= 1.01 && v >= -0.01 && v <= 1.01;
      });
      if (k >= 0) inside[k]! += d; else outside += d;
    }
    expect(outside).toBe(0);
    expect(Math.min(...inside)).toBeGreaterThan(0);
    // With both, the mouth window gets the mouth refiner's correction of the eye-refined frame: outside
    // the eye windows the frame is the mouth-only one.
    const fm = mouthPatchFrame(lm, W, H);
    let differs = 0;
    for (let p = 0; p < W * H; p++) {
      const inEye = frames.some(({ r, f }) => { const [u, v] = imageToPatch(f, (p % W) + 0.5, Math.floor(p / W) + 0.5, r); return u >= -0.01 && u <= 1.01 && v >= -0.01 && v <= 1.01; });
      const [um, vm] = imageToPatch(fm, (p % W) + 0.5, Math.floor(p / W) + 0.5);
      const inMouth = um >= -0.01 && um <= 1.01 && vm >= -0.01 && vm <= 1.01;
      if (!inEye && !inMouth) for (let c = 0; c < 3; c++) differs += Math.abs(both.px[p * 4 + c]! - mouth.px[p * 4 + c]!);
    }
    expect(differs).toBe(0);
  });

  it('faceRefiner: false needs only a warp avatar: no neural sections, G never loaded', async () => {
    const lm = loadLandmarks(50), W = 160, H = 160;
    const mouthWeights = await loadMouthWeights(nodeWeightsHandler(MOUTH_WEIGHTS));
    const t0 = tf.memory().numTensors;
    const draw = async (e: AvatarEmbedding, o: ConstructorParameters<typeof NeuralGenerator>[0]) => {
      const g = new NeuralGenerator({ backend: 'cpu', codec: pngCodec, faceRefiner: false, mouthWeights, ...o });
      await g.init(e);
      expect([g.refining, g.refiningFace, g.refiningMouth, g.imageSize]).toEqual([true, false, true, null]);
      const out = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
      await g.render(lm, out);
      g.dispose();
      return out.data;
    };
    // A weights URL that cannot load: the mouth-only path must not try.
    const plain = await draw(warpAvatar, { weightsUrl: 'file:///nonexistent/model.json' });
    const withNeural = await draw(embedding, { weights });
    expect(Buffer.from(plain).equals(Buffer.from(withNeural))).toBe(true);
    const g = new NeuralGenerator({ backend: 'cpu', faceRefiner: false, mouthWeights });
    await expect(g.init(neuralOnly)).rejects.toThrow(/needs the warp sections/);
    await expect(g.render(lm, { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) })).rejects.toThrow(/render\(\) on a new generator/);
    expect(tf.memory().numTensors).toBe(t0);
    mouthWeights.dispose();
  });

  it('no warp sections: falls back to G’s RGB in the crop square, black outside', async () => {
    const g = new NeuralGenerator({ backend: 'cpu', weights, cropSmoothing: 0 });
    await g.init(neuralOnly);
    expect(g.refining).toBe(false);
    const lm = loadLandmarks(50);
    const out = { width: 128, height: 128, data: new Uint8ClampedArray(128 * 128 * 4) };
    await g.render(lm, out);
    g.dispose();
    const r = cropRect(cropBox(lm, 128, 128));
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) {
      if (x >= r.x0 && x < r.x0 + r.side && y >= r.y0 && y < r.y0 + r.side) continue;
      const o = (y * 128 + x) * 4;
      expect(out.data[o]! + out.data[o + 1]! + out.data[o + 2]!).toBe(0);
    }
  });

  it('init without neural sections fails with a TypeError and leaks nothing', async () => {
    const g = new NeuralGenerator({ backend: 'cpu', weights });
    const t0 = tf.memory().numTensors;
    await expect(g.init(EMPTY)).rejects.toThrow(/no neural sections/);
    expect(tf.memory().numTensors).toBe(t0);
  });

  it('ψ from the IdentityVector alone (projected) equals the AdaInParams path', async () => {
    const onlyVec: AvatarEmbedding = { ...embedding, sections: embedding.sections.filter((s) => s.type !== SectionType.AdaInParams) };
    const lm = loadLandmarks(30);
    const a = { width: 128, height: 128, data: new Uint8ClampedArray(128 * 128 * 4) };
    const b = { width: 128, height: 128, data: new Uint8ClampedArray(128 * 128 * 4) };
    const g1 = new NeuralGenerator({ backend: 'cpu', weights, codec: pngCodec }), g2 = new NeuralGenerator({ backend: 'cpu', weights, codec: pngCodec });
    await g1.init(embedding); await g2.init(onlyVec);
    await g1.render(lm, a); await g2.render(lm, b);
    g1.dispose(); g2.dispose();
    let m = 0;
    for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
    expect(m).toBeLessThanOrEqual(1);
  });
  it('tuned G layers travel in the GeneratorWeights section and are applied only on the weights they were tuned from', async () => {
    const names = ['G/out/kernel', 'G/out/bias'];
    const base = await Promise.all(names.map(async (n) => (await weights.tensors[n]!.data()) as Float32Array));
    // A person's "tuned" layers: the shared ones scaled and shifted (what fine-tuning would change).
    const tuned = { [names[0]!]: base[0]!.map((v) => v * 1.5), [names[1]!]: base[1]!.map((v) => v + 0.3) };
    const e = await withTunedWeights(embedding, weights, tuned);
    const sec = e.sections.filter((x) => x.type === SectionType.GeneratorWeights);
    expect(sec).toHaveLength(1);
    expect(sec[0]!.mandatory).toBe(false);
    expect(e.sections.at(-1)!.type).toBe(embedding.sections.at(-1)!.type); // Metadata stays last
    expect((await withTunedWeights(e, weights, tuned)).sections.filter((x) => x.type === SectionType.GeneratorWeights)).toHaveLength(1);
    const t0 = tf.memory().numTensors;
    const read = await readTunedWeights(e, weights);
    expect(read.status).toBe('ok');
    if (read.status !== 'ok') return;
    for (const [i, n] of names.entries()) {
      const got = (await read.tensors[n]!.data()) as Float32Array;
      let m = 0;
      for (let j = 0; j < got.length; j++) m = Math.max(m, Math.abs(got[j]! - tuned[n]![j]!));
      expect(m, n).toBeLessThan(1e-3); // float16 deltas
      expect(got.length).toBe(base[i]!.length);
    }
    tf.dispose(Object.values(read.tensors));
    expect(tf.memory().numTensors).toBe(t0);
    expect(await readTunedWeights(embedding, weights)).toEqual({ status: 'none' });

    // The same deltas claimed for other shared weights (fingerprint), or for a tensor these weights lack.
    const w = decodeGeneratorWeights(sec[0]!.bytes);
    const retag = (bytes: Uint8Array): AvatarEmbedding => ({ ...e, sections: e.sections.map((x) => (x.type === SectionType.GeneratorWeights ? { ...x, bytes } : x)) });
    const foreign = retag(encodeGeneratorWeights({ ...w, baseFingerprint: (w.baseFingerprint + 1) >>> 0 }));
    expect(await readTunedWeights(foreign, weights)).toMatchObject({ status: 'mismatch', reason: expect.stringMatching(/other shared weights/) });
    const unknown = retag(encodeGeneratorWeights({ ...w, tensors: [{ name: 'G/nope/kernel', delta: Float32Array.of(1) }] }));
    expect(await readTunedWeights(unknown, weights)).toMatchObject({ status: 'mismatch', reason: expect.stringMatching(/no tensor 'G\/nope\/kernel'/) });
    await expect(readTunedWeights(retag(sec[0]!.bytes.subarray(0, 20)), weights)).rejects.toThrow(TypeError);

    // Rendering (G always on): the tuned embedding draws a different face; the foreign one is ignored (the shared G's frame, exactly).
    const lm = loadLandmarks(50);
    const render = async (emb: AvatarEmbedding) => {
      const g = new NeuralGenerator({ backend: 'cpu', weights, cropSmoothing: 0, codec: pngCodec, faceRefiner: true });
      await g.init(emb);
      const out = { width: 128, height: 128, data: new Uint8ClampedArray(128 * 128 * 4) };
      await g.render(lm, out);
      const info = { tuned: g.tunedTensors, ignored: g.tunedIgnored };
      g.dispose();
      return { px: out.data, ...info };
    };
    const t1 = tf.memory().numTensors;
    const [plain, withTuned, withForeign] = [await render(embedding), await render(e), await render(foreign)];
    expect(tf.memory().numTensors).toBe(t1);
    expect([plain.tuned, withTuned.tuned, withForeign.tuned]).toEqual([0, 2, 0]);
    expect(plain.ignored).toBeNull();
    expect(withForeign.ignored).toMatch(/other shared weights/);
    let diff = 0;
    for (let i = 0; i < plain.px.length; i++) diff = Math.max(diff, Math.abs(plain.px[i]! - withTuned.px[i]!));
    expect(diff).toBeGreaterThan(10);
    expect(Buffer.from(withForeign.px).equals(Buffer.from(plain.px))).toBe(true);
  });

  it("faceRefiner 'fitted' (default): G only for an embedding with G layers fitted to these weights; the warp + refiners otherwise", async () => {
    expect(() => new NeuralGenerator({ backend: 'cpu', weights, faceRefiner: 'yes' as unknown as boolean })).toThrow(/faceRefiner must be/);
    const names = ['G/out/kernel', 'G/out/bias'];
    const base = await Promise.all(names.map(async (n) => (await weights.tensors[n]!.data()) as Float32Array));
    const fitted = await withTunedWeights(embedding, weights, { [names[0]!]: base[0]!.map((v) => v * 1.5), [names[1]!]: base[1]!.map((v) => v + 0.3) });
    const sec = fitted.sections.find((x) => x.type === SectionType.GeneratorWeights)!;
    const w = decodeGeneratorWeights(sec.bytes);
    const foreign = { ...fitted, sections: fitted.sections.map((x) => (x === sec ? { ...x, bytes: encodeGeneratorWeights({ ...w, baseFingerprint: (w.baseFingerprint + 1) >>> 0 }) } : x)) };
    const lm = loadLandmarks(50);
    const render = async (emb: AvatarEmbedding, faceRefiner?: boolean | 'fitted') => {
      const g = new NeuralGenerator({ backend: 'cpu', weights, cropSmoothing: 0, codec: pngCodec, ...(faceRefiner === undefined ? {} : { faceRefiner }) });
      await g.init(emb);
      const out = { width: 128, height: 128, data: new Uint8ClampedArray(128 * 128 * 4) };
      await g.render(lm, out);
      const info = { face: g.refiningFace, ignored: g.tunedIgnored };
      g.dispose();
      return { px: Buffer.from(out.data), ...info };
    };
    const t0 = tf.memory().numTensors;
    const plain = await render(embedding), tuned = await render(fitted), other = await render(foreign);
    const never = await render(embedding, false), always = await render(embedding, true), tunedAlways = await render(fitted, true);
    const gOnly = await render(neuralOnly); // no warp sections: G is the only way to draw
    expect(tf.memory().numTensors).toBe(t0);
    expect([plain.face, tuned.face, other.face, never.face, always.face, gOnly.face]).toEqual([false, true, false, false, true, true]);
    expect(plain.px.equals(never.px)).toBe(true); // not fitted: exactly the frame without G
    expect(other.px.equals(never.px)).toBe(true);
    expect(other.ignored).toMatch(/other shared weights/);
    expect(tuned.px.equals(tunedAlways.px)).toBe(true); // fitted: exactly G's frame
    expect(always.px.equals(never.px)).toBe(false);
  });
});
