/**
 * tsx packages/client/scripts/smoothing-bench.ts [--tracks DIR] [<clip>...]
 *
 * Measures jitter and lag of landmark smoothing on the shared reference tracks (MediaPipe's
 * VIDEO mode), or on `DIR/<clip>.jsonl.gz` (e.g. `npm run track -- <clip> --mode per-frame`),
 * no browser needed. For each setting:
 *  - jitter: RMS frame-to-frame acceleration of the landmarks (px/frame²), lower = steadier;
 *  - lag: the delay τ (ms) that best aligns the output with a zero-phase (centred
 *    Gaussian, σ = 2 frames) smoothing of the raw track, i.e. how far behind it runs;
 *  - err: RMS distance (px) to that zero-phase track at τ = 0 (jitter + lag together).
 */
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { FaceFrame } from '@visage/protocol';
import { FaceSmoother } from '../src/tracking/face-smoother.ts';
import type { FaceSmootherOptions } from '../src/tracking/face-smoother.ts';
import { SHARED_DATA_DIR } from './lib/paths.ts';
import { readTracksFile } from './lib/tracks.ts';

const N = 478 * 3;
type Track = Float64Array[]; // per frame, px (x·w, y·h, z·w)

function toPx(frames: FaceFrame[], w: number, h: number): Track | null {
  const out: Track = [];
  for (const f of frames) {
    if (!f.landmarks) return null; // benchmark only clips with a face throughout
    const p = new Float64Array(N);
    for (let i = 0; i < N; i += 3) {
      p[i] = f.landmarks[i]! * w;
      p[i + 1] = f.landmarks[i + 1]! * h;
      p[i + 2] = f.landmarks[i + 2]! * w;
    }
    out.push(p);
  }
  return out;
}

function zeroPhase(track: Track, sigma = 2): Track {
  const r = Math.ceil(sigma * 3);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  return track.map((_, t) => {
    const out = new Float64Array(N);
    let wsum = 0;
    for (let j = -r; j <= r; j++) {
      const f = track[Math.min(track.length - 1, Math.max(0, t + j))]!;
      const wj = k[j + r]!;
      wsum += wj;
      for (let i = 0; i < N; i++) out[i] = out[i]! + wj * f[i]!;
    }
    for (let i = 0; i < N; i++) out[i] = out[i]! / wsum;
    return out;
  });
}

/** RMS 2-D distance between a[t] and b at t - shift (fractional frames, linear interpolation). */
function rmsShifted(a: Track, b: Track, shift: number): number {
  let s = 0;
  let n = 0;
  const lo = Math.ceil(shift) + 10;
  for (let t = lo; t < a.length - 10; t++) {
    const u = t - shift;
    const i0 = Math.floor(u);
    const fr = u - i0;
    const b0 = b[i0]!;
    const b1 = b[i0 + 1] ?? b0;
    const at = a[t]!;
    for (let i = 0; i < N; i += 3) {
      const bx = b0[i]! + fr * (b1[i]! - b0[i]!);
      const by = b0[i + 1]! + fr * (b1[i + 1]! - b0[i + 1]!);
      s += (at[i]! - bx) ** 2 + (at[i + 1]! - by) ** 2;
      n++;
    }
  }
  return Math.sqrt(s / n);
}

function jitter(a: Track): number {
  let s = 0;
  let n = 0;
  for (let t = 1; t < a.length - 1; t++) {
    for (let i = 0; i < N; i += 3) {
      const ax = a[t + 1]![i]! - 2 * a[t]![i]! + a[t - 1]![i]!;
      const ay = a[t + 1]![i + 1]! - 2 * a[t]![i + 1]! + a[t - 1]![i + 1]!;
      s += ax * ax + ay * ay;
      n++;
    }
  }
  return Math.sqrt(s / n);
}

function applySmoother(frames: FaceFrame[], w: number, h: number, opts: Partial<FaceSmootherOptions> | null): Track {
  const s = opts ? new FaceSmoother(opts) : null;
  return toPx(frames.map((f) => (s ? s.smooth(f, w, h) : f)), w, h)!;
}

