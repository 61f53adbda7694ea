/**
 * npm run track -- <video> [--out tracks.jsonl] [--every N] [options]
 *
 * Runs the real browser tracking code (FaceTracker, VIDEO mode) in headless Chromium
 * over every frame of a video decoded by ffmpeg, and writes a tracks file (JSON Lines,
 * the format of ../shared/data/tracks). Timestamps are frame index / fps.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { serialiseTrackFrame } from '@visage/protocol';
import { LANDMARK_MODES } from '../src/tracking/landmark-mode.ts';
import { openTrackSession } from './lib/track-session.ts';
import { VideoInputError, decodeRgbaFrames, frameTimestampMs, probeVideo } from './lib/video.ts';

const USAGE = `usage: npm run track -- <video> [--out tracks.jsonl] [--every N] [options]

  --out PATH        tracks file to write (.jsonl, or .jsonl.gz to compress; '-' = stdout).
                    Default: <video name>.jsonl in the current folder.
  --every N         track every Nth frame only (default 1 = every frame).
  --max-frames N    stop after N decoded frames.
  --mode M          video (default: MediaPipe's VIDEO mode, which follows and smooths the
                    face; reproduces the reference tracks) or per-frame (the face found and
                    measured in every frame, unsmoothed).
  --delegate D      cpu (default, reproduces the reference tracks), gpu or auto.
  --thread T        auto (default: module Worker, main-thread fallback), worker or main.
  --smooth          apply the One-Euro smoothing (default: raw MediaPipe output).
  --quiet           no progress output.
  -h, --help        this text.`;

class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], def: T): T {
  if (v === undefined) return def;
  const low = v.toLowerCase() as T;
  if (!allowed.includes(low)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return low;
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        every: { type: 'string' },
        'max-frames': { type: 'string' },
        mode: { type: 'string' },
        delegate: { type: 'string' },
        thread: { type: 'string' },
        smooth: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one video, got ${positionals.length}: ${positionals.join(' ')}` : 'missing <video>');
  const video = positionals[0]!;
  const delegate = oneOf('delegate', values.delegate, ['cpu', 'gpu', 'auto'] as const, 'cpu');
  return {
    video,
    out: values.out ?? `${basename(video, extname(video))}.jsonl`,
    every: positiveInt('every', values.every, 1),
    maxFrames: positiveInt('max-frames', values['max-frames'], Number.MAX_SAFE_INTEGER),
    mode: oneOf('mode', values.mode, LANDMARK_MODES, 'video'),
    delegate: delegate === 'auto' ? ('auto' as const) : delegate === 'gpu' ? ('GPU' as const) : ('CPU' as const),
    thread: oneOf('thread', values.thread, ['auto', 'worker', 'main'] as const, 'auto'),
    smooth: values.smooth ?? false,
    quiet: values.quiet ?? false,
  };
}

/** Writes to `<path>.partial`, renamed to `path` on success and removed on failure. */
function openOut(path: string): { write(s: string): void; end(ok: boolean): Promise<void> } {
  if (path === '-') return { write: (s) => void process.stdout.write(s), end: async () => {} };
  const partial = `${path}.partial`;
  const file: WriteStream = createWriteStream(partial);
  const sink = path.endsWith('.gz') ? createGzip() : null;
  if (sink) sink.pipe(file);
  const target = sink ?? file;
  let error: Error | null = null;
  file.on('error', (e) => (error = e));
  return {
    write(s) {
      if (error) throw error;
      target.write(s);
    },
    async end(ok) {
      await new Promise<void>((resolve, reject) => {
        file.on('close', () => (error ? reject(error) : resolve()));
        target.end();
      });
      if (ok) await rename(partial, path);
      else await rm(partial, { force: true });
    },
  };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parse(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`track: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (!args) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const log = (s: string) => !args.quiet && process.stderr.write(s);
  const info = await probeVideo(args.video);
  log(`${args.video}: ${info.width}x${info.height} @ ${info.fps.toFixed(3)} fps, ${info.frameCount ?? '?'} frames\n`);

  const session = await openTrackSession({ delegate: args.delegate, thread: args.thread, mode: args.mode, smoothing: args.smooth });
  log(`tracker: ${args.mode} mode, ${session.info.delegate} delegate, ${session.info.thread} thread, ready in ${session.info.startupMs.toFixed(0)} ms\n`);
  for (const r of session.info.fallbackReasons) log(`  (${r})\n`);
  const out = openOut(args.out);
  const noFace: number[] = [];
  let decoded = 0;
  let tracked = 0;
  let landmarkerMs = 0;
  let totalMs = 0;
  const wall0 = performance.now();
  let ok = false;
  try {
    for await (const rgba of decodeRgbaFrames(info)) {
      const index = decoded++;
      if (index >= args.maxFrames) break;
      if (index % args.every !== 0) continue;
      const t = frameTimestampMs(index, info.fps);
      const r = await session.track(rgba, info.width, info.height, t);
      tracked++;
      landmarkerMs += r.ms;
      totalMs += r.totalMs;
      if (!r.frame.landmarks) noFace.push(index);
      out.write(serialiseTrackFrame(r.frame) + '\n');
      if (tracked % 50 === 0) log(`  ${tracked} frames, ${(landmarkerMs / tracked).toFixed(1)} ms/frame\r`);
    }
    ok = true;
  } finally {
    await out.end(ok);
    await session.close();
  }
  const wall = performance.now() - wall0;
  const found = tracked - noFace.length;
  log(
    `\n${tracked} frames tracked (of ${Math.min(decoded, args.maxFrames)} decoded), face in ${found} (${((100 * found) / Math.max(tracked, 1)).toFixed(1)} %)\n` +
      `landmarker ${(landmarkerMs / Math.max(tracked, 1)).toFixed(1)} ms/frame, in page ${(totalMs / Math.max(tracked, 1)).toFixed(1)} ms/frame, ` +
      `wall ${(wall / Math.max(tracked, 1)).toFixed(1)} ms/frame\n`,
  );
  if (noFace.length) log(`frames without a face: ${compactRanges(noFace)}\n`);
  if (args.out !== '-') log(`wrote ${args.out}\n`);
  return 0;
}

function compactRanges(xs: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1]! - xs[j]! <= 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof VideoInputError) process.stderr.write(`track: ${err.message}\n`);
    else process.stderr.write(`track: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
