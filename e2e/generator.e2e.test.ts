/**
 * Warp generator in real Chromium: WebGL2 and WebGPU (SwiftShader, via --enable-unsafe-webgpu)
 * draw the same image as the CPU reference rasteriser within a tolerance (an avatar with a mouth
 * set, driven at both photos' landmarks), and release every
 * GPU object on dispose(). Small frames: SwiftShader WebGPU is correct but slow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeneratorSession, toWireEmbedding, type GeneratorSession } from '../packages/client/scripts/generator-session.ts';
import { enrollWarpAvatar } from '../packages/client/src/enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../packages/client/src/generator/warp/warp-generator.ts';
import { pngCodec } from '../packages/client/src/generator/codec.ts';
import { SectionType, type AvatarEmbedding } from '@visage/protocol';
import { loadFrame, loadLandmarks } from '../packages/client/test/warp-fixtures.ts';
import type { WireEmbedding } from '../packages/client/scripts/generator-page/page.ts';

const SIZE = 96;
let session: GeneratorSession;
let embedding: AvatarEmbedding, wire: WireEmbedding;
let landmarks: Float32Array[];
let cpuFrames: Uint8ClampedArray[];

beforeAll(async () => {
  landmarks = [loadLandmarks(30), loadLandmarks(50)];
  // Two photos, both with open mouths: the avatar carries a mouth set, so the backends also draw
  // from the set's patches (the taller texture) as the frames switch between the two interiors.
  ({ embedding } = await enrollWarpAvatar([{ image: await loadFrame(30), landmarks: landmarks[0]! }, { image: await loadFrame(50), landmarks: landmarks[1]! }], { codec: pngCodec }));
  expect(embedding.sections.some((s) => s.type === SectionType.MouthSet)).toBe(true);
  wire = toWireEmbedding(embedding);
  const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
  await g.init(embedding);
  cpuFrames = [];
  for (const l of landmarks) {
    const out = { width: SIZE, height: SIZE, data: new Uint8ClampedArray(SIZE * SIZE * 4) };
    await g.render(l, out);
    cpuFrames.push(out.data);
  }
  g.dispose();
  session = await openGeneratorSession();
});
afterAll(async () => {
  await session?.close();
});

function compare(a: Uint8ClampedArray, b: Uint8Array): { mean: number; within: number } {
  let sum = 0, ok = 0;
  for (let i = 0; i < a.length; i += 4) {
    const d = Math.max(Math.abs(a[i]! - b[i]!), Math.abs(a[i + 1]! - b[i + 1]!), Math.abs(a[i + 2]! - b[i + 2]!));
    sum += d;
    if (d <= 12) ok++;
  }
  return { mean: sum / (a.length / 4), within: ok / (a.length / 4) };
}

describe('warp generator backends in Chromium', () => {
  it('has WebGL2 and WebGPU here', async () => {
    expect(await session.call('available')).toEqual({ cpu: true, webgl: true, webgpu: true });
  });

  for (const backend of ['webgl', 'webgpu', 'cpu'] as const) {
    it(`${backend} draws the CPU reference image within tolerance`, async () => {
      const res = await session.call('render', backend, wire, landmarks.map((l) => Array.from(l)), SIZE, SIZE);
      expect(res.backend).toBe(backend);
      res.frames.forEach((b64, k) => {
        const px = new Uint8Array(Buffer.from(b64, 'base64'));
        const { mean, within } = compare(cpuFrames[k]!, px);
        expect(mean, `${backend} frame ${k} mean abs diff`).toBeLessThan(2);
        expect(within, `${backend} frame ${k} share of pixels within 12 levels`).toBeGreaterThan(0.98);
      });
    });
  }

  it("'auto' picks WebGPU when it is exposed", async () => {
    const res = await session.call('render', 'auto', wire, [Array.from(landmarks[0]!)], 16, 16);
    expect(res.backend).toBe('webgpu');
  });

  for (const backend of ['webgl', 'webgpu'] as const) {
    it(`${backend} releases every GPU object on dispose()`, async () => {
      const r = await session.call('disposeCheck', backend, wire, Array.from(landmarks[1]!));
      expect(r.liveBefore).toBeGreaterThan(3);
      expect(r.liveAfter).toBe(0);
    });
  }
});
