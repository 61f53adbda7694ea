/** Input validation of the `npm run track` decoder (scripts/lib/video.ts); needs ffmpeg. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SHARED_DATA_DIR } from '../../scripts/lib/paths.ts';
import { VideoInputError, decodeRgbaFrames, frameTimestampMs, probeVideo } from '../../scripts/lib/video.ts';

const CLIP = resolve(SHARED_DATA_DIR, 'clips/liveportrait-d1.mp4');
const dir = mkdtempSync(join(tmpdir(), 'visage-video-'));

describe('probeVideo / decodeRgbaFrames', () => {
  it('probes size, fps and frame count', async () => {
    const info = await probeVideo(CLIP);
    expect(info).toMatchObject({ width: 512, height: 512, fps: 30, frameCount: 16 });
  });

  it('decodes every frame as RGBA', async () => {
    const info = await probeVideo(CLIP);
    let n = 0;
    for await (const f of decodeRgbaFrames(info)) {
      expect(f.length).toBe(512 * 512 * 4);
      n++;
    }
    expect(n).toBe(16);
  });

  it('timestamps frames like the reference tracks', () => {
    expect(frameTimestampMs(1, 30)).toBe(33.333);
    expect(frameTimestampMs(2, 1350 / 61)).toBe(90.37);
  });

  it('rejects a missing file, a non-video and an audio-only file', async () => {
    await expect(probeVideo(join(dir, 'nope.mp4'))).rejects.toThrow(/not found/);
    const text = join(dir, 'text.mp4');
    writeFileSync(text, 'hello');
    await expect(probeVideo(text)).rejects.toBeInstanceOf(VideoInputError);
  });

  it('fails with VideoInputError on corrupt frame data', async () => {
    const bytes = readFileSync(resolve(SHARED_DATA_DIR, 'clips/pcavs-00015.mp4'));
    let seed = 1;
    for (let i = Math.floor(bytes.length / 3); i < Math.floor(bytes.length / 3) + 20000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      bytes[i] = seed >>> 24;
    }
    const bad = join(dir, 'corrupt.mp4');
    writeFileSync(bad, bytes);
    const info = await probeVideo(bad);
    const run = async () => {
      for await (const _ of decodeRgbaFrames(info)) void _;
    };
    await expect(run()).rejects.toThrow(/could not decode/);
  });
});
