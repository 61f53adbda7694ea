/**
 * npm run eval:expression -- RESULT.json… [--tracks DIR]
 *
 * Does the texture of a face depend on its expression? From `npm run eval` results on the same
 * clip and frames: a K-shot enrollment (the fused atlas), and per shot either a one-photo avatar
 * (`--only-shot J`) or the K-shot avatar with that shot's texture boosted (`--atlas-boost J`). For
 * each scored frame it takes the run of the shot whose expression is nearest the frame's (the
 * distance between MediaPipe's blendshape scores in the clip's tracks, or with `--key shape`
 * between the landmarks with the head pose taken out, which a receiver has), the farthest, and
 * the best (an oracle), and reports their mean CSIM against the fused avatar's.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { CompareInputError, loadEvalResult } from './compare.ts';
import { UsageError } from './args.ts';
import type { EvalResult } from './run.ts';
import { canonicalize } from '../../packages/client/src/generator/retarget.ts';

const USAGE = `usage: npm run eval:expression -- RESULT.json… [--tracks DIR] [--key blendshapes|shape]

RESULT.json: npm run eval results of one or more clips (same K, size and scored frames per clip):
for each clip one K-shot run (the fused avatar) and, for every one of its K shots, a run with
--only-shot J or with --atlas-boost J (either family, or both).

  --tracks DIR   the clips' tracks with blendshapes, <clip>.jsonl.gz (default ../shared/data/tracks).
  --key K        what "nearest in expression" compares: blendshapes (default; MediaPipe's 51 scores) or
                 shape (the 478 landmarks with the head pose taken out, as a receiver could from the
                 landmarks it gets and the photos' landmarks).
  -h, --help     this text.`;

export type Family = 'only-shot' | 'atlas-boost';
export interface ChoiceRow { clip: string; family: Family; frames: number; fused: number; mean: number; nearest: number; farthest: number; best: number }

/** Which shot a run stands for, and how; null for the fused (plain K-shot) run. */
function role(r: EvalResult): { family: Family; frame: number } | null {
  const e = r.details.enrollment;
  if (e.only_shot !== undefined) return { family: 'only-shot', frame: e.frames[0]! };
  if (e.atlas_weights) return { family: 'atlas-boost', frame: e.frames[e.atlas_weights.indexOf(Math.max(...e.atlas_weights))]! };
  return null;
}

/**
 * One clip's rows (one per family present). `expression(i)` gives frame i's key (blendshape scores, or a pose-normalised shape). Throws
 * CompareInputError when the runs do not fit together.
 */
