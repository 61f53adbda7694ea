/**
 * Signaling against a real SFU with a real mediasoup worker: authentication,
 * validation, size caps, rate limits and room boundaries. Every bad request gets
 * its typed error and the server keeps serving the well-behaved peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { SignJWT } from 'jose';
import { DataLabel, ErrorCode, SIGNALING_PATH, MAX_SIGNALING_PAYLOAD_BYTES } from '@visage/protocol';
import { createSfu, type Sfu } from './server.ts';
import { loadConfig, ConfigError, DEV_SECRET } from './config.ts';
import { signToken } from './auth.ts';
import pino from 'pino';

let sfu: Sfu;
const sockets: Socket[] = [];

function connect(token: unknown): Promise<{ socket: Socket; error?: Error & { data?: { reason: string } } }> {
  const socket = io(sfu.url, { path: SIGNALING_PATH, auth: { token }, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('connect_error', (error) => resolve({ socket, error }));
  });
}

async function join(room: string, peer: string, extra: Partial<Parameters<typeof signToken>[1]> = {}): Promise<Socket> {
  const { socket, error } = await connect(await signToken(DEV_SECRET, { room, peer, ...extra }));
  if (error) throw error;
  const res = await socket.emitWithAck('join', {});
  expect(res.error).toBeUndefined();
  return socket;
}

const SCTP_CAPS = { numStreams: { OS: 1024, MIS: 1024 } };
/** The test server's departure grace: a dropped peer is announced as left this long after. */
const GRACE_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  sfu = await createSfu(
    loadConfig({ PORT: '0', VISAGE_HOST: '127.0.0.1', VISAGE_WORKERS: '1', VISAGE_SECRET: DEV_SECRET, VISAGE_RATE_PER_SECOND: '20', VISAGE_RATE_BURST: '40', VISAGE_DEPARTURE_GRACE_MS: String(GRACE_MS) }),
    pino({ level: 'silent' }),
  );
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await sfu?.close();
});

describe('configuration', () => {
  it('reads the departure grace, 10 s unless set, and refuses a bad one', () => {
    const base = { VISAGE_SECRET: DEV_SECRET };
    expect(loadConfig(base).departureGraceMs).toBe(10_000);
    expect(loadConfig({ ...base, VISAGE_DEPARTURE_GRACE_MS: '0' }).departureGraceMs).toBe(0);
    for (const bad of ['-1', '2.5', 'soon', '300001']) {
      expect(() => loadConfig({ ...base, VISAGE_DEPARTURE_GRACE_MS: bad })).toThrow(ConfigError);
    }
  });
});

describe('authentication', () => {
  it('refuses a connection without a token', async () => {
    const { error } = await connect(undefined);
    expect(error?.message).toBe('unauthorized');
    expect(error?.data?.reason).toBe('missing');
  });

  it('refuses a token with a forged signature', async () => {
    const { error } = await connect(await signToken('another-secret-of-enough-length', { room: 'a', peer: 'p' }));
    expect(error?.message).toBe('unauthorized');
    expect(error?.data?.reason).toBe('bad_signature');
  });

  it('refuses an expired token', async () => {
    const expired = await new SignJWT({ room: 'a', peer: 'p', name: 'p', publish: true, subscribe: true, impersonate: false })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('visage')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(DEV_SECRET));
    const { error } = await connect(expired);
    expect(error?.message).toBe('unauthorized');
    expect(error?.data?.reason).toBe('expired');
  });

  it('refuses garbage and tokens with bad claims', async () => {
    expect((await connect('not.a.jwt')).error?.message).toBe('unauthorized');
    expect((await connect({ token: 1 })).error?.message).toBe('unauthorized');
    const badClaims = await new SignJWT({ room: '../etc', peer: 'p' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('visage')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(DEV_SECRET));
    const { error } = await connect(badClaims);
    expect(error?.data?.reason).toBe('invalid_claims');
  });

  it('accepts a valid token and answers join with router capabilities', async () => {
    const { socket, error } = await connect(await signToken(DEV_SECRET, { room: 'auth-ok', peer: 'alice' }));
    expect(error).toBeUndefined();
    const res = await socket.emitWithAck('join', {});
    expect(res.rtpCapabilities.codecs.some((c: { mimeType: string }) => c.mimeType === 'audio/opus')).toBe(true);
    expect(res.peers).toEqual([]);
  });
});

describe('dev token endpoint', () => {
  it('is off without --dev', async () => {
    const res = await fetch(`${sfu.url}/api/dev-token?room=r&name=x`);
    expect(res.status).toBe(404);
  });
});

