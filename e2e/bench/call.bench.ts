/**
 * npm run bench:call -- [--peers 2] [--seconds 20] [--identity on|off] [--senders all|one] [--json out.json]
 *
 * A real call on this machine: N headless Chromium peers with fake cameras from
 * shared clips, through the real SFU, each rendering the others with the warp
 * generator (CPU backend). Prints capture → render latency p50/p95 (sender's frame
 * capture to the receiver's canvas; camera excluded; same machine, so one clock),
 * render fps, tracker fps and ms/frame, and landmark kbit/s per sender.
 * `--senders one`: only the first peer publishes and the others watch, so the sender's
 * tracker and the receivers' generators do not all share these two cores (in a real call
 * every participant has their own machine).
 */
import { parseArgs } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../packages/client/scripts/lib/chromium.ts';
import { buildHarness } from '../lib/harness.ts';
import { fakeCameraY4m, stillPng } from '../lib/media.ts';
import { startTestSfu } from '../lib/sfu.ts';
import { percentile } from './lib.ts';

const CLIPS = ['edtalk-mouth_source.mp4', 'liveportrait-d5.mp4', 'pcavs-00015.mp4', 'liveportrait-d8.mp4'];

const { values } = (() => {
  try {
    return parseArgs({
      options: { peers: { type: 'string', default: '2' }, seconds: { type: 'string', default: '20' }, identity: { type: 'string', default: 'on' }, senders: { type: 'string', default: 'all' }, json: { type: 'string' } },
      strict: true,
    });
  } catch (err) {
    console.error(`bench:call: ${(err as Error).message}`);
    process.exit(2);
  }
})();
const peers = Number(values.peers);
const seconds = Number(values.seconds);
if (!Number.isInteger(peers) || peers < 2 || peers > CLIPS.length) {
  console.error(`bench:call: --peers must be 2..${CLIPS.length}`);
  process.exit(2);
}
if (!Number.isFinite(seconds) || seconds < 5 || seconds > 600) {
  console.error('bench:call: --seconds must be in [5, 600]');
  process.exit(2);
}

if (values.identity !== 'on' && values.identity !== 'off') {
  console.error('bench:call: --identity must be on or off');
  process.exit(2);
}
const identity = values.identity === 'on';
if (values.senders !== 'all' && values.senders !== 'one') {
  console.error('bench:call: --senders must be all or one');
  process.exit(2);
}
const oneSender = values.senders === 'one';


