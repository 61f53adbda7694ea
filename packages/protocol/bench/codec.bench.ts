/**
 * Codec benchmark over tracks files.
 *
 *   npm run bench:codec -- <tracks.jsonl[.gz]>... [--all [dir]] [--loss 0.2] [--json out.json]
 *                          [--aspect auto|<height/width>] [--seed 1] [--basis basis.json]
 *
 * Per file (and in total): frames, mean bytes per packet, kbit/s at 30 fps, mean and p95
 * landmark error on a 256×256 face crop (see src/codec/metrics.ts) versus the input,
 * encode and decode µs per frame, and with --loss the share of face frames still
 * rendered by the jitter buffer after random loss, jitter and reordering.
 * The neutral shape is estimated from each clip (in a call it comes from the embedding).
 * --aspect auto reads width/height from INDEX.tsv beside the file, else assumes 1.
 * --basis uses a basis written by scripts/learn-basis.ts --out x.json (held-out evaluation).
 */
import { mulberry32 } from '../src/random.ts';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDecoder, createEncoder, defaultBasis, estimateNeutral, faceCropError, loadBasis, type Basis, type BasisData } from '../src/codec/index.ts';
import { DecodeError } from '../src/errors.ts';
import type { FaceFrame } from '../src/frame.ts';
import { JitterBuffer } from '../src/jitter/index.ts';
import { readTracksFile } from '../src/tracks/node.ts';

export interface BenchResult {
  file: string;
  frames: number;
  bytes_per_frame: number;
  kbps_30fps: number;
  mean_err_px: number;
  p95_err_px: number;
  encode_us: number;
  decode_us: number;
  rendered_under_loss: number | null;
  decode_failures_under_loss: number | null;
  /** Mean absolute blendshape error (scores in [0, 1]). */
  blendshape_mae: number;
}

const USAGE =
  'usage: npm run bench:codec -- <tracks.jsonl[.gz]>... | --all [dir]  [--loss 0..1] [--json out.json] [--aspect auto|<h/w>] [--seed n] [--basis basis.json]';

