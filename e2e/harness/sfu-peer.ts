/**
 * Browser side of the SFU tests and benchmark: real mediasoup-client peers through
 * the SDK's RoomConnection, exposed on `window.visageTest`.
 */
import { RoomConnection } from '../../packages/client/src/transport/room-connection.ts';
import { DataLabel, NOTIFICATION_NAMES } from '@visage/protocol';

interface Received {
  landmarks: number;
  landmarkBytes: number;
  embedding: Uint8Array[];
  /** Receiver-leg RTCDataChannel reliability, read from the browser's own channel. */
  landmarkChannel?: { ordered: boolean; maxPacketLifeTime: number | null; maxRetransmits: number | null };
  latenciesMs: number[];
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function channelOf(dc: unknown): RTCDataChannel {
  // mediasoup-client keeps the RTCDataChannel private; the test reads its real settings.
  return (dc as { _dataChannel: RTCDataChannel })._dataChannel;
}

const receivers = new Map<string, { conn: RoomConnection; received: Received; audio: { packets: () => Promise<{ received: number; lost: number }> }[] }>();

async function receiver(url: string, token: string): Promise<void> {
  const conn = await RoomConnection.join({ url, token });
  const received: Received = { landmarks: 0, landmarkBytes: 0, embedding: [], latenciesMs: [] };
  const audio: { packets: () => Promise<{ received: number; lost: number }> }[] = [];
  receivers.set(token, { conn, received, audio });
  const onData = async (dataProducerId: string) => {
    const dc = await conn.consumeData(dataProducerId);
    const channel = channelOf(dc);
    if (dc.label === DataLabel.Landmarks) {
      received.landmarkChannel = {
        ordered: channel.ordered,
        maxPacketLifeTime: channel.maxPacketLifeTime,
        maxRetransmits: channel.maxRetransmits,
      };
    }
    dc.on('message', (data: ArrayBuffer | string) => {
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
      if (dc.label === DataLabel.Landmarks) {
        received.landmarks++;
        received.landmarkBytes += bytes.byteLength;
        // Bytes 0..7: the sender's performance.timeOrigin + now() as float64 (same machine, same clock).
        if (bytes.byteLength >= 8) {
          const sent = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0);
          received.latenciesMs.push(performance.timeOrigin + performance.now() - sent);
        }
      } else {
        received.embedding.push(bytes);
      }
    });
  };
  const onProducer = async (producerId: string) => {
    const consumer = await conn.consume(producerId);
    audio.push({
      packets: async () => {
        let receivedPackets = 0;
        let lost = 0;
        (await consumer.getStats()).forEach((s: { type: string; packetsReceived?: number; packetsLost?: number }) => {
          if (s.type === 'inbound-rtp') {
            receivedPackets += s.packetsReceived ?? 0;
            lost += s.packetsLost ?? 0;
          }
        });
        return { received: receivedPackets, lost };
      },
    });
  };
  conn.on('newDataProducer', ({ dataProducer }) => void onData(dataProducer.id));
  conn.on('newProducer', ({ producer }) => void onProducer(producer.id));
  for (const peer of conn.initialPeers) {
    for (const d of peer.dataProducers) void onData(d.id);
    for (const p of peer.producers) void onProducer(p.id);
  }
  conn.start();
}

/** Peers that joined but put their listeners on only later (an app busy in between). */
const lateListeners = new Map<string, { conn: RoomConnection; heard: string[] }>();

async function joinWithoutListening(url: string, token: string): Promise<void> {
  lateListeners.set(token, { conn: await RoomConnection.join({ url, token }), heard: [] });
}

/** Puts the listeners on now and starts the connection; returns what it heard, as `name:peerId`. */
async function listenLate(token: string): Promise<string[]> {
  const late = lateListeners.get(token);
  if (!late) throw new Error('no such peer');
  for (const name of NOTIFICATION_NAMES) {
    late.conn.on(name, (payload) => {
      const p = payload as { peerId?: string; peer?: { id: string } };
      late.heard.push(`${name}:${p.peerId ?? p.peer?.id ?? ''}`);
    });
  }
  late.conn.start();
  await new Promise((r) => setTimeout(r, 200));
  return late.heard;
}

async function receiverState(token: string) {
  const r = receivers.get(token);
  if (!r) throw new Error('no such receiver');
  const audio = await Promise.all(r.audio.map((a) => a.packets()));
  return {
    landmarks: r.received.landmarks,
    landmarkBytes: r.received.landmarkBytes,
    landmarkChannel: r.received.landmarkChannel,
    embeddingHashes: await Promise.all(r.received.embedding.map(sha256Hex)),
    embeddingSizes: r.received.embedding.map((e) => e.byteLength),
    latenciesMs: r.received.latenciesMs,
    audio,
  };
}

