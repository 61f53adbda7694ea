import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@visage/protocol';
import { compareResults, CompareInputError, driveReference, formatComparison, pairResults } from './compare.ts';
import type { EvalResult, PerFrameScores } from './run.ts';

/** A result whose per-frame metrics are f(k) for scored frame k. */
function result(clip: string, n: number, f: (k: number) => Partial<Record<keyof Omit<PerFrameScores, 'index'>, number | null>>, over: Partial<EvalResult> = {}): EvalResult {
  const pf: PerFrameScores = { index: [], l1: [], psnr: [], ssim: [], akd: [], csim: [] };
  for (let k = 0; k < n; k++) {
    const v = { l1: 0.05, psnr: 20, ssim: 0.7, akd: 1.5, csim: 0.9, ...f(k) };
    pf.index.push(100 + 15 * k);
    pf.l1.push(v.l1!);
    pf.psnr.push(v.psnr!);
    pf.ssim.push(v.ssim!);
    pf.akd.push(v.akd);
    pf.csim.push(v.csim);
  }
  return { clip, frames: n, shots: 8, size: 256, details: { generator: 'warp', per_frame: pf }, ...over } as EvalResult;
}

/** Zero-mean noise, deterministic per (clip, frame). */
const noise = (seed: number) => {
  const r = mulberry32(seed);
  return () => r() - 0.5;
};

describe('eval:compare pairing', () => {
  it('pairs results by clip whatever their order', () => {
    const p = pairResults([result('b.mp4', 5, () => ({})), result('a.mp4', 5, () => ({}))], [result('a.mp4', 5, () => ({})), result('b.mp4', 5, () => ({}))]);
    expect(p.map((x) => [x.clip, x.baseline.clip, x.variant.clip])).toEqual([['a.mp4', 'a.mp4', 'a.mp4'], ['b.mp4', 'b.mp4', 'b.mp4']]);
  });
  it('refuses unpaired clips, other K, other frames, and results without per-frame scores', () => {
    expect(() => pairResults([result('a.mp4', 5, () => ({}))], [result('b.mp4', 5, () => ({}))])).toThrow(/unpaired: a.mp4, b.mp4/);
    expect(() => pairResults([result('a.mp4', 5, () => ({}))], [result('a.mp4', 5, () => ({}), { shots: 1 })])).toThrow(/K=8.*K=1/);
    expect(() => pairResults([result('a.mp4', 5, () => ({}))], [result('a.mp4', 6, () => ({}))])).toThrow(/different frames/);
    const old = { ...result('a.mp4', 5, () => ({})), details: { generator: 'warp' } } as EvalResult;
    expect(() => pairResults([old], [result('a.mp4', 5, () => ({}))])).toThrow(CompareInputError);
    expect(() => pairResults([old], [result('a.mp4', 5, () => ({}))])).toThrow(/no per-frame scores/);
    expect(() => pairResults([], [])).toThrow(/no results/);
    expect(() => pairResults([result('a.mp4', 5, () => ({})), result('a.mp4', 5, () => ({}))], [result('a.mp4', 5, () => ({}))])).toThrow(/two baseline results/);
  });
});

