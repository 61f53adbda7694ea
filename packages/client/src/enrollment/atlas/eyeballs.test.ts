import { describe, expect, it } from 'vitest';
import { extractEyeballs } from './eyeballs.ts';
import type { RgbaImage } from '../../generator/image.ts';
import {
  EYES, EYEBALL_HALF_X, EYEBALL_HALF_Y, EYEBALL_PATCH_HEIGHT as H, EYEBALL_PATCH_WIDTH as W, IRIS_RINGS,
  eyeballCoord, eyeballFrame, eyeballToPixel, irisRadius, toPixels, type Points,
} from '../../generator/warp/face-model.ts';
import { BLUE, BROWN, SCLERA, irisCentres, loadLandmarks, paintEyes } from '../../../test/warp-fixtures.ts';

const S = 512;
const paint = (p: Points, irisAt: readonly (readonly [number, number])[], iris: readonly number[] = BROWN) => paintEyes(p, S, irisAt, iris);
const irisCentre = (p: Points, k: number) => irisCentres(p)[k]!;
/** Moves an eye's iris landmarks (centre and ring) by (dx, dy) pixels. */
function moveIris(p: Points, k: number, dx: number, dy: number): Points {
  const q = p.slice();
  for (const i of [EYES[k]!.iris, ...IRIS_RINGS[k]!]) { q[i * 3]! += dx; q[i * 3 + 1]! += dy; }
  return q;
}
/** RGB of eye k's patch texel at (s, t) offsets from the iris centre, in iris radii. */
function texel(img: RgbaImage, k: number, p: Points, ds: number, dt: number): number[] {
  const r = irisRadius(p, k);
  const x = Math.floor((0.5 + (ds * r) / (2 * EYEBALL_HALF_X)) * W), y = Math.floor((0.5 + (dt * r) / (2 * EYEBALL_HALF_Y)) * H);
  const o = (y * 2 * W + k * W + x) * 4;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
}
const near = (a: readonly number[], b: readonly number[], tol = 12) => a.every((v, c) => Math.abs(v - b[c]!) <= tol);
const luma = (c: readonly number[]) => 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;

describe('eyeball frame', () => {
  const p = toPixels(loadLandmarks(30), S, S);
  it('is centred on the iris, unit the corner distance, and inverts', () => {
    EYES.forEach((_, k) => {
      const f = eyeballFrame(p, k);
      expect(eyeballCoord(f, ...irisCentre(p, k))).toEqual([0.5, 0.5]);
      for (const [s, t] of [[0.1, 0.9], [0.7, 0.2], [1.3, -0.4]] as const) {
        const [x, y] = eyeballToPixel(f, s, t);
        const [s2, t2] = eyeballCoord(f, x, y);
        expect(s2).toBeCloseTo(s, 9); expect(t2).toBeCloseTo(t, 9);
      }
      // Both eyes' x axes run left to right in the image.
      expect(f.ux).toBeGreaterThan(0.9);
      const r = irisRadius(p, k);
      expect(r).toBeGreaterThan(0.14); expect(r).toBeLessThan(0.3);
    });
  });
});

