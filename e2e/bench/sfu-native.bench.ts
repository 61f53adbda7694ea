/**
 * npm run bench:sfu:native -- [--rooms 25] [--peers 6] [--hz 40] [--seconds 10] [--pin] [--json out.json]
 *
 * The SFU worker's landmark relay with a native load generator instead of Chromium pages
 * (npm run bench:sfu, whose pages saturate these two cores long before the worker does).
 *
 * Two mediasoup workers: the SFU's (one Router per room, as the server has) and a load
 * generator's. Every simulated peer has its own two SCTP associations with the SFU worker, as a
 * browser has (a send and a receive transport): PipeTransport pairs between the two workers, SCTP
 * over UDP on 127.0.0.1. Each peer's landmark DataProducer in the SFU router is unordered with
 * maxPacketLifeTime 150, as the client publishes it, and every other peer of the room consumes it
 * (the server's fan-out). Node sends each peer's 60-byte messages at --hz, each peer from its own
 * random phase, through a DirectTransport of the generator worker; one peer per room also hands
 * what it receives back to Node, which gives the relay latency (send → receive, one clock).
 *
 * What it does not exercise: ICE and DTLS (a PipeTransport's SCTP is not encrypted; one AES-GCM
 * record per message is what a WebRtcTransport adds) and the signaling server (setup only).
 * Relayed msg/s come from the SFU worker's DataConsumer stats, delivery from the generator's
 * receiving DataProducers' stats, CPU from each worker's getResourceUsage(). `--pin` gives the SFU
 * worker CPU 0 to itself and puts the generator worker and Node on the others (taskset), as the
 * server would run beside its load on a real deployment.
 */
import { parseArgs } from 'node:util';
import { percentile, positiveInt, usageError } from './lib.ts';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { loadMediasoup } from '../../packages/sfu/src/mediasoup-loader.ts';
import type { types } from 'mediasoup';

const LABEL = 'visage/landmarks';
const MESSAGE_BYTES = 60;
const LIFETIME_MS = 150;

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        rooms: { type: 'string', default: '25' },
        peers: { type: 'string', default: '6' },
        hz: { type: 'string', default: '40' },
        seconds: { type: 'string', default: '10' },
        json: { type: 'string' },
        pin: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    usageError('bench:sfu:native', (err as Error).message);
  }
})();
const rooms = positiveInt('bench:sfu:native', 'rooms', values.rooms, 500);
const peers = positiveInt('bench:sfu:native', 'peers', values.peers, 50);
const hz = positiveInt('bench:sfu:native', 'hz', values.hz, 1000);
const seconds = positiveInt('bench:sfu:native', 'seconds', values.seconds, 600);
if (peers < 2) usageError('bench:sfu:native', '--peers must be at least 2 (someone has to receive)');

