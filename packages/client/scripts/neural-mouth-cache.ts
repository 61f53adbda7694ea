/**
 * Training data for the mouth refiner (models/neural/mouth.py): for every tracked frame of each
 * clip, the S×S mouth patch (generator/neural/mouth-patch.ts) cut from the real frame and from the
 * v1 warp render of its landmarks, plus the lip image the network is driven by. Two warp avatars
 * render alternate frames: one enrolled as neural-warp-cache.ts does it (the tracked frame at
 * ENROLL_AT of the clip), one from MULTI_SHOTS frames spread over the clip (as a K=8 enrollment is,
 * whose mouth interior comes from the most open photo), so the network sees both kinds of warp
 * mouth; the target is another frame than the avatar's photos for almost every frame.
 *
 *   npx tsx packages/client/scripts/neural-mouth-cache.ts [--size 48] [--every 1] [--region mouth|eyes] [--face 112] [clip …] [--cache DIR] [--force]
 *
 * Writes <cache>/mouth-v1-<S>/<clip>.{real,warp,lips}.npy (uint8: N×S×S×3, N×S×S×3, N×S×S×2) and
 * <clip>.json (the frame indices). With `--face F` (mouth only) also <clip>.face_{real,warp}.npy
 * (uint8 N×F×F×3): the whole face (FACE_REGION) of the same real frame and render, for the mouth
 * refiner's landmark term (models/neural/landmarks68.py), and in the JSON `paste`, per row, the
 * affine map (2×3, row-major) from the face crop's normalised coordinates (−1…1, grid_sample's
 * align_corners=false) to the mouth patch's: where each face-crop pixel lies in the patch.
 * `--region eyes` cuts both eyes' windows instead (EYE_REGIONS:
 * the shape image is the iris and the eye opening) into <cache>/eyes-v1-<S>/, two rows per frame
 * and render (right eye, then left). The warp is rendered at the clip's resolution scaled down so the
 * patch spans about 1.5·S render pixels (the geometry is resolution-independent).
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTracks, readVideoFrame } from './warp-io.ts';
import { REPO_ROOT, SHARED_DATA_DIR } from './lib/paths.ts';
import { decodeRgbaFrames, probeVideo } from './lib/video.ts';
import { ENROLL_AT, npyU8 } from './neural-warp-cache.ts';
import { enrollWarpAvatar } from '../src/enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';
import { pngCodec } from '../src/generator/codec.ts';
import type { RgbaImage } from '../src/generator/image.ts';
import { mouthOpenness, toPixels } from '../src/generator/warp/face-model.ts';
import { EYE_REGIONS, MOUTH_REGION, imageToPatch, lipImage, mouthPatchFrame, patchToImage, sampleMouthPatch, scaleFrame, type PatchRegion } from '../src/generator/neural/mouth-patch.ts';

const MOUTH_CACHE_VERSION = 1;
/**
 * The face crop of `--face`: a square from cheek to cheek (landmarks 234 and 454) at 1.3× their
 * distance, centred 0.2 of it below them — where face-api's 68-point network puts the lip corners,
 * mouth and chin within ~1.5 px (of 112) of MediaPipe's on the dev clips. `loops` are unused.
 */
const FACE_REGION: PatchRegion = { name: 'face', corners: [234, 454], span: 1.3, drop: 0.2, loops: MOUTH_REGION.loops };

/** The affine map from `face`'s normalised crop coordinates to `mouth`'s (both frames in one image's pixels). */
function pasteAffine(face: ReturnType<typeof mouthPatchFrame>, mouth: ReturnType<typeof mouthPatchFrame>): number[] {
  const at = (nx: number, ny: number) => {
    const [x, y] = patchToImage(face, (nx + 1) / 2, (ny + 1) / 2, FACE_REGION);
    const [u, v] = imageToPatch(mouth, x, y, MOUTH_REGION);
    return [2 * u - 1, 2 * v - 1] as const;
  };
  const o = at(0, 0), ex = at(1, 0), ey = at(0, 1);
  return [ex[0] - o[0], ey[0] - o[0], o[0], ex[1] - o[1], ey[1] - o[1], o[1]];
}
/** Photos of the second avatar. */
const MULTI_SHOTS = 8;
/** Photos of the fourth avatar (`--avatars 4`). */
const EXTRA_SHOTS = 3;

function toU8(src: Float32Array, dst: Uint8Array, offset: number, scale = 1): void {
  for (let i = 0; i < src.length; i++) dst[offset + i] = Math.min(255, Math.max(0, Math.round(src[i]! * scale)));
}