describe('validation and limits', () => {
  it('answers malformed payloads with invalid_request and keeps the connection', async () => {
    const socket = await join('valid', 'mallory');
    for (const bad of [null, 42, 'x', { direction: 'sideways' }, { direction: 'recv' }, { direction: 'send', extra: 1 }]) {
      const res = await socket.emitWithAck('createTransport', bad);
      expect(res.error?.code).toBe(ErrorCode.InvalidRequest);
    }
    const unknown = await socket.emitWithAck('dropTables', {});
    expect(unknown.error?.code).toBe(ErrorCode.UnknownEvent);
    const consume = await socket.emitWithAck('consume', { transportId: 'nope', producerId: 'nope' });
    expect(consume.error?.code).toBe(ErrorCode.NotFound);
    expect(socket.connected).toBe(true);
    const ok = await socket.emitWithAck('createTransport', { direction: 'send', sctpCapabilities: SCTP_CAPS });
    expect(ok.error).toBeUndefined();
    expect(ok.sctpParameters).toBeDefined();
  });

  it('refuses oversize payloads politely', async () => {
    const socket = await join('valid', 'big');
    const res = await socket.emitWithAck('connectTransport', {
      transportId: 'x',
      dtlsParameters: { pad: 'x'.repeat(MAX_SIGNALING_PAYLOAD_BYTES + 10) },
    });
    expect(res.error?.code).toBe(ErrorCode.PayloadTooLarge);
    expect(socket.connected).toBe(true);
  });

  it('rate-limits a flooding socket while other peers are served', async () => {
    const flooder = await join('flood', 'flooder');
    const good = await join('flood', 'good');
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => flooder.emitWithAck('createTransport', { direction: 'bogus' })),
    );
    const limited = answers.filter((a) => a.error?.code === ErrorCode.RateLimited).length;
    expect(limited).toBeGreaterThan(100);
    const res = await good.emitWithAck('createTransport', { direction: 'send', sctpCapabilities: SCTP_CAPS });
    expect(res.error).toBeUndefined();
  });

  it('enforces the landmark channel to be partially reliable and the embedding channel reliable', async () => {
    const socket = await join('channels', 'alice');
    const t = await socket.emitWithAck('createTransport', { direction: 'send', sctpCapabilities: SCTP_CAPS });
    const reliableLandmarks = await socket.emitWithAck('produceData', {
      transportId: t.id,
      sctpStreamParameters: { streamId: 1, ordered: false, maxRetransmits: 0 },
      label: DataLabel.Landmarks,
    });
    expect(reliableLandmarks.error?.code).toBe(ErrorCode.InvalidRequest);
    const lossyEmbedding = await socket.emitWithAck('produceData', {
      transportId: t.id,
      sctpStreamParameters: { streamId: 2, ordered: false, maxPacketLifeTime: 100 },
      label: DataLabel.Embedding,
    });
    expect(lossyEmbedding.error?.code).toBe(ErrorCode.InvalidRequest);
    const ok = await socket.emitWithAck('produceData', {
      transportId: t.id,
      sctpStreamParameters: { streamId: 3, ordered: false, maxPacketLifeTime: 150 },
      label: DataLabel.Landmarks,
    });
    expect(ok.error).toBeUndefined();
  });
});

