/**
 * v1 warp renders for training the neural refiner (models/neural/warp_cache.py describes the
 * exchange). For each clip with a crop file in <cache>/warp-boxes/ (written by
 * `python -m neural.warp_cache boxes`): enroll the warp avatar from one tracked frame at 10 % of
 * the clip (the reference tracks, the decoded full-resolution frame), render the warp (CPU
 * rasteriser) for every kept frame at the clip's full-frame geometry, crop it with data.py's
 * rectangle and write <cache>/warp-v1-<S>/<clip>.warp.npy, uint8 (N, S, S, 4) = RGB + mask.
 *
 *   npx tsx packages/client/scripts/neural-warp-cache.ts [--size 64] [--clips a] [clip …] [--cache DIR] [--force]
 *
 * The render resolution is the clip's, scaled down so that the crop square spans about
 * 3·S render pixels (the geometry is resolution-independent: landmarks are normalised).
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTracks, readVideoFrame } from './warp-io.ts';
import { REPO_ROOT, SHARED_DATA_DIR } from './lib/paths.ts';
import { enrollWarpAvatar } from '../src/enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';
import { pngCodec } from '../src/generator/codec.ts';
import { toCropPixels } from '../src/generator/neural/crop.ts';
import { cropResample, ovalCoverage } from '../src/generator/neural/warp-input.ts';

const WARP_VERSION = 1;
/** Where in the clip (fraction of its tracked frames) the warp avatar is enrolled from. */
export const ENROLL_AT = 0.1;

interface Boxes { clip: string; width: number; height: number; keep: number[]; rects: [number, number, number][] }

export function npyU8(shape: number[], data: Uint8Array): Buffer {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

async function renderClip(b: Boxes, size: number, dataDir: string): Promise<{ out: Uint8Array; ms: number; enrollFrame: number; rw: number; rh: number }> {
  const tracks = readTracks(join(dataDir, 'tracks', `${b.clip}.jsonl.gz`));
  const video = join(dataDir, 'clips', `${b.clip}.mp4`);
  const je = Math.floor(ENROLL_AT * b.keep.length);
  const fe = b.keep[je]!;
  const image = readVideoFrame(video, fe);
  if (image.width !== b.width || image.height !== b.height) throw new Error(`${b.clip}: frame ${image.width}×${image.height}, boxes say ${b.width}×${b.height}`);
  const { embedding } = await enrollWarpAvatar([{ image, landmarks: tracks[fe]!.landmarks! }], { codec: pngCodec });
  const gen = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
  await gen.init(embedding);
  const sides = b.rects.map((r) => r[2]).sort((x, y) => x - y);
  const f = Math.min(1, (3 * size) / sides[sides.length >> 1]!);
  const rw = Math.max(1, Math.round(f * b.width)), rh = Math.max(1, Math.round(f * b.height));
  const fx = rw / b.width, fy = rh / b.height;
  const frame = { width: rw, height: rh, data: new Uint8ClampedArray(rw * rh * 4) };
  const n = b.keep.length;
  const out = new Uint8Array(n * size * size * 4);
  const rgb = new Float32Array(size * size * 3), mask = new Float32Array(size * size);
  const pts = new Float32Array(478 * 3);
  let ms = 0;
  for (let j = 0; j < n; j++) {
    const lm = tracks[b.keep[j]!]!.landmarks;
    if (!lm) throw new Error(`${b.clip}: frame ${b.keep[j]} has no landmarks`);
    const t = performance.now();
    await gen.render(lm, frame);
    const [x0, y0, side] = b.rects[j]!;
    cropResample(frame, x0 * fx, y0 * fy, side * fx, side * fy, size, rgb);
    ovalCoverage(toCropPixels(lm, b.width, b.height, { x0, y0, side }, size, pts), size, mask);
    ms += performance.now() - t;
    const o = j * size * size * 4;
    for (let p = 0; p < size * size; p++) {
      out[o + 4 * p] = Math.round(rgb[3 * p]!);
      out[o + 4 * p + 1] = Math.round(rgb[3 * p + 1]!);
      out[o + 4 * p + 2] = Math.round(rgb[3 * p + 2]!);
      out[o + 4 * p + 3] = Math.round(mask[p]! * 255);
    }
  }
  gen.dispose();
  return { out, ms: ms / n, enrollFrame: fe, rw, rh };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      size: { type: 'string', default: '64' }, clips: { type: 'string', multiple: true },
      cache: { type: 'string', default: resolve(REPO_ROOT, 'models/.cache/neural') },
      data: { type: 'string', default: process.env.VISAGE_DATA ?? SHARED_DATA_DIR },
      force: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const size = Number(values.size);
  const boxDir = join(values.cache!, 'warp-boxes');
  const outDir = join(values.cache!, `warp-v${WARP_VERSION}-${size}`);
  mkdirSync(outDir, { recursive: true });
  const named = [...(values.clips ?? []), ...positionals];
  const clips = named.length ? named : readdirSync(boxDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const manifest: Record<string, unknown> = existsSync(join(outDir, 'manifest.json')) ? JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) : {};
  for (const clip of clips) {
    const file = join(outDir, `${clip}.warp.npy`);
    if (existsSync(file) && !values.force) continue;
    const b = JSON.parse(readFileSync(join(boxDir, `${clip}.json`), 'utf8')) as Boxes;
    const t0 = performance.now();
    const r = await renderClip(b, size, values.data!);
    writeFileSync(`${file}.tmp`, npyU8([b.keep.length, size, size, 4], r.out));
    renameSync(`${file}.tmp`, file);
    manifest[clip] = { frames: b.keep.length, enrollFrame: r.enrollFrame, render: [r.rw, r.rh], msPerFrame: +r.ms.toFixed(1) };
    writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
    console.error(`${clip}: ${b.keep.length} frames, enrolled from frame ${r.enrollFrame}, render ${r.rw}×${r.rh}, ${r.ms.toFixed(1)} ms/frame (render+crop), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