/** Avatar photo sets of a clip: the classic pair, and with `avatars` 4 the most open mouth and EXTRA_SHOTS frames between the pair's. */
function avatarPhotos(tracked: readonly number[], openness: (frame: number) => number, avatars: 2 | 4): number[][] {
  const fe = tracked[Math.floor(ENROLL_AT * tracked.length)]!;
  const spread = (k: number, offset: number) => Array.from({ length: Math.min(k, tracked.length) }, (_, j) => tracked[Math.floor(((j + offset) * tracked.length) / Math.min(k, tracked.length))]!);
  const sets = [[fe], spread(MULTI_SHOTS, 0.5)];
  if (avatars === 4) {
    const open = tracked.map(openness);
    sets.push([tracked[open.indexOf(Math.max(...open))]!], spread(EXTRA_SHOTS, 0.25));
  }
  return sets;
}

async function cacheClip(clip: string, size: number, every: number, avatars: 2 | 4, regions: readonly PatchRegion[], dataDir: string, outDir: string, face: number): Promise<string> {
  const tracks = readTracks(join(dataDir, 'tracks', `${clip}.jsonl.gz`));
  const video = join(dataDir, 'clips', `${clip}.mp4`);
  const tracked = tracks.map((t, i) => (t.landmarks ? i : -1)).filter((i) => i >= 0);
  if (tracked.length < 2) throw new Error(`${clip}: fewer than 2 tracked frames`);
  const info = await probeVideo(video);
  const { width, height } = info;
  const decoded = new Map<number, RgbaImage>();
  const photo = (i: number) => {
    if (!decoded.has(i)) {
      const image = readVideoFrame(video, i);
      if (image.width !== width || image.height !== height) throw new Error(`${clip}: frame ${i} decodes at ${image.width}×${image.height}, ffprobe says ${width}×${height}`);
      decoded.set(i, image);
    }
    return { image: decoded.get(i)!, landmarks: tracks[i]!.landmarks! };
  };
  const sets = avatarPhotos(tracked, (i) => mouthOpenness(toPixels(tracks[i]!.landmarks!, width, height)), avatars);
  const gens: WarpGenerator[] = [];
  for (const shots of sets) {
    const { embedding } = await enrollWarpAvatar(shots.map(photo), { codec: pngCodec });
    const gen = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await gen.init(embedding);
    gens.push(gen);
  }
  const keep = tracked.filter((_, k) => k % every === 0);
  const lens = keep.map((i) => mouthPatchFrame(tracks[i]!.landmarks!, width, height, regions[0]).len).sort((a, b) => a - b);
  const scale = Math.min(1, (1.5 * size) / (regions[0]!.span * lens[lens.length >> 1]!));
  const rw = Math.max(1, Math.round(scale * width)), rh = Math.max(1, Math.round(scale * height));
  const render: RgbaImage = { width: rw, height: rh, data: new Uint8ClampedArray(rw * rh * 4) };
  const renders = avatars / 2, R = regions.length, m = keep.length * R, n = m * renders, px = size * size;
  const real = new Uint8Array(n * px * 3), warp = new Uint8Array(n * px * 3), lips = new Uint8Array(n * px * 2);
  const fpx = face * face, faceReal = new Uint8Array(face ? n * fpx * 3 : 0), faceWarp = new Uint8Array(face ? n * fpx * 3 : 0);
  const faceRgb = new Float32Array(fpx * 3), paste: number[][] = new Array(face ? n : 0);
  const avatarOf: number[] = new Array(n);
  const rgb = new Float32Array(px * 3), warpRgb = new Float32Array(px * 3), lip = new Float32Array(px * 2);
  const wanted = new Set(keep);
  let j = 0, index = 0;
  const t0 = performance.now();
  for await (const data of decodeRgbaFrames(info)) {
    const frame: RgbaImage = { width, height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength) };
    const i = index++;
    if (!wanted.has(i)) continue;
    const lm = tracks[i]!.landmarks!;
    const fs = regions.map((region) => mouthPatchFrame(lm, width, height, region));
    const j0 = j;
    regions.forEach((region, e) => {
      toU8(sampleMouthPatch(frame, fs[e]!, size, rgb, region), real, (j0 + e) * px * 3);
      toU8(lipImage(lm, width, height, fs[e]!, size, lip, region), lips, (j0 + e) * px * 2, 255);
    });
    const ff = face ? mouthPatchFrame(lm, width, height, FACE_REGION) : null;
    if (ff) {
      toU8(sampleMouthPatch(frame, ff, face, faceRgb, FACE_REGION), faceReal, j0 * fpx * 3);
      paste[j0] = pasteAffine(ff, fs[0]!);
    }
    for (let r = 0; r < renders; r++) {
      const a = 2 * r + ((j0 / R) % 2);
      await gens[a]!.render(lm, render);
      regions.forEach((region, e) => {
        const jj = j0 + e, row = r * m + jj;
        if (r > 0) { // the same real patch and lips, rendered by another avatar
          real.copyWithin(row * px * 3, jj * px * 3, (jj + 1) * px * 3);
          lips.copyWithin(row * px * 2, jj * px * 2, (jj + 1) * px * 2);
          if (ff) {
            faceReal.copyWithin(row * fpx * 3, jj * fpx * 3, (jj + 1) * fpx * 3);
            paste[row] = paste[jj]!;
          }
        }
        if (ff) toU8(sampleMouthPatch(render, scaleFrame(ff, rw / width), face, faceRgb, FACE_REGION), faceWarp, row * fpx * 3);
        toU8(sampleMouthPatch(render, scaleFrame(fs[e]!, rw / width), size, warpRgb, region), warp, row * px * 3);
        avatarOf[row] = a;
      });
    }
    j += R;
  }
  for (const g of gens) g.dispose();
  if (j !== m) throw new Error(`${clip}: decoded ${j} of ${m} tracked frames (the video has ${index})`);
  const write = (name: string, shape: number[], data: Uint8Array) => {
    const file = join(outDir, `${clip}.${name}.npy`);
    writeFileSync(`${file}.tmp`, npyU8(shape, data));
    renameSync(`${file}.tmp`, file);
  };
  write('real', [n, size, size, 3], real);
  write('warp', [n, size, size, 3], warp);
  write('lips', [n, size, size, 2], lips);
  if (face) {
    write('face_real', [n, face, face, 3], faceReal);
    write('face_warp', [n, face, face, 3], faceWarp);
  }
  writeFileSync(join(outDir, `${clip}.json`), JSON.stringify({ version: MOUTH_CACHE_VERSION, clip, size, span: regions[0]!.span, drop: regions[0]!.drop, region: regions.map((r) => r.name), frames: Array.from({ length: renders }, () => keep.flatMap((f) => regions.map(() => f))).flat(), avatars: sets, avatar: avatarOf, render: [rw, rh], ...(face ? { face: { size: face, span: FACE_REGION.span, drop: FACE_REGION.drop, corners: FACE_REGION.corners }, paste } : {}) }));
  return `${clip}: ${n} patches of ${keep.length} frames, avatars from frames ${sets.map((a) => a.join(',')).join(' | ')}, render ${rw}×${rh}, ${((performance.now() - t0) / n).toFixed(1)} ms/patch`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      size: { type: 'string', default: '48' }, every: { type: 'string', default: '1' },
      cache: { type: 'string', default: resolve(REPO_ROOT, 'models/.cache/neural') },
      data: { type: 'string', default: process.env.VISAGE_DATA ?? SHARED_DATA_DIR },
      avatars: { type: 'string', default: '2' },
      region: { type: 'string', default: 'mouth' },
      face: { type: 'string', default: '0' },
      force: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const size = Number(values.size), every = Number(values.every);
  if (!Number.isInteger(size) || size < 8 || size > 256) throw new Error(`--size must be an integer in 8..256, got ${values.size}`);
  if (!Number.isInteger(every) || every < 1) throw new Error(`--every must be a positive integer, got ${values.every}`);
  if (values.avatars !== '2' && values.avatars !== '4') throw new Error(`--avatars must be 2 or 4, got ${values.avatars}`);
  if (values.region !== 'mouth' && values.region !== 'eyes') throw new Error(`--region must be mouth or eyes, got ${values.region}`);
  const face = Number(values.face);
  if (!Number.isInteger(face) || face < 0 || face > 256) throw new Error(`--face must be an integer in 0..256 (0: no face crops), got ${values.face}`);
  if (face && values.region !== 'mouth') throw new Error('--face goes with --region mouth');
  const avatars = Number(values.avatars) as 2 | 4;
  const regions = values.region === 'eyes' ? EYE_REGIONS : [MOUTH_REGION];
  const outDir = join(values.cache!, `${values.region}-v${MOUTH_CACHE_VERSION}-${size}${avatars === 4 ? '-a4' : ''}`);
  mkdirSync(outDir, { recursive: true });
  const clips = positionals.length ? positionals : readdirSync(join(values.data!, 'clips')).filter((f) => f.endsWith('.mp4')).map((f) => f.slice(0, -4)).sort();
  for (const clip of clips) {
    if (existsSync(join(outDir, `${clip}.json`)) && (!face || existsSync(join(outDir, `${clip}.face_warp.npy`))) && !values.force) continue;
    console.error(await cacheClip(clip, size, every, avatars, regions, values.data!, outDir, face));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
