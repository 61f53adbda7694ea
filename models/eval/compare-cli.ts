/**
 * npm run eval:compare -- BASELINE.json… vs VARIANT.json… [--resamples N] [--block N] [--seed N] [--json out.json]
 * Paired comparison of two generators' eval results on the same clips and frames (compare.ts).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compareResults, CompareInputError, driveReference, formatComparison, loadEvalResult, pairResults } from './compare.ts';
import { int, UsageError } from './args.ts';
import type { EvalResult } from './run.ts';

const USAGE = `usage: npm run eval:compare -- BASELINE.json… vs VARIANT.json… [options]

Paired comparison of two npm run eval results per clip (same clips, K, size and scored frames;
results written with per-frame scores). Per metric: means over the clips, the difference
(variant − baseline), its 95 % interval from a block bootstrap of the frames within each clip,
how many clips moved the good way, and a verdict (better / worse when the interval excludes 0).

  --resamples N   bootstrap resamples, 100–1000000 (default 10000).
  --block N       consecutive scored frames resampled together, 1–100 (default 3).
  --seed N        bootstrap seed (default 1).
  --json PATH     also write the comparison as JSON.
  -h, --help      this text.`;

async function main(argv: string[]): Promise<number> {
  let v, positionals: string[];
  try {
    ({ values: v, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: { resamples: { type: 'string' }, block: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
    if (v.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    const sep = positionals.indexOf('vs');
    if (sep <= 0 || sep === positionals.length - 1 || positionals.lastIndexOf('vs') !== sep) throw new UsageError('give the baseline results, the word vs, then the variant results');
    const opts = { resamples: int('resamples', v.resamples, 10_000, 100, 1_000_000), block: int('block', v.block, 3, 1, 100), seed: int('seed', v.seed, 1, 0, 2 ** 32 - 1) };
    const baseline = await Promise.all(positionals.slice(0, sep).map(loadEvalResult));
    const variant = await Promise.all(positionals.slice(sep + 1).map(loadEvalResult));
    const pairs = pairResults(baseline, variant);
    const rows = compareResults(pairs, opts);
    const gen = (r: EvalResult) => `${r.details.generator}${r.details.eye_refiner ? ' + eyes' : ''}${r.details.mouth_refiner ? ' + mouth' : ''}${r.details.face_refiner === false ? ' (no G)' : ''}` +
      `${r.details.post_sharpen ? ', sharpened' : ''}${r.details.post_filter ? ', filtered' : ''}${r.details.post_oracle ? `, real ${r.details.post_oracle.regions.join('+')}${r.details.post_oracle.band === 'all' ? '' : ` ${r.details.post_oracle.band}`} pasted` : ''}` +
      `${r.details.enrollment?.only_shot !== undefined ? `, shot ${r.details.enrollment.only_shot} only` : ''}${r.details.enrollment?.atlas_weights ? ', atlas boosted' : ''}${r.details.enrollment?.atlas_register ? `, shots registered (${r.details.enrollment.atlas_register})` : ''}`;
    const labels = { baseline: `baseline (${gen(baseline[0]!)})`, variant: `variant (${gen(variant[0]!)})` };
    process.stdout.write(`${pairs.length} clips, K=${pairs[0]!.baseline.shots}, ${pairs.reduce((n, p) => n + (p.baseline.details.per_frame?.index.length ?? 0), 0)} paired frames; interval: ${opts.resamples} block-bootstrap resamples (block ${opts.block}) of each clip's frames\n\n`);
    process.stdout.write(formatComparison(rows, labels) + '\n');
    const drive = driveReference(pairs);
    if (drive) process.stdout.write(`\nthe driving landmarks themselves, on the same frames: AKD ${drive.akd.toFixed(4)}, shape only ${drive.shape.toFixed(4)}\n`);
    if (v.json) await writeFile(v.json, JSON.stringify({ clips: pairs.map((p) => p.clip), shots: pairs[0]!.baseline.shots, options: opts, metrics: rows, drive_reference: drive }, null, 2) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`eval:compare: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof CompareInputError) {
      process.stderr.write(`eval:compare: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`eval:compare: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
