/**
 * The real browser tracking code (FaceTracker in a module Worker, CPU delegate) in
 * headless Chromium on 30 frames of a shared clip: face found, landmarks close to the
 * reference track, and nothing requested from any host but the page's own server
 * (tasks-vision's usage telemetry is blocked by the Content-Security-Policy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import type { FaceFrame } from '@visage/protocol';
import { launchChromium } from '../packages/client/scripts/lib/chromium.ts';
import { SHARED_DATA_DIR } from '../packages/client/scripts/lib/paths.ts';
import { openTrackSession } from '../packages/client/scripts/lib/track-session.ts';
import type { TrackSession } from '../packages/client/scripts/lib/track-session.ts';
import { compareTracks, readTracksFile } from '../packages/client/scripts/lib/tracks.ts';
import { decodeRgbaFrames, frameTimestampMs, probeVideo } from '../packages/client/scripts/lib/video.ts';

const CLIP = 'pcavs-00015';
const FRAMES = 30;
const TELEMETRY_HOST = 'odml.pa.googleapis.com';

async function trackFrames(session: TrackSession, count: number): Promise<{ frames: FaceFrame[]; ms: number[]; width: number; height: number }> {
  const info = await probeVideo(resolve(SHARED_DATA_DIR, 'clips', `${CLIP}.mp4`));
  const frames: FaceFrame[] = [];
  const ms: number[] = [];
  for await (const rgba of decodeRgbaFrames(info)) {
    if (frames.length >= count) break;
    const r = await session.track(rgba, info.width, info.height, frameTimestampMs(frames.length, info.fps));
    frames.push(r.frame);
    ms.push(r.ms);
  }
  return { frames, ms, width: info.width, height: info.height };
}

/** Closes the tracker in the page (tasks-vision flushes its telemetry then) and waits. */
async function closeTrackerAndSettle(session: TrackSession): Promise<void> {
  await session.page.evaluate(() => (globalThis as unknown as { visage: { close(): Promise<void> } }).visage.close());
  await new Promise((r) => setTimeout(r, 1000));
}

