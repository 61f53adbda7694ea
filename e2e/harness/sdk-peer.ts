/**
 * Browser side of the call tests: the real SDK (createVisageClient) with the
 * page's fake camera and microphone, exposed on `window.visageCall`.
 */
import { createVisageClient, type RemotePeer, type VisageClient } from '../../packages/client/src/sdk/visage-client.ts';
import type { MouthRefinerRenderOptions } from '../../packages/client/src/receiver/avatar-renderer.ts';
import { FaceTracker } from '../../packages/client/src/tracking/index.ts';
import { FaceIdentity, similarity } from '../../packages/client/src/identity/index.ts';
import '../../packages/client/src/element/visage-avatar.ts';

/**
 * Every message this page sends on a data channel, kept to prove what leaves the page:
 * the first byte (embedding chunks start with 0xE5, landmark packets with their
 * version/codec byte), the size, and the bytes themselves (bounded).
 */
const sent: Uint8Array[] = [];
let sentBytes = 0;
const originalSend = RTCDataChannel.prototype.send;
RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: string | Blob | ArrayBuffer | ArrayBufferView) {
  if (typeof data !== 'string' && !(data instanceof Blob)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (sentBytes < 8_000_000) sent.push(bytes.slice());
    sentBytes += bytes.byteLength;
  }
  return originalSend.call(this, data as never);
} as typeof RTCDataChannel.prototype.send;

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** What this page sent on data channels, and whether any 48-byte window of the photo file is in it. */
async function sentSummary(photoUrl: string) {
  const photo = new Uint8Array(await (await fetch(photoUrl)).arrayBuffer());
  let embeddingChunks = 0;
  let other = 0;
  let photoBytesFound = false;
  const windows = [0.1, 0.3, 0.5, 0.7, 0.9].map((f) => photo.subarray(Math.floor(photo.length * f), Math.floor(photo.length * f) + 48));
  for (const m of sent) {
    if (m[0] === 0xe5) embeddingChunks++;
    else other++;
    if (windows.some((w) => indexOf(m, w) >= 0)) photoBytesFound = true;
  }
  return { messages: sent.length, bytes: sentBytes, embeddingChunks, other, photoBytes: photo.length, photoBytesFound };
}

/** Every RTCPeerConnection the page made (to read raw WebRTC stats in tests and benches). */
const peerConnections: RTCPeerConnection[] = [];
const OriginalPC = window.RTCPeerConnection;
window.RTCPeerConnection = class extends OriginalPC {
  constructor(config?: RTCConfiguration) {
    super(config);
    peerConnections.push(this);
  }
} as typeof RTCPeerConnection;

/** Inbound audio RTP stats of every connection. */
async function audioInbound(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const pc of peerConnections) {
    (await pc.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.push(s);
    });
  }
  return out;
}

const workerFactory = () => new Worker('/tracker.worker.js', { type: 'module', name: 'visage-face-tracker' });
const avatarWorkerFactory = () => new Worker('/avatar.worker.js', { type: 'module', name: 'visage-avatar' });
const identityWorkerFactory = () => new Worker('/identity.worker.js', { type: 'module', name: 'visage-face-identity' });
let client: VisageClient | null = null;
/** Per remote peer: the <video> playing its MediaStream and how many frames it showed. */
const playback = new Map<string, { el: HTMLVideoElement; frames: number }>();
const events: string[] = [];
const errors: string[] = [];

/** Plays a remote stream like an app would (audio decoding and lip sync need a sink), counting the frames its <video> shows. */
function play(p: RemotePeer): void {
  if (playback.has(p.id)) return;
  const el = document.createElement('video');
  el.autoplay = true;
  el.volume = 0.01;
  el.srcObject = p.stream;
  document.body.append(el);
  const shown = { el, frames: 0 };
  playback.set(p.id, shown);
  const count = () => {
    shown.frames++;
    el.requestVideoFrameCallback(count);
  };
  el.requestVideoFrameCallback(count);
  void el.play().catch(() => undefined);
}

async function join(url: string, token: string, photoUrls: string[], options: { identity?: boolean; publish?: boolean; mouthRefiner?: MouthRefinerRenderOptions; maxFps?: number } = {}): Promise<{ delegate: string; embeddingBytes: number }> {
  const render = { thread: 'worker' as const, workerFactory: avatarWorkerFactory, ...(options.mouthRefiner ? { mouthRefiner: options.mouthRefiner } : {}) };
  client = await createVisageClient({ url, token, tracker: { workerFactory, delegate: 'CPU' }, backend: 'cpu', render, identity: options.identity === false ? false : { thread: 'worker', workerFactory: identityWorkerFactory } });
  client.on('identity', ({ status }) => events.push(`identity:${status}`));
  client.on('peerJoined', (p) => {
    events.push(`joined:${p.id}`);
    play(p);
  });
  client.on('avatarReady', (p) => events.push(`ready:${p.id}`));
  client.on('peerLeft', (id) => events.push(`left:${id}`));
  client.on('faceLost', ({ peerId, lost, reason }) => events.push(`faceLost:${peerId ?? 'self'}:${lost}${reason ? `:${reason}` : ''}`));
  client.on('error', (e) => errors.push(String(e?.message ?? e)));
  client.on('disconnected', (r) => events.push(`disconnected:${r}`));
  client.on('reconnected', (n) => events.push(`reconnected:${n}`));
  const connected = new Map<string, boolean>();
  client.on('peerUpdated', (p) => {
    if ((connected.get(p.id) ?? true) !== p.connected) events.push(`connected:${p.id}:${p.connected}`);
    connected.set(p.id, p.connected);
  });
  const photos = await Promise.all(photoUrls.map(async (u) => (await fetch(u)).blob()));
  if (options.publish === false) return { delegate: 'none', embeddingBytes: 0 };
  const enrollment = await client.enroll(photos);
  await client.publish({ camera: true, microphone: true, ...(options.maxFps !== undefined ? { maxFps: options.maxFps } : {}) });
  return { delegate: (await client.tracker()).delegate, embeddingBytes: enrollment.bytes.byteLength };
}