const SETTINGS: [string, Partial<FaceSmootherOptions> | null][] = [
  ['raw', null],
  ['EMA 3 Hz (One-Euro beta 0)', { landmarks: { minCutoff: 3, beta: 0, dCutoff: 1 } }],
  ['One-Euro per-landmark 1.5 Hz, beta 0.05', { landmarks: { minCutoff: 1.5, beta: 0.05, dCutoff: 1 } }],
  ['One-Euro per-landmark 1 Hz, beta 0.2', { landmarks: { minCutoff: 1, beta: 0.2, dCutoff: 1 } }],
  ['One-Euro shared 1.5 Hz, beta 0.05', { landmarks: { minCutoff: 1.5, beta: 0.05, dCutoff: 1, sharedSpeed: true, stride: 3 } }],
  ['One-Euro shared 1 Hz, beta 0.1', { landmarks: { minCutoff: 1, beta: 0.1, dCutoff: 1, sharedSpeed: true, stride: 3 } }],
  ['One-Euro shared 2 Hz, beta 0.1', { landmarks: { minCutoff: 2, beta: 0.1, dCutoff: 1, sharedSpeed: true, stride: 3 } }],
  ['One-Euro shared 1 Hz, beta 0.3', { landmarks: { minCutoff: 1, beta: 0.3, dCutoff: 1, sharedSpeed: true, stride: 3 } }],
  ['One-Euro shared 1.5 Hz, beta 0.2', { landmarks: { minCutoff: 1.5, beta: 0.2, dCutoff: 1, sharedSpeed: true, stride: 3 } }],
  ['One-Euro shared 3 Hz, beta 0.05', { landmarks: { minCutoff: 3, beta: 0.05, dCutoff: 1, sharedSpeed: true, stride: 3 } }],
];

const { values: flags, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { tracks: { type: 'string' } } });
const tracksDir = flags.tracks ? resolve(flags.tracks) : resolve(SHARED_DATA_DIR, 'tracks');
const clips = positionals.length ? positionals : ['liveportrait-d6', 'edtalk-pose_source1', 'pcavs-00098'];
const index = new Map(
  (await readFile(resolve(SHARED_DATA_DIR, 'tracks/INDEX.tsv'), 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .map((c) => [c[0]!.replace(/\.mp4$/, ''), { fps: Number(c[2]), w: Number(c[3]), h: Number(c[4]) }]),
);
const acc = new Map<string, { jitter: number; lag: number; err: number; n: number }>();
for (const clip of clips) {
  const meta = index.get(clip);
  if (!meta) throw new Error(`unknown clip ${clip}`);
  const frames = await readTracksFile(resolve(tracksDir, `${clip}.jsonl.gz`));
  const raw = toPx(frames, meta.w, meta.h);
  if (!raw) {
    process.stderr.write(`${clip}: skipped (frames without a face)\n`);
    continue;
  }
  const ref = zeroPhase(raw);
  for (const [name, opts] of SETTINGS) {
    const out = applySmoother(frames, meta.w, meta.h, opts);
    let best = 0;
    let bestErr = Infinity;
    for (let s = 0; s <= 8; s += 0.1) {
      const e = rmsShifted(out, ref, s);
      if (e < bestErr) [best, bestErr] = [s, e];
    }
    const row = { jitter: jitter(out), lag: (best * 1000) / meta.fps, err: rmsShifted(out, ref, 0) };
    const a = acc.get(name) ?? { jitter: 0, lag: 0, err: 0, n: 0 };
    acc.set(name, { jitter: a.jitter + row.jitter, lag: a.lag + row.lag, err: a.err + row.err, n: a.n + 1 });
    process.stderr.write(`${clip}\t${name}\tjitter ${row.jitter.toFixed(3)}\tlag ${row.lag.toFixed(1)} ms\terr ${row.err.toFixed(3)}\n`);
  }
}
process.stdout.write(`| setting | jitter (px/frame², RMS) | lag (ms) | RMS err vs zero-phase (px) |\n|---|---|---|---|\n`);
for (const [name, a] of acc) {
  process.stdout.write(`| ${name} | ${(a.jitter / a.n).toFixed(3)} | ${(a.lag / a.n).toFixed(1)} | ${(a.err / a.n).toFixed(3)} |\n`);
}
process.stdout.write(`(mean over ${clips.join(', ')}; tracks from ${tracksDir})\n`);