describe('eyeball patches', () => {
  const p = toPixels(loadLandmarks(30), S, S);
  const one = (image: RgbaImage, points: Points = p) => extractEyeballs([{ image, points, gain: [1, 1, 1] }]);

  it('keeps the photo where it shows the eye: iris at the centre, sclera beside it', () => {
    const out = one(paint(p, [irisCentre(p, 0), irisCentre(p, 1)]));
    expect(out.width).toBe(2 * W); expect(out.height).toBe(H);
    for (const k of [0, 1]) {
      expect(near(texel(out, k, p, 0, 0), BROWN)).toBe(true);
      expect(near(texel(out, k, p, 1.6, 0), SCLERA)).toBe(true);
      expect(near(texel(out, k, p, -1.6, 0), SCLERA)).toBe(true);
    }
  });

  it('centres the patch on the iris wherever the eye looks', () => {
    const f = eyeballFrame(p, 0);
    const q = moveIris(p, 0, 0.15 * f.len * f.ux, 0.15 * f.len * f.uy);
    const out = one(paint(q, [irisCentre(q, 0), irisCentre(q, 1)]), q);
    expect(near(texel(out, 0, q, 0, 0), BROWN)).toBe(true);
    expect(near(texel(out, 0, q, -1.6, 0), SCLERA)).toBe(true);
  });

  it('draws a dark iris where the photo shows sclera at the tracked iris (a tracking error)', () => {
    const f = eyeballFrame(p, 0);
    const away: [number, number] = [irisCentre(p, 0)[0] + 0.32 * f.len, irisCentre(p, 0)[1]];
    const img = paint(p, [away, irisCentre(p, 1)]);
    const [x, y] = irisCentre(p, 0);
    expect(near(Array.from(img.data.subarray((Math.floor(y) * S + Math.floor(x)) * 4, (Math.floor(y) * S + Math.floor(x)) * 4 + 3)), SCLERA)).toBe(true);
    const out = one(img);
    expect(luma(texel(out, 0, p, 0, 0))).toBeLessThan(60);
    expect(luma(texel(out, 0, p, 0.6, 0))).toBeLessThan(90);
    // The other eye is untouched by that.
    expect(near(texel(out, 1, p, 0, 0), BROWN)).toBe(true);
  });

  it('fills the iris the upper lid hides with iris, not sclera', () => {
    // Lower the upper lid of both eyes to 0.3 iris radii above the iris centre.
    const q = p.slice();
    EYES.forEach((e, k) => {
      const [, cy] = irisCentre(p, k), lid = cy - 0.3 * irisRadius(p, k) * eyeballFrame(p, k).len;
      for (const i of e.loop) if (q[i * 3 + 1]! < lid) q[i * 3 + 1] = lid;
    });
    const out = one(paint(q, [irisCentre(q, 0), irisCentre(q, 1)]), q);
    for (const k of [0, 1]) {
      expect(near(texel(out, k, q, 0, -0.7), BROWN, 20)).toBe(true);
      expect(luma(texel(out, k, q, 0, -2))).toBeGreaterThan(180);
    }
  });

  it('takes a closed eye from the other eye, mirrored', () => {
    const q = p.slice();
    const e = EYES[1]!, my = e.loop.reduce((s, i) => s + p[i * 3 + 1]!, 0) / e.loop.length;
    for (const i of e.loop) q[i * 3 + 1] = my;
    const out = one(paint(q, [irisCentre(q, 0), irisCentre(q, 1)]), q);
    expect(near(texel(out, 1, q, 0, 0), BROWN)).toBe(true);
    expect(near(texel(out, 1, q, 1.6, 0), SCLERA)).toBe(true);
  });

  it('takes each eye from the photo where it is most open, gaps from the others', () => {
    const q = p.slice();
    // Photo A: eyes half closed, blue irises; photo B: open, brown.
    EYES.forEach((e) => {
      const my = e.loop.reduce((s, i) => s + p[i * 3 + 1]!, 0) / e.loop.length;
      for (const i of e.loop) q[i * 3 + 1] = my + (p[i * 3 + 1]! - my) * 0.4;
    });
    const a = { image: paint(q, [irisCentre(q, 0), irisCentre(q, 1)], BLUE), points: q, gain: [1, 1, 1] };
    const b = { image: paint(p, [irisCentre(p, 0), irisCentre(p, 1)]), points: p, gain: [1, 1, 1] };
    const out = extractEyeballs([a, b]);
    for (const k of [0, 1]) expect(near(texel(out, k, p, 0, 0), BROWN)).toBe(true);
    // Exposure gains apply to what a photo gives.
    const dim = extractEyeballs([{ ...b, gain: [0.5, 0.5, 0.5] }]);
    expect(near(texel(dim, 0, p, 1.6, 0), SCLERA.map((v) => v * 0.5), 3)).toBe(true);
    expect(() => extractEyeballs([])).toThrow(TypeError);
  });
});
