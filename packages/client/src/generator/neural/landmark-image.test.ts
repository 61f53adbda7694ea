import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { lineWidth, rasteriseLandmarks, roundHalfEven } from './landmark-image.ts';

interface Entry { clip: string; frame: number; size: number; points: number[]; image: string }
const entries = JSON.parse(readFileSync(new URL('../../../test/fixtures/neural/landmark-image.json', import.meta.url), 'utf8')) as Entry[];

describe('landmark image (port of models/neural/landmarks.py)', () => {
  it('line width and Python rounding', () => {
    expect([32, 64, 95, 96, 128, 160, 256].map(lineWidth)).toEqual([1, 1, 1, 2, 2, 2, 4]);
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 3]);
  });

  it('64 px (width 1) is bit-exact with Pillow', () => {
    for (const e of entries.filter((x) => x.size === 64)) {
      const want = new Uint8Array(inflateSync(Buffer.from(e.image, 'base64')));
      const got = rasteriseLandmarks(e.points, e.size, 2);
      let diff = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) diff++;
      expect(diff, `${e.clip} frame ${e.frame}`).toBe(0);
    }
  });

  it('wider lines (128, 256 px) agree with Pillow on ≥ 97% of pixels', () => {
    for (const e of entries.filter((x) => x.size > 64)) {
      const want = new Uint8Array(inflateSync(Buffer.from(e.image, 'base64')));
      const got = rasteriseLandmarks(e.points, e.size, 2);
      let diff = 0;
      for (let p = 0; p < e.size * e.size; p++) {
        if (got[3 * p] !== want[3 * p] || got[3 * p + 1] !== want[3 * p + 1] || got[3 * p + 2] !== want[3 * p + 2]) diff++;
      }
      expect(diff / (e.size * e.size), `${e.size} px frame ${e.frame}`).toBeLessThan(0.03);
    }
  });
});
