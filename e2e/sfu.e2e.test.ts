/**
 * Two real Chromium peers with mediasoup-client, through the real SFU and worker:
 * landmark messages on the partially reliable channel, a 200 KB reliable message
 * byte for byte, and an Opus track from Chromium's fake microphone.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../packages/client/scripts/lib/chromium.ts';
import { buildHarness } from './lib/harness.ts';
import { startTestSfu, type TestSfu } from './lib/sfu.ts';

let sfu: TestSfu;
let browser: Browser;
let senderPage: Page;
let receiverPage: Page;

beforeAll(async () => {
  const staticDir = await buildHarness('sfu-peer');
  sfu = await startTestSfu({ VISAGE_STATIC_DIR: staticDir });
  browser = await launchChromium({ args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });
  const open = async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('[page]', e));
    await page.goto(`${sfu.url}/index.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
    return page;
  };
  [senderPage, receiverPage] = await Promise.all([open(), open()]);
});

afterAll(async () => {
  await browser?.close();
  await sfu?.close();
});

it('relays landmarks (partially reliable), a 200 KB embedding byte for byte, and Opus audio', async () => {
  const rx = await sfu.token({ room: 'e2e', peer: 'rx' });
  const tx = await sfu.token({ room: 'e2e', peer: 'tx' });
  await receiverPage.evaluate(([u, t]) => window.visageTest.receiver(u!, t!), [sfu.url, rx]);
  await senderPage.evaluate(([u, t]) => window.visageTest.sender(u!, t!, { audio: true, embedding: true }), [sfu.url, tx]);

  // Wait for the receiver to have consumed both data producers before sending.
  await expect
    .poll(async () => (await receiverPage.evaluate((t) => window.visageTest.receiverState(t), rx)).landmarkChannel, { timeout: 20_000 })
    .toBeDefined();
  await receiverPage.waitForTimeout(500);

  // Paced like a fast tracker (100 Hz): with a 150 ms lifetime, an unpaced burst may
  // legitimately be abandoned by SCTP under congestion — that is what partial reliability is for.
  const sent = await senderPage.evaluate((t) => window.visageTest.sendLandmarks(t, 300, 60, 100), tx);
  const hash = await senderPage.evaluate((t) => window.visageTest.sendEmbedding(t, 200_000), tx);

  await expect
    .poll(async () => {
      const s = await receiverPage.evaluate((t) => window.visageTest.receiverState(t), rx);
      return { landmarks: s.landmarks, embeddings: s.embeddingHashes.length };
    }, { timeout: 20_000 })
    .toEqual({ landmarks: sent, embeddings: 1 });

  const state = await receiverPage.evaluate((t) => window.visageTest.receiverState(t), rx);
  expect(state.landmarkBytes).toBe(300 * 60);
  expect(state.embeddingSizes).toEqual([200_000]);
  expect(state.embeddingHashes).toEqual([hash]);
  // The SFU→receiver leg is really partially reliable, as the browser itself reports it.
  expect(state.landmarkChannel).toEqual({ ordered: false, maxPacketLifeTime: 150, maxRetransmits: null });

  // Opus from the fake microphone arrives.
  await expect
    .poll(async () => {
      const s = await receiverPage.evaluate((t) => window.visageTest.receiverState(t), rx);
      return s.audio[0]?.received ?? 0;
    }, { timeout: 20_000 })
    .toBeGreaterThan(50);
  const audio = (await receiverPage.evaluate((t) => window.visageTest.receiverState(t), rx)).audio[0]!;
  // Loopback loses nothing; the consumer starts paused, so a packet around resume may count as lost.
  expect(audio.lost / audio.received).toBeLessThan(0.02);

  // Metrics saw the relayed messages.
  const metrics = await (await fetch(`${sfu.url}/metrics`)).text();
  const relayed = Number(/visage_data_messages_relayed_total\{label="visage\/landmarks"\} (\d+)/.exec(metrics)?.[1]);
  expect(relayed).toBe(300);

  await senderPage.evaluate(() => window.visageTest.leaveAll());
  await receiverPage.evaluate(() => window.visageTest.leaveAll());
});

it('keeps the room\'s pushes that arrive before the app listens (nothing lost between join and listeners)', async () => {
  const late = await sfu.token({ room: 'e2e-late', peer: 'late' });
  const tx = await sfu.token({ room: 'e2e-late', peer: 'tx2' });
  await receiverPage.evaluate(([u, t]) => window.visageTest.joinWithoutListening(u!, t!), [sfu.url, late]);
  // tx2 joins and publishes both channels while 'late' has no listener on yet.
  await senderPage.evaluate(([u, t]) => window.visageTest.sender(u!, t!, { audio: false, embedding: true }), [sfu.url, tx]);
  const heard = await receiverPage.evaluate((t) => window.visageTest.listenLate(t), late);
  expect(heard).toEqual(['peerJoined:tx2', 'newDataProducer:tx2', 'newDataProducer:tx2']);
  await senderPage.evaluate(() => window.visageTest.leaveAll());
  await receiverPage.evaluate(() => window.visageTest.leaveAll());
});

it('serves /healthz', async () => {
  const res = await fetch(`${sfu.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ ok: true, workers: 1 });
});

it('mints dev tokens only in dev mode, and validates them', async () => {
  const bad = await fetch(`${sfu.url}/api/dev-token?room=../x&name=a`);
  expect(bad.status).toBe(400);
  const res = await fetch(`${sfu.url}/api/dev-token?room=demo&name=Ada%20L.`);
  expect(res.status).toBe(200);
  const { token } = (await res.json()) as { token: string };
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  expect(claims).toMatchObject({ room: 'demo', name: 'Ada L.' });
  expect(claims.peer).toMatch(/^Ada_L\.-[0-9a-f]{8}$/);
});

it('serves static files with revalidation (ETag, 304) and HEAD', async () => {
  const first = await fetch(`${sfu.url}/harness.js`);
  expect(first.status).toBe(200);
  const etag = first.headers.get('etag')!;
  expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
  expect(first.headers.get('content-security-policy')).toContain("connect-src 'self'");
  const again = await fetch(`${sfu.url}/harness.js`, { headers: { 'if-none-match': etag } });
  expect(again.status).toBe(304);
  const head = await fetch(`${sfu.url}/harness.js`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
  expect((await fetch(`${sfu.url}/r/some-room`)).headers.get('content-type')).toContain('text/html');
  // Path traversal never leaves the static folder (the SPA fallback answers instead).
  const traversal = await fetch(`${sfu.url}/%2e%2e/%2e%2e/%2e%2e/etc/passwd`);
  expect(await traversal.text()).not.toContain('root:');
});
