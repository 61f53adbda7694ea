/**
 * npm run eval:all [-- --sizes 256,512 --shots 1 --generator warp --clips a,b --force --results models/RESULTS.md]
 * Runs the benchmark over every clip of ../shared/data/clips at each size, smallest size first.
 * Resumable: one JSON per run under models/results/eval/ (committed: the table's data), named by clip, size,
 * shots, generator, scored-frame cap, rung subset and EVAL_METHOD_VERSION, is reused unless --force; the
 * RESULTS.md section is rewritten after every clip, so an interrupted batch still leaves a summary
 * of what is done (with how many of the clips it covers). Every clip runs at the smallest size; at a
 * larger size a clip whose face crop is smaller than that in the source is skipped (it would score
 * an upscale) unless --upscale. --limit-minutes stops starting new clips;
 * --cached-only only rewrites the summary from the runs already cached; --note adds a paragraph.
 * The sender is the client's (runEval's defaults: every frame tracked afresh, One-Euro, the shots
 * measured as stills) since method v3.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SHARED_DATA_DIR } from '../../packages/client/scripts/lib/paths.ts';
import { formatResult } from './report.ts';
import { upsertSection } from './results-md.ts';
import { DEFAULT_EVAL_OPTIONS, EVAL_METHOD_VERSION, UpscaleSkip, headline, headlineScores, runEval, sourceFaceSide, type EvalResult } from './run.ts';
import { probeVideo } from '../../packages/client/scripts/lib/video.ts';
import { formatStages } from './profile.ts';
import { generatorNames } from '../../packages/client/src/generator/registry.ts';
import { RESULTS_HEADING, resultsSection } from './summary.ts';
import { contentHash, readCachedTracks } from './tracks-cache.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** What eval:all stores for a clip it skipped at a size (its face is smaller than the size in the source). */
interface SkippedRun {
  skipped: 'upscale';
  clip: string;
  size: number;
  face_side: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' }, shots: { type: 'string' }, clips: { type: 'string' }, force: { type: 'boolean' },
      results: { type: 'string' }, 'full-tables': { type: 'boolean' }, 'max-eval-frames': { type: 'string' }, 'rung-frames': { type: 'string' }, generator: { type: 'string' },
      'limit-minutes': { type: 'string' }, 'cached-only': { type: 'boolean' }, 'results-dir': { type: 'string' }, upscale: { type: 'boolean' }, note: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run eval:all -- [--sizes 256,512] [--shots K] [--generator warp] [--clips name,name] [--max-eval-frames N] [--rung-frames N] [--limit-minutes M] [--cached-only] [--upscale] [--results-dir DIR] [--note TEXT] [--force] [--full-tables] [--results models/RESULTS.md]\n');
    return 0;
  }
  const sizes = (values.sizes ?? '256,512').split(',').map(Number).sort((a, b) => a - b);
  if (sizes.some((s) => !Number.isInteger(s) || s < 64 || s > 1024 || s % 2)) throw new Error(`--sizes must be even integers in [64, 1024], got ${values.sizes}`);
  const shots = Number(values.shots ?? 1);
  if (!Number.isInteger(shots) || shots < 1 || shots > 8) throw new Error(`--shots must be 1–8, got ${values.shots}`);
  const maxEvalFrames = Number(values['max-eval-frames'] ?? DEFAULT_EVAL_OPTIONS.maxEvalFrames);
  const rungFrames = Number(values['rung-frames'] ?? DEFAULT_EVAL_OPTIONS.rungFrames);
  if (!Number.isInteger(rungFrames) || rungFrames < 0) throw new Error(`--rung-frames must be an integer ≥ 0, got ${values['rung-frames']}`);
  const generator = values.generator ?? DEFAULT_EVAL_OPTIONS.generator;
  if (!generatorNames().includes(generator)) throw new Error(`--generator must be one of ${generatorNames().join(', ')}, got ${generator}`);
  const limitMs = values['limit-minutes'] === undefined ? Infinity : Number(values['limit-minutes']) * 60_000;
  if (!(limitMs > 0)) throw new Error(`--limit-minutes must be a positive number, got ${values['limit-minutes']}`);
  const started = Date.now();
  const clipDir = resolve(SHARED_DATA_DIR, 'clips');
  let clips = readdirSync(clipDir).filter((f) => f.endsWith('.mp4')).sort();
  if (values.clips) {
    const want = values.clips.split(',').map((c) => c.trim().replace(/\.mp4$/, ''));
    const unknown = want.filter((w) => !clips.includes(`${w}.mp4`));
    if (unknown.length) throw new Error(`unknown clip(s): ${unknown.join(', ')}`);
    clips = want.map((w) => `${w}.mp4`); // in the order given
  }
  // Per-run JSONs live in the repo (models/results/eval/): they are the table's data, and a later
  // session resumes from them; --results-dir points elsewhere (tests, experiments).
  const outDir = values['results-dir'] ? resolve(values['results-dir']) : resolve(here, '../results/eval');
  await mkdir(outDir, { recursive: true });
  const results: EvalResult[] = [];
  const runtimes: { clip: string; size: number; seconds: number }[] = [];
  const failures: string[] = [];
  const skipped: { clip: string; size: number; faceSide: number }[] = [];
  const resultsPath = values.results ?? resolve(here, '../RESULTS.md');
  // --cached-only (rewrite the summary from the cached runs, start none) is not part of the method.
  const raw = process.argv.slice(2);
  const argv = raw.filter((a, i) => a !== '--cached-only' && a !== '--note' && raw[i - 1] !== '--note').join(' ');
  const writeSummary = async () => {
    const md = existsSync(resultsPath) ? await readFile(resultsPath, 'utf8') : '# Results\n';
    let body = resultsSection(results, {
      command: `npm run eval:all${argv ? ` -- ${argv}` : ''}`,
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}`,
      runtimes,
      fullTables: values['full-tables'] ?? results.length <= 3,
      clipsTotal: clips.length,
      sizes,
      skipped,
    });
    if (values.note) body = body.replace('\n\n', `\n\n${values.note}\n\n`);
    if (failures.length) body += `\n\nNot evaluated:\n${failures.map((f) => `- ${f}`).join('\n')}`;
    await writeFile(resultsPath, upsertSection(md, RESULTS_HEADING, body));
  };
  let stopped = 0;
  for (const size of sizes) {
    for (const clip of clips) {
      // The neural generator's results since the mouth refiner (on by default) carry '+mouth'.
      const json = resolve(outDir, `${basename(clip, '.mp4')}-${size}-k${shots}-${generator === 'neural' ? 'neural+mouth' : generator}-n${maxEvalFrames}-r${rungFrames}-v${EVAL_METHOD_VERSION}.json`);
      let r: EvalResult;
      const noUpscale = size > sizes[0]! && !values.upscale;
      // A skip is recorded in the run's JSON too ({ skipped: 'upscale' }), so a fresh checkout knows
      // without tracking the clip again.
      const skip = async (faceSide: number) => {
        skipped.push({ clip: basename(clip, '.mp4'), size, faceSide });
        process.stderr.write(`${clip} @${size}: skipped, the face crop is ${faceSide} px in the source (--upscale runs it)\n`);
        if (!existsSync(json)) await writeFile(json, JSON.stringify({ skipped: 'upscale', clip, size, face_side: faceSide }) + '\n');
      };
      const cached = !values.force && existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) as EvalResult | SkippedRun : null;
      if (cached && 'skipped' in cached && noUpscale) {
        await skip(cached.face_side);
        continue;
      }
      const side = noUpscale && !cached ? await cachedFaceSide(resolve(clipDir, clip)) : null;
      if (side !== null && side < size) {
        await skip(side);
        continue;
      }
      if (cached && !('skipped' in cached)) {
        r = cached;
        if (noUpscale && r.details.crop.side < size) {
          await skip(r.details.crop.side);
          continue;
        }
        // Recompute the headline from the stored rungs so the summary follows the current definition.
        const h = headline(r.codecs, headlineScores(r), r.ours.kbps);
        r.equivalent_kbps = h.equivalent;
        r.saving = h.saving;
        process.stderr.write(`${clip} @${size}: cached ${json}\n`);
      } else if (values['cached-only'] || Date.now() - started > limitMs) {
        stopped++;
        continue;
      } else {
        process.stderr.write(`${clip} @${size}: running… (${new Date().toISOString().slice(11, 19)} UTC)\n`);
        try {
          r = await runEval({ ...DEFAULT_EVAL_OPTIONS, video: resolve(clipDir, clip), size, shots, generator, maxEvalFrames, rungFrames, noUpscale, log: (s) => process.stderr.write(`  ${s}\n`) });
        } catch (err) {
          if (err instanceof UpscaleSkip) {
            await skip(err.faceSide);
            continue;
          }
          const msg = `${clip} @${size}: ${err instanceof Error ? err.message : String(err)}`;
          failures.push(msg);
          process.stderr.write(`  FAILED ${msg}\n`);
          await writeSummary();
          continue;
        }
        await writeFile(json, JSON.stringify(r, null, 2) + '\n');
        process.stdout.write(formatResult(r) + '\n\n');
      }
      results.push(r);
      runtimes.push({ clip: clip.replace(/\.mp4$/, ''), size, seconds: r.details.timings_s.total ?? 0 });
      if (r.details.stages_s) process.stderr.write(formatStages(r.details.stages_s, r.details.timings_s.total ?? 0, r.details.load ?? '') + '\n');
      await writeSummary();
    }
  }
  await writeSummary();
  process.stderr.write(`wrote ${results.length} run(s) to ${resultsPath}${failures.length ? `; ${failures.length} failed` : ''}${skipped.length ? `; ${skipped.length} skipped (upscales)` : ''}${stopped ? `; ${stopped} not started (${values['cached-only'] ? '--cached-only' : '--limit-minutes'})` : ''}\n`);
  return 0;
}

/** The clip's face-crop side in source pixels from its cached tracks; null when not tracked yet (runEval then checks). */
async function cachedFaceSide(video: string): Promise<number | null> {
  const tracks = await readCachedTracks(await contentHash(video));
  if (!tracks) return null;
  const info = await probeVideo(video);
  return sourceFaceSide(tracks, info.width, info.height);
}

main().then((c) => process.exit(c), (err: unknown) => {
  process.stderr.write(`eval:all: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
