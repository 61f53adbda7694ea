/**
 * npm run bench:sfu -- [--rooms 8] [--peers 5] [--pages 4] [--seconds 10] [--hz 30] [--json out.json]
 *
 * Rooms × peers of simulated landmark publishers (several mediasoup-client Devices
 * per headless Chromium page), each sending 60-byte messages at `hz` and receiving
 * every other peer of its room through one real mediasoup worker. Prints messages
 * relayed per second (from the worker's DataConsumer stats), p50/p99 relay latency
 * (sender clock to receiver clock, same machine) and the worker's CPU use.
 */
import { parseArgs } from 'node:util';
import { percentile, positiveInt, usageError } from './lib.ts';
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../packages/client/scripts/lib/chromium.ts';
import { buildHarness } from '../lib/harness.ts';
import { startTestSfu } from '../lib/sfu.ts';

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        rooms: { type: 'string', default: '8' },
        peers: { type: 'string', default: '5' },
        pages: { type: 'string', default: '4' },
        seconds: { type: 'string', default: '10' },
        hz: { type: 'string', default: '30' },
        json: { type: 'string' },
      },
      strict: true,
    });
  } catch (err) {
    usageError('bench:sfu', (err as Error).message);
  }
})();
const rooms = positiveInt('bench:sfu', 'rooms', values.rooms, 200);
const peers = positiveInt('bench:sfu', 'peers', values.peers, 50);
const pages = positiveInt('bench:sfu', 'pages', values.pages, 32);
const seconds = positiveInt('bench:sfu', 'seconds', values.seconds, 600);
const hz = positiveInt('bench:sfu', 'hz', values.hz, 1000);

const sfu = await startTestSfu({ VISAGE_STATIC_DIR: await buildHarness('sfu-peer'), VISAGE_WORKERS: '1' });
const browser = await launchChromium();
try {
  const pageList: Page[] = [];
  for (let i = 0; i < pages; i++) {
    const page = await browser.newPage();
    await page.goto(`${sfu.url}/index.html`);
    await page.waitForSelector('body[data-ready="1"]', { state: 'attached' });
    pageList.push(page);
  }
  // Peers of a room are spread over the pages, so relaying crosses processes like a real call.
  let k = 0;
  console.error(`joining ${rooms} rooms × ${peers} peers on ${pages} pages…`);
  for (let r = 0; r < rooms; r++) {
    for (let p = 0; p < peers; p++) {
      const token = await sfu.token({ room: `bench-${r}`, peer: `p${p}` });
      const page = pageList[k++ % pages]!;
      await page.evaluate(([u, t]) => window.visageTest.benchPeer(u!, t!), [sfu.url, token]);
    }
  }
  await new Promise((r) => setTimeout(r, 2000));
  for (const page of pageList) await page.evaluate(() => window.visageTest.benchCollect());

  const worker = sfu.pool.workers[0]!;
  const usage0 = await worker.getResourceUsage();
  const t0 = performance.now();
  const metrics0 = await (await fetch(`${sfu.url}/metrics`)).text();
  const sentCounts = await Promise.all(pageList.map((page) => page.evaluate(([n, h]) => window.visageTest.benchSend(n!, h!), [seconds * hz, hz])));
  await new Promise((r) => setTimeout(r, 500));
  const metrics1 = await (await fetch(`${sfu.url}/metrics`)).text();
  const wallS = (performance.now() - t0) / 1000;
  const usage1 = await worker.getResourceUsage();

  const relayedMetric = (text: string) =>
    Number(/visage_data_messages_relayed_total\{label="visage\/landmarks"\} (\d+)/.exec(text)?.[1] ?? 0);
  const relayed = relayedMetric(metrics1) - relayedMetric(metrics0);
  const collected = await Promise.all(pageList.map((page) => page.evaluate(() => window.visageTest.benchCollect())));
  const received = collected.reduce((n, c) => n + c.messages, 0);
  const latencies = collected.flatMap((c) => c.latenciesMs).sort((a, b) => a - b);
  const sent = sentCounts.reduce((a, b) => a + b, 0);
  const cpuS = (usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime) / 1000;
  const expected = sent * (peers - 1);
  const result = {
    rooms,
    peers,
    pages,
    hz,
    seconds: Number(wallS.toFixed(2)),
    messages_sent: sent,
    messages_relayed: relayed,
    relayed_per_s: Math.round(relayed / wallS),
    received,
    delivery: Number((received / expected).toFixed(4)),
    latency_p50_ms: Number(percentile(latencies, 50).toFixed(2)),
    latency_p99_ms: Number(percentile(latencies, 99).toFixed(2)),
    worker_cpu_percent: Number(((cpuS / wallS) * 100).toFixed(1)),
    worker_cpu_us_per_message: Number(((cpuS * 1e6) / Math.max(1, relayed)).toFixed(2)),
  };
  console.log('rooms×peers  relayed msg/s  delivered  p50 ms  p99 ms  worker CPU  µs/msg');
  console.log(
    `${`${rooms}×${peers}`.padEnd(11)}  ${String(result.relayed_per_s).padStart(13)}  ${(result.delivery * 100).toFixed(1).padStart(8)}%  ${result.latency_p50_ms.toFixed(2).padStart(6)}  ${result.latency_p99_ms.toFixed(2).padStart(6)}  ${result.worker_cpu_percent.toFixed(1).padStart(9)}%  ${result.worker_cpu_us_per_message.toFixed(2).padStart(6)}`,
  );
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  for (const page of pageList) await page.evaluate(() => window.visageTest.leaveAll()).catch(() => undefined);
} finally {
  await browser.close();
  await sfu.close();
}
