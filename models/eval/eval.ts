/**
 * npm run eval -- <video> [--shots K] [--generator NAME] [--size 256] [--json out.json] [--side-by-side out.mp4] [--seed N]
 * See args.ts for every option and run.ts for the method.
 */
import { writeFile } from 'node:fs/promises';
import { generatorNames } from '../../packages/client/src/generator/registry.ts';
import { VideoInputError } from '../../packages/client/scripts/lib/video.ts';
import { parseEvalArgs, UsageError, USAGE } from './args.ts';
import { formatResult } from './report.ts';
import { EvalInputError, runEval } from './run.ts';

async function main(): Promise<number> {
  let args;
  try {
    args = parseEvalArgs(process.argv.slice(2), generatorNames());
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`eval: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (!args) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const { json, quiet, ...options } = args;
  const result = await runEval({ ...options, log: (s) => !quiet && process.stderr.write(s + '\n') });
  process.stdout.write(formatResult(result) + '\n');
  if (!quiet) process.stderr.write(`done in ${result.details.timings_s.total} s (${Object.entries(result.details.timings_s).map(([k, v]) => `${k} ${v}`).join(', ')})\n`);
  if (json) await writeFile(json, JSON.stringify(result, null, 2) + '\n');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof EvalInputError || err instanceof VideoInputError) process.stderr.write(`eval: ${err.message}\n`);
    else process.stderr.write(`eval: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