const staticDir = await buildHarness('sdk-peer', { tracker: true, identity: true });
await mkdir(path.join(staticDir, 'stills'), { recursive: true });
const sfu = await startTestSfu({ VISAGE_STATIC_DIR: staticDir });
const browsers: Browser[] = [];
const pages: Page[] = [];
try {
  for (let i = 0; i < peers; i++) {
    const clip = CLIPS[i]!;
    await stillPng(clip, 0.3, path.join(staticDir, 'stills'), `p${i}.png`);
    const browser = await launchChromium({
      args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required', `--use-file-for-fake-video-capture=${await fakeCameraY4m(clip, { fps: 30 })}`],
    });
    browsers.push(browser);
    const page = await browser.newPage();
    await page.goto(`${sfu.url}/index.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
    const token = await sfu.token({ room: 'bench', peer: `p${i}` });
    const publish = !oneSender || i === 0;
    await page.evaluate(([u, t, p, id, pub]) => window.visageCall.join(u as string, t as string, [p as string], { identity: id as boolean, publish: pub as boolean }), [sfu.url, token, `/stills/p${i}.png`, identity, publish] as const);
    pages.push(page);
  }
  console.error(`${peers} peers joined; warming up…`);
  await new Promise((r) => setTimeout(r, 8000));
  for (const page of pages) await page.evaluate(() => window.visageCall.samples());
  console.error(`measuring for ${seconds} s…`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const measured = await Promise.all(pages.map((p) => p.evaluate(() => window.visageCall.samples())));
  const latencies = measured.flatMap((m) => m.latency).sort((a, b) => a - b);
  // The same frames without the wait for the audio: what the landmark pipeline itself takes.
  const pipeline = measured.flatMap((m) => m.latency.map((v, i) => v - (m.syncWait[i] ?? 0))).sort((a, b) => a - b);
  const transits = measured.flatMap((m) => m.transit).sort((a, b) => a - b);
  const states = await Promise.all(pages.map((p) => p.evaluate(() => window.visageCall.state())));
  // Remote avatars that render (with --senders one, the watchers have none to render).
  const live = states.flatMap((s) => s.peers.filter((p) => p.ready));
  const renderFps = live.map((p) => p.stats.renderFps);
  const renderMs = live.map((p) => p.stats.renderMs);
  const pubs = states.flatMap((s) => (s.publisher ? [s.publisher] : []));
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  const result = {
    peers,
    seconds,
    identity_guard: identity,
    senders: oneSender ? 1 : peers,
    frames_measured: latencies.length,
    latency_p50_ms: Number(percentile(latencies, 50).toFixed(1)),
    latency_p95_ms: Number(percentile(latencies, 95).toFixed(1)),
    pipeline_p50_ms: Number(percentile(pipeline, 50).toFixed(1)),
    pipeline_p95_ms: Number(percentile(pipeline, 95).toFixed(1)),
    transit_p5_ms: Number(percentile(transits, 5).toFixed(1)),
    transit_p50_ms: Number(percentile(transits, 50).toFixed(1)),
    transit_p95_ms: Number(percentile(transits, 95).toFixed(1)),
    render_fps: Number(mean(renderFps).toFixed(1)),
    render_ms: Number(mean(renderMs).toFixed(1)),
    tracker_fps: Number(mean(pubs.map((p) => p.fps)).toFixed(1)),
    tracker_ms: Number(mean(pubs.map((p) => p.trackerMs)).toFixed(1)),
    landmark_kbps: Number(mean(pubs.map((p) => p.kbps)).toFixed(2)),
    face_rate: Number(mean(pubs.map((p) => p.framesWithFace / Math.max(1, p.framesTracked))).toFixed(3)),
    jitter_delay_ms: Number(mean(live.map((p) => p.stats.jitterDelayMs)).toFixed(1)),
    lipsync_delay_ms: Number(mean(live.map((p) => p.stats.lipSyncDelayMs)).toFixed(1)),
    av_offset_ms: live.map((p) => p.stats.avOffsetMs),
    lip_sync_source: live.map((p) => p.stats.lipSyncSource),
    render_thread: live.map((p) => p.stats.thread),
  };
  console.log('peers  latency p50  p95 (ms)  render fps  render ms  tracker fps  tracker ms  kbit/s');
  console.log(
    `${String(peers).padEnd(5)}  ${result.latency_p50_ms.toFixed(1).padStart(11)}  ${result.latency_p95_ms.toFixed(1).padStart(8)}  ${result.render_fps.toFixed(1).padStart(10)}  ${result.render_ms.toFixed(1).padStart(9)}  ${result.tracker_fps.toFixed(1).padStart(11)}  ${result.tracker_ms.toFixed(1).padStart(10)}  ${result.landmark_kbps.toFixed(2).padStart(6)}`,
  );
  console.log(`without the lip-sync wait for the audio: p50 ${result.pipeline_p50_ms} / p95 ${result.pipeline_p95_ms} ms`);
  console.log(`capture → arrival (tracking, encode, SFU, data channel) p5 ${result.transit_p5_ms} / p50 ${result.transit_p50_ms} / p95 ${result.transit_p95_ms} ms over ${transits.length} packets`);
  console.log(`jitter buffer target ${result.jitter_delay_ms} ms, lip-sync delay ${result.lipsync_delay_ms} ms, video−audio offsets ${JSON.stringify(result.av_offset_ms.map((v) => (v === null ? null : Math.round(v))))} ms (${result.lip_sync_source.join(', ')}), rendering in ${result.render_thread.join(', ')}, face found in ${(result.face_rate * 100).toFixed(1)} % of frames`);
  if (values.json) await writeFile(values.json, JSON.stringify(result, null, 2));
} finally {
  for (const b of browsers) await b.close().catch(() => undefined);
  await sfu.close();
}
