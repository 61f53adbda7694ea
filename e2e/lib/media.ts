/** Test media made with ffmpeg from the shared clips: fake-camera .y4m files and enrollment stills. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SHARED_DATA_DIR } from '../../packages/client/scripts/lib/paths.ts';

const run = promisify(execFile);
export const CLIPS_DIR = path.join(SHARED_DATA_DIR, 'clips');
const CACHE = path.join(tmpdir(), 'visage-e2e-media');

/** A .y4m for Chromium's fake camera: `seconds` of the clip at `fps`, scaled to `size` px high. */
export async function fakeCameraY4m(clip: string, options: { seconds?: number; fps?: number; size?: number } = {}): Promise<string> {
  const { seconds = 6, fps = 15, size = 256 } = options;
  await mkdir(CACHE, { recursive: true });
  const out = path.join(CACHE, `${path.basename(clip, '.mp4')}-${seconds}s-${fps}fps-${size}.y4m`);
  if (!existsSync(out)) {
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', path.join(CLIPS_DIR, clip), '-t', String(seconds), '-an',
      '-vf', `fps=${fps},scale=-2:${size}`, '-pix_fmt', 'yuv420p', out]);
  }
  return out;
}

/** A PNG still of the clip at `atSeconds` (an enrollment photo). */
export async function stillPng(clip: string, atSeconds: number, dir: string, name: string): Promise<string> {
  const out = path.join(dir, name);
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-ss', String(atSeconds), '-i', path.join(CLIPS_DIR, clip), '-frames:v', '1', out]);
  return out;
}

/**
 * A fake camera whose face comes and goes: `faceSeconds` of the clip, then
 * `blankSeconds` of an empty grey frame (Chromium loops the file).
 */
export async function blinkingCameraY4m(clip: string, faceSeconds = 4, blankSeconds = 3, size = 256, fps = 15): Promise<string> {
  await mkdir(CACHE, { recursive: true });
  const out = path.join(CACHE, `${path.basename(clip, '.mp4')}-blink-${faceSeconds}-${blankSeconds}-${size}.y4m`);
  if (!existsSync(out)) {
    await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', path.join(CLIPS_DIR, clip),
      '-f', 'lavfi', '-i', `color=c=gray:s=${size}x${size}:r=${fps}:d=${blankSeconds}`,
      '-filter_complex', `[0:v]trim=0:${faceSeconds},fps=${fps},scale=${size}:${size},setsar=1,setpts=PTS-STARTPTS[a];[1:v]setsar=1[b];[a][b]concat=n=2:v=1:a=0,format=yuv420p[v]`,
      '-map', '[v]', out]);
  }
  return out;
}
