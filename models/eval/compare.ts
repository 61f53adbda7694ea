/**
 * Paired comparison of two generators on the same frames (`npm run eval:compare`): for every
 * metric, the mean over clips of each clip's mean per-frame difference (variant − baseline — the
 * "mean of the clips" the RESULTS tables use), a 95 % confidence interval from a block bootstrap
 * of the frames within each clip, and how many clips moved the good way. Answers "is this
 * difference more than the frames' noise?", which two table rows 0.0004 apart cannot.
 *
 * The interval is about these clips' frames (which frames were scored), not about other persons:
 * with 5 held-out persons the per-clip count says how general a gain is.
 */
import { readFile } from 'node:fs/promises';
import { mulberry32 } from '@visage/protocol';
import type { EvalResult, PerFrameScores } from './run.ts';

export type CompareMetric = 'l1' | 'psnr' | 'ssim' | 'akd' | 'csim' | 'mouth_l1' | 'akd_eyes' | 'akd_lips' | 'akd_oval' | 'akd_shape';
/**
 * A metric is compared only where every result has it: mouth_l1 (L1 around the real mouth) since
 * session 16's npm run eval, the AKD parts since session 19's, AKD of the shape alone since session 22's.
 */
export const COMPARE_METRICS: readonly CompareMetric[] = ['l1', 'ssim', 'psnr', 'akd', 'csim', 'mouth_l1', 'akd_eyes', 'akd_lips', 'akd_oval', 'akd_shape'];
/** Metrics only newer results carry. */
const OPTIONAL_METRICS = ['mouth_l1', 'akd_eyes', 'akd_lips', 'akd_oval', 'akd_shape'] as const;
/** Which way is better. */
export const LOWER_IS_BETTER: Record<CompareMetric, boolean> = { l1: true, psnr: false, ssim: false, akd: true, csim: false, mouth_l1: true, akd_eyes: true, akd_lips: true, akd_oval: true, akd_shape: true };

export class CompareInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareInputError';
  }
}