describe('face tracking in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(`tracks ${FRAMES} frames of ${CLIP} like the reference, without phoning home`, async () => {
    const session = await openTrackSession({ browser, delegate: 'CPU' });
    try {
      expect(session.info.delegate).toBe('CPU');
      expect(session.info.thread).toBe('worker');
      const { frames, ms, width, height } = await trackFrames(session, FRAMES);
      expect(frames).toHaveLength(FRAMES);

      const withFace = frames.filter((f) => f.landmarks).length;
      expect(withFace / FRAMES).toBeGreaterThanOrEqual(0.95);
      for (const f of frames.filter((x) => x.landmarks)) {
        expect(f.landmarks).toHaveLength(1434);
        expect(f.blendshapes).toHaveLength(52);
        expect(f.matrix).toHaveLength(16);
      }

      const reference = await readTracksFile(resolve(SHARED_DATA_DIR, 'tracks', `${CLIP}.jsonl.gz`));
      const cmp = compareTracks(frames, reference, width, height);
      console.log(`${CLIP}: face ${withFace}/${FRAMES}, mean ${cmp.meanPx.toFixed(3)} px (p95 ${cmp.p95Px.toFixed(3)}) vs reference, landmarker ${(ms.slice(1).reduce((a, b) => a + b, 0) / (FRAMES - 1)).toFixed(1)} ms/frame`);
      expect(cmp.matched).toBe(FRAMES);
      expect(cmp.faceDisagreements).toBe(0);
      expect(cmp.meanPx).toBeLessThan(1);
      expect(cmp.meanBlendshape).toBeLessThan(0.02);

      await closeTrackerAndSettle(session);
      const foreign = session.requests.filter((u) => !u.startsWith(session.server.origin + '/'));
      expect(foreign).toEqual([]);
      // The model and wasm came from our server, not a CDN.
      expect(session.requests.some((u) => u.endsWith('/models/mediapipe/face_landmarker.task'))).toBe(true);
      expect(session.requests.some((u) => u.includes('/mediapipe/wasm/vision_wasm'))).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("per-frame mode measures each frame afresh; video mode follows from the previous one", async () => {
    const info = await probeVideo(resolve(SHARED_DATA_DIR, 'clips', `${CLIP}.mp4`));
    let first: Uint8Array | null = null;
    for await (const rgba of decodeRgbaFrames(info)) {
      first = rgba;
      break;
    }
    // The same frame three times: per-frame gives the same landmarks each time (a function of
    // the pixels); video mode moves them (the face is looked for where it was, and smoothed).
    const repeat = async (mode: 'video' | 'per-frame') => {
      const session = await openTrackSession({ browser, delegate: 'CPU', mode });
      try {
        const out: FaceFrame[] = [];
        for (let k = 0; k < 3; k++) out.push((await session.track(first!, info.width, info.height, frameTimestampMs(k, info.fps))).frame);
        return out;
      } finally {
        await session.close();
      }
    };
    const spread = (fs: FaceFrame[]) => Math.max(...fs.slice(1).map((f) => Math.max(...f.landmarks!.map((v, i) => Math.abs(v - fs[0]!.landmarks![i]!)))));
    const perFrame = await repeat('per-frame');
    const video = await repeat('video');
    for (const f of [...perFrame, ...video]) {
      expect(f.landmarks).toHaveLength(1434);
      expect(f.blendshapes).toHaveLength(52);
    }
    expect(spread(perFrame)).toBe(0);
    expect(spread(video)).toBeGreaterThan(1e-4);
  });

  it('per-frame mode keeps following its face when a larger one comes into view, and past a still', async () => {
    // One portrait small on the left; then the same portrait also large on the right.
    const W = 640, H = 360;
    const still = resolve(SHARED_DATA_DIR, 'stills', 'liveportrait-s1.jpg');
    const frame = (both: boolean) => new Uint8Array(execFileSync('ffmpeg', ['-v', 'error', '-i', still, '-filter_complex',
      both
        ? `color=c=gray:s=${W}x${H}[bg];[0]split[x][y];[x]scale=250:250[a];[y]scale=340:340[b];[bg][a]overlay=20:60[t];[t][b]overlay=290:10`
        : `color=c=gray:s=${W}x${H}[bg];[0]scale=250:250[a];[bg][a]overlay=20:60`,
      '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], { maxBuffer: W * H * 4 + 1024 }));
    const small = frame(false), two = frame(true);
    const centreX = (f: FaceFrame) => {
      const xs = f.landmarks!.filter((_, i) => i % 3 === 0);
      return (Math.min(...xs) + Math.max(...xs)) / 2;
    };
    const session = await openTrackSession({ browser, delegate: 'CPU', mode: 'per-frame' });
    try {
      expect(centreX((await session.track(two, W, H, 0)).frame)).toBeGreaterThan(0.5); // nothing tracked yet: the largest face
      await session.page.evaluate(() => (globalThis as unknown as { visage: { close(): Promise<void> } }).visage.close());
    } finally {
      await session.close();
    }
    const following = await openTrackSession({ browser, delegate: 'CPU', mode: 'per-frame' });
    try {
      expect(centreX((await following.track(small, W, H, 0)).frame)).toBeLessThan(0.5);
      for (let k = 1; k <= 3; k++) expect(centreX((await following.track(two, W, H, k * 33)).frame)).toBeLessThan(0.5);
      // An enrollment still among the camera's frames: its own largest face, and the camera's
      // next frame still continues the small one.
      expect(centreX((await following.track(two, W, H, 132, { still: true })).frame)).toBeGreaterThan(0.5);
      expect(centreX((await following.track(two, W, H, 165)).frame)).toBeLessThan(0.5);
    } finally {
      await following.close();
    }
  });

  it('blocks the telemetry on the main-thread fallback too (CSP violation reported, no request)', async () => {
    const session = await openTrackSession({ browser, delegate: 'CPU', thread: 'main' });
    try {
      expect(session.info.thread).toBe('main');
      const { frames } = await trackFrames(session, 3);
      expect(frames.every((f) => f.landmarks)).toBe(true);
      await closeTrackerAndSettle(session);
      expect(session.requests.filter((u) => !u.startsWith(session.server.origin + '/'))).toEqual([]);
      // tasks-vision did try: Chromium reports the refused connection.
      expect(session.consoleErrors.some((e) => e.includes(TELEMETRY_HOST))).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('would see the telemetry request without the CSP (the checks above can fail)', async () => {
    // Main thread: a worker's pending request would die with the terminated worker.
    const session = await openTrackSession({ browser, delegate: 'CPU', thread: 'main', csp: null });
    // Nothing may leave even here: abort anything not bound for the local server.
    await session.page.context().route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
    try {
      await trackFrames(session, 3);
      await closeTrackerAndSettle(session);
      expect(session.requests.some((u) => new URL(u).host === TELEMETRY_HOST)).toBe(true);
    } finally {
      await session.close();
    }
  });
});
