import { describe, expect, it, vi, beforeAll } from 'vitest';
import { SectionType, VisageError, type AvatarEmbedding } from '@visage/protocol';
import { WarpGenerator } from './warp-generator.ts';
import { createGenerator } from '../registry.ts';
import { CpuBackend } from '../backends/cpu.ts';
import { pngCodec } from '../codec.ts';
import { embeddingPayloadBytes, mouthContour, unpackWarpContent, type WarpContent } from './content.ts';
import { enrollWarpAvatar, mouthCoverage } from '../../enrollment/atlas/enroll.ts';
import {
  CAVITY, SCLERA, SKIN, TEETH, TONGUE, faceMask, irisCentres, loadFrame, loadLandmarks, openEyes, openMouth, paintEyes, paintMouth, psnr,
} from '../../../test/warp-fixtures.ts';
import { createImage, type RgbaImage } from '../image.ts';
import { EYES, IRIS_RINGS, MOUTH_LOOP, eyeballFrame, toPixels } from './face-model.ts';
import { pointInPolygon } from '../../enrollment/atlas/polygon.ts';
import { lidStarts, mouthGap } from './frame-mesh.ts';
import type { BackendFactory } from '../backends/types.ts';

const MAGENTA = [255, 0, 255, 255] as const;
/** The upper lids' strips as frame-mesh.ts draws them: margin and crease landmarks, column by column. */
const LIDS = [
  { margin: [33, 246, 161, 160, 159, 158, 157, 173, 133], crease: [130, 247, 30, 29, 27, 28, 56, 190, 243] },
  { margin: [263, 466, 388, 387, 386, 385, 384, 398, 362], crease: [359, 467, 260, 259, 257, 258, 286, 414, 463] },
];
const markerFactory: BackendFactory = async (kind) => (kind === 'cpu' ? new CpuBackend({ clear: MAGENTA }) : null);

let f30: RgbaImage, f50: RgbaImage, l30: Float32Array, l50: Float32Array;
let embedding: AvatarEmbedding, content: WarpContent;

beforeAll(async () => {
  [f30, f50] = await Promise.all([loadFrame(30), loadFrame(50)]);
  l30 = loadLandmarks(30); l50 = loadLandmarks(50);
  ({ embedding, content } = await enrollWarpAvatar([{ image: f30, landmarks: l30 }], { codec: pngCodec }));
});

async function renderAt(landmarks: Float32Array, size = 256, factory: BackendFactory = markerFactory): Promise<Uint8ClampedArray> {
  const g = new WarpGenerator({ backend: 'cpu', backendFactory: factory, codec: pngCodec });
  await g.init(embedding);
  const out = { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) };
  await g.render(landmarks, out);
  g.dispose();
  return out.data;
}

function countMarker(px: Uint8ClampedArray): number {
  let n = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i] === 255 && px[i + 1] === 0 && px[i + 2] === 255) n++;
  return n;
}

