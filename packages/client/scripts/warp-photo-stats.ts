/**
 * npx tsx packages/client/scripts/warp-photo-stats.ts [--shots K] [clip …]
 *
 * What the warp enrollment sees in each clip's enrollment photos (K frames at the centres of K
 * equal bins of the clip's first 20 % with a face, as `npm run eval` picks them; landmarks from
 * ../shared/data/tracks): the most open mouth, the fraction of its opening as bright as teeth
 * (`teethFraction`), where the mouth patch comes from (a photo's index, or 'synthetic'), each upper
 * lid's lash line (`lashLines`) and where its lid starts (`lidStarts`). Clips: all of
 * ../shared/data/clips by default.
 */
import { parseArgs } from 'node:util';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readTracks, readVideoFrame } from './warp-io.ts';
import { SHARED_DATA_DIR } from './lib/paths.ts';
import { MOUTH_OPEN_THRESHOLD, buildWarpContent, mouthColors, teethFraction } from '../src/enrollment/atlas/enroll.ts';
import { lashLines, lidStarts } from '../src/generator/warp/frame-mesh.ts';
import { mouthOpenness, toPixels } from '../src/generator/warp/face-model.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { shots: { type: 'string', default: '1' }, help: { type: 'boolean', short: 'h' } } });
const K = Number(values.shots);
if (values.help || !Number.isInteger(K) || K < 1 || K > 16) {
  process.stderr.write('usage: warp-photo-stats.ts [--shots K (1–16)] [clip …]\n');
  process.exit(values.help ? 0 : 2);
}
const clipsDir = join(SHARED_DATA_DIR, 'clips'), tracksDir = join(SHARED_DATA_DIR, 'tracks');
const clips = positionals.length ? positionals : readdirSync(clipsDir).filter((f) => f.endsWith('.mp4')).map((f) => f.slice(0, -4)).sort();
const f2 = (v: number) => v.toFixed(2);
process.stdout.write('clip\tshots\topenness\tteeth\tmouth\tlash lines\tlid starts\n');
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
  process.stdout.write([clip, shots.join(','), f2(opens[most]!), Number.isNaN(teeth) ? 'closed' : `${(teeth * 100).toFixed(0)} %`, String(content.metadata.mouthSource),
    lashLines(content.atlas).map(f2).join(' '), lidStarts(content.atlas).map(f2).join(' ')].join('\t') + '\n');
}
