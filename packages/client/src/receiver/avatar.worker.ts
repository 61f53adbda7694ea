/// <reference lib="webworker" />
/**
 * Module Worker that renders remote avatars on OffscreenCanvases, off the main thread:
 * one `AvatarRenderer` per `init`. Start it with `new Worker(url, { type: 'module' })`;
 * `RemoteAvatar` speaks its protocol (one worker per avatar).
 */
import { AvatarRenderer } from './avatar-renderer.ts';
import type { AvatarFromWorker, AvatarToWorker } from './worker-protocol.ts';
import { serveWorkerRpc } from '../util/worker-rpc.ts';

let renderer: AvatarRenderer | null = null;

function need(): AvatarRenderer {
  if (!renderer) throw new Error('avatar worker not initialised');
  return renderer;
}

serveWorkerRpc<AvatarToWorker, AvatarFromWorker>(async (msg, reply) => {
  switch (msg.type) {
    case 'init': {
      if (renderer) throw new Error('avatar worker already initialised');
      const r = new AvatarRenderer(msg.canvas, msg.options);
      r.on('ready', () => reply({ type: 'event', id: 0, event: 'ready' }));
      r.on('faceLost', (lost, reason) => reply({ type: 'event', id: 0, event: 'faceLost', lost, reason }));
      r.on('stats', (stats) => reply({ type: 'event', id: 0, event: 'stats', stats }));
      r.on('error', (err) => reply({ type: 'event', id: 0, event: 'error', message: err.message }));
      renderer = r;
      reply({ type: 'ok', id: msg.id });
      break;
    }
    case 'embedding':
      await need().setEmbedding(msg.embedding, msg.hash);
      reply({ type: 'ok', id: msg.id });
      break;
    case 'packet':
      // Fire and forget: no reply per packet.
      need().pushLandmarkPacket(msg.bytes, msg.arrival);
      break;
    case 'audio':
      need().audioPlayout(msg.sample);
      break;
    case 'samples': {
      const r = need();
      reply({ type: 'samples', id: msg.id, latency: r.takeLatencySamples(), syncWait: r.takeSyncWaitSamples(), transit: r.takeTransitSamples() });
      break;
    }
    case 'snapshot': {
      const bitmap = await need().snapshot();
      reply({ type: 'snapshot', id: msg.id, bitmap }, [bitmap]);
      break;
    }
    case 'close':
      renderer?.close();
      renderer = null;
      reply({ type: 'ok', id: msg.id });
      break;
  }
});
