/**
 * The mouth refiner's patch (mouth-patch.ts): the geometry and its inverse, the sampler against a
 * known image, the lip image against the lips' polygon area, and the paste-back.
 */
import { describe, expect, it } from 'vitest';
import type { RgbaImage } from '../image.ts';
import {
  EYE_REGIONS, INNER_LIP_LOOP, MOUTH_PATCH_DROP, MOUTH_PATCH_SPAN, OUTER_LIP_LOOP, compositeMouthPatch, imageToPatch, lipImage, mouthPatchFrame,
  patchToImage, sampleMouthPatch, scaleFrame,
} from './mouth-patch.ts';
import { loadFrame, loadLandmarks } from '../../../test/warp-fixtures.ts';

/** A W×H image whose red is 2·x and green 2·y (blue 77): a sample's colour says where it was taken. */
function ramp(w: number, h: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([2 * x, 2 * y, 77, 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

/** Landmarks (normalised to W×H) with the inner corners 78/308 at the given pixel positions. */
function corners(w: number, h: number, a: [number, number], b: [number, number]): Float32Array {
  const lm = new Float32Array(478 * 3);
  lm[78 * 3] = a[0] / w; lm[78 * 3 + 1] = a[1] / h;
  lm[308 * 3] = b[0] / w; lm[308 * 3 + 1] = b[1] / h;
  return lm;
}

function polygonArea(pts: [number, number][]): number {
  let a = 0;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) a += pts[j]![0] * pts[i]![1] - pts[i]![0] * pts[j]![1];
  return Math.abs(a) / 2;
}

describe('mouth patch', () => {
  it('places the window between the inner lip corners, rotated with them, and inverts exactly', () => {
    const f = mouthPatchFrame(corners(100, 100, [40, 50], [60, 50]), 100, 100);
    expect(f.len).toBeCloseTo(20, 5);
    // Centre of the patch: DROP corner distances below the corners' midpoint.
    const [cx, cy] = patchToImage(f, 0.5, 0.5);
    expect(cx).toBeCloseTo(50, 5);
    expect(cy).toBeCloseTo(50 + MOUTH_PATCH_DROP * 20, 5);
    // Left/right edges SPAN/2 corner distances from the centre.
    expect(patchToImage(f, 0, 0.5)[0]).toBeCloseTo(50 - (MOUTH_PATCH_SPAN / 2) * 20, 5);
    // Rotated mouth: the patch's x axis follows the corners.
    const r = mouthPatchFrame(corners(100, 100, [50, 40], [50, 60]), 100, 100);
    const [rx, ry] = patchToImage(r, 1, 0.5);
    expect(rx).toBeCloseTo(50 - MOUTH_PATCH_DROP * 20, 5);
    expect(ry).toBeCloseTo(50 + (MOUTH_PATCH_SPAN / 2) * 20, 5);
    for (const [u, v] of [[0.1, 0.9], [0.5, 0.2], [0.77, 0.31]] as const) {
      const [x, y] = patchToImage(r, u, v);
      const [u2, v2] = imageToPatch(r, x, y);
      expect(u2).toBeCloseTo(u, 9);
      expect(v2).toBeCloseTo(v, 9);
    }
  });

  it('samples the window: a ramp image gives each patch pixel the colour of its centre, also from a half-size render', () => {
    const img = ramp(120, 120);
    const lm = corners(120, 120, [50, 60], [70, 60]);
    const f = mouthPatchFrame(lm, 120, 120);
    const s = 16;
    const out = sampleMouthPatch(img, f, s);
    for (const [i, j] of [[0, 0], [7, 9], [15, 15]] as const) {
      const [x, y] = patchToImage(f, (i + 0.5) / s, (j + 0.5) / s);
      expect(out[(j * s + i) * 3]!).toBeCloseTo(2 * (x - 0.5), 3);
      expect(out[(j * s + i) * 3 + 1]!).toBeCloseTo(2 * (y - 0.5), 3);
      expect(out[(j * s + i) * 3 + 2]!).toBeCloseTo(77, 5);
    }
    // The same patch from a render at half the resolution (what training and run time do).
    const half = ramp(60, 60);
    const out2 = sampleMouthPatch(half, scaleFrame(f, 0.5), s);
    for (const [i, j] of [[3, 4], [12, 10]] as const) {
      const [x, y] = patchToImage(scaleFrame(f, 0.5), (i + 0.5) / s, (j + 0.5) / s);
      expect(out2[(j * s + i) * 3]!).toBeCloseTo(2 * (x - 0.5), 3);
      expect(out2[(j * s + i) * 3 + 1]!).toBeCloseTo(2 * (y - 0.5), 3);
    }
  });

  it('fills the inner and outer lip contours of a real face, each with its polygon area', () => {
    const lm = loadLandmarks(30);
    const w = 512, h = 512, s = 48;
    const f = mouthPatchFrame(lm, w, h);
    const lips = lipImage(lm, w, h, f, s);
    for (const [c, loop] of [[0, INNER_LIP_LOOP], [1, OUTER_LIP_LOOP]] as const) {
      let filled = 0;
      for (let p = 0; p < s * s; p++) filled += lips[p * 2 + c]!;
      const area = polygonArea(loop.map((i) => { const [u, v] = imageToPatch(f, lm[i * 3]! * w, lm[i * 3 + 1]! * h); return [u * s, v * s]; }));
      expect(filled).toBeCloseTo(area, -1);
      expect(Math.abs(filled - area)).toBeLessThan(0.03 * area + 2);
    }
    // The outer contour holds the inner one and stays inside the window.
    let outerOnly = 0;
    for (let p = 0; p < s * s; p++) { expect(lips[p * 2 + 1]! + 1e-6).toBeGreaterThanOrEqual(lips[p * 2]!); outerOnly += lips[p * 2 + 1]!; }
    expect(outerOnly).toBeGreaterThan(0.1 * s * s);
    let border = 0;
    for (let i = 0; i < s; i++) border += lips[i * 2 + 1]! + lips[((s - 1) * s + i) * 2 + 1]!;
    expect(border).toBe(0);
  });

  it('cuts each eye window around its corners, x running left to right in the image, iris inside the opening', () => {
    const lm = loadLandmarks(30);
    const w = 512, h = 512, s = 48;
    const [right, left] = EYE_REGIONS.map((region) => ({ region, f: mouthPatchFrame(lm, w, h, region) }));
    for (const { region, f } of [right!, left!]) {
      // Both frames point right in the image (the eyes are level in this frame), centred above the corners.
      expect(f.ux).toBeGreaterThan(0.9);
      const [a, b] = region.corners;
      expect(f.ox).toBeCloseTo(((lm[a * 3]! + lm[b * 3]!) / 2) * w, 3);
      const [, cy] = patchToImage(f, 0.5, 0.5, region);
      expect(cy).toBeLessThan(f.oy);
      for (const [u, v] of [[0.1, 0.2], [0.7, 0.9]] as const) {
        const [x, y] = patchToImage(f, u, v, region);
        const [u2, v2] = imageToPatch(f, x, y, region);
        expect(u2).toBeCloseTo(u, 9); expect(v2).toBeCloseTo(v, 9);
      }
      const shape = lipImage(lm, w, h, f, s, undefined, region);
      // Channel 1 the opening with its polygon's area; channel 0 the iris, mostly inside it.
      let opening = 0, iris = 0, irisOutside = 0;
      for (let p = 0; p < s * s; p++) { opening += shape[p * 2 + 1]!; iris += shape[p * 2]!; irisOutside += Math.max(0, shape[p * 2]! - shape[p * 2 + 1]!); }
      const area = polygonArea(region.loops[1].map((i) => { const [u, v] = imageToPatch(f, lm[i * 3]! * w, lm[i * 3 + 1]! * h, region); return [u * s, v * s]; }));
      expect(Math.abs(opening - area)).toBeLessThan(0.03 * area + 2);
      expect(iris).toBeGreaterThan(10);
      expect(irisOutside).toBeLessThan(0.5 * iris);
    }
    // The two windows are the two eyes: the right eye (33/133) is on the image's left.
    expect(right!.f.ox).toBeLessThan(left!.f.ox);
  });

  it('fills exactly as a per-sample even-odd test does (the scanline fill is only faster)', () => {
    const inside = (xs: number[], ys: number[], x: number, y: number) => {
      let r = false;
      for (let a = 0, b = xs.length - 1; a < xs.length; b = a++) if ((ys[a]! > y) !== (ys[b]! > y) && x < ((xs[b]! - xs[a]!) * (y - ys[a]!)) / (ys[b]! - ys[a]!) + xs[a]!) r = !r;
      return r;
    };
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const frame of [30, 50] as const) {
      const base = loadLandmarks(frame), w = 320, h = 240, s = 32;
      for (let trial = 0; trial < 4; trial++) {
        // Jitter the lips (trial 0: the tracked shape) so that edges cross sample rows at every angle.
        const lm = Float32Array.from(base);
        if (trial > 0) for (const i of [...INNER_LIP_LOOP, ...OUTER_LIP_LOOP]) { lm[i * 3] = lm[i * 3]! + (rand() - 0.5) * 0.01; lm[i * 3 + 1] = lm[i * 3 + 1]! + (rand() - 0.5) * 0.01; }
        const f = mouthPatchFrame(lm, w, h);
        const got = lipImage(lm, w, h, f, s);
        [INNER_LIP_LOOP, OUTER_LIP_LOOP].forEach((loop, c) => {
          const pts = loop.map((i) => imageToPatch(f, lm[i * 3]! * w, lm[i * 3 + 1]! * h));
          const xs = pts.map((p) => p[0] * s), ys = pts.map((p) => p[1] * s);
          for (let j = 0; j < s; j++) for (let i = 0; i < s; i++) {
            let hits = 0;
            for (let sj = 0; sj < 4; sj++) for (let si = 0; si < 4; si++) if (inside(xs, ys, i + (si + 0.5) / 4, j + (sj + 0.5) / 4)) hits++;
            expect(got[(j * s + i) * 2 + c]).toBe(hits / 16);
          }
        });
      }
    }
  });

  it('pastes a correction back: weighted by alpha inside the window, nothing outside, no change where alpha is 0', async () => {
    const img = await loadFrame(30);
    const lm = loadLandmarks(30);
    const f = mouthPatchFrame(lm, img.width, img.height);
    const s = 24;
    // Correction 40 levels at alpha 0.5 everywhere (4 values per patch pixel: RGB, alpha).
    const corr = new Float32Array(s * s * 4).map((_, i) => (i % 4 === 3 ? 0.5 : 40));
    const frame = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
    compositeMouthPatch(frame, f, s, corr);
    let changed = 0, outside = 0;
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const o = (y * img.width + x) * 4;
        const [u, v] = imageToPatch(f, x + 0.5, y + 0.5);
        const inside = u > 0.02 && u < 0.98 && v > 0.02 && v < 0.98;
        const d = frame.data[o]! - img.data[o]!;
        if (inside) { expect(d).toBe(Math.min(20, 255 - img.data[o]!)); changed++; }
        if (u < -0.05 || u > 1.05 || v < -0.05 || v > 1.05) { expect(d).toBe(0); outside++; }
        expect(frame.data[o + 3]).toBe(img.data[o + 3]);
      }
    }
    const side = MOUTH_PATCH_SPAN * f.len;
    expect(changed).toBeGreaterThan(0.8 * side * side);
    expect(outside).toBeGreaterThan(0);
    const again = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
    compositeMouthPatch(again, f, s, corr.map((v, i) => (i % 4 === 3 ? 0 : v)));
    expect(Buffer.from(again.data).equals(Buffer.from(img.data))).toBe(true);
  });
});
