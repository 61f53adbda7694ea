/**
 * socket.io signaling: token check at the handshake, then request/ack events,
 * each validated against the schemas of @visage/protocol, size-capped and
 * rate-limited per socket. A bad request gets `{ error: { code, message } }`
 * and the connection stays up.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type DefaultEventsMap, type Socket as IoSocket } from 'socket.io';
import type { Logger } from 'pino';
import {
  ErrorCode,
  MAX_SIGNALING_PAYLOAD_BYTES,
  NOTIFICATION_NAMES,
  REQUEST_NAMES,
  SIGNALING_PATH,
  UNAUTHORIZED,
  VisageError,
  requestSchemas,
  type Notifications,
  type RequestName,
  type Requests,
  type TokenClaims,
} from '@visage/protocol';
import { TokenError, verifyToken } from './auth.ts';
import type { SfuConfig } from './config.ts';
import type { Metrics } from './metrics.ts';
import { Peer } from './room/peer.ts';
import type { Room } from './room/room.ts';
import type { RoomManager } from './room/room-manager.ts';

type Socket = IoSocket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;

interface SocketData {
  claims: TokenClaims;
  peer: Peer;
  room: Room | undefined;
}

type Handler = (room: Room, peer: Peer, payload: never) => unknown;

const handlers: Record<RequestName, Handler> = {
  join: (room, peer, p: never) => room.join(peer, p),
  createTransport: (room, peer, p: never) => room.createTransport(peer, p),
  connectTransport: (room, peer, p: never) => room.connectTransport(peer, p),
  produce: (room, peer, p: never) => room.produce(peer, p),
  produceData: (room, peer, p: never) => room.produceData(peer, p),
  consume: (room, peer, p: never) => room.consume(peer, p),
  consumeData: (room, peer, p: never) => room.consumeData(peer, p),
  resume: (room, peer, p: never) => room.resume(peer, p),
  requestKeyframe: (room, peer, p: never) => room.requestKeyframe(peer, p),
  leave: (room, peer, p: Requests['leave']) => {
    room.remove(peer, p?.rejoining ? 'lost' : 'left');
    return {};
  },
};

/** Token bucket: `perSecond` sustained, `burst` at once. */
class RateLimiter {
  #tokens: number;
  #last = performance.now();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.#tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

function payloadSize(payload: unknown): number {
  try {
    return JSON.stringify(payload ?? null).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Maps any failure to the wire error. mediasoup's own validation errors are the client's fault. */
function toWireError(err: unknown): { code: string; message: string } {
  if (err instanceof VisageError) return err.toWire();
  const e = err as Error;
  if (e?.name === 'TypeError' || e?.name === 'UnsupportedError') {
    return { code: ErrorCode.InvalidRequest, message: e.message };
  }
  if (e?.name === 'InvalidStateError') return { code: ErrorCode.InvalidState, message: e.message };
  return { code: ErrorCode.Internal, message: 'internal error' };
}

export interface SignalingServer {
  io: Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;
  /** Sends a server push to one peer. */
  notify<K extends keyof Notifications>(peer: Peer, event: K, payload: Notifications[K]): void;
  notifyAll<K extends keyof Notifications>(event: K, payload: Notifications[K]): void;
  close(): Promise<void>;
}

export function createSignaling(
  httpServer: HttpServer,
  config: SfuConfig,
  rooms: RoomManager,
  metrics: Metrics,
  logger: Logger,
): SignalingServer {
  const io = new Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>(httpServer, {
    path: SIGNALING_PATH,
    // Hard cap per frame; the per-event cap below answers politely before this one cuts.
    maxHttpBufferSize: 4 * MAX_SIGNALING_PAYLOAD_BYTES,
    serveClient: false,
    cors: { origin: true },
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });

  const socketsByPeer = new Map<string, Socket>();
  const socketOfPeer = new WeakMap<Peer, Socket>();

  io.use((socket, next) => {
    const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    verifyToken(config.secret, token).then(
      (claims) => {
        socket.data.claims = claims;
        next();
      },
      (err: unknown) => {
        const reason = err instanceof TokenError ? err.reason : 'malformed';
        metrics.authFailures.inc({ reason });
        logger.info({ reason, address: socket.handshake.address }, 'connection refused');
        const refusal = new Error(UNAUTHORIZED) as Error & { data: unknown };
        refusal.data = { reason };
        next(refusal);
      },
    );
  });

  io.on('connection', (socket: Socket) => {
    const claims = socket.data.claims;
    const peer = new Peer(claims);
    socket.data.peer = peer;
    socketOfPeer.set(peer, socket);
    const log = logger.child({ room: claims.room, peer: claims.peer });
    const limiter = new RateLimiter(config.rateLimit.perSecond, config.rateLimit.burst);
    const key = `${claims.room}/${claims.peer}`;
    // A second connection with the same identity replaces the first.
    socketsByPeer.get(key)?.disconnect(true);
    socketsByPeer.set(key, socket);
    log.info('connected');

    const roomReady = rooms.getOrCreate(claims.room).then((room) => {
      room.admit(peer);
      socket.data.room = room;
      return room;
    });
    roomReady.catch((err: unknown) => {
      log.warn({ err }, 'could not admit peer');
      socket.emit('error', toWireError(err));
      socket.disconnect(true);
    });

    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = args[args.length - 1];
      const reply = typeof ack === 'function' ? (ack as (res: unknown) => void) : undefined;
      const respondError = (code: string, message: string) => {
        metrics.signalingRequests.inc({ event: REQUEST_NAMES.includes(event as RequestName) ? event : 'unknown', outcome: code });
        reply?.({ error: { code, message } });
      };
      if (!limiter.take()) return respondError(ErrorCode.RateLimited, 'too many requests: slow down');
      if (!(REQUEST_NAMES as string[]).includes(event)) {
        return respondError(ErrorCode.UnknownEvent, `unknown event ${JSON.stringify(event.slice(0, 64))}`);
      }
      if (!reply) return respondError(ErrorCode.InvalidRequest, 'requests need an acknowledgement callback');
      const name = event as RequestName;
      const payload = args.length > 1 ? args[0] : undefined;
      if (payloadSize(payload) > MAX_SIGNALING_PAYLOAD_BYTES) {
        return respondError(ErrorCode.PayloadTooLarge, `payload over ${MAX_SIGNALING_PAYLOAD_BYTES} bytes`);
      }
      const parsed = requestSchemas[name].safeParse(payload);
      if (!parsed.success) {
        const detail = parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
          .join('; ');
        return respondError(ErrorCode.InvalidRequest, `${name}: ${detail}`);
      }
      roomReady
        .then((room) => handlers[name](room, peer, parsed.data as never))
        .then(
          (result) => {
            metrics.signalingRequests.inc({ event: name, outcome: 'ok' });
            reply(result ?? {});
          },
          (err: unknown) => {
            const wire = toWireError(err);
            if (wire.code === ErrorCode.Internal) log.error({ err, event: name }, 'request failed');
            else log.debug({ err: (err as Error).message, event: name }, 'request refused');
            respondError(wire.code, wire.message);
          },
        );
    });

    socket.on('disconnect', (reason) => {
      log.info({ reason }, 'disconnected');
      if (socketsByPeer.get(key) === socket) socketsByPeer.delete(key);
      socket.data.room?.remove(peer, 'lost');
    });
  });

  return {
    io,
    notify(peer, event, payload) {
      if (!NOTIFICATION_NAMES.includes(event)) throw new TypeError(`unknown notification ${event}`);
      socketOfPeer.get(peer)?.emit(event, payload);
    },
    notifyAll(event, payload) {
      io.emit(event, payload);
    },
    close: () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
      }),
  };
}