export function expressionChoice(runs: readonly EvalResult[], expression: (frame: number) => readonly number[] | null): ChoiceRow[] {
  const clip = runs[0]!.clip;
  const fused = runs.filter((r) => role(r) === null);
  if (fused.length !== 1) throw new CompareInputError(`${clip}: need exactly one plain K-shot run, got ${fused.length}`);
  const base = fused[0]!, shots = base.details.enrollment.frames, pf = base.details.per_frame;
  if (!pf) throw new CompareInputError(`${clip}: the K-shot run has no per-frame scores`);
  const keys = shots.map((s) => expression(s));
  if (keys.some((k) => !k)) throw new CompareInputError(`${clip}: a shot has no expression key (blendshapes or landmarks) in the tracks`);
  const rows: ChoiceRow[] = [];
  for (const family of ['only-shot', 'atlas-boost'] as const) {
    const fam = runs.filter((r) => role(r)?.family === family);
    if (fam.length === 0) continue;
    const byShot = shots.map((s) => fam.filter((r) => role(r)!.frame === s));
    const missing = shots.filter((_, k) => byShot[k]!.length !== 1);
    if (missing.length) throw new CompareInputError(`${clip}: --${family} needs one run per shot; shot frame(s) ${missing.join(', ')} have ${missing.map((s) => byShot[shots.indexOf(s)]!.length).join(', ')}`);
    const per = byShot.map((x) => x[0]!.details.per_frame);
    if (per.some((p) => !p || p.index.join() !== pf.index.join())) throw new CompareInputError(`${clip}: the --${family} runs were not scored on the K-shot run's frames`);
    const acc = { fused: 0, mean: 0, nearest: 0, farthest: 0, best: 0 };
    let n = 0;
    pf.index.forEach((frame, t) => {
      const v = per.map((p) => p!.csim[t]);
      const b = expression(frame), f = pf.csim[t];
      if (!b || f === null || f === undefined || v.some((x) => x === null || x === undefined)) return;
      const d = keys.map((k) => k!.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
      const cs = v as number[];
      acc.fused += f;
      acc.mean += cs.reduce((s, x) => s + x, 0) / cs.length;
      acc.nearest += cs[d.indexOf(Math.min(...d))]!;
      acc.farthest += cs[d.indexOf(Math.max(...d))]!;
      acc.best += Math.max(...cs);
      n++;
    });
    if (n === 0) throw new CompareInputError(`${clip}: no frame has CSIM in every run and an expression key`);
    rows.push({ clip, family, frames: n, fused: acc.fused / n, mean: acc.mean / n, nearest: acc.nearest / n, farthest: acc.farthest / n, best: acc.best / n });
  }
  if (rows.length === 0) throw new CompareInputError(`${clip}: no --only-shot or --atlas-boost runs`);
  return rows;
}

export type ExpressionKey = 'blendshapes' | 'shape';

/**
 * Frame i's expression key from a tracks file (.jsonl[.gz]): its blendshape scores without the
 * first (_neutral), or its landmarks' pose-normalised shape (`canonicalize`, for a video of this
 * width / height).
 */
export async function readExpressionKeys(path: string, key: ExpressionKey, aspect: number): Promise<(frame: number) => number[] | null> {
  let text: string;
  try {
    const raw = await readFile(path);
    text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  } catch (err) {
    throw new CompareInputError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const numbers = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  const frames = text.split('\n').filter((l) => l.trim()).map((l, i) => {
    let line: { blendshapes?: unknown; landmarks?: unknown };
    try {
      line = JSON.parse(l) as typeof line;
    } catch {
      throw new CompareInputError(`${path}: line ${i + 1} is not JSON`);
    }
    if (key === 'blendshapes') return numbers(line.blendshapes) && line.blendshapes.length > 1 ? line.blendshapes.slice(1) : null;
    const lm = line.landmarks;
    if (!Array.isArray(lm) || lm.length !== 478 || !lm.every((p) => numbers(p) && p.length === 3)) return null;
    return [...canonicalize(Float32Array.from((lm as number[][]).flat()), aspect).shape];
  });
  return (frame) => frames[frame] ?? null;
}

async function main(argv: string[]): Promise<number> {
  try {
    const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { tracks: { type: 'string' }, key: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (v.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length < 2) throw new UsageError('give a clip\'s K-shot run and its per-shot runs');
    const key = (v.key ?? 'blendshapes') as ExpressionKey;
    if (key !== 'blendshapes' && key !== 'shape') throw new UsageError(`--key must be blendshapes or shape, got ${JSON.stringify(v.key)}`);
    const results = await Promise.all(positionals.map(loadEvalResult));
    const clips = new Map<string, EvalResult[]>();
    for (const r of results) clips.set(r.clip, [...(clips.get(r.clip) ?? []), r]);
    const dir = v.tracks ?? resolve(import.meta.dirname, '../../../shared/data/tracks');
    const rows: ChoiceRow[] = [];
    for (const [clip, runs] of clips) {
      const video = runs[0]!.details.video;
      const aspect = video && video.width > 0 && video.height > 0 ? video.width / video.height : 1;
      rows.push(...expressionChoice(runs, await readExpressionKeys(resolve(dir, `${basename(clip).replace(/\.[^.]+$/, '')}.jsonl.gz`), key, aspect)));
    }
    process.stdout.write(`nearest in expression by ${key === 'shape' ? 'landmark shape (pose taken out)' : 'blendshape scores'}\n\n`);
    const f = (x: number) => x.toFixed(4), d = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;
    process.stdout.write('| clip | per-shot runs | frames | fused | mean of the shots | nearest expression | farthest | best (oracle) |\n|---|---|---|---|---|---|---|---|\n');
    for (const r of rows) process.stdout.write(`| ${r.clip} | --${r.family} | ${r.frames} | ${f(r.fused)} | ${d(r.mean - r.fused)} | ${d(r.nearest - r.fused)} | ${d(r.farthest - r.fused)} | ${d(r.best - r.fused)} |\n`);
    for (const family of ['only-shot', 'atlas-boost'] as const) {
      const rs = rows.filter((r) => r.family === family);
      if (rs.length < 2) continue;
      const m = (k: keyof Pick<ChoiceRow, 'fused' | 'mean' | 'nearest' | 'farthest' | 'best'>) => rs.reduce((s, r) => s + r[k], 0) / rs.length;
      const up = rs.filter((r) => r.nearest > r.fused).length;
      process.stdout.write(`| **mean of ${rs.length}** | --${family} | | ${f(m('fused'))} | ${d(m('mean') - m('fused'))} | ${d(m('nearest') - m('fused'))} (${up} of ${rs.length} above) | ${d(m('farthest') - m('fused'))} | ${d(m('best') - m('fused'))} |\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`eval:expression: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof CompareInputError) {
      process.stderr.write(`eval:expression: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`eval:expression: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
