/**
 * The real browser tracking code (FaceTracker in a module Worker, CPU delegate) in
 * headless Chromium on 30 frames of a shared clip: face found, landmarks close to the
 * reference track, and nothing requested from any host but the page's own server
 * (tasks-vision's usage telemetry is blocked by the Content-Security-Policy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
