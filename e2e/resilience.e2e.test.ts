/**
 * What goes wrong in real calls: a sender's face leaves the frame and comes back,
 * and the SFU restarts under everyone (clients rejoin by themselves and keep their
 * MediaStreams).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../packages/client/scripts/lib/chromium.ts';
import { buildHarness } from './lib/harness.ts';
import { blinkingCameraY4m, fakeCameraY4m, stillPng } from './lib/media.ts';
import { startTestSfu, type TestSfu } from './lib/sfu.ts';

let sfu: TestSfu;
let staticDir: string;
const browsers: Browser[] = [];
const pages = new Map<string, Page>();
const state = (id: string) => pages.get(id)!.evaluate(() => window.visageCall.state());

beforeAll(async () => {
  staticDir = await buildHarness('sdk-peer', { tracker: true, identity: true });
  await mkdir(path.join(staticDir, 'stills'), { recursive: true });
  sfu = await startTestSfu({ VISAGE_STATIC_DIR: staticDir });
  const peers = [
    { id: 'ada', clip: 'edtalk-mouth_source.mp4', camera: await fakeCameraY4m('edtalk-mouth_source.mp4') },
    { id: 'ben', clip: 'liveportrait-d5.mp4', camera: await blinkingCameraY4m('liveportrait-d5.mp4') },
  ];
  for (const peer of peers) {
    await stillPng(peer.clip, 0.3, path.join(staticDir, 'stills'), `${peer.id}.png`);
    const browser = await launchChromium({
      args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${peer.camera}`],
    });
    browsers.push(browser);
    const page = await browser.newPage();
    await page.goto(`${sfu.url}/index.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
    pages.set(peer.id, page);
    const token = await sfu.token({ room: 'resilience', peer: peer.id, ttlSeconds: 600 });
    await page.evaluate(([u, t, p]) => window.visageCall.join(u!, t!, [p!]), [sfu.url, token, `/stills/${peer.id}.png`]);
  }
});

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await sfu?.close();
});

async function bothLive(): Promise<void> {
  for (const id of ['ada', 'ben']) {
    await expect
      .poll(async () => (await state(id)).peers.filter((p) => p.ready && p.stats.renderFps > 0).length, { timeout: 60_000, interval: 1000 })
      .toBe(1);
  }
}

it('lets each sender through once its live face matches its enrollment (identity guard)', async () => {
  await bothLive();
  for (const id of ['ada', 'ben']) expect((await state(id)).events).toContain('identity:match');
});

it('reports a face leaving the frame to the sender and the receivers, then recovers', async () => {
  await bothLive();
  // ben's camera shows 4 s of face, then 3 s of an empty frame, in a loop.
  await expect.poll(async () => (await state('ben')).events.includes('faceLost:self:true:no-face'), { timeout: 30_000 }).toBe(true);
  // ada is told it is ben's camera (his face-lost packets), not his connection.
  await expect.poll(async () => (await state('ada')).events.includes('faceLost:ben:true:no-face'), { timeout: 30_000 }).toBe(true);
  await expect
    .poll(async () => {
      const events = (await state('ada')).events;
      return events.lastIndexOf('faceLost:ben:false') > events.indexOf('faceLost:ben:true:no-face');
    }, { timeout: 30_000 })
    .toBe(true);
});

/** Both pages' recent events, errors and stats: printed when a step fails, so a CI log says why. */
async function dump(): Promise<string> {
  const out: string[] = [];
  for (const id of ['ada', 'ben']) {
    try {
      const s = await state(id);
      out.push(`${id}: ${JSON.stringify({ events: s.events.slice(-12), errors: s.errors, publisher: s.publisher, peers: s.peers.map((p) => ({ id: p.id, ready: p.ready, stats: p.stats })) })}`);
    } catch (err) {
      out.push(`${id}: no state (${String(err)})`);
    }
  }
  return out.join('\n');
}