describe('warp generator (CPU backend)', () => {
  it('reproduces the enrollment photo at its own landmarks (face-region PSNR)', async () => {
    const out = await renderAt(l30);
    const mask = faceMask(l30, 256, 256);
    const face = psnr(out, f30.data, mask);
    const whole = psnr(out, f30.data);
    expect(face).toBeGreaterThan(32);
    expect(whole).toBeGreaterThan(32);
  });

  it('moves the face with a known head turn (closer to the real turned frame than the unwarped photo)', async () => {
    const out = await renderAt(l50);
    const mask = faceMask(l50, 256, 256);
    const warped = psnr(out, f50.data, mask);
    const unwarped = psnr(f30.data, f50.data, mask);
    expect(warped).toBeGreaterThan(unwarped + 2);
    // The nose tip (landmark 1) shows the photo's nose-tip colour where the turned landmarks put it.
    const at = (px: Uint8ClampedArray, l: Float32Array, i: number) => {
      const o = (Math.floor(l[i * 3 + 1]! * 256) * 256 + Math.floor(l[i * 3]! * 256)) * 4;
      return [px[o]!, px[o + 1]!, px[o + 2]!];
    };
    const src = at(f30.data, l30, 1), dst = at(out, l50, 1);
    for (let c = 0; c < 3; c++) expect(Math.abs(src[c]! - dst[c]!)).toBeLessThan(25);
  });

  it('leaves no holes: every pixel covered, for normal, wide-open-mouth, shifted and scaled faces', async () => {
    const open = l30.slice();
    // Drop the lower lip and jaw: landmarks below the mouth centre move down.
    const cy = (l30[13 * 3 + 1]! + l30[14 * 3 + 1]!) / 2;
    for (let i = 0; i < 478; i++) if (l30[i * 3 + 1]! > cy) open[i * 3 + 1]! += 0.06;
    const shifted = l30.map((v, i) => (i % 3 === 0 ? v + 0.08 : i % 3 === 1 ? v - 0.05 : v));
    const scaled = l30.map((v, i) => (i % 3 === 2 ? v * 1.3 : 0.5 + (v - 0.5) * 1.3));
    for (const lm of [l30, l50, open, shifted, scaled]) {
      const out = await renderAt(lm, 128);
      expect(countMarker(out)).toBe(0);
    }
  });

  it('fills an open mouth with the mouth patch, not black', async () => {
    const open = l30.slice();
    const cy = (l30[13 * 3 + 1]! + l30[14 * 3 + 1]!) / 2;
    for (let i = 0; i < 478; i++) if (l30[i * 3 + 1]! > cy) open[i * 3 + 1]! += 0.05;
    const out = await renderAt(open);
    const mx = Math.round(((open[13 * 3]! + open[14 * 3]!) / 2) * 256), my = Math.round(((open[13 * 3 + 1]! + open[14 * 3 + 1]!) / 2) * 256);
    const o = (my * 256 + mx) * 4;
    expect(out[o]! + out[o + 1]! + out[o + 2]!).toBeGreaterThan(15);
  });

  it('moves the iris with the driving iris landmarks, at the photo\'s iris size', async () => {
    // A photo of painted, wide-open eyes, large in the frame; then both eyes look 0.15 eye widths
    // to the image right: the dark centre of each opening follows, and as much iris shows.
    const S = 768, l = openEyes(l30, 2.5), p = toPixels(l, S, S);
    const { embedding: painted } = await enrollWarpAvatar([{ image: paintEyes(p, S, irisCentres(p)), landmarks: l }], { codec: pngCodec });
    const look = l.slice();
    EYES.forEach((e, k) => {
      const w = Math.abs(l[e.inner * 3]! - l[e.outer * 3]!);
      for (const i of [e.iris, ...IRIS_RINGS[k]!]) look[i * 3]! += 0.15 * w;
    });
    const render = async (lm: Float32Array) => {
      const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
      await g.init(painted);
      const out = createImage(S, S);
      await g.render(lm, out);
      g.dispose();
      return out.data;
    };
    const darkCentre = (px: Uint8ClampedArray, k: number) => {
      const poly = EYES[k]!.loop.map((i) => [p[i * 3]!, p[i * 3 + 1]!] as const);
      let sx = 0, dark = 0;
      for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
        if (!pointInPolygon(x + 0.5, y + 0.5, poly)) continue;
        const o = (y * S + x) * 4, d = (px[o]! + px[o + 1]! + px[o + 2]!) / 3 < 120 ? 1 : 0;
        sx += d * (x + 0.5); dark += d;
      }
      return { x: sx / dark, dark };
    };
    const still = await render(l), moved = await render(look);
    for (const k of [0, 1]) {
      const w = eyeballFrame(p, k).len, a = darkCentre(still, k), b = darkCentre(moved, k);
      expect(a.x / w).toBeCloseTo(irisCentres(p)[k]![0] / w, 1);
      expect((b.x - a.x) / w).toBeGreaterThan(0.12);
      expect((b.x - a.x) / w).toBeLessThan(0.18);
      expect(b.dark).toBeGreaterThan(0.85 * a.dark);
      expect(b.dark).toBeLessThan(1.15 * a.dark);
    }
  });

  it('keeps the teeth under the upper lip when the mouth opens less than in the photo', async () => {
    // The photo's mouth is wide open with a band of teeth under the upper lip; the driven mouth is
    // half as open. Just under the driven upper lip there are teeth (not a dark slit), the cavity below.
    const S = 768, l = openMouth(l30, 0.15), p = toPixels(l, S, S);
    const { embedding: painted, content: c } = await enrollWarpAvatar([{ image: paintMouth(p, S, 0.2), landmarks: l }], { codec: pngCodec });
    expect(c.metadata.mouthContour).toHaveLength(2 * MOUTH_LOOP.length);
    const wide = openMouth(l30, 0.06), q = toPixels(wide, S, S);
    const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await g.init(painted);
    const out = createImage(S, S);
    await g.render(wide, out);
    g.dispose();
    const top = q[13 * 3 + 1]!, gap = q[14 * 3 + 1]! - top, x = Math.round(q[13 * 3]!);
    const at = (f: number) => Array.from(out.data.subarray((Math.round(top + f * gap) * S + x) * 4, (Math.round(top + f * gap) * S + x) * 4 + 3));
    const dist = (a: number[], b: readonly number[]) => Math.max(...a.map((v, k) => Math.abs(v - b[k]!)));
    expect(dist(at(0.1), TEETH)).toBeLessThan(30);
    expect(dist(at(0.7), CAVITY)).toBeLessThan(30);
    // A malformed contour in the metadata is ignored (the mouth frame's similarity is used).
    expect(mouthContour({ ...c, metadata: { ...c.metadata, mouthContour: [1, 2, 3] } })).toBeNull();
    expect(mouthContour({ ...c, metadata: { ...c.metadata, mouthContour: c.metadata.mouthContour!.map(() => Number.NaN) } })).toBeNull();
    expect(mouthContour(c)).toEqual(c.metadata.mouthContour);
  });

  it('opens the mouth wider than in the photo at its dark gap: teeth and tongue keep their height', async () => {
    // The photo's mouth is just open enough for its interior to be kept (openness 0.12): teeth in the
    // top 30 % of the gap, a tongue in the bottom 25 %, dark in between. Driven 1.6 times as wide
    // (same corners; openMouth moves the inner lip only, and beyond 0.1 it would pass the next ring
    // of lip landmarks), the teeth and the tongue keep their height under and over their lips and
    // the dark gap grows (a plain stretch makes them 1.6 times taller). Driven half as open, the
    // photo's opening is squeezed evenly.
    const S = 1536, l = openMouth(l30, 0.06), p = toPixels(l, S, S);
    const { embedding: painted, content } = await enrollWarpAvatar([{ image: paintMouth(p, S, 0.3, 0.25), landmarks: l }], { codec: pngCodec });
    const gap = mouthGap(content.mouth!, content.metadata.mouthContour!);
    expect(gap).toBeGreaterThan(0.3);
    expect(gap).toBeLessThan(0.75);
    const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await g.init(painted);
    const dist = (a: ArrayLike<number>, b: readonly number[]) => Math.max(...b.map((v, k) => Math.abs(v - a[k]!)));
    for (const h of [0.095, 0.03]) {
      const driven = openMouth(l30, h), q = toPixels(driven, S, S);
      const out = createImage(S, S);
      await g.render(driven, out);
      for (const [u, lo] of [[13, 14], [82, 87], [312, 317]] as const) {
        const x = Math.round(q[u * 3]!), top = q[u * 3 + 1]!, bottom = q[lo * 3 + 1]!;
        const photoGap = p[lo * 3 + 1]! - p[u * 3 + 1]!;
        const count = { teeth: 0, tongue: 0, cavity: 0 };
        for (let y = Math.ceil(top); y < bottom; y++) {
          const px = out.data.subarray((y * S + x) * 4, (y * S + x) * 4 + 3);
          if (dist(px, TEETH) < 40) count.teeth++;
          else if (dist(px, TONGUE) < 40) count.tongue++;
          else if (dist(px, CAVITY) < 40) count.cavity++;
        }
        if (h > 0.06) {
          // Measured: 6–9 px of teeth for the photo's 9.5–10 (the patch's texels blur the edges), 6–8
          // of tongue for its 8; 13 and 11 with a plain stretch.
          expect(count.teeth).toBeGreaterThan(0.55 * 0.3 * photoGap);
          expect(count.teeth).toBeLessThan(1.15 * 0.3 * photoGap);
          expect(count.tongue).toBeGreaterThan(0.55 * 0.25 * photoGap);
          expect(count.tongue).toBeLessThan(1.15 * 0.25 * photoGap);
          expect(count.cavity).toBeGreaterThan(0.5 * (bottom - top));
        } else {
          // Half as open: all three, squeezed (measured 2–4 px of teeth, 3–4 of tongue, 6–7 dark).
          expect(count.teeth).toBeGreaterThan(0);
          expect(count.teeth).toBeLessThan(0.6 * 0.3 * photoGap);
          expect(count.tongue).toBeGreaterThan(0);
          expect(count.cavity).toBeGreaterThan(0);
        }
      }
    }
    g.dispose();
  });

  it('gives a closed-mouth photo an open mouth in its light: teeth under the upper lip, cavity, tongue', async () => {
    // Photos with closed lips (painted eyes, skin elsewhere; once as lit, once at 60 % of the light).
    // Opened, the mouth shows teeth just under the upper lip, as bright as the photo's eye whites
    // let them be, then a dark cavity, then a tongue over the lower lip. Before, it showed a dark
    // hole with a grey line across the middle whatever the photo.
    const S = 768, closed = openMouth(l30, 0), p = toPixels(closed, S, S);
    const lit = paintEyes(p, S, irisCentres(p));
    const dim = { ...lit, data: lit.data.map((v, i) => (i % 4 === 3 ? v : v * 0.6)) };
    const driven = openMouth(l30, 0.1), q = toPixels(driven, S, S);
    const top = q[13 * 3 + 1]!, gap = q[14 * 3 + 1]! - top, x = Math.round(q[13 * 3]!);
    const lum = (c: number[]) => 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
    const columns: number[][][] = [];
    for (const photo of [lit, dim]) {
      const { embedding: e, content: c } = await enrollWarpAvatar([{ image: photo, landmarks: closed }], { codec: pngCodec });
      expect(c.metadata.mouthSource).toBe('synthetic');
      expect(mouthContour(c)).toHaveLength(2 * MOUTH_LOOP.length);
      const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
      await g.init(e);
      const out = createImage(S, S);
      await g.render(driven, out);
      g.dispose();
      columns.push([0.08, 0.45, 0.72].map((f) => Array.from(out.data.subarray((Math.round(top + f * gap) * S + x) * 4, (Math.round(top + f * gap) * S + x) * 4 + 3))));
    }
    const [[teeth, cavity, tongue], [dimTeeth]] = columns as [number[][], number[][]];
    expect(lum(teeth!)).toBeGreaterThan(220);
    expect(Math.max(...teeth!) - Math.min(...teeth!)).toBeLessThan(30);
    expect(lum(cavity!)).toBeLessThan(0.35 * lum(teeth!));
    expect(tongue![0]! - tongue![1]!).toBeGreaterThan(25);
    expect(lum(tongue!)).toBeGreaterThan(lum(cavity!) + 20);
    expect(lum(dimTeeth!) / lum(teeth!)).toBeGreaterThan(0.6);
    expect(lum(dimTeeth!) / lum(teeth!)).toBeLessThan(0.8);
  });

  it('treats a dark opening without teeth like a closed mouth, and takes the most open photo that shows teeth', async () => {
    // Opened wider, a dark opening would be a dark hole: it gets the synthetic mouth. Of two photos,
    // the one that shows teeth gives the mouth even when the other is more open.
    const S = 768, dark = openMouth(l30, 0.12), teeth = openMouth(l30, 0.08);
    const darkPhoto = { image: paintMouth(toPixels(dark, S, S), S, 0), landmarks: dark };
    const teethPhoto = { image: paintMouth(toPixels(teeth, S, S), S, 0.3), landmarks: teeth };
    const { content: one } = await enrollWarpAvatar([darkPhoto], { codec: pngCodec });
    expect(one.metadata.mouthSource).toBe('synthetic');
    expect(mouthCoverage(one)).toEqual({ open: 1, teeth: false });
    expect(mouthContour(one)).toHaveLength(2 * MOUTH_LOOP.length);
    const { content: two } = await enrollWarpAvatar([darkPhoto, teethPhoto], { codec: pngCodec });
    expect(two.metadata.mouthSource).toBe(1);
    const { content: lit } = await enrollWarpAvatar([teethPhoto], { codec: pngCodec });
    expect(lit.metadata.mouthSource).toBe(0);
  });

  it('draws each frame\'s mouth from the photo nearest in opening (MouthSet), without flicker between two', async () => {
    // Photo 0: wide open, dark (no teeth); photo 1: less open, teeth under the upper lip. The mouth
    // patch is photo 1's (it shows teeth), photo 0's travels in the MouthSet section. Driven through
    // openings 0.06 → 0.085 → 0.1 → 0.075 → 0.06, the band under the upper lip shows teeth,
    // teeth (kept: not nearer the other by MOUTH_SWITCH_MARGIN), cavity, cavity (kept), teeth. Without
    // the set: teeth throughout.
    const S = 1024, wide = openMouth(l30, 0.1), narrow = openMouth(l30, 0.06);
    const photos = [
      { image: paintMouth(toPixels(wide, S, S), S, 0), landmarks: wide },
      { image: paintMouth(toPixels(narrow, S, S), S, 0.3), landmarks: narrow },
    ];
    const lum = (c: ArrayLike<number>) => 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
    const interiors: (number | null)[] = [];
    const upperBand = async (e: AvatarEmbedding) => {
      const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec }), out = createImage(S, S), seen: number[] = [];
      await g.init(e);
      interiors.length = 0;
      for (const h of [0.06, 0.085, 0.1, 0.075, 0.06]) {
        const q = toPixels(openMouth(l30, h), S, S), top = q[13 * 3 + 1]!, gap = q[14 * 3 + 1]! - top, o = (Math.round(top + 0.1 * gap) * S + Math.round(q[13 * 3]!)) * 4;
        await g.render(openMouth(l30, h), out);
        seen.push(lum(out.data.subarray(o, o + 3)));
        interiors.push(g.mouthInterior);
      }
      g.dispose();
      return seen;
    };
    const { embedding: e, content: c } = await enrollWarpAvatar(photos, { codec: pngCodec });
    expect(c.metadata.mouthSource).toBe(1);
    expect(c.mouthSet!.map((m) => m.source)).toEqual([0]);
    expect(e.sections.some((x) => x.type === SectionType.MouthSet)).toBe(true);
    const back = await unpackWarpContent(e, pngCodec);
    expect(back.mouthSet!.map((m) => m.source)).toEqual([0]);
    expect(back.mouthSet![0]!.contour).toEqual(c.mouthSet![0]!.contour);
    expect(back.mouthSet![0]!.width).toBeGreaterThan(0);
    expect(back.mouthSet![0]!.width).toBe(c.mouthSet![0]!.width);
    const withSet = await upperBand(e);
    const teeth = lum(TEETH), cavity = lum(CAVITY);
    expect(withSet.map((v) => (v > (teeth + cavity) / 2 ? 'teeth' : 'cavity'))).toEqual(['teeth', 'teeth', 'cavity', 'cavity', 'teeth']);
    expect(interiors).toEqual([0, 0, 1, 1, 0]);
    const { embedding: single, content: one } = await enrollWarpAvatar(photos, { codec: pngCodec, mouthSet: false });
    expect(one.mouthSet).toBeUndefined();
    expect(single.sections.some((x) => x.type === SectionType.MouthSet)).toBe(false);
    expect((await upperBand(single)).every((v) => v > (teeth + cavity) / 2)).toBe(true);
    // A set without its contours in the metadata is refused, not drawn from the wrong place.
    const meta = e.sections.find((x) => x.type === SectionType.Metadata)!;
    const { mouthSet: _dropped, ...rest } = JSON.parse(new TextDecoder().decode(meta.bytes)) as Record<string, unknown>;
    const bad = { ...e, sections: e.sections.map((x) => (x === meta ? { ...x, bytes: new TextEncoder().encode(JSON.stringify(rest)) } : x)) };
    await expect(unpackWarpContent(bad, pngCodec)).rejects.toThrow(/MouthSet: the metadata must give a source and a contour for each of its 1 patches/);
  });

  it('tells a smile from speech at the same opening by the mouth\'s width', async () => {
    // Photo 0: a smile — the mouth 12 % wider, teeth under the upper lip; photo 1: speech at the same
    // opening (in mouth widths), dark. Driven at either width, the frame draws that photo's interior.
    const S = 1024, wider = (l: Float32Array, f: number) => {
      const q = l.slice(), cx = (l[78 * 3]! + l[308 * 3]!) / 2;
      for (const i of [...MOUTH_LOOP, 61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]) q[i * 3] = cx + (l[i * 3]! - cx) * f;
      return q;
    };
    const smile = openMouth(wider(l30, 1.12), 0.06), speech = openMouth(l30, 0.06);
    const { embedding: e, content: c } = await enrollWarpAvatar([
      { image: paintMouth(toPixels(smile, S, S), S, 0.3), landmarks: smile },
      { image: paintMouth(toPixels(speech, S, S), S, 0), landmarks: speech },
    ], { codec: pngCodec });
    expect(c.metadata.mouthSource).toBe(0);
    expect(c.mouthSet!.map((m) => m.source)).toEqual([1]);
    expect(c.mouthSet![0]!.width! / c.metadata.mouthWidth!).toBeCloseTo(1 / 1.12, 2);
    const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec }), out = createImage(S, S), seen: string[] = [];
    await g.init(e);
    for (const l of [speech, smile, speech]) {
      await g.render(l, out);
      const q = toPixels(l, S, S), top = q[13 * 3 + 1]!, gap = q[14 * 3 + 1]! - top, o = (Math.round(top + 0.12 * gap) * S + Math.round(q[13 * 3]!)) * 4;
      const v = 0.299 * out.data[o]! + 0.587 * out.data[o + 1]! + 0.114 * out.data[o + 2]!;
      seen.push(v > (0.299 * TEETH[0] + 0.587 * TEETH[1] + 0.114 * TEETH[2] + 0.299 * CAVITY[0] + 0.587 * CAVITY[1] + 0.114 * CAVITY[2]) / 2 ? 'teeth' : 'cavity');
    }
    g.dispose();
    expect(seen).toEqual(['cavity', 'teeth', 'cavity']);
  });

  it('keeps the lashes at their thickness on the lid margin when the eyes close', async () => {
    // Painted open eyes with a band of dark lashes along each upper lid margin. Driven nearly closed
    // with the creases raised (as the brows are in a blink), the lid strip from margin to crease is
    // about twice as tall. The lashes' shading stays as thick as at the photo's own pose, and the
    // lid above is skin; a plain stretch of the strip makes it twice as thick.
    const S = 1024, p = toPixels(l30, S, S), LASH = [40, 30, 30] as const;
    const LID_MARGINS = LIDS.map((l) => l.margin), LID_CREASES = LIDS.map((l) => l.crease.slice(1, -1));
    const photo = paintEyes(p, S, irisCentres(p));
    for (const l of LID_MARGINS) {
      for (let i = 0; i + 1 < l.length; i++) {
        const [x0, y0, x1, y1] = [p[l[i]! * 3]!, p[l[i]! * 3 + 1]!, p[l[i + 1]! * 3]!, p[l[i + 1]! * 3 + 1]!];
        for (let x = Math.ceil(Math.min(x0, x1)); x < Math.max(x0, x1); x++) {
          const y = y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
          for (let dy = 0; dy < 6; dy++) photo.data.set(LASH, (Math.round(y) - 1 - dy) * S * 4 + x * 4);
        }
      }
    }
    const { embedding: painted } = await enrollWarpAvatar([{ image: photo, landmarks: l30 }], { codec: pngCodec });
    const closed = openEyes(l30, 0.05), lift = 0.5 * (l30[159 * 3 + 1]! - l30[27 * 3 + 1]!);
    for (const l of LID_CREASES) for (const i of l) closed[i * 3 + 1] = closed[i * 3 + 1]! - lift;
    const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await g.init(painted);
    // Pixels of the strip darker than the skin (200 in red), in the column through the margin's middle point.
    const shaded = async (lm: Float32Array): Promise<number[]> => {
      const q = toPixels(lm, S, S), out = createImage(S, S);
      await g.render(lm, out);
      return ([[159, 27], [386, 257]] as const).map(([margin, crease]) => {
        const x = Math.round(q[margin * 3]!);
        let n = 0;
        for (let y = Math.floor(q[crease * 3 + 1]!); y <= Math.ceil(q[margin * 3 + 1]!) + 1; y++) if (out.data[(y * S + x) * 4]! < 180) n++;
        return n;
      });
    };
    const atRest = await shaded(l30), blink = await shaded(closed);
    g.dispose();
    for (let k = 0; k < 2; k++) {
      expect(atRest[k]).toBeGreaterThan(1);
      expect(blink[k]).toBeLessThan(1.4 * atRest[k]!);
    }
  });

  it('draws the lids from the lash line when the tracked margin lies on the eyeball', async () => {
    // A photo whose upper-lid strips (tracked margin → crease) show eyeball for their first half and
    // the lashes above it, as when the eyes look up (liveportrait-d14). The lid starts are found at
    // the lash line, and the lids driven closed are lashes and skin: no eyeball-white band across
    // them, as the strip drawn from the tracked margin gave.
    const S = 1024, p = toPixels(l30, S, S), LASH = [40, 30, 30] as const;
    const photo = paintEyes(p, S, irisCentres(p));
    for (const { margin, crease } of LIDS) {
      for (let i = 0; i + 1 < margin.length; i++) {
        for (let a = 0; a <= 1; a += 0.02) for (let t = 0; t <= 0.7; t += 0.01) {
          const at = (k: number[], c: number) => (p[k[i]! * 3 + c]! * (1 - a) + p[k[i + 1]! * 3 + c]! * a);
          const x = Math.round(at(margin, 0) + (at(crease, 0) - at(margin, 0)) * t), y = Math.round(at(margin, 1) + (at(crease, 1) - at(margin, 1)) * t);
          photo.data.set(t < 0.45 ? SCLERA : t < 0.6 ? LASH : SKIN, (y * S + x) * 4);
        }
      }
    }
    const { embedding: painted, content: c } = await enrollWarpAvatar([{ image: photo, landmarks: l30 }], { codec: pngCodec });
    for (const start of lidStarts(c.atlas)) {
      expect(start).toBeGreaterThan(0.3);
      expect(start).toBeLessThan(0.6);
    }
    // A photo with its lashes at the margin keeps its lids where they were tracked.
    expect(lidStarts(content.atlas)).toEqual([0, 0]);
    const closed = openEyes(l30, 0.05), q = toPixels(closed, S, S);
    const g = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await g.init(painted);
    const out = createImage(S, S);
    await g.render(closed, out);
    g.dispose();
    for (const [m, cr] of [[159, 27], [386, 257]] as const) {
      const x = Math.round(q[m * 3]!);
      let white = 0, dark = 0;
      for (let y = Math.floor(q[cr * 3 + 1]!); y <= Math.ceil(q[m * 3 + 1]!); y++) {
        const o = (y * S + x) * 4, r = out.data[o]!, gg = out.data[o + 1]!, b = out.data[o + 2]!;
        // Eyeball-white: bright and grey (the skin is as bright but red, the lashes dark).
        if (0.299 * r + 0.587 * gg + 0.114 * b > 140 && r - b < 30) white++;
        if (r < 120) dark++;
      }
      expect(white).toBe(0);
      expect(dark).toBeGreaterThan(0);
    }
  });

  it('draws older embeddings (an eye band, no eyeball patches) and refuses eyeball patches of the wrong size', async () => {
    const old = { ...embedding, sections: embedding.sections.filter((s) => s.type !== SectionType.EyeballPatch) };
    const back = await unpackWarpContent(old, pngCodec);
    expect(back.eyeballs).toBeNull();
    const g = new WarpGenerator({ backend: 'cpu', backendFactory: markerFactory, codec: pngCodec });
    await g.init(old);
    const out = { width: 128, height: 128, data: new Uint8ClampedArray(128 * 128 * 4) };
    await g.render(l50, out);
    expect(countMarker(out.data)).toBe(0);
    g.dispose();
    const small = await pngCodec.encode(createImage(8, 8, [0, 0, 0, 255]), 'image/png');
    const bad = { ...embedding, sections: embedding.sections.map((s) => (s.type === SectionType.EyeballPatch ? { ...s, bytes: small } : s)) };
    await expect(unpackWarpContent(bad, pngCodec)).rejects.toThrow(/EyeballPatch: expected 192×48, got 8×8/);
  });

  it('renders 512×512', async () => {
    const out = await renderAt(l50, 512);
    expect(countMarker(out)).toBe(0);
  });

  it('reports its backend, selects cpu under auto in Node, and throws on misuse', async () => {
    const g = createGenerator('warp', { codec: pngCodec });
    expect(g.backend).toBeNull();
    await expect(g.render(l30, { width: 8, height: 8, data: new Uint8ClampedArray(256) })).rejects.toBeInstanceOf(VisageError);
    await g.init(embedding);
    expect(g.backend).toBe('cpu');
    await expect(g.render(new Float32Array(10), { width: 8, height: 8, data: new Uint8ClampedArray(256) })).rejects.toBeInstanceOf(TypeError);
    await expect(g.init(embedding)).rejects.toBeInstanceOf(VisageError);
    g.dispose();
    g.dispose();
    await expect(g.render(l30, { width: 8, height: 8, data: new Uint8ClampedArray(256) })).rejects.toBeInstanceOf(VisageError);
    expect(() => createGenerator('nope')).toThrow(TypeError);
    expect(() => createGenerator('warp', { backend: 'vulkan' as never })).toThrow(TypeError);
  });

  it('releases its backend on dispose()', async () => {
    const backend = new CpuBackend();
    const spy = vi.spyOn(backend, 'dispose');
    const g = new WarpGenerator({ backend: 'webgl', backendFactory: async () => backend, codec: pngCodec });
    await g.init(embedding);
    g.dispose();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(g.backend).toBeNull();
  });

  it('packs into a ≤ 256 KB warp embedding that round-trips', async () => {
    expect(embedding.generator).toEqual({ family: 'warp', version: 1 });
    expect(embeddingPayloadBytes(embedding)).toBeLessThanOrEqual(256 * 1024);
    const back = await unpackWarpContent(embedding, pngCodec);
    expect(back.atlas.width).toBe(content.atlas.width);
    expect(Array.from(back.atlas.data.subarray(0, 4000))).toEqual(Array.from(content.atlas.data.subarray(0, 4000)));
    expect(back.plateLandmarks).toEqual(content.plateLandmarks);
    expect(back.neutral).toEqual(content.neutral);
    expect(back.eyeballs!.width).toBe(content.eyeballs!.width);
    expect(Array.from(back.eyeballs!.data)).toEqual(Array.from(content.eyeballs!.data));
  });
});