/** Reads an `npm run eval` result JSON; CompareInputError when it is not one (or its per-frame scores are malformed). */
export async function loadEvalResult(path: string): Promise<EvalResult> {
  let r: unknown;
  try {
    r = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CompareInputError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const x = r as Partial<EvalResult> | null;
  if (!x || typeof x !== 'object' || typeof x.clip !== 'string' || typeof x.shots !== 'number' || typeof x.size !== 'number' || !x.details || typeof x.details !== 'object') {
    throw new CompareInputError(`${path}: not an npm run eval result (clip, shots, size, details)`);
  }
  const pf = x.details.per_frame;
  if (pf !== undefined && (!Array.isArray(pf.index) || (['l1', 'psnr', 'ssim', 'akd', 'csim'] as const).some((m) => !Array.isArray(pf[m]) || pf[m].length !== pf.index.length))) {
    throw new CompareInputError(`${path}: details.per_frame is malformed`);
  }
  for (const m of OPTIONAL_METRICS) {
    if (pf?.[m] !== undefined && (!Array.isArray(pf[m]) || pf[m].length !== pf.index.length)) throw new CompareInputError(`${path}: details.per_frame.${m} is malformed`);
  }
  return x as EvalResult;
}

export interface CompareOptions {
  /** Bootstrap resamples (default 10 000). */
  resamples?: number;
  /** Consecutive scored frames resampled together (moving blocks, circular; default 3), for their correlation. */
  block?: number;
  /** PRNG seed (default 1): the same inputs and seed give the same interval. */
  seed?: number;
}

export interface MetricComparison {
  metric: CompareMetric;
  /** Means over clips of the clip means, on the paired frames. */
  baseline: number;
  variant: number;
  /** variant − baseline, and its 95 % interval. */
  diff: number;
  ci: [number, number];
  /** Clips whose mean moved the good way / clips. */
  clipsBetter: number;
  clips: number;
  /** 'better' / 'worse' when the interval excludes 0 on that side, else 'level'. */
  verdict: 'better' | 'worse' | 'level';
}

export interface ComparePair { clip: string; baseline: EvalResult; variant: EvalResult }

function perFrame(r: EvalResult, role: string): PerFrameScores {
  const pf = r.details.per_frame;
  if (!pf) throw new CompareInputError(`${role} result for ${r.clip} has no per-frame scores (details.per_frame): re-run it with this version of npm run eval`);
  return pf;
}

/** Pairs results by clip; both sides must have scored the same clip, size, K and frames. */
export function pairResults(baseline: readonly EvalResult[], variant: readonly EvalResult[]): ComparePair[] {
  const byClip = (rs: readonly EvalResult[], role: string) => {
    const m = new Map<string, EvalResult>();
    for (const r of rs) {
      if (m.has(r.clip)) throw new CompareInputError(`two ${role} results for ${r.clip}`);
      m.set(r.clip, r);
    }
    return m;
  };
  const b = byClip(baseline, 'baseline'), v = byClip(variant, 'variant');
  const missing = [...b.keys()].filter((c) => !v.has(c)).concat([...v.keys()].filter((c) => !b.has(c)));
  if (missing.length) throw new CompareInputError(`results must cover the same clips; unpaired: ${missing.join(', ')}`);
  if (b.size === 0) throw new CompareInputError('no results to compare');
  return [...b.keys()].sort().map((clip) => {
    const x = b.get(clip)!, y = v.get(clip)!;
    if (x.size !== y.size || x.shots !== y.shots) throw new CompareInputError(`${clip}: baseline is ${x.size}² K=${x.shots}, variant ${y.size}² K=${y.shots}`);
    const px = perFrame(x, 'baseline'), py = perFrame(y, 'variant');
    if (px.index.length !== py.index.length || px.index.some((i, k) => i !== py.index[k])) throw new CompareInputError(`${clip}: the two results scored different frames (same --seed and --max-eval-frames needed)`);
    return { clip, baseline: x, variant: y };
  });
}

/** Paired per-frame differences of one metric in one clip (frames where both sides have a value). */
function differences(p: ComparePair, m: CompareMetric): { base: number[]; vari: number[] } {
  const a = perFrame(p.baseline, 'baseline')[m] ?? [], b = perFrame(p.variant, 'variant')[m] ?? [];
  const base: number[] = [], vari: number[] = [];
  for (let k = 0; k < a.length; k++) {
    const x = a[k], y = b[k];
    if (x === null || y === null || x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    base.push(x);
    vari.push(y);
  }
  return { base, vari };
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Mean of `d` over one circular moving-block resample. */
function blockResampleMean(d: readonly number[], block: number, rand: () => number): number {
  const n = d.length;
  let s = 0, taken = 0;
  while (taken < n) {
    const start = Math.floor(rand() * n);
    for (let j = 0; j < block && taken < n; j++, taken++) s += d[(start + j) % n]!;
  }
  return s / n;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function compareResults(pairs: readonly ComparePair[], o: CompareOptions = {}): MetricComparison[] {
  const resamples = o.resamples ?? 10_000, block = o.block ?? 3;
  if (!Number.isInteger(resamples) || resamples < 100) throw new CompareInputError(`resamples must be an integer ≥ 100, got ${resamples}`);
  if (!Number.isInteger(block) || block < 1) throw new CompareInputError(`block must be an integer ≥ 1, got ${block}`);
  const out: MetricComparison[] = [];
  for (const m of COMPARE_METRICS) {
    if (!pairs.every((p) => p.baseline.details.per_frame?.[m] && p.variant.details.per_frame?.[m])) continue;
    const clips = pairs.map((p) => differences(p, m)).filter((c) => c.base.length > 0);
    if (clips.length === 0) continue;
    const diffs = clips.map((c) => c.vari.map((y, k) => y - c.base[k]!));
    const clipDiff = diffs.map(mean);
    const rand = mulberry32(o.seed ?? 1);
    const boots = new Float64Array(resamples);
    for (let r = 0; r < resamples; r++) boots[r] = mean(diffs.map((d) => blockResampleMean(d, block, rand)));
    const sorted = Array.from(boots).sort((x, y) => x - y);
    const ci: [number, number] = [quantile(sorted, 0.025), quantile(sorted, 0.975)];
    const good = (d: number) => (LOWER_IS_BETTER[m] ? d < 0 : d > 0);
    const bad = (d: number) => (LOWER_IS_BETTER[m] ? d > 0 : d < 0);
    const verdict = good(ci[0]) && good(ci[1]) ? 'better' : bad(ci[0]) && bad(ci[1]) ? 'worse' : 'level';
    out.push({
      metric: m,
      baseline: mean(clips.map((c) => mean(c.base))),
      variant: mean(clips.map((c) => mean(c.vari))),
      diff: mean(clipDiff),
      ci,
      clipsBetter: clipDiff.filter(good).length,
      clips: clips.length,
      verdict,
    });
  }
  return out;
}

/**
 * The driving landmarks' own AKD against the real frames, on the baseline's scored frames (a mean
 * over clips of the clip means, like the table): how far the sender's smoothed track is from the
 * benchmark's from-scratch one. Not a floor: a drawn face re-tracked from scratch can be closer.
 * Null unless every baseline result carries it (session 22's eval on).
 */
export function driveReference(pairs: readonly ComparePair[]): { akd: number; shape: number } | null {
  const clipMeans = (key: 'akd_drive' | 'akd_drive_shape') => {
    const out: number[] = [];
    for (const p of pairs) {
      const v = (p.baseline.details.per_frame?.[key] ?? []).filter((x): x is number => x !== null && Number.isFinite(x));
      if (v.length === 0) return null;
      out.push(v.reduce((a, b) => a + b, 0) / v.length);
    }
    return out.length ? out.reduce((a, b) => a + b, 0) / out.length : null;
  };
  const akd = clipMeans('akd_drive'), shape = clipMeans('akd_drive_shape');
  return akd === null || shape === null ? null : { akd, shape };
}

const DIGITS: Record<CompareMetric, number> = { l1: 5, psnr: 3, ssim: 5, akd: 4, csim: 5, mouth_l1: 5, akd_eyes: 4, akd_lips: 4, akd_oval: 4, akd_shape: 4 };
const LABELS: Record<CompareMetric, string> = { l1: 'L1', psnr: 'PSNR', ssim: 'SSIM', akd: 'AKD', csim: 'CSIM', mouth_l1: 'Mouth L1', akd_eyes: 'AKD eyes', akd_lips: 'AKD lips', akd_oval: 'AKD oval', akd_shape: 'AKD shape (placement removed)' };
const signed = (x: number, d: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}`;

/** Markdown table of a comparison. */
export function formatComparison(rows: readonly MetricComparison[], labels: { baseline: string; variant: string }): string {
  const lines = [
    `| metric | ${labels.baseline} | ${labels.variant} | difference | 95 % interval | clips better | verdict |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const d = DIGITS[r.metric];
    lines.push(`| ${LABELS[r.metric]}${LOWER_IS_BETTER[r.metric] ? ' (lower is better)' : ''} | ${r.baseline.toFixed(d)} | ${r.variant.toFixed(d)} | ${signed(r.diff, d)} | ${signed(r.ci[0], d)} … ${signed(r.ci[1], d)} | ${r.clipsBetter} of ${r.clips} | ${r.verdict} |`);
  }
  return lines.join('\n');
}