const mediasoup = await loadMediasoup();
const sfu = await mediasoup.createWorker({ logLevel: 'warn' });
const gen = await mediasoup.createWorker({ logLevel: 'warn' });
if (values.pin) {
  const cores = availableParallelism();
  if (cores < 2) usageError('bench:sfu:native', '--pin needs at least 2 CPUs');
  const rest = `1-${cores - 1}`;
  try {
    execFileSync('taskset', ['-pc', '0', String(sfu.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-apc', rest, String(gen.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-apc', rest, String(process.pid)], { stdio: 'ignore' });
  } catch (err) {
    usageError('bench:sfu:native', `--pin: taskset failed (${(err as Error).message})`);
  }
}
const pipeOptions: types.PipeTransportOptions = { listenIp: '127.0.0.1', enableSctp: true, numSctpStreams: { OS: 1024, MIS: 1024 } };

/** A connected pair of PipeTransports: one in the SFU's router, one in the generator's (one SCTP association). */
async function association(sfuRouter: types.Router, genRouter: types.Router): Promise<{ atSfu: types.PipeTransport; atGen: types.PipeTransport }> {
  const atSfu = await sfuRouter.createPipeTransport(pipeOptions);
  const atGen = await genRouter.createPipeTransport(pipeOptions);
  await atSfu.connect({ ip: atGen.tuple.localIp, port: atGen.tuple.localPort });
  await atGen.connect({ ip: atSfu.tuple.localIp, port: atSfu.tuple.localPort });
  return { atSfu, atGen };
}

/** Carries `producer` over an association: a DataConsumer on one end, the matching DataProducer on the other (as router.pipeToRouter does). */
async function carry(from: types.PipeTransport, to: types.PipeTransport, producer: types.DataProducer, reliability?: { ordered: boolean; maxPacketLifeTime: number }): Promise<{ consumer: types.DataConsumer; producer: types.DataProducer }> {
  const consumer = await from.consumeData({ dataProducerId: producer.id, ...reliability });
  const far = await to.produceData({ sctpStreamParameters: consumer.sctpStreamParameters!, label: producer.label, protocol: producer.protocol });
  return { consumer, producer: far };
}

const senders: types.DataProducer[] = []; // one landmark producer per peer, in the generator
const relays: types.DataConsumer[] = []; // the SFU worker's fan-out
const arrivals: types.DataProducer[] = []; // what reaches the generator worker again
const latencies: number[] = [];
let measuring = false;

const t0 = performance.now();
for (let r = 0; r < rooms; r++) {
  const sfuRouter = await sfu.createRouter({ mediaCodecs: [] });
  const genRouter = await gen.createRouter({ mediaCodecs: [] });
  const direct = await genRouter.createDirectTransport({ maxMessageSize: 262_144 });
  const room: { up: Awaited<ReturnType<typeof association>>; down: Awaited<ReturnType<typeof association>>; send: types.DataProducer; atSfu?: types.DataProducer }[] = [];
  for (let p = 0; p < peers; p++) {
    const up = await association(sfuRouter, genRouter);
    const down = await association(sfuRouter, genRouter);
    const send = await direct.produceData({ label: LABEL });
    room.push({ up, down, send });
    senders.push(send);
  }
  // Each peer's landmarks: generator → its send association → the SFU's DataProducer (unordered, 150 ms lifetime).
  for (const peer of room) peer.atSfu = (await carry(peer.up.atGen, peer.up.atSfu, peer.send, { ordered: false, maxPacketLifeTime: LIFETIME_MS })).producer;
  // The SFU's fan-out: every other peer consumes it on its receive association; peer 0's arrivals go back to Node.
  for (const [q, receiver] of room.entries()) {
    for (const sender of room) {
      if (sender === receiver) continue;
      const leg = await carry(receiver.down.atSfu, receiver.down.atGen, sender.atSfu!);
      relays.push(leg.consumer);
      arrivals.push(leg.producer);
      if (q === 0) {
        const sink = await direct.consumeData({ dataProducerId: leg.producer.id });
        sink.on('message', (msg: Buffer) => {
          if (measuring) latencies.push(performance.now() - msg.readDoubleLE(0));
        });
      }
    }
  }
}
console.error(`${rooms} rooms × ${peers} peers: ${rooms * peers * 2} SCTP associations, ${relays.length} relay legs, set up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Senders: one timer; each peer sends at --hz from its own random phase (callers are not in step),
// 60-byte messages with the send time in the first 8 bytes.
const message = Buffer.alloc(MESSAGE_BYTES);
const period = 1000 / hz;
const started = performance.now();
const next = senders.map(() => started + Math.random() * period);
const count = senders.map(() => 0);
let sent = 0, sentAll = 0;
const timer = setInterval(() => {
  const now = performance.now();
  senders.forEach((send, i) => {
    while (next[i]! <= now) {
      message.writeDoubleLE(performance.now(), 0);
      message.writeUInt32LE(i, 8);
      message.writeUInt32LE(count[i]!++, 12);
      send.send(message);
      sentAll++;
      if (measuring) sent++;
      next[i]! += period;
    }
  });
}, 1);

const sum = async (list: (types.DataConsumer | types.DataProducer)[], key: 'messagesSent' | 'messagesReceived') => {
  const stats = await Promise.all(list.map((x) => x.getStats() as Promise<unknown> as Promise<Record<string, number>[]>));
  return stats.flat().reduce((n, s) => n + (s[key] ?? 0), 0);
};
const cpu = async (w: types.Worker) => {
  const u = await w.getResourceUsage();
  return u.ru_utime + u.ru_stime; // ms, all of the worker's threads
};
/** The counters at one moment (the worker answers the stats requests in a burst). */
const snapshot = async () => {
  const [relayed, sfuCpu, genCpu] = await Promise.all([sum(relays, 'messagesSent'), cpu(sfu), cpu(gen)]);
  return { relayed, sfuCpu, genCpu, node: process.cpuUsage(), at: performance.now() };
};

await new Promise((r) => setTimeout(r, 2000)); // warm-up
const before = await snapshot();
measuring = true;
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const sentCount = sent;
const after = await snapshot();
clearInterval(timer);
await new Promise((r) => setTimeout(r, 1000)); // what is still in flight (at most the 150 ms lifetime, plus queues)
const arrived = await sum(arrivals, 'messagesReceived');

const wall = (after.at - before.at) / 1000;
const nodeCpu = { user: after.node.user - before.node.user, system: after.node.system - before.node.system };
const relayed = after.relayed - before.relayed;
const sfuCpu = after.sfuCpu - before.sfuCpu, genCpu = after.genCpu - before.genCpu; // ms
const expected = sentCount * (peers - 1);
latencies.sort((a, b) => a - b);
const result = {
  rooms, peers, hz, pinned: values.pin, seconds: Number(wall.toFixed(2)),
  offeredPerSecond: Math.round(expected / wall),
  relayedPerSecond: Math.round(relayed / wall),
  // over the whole run: every message sent, every copy that reached its receiver
  delivered: Number(((arrived / Math.max(1, sentAll * (peers - 1))) * 100).toFixed(2)),
  latencyMs: { samples: latencies.length, p50: Number(percentile(latencies, 50).toFixed(2)), p99: Number(percentile(latencies, 99).toFixed(2)), max: Number(percentile(latencies, 100).toFixed(2)) },
  sfuWorkerCpu: Number(((sfuCpu / 1000 / wall) * 100).toFixed(1)),
  sfuCpuMicrosPerMessage: Number(((sfuCpu * 1000) / Math.max(1, relayed)).toFixed(2)),
  generatorWorkerCpu: Number(((genCpu / 1000 / wall) * 100).toFixed(1)),
  nodeCpu: Number((((nodeCpu.user + nodeCpu.system) / 1e6 / wall) * 100).toFixed(1)),
};
console.log(JSON.stringify(result, null, 1));
if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 1));
sfu.close();
gen.close();
