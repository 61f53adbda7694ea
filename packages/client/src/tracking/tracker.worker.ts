/// <reference lib="webworker" />
/**
 * Module Worker running FaceLandmarker off the main thread. Start it with
 * `new Worker(url, { type: 'module' })`; `FaceTracker` speaks its protocol.
 */
import { serveWorkerRpc } from '../util/worker-rpc.ts';
import { detectFrame, loadLandmarker } from './landmarker.ts';
import type { LoadedLandmarker } from './landmarker.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

let landmarker: LoadedLandmarker | null = null;

serveWorkerRpc<ToWorker, FromWorker>(async (msg, reply) => {
  switch (msg.type) {
    case 'init': {
      if (landmarker) throw new Error('tracker worker already initialised');
      const loaded = await loadLandmarker(msg.config);
      landmarker = loaded;
      reply({ type: 'ready', id: msg.id, delegate: loaded.delegate, ...(loaded.gpuError ? { gpuError: loaded.gpuError } : {}) });
      break;
    }
    case 'detect': {
      try {
        if (!landmarker) throw new Error('tracker worker not initialised');
        const t0 = performance.now();
        const frame = detectFrame(landmarker, msg.frame, msg.t, msg.still ?? false);
        const ms = performance.now() - t0;
        const transfer: Transferable[] = [];
        for (const a of [frame.landmarks, frame.blendshapes, frame.matrix]) if (a) transfer.push(a.buffer);
        reply({ type: 'result', id: msg.id, frame, ms }, transfer);
      } finally {
        msg.frame.close();
      }
      break;
    }
    case 'close': {
      landmarker?.landmarker.close();
      landmarker = null;
      reply({ type: 'closed', id: msg.id });
      break;
    }
  }
});
