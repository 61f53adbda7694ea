/**
 * `npm run eval` end to end on a 0.5 s shared clip (16 frames): real tracking, codec, warp
 * generator and faceres in headless Chromium, a short x264/VP8/AV1 ladder, small crops and few
 * scored frames so it stays short. Checks the result's shape, that the numbers are plausible and
 * reproducible, the side-by-side video, the neural generator's wiring, and bad input: no face,
 * a face only part of the time in a portrait video, a 1-frame clip, a corrupt or missing file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR } from '../packages/client/scripts/lib/paths.ts';
import { VideoInputError } from '../packages/client/scripts/lib/video.ts';
import { EvalInputError, UpscaleSkip, runEval, DEFAULT_EVAL_OPTIONS, type EvalOptions, type EvalResult } from '../models/eval/run.ts';

const CLIP = resolve(SHARED_DATA_DIR, 'clips', 'liveportrait-d1.mp4');
let dir: string;
let first: EvalResult;

const options = (over: Partial<EvalOptions> = {}): EvalOptions => ({
  ...DEFAULT_EVAL_OPTIONS, video: CLIP, size: 128, maxEvalFrames: 4, ladderKbps: [1, 60], cache: false, log: () => {}, ...over,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'visage-eval-e2e-'));
  first = await runEval(options({ sideBySide: join(dir, 'sbs.mp4') }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run eval on a short clip', () => {
  it('produces the issue-7 result shape with plausible numbers', () => {
    const r = first;
    expect(r).toMatchObject({ clip: 'liveportrait-d1.mp4', shots: 1, size: 128 });
    expect(r.frames).toBe(r.details.scoring.indices.length);
    expect(r.frames).toBeGreaterThan(0);
    // 16 frames: frames 0–2 may enroll, 3–15 are driven.
    expect(r.details.driven).toMatchObject({ start: 3, end: 16, count: 13 });
    expect(r.ours.kbps).toBeGreaterThan(0.5);
    expect(r.ours.kbps).toBeLessThan(30);
    expect(r.ours.fps_render).toBeGreaterThan(0);
    expect(r.ours.ssim).toBeGreaterThan(0.5);
    expect(r.ours.csim).toBeGreaterThan(0.5);
    expect(r.ours.face_rate).toBe(1);
    expect(r.ours.akd).toBeLessThan(10);
    expect(r.static.kbps).toBe(0);
    for (const c of ['h264', 'vp8', 'av1'] as const) {
      expect(r.codecs[c]!.length).toBeGreaterThan(0);
      for (const rung of r.codecs[c]!) expect(rung.kbps).toBeGreaterThan(0);
      for (const m of ['ssim', 'psnr', 'csim', 'akd'] as const) {
        const e = r.equivalent_kbps[c]![m];
        expect(e === null || e === 'below' || e === 'above' || (typeof e === 'number' && e > 0)).toBe(true);
      }
    }
    // The sender as the client tracks: every frame measured afresh, One-Euro smoothed; the shots measured as stills.
    expect(r.details).toMatchObject({ track_mode: 'per-frame', track_smoothing: 'one-euro' });
    expect(r.details.tracker).toMatch(/per-frame mode, .*One-Euro smoothed/);
    expect(r.details.enrollment.landmarks).toBe('stills');
    expect(r.details.csim).toMatch(/faceres.*wasm/);
    expect(r.details.render_where).toMatch(/Chromium/);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('reports a per-stage timing breakdown', () => {
    const st = first.details.stages_s!;
    for (const k of ['page_start', 'render', 'page_tracker', 'page_faceres', 'ffmpeg_encode_h264', 'analyse_real']) expect(st[k]).toBeGreaterThanOrEqual(0);
    expect(first.details.timings_s.total).toBeGreaterThan(0);
  });

  it('writes the side-by-side video (real | ours | 3 codecs | static), labelled', () => {
    expect(first.details.side_by_side).toMatch(/real \| ours warp [\d.]+ kbit\/s \| h264 [\d.]+ kbit\/s \| vp8 [\d.]+ kbit\/s \| av1 [\d.]+ kbit\/s \| static\)$/);
    const p = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=width,height,nb_read_frames', '-of', 'csv=p=0', join(dir, 'sbs.mp4')], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect(p.stdout.trim()).toBe(`${128 * 6},128,13`);
  });

  it('gives the same numbers for the same seed', async () => {
    const again = await runEval(options());
    const strip = (r: EvalResult) => ({ ...r, ours: { ...r.ours, fps_render: 0 }, details: { ...r.details, timings_s: {}, stages_s: {}, load: "", side_by_side: null } });
    expect(strip(again)).toEqual(strip(first));
  });

  it('drives with VIDEO-mode tracks and enrolls from them when told (results before session 24)', async () => {
    const old = await runEval(options({ codecs: [], trackMode: 'video', enrollLandmarks: 'track' }));
    expect(old.details.track_mode).toBe('video');
    expect(old.details).not.toHaveProperty('track_smoothing');
    expect(old.details.tracker).toMatch(/video mode, .*no One-Euro smoothing/);
    expect(old.details.enrollment.landmarks).toBe('track');
    expect(old.details.scoring.indices).toEqual(first.details.scoring.indices);
    expect(old.ours.l1).not.toBe(first.ours.l1);
  });

  it('explains a video without a face', async () => {
    const noFace = join(dir, 'noface.mp4');
    const g = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=128x128:rate=25:duration=0.6', '-pix_fmt', 'yuv420p', noFace]);
    expect(g.status).toBe(0);
    const err = await runEval(options({ video: noFace })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvalInputError);
    expect((err as Error).message).toMatch(/no face found in any of the 15 frames/);
  });

  it('evaluates a portrait video whose face is there only part of the time, and says how many frames were usable', async () => {
    const partial = join(dir, 'partial-portrait.mp4');
    // 16 frames of the clip padded to a portrait 512×900 frame, then 10 frames of the same frame without a face.
    const g = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', CLIP, '-f', 'lavfi', '-i', 'color=c=gray:size=512x900:rate=30:duration=0.34',
      '-filter_complex', '[0:v]pad=512:900:0:200,setsar=1,fps=30[a];[1:v]setsar=1,fps=30[b];[a][b]concat=n=2:v=1[out]', '-map', '[out]', '-pix_fmt', 'yuv420p', partial]);
    expect(g.status, g.stderr?.toString()).toBe(0);
    const r = await runEval(options({ video: partial, codecs: ['h264'], ladderKbps: [60], rungFrames: 2 }));
    expect(r.details.video).toMatchObject({ width: 512, height: 900 });
    expect(r.details.frames_with_face).toBeGreaterThanOrEqual(14);
    expect(r.details.frames_with_face).toBeLessThan(r.details.video.frames);
    expect(r.details.warnings.join('\n')).toMatch(/a face was tracked in \d+ of \d+ frames/);
    expect(r.details.driven.face_lost_packets).toBeGreaterThan(0);
    // Only driven frames with a face are scored; the crop stays inside the portrait frame.
    expect(r.frames).toBeGreaterThan(0);
    expect(r.details.crop.y + r.details.crop.side).toBeLessThanOrEqual(900);
    expect(r.ours.face_rate).toBe(1);
    // The codec rung's AKD/CSIM on a 2-frame subset; ours compared on the same frames.
    expect(r.details.rung_subset?.frames).toBe(2);
    expect(r.details.rung_subset?.indices.every((i) => r.details.scoring.indices.includes(i))).toBe(true);
    expect(r.details.rung_subset?.ours.csim).toBeGreaterThan(0);
    expect(r.codecs.h264![0]!.csim).toBeGreaterThan(0);
  });

  it('enrolls after the face appears when the clip starts without one (a profile the tracker misses)', async () => {
    const late = join(dir, 'late-face.mp4');
    // 10 frames without a face, then the 16 frames of the clip: the first 20 % (5 frames) has no face.
    const g = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:size=512x512:rate=30:duration=0.34', '-i', CLIP,
      '-filter_complex', '[0:v]setsar=1,fps=30[a];[1:v]setsar=1,fps=30[b];[a][b]concat=n=2:v=1[out]', '-map', '[out]', '-pix_fmt', 'yuv420p', late]);
    expect(g.status, g.stderr?.toString()).toBe(0);
    const r = await runEval(options({ video: late, codecs: [] }));
    const start = r.details.enrollment.region[0];
    expect(start).toBeGreaterThanOrEqual(9);
    expect(r.details.enrollment.frames.every((f) => f >= start && f < r.details.enrollment.region[1])).toBe(true);
    expect(r.details.warnings.join('\n')).toMatch(/no face in the first 20 % of the clip; enrolling from the first 20 % after the face appears/);
    expect(r.frames).toBeGreaterThan(0);
    expect(r.ours.face_rate).toBe(1);
  });

  it('explains a clip too short to enroll and drive', async () => {
    const one = join(dir, 'one-frame.mp4');
    const g = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', CLIP, '-frames:v', '1', '-pix_fmt', 'yuv420p', one]);
    expect(g.status).toBe(0);
    await expect(runEval(options({ video: one }))).rejects.toThrow(/clip too short: 1 frame\(s\)/);
  });

  it('drives the neural generator (--generator neural), and explains missing weights', async () => {
    const r = await runEval(options({ generator: 'neural', codecs: [] })); // --codecs none: ours and static only
    expect(r.details.generator).toBe('neural');
    expect(r.codecs).toEqual({});
    expect(r.saving).toEqual({});
    expect(r.static.csim).toBeGreaterThan(0);
    expect(r.details.generator_backend).toMatch(/tfjs/);
    expect(r.ours.fps_render).toBeGreaterThan(0);
    expect(r.ours.ssim).toBeGreaterThan(0);
    expect(r.details.enrollment.embedding_bytes).toBeGreaterThan(first.details.enrollment.embedding_bytes);
    // as receivers by default: the eye and mouth refiners, and G only when fitted to the person (not here: no --fine-tune)
    expect(r.details).toMatchObject({ mouth_refiner: true, eye_refiner: 'models/weights/eyes', face_refiner: 'fitted', face_refiner_ran: false });
    await expect(runEval(options({ generator: 'neural', neuralWeights: join(dir, 'no-weights') }))).rejects.toThrow(/neural generator has no weights/);
  });

  it('fine-tunes the neural avatar on the enrollment shots when asked (--fine-tune)', async () => {
    const r = await runEval(options({ generator: 'neural', codecs: [], shots: 2, fineTuneSeconds: 4 }));
    const ft = r.details.enrollment.fine_tune!;
    expect(ft).toMatchObject({ backend: 'wasm', pairs: 2 });
    expect(ft.steps).toBeGreaterThan(0);
    expect(ft.l1After).toBeLessThan(ft.l1Before);
    expect(ft.tunedTensors).toBeGreaterThan(0); // two photos: no held-out pair, the last step ships
    expect(r.details.face_refiner_ran).toBe(true); // fitted: G runs
    expect(r.ours.csim).toBeGreaterThan(0);
    await expect(runEval(options({ fineTuneSeconds: 4, shots: 2 }))).rejects.toThrow(/fine-tuning needs --generator neural/);
  });

  it('refuses to score an upscale when asked (eval:all at sizes above the smallest)', async () => {
    const err = await runEval(options({ size: 1024, noUpscale: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpscaleSkip);
    expect((err as UpscaleSkip).faceSide).toBe(first.details.crop.side);
    expect((err as UpscaleSkip).message).toMatch(/smaller than 1024 px/);
  });

  it('explains a corrupt file', async () => {
    const bad = join(dir, 'corrupt.mp4');
    writeFileSync(bad, Buffer.from('definitely not an mp4 file'.repeat(40)));
    await expect(runEval(options({ video: bad }))).rejects.toThrow(VideoInputError);
    await expect(runEval(options({ video: join(dir, 'missing.mp4') }))).rejects.toThrow(/not found/);
  });

  it('the CLI rejects bad arguments with usage (exit 2)', () => {
    const p = spawnSync(process.execPath, ['--import', 'tsx', resolve('models/eval/eval.ts'), CLIP, '--shots', '0'], { encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--shots must be an integer/);
  });
});
