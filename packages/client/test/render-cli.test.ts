/**
 * `npm run render` (packages/client/scripts/render.ts) as a user runs it: a photo and a driving
 * tracks file in, an mp4 and PNG frames out, through the warp generator and through the neural
 * refiner (the committed weights, tfjs wasm). Landmarks of the photo come from --photo-tracks,
 * so no browser is needed; ffmpeg is real.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../src/generator/png.ts';
import { REPO_ROOT } from '../scripts/lib/paths.ts';
import { loadLandmarks } from './warp-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'visage-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (t: number, lm: Float32Array) => JSON.stringify({ t, landmarks: Array.from({ length: lm.length / 3 }, (_, i) => [lm[i * 3], lm[i * 3 + 1], lm[i * 3 + 2]]) });
const photo = resolve(REPO_ROOT, 'packages/client/test/fixtures/warp/edtalk-pose_source1-f30.png');
writeFileSync(join(dir, 'photo.jsonl'), line(0, loadLandmarks(30)) + '\n');
writeFileSync(join(dir, 'drive.jsonl'), [line(0, loadLandmarks(50)), line(40, loadLandmarks(30)), line(80, loadLandmarks(50))].join('\n') + '\n');

function render(generator: string, extra: string[] = []) {
  const out = join(dir, `${generator}.mp4`), frames = join(dir, generator);
  spawnSync('mkdir', ['-p', frames]);
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'packages/client/scripts/render.ts'),
    '--photos', photo, '--photo-tracks', join(dir, 'photo.jsonl'), '--tracks', join(dir, 'drive.jsonl'),
    '--out', out, '--size', '128', '--frames-dir', frames, '--frames-every', '1', '--generator', generator, ...extra], { encoding: 'utf8', cwd: REPO_ROOT });
  const png = (i: number) => decodePng(new Uint8Array(readFileSync(join(frames, `frame-${String(i).padStart(5, '0')}.png`))));
  return { ...r, out, png };
}
const frameCount = (mp4: string) => Number(spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', mp4], { encoding: 'utf8' }).stdout.trim());
const meanAbs = (a: Uint8ClampedArray, b: Uint8ClampedArray) => { let s = 0; for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!); return s / a.length; };

describe('npm run render', () => {
  it('animates a photo with the warp and with the neural refiner; the two agree closely', async () => {
    const warp = render('warp');
    expect(warp.status, warp.stderr).toBe(0);
    expect(warp.stderr).toMatch(/wrote 3 frames 128×128 .*CPU backend/);
    const neural = render('neural');
    expect(neural.status, neural.stderr).toBe(0);
    expect(neural.stderr).toMatch(/wrote 3 frames 128×128 .*neural refiner over the warp \+ mouth refiner, tfjs wasm/);
    expect(frameCount(warp.out)).toBe(3);
    expect(frameCount(neural.out)).toBe(3);
    const [w0, w1, n0] = await Promise.all([warp.png(0), warp.png(1), neural.png(0)]);
    // The driver moves the face between frames 0 and 1 …
    expect(meanAbs(w0.data, w1.data)).toBeGreaterThan(1);
    // … and the refiner draws the warp render plus a small correction of the face.
    expect(meanAbs(w0.data, n0.data)).toBeLessThan(4);
  }, 180_000);

  it('refuses an unknown generator and missing weights with a clear message', () => {
    const bad = render('gan');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--generator must be warp or neural/);
    const noWeights = render('neural', ['--weights', join(dir, 'nowhere')]);
    expect(noWeights.status).toBe(1);
    expect(noWeights.stderr).toMatch(/nowhere/);
    const noMouth = render('neural', ['--mouth-weights', join(dir, 'nomouth')]);
    expect(noMouth.status).toBe(1);
    expect(noMouth.stderr).toMatch(/nomouth/);
    const warpMouth = render('warp', ['--no-mouth']);
    expect(warpMouth.status).toBe(2);
    expect(warpMouth.stderr).toMatch(/need --generator neural/);
  }, 120_000);
});
