import { describe, expect, it } from 'vitest';
import { CANONICAL_UVS } from '../../packages/client/src/generator/mesh-data.ts';
import { ORACLE_REGIONS, parseOracle, pasteReal, regionMask } from './oracle.ts';
import { parseEvalArgs } from './args.ts';

const W = 128;
/** A frontal face: the canonical mesh's UV layout as landmarks (the 10 iris points on the upper lids, 159 and 386). */
const face = (() => {
  const lm = new Float32Array(478 * 3), n = CANONICAL_UVS.length / 2;
  for (let i = 0; i < 478; i++) {
    const src = i < n ? i : i < 473 ? 159 : 386;
    lm[i * 3] = CANONICAL_UVS[src * 2]!;
    lm[i * 3 + 1] = CANONICAL_UVS[src * 2 + 1]!;
  }
  return lm;
})();
const count = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);
const at = (m: Uint8Array, lmIndex: number) => m[Math.floor(face[lmIndex * 3 + 1]! * W) * W + Math.floor(face[lmIndex * 3]! * W)]!;

describe('eval --post-oracle', () => {
  it('masks each region where its landmarks are, and not the others', () => {
    const m = Object.fromEntries(ORACLE_REGIONS.map((r) => [r, regionMask(r, face, W, W)]));
    // Landmarks: 159 upper lid, 105 brow, 4 nose tip, 13 upper inner lip, 234 cheek edge.
    expect([at(m.eyes!, 159), at(m.eyes!, 4), at(m.eyes!, 13)]).toEqual([1, 0, 0]);
    expect([at(m.brows!, 105), at(m.brows!, 159), at(m.brows!, 4)]).toEqual([1, 0, 0]);
    expect([at(m.nose!, 4), at(m.nose!, 159), at(m.nose!, 13)]).toEqual([1, 0, 0]);
    expect([at(m.mouth!, 13), at(m.mouth!, 4), at(m.mouth!, 159)]).toEqual([1, 0, 0]);
    expect([at(m.inner!, 4), at(m.outside!, 4), at(m.rim!, 4)]).toEqual([1, 0, 0]);
    expect(m.outside![0]).toBe(1);
    // rim, inner and outside tile the frame.
    for (let i = 0; i < W * W; i++) expect(m.rim![i]! + m.inner![i]! + m.outside![i]!).toBe(1);
    expect(count(m.all!)).toBe(W * W);
    for (const r of ['eyes', 'brows', 'nose', 'mouth'] as const) expect(count(m[r]!)).toBeLessThan(count(m.inner!) / 3);
  });

  it('pastes the real frame over the region, feathered, and leaves the rest', () => {
    const ours = new Uint8Array(W * W * 4).fill(0), real = new Uint8Array(W * W * 4).fill(200);
    pasteReal(ours, real, W, W, { regions: ['mouth'], band: 'all' }, face);
    const px = (lmIndex: number) => ours[(Math.floor(face[lmIndex * 3 + 1]! * W) * W + Math.floor(face[lmIndex * 3]! * W)) * 4]!;
    expect(px(13)).toBe(200);
    expect(px(159)).toBe(0);
    expect(ours[3]).toBe(0); // alpha untouched
    const partial = [...Array(W * W).keys()].filter((i) => ours[i * 4]! > 0 && ours[i * 4]! < 200).length;
    expect(partial).toBeGreaterThan(0); // a feathered edge, not a hard seam
    const all = new Uint8Array(W * W * 4).fill(9);
    pasteReal(all, real, W, W, { regions: ['all'], band: 'all' }, face);
    for (let i = 0; i < W * W; i++) expect(all[i * 4]).toBe(200);
    const none = new Uint8Array(W * W * 4).fill(9);
    pasteReal(none, real, W, W, { regions: ['inner'], band: 'all' }, null);
    expect(none.every((v) => v === 9)).toBe(true);
    expect(() => pasteReal(new Uint8Array(10), real, W, W, { regions: ['all'], band: 'all' }, face)).toThrow(/128×128×4/);
  });

  it('pastes only the low frequencies (lf) or only the detail (hf) when asked', () => {
    // ours: flat 100 with a fine checker of ±40; real: flat 180, no detail. Over the whole frame:
    // lf keeps ours' checker on the real level, hf gives ours' level without the checker.
    const checker = (x: number, y: number) => ((x + y) % 2 ? 40 : -40);
    const make = (f: (x: number, y: number) => number) => {
      const d = new Uint8Array(W * W * 4);
      for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) d.set([f(x, y), f(x, y), f(x, y), 255], (y * W + x) * 4);
      return d;
    };
    const real = make(() => 180);
    const lf = make((x, y) => 100 + checker(x, y)), hf = lf.slice();
    pasteReal(lf, real, W, W, { regions: ['all'], band: 'lf' }, face);
    pasteReal(hf, real, W, W, { regions: ['all'], band: 'hf' }, face);
    const o = (64 * W + 64) * 4, o2 = (64 * W + 65) * 4;
    expect(Math.abs((lf[o]! + lf[o2]!) / 2 - 180)).toBeLessThan(2);
    expect(Math.abs(lf[o]! - lf[o2]!)).toBeGreaterThan(70);
    expect(Math.abs(hf[o]! - 100)).toBeLessThan(2);
    expect(Math.abs(hf[o]! - hf[o2]!)).toBeLessThan(4);
    // gain: ours' pattern scaled so its mean is the real mean, 180 (100 ± 40 → 108 / 252).
    const gain = make((x, y) => 100 + checker(x, y));
    pasteReal(gain, real, W, W, { regions: ['all'], band: 'gain' }, face);
    expect([gain[o], gain[o2]].sort()).toEqual([108, 252]);
  });

  it('parses region lists and rejects unknown ones', () => {
    expect(parseOracle('eyes, mouth,eyes')).toEqual({ regions: ['eyes', 'mouth'], band: 'all' });
    expect(parseOracle('inner:lf')).toEqual({ regions: ['inner'], band: 'lf' });
    expect(parseOracle('inner,rim:gain')).toEqual({ regions: ['inner', 'rim'], band: 'gain' });
    expect(parseOracle('teeth')).toMatch(/comma list of eyes/);
    expect(parseOracle('inner:mf')).toMatch(/comma list of eyes/);
    expect(parseOracle('')).toMatch(/comma list/);
    expect(parseEvalArgs(['c.mp4', '--post-oracle', 'nose,rim:hf'], ['warp'])!.postOracle).toEqual({ regions: ['nose', 'rim'], band: 'hf' });
    expect(() => parseEvalArgs(['c.mp4', '--post-oracle', 'hair'], ['warp'])).toThrow(/--post-oracle: expected a comma list/);
  });
});
