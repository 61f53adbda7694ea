/**
 * The SFU: worker pool, rooms, signaling and HTTP wired together.
 * `createSfu(config)` starts it; `close()` shuts it down gracefully.
 */
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { signToken } from './auth.ts';
import pino, { type Logger } from 'pino';
import type { Notifications } from '@visage/protocol';
import type { SfuConfig } from './config.ts';
import { createHttpServer } from './http.ts';
import { createMetrics } from './metrics.ts';
import type { Peer } from './room/peer.ts';
import { RoomManager } from './room/room-manager.ts';
import { createSignaling, type SignalingServer } from './signaling.ts';
import { WorkerPool } from './worker-pool.ts';

export interface Sfu {
  readonly port: number;
  readonly url: string;
  readonly pool: WorkerPool;
  readonly rooms: RoomManager;
  readonly logger: Logger;
  /** Tells every peer the server is going away, closes rooms, workers and sockets. */
  close(reason?: string): Promise<void>;
}

export async function createSfu(config: SfuConfig, logger: Logger = pino({ level: config.logLevel })): Promise<Sfu> {
  const pool = await WorkerPool.create({
    numWorkers: config.numWorkers,
    rtcMinPort: config.rtcMinPort,
    rtcMaxPort: config.rtcMaxPort,
    logger,
  });
  let signaling: SignalingServer | undefined;
  const rooms = new RoomManager(pool, {
    listenIp: config.listenIp,
    announcedIp: config.announcedIp,
    maxSctpMessageSize: config.maxSctpMessageSize,
    maxPeers: config.maxPeersPerRoom,
    departureGraceMs: config.departureGraceMs,
    logger,
    notify: <K extends keyof Notifications>(peer: Peer, event: K, payload: Notifications[K]) =>
      signaling?.notify(peer, event, payload),
  });
  const metrics = createMetrics(rooms, pool);
  let closing = false;
  const httpServer = createHttpServer({
    staticDir: config.staticDir,
    ...(config.dev
      ? {
          devToken: (room: string, name: string) =>
            signToken(config.secret, { room, peer: `${name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)}-${randomUUID().slice(0, 8)}`, name }),
        }
      : {}),
    metrics,
    health: () => ({
      ok: !closing && pool.workers.some((w) => !w.died && !w.closed),
      workers: pool.workers.length,
      rooms: rooms.rooms.size,
    }),
  });
  signaling = createSignaling(httpServer, config, rooms, metrics, logger);
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  logger.info({ port, workers: config.numWorkers }, 'visage sfu listening');

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pool,
    rooms,
    logger,
    async close(reason = 'server shutting down') {
      if (closing) return;
      closing = true;
      signaling?.notifyAll('serverShutdown', { reason });
      rooms.closeAll();
      await signaling?.close();
      pool.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      logger.info('visage sfu stopped');
    },
  };
}