function state() {
  if (!client) throw new Error('not joined');
  const stats = client.stats;
  return {
    events,
    errors,
    publisher: stats.publisher,
    peers: [...client.peers.values()].map((p) => ({
      id: p.id,
      ready: p.avatar.ready,
      isAvatar: p.isAvatar,
      streamId: p.stream.id,
      audioTracks: p.stream.getAudioTracks().length,
      videoTracks: p.stream.getVideoTracks().length,
      shownFrames: playback.get(p.id)?.frames ?? 0,
      shownWidth: playback.get(p.id)?.el.videoWidth ?? 0,
      shownState: (() => {
        const el = playback.get(p.id)?.el;
        return el ? `paused=${el.paused} readyState=${el.readyState} error=${el.error?.message ?? null} tracks=${p.stream.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted}`).join(',')}` : 'no element';
      })(),
      stats: p.avatar.stats,
    })),
  };
}

/** What a `<visage-avatar>` tile given this remote peer shows now: its state attributes and caption. */
function tileStatus(peerId: string): { lost: string | null; choppy: string | null; caption: string } {
  const peer = client?.peers.get(peerId);
  if (!peer) throw new Error(`no peer ${peerId}`);
  const el = document.createElement('visage-avatar');
  el.toggleAttribute('silent', true);
  document.body.append(el);
  el.peer = peer;
  const out = { lost: el.getAttribute('lost'), choppy: el.getAttribute('choppy'), caption: el.shadowRoot!.querySelector('.status')!.textContent ?? '' };
  el.peer = null;
  el.remove();
  return out;
}

/** PNG data URL of a remote peer's avatar as drawn now. */
async function snapshot(peerId: string): Promise<string> {
  const peer = client?.peers.get(peerId);
  if (!peer) throw new Error(`no peer ${peerId}`);
  const bitmap = await peer.avatar.snapshot();
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas.toDataURL('image/png');
}

let checker: FaceTracker | null = null;
let checkerClock = 0;
/** Runs a separate FaceLandmarker on a remote avatar's canvas: is there a face? */
async function avatarHasFace(peerId: string): Promise<boolean> {
  const peer = client?.peers.get(peerId);
  if (!peer) throw new Error(`no peer ${peerId}`);
  checker ??= await FaceTracker.create({ workerFactory, delegate: 'CPU' });
  let found = false;
  for (let k = 0; k < 2; k++) {
    const bitmap = await peer.avatar.snapshot();
    checkerClock += 50;
    found = (await checker.track(bitmap, checkerClock)).frame.landmarks !== null;
  }
  return found;
}

let identity: FaceIdentity | null = null;
/**
 * Face-recognition similarity of a remote peer's rendered avatar to each of the given
 * stills (the enrollment photos of everyone in the call).
 */
async function avatarIdentity(peerId: string, stills: Record<string, string>): Promise<Record<string, number>> {
  const peer = client?.peers.get(peerId);
  if (!peer) throw new Error(`no peer ${peerId}`);
  identity ??= await FaceIdentity.create();
  const avatar = await identity.describe(await peer.avatar.snapshot());
  if (!avatar) throw new Error(`no face recognised on ${peerId}'s avatar`);
  const out: Record<string, number> = {};
  for (const [id, url] of Object.entries(stills)) {
    const still = await identity.describe(await createImageBitmap(await (await fetch(url)).blob()));
    if (!still) throw new Error(`no face recognised on ${url}`);
    out[id] = similarity(avatar.descriptor, still.descriptor);
  }
  return out;
}

/** Inbound audio RTP packets per remote peer. */
async function audioPackets(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of client?.peers.values() ?? []) {
    const track = p.stream.getAudioTracks()[0];
    out[p.id] = track && track.readyState === 'live' ? 1 : 0;
  }
  return out;
}

/** Per-frame capture → render latencies of every remote avatar since the last call. */
/** Capture → drawn latencies and capture → arrival transits (ms) of every remote avatar since the last call. */
async function samples(): Promise<{ latency: number[]; syncWait: number[]; transit: number[] }> {
  const all = await Promise.all([...(client?.peers.values() ?? [])].map((p) => p.avatar.takeSamples()));
  return { latency: all.flatMap((s) => s.latency), syncWait: all.flatMap((s) => s.syncWait), transit: all.flatMap((s) => s.transit) };
}

async function leave(): Promise<void> {
  await client?.leave();
  client = null;
}

declare global {
  interface Window {
    visageCall: { avatarIdentity: typeof avatarIdentity; audioInbound: typeof audioInbound; join: typeof join; state: typeof state; sentSummary: typeof sentSummary; samples: typeof samples; snapshot: typeof snapshot; avatarHasFace: typeof avatarHasFace; audioPackets: typeof audioPackets; leave: typeof leave; tileStatus: typeof tileStatus };
  }
}
window.visageCall = { avatarIdentity, audioInbound, join, state, sentSummary, samples, snapshot, avatarHasFace, audioPackets, leave, tileStatus };
document.body.dataset.ready = '1';
