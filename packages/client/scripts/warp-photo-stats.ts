/**
 * npx tsx packages/client/scripts/warp-photo-stats.ts [--shots K] [--drive] [clip …]
 *
 * What the warp enrollment sees in each clip's enrollment photos (K frames at the centres of K
 * equal bins of the clip's first 20 % with a face, as `npm run eval` picks them; landmarks from
 * ../shared/data/tracks): the most open mouth, the fraction of its opening as bright as teeth
 * (`teethFraction`), where the mouth patch comes from (a photo's index, or 'synthetic'), each upper
 * lid's lash line (`lashLines`) and where its lid starts (`lidStarts`), and how many further mouth
 * interiors the avatar carries (the mouth set). With `--drive`, the avatar is driven by every
 * tracked frame of the clip (its own landmarks, CPU, 32×32) and the script reports which interior
 * each frame drew: the share of frames per interior (the mouth patch's first) and how often the
 * interior changes per second of video. Clips: all of ../shared/data/clips by default.
 */
import { parseArgs } from 'node:util';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readTracks, readVideoFrame } from './warp-io.ts';
import { SHARED_DATA_DIR } from './lib/paths.ts';
import { MOUTH_OPEN_THRESHOLD, buildWarpContent, mouthColors, teethFraction } from '../src/enrollment/atlas/enroll.ts';
import { lashLines, lidStarts } from '../src/generator/warp/frame-mesh.ts';
import { mouthOpenness, toPixels } from '../src/generator/warp/face-model.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { shots: { type: 'string', default: '1' }, drive: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
const K = Number(values.shots);
if (values.help || !Number.isInteger(K) || K < 1 || K > 16) {
  process.stderr.write('usage: warp-photo-stats.ts [--shots K (1–16)] [--drive] [clip …]\n');
  process.exit(values.help ? 0 : 2);
}
const clipsDir = join(SHARED_DATA_DIR, 'clips'), tracksDir = join(SHARED_DATA_DIR, 'tracks');
const clips = positionals.length ? positionals : readdirSync(clipsDir).filter((f) => f.endsWith('.mp4')).map((f) => f.slice(0, -4)).sort();
const f2 = (v: number) => v.toFixed(2);
process.stdout.write(`clip\tshots\topenness\tteeth\tmouth\tlash lines\tlid starts\tmouth set${values.drive ? '\tinteriors drawn\tchanges/s' : ''}\n`);
for (const clip of clips) {
  const video = join(clipsDir, `${clip}.mp4`), tracksPath = join(tracksDir, `${clip}.jsonl.gz`);
  if (!existsSync(video) || !existsSync(tracksPath)) {
    process.stderr.write(`${clip}: no clip or no reference tracks in ${SHARED_DATA_DIR}\n`);
    process.exitCode = 1;
    continue;
  }
  const tracks = readTracks(tracksPath);
  const candidates: number[] = [];
  for (let i = 0; i < Math.max(1, Math.floor(tracks.length * 0.2)); i++) if (tracks[i]!.landmarks) candidates.push(i);
  if (!candidates.length) { process.stdout.write(`${clip}\t–\tno face in the first 20 %\n`); continue; }
  const k = Math.min(K, candidates.length);
  const shots = [...new Set(Array.from({ length: k }, (_, j) => candidates[Math.min(candidates.length - 1, Math.floor(((j + 0.5) * candidates.length) / k))]!))];
  const photos = shots.map((i) => ({ image: readVideoFrame(video, i), landmarks: tracks[i]!.landmarks! }));
  const pts = photos.map((ph) => toPixels(ph.landmarks, ph.image.width, ph.image.height));
  const opens = pts.map((p) => mouthOpenness(p));
  const most = opens.indexOf(Math.max(...opens));
  const teeth = opens[most]! >= MOUTH_OPEN_THRESHOLD ? teethFraction(photos[most]!.image, pts[most]!, mouthColors(photos[most]!.image, pts[most]!)) : Number.NaN;
  const content = buildWarpContent(photos);
  const row = [clip, shots.join(','), f2(opens[most]!), Number.isNaN(teeth) ? 'closed' : `${(teeth * 100).toFixed(0)} %`, String(content.metadata.mouthSource),
    lashLines(content.atlas).map(f2).join(' '), lidStarts(content.atlas).map(f2).join(' '), String(content.mouthSet?.length ?? 0)];
  if (values.drive) row.push(...await drive(content, tracks));
  process.stdout.write(row.join('\t') + '\n');
}

/** Drives the avatar with every tracked frame: the share of frames per mouth interior, and interior changes per second. */
async function drive(content: ReturnType<typeof buildWarpContent>, tracks: ReturnType<typeof readTracks>): Promise<[string, string]> {
  const g = new WarpGenerator({ backend: 'cpu' }), out = { width: 32, height: 32, data: new Uint8ClampedArray(32 * 32 * 4) };
  await g.initContent(content);
  const count = new Array<number>(1 + (content.mouthSet?.length ?? 0)).fill(0);
  let frames = 0, changes = 0, last: number | null = null, t0 = Infinity, t1 = -Infinity;
  for (const f of tracks) {
    if (!f.landmarks) continue;
    await g.render(f.landmarks, out);
    const k = g.mouthInterior;
    if (k === null) break;
    count[k]!++;
    frames++;
    if (last !== null && k !== last) changes++;
    last = k;
    t0 = Math.min(t0, f.t); t1 = Math.max(t1, f.t);
  }
  g.dispose();
  if (!frames) return ['–', '–'];
  return [count.map((c) => `${Math.round((100 * c) / frames)}`).join('/') + ' %', t1 > t0 ? (changes / ((t1 - t0) / 1000)).toFixed(2) : '–'];
}