function fail(message: string): never {
  console.error(`bench:codec: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseCli(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        all: { type: 'boolean', default: false },
        loss: { type: 'string' },
        json: { type: 'string' },
        aspect: { type: 'string', default: 'auto' },
        seed: { type: 'string', default: '1' },
        basis: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let loss: number | null = null;
  if (values.loss !== undefined) {
    loss = Number(values.loss);
    if (!Number.isFinite(loss) || loss < 0 || loss >= 1) fail(`--loss must be a number in [0, 1), got ${JSON.stringify(values.loss)}`);
  }
  let aspect: number | 'auto' = 'auto';
  if (values.aspect !== 'auto') {
    aspect = Number(values.aspect);
    if (!Number.isFinite(aspect) || aspect <= 0) fail(`--aspect must be 'auto' or a positive number (height/width), got ${JSON.stringify(values.aspect)}`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
  if (values.json !== undefined && values.json === '') fail('--json needs a file path');
  if (!values.all && positionals.length === 0) fail('give at least one tracks file, or --all');
  return { all: values.all, inputs: positionals, loss, json: values.json, aspect, seed, basis: values.basis };
}

async function aspectFor(file: string, fixed: number | 'auto'): Promise<number> {
  if (fixed !== 'auto') return fixed;
  try {
    const index = await readFile(join(dirname(file), 'INDEX.tsv'), 'utf8');
    const stem = basename(file).replace(/\.jsonl(\.gz)?$/, '');
    for (const line of index.split('\n')) {
      const [name, , , w, h] = line.split('\t');
      if (name && name.replace(/\.[^.]+$/, '') === stem && Number(w) > 0 && Number(h) > 0) return Number(h) / Number(w);
    }
  } catch {
    // No index: square.
  }
  return 1;
}

const rng = mulberry32;

/**
 * Best (minimum) over repeated passes (≥ ~1500 calls in all) of the mean µs per call:
 * the least disturbed by other processes on a shared machine.
 */
function timePerCall(n: number, pass: () => void): number {
  const passes = Math.max(3, Math.ceil(1500 / n));
  const times: number[] = [];
  pass(); // warm-up (JIT)
  for (let p = 0; p < passes; p++) {
    const t0 = performance.now();
    pass();
    times.push(((performance.now() - t0) * 1000) / n);
  }
  return Math.min(...times);
}

export async function benchFile(
  file: string,
  opts: { loss: number | null; aspect: number | 'auto'; seed: number; basis?: Basis },
  errorsOut?: number[],
): Promise<BenchResult> {
  const frames = await readTracksFile(file);
  if (frames.length === 0) throw new Error(`${file}: no frames`);
  if (!frames.some((f) => f.landmarks)) throw new Error(`${file}: no frame has a face`);
  const aspect = await aspectFor(file, opts.aspect);
  const basis = opts.basis ?? defaultBasis();
  const bases = opts.basis ? [opts.basis] : [];
  const neutral = estimateNeutral(frames, basis.template, aspect);
  const packets = frames.map(((enc) => (f: FaceFrame) => enc.encode(f))(createEncoder({ neutral, aspect, basis })));
  const encodeUs = timePerCall(frames.length, () => {
    const enc = createEncoder({ neutral, aspect, basis });
    for (const f of frames) enc.encode(f);
  });
  const decoder = createDecoder({ neutral, bases });
  const decoded: (FaceFrame | null)[] = packets.map((p) => decoder.decode(p).frame);
  const decodeUs = timePerCall(packets.length, () => {
    const dec = createDecoder({ neutral, bases });
    for (const p of packets) dec.decode(p);
  });

  const errs: number[] = [];
  const perLandmark = new Float64Array(478);
  for (let i = 0; i < frames.length; i++) {
    const ref = frames[i]!.landmarks;
    const out = decoded[i]?.landmarks;
    if (!ref || !out) continue;
    faceCropError(ref, out, perLandmark);
    for (const e of perLandmark) errs.push(e);
  }
  if (errorsOut) for (const e of errs) errorsOut.push(e);
  errs.sort((a, b) => a - b);
  let bsSum = 0;
  let bsN = 0;
  for (let i = 0; i < frames.length; i++) {
    const ref = frames[i]!.blendshapes;
    const out = decoded[i]?.blendshapes;
    if (!ref || !out) continue;
    for (let j = 0; j < ref.length; j++) bsSum += Math.abs(ref[j]! - out[j]!);
    bsN += ref.length;
  }
  const bytes = packets.reduce((a, p) => a + p.length, 0);

  let rendered: number | null = null;
  let failures: number | null = null;
  if (opts.loss !== null) ({ rendered, failures } = simulateLoss(frames, packets, neutral, opts.loss, opts.seed, bases));

  return {
    file: basename(file),
    frames: frames.length,
    bytes_per_frame: bytes / frames.length,
    kbps_30fps: ((bytes / frames.length) * 8 * 30) / 1000,
    mean_err_px: errs.reduce((a, v) => a + v, 0) / errs.length,
    p95_err_px: errs[Math.min(errs.length - 1, Math.floor(errs.length * 0.95))]!,
    encode_us: encodeUs,
    decode_us: decodeUs,
    rendered_under_loss: rendered,
    decode_failures_under_loss: failures,
    blendshape_mae: bsN ? bsSum / bsN : 0,
  };
}

/**
 * Drops each packet with probability `loss`, delivers the rest after 40 ms + 0–30 ms
 * uniform jitter (which reorders neighbours) and swaps 10 % of adjacent arrivals;
 * decodes every received packet (counting any failure) into a jitter buffer and
 * renders at each capture instant. Returns the share of face frames rendered.
 */
function simulateLoss(
  frames: FaceFrame[],
  packets: Uint8Array[],
  neutral: Float32Array,
  loss: number,
  seed: number,
  bases: Basis[],
): { rendered: number; failures: number } {
  const rand = rng(seed);
  const arrivals: { at: number; packet: Uint8Array }[] = [];
  for (let i = 0; i < packets.length; i++) {
    if (rand() < loss) continue;
    arrivals.push({ at: frames[i]!.t + 40 + rand() * 30, packet: packets[i]! });
  }
  for (let i = 0; i + 1 < arrivals.length; i++) {
    if (rand() < 0.1) {
      const tmp = arrivals[i]!.at;
      arrivals[i]!.at = arrivals[i + 1]!.at;
      arrivals[i + 1]!.at = tmp;
    }
  }
  arrivals.sort((a, b) => a.at - b.at);
  const decoder = createDecoder({ neutral, bases });
  const jb = new JitterBuffer();
  let failures = 0;
  let next = 0;
  let faces = 0;
  let shown = 0;
  // Render at each capture instant shifted by the buffer's delay; warm-up frames count too.
  for (const f of frames) {
    const now = f.t + 40 + jb.targetDelayMs + 5;
    while (next < arrivals.length && arrivals[next]!.at <= now) {
      const a = arrivals[next++]!;
      try {
        const d = decoder.decode(a.packet);
        jb.push({ t: d.t, landmarks: d.frame?.landmarks ?? null, blendshapes: d.frame?.blendshapes ?? null }, a.at);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        failures++;
      }
    }
    if (!f.landmarks) continue;
    faces++;
    const r = jb.render(now);
    if (r.state === 'live' || r.state === 'concealed') shown++;
  }
  return { rendered: faces ? shown / faces : 1, failures };
}

function table(rows: BenchResult[]): string {
  const head = ['file', 'frames', 'B/frame', 'kbps@30', 'mean px', 'p95 px', 'bs MAE', 'enc µs', 'dec µs', 'rendered'];
  const lines = rows.map((r) => [
    r.file,
    String(r.frames),
    r.bytes_per_frame.toFixed(2),
    r.kbps_30fps.toFixed(2),
    r.mean_err_px.toFixed(3),
    r.p95_err_px.toFixed(3),
    r.blendshape_mae.toFixed(3),
    r.encode_us.toFixed(0),
    r.decode_us.toFixed(0),
    r.rendered_under_loss === null ? '-' : `${(r.rendered_under_loss * 100).toFixed(1)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [fmt(head), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  let files = cli.inputs.map((f) => resolve(f));
  if (cli.all) {
    const dir = files.length === 1 ? files[0]! : resolve(import.meta.dirname, '../../../../shared/data/tracks');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      fail(`--all: cannot read directory ${dir}`);
    }
    files = names.filter((n) => /\.jsonl(\.gz)?$/.test(n)).sort().map((n) => join(dir, n));
    if (files.length === 0) fail(`--all: no .jsonl or .jsonl.gz files in ${dir}`);
  }
  let basis: Basis | undefined;
  if (cli.basis) {
    try {
      basis = loadBasis(JSON.parse(await readFile(cli.basis, 'utf8')) as BasisData);
    } catch (err) {
      fail(`--basis ${cli.basis}: ${(err as Error).message}`);
    }
  }
  const rows: BenchResult[] = [];
  const allErrs: number[] = [];
  for (const f of files) {
    try {
      rows.push(await benchFile(f, { ...cli, basis }, allErrs));
    } catch (err) {
      fail(`${f}: ${(err as Error).message}`);
    }
  }
  let total: BenchResult = rows[0]!;
  if (rows.length > 1) {
    allErrs.sort((a, b) => a - b);
    const frames = rows.reduce((a, r) => a + r.frames, 0);
    const w = (key: 'bytes_per_frame' | 'encode_us' | 'decode_us' | 'rendered_under_loss' | 'blendshape_mae'): number =>
      rows.reduce((a, r) => a + (r[key] ?? 0) * r.frames, 0) / frames;
    total = {
      file: `TOTAL (${rows.length} files)`,
      frames,
      bytes_per_frame: w('bytes_per_frame'),
      kbps_30fps: (w('bytes_per_frame') * 8 * 30) / 1000,
      mean_err_px: allErrs.reduce((a, v) => a + v, 0) / allErrs.length,
      p95_err_px: allErrs[Math.floor(allErrs.length * 0.95)]!,
      encode_us: w('encode_us'),
      decode_us: w('decode_us'),
      rendered_under_loss: cli.loss === null ? null : w('rendered_under_loss'),
      decode_failures_under_loss: cli.loss === null ? null : rows.reduce((a, r) => a + (r.decode_failures_under_loss ?? 0), 0),
      blendshape_mae: w('blendshape_mae'),
    };
    rows.push(total);
  }
  console.log(table(rows));
  if (cli.loss !== null) console.log(`loss ${cli.loss}: decode failures among received packets: ${total.decode_failures_under_loss}`);
  if (cli.json) {
    const { file: _file, ...summary } = total;
    await writeFile(cli.json, JSON.stringify({ ...summary, loss: cli.loss, files: rows.length > 1 ? rows.slice(0, -1) : rows }, null, 2) + '\n');
    console.log(`wrote ${cli.json}`);
  }
}

await main();
