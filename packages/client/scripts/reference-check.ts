/**
 * tsx packages/client/scripts/reference-check.ts <clip> [<clip>...] [--max-frames N] [--delegate cpu|auto] [--mode video|per-frame]
 *
 * Tracks shared clips (../shared/data/clips/<clip>.mp4) with the real browser code and
 * compares each with its reference track (../shared/data/tracks/<clip>.jsonl.gz):
 * face-found rate, landmarker ms/frame, mean landmark difference in pixels. `--mode per-frame`
 * measures how far the per-frame mode is from the reference's VIDEO mode.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { FaceFrame } from '@visage/protocol';
import { launchChromium } from './lib/chromium.ts';
import { SHARED_DATA_DIR } from './lib/paths.ts';
import { compareTracks, readTracksFile } from './lib/tracks.ts';
import { openTrackSession } from './lib/track-session.ts';
import { decodeRgbaFrames, frameTimestampMs, probeVideo } from './lib/video.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'max-frames': { type: 'string' }, delegate: { type: 'string' }, thread: { type: 'string' }, mode: { type: 'string' } },
});
if (!positionals.length) {
  process.stderr.write('usage: reference-check.ts <clip> [<clip>...] [--max-frames N] [--delegate cpu|auto] [--thread auto|main] [--mode video|per-frame]\n');
  process.exit(2);
}
const maxFrames = values['max-frames'] ? Number(values['max-frames']) : Infinity;
const delegate = values.delegate === 'auto' ? 'auto' : values.delegate === 'gpu' ? 'GPU' : 'CPU';
const thread = values.thread === 'main' ? 'main' : values.thread === 'worker' ? 'worker' : 'auto';
const mode = values.mode === 'per-frame' ? 'per-frame' : 'video';
const browser = await launchChromium();
const rows: string[] = ['clip\tframes\tface %\tref face %\tms/frame (landmarker)\tms/frame (page)\tmean px\tp95 px\tmax px\tmean |Δblendshape|\tface disagreements'];
try {
  for (const clip of positionals) {
    const name = clip.replace(/\.mp4$/, '');
    const info = await probeVideo(resolve(SHARED_DATA_DIR, 'clips', `${name}.mp4`));
    const ref = await readTracksFile(resolve(SHARED_DATA_DIR, 'tracks', `${name}.jsonl.gz`));
    const session = await openTrackSession({ browser, delegate, thread, mode });
    const ours: FaceFrame[] = [];
    let ms = 0;
    let total = 0;
    try {
      let i = 0;
      for await (const rgba of decodeRgbaFrames(info)) {
        if (i >= maxFrames) break;
        const r = await session.track(rgba, info.width, info.height, frameTimestampMs(i++, info.fps));
        ours.push(r.frame);
        // The first frame pays for graph warm-up; keep it out of the average.
        if (i > 1) {
          ms += r.ms;
          total += r.totalMs;
        }
      }
    } finally {
      await session.close();
    }
    const c = compareTracks(ours, ref, info.width, info.height);
    const face = ours.filter((f) => f.landmarks).length;
    const refSlice = ref.slice(0, ours.length);
    const refFace = refSlice.filter((f) => f.landmarks).length;
    const n = Math.max(ours.length - 1, 1);
    rows.push(
      [name, ours.length, ((100 * face) / ours.length).toFixed(1), ((100 * refFace) / refSlice.length).toFixed(1), (ms / n).toFixed(1), (total / n).toFixed(1),
        c.meanPx.toFixed(3), c.p95Px.toFixed(3), c.maxPx.toFixed(2), c.meanBlendshape.toFixed(4), c.faceDisagreements].join('\t'),
    );
    process.stderr.write(`${rows.at(-1)}  [${session.info.delegate}/${session.info.thread}, ${mode} mode]\n`);
  }
} finally {
  await browser.close();
}
process.stdout.write(rows.join('\n') + '\n');
