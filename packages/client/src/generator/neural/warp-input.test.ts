/**
 * The refiner's warp channels (warp-input.ts): the crop matches Pillow's (what the real frames
 * went through in training), the mask covers the face oval's area, and the channels do not depend
 * on the resolution the warp was rendered at (training renders at reduced size, run time at the
 * target's).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { AvatarEmbedding } from '@visage/protocol';
import { cropBox, cropRect, toCropPixels } from './crop.ts';
import { cropResample, ovalCoverage, warpChannels } from './warp-input.ts';
import { FACE_OVAL } from './landmark-image.ts';
import { enrollWarpAvatar } from '../../enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../warp/warp-generator.ts';
import { pngCodec } from '../codec.ts';
import { loadFrame, loadLandmarks } from '../../../test/warp-fixtures.ts';

let embedding: AvatarEmbedding;
beforeAll(async () => {
  ({ embedding } = await enrollWarpAvatar([{ image: await loadFrame(30), landmarks: loadLandmarks(30) }], { codec: pngCodec }));
});

describe('warp channels of the neural refiner', () => {
  it('cropResample reproduces Pillow crop + bilinear resize (black outside the frame) within 3 levels', async () => {
    const fx = JSON.parse(readFileSync(new URL('../../../test/fixtures/neural/crop.json', import.meta.url), 'utf8')) as { size: number; rect: number[]; frame: string }[];
    const img = await loadFrame(30);
    for (const e of fx) {
      const [x0, y0, side] = e.rect as [number, number, number];
      const got = cropResample(img, x0, y0, side, side, e.size);
      const want = Buffer.from(e.frame, 'base64');
      let m = 0, sum = 0;
      for (let i = 0; i < got.length; i++) { const d = Math.abs(Math.round(got[i]!) - want[i]!); m = Math.max(m, d); sum += d; }
      // Pillow box-reduces by an integer factor first (reducing_gap=2); the mean stays well under a level.
      expect(sum / got.length, `${e.size} px mean`).toBeLessThan(0.6);
      expect(m, `${e.size} px max`).toBeLessThanOrEqual(12);
    }
  });

  it('ovalCoverage covers the face oval polygon’s area', () => {
    const lm = loadLandmarks(30);
    const r = cropRect(cropBox(lm, 256, 256));
    const pts = toCropPixels(lm, 256, 256, r, 64);
    const mask = ovalCoverage(pts, 64);
    let area = 0;
    for (let i = 0, j = FACE_OVAL.length - 1; i < FACE_OVAL.length; j = i++) {
      const a = FACE_OVAL[i]!, b = FACE_OVAL[j]!;
      area += pts[3 * b]! * pts[3 * a + 1]! - pts[3 * a]! * pts[3 * b + 1]!;
    }
    area = Math.abs(area) / 2;
    const covered = mask.reduce((s, v) => s + v, 0);
    expect(Math.abs(covered - area) / area).toBeLessThan(0.01);
    expect(Math.max(...mask)).toBe(1);
    expect(mask[0]).toBe(0);
  });

  it('do not depend on the render resolution (full-size target vs the reduced training render)', async () => {
    const lm = loadLandmarks(50);
    const r = cropRect(cropBox(lm, 256, 256));
    const pts = toCropPixels(lm, 256, 256, r, 64);
    const render = async (size: number) => {
      const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
      await g.init(embedding);
      const frame = { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) };
      await g.render(lm, frame);
      g.dispose();
      return frame;
    };
    const full = warpChannels(await render(256), r.x0, r.y0, r.side, pts, 64);
    const f = 160 / 256;
    const reduced = warpChannels(await render(160), r.x0 * f, r.y0 * f, r.side * f, pts, 64);
    let sum = 0;
    for (let p = 0; p < 64 * 64; p++) {
      for (let c = 0; c < 3; c++) sum += Math.abs(full[4 * p + c]! - reduced[4 * p + c]!);
      expect(full[4 * p + 3]).toBe(reduced[4 * p + 3]);
    }
    expect((sum / (64 * 64 * 3)) * 127.5).toBeLessThan(2); // mean < 2 levels
  });
});
