/**
 * A plausible mouth interior when no enrollment photo shows an open mouth: dark oral cavity,
 * an upper-teeth band under the upper lip and a tongue hint, in the mouth frame of face-model.ts.
 */
import { createImage, type RgbaImage } from '../image.ts';
import { MOUTH_PATCH_HEIGHT, MOUTH_PATCH_WIDTH } from './face-model.ts';

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