const senders = new Map<string, { conn: RoomConnection; landmarks: Awaited<ReturnType<RoomConnection['publishLandmarks']>>; embedding?: Awaited<ReturnType<RoomConnection['publishEmbedding']>> }>();

async function sender(url: string, token: string, options: { audio: boolean; embedding: boolean }): Promise<void> {
  const conn = await RoomConnection.join({ url, token });
  conn.start();
  const landmarks = await conn.publishLandmarks();
  const embedding = options.embedding ? await conn.publishEmbedding() : undefined;
  if (options.audio) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    await conn.publishAudio(stream.getAudioTracks()[0]!);
  }
  const opened = (dp: { readyState: string; once(e: 'open', l: () => void): void }) =>
    dp.readyState === 'open' ? Promise.resolve() : new Promise<void>((r) => dp.once('open', r));
  await opened(landmarks);
  if (embedding) await opened(embedding);
  senders.set(token, { conn, landmarks, ...(embedding ? { embedding } : {}) });
}

/** Sends `count` landmark-sized messages at `hz` (0: as fast as possible). */
async function sendLandmarks(token: string, count: number, bytes: number, hz: number): Promise<number> {
  const s = senders.get(token);
  if (!s) throw new Error('no such sender');
  let sent = 0;
  const interval = hz > 0 ? 1000 / hz : 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    if (interval > 0) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const msg = new Uint8Array(bytes);
    new DataView(msg.buffer).setFloat64(0, performance.timeOrigin + performance.now());
    msg.fill(i & 0xff, 8);
    s.landmarks.send(msg);
    sent++;
  }
  return sent;
}

/** Sends one reliable message of `size` deterministic bytes; returns its SHA-256. */
async function sendEmbedding(token: string, size: number): Promise<string> {
  const s = senders.get(token);
  if (!s?.embedding) throw new Error('no embedding producer');
  const bytes = new Uint8Array(size);
  let x = 12345;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  s.embedding.send(bytes);
  return sha256Hex(bytes);
}

/**
 * A bench peer: one Device that publishes a landmark channel and consumes every
 * other peer's, like a real call participant. Latencies are kept per receiver.
 */
const benchPeers = new Map<string, { conn: RoomConnection; landmarks: Awaited<ReturnType<RoomConnection['publishLandmarks']>>; received: Received }>();

async function benchPeer(url: string, token: string): Promise<void> {
  const conn = await RoomConnection.join({ url, token });
  const received: Received = { landmarks: 0, landmarkBytes: 0, embedding: [], latenciesMs: [] };
  const consume = async (id: string) => {
    const dc = await conn.consumeData(id);
    dc.on('message', (data: ArrayBuffer) => {
      received.landmarks++;
      const sent = new DataView(data, 0, 8).getFloat64(0);
      received.latenciesMs.push(performance.timeOrigin + performance.now() - sent);
    });
  };
  conn.on('newDataProducer', ({ dataProducer }) => void consume(dataProducer.id));
  for (const peer of conn.initialPeers) for (const d of peer.dataProducers) await consume(d.id);
  conn.start();
  const landmarks = await conn.publishLandmarks();
  if (landmarks.readyState !== 'open') await new Promise<void>((r) => landmarks.once('open', r));
  senders.set(token, { conn, landmarks });
  benchPeers.set(token, { conn, landmarks, received });
}

/** Resets counters of every bench peer in this page and returns what they had. */
function benchCollect(): { messages: number; latenciesMs: number[] } {
  let messages = 0;
  const latenciesMs: number[] = [];
  for (const p of benchPeers.values()) {
    messages += p.received.landmarks;
    latenciesMs.push(...p.received.latenciesMs);
    p.received.landmarks = 0;
    p.received.latenciesMs = [];
  }
  return { messages, latenciesMs };
}

/** Every bench peer of this page sends `count` 60-byte messages at `hz`, staggered. */
async function benchSend(count: number, hz: number): Promise<number> {
  const tokens = [...benchPeers.keys()];
  const sent = await Promise.all(
    tokens.map(async (t, i) => {
      await new Promise((r) => setTimeout(r, (i * 1000) / hz / tokens.length));
      return sendLandmarks(t, count, 60, hz);
    }),
  );
  return sent.reduce((a, b) => a + b, 0);
}

async function leaveAll(): Promise<void> {
  for (const p of benchPeers.values()) await p.conn.leave();
  benchPeers.clear();
  for (const s of senders.values()) await s.conn.leave();
  for (const r of receivers.values()) await r.conn.leave();
  for (const l of lateListeners.values()) await l.conn.leave();
  senders.clear();
  receivers.clear();
  lateListeners.clear();
}

declare global {
  interface Window {
    visageTest: typeof api;
  }
}
const api = { receiver, receiverState, joinWithoutListening, listenLate, sender, sendLandmarks, sendEmbedding, benchPeer, benchSend, benchCollect, leaveAll };
window.visageTest = api;
document.body.dataset.ready = '1';
