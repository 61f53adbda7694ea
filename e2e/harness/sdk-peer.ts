/**
 * Browser side of the call tests: the real SDK (createVisageClient) with the
 * page's fake camera and microphone, exposed on `window.visageCall`.
 */
import { createVisageClient, type VisageClient } from '../../packages/client/src/sdk/visage-client.ts';
import { FaceTracker } from '../../packages/client/src/tracking/index.ts';

const workerFactory = () => new Worker('/tracker.worker.js', { type: 'module', name: 'visage-face-tracker' });
let client: VisageClient | null = null;
const events: string[] = [];
const errors: string[] = [];

async function join(url: string, token: string, photoUrls: string[]): Promise<{ delegate: string; embeddingBytes: number }> {
  client = await createVisageClient({ url, token, tracker: { workerFactory, delegate: 'CPU' }, backend: 'cpu' });
  client.on('peerJoined', (p) => events.push(`joined:${p.id}`));
  client.on('avatarReady', (p) => events.push(`ready:${p.id}`));
  client.on('peerLeft', (id) => events.push(`left:${id}`));
  client.on('faceLost', ({ peerId, lost }) => events.push(`faceLost:${peerId ?? 'self'}:${lost}`));
  client.on('error', (e) => errors.push(String(e?.message ?? e)));
  const photos = await Promise.all(photoUrls.map(async (u) => (await fetch(u)).blob()));
  const enrollment = await client.enroll(photos);
  await client.publish({ camera: true, microphone: true });
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
      audioTracks: p.stream.getAudioTracks().length,
      videoTracks: p.stream.getVideoTracks().length,
      stats: p.avatar.stats,
    })),
  };
}

/** PNG data URL of a remote peer's avatar canvas as drawn now. */
function snapshot(peerId: string): string {
  const peer = client?.peers.get(peerId);
  if (!peer) throw new Error(`no peer ${peerId}`);
  return peer.avatar.canvas.toDataURL('image/png');
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
    const bitmap = await createImageBitmap(peer.avatar.canvas);
    checkerClock += 50;
    found = (await checker.track(bitmap, checkerClock)).frame.landmarks !== null;
  }
  return found;
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

async function leave(): Promise<void> {
  await client?.leave();
  client = null;
}

declare global {
  interface Window {
    visageCall: { join: typeof join; state: typeof state; snapshot: typeof snapshot; avatarHasFace: typeof avatarHasFace; audioPackets: typeof audioPackets; leave: typeof leave };
  }
}
window.visageCall = { join, state, snapshot, avatarHasFace, audioPackets, leave };
document.body.dataset.ready = '1';