describe('eval:compare statistics', () => {
  const clips = ['a.mp4', 'b.mp4', 'c.mp4'];
  const base = clips.map((c, i) => {
    const z = noise(i + 1);
    return result(c, 40, () => ({ l1: 0.05 + 0.01 * z(), psnr: 20 + z(), csim: 0.9 + 0.02 * z(), akd: 1.5 + 0.2 * z() }));
  });
  // The variant: L1 lower by 0.002 and PSNR higher by 0.3 on every frame (better), CSIM with fresh
  // zero-mean noise (level), AKD higher by 0.1 (worse), SSIM identical.
  const variant = clips.map((c, i) => {
    const z = noise(i + 1), w = noise(100 + i);
    return result(c, 40, () => {
      const zz = [z(), z(), z(), z()] as const;
      return { l1: 0.05 + 0.01 * zz[0] - 0.002, psnr: 20 + zz[1] + 0.3, csim: 0.9 + 0.02 * zz[2] + 0.004 * w(), akd: 1.5 + 0.2 * zz[3] + 0.1 };
    });
  });
  const rows = compareResults(pairResults(base, variant), { resamples: 2000 });
  const row = (m: string) => rows.find((r) => r.metric === m)!;

  it('finds a consistent gain better, a consistent loss worse, and noise level', () => {
    expect(row('l1').verdict).toBe('better');
    expect(row('l1').diff).toBeCloseTo(-0.002, 9);
    expect(row('l1').clipsBetter).toBe(3);
    expect(row('psnr').verdict).toBe('better');
    expect(row('psnr').diff).toBeCloseTo(0.3, 9);
    expect(row('akd').verdict).toBe('worse');
    expect(row('akd').clipsBetter).toBe(0);
    expect(row('csim').verdict).toBe('level');
    expect(row('csim').ci[0]).toBeLessThan(0);
    expect(row('csim').ci[1]).toBeGreaterThan(0);
    expect(row('ssim').diff).toBe(0);
    expect(row('ssim').verdict).toBe('level');
  });
  it('the interval brackets the difference and is the same for the same seed', () => {
    for (const r of rows) {
      expect(r.ci[0]).toBeLessThanOrEqual(r.diff + 1e-12);
      expect(r.ci[1]).toBeGreaterThanOrEqual(r.diff - 1e-12);
    }
    expect(compareResults(pairResults(base, variant), { resamples: 2000 })).toEqual(rows);
    expect(compareResults(pairResults(base, variant), { resamples: 2000, seed: 2 })).not.toEqual(rows);
  });
  it('averages clip means (each clip counts once) over frames where both sides have a value', () => {
    const b = [result('a.mp4', 4, () => ({ csim: 0.8 })), result('b.mp4', 2, () => ({ csim: 0.9 }))];
    const v = [result('a.mp4', 4, (k) => ({ csim: k === 0 ? null : 0.81 })), result('b.mp4', 2, () => ({ csim: 0.93 }))];
    const csim = compareResults(pairResults(b, v), { resamples: 200 }).find((r) => r.metric === 'csim')!;
    expect(csim.baseline).toBeCloseTo(0.85, 12);
    expect(csim.variant).toBeCloseTo((0.81 + 0.93) / 2, 12);
    expect(csim.diff).toBeCloseTo((0.01 + 0.03) / 2, 12);
    expect(csim.verdict).toBe('better');
  });
  it('compares mouth L1 only when every result has it', () => {
    const withMouth = (r: EvalResult, v: number) => {
      const pf = r.details.per_frame!;
      return { ...r, details: { ...r.details, per_frame: { ...pf, mouth_l1: pf.index.map(() => v) } } } as EvalResult;
    };
    expect(rows.some((r) => r.metric === 'mouth_l1')).toBe(false);
    const b = [withMouth(result('a.mp4', 6, () => ({})), 0.1), withMouth(result('b.mp4', 6, () => ({})), 0.12)];
    const v = [withMouth(result('a.mp4', 6, () => ({})), 0.09), withMouth(result('b.mp4', 6, () => ({})), 0.11)];
    const m = compareResults(pairResults(b, v), { resamples: 200 }).find((r) => r.metric === 'mouth_l1')!;
    expect(m.diff).toBeCloseTo(-0.01, 12);
    expect(m.verdict).toBe('better');
    const mixed = compareResults(pairResults(b, [v[0]!, result('b.mp4', 6, () => ({}))]), { resamples: 200 });
    expect(mixed.some((r) => r.metric === 'mouth_l1')).toBe(false);
    expect(formatComparison([m], { baseline: 'x', variant: 'y' })).toMatch(/\| Mouth L1 \(lower is better\) \| 0\.11000 \| 0\.10000 \| −0\.01000 \|/);
  });
  it('compares the AKD parts like AKD (lower is better) when every result has them', () => {
    const withParts = (r: EvalResult, lips: number) => {
      const pf = r.details.per_frame!;
      const at = (v: number) => pf.index.map(() => v);
      return { ...r, details: { ...r.details, per_frame: { ...pf, akd_eyes: at(1), akd_lips: at(lips), akd_oval: at(2) } } } as EvalResult;
    };
    const b = [withParts(result('a.mp4', 6, () => ({})), 1.2), withParts(result('b.mp4', 6, () => ({})), 1.4)];
    const v = [withParts(result('a.mp4', 6, () => ({})), 1.3), withParts(result('b.mp4', 6, () => ({})), 1.5)];
    const out = compareResults(pairResults(b, v), { resamples: 200 });
    expect(out.find((r) => r.metric === 'akd_lips')).toMatchObject({ verdict: 'worse', clipsBetter: 0 });
    expect(out.find((r) => r.metric === 'akd_lips')!.diff).toBeCloseTo(0.1, 12);
    expect(out.find((r) => r.metric === 'akd_eyes')).toMatchObject({ diff: 0, verdict: 'level' });
    expect(formatComparison(out.filter((r) => r.metric === 'akd_oval'), { baseline: 'x', variant: 'y' })).toMatch(/\| AKD oval \(lower is better\) \| 2\.0000 \| 2\.0000 \|/);
  });
  it('compares AKD of the shape alone when every result has it, and reports the driving landmarks\' own AKD', () => {
    const withShape = (r: EvalResult, shape: number, drive?: [number, number]) => {
      const pf = r.details.per_frame!;
      const at = (v: number) => pf.index.map(() => v);
      return { ...r, details: { ...r.details, per_frame: { ...pf, akd_shape: at(shape), ...(drive ? { akd_drive: at(drive[0]), akd_drive_shape: at(drive[1]) } : {}) } } } as EvalResult;
    };
    const b = [withShape(result('a.mp4', 6, () => ({})), 0.6, [1.0, 0.7]), withShape(result('b.mp4', 6, () => ({})), 0.8, [1.2, 0.9])];
    const v = [withShape(result('a.mp4', 6, () => ({})), 0.5), withShape(result('b.mp4', 6, () => ({})), 0.7)];
    const pairs = pairResults(b, v);
    const row = compareResults(pairs, { resamples: 200 }).find((r) => r.metric === 'akd_shape')!;
    expect(row).toMatchObject({ verdict: 'better', clipsBetter: 2 });
    expect(row.diff).toBeCloseTo(-0.1, 12);
    expect(formatComparison([row], { baseline: 'x', variant: 'y' })).toMatch(/\| AKD shape \(placement removed\) \(lower is better\) \| 0\.7000 \| 0\.6000 \|/);
    expect(driveReference(pairs)).toEqual({ akd: expect.closeTo(1.1, 12), shape: expect.closeTo(0.8, 12) });
    expect(driveReference(pairResults([b[0]!, result('b.mp4', 6, () => ({}))], v))).toBeNull();
  });
  it('checks its options and prints a table', () => {
    expect(() => compareResults(pairResults(base, variant), { resamples: 10 })).toThrow(/resamples/);
    expect(() => compareResults(pairResults(base, variant), { block: 0 })).toThrow(/block/);
    const t = formatComparison(rows, { baseline: 'warp', variant: 'warp + mouth' });
    expect(t.split('\n')).toHaveLength(2 + rows.length);
    expect(t).toMatch(/\| L1 \(lower is better\) \| 0\.\d{5} \| 0\.\d{5} \| −0\.00200 \| .* \| 3 of 3 \| better \|/);
  });
});