/** How long each step of the running test took (printed with a failure). */
const stepLog: string[] = [];

async function explained<T>(step: string, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    const r = await run();
    stepLog.push(`${step}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  } catch (err) {
    console.error(`${step} failed after ${((performance.now() - t0) / 1000).toFixed(1)} s (before it: ${stepLog.join(', ') || 'nothing'}); the pages' state:\n${await dump()}`);
    throw err;
  }
}

// Its steps wait up to 60 s each (both pages: up to 8 min on a loaded machine); the test's own
// limit is above their sum, so a stuck step fails by itself, with the pages' state, while they are open.
it('rejoins by itself when the SFU restarts, keeping the same MediaStreams', async () => {
  stepLog.length = 0;
  await explained('both live before the restart', bothLive);
  const streamsBefore = await Promise.all(['ada', 'ben'].map(async (id) => (await state(id)).peers[0]!.streamId));
  const port = sfu.port;
  await explained('SFU restart', async () => {
    await sfu.close();
    sfu = await startTestSfu({ VISAGE_STATIC_DIR: staticDir, PORT: String(port) });
  });
  for (const id of ['ada', 'ben']) {
    await explained(`${id} rejoining`, () => expect.poll(async () => (await state(id)).events.some((e) => e.startsWith('reconnected:')), { timeout: 60_000 }).toBe(true));
  }
  // Frames are drawn again from fresh packets after the restart.
  for (const id of ['ada', 'ben']) {
    const before = (await state(id)).peers[0]!.stats.packets;
    await explained(`${id} receiving after the restart`, () => expect.poll(async () => (await state(id)).peers[0]?.stats.packets ?? 0, { timeout: 60_000 }).toBeGreaterThan(before + 20));
  }
  await explained('both live again', bothLive);
  const streamsAfter = await Promise.all(['ada', 'ben'].map(async (id) => (await state(id)).peers[0]!.streamId));
  expect(streamsAfter).toEqual(streamsBefore);
}, 600_000);

// The server-side transports of one peer go away (as when its ICE or DTLS dies mid-call): its
// browser sees the transport fail and rejoins by itself; the other peer keeps its MediaStream.
it('rejoins by itself when its media transports fail, keeping the same MediaStreams', async () => {
  stepLog.length = 0;
  await explained('both live before the failure', bothLive);
  const streamsBefore = await Promise.all(['ada', 'ben'].map(async (id) => (await state(id)).peers[0]!.streamId));
  const rejoins = async () => (await state('ada')).events.filter((e) => e.startsWith('reconnected:')).length;
  const rejoinsBefore = await rejoins();
  const benSawAdaLeave = async () => (await state('ben')).events.filter((e) => e === 'left:ada').length;
  const leavesBefore = await benSawAdaLeave();
  const benEventsBefore = (await state('ben')).events.length;
  await explained("ada's transports closed on the server", async () => {
    const peer = sfu.rooms.rooms.get('resilience')?.peers.get('ada');
    if (!peer || peer.transports.size === 0) throw new Error('ada has no transports on the server');
    for (const transport of peer.transports.values()) transport.close();
  });
  await explained('ada sees a transport fail', () => expect.poll(async () => (await state('ada')).events.some((e) => /^disconnected:(send|recv) transport failed$/.test(e)), { timeout: 60_000 }).toBe(true));
  await explained('ada rejoining', () => expect.poll(rejoins, { timeout: 60_000 }).toBeGreaterThan(rejoinsBefore));
  await explained('both live again', bothLive);
  const streamsAfter = await Promise.all(['ada', 'ben'].map(async (id) => (await state(id)).peers[0]!.streamId));
  expect(streamsAfter).toEqual(streamsBefore);
  // ada left her old connection to rejoin: the server held her place, so ben never saw her leave,
  // and saw her as reconnecting (her channel closed) until her new one arrived.
  expect(await benSawAdaLeave()).toBe(leavesBefore);
  const benEvents = (await state('ben')).events;
  // Meanwhile ada's face motion stopped arriving: ben was told it was the data, not her camera.
  expect(benEvents.slice(benEventsBefore)).toContain('faceLost:ada:true:no-data');
  const down = benEvents.lastIndexOf('connected:ada:false');
  expect(down).toBeGreaterThanOrEqual(0);
  expect(benEvents.indexOf('connected:ada:true', down)).toBeGreaterThan(down);
}, 600_000);

