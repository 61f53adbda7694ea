/**
 * Aligned pairs for learning what the warp loses: each picked frame of a clip, cut and scaled as
 * the quality benchmark does (models/eval: the clip's face box, ffmpeg bicubic to S×S), enrolled
 * alone as a one-photo warp avatar (PNG, as the benchmark) and rendered at its own landmarks. The
 * render and the photo are the same face in the same pose, so whatever differs is what the warp's
 * resampling (photo → atlas → frame) takes away — not misalignment.
 *
 *   npx tsx packages/client/scripts/warp-self-pairs.ts [--size 256] [--per-clip 12] [--out DIR] [clip …]
 *
 * Writes <out>/<clip>.{real,warp}.npy (uint8 N×S×S×3), <clip>.mask.npy (uint8 N×S×S: the face
 * oval shrunk to 0.85, as the benchmark's detail metric) and <clip>.json (frame indices). Default
 * clips: every clip with a reference tracks file.
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTracks } from './warp-io.ts';
import { REPO_ROOT, SHARED_DATA_DIR } from './lib/paths.ts';
import { probeVideo } from './lib/video.ts';
import { npyU8 } from './neural-warp-cache.ts';
import { enrollWarpAvatar } from '../src/enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';
import { pngCodec } from '../src/generator/codec.ts';
import { clipCropBox, toCropLandmarks } from '../../../models/eval/crop.ts';
import { collectFrames } from '../../../models/eval/video-io.ts';
import { INNER_DETAIL, innerFaceMask } from '../../../models/eval/sharpen.ts';

async function pairsOfClip(clip: string, size: number, perClip: number, dataDir: string, outDir: string): Promise<string> {
  const tracks = readTracks(join(dataDir, 'tracks', `${clip}.jsonl.gz`));
  const video = join(dataDir, 'clips', `${clip}.mp4`);
  const info = await probeVideo(video);
  const box = clipCropBox(tracks.map((f) => f.landmarks), info.width, info.height);
  const tracked = tracks.map((t, i) => (t.landmarks ? i : -1)).filter((i) => i >= 0);
  const picks = Array.from({ length: Math.min(perClip, tracked.length) }, (_, k) => tracked[Math.floor(((k + 0.5) * tracked.length) / Math.min(perClip, tracked.length))]!);
  const filter = `crop=${box.side}:${box.side}:${box.x}:${box.y},scale=${size}:${size}:flags=bicubic`;
  const frames = await collectFrames(['-i', video, '-map', '0:v:0'], size, new Set(picks), filter);
  const n = picks.length, px = size * size;
  const real = new Uint8Array(n * px * 3), warp = new Uint8Array(n * px * 3), mask = new Uint8Array(n * px);
  const render = { width: size, height: size, data: new Uint8ClampedArray(px * 4) };
  for (const [k, i] of picks.entries()) {
    const rgba = frames.get(i);
    if (!rgba) throw new Error(`${clip}: frame ${i} could not be decoded`);
    const lm = toCropLandmarks(tracks[i]!.landmarks!, box, info.width, info.height);
    const { embedding } = await enrollWarpAvatar([{ image: { width: size, height: size, data: new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength) }, landmarks: lm }], { codec: pngCodec, plateIndex: 0 });
    const gen = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await gen.init(embedding);
    await gen.render(lm, render);
    gen.dispose();
    for (let p = 0; p < px; p++) {
      for (let c = 0; c < 3; c++) {
        real[(k * px + p) * 3 + c] = rgba[p * 4 + c]!;
        warp[(k * px + p) * 3 + c] = render.data[p * 4 + c]!;
      }
    }
    mask.set(innerFaceMask(lm, size, size, INNER_DETAIL), k * px);
  }
  writeFileSync(join(outDir, `${clip}.real.npy`), npyU8([n, size, size, 3], real));
  writeFileSync(join(outDir, `${clip}.warp.npy`), npyU8([n, size, size, 3], warp));
  writeFileSync(join(outDir, `${clip}.mask.npy`), npyU8([n, size, size], mask));
  writeFileSync(join(outDir, `${clip}.json`), JSON.stringify({ clip, size, frames: picks, box }));
  return `${clip}: ${n} pairs`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { size: { type: 'string', default: '256' }, 'per-clip': { type: 'string', default: '12' }, out: { type: 'string' }, data: { type: 'string', default: SHARED_DATA_DIR } },
  });
  const size = Number(values.size), perClip = Number(values['per-clip']);
  if (!Number.isInteger(size) || size < 64 || size > 1024 || size % 2) throw new Error(`--size must be an even integer in [64, 1024], got ${values.size}`);
  if (!Number.isInteger(perClip) || perClip < 1 || perClip > 1000) throw new Error(`--per-clip must be an integer in [1, 1000], got ${values['per-clip']}`);
  const outDir = resolve(values.out ?? join(REPO_ROOT, 'models/.cache/neural', `selfpairs-${size}`));
  mkdirSync(outDir, { recursive: true });
  const clips = positionals.length ? positionals : readdirSync(join(values.data!, 'tracks')).filter((f) => f.endsWith('.jsonl.gz')).map((f) => f.replace(/\.jsonl\.gz$/, '')).sort();
  for (const clip of clips) {
    if (!existsSync(join(values.data!, 'clips', `${clip}.mp4`))) throw new Error(`no clip ${clip}.mp4 in ${values.data}/clips`);
    console.error(await pairsOfClip(clip, size, perClip, values.data!, outDir));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
