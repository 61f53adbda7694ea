/// <reference lib="webworker" />
/**
 * Module Worker running face recognition (`FaceIdentity`) off the main thread, so the
 * identity guard's periodic check (~300 ms of wasm on a laptop CPU) never stalls camera
 * capture, tracking or rendering. Start it with `new Worker(url, { type: 'module' })`;
 * `WorkerFaceIdentity` speaks its protocol.
 */
import { serveWorkerRpc } from '../util/worker-rpc.ts';
import { FaceIdentity } from './face-identity.ts';
import type { IdentityFromWorker, IdentityToWorker } from './worker-protocol.ts';

let identity: FaceIdentity | null = null;

serveWorkerRpc<IdentityToWorker, IdentityFromWorker>(async (msg, reply) => {
  switch (msg.type) {
    case 'init':
      if (identity) throw new Error('identity worker already initialised');
      identity = await FaceIdentity.create(msg.options);
      reply({ type: 'ready', id: msg.id, backend: identity.backend });
      break;
    case 'describe':
      try {
        if (!identity) throw new Error('identity worker not initialised');
        const faces = await identity.describeAll(msg.image);
        reply({ type: 'faces', id: msg.id, faces }, faces.map((f) => f.descriptor.buffer));
      } finally {
        if (msg.image instanceof ImageBitmap) msg.image.close();
      }
      break;
    case 'numTensors':
      reply({ type: 'numTensors', id: msg.id, numTensors: identity?.numTensors ?? 0 });
      break;
    case 'dispose':
      identity?.dispose();
      identity = null;
      reply({ type: 'disposed', id: msg.id });
      break;
  }
});