// ada comes back tracking 5 frames a second (maxFps 6 paces her 15-fps camera to every third
// frame): ben's face of her moves in steps, and his tile says it is her device, not the link.
it("tells a receiver that a face moves in steps because its sender tracks few frames", async () => {
  stepLog.length = 0;
  await explained('both live before', bothLive);
  await pages.get('ada')!.evaluate(() => window.visageCall.leave());
  const token = await sfu.token({ room: 'resilience', peer: 'ada', ttlSeconds: 600 });
  await pages.get('ada')!.evaluate(([u, t, p]) => window.visageCall.join(u!, t!, [p!], { maxFps: 6 }), [sfu.url, token, '/stills/ada.png']);
  const adaSeenByBen = async () => (await state('ben')).peers.find((p) => p.id === 'ada')?.stats;
  // The loss estimate needs 16 of her packets (3 s at her rate), the rate 5 frame steps.
  await explained('ben sees ada limited by her sender', () => expect.poll(async () => {
    const s = await adaSeenByBen();
    return s?.lossRate === null ? 'loss not yet known' : (s?.motionLimit ?? null);
  }, { timeout: 90_000, interval: 1000 }).toBe('sender'));
  const stats = (await adaSeenByBen())!;
  expect(stats.senderFps!).toBeGreaterThan(3);
  expect(stats.senderFps!).toBeLessThan(7);
  expect(stats.lossRate!).toBeLessThan(0.5);
  // Her own device is not behind: it tracks every frame it was asked to.
  const pub = (await state('ada')).publisher!;
  expect(pub.cameraFps).toBeLessThan(7);
  // The tile captions it while her face is drawn (lost, when a render flips to it, takes precedence).
  await expect.poll(async () => {
    const tile = await pages.get('ben')!.evaluate(() => window.visageCall.tileStatus('ada'));
    return tile.lost === null ? `${tile.choppy}: ${tile.caption}` : 'lost';
  }, { timeout: 30_000, interval: 500 }).toBe('sender: Choppy motion · their device is busy');
}, 300_000);

it('does not publish an avatar of someone else without the right (identity guard)', async () => {
  // eve's camera shows one person, her enrollment photo another (ada's still).
  const browser = await launchChromium({
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${await fakeCameraY4m('pcavs-00015.mp4')}`],
  });
  browsers.push(browser);
  const page = await browser.newPage();
  await page.goto(`${sfu.url}/index.html`);
  await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
  pages.set('eve', page);
  const token = await sfu.token({ room: 'resilience', peer: 'eve', ttlSeconds: 600 });
  await page.evaluate(([u, t, p]) => window.visageCall.join(u!, t!, [p!]), [sfu.url, token, '/stills/ada.png']);
  await expect.poll(async () => (await state('eve')).events.some((e) => e === 'identity:mismatch'), { timeout: 60_000 }).toBe(true);
  const eve = await state('eve');
  expect(eve.events).not.toContain('identity:match');
  // Tracked frames went out as face-lost packets only: ada never sees eve's avatar move.
  await expect.poll(async () => (await state('ada')).peers.find((p) => p.id === 'eve')?.ready ?? false, { timeout: 30_000 }).toBe(true);
  const seenStates = new Set<string>();
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    seenStates.add((await state('ada')).peers.find((p) => p.id === 'eve')!.stats.state);
  }
  expect(seenStates.has('live')).toBe(false);
  expect(seenStates.has('lost')).toBe(true);
});
