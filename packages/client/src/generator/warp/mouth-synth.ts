/**
 * Mouth interiors for photos that show no teeth, in the mouth frame of face-model.ts:
 * `synthesizeOpenMouth` (enrollment: a patch and an inner-lip contour, carried in the embedding)
 * and `synthesizeMouthPatch` (receivers, for older embeddings without a mouth patch).
 */
import { createImage, type RgbaImage } from '../image.ts';
import { MOUTH_FRAME_X, MOUTH_FRAME_Y, MOUTH_PATCH_HEIGHT, MOUTH_PATCH_WIDTH } from './face-model.ts';

/** The interior older embeddings without a mouth patch are drawn with: dark cavity, a teeth band, a tongue hint. */
export function synthesizeMouthPatch(lipColor: readonly [number, number, number] = [150, 80, 80]): RgbaImage {
  const w = MOUTH_PATCH_WIDTH, h = MOUTH_PATCH_HEIGHT;
  const img = createImage(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (x + 0.5) / w, t = (y + 0.5) / h;
      const r = Math.min(1, Math.hypot((s - 0.5) / 0.36, (t - 0.5) / 0.5));
      // Cavity: dark red, darker towards the centre.
      let c = [lipColor[0] * 0.25 + 20 * r, lipColor[1] * 0.12 + 8 * r, lipColor[2] * 0.14 + 8 * r];
      // Upper teeth: a soft off-white band just above the centre line, fading at the corners.
      const teeth = Math.max(0, 1 - Math.abs(t - 0.38) / 0.1) * Math.max(0, 1 - Math.abs(s - 0.5) / 0.3);
      c = c.map((v, k) => v + (([205, 198, 185][k]! - v) * Math.min(1, teeth * 1.6)));
      // Tongue: reddish at the bottom.
      const tongue = Math.max(0, (t - 0.62) / 0.38) * Math.max(0, 1 - Math.abs(s - 0.5) / 0.35);
      c = c.map((v, k) => v + (([150, 70, 75][k]! - v) * tongue * 0.7));
      const o = (y * w + x) * 4;
      img.data[o] = c[0]!; img.data[o + 1] = c[1]!; img.data[o + 2] = c[2]!; img.data[o + 3] = 255;
    }
  }
  return img;
}

/** Colours of a synthetic mouth interior, taken from the enrollment photo (see enroll.ts). */
export interface MouthColors {
  /** The lips' mean colour. */
  lip: readonly [number, number, number];
  /** Teeth under the photo's light: its eye whites' colour. */
  teeth: readonly [number, number, number];
}

/** Opening of the synthetic mouth at its centre, in corner distances, and the upper lip's share of it. */
export const SYNTH_OPENING = 0.45;
const SYNTH_UPPER_SHARE = 0.35;
/**
 * Visible height of the upper teeth at the centre (corner distances) and their half-width. No lower
 * teeth: drawn over the lower lip, they moved where the tracker puts it (AKD +0.010 px on 12 clips).
 */
const UPPER_TEETH = { height: 0.12, halfWidth: 0.46 };
/** Where neighbouring teeth meet (corner distances from the middle; central incisors, laterals, canines). */
const TOOTH_EDGES = [0, 0.17, 0.29, 0.38];

function opening(x: number): number {
  return Math.sqrt(Math.max(0, 1 - (2 * x) ** 2));
}
function smooth(e0: number, e1: number, v: number): number {
  const t = Math.min(1, Math.max(0, (v - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/**
 * An open mouth for photos that show no teeth (closed mouths, dark openings): upper teeth under
 * the upper lip, a dark cavity, the tongue over the lower lip, in the photo's colours,
 * with an inner-lip contour opened to SYNTH_OPENING. The contour keeps each lip point's position
 * along the mouth (`s`, from the photo's contour) and puts it on an elliptic opening, so the
 * lip-anchored warp (frame-mesh.ts `mouthBands`) draws it like a photo's open mouth: the teeth stay
 * under their lip and the cavity opens between them.
 */
export function synthesizeOpenMouth(photoContour: readonly number[], colors: MouthColors): { patch: RgbaImage; contour: number[] } {
  const L = photoContour.length / 2, half = L / 2;
  const contour: number[] = [];
  for (let i = 0; i < L; i++) {
    const s = photoContour[2 * i]!, x = (s - 0.5) * MOUTH_FRAME_X;
    // Corners (0 and L/2) stay on the corner line; upper points (1 … L/2 − 1) above it, lower below.
    const y = i === 0 || i === half ? 0 : i < half ? -SYNTH_UPPER_SHARE * SYNTH_OPENING * opening(x) : (1 - SYNTH_UPPER_SHARE) * SYNTH_OPENING * opening(x);
    contour.push(s, 0.5 + y / MOUTH_FRAME_Y);
  }
  const w = MOUTH_PATCH_WIDTH, h = MOUTH_PATCH_HEIGHT, img = createImage(w, h);
  const [lr, lg, lb] = colors.lip, teeth = colors.teeth;
  const cavity = [lr * 0.45, lg * 0.25, lb * 0.27], tongue = [lr * 0.85, lg * 0.6, lb * 0.65];
  for (let py = 0; py < h; py++) {
    for (let px = 0; px < w; px++) {
      // Outside the opening the nearest point inside it (the patch is sampled a little beyond the lips).
      const x = Math.max(-0.49, Math.min(0.49, ((px + 0.5) / w - 0.5) * MOUTH_FRAME_X));
      const e = opening(x), yu = -SYNTH_UPPER_SHARE * SYNTH_OPENING * e, yl = (1 - SYNTH_UPPER_SHARE) * SYNTH_OPENING * e;
      const y = Math.max(yu, Math.min(yl, ((py + 0.5) / h - 0.5) * MOUTH_FRAME_Y));
      const du = y - yu, dl = yl - y;
      // Cavity, darker at the back.
      const back = 1 - 0.35 * e * smooth(0, 0.5, Math.min(du, dl) / (yl - yu + 1e-6));
      let c = cavity.map((v) => v * back);
      // Tongue: low in the middle.
      const tg = smooth(1, 0.4, Math.hypot(x / 0.34, (dl - 0.13) / 0.12));
      c = c.map((v, k) => v + (tongue[k]! - v) * 0.85 * tg);
      // Upper teeth: shaded towards the corners and by the upper lip at the top, a thin gap where
      // neighbours meet.
      const edge = Math.min(...TOOTH_EDGES.map((t) => Math.abs(Math.abs(x) - t)));
      const seam = 1 - 0.12 * smooth(0.012, 0, edge);
      const hw = Math.sqrt(Math.max(0, 1 - (x / UPPER_TEETH.halfWidth) ** 2)), top = UPPER_TEETH.height * hw;
      const tooth = hw <= 0 ? 0 : smooth(top + 0.008, top - 0.008, du) * (1 - 0.5 * (x / UPPER_TEETH.halfWidth) ** 2) * (0.6 + 0.4 * smooth(0, 0.03, du));
      c = c.map((v, k) => v + (teeth[k]! * seam - v) * Math.min(1, tooth * 1.15));
      const o = (py * w + px) * 4;
      img.data[o] = c[0]!; img.data[o + 1] = c[1]!; img.data[o + 2] = c[2]!; img.data[o + 3] = 255;
    }
  }
  return { patch: img, contour };
}