describe('rooms and rights', () => {
  it('tells peers about joins, data producers and leaves, and keeps rooms apart', async () => {
    const alice = await join('room-a', 'alice');
    const peerJoined = new Promise<{ peer: { id: string } }>((r) => alice.once('peerJoined', r));
    const bob = await join('room-a', 'bob');
    expect((await peerJoined).peer.id).toBe('bob');

    const newData = new Promise<{ peerId: string; dataProducer: { id: string; label: string } }>((r) =>
      alice.once('newDataProducer', r),
    );
    const t = await bob.emitWithAck('createTransport', { direction: 'send', sctpCapabilities: SCTP_CAPS });
    const dp = await bob.emitWithAck('produceData', {
      transportId: t.id,
      sctpStreamParameters: { streamId: 1, ordered: false, maxPacketLifeTime: 150 },
      label: DataLabel.Landmarks,
    });
    const note = await newData;
    expect(note).toEqual({ peerId: 'bob', dataProducer: { id: dp.id, label: DataLabel.Landmarks } });

    // A peer of another room cannot consume it, even knowing its id.
    const eve = await join('room-b', 'eve');
    const et = await eve.emitWithAck('createTransport', {
      direction: 'recv',
      rtpCapabilities: { codecs: [], headerExtensions: [] },
      sctpCapabilities: SCTP_CAPS,
    });
    const steal = await eve.emitWithAck('consumeData', { transportId: et.id, dataProducerId: dp.id });
    expect(steal.error?.code).toBe(ErrorCode.NotFound);

    // Alice can.
    const at = await alice.emitWithAck('createTransport', {
      direction: 'recv',
      rtpCapabilities: { codecs: [], headerExtensions: [] },
      sctpCapabilities: SCTP_CAPS,
    });
    const dc = await alice.emitWithAck('consumeData', { transportId: at.id, dataProducerId: dp.id });
    expect(dc.error).toBeUndefined();
    // The receiver leg keeps the partial reliability (maxRetransmits: 0 would have silently become reliable).
    expect(dc.sctpStreamParameters).toMatchObject({ ordered: false, maxPacketLifeTime: 150 });

    // Alice asks Bob for a keyframe; Bob is told who asked.
    const asked = new Promise<{ peerId: string; dataProducerId: string }>((r) => bob.once('keyframeRequested', r));
    expect((await alice.emitWithAck('requestKeyframe', { dataProducerId: dp.id })).error).toBeUndefined();
    expect(await asked).toEqual({ peerId: 'alice', dataProducerId: dp.id });
    expect((await eve.emitWithAck('requestKeyframe', { dataProducerId: dp.id })).error?.code).toBe(ErrorCode.NotFound);

    const left = new Promise<{ peerId: string }>((r) => alice.once('peerLeft', r));
    bob.close();
    expect((await left).peerId).toBe('bob');
  });

  it('keeps the place of a peer that drops out and comes back within the departure grace; a leave is announced at once', async () => {
    const carol = await join('grace', 'carol');
    const seen: string[] = [];
    carol.on('peerJoined', ({ peer }: { peer: { id: string } }) => seen.push(`joined:${peer.id}`));
    carol.on('peerLeft', ({ peerId }: { peerId: string }) => seen.push(`left:${peerId}`));
    // Its connection drops; it joins again at once: carol sees it join again, never leave.
    let dave = await join('grace', 'dave');
    dave.close();
    dave = await join('grace', 'dave');
    // Or it leaves to rejoin (the SDK after a failed transport): the same.
    expect((await dave.emitWithAck('leave', { rejoining: true })).error).toBeUndefined();
    dave.close();
    dave = await join('grace', 'dave');
    await sleep(2 * GRACE_MS); // a departure timer that was not cancelled would have fired by now
    expect(seen).toEqual(['joined:dave', 'joined:dave', 'joined:dave']);
    // A leave is announced at once (well before the grace), and a drop after it.
    const left = new Promise<number>((r) => carol.once('peerLeft', () => r(performance.now())));
    const t0 = performance.now();
    expect((await dave.emitWithAck('leave', {})).error).toBeUndefined();
    expect((await left) - t0).toBeLessThan(GRACE_MS / 2);
    const erin = await join('grace', 'erin');
    const erinLeft = new Promise<number>((r) => carol.once('peerLeft', () => r(performance.now())));
    const t1 = performance.now();
    erin.close();
    expect((await erinLeft) - t1).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(seen.slice(3)).toEqual(['left:dave', 'joined:erin', 'left:erin']);
    // The flag is validated like every payload.
    expect((await carol.emitWithAck('leave', { rejoining: 'yes' })).error?.code).toBe(ErrorCode.InvalidRequest);
  });

  it('enforces publish and subscribe rights from the token', async () => {
    const viewer = await join('rights', 'viewer', { publish: false });
    const send = await viewer.emitWithAck('createTransport', { direction: 'send' });
    expect(send.error?.code).toBe(ErrorCode.Forbidden);
    const muteOnly = await join('rights', 'speaker', { subscribe: false });
    const recv = await muteOnly.emitWithAck('createTransport', {
      direction: 'recv',
      rtpCapabilities: { codecs: [], headerExtensions: [] },
    });
    expect(recv.error?.code).toBe(ErrorCode.Forbidden);
  });

  it('requires join before anything else', async () => {
    const { socket } = await connect(await signToken(DEV_SECRET, { room: 'order', peer: 'p' }));
    const res = await socket.emitWithAck('createTransport', { direction: 'send' });
    expect(res.error?.code).toBe(ErrorCode.InvalidState);
  });
});

describe('resilience', () => {
  it('replaces a dead worker, closes its rooms and tells their peers to rejoin', async () => {
    const alice = await join('doomed', 'alice');
    const rejoin = new Promise<{ reason: string }>((r) => alice.once('rejoin', r));
    const worker = sfu.pool.workers[0]!;
    process.kill(worker.pid, 'SIGKILL');
    expect((await rejoin).reason).toMatch(/restarted/);
    await expect.poll(() => sfu.pool.workers[0] !== worker && !sfu.pool.workers[0]!.died, { timeout: 10_000 }).toBe(true);
    // The server still serves: a new join works on the replacement worker.
    const again = await join('doomed-2', 'alice');
    const t = await again.emitWithAck('createTransport', { direction: 'send', sctpCapabilities: SCTP_CAPS });
    expect(t.error).toBeUndefined();
  });
});
