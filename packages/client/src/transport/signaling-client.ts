/**
 * Typed request/response over socket.io to the Visage SFU. Every request name,
 * payload and answer type comes from @visage/protocol.
 */
import { io, type Socket } from 'socket.io-client';
import {
  SIGNALING_PATH,
  UNAUTHORIZED,
  type Notifications,
  type RequestName,
  type Requests,
  type Responses,
} from '@visage/protocol';
import { ClientErrorCode, VisageClientError } from './errors.ts';

export interface SignalingOptions {
  /** Base URL of the SFU, e.g. http://localhost:3000. */
  url: string;
  token: string;
  /** Connection and per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
}

export class SignalingClient {
  readonly #socket: Socket;
  readonly #timeoutMs: number;

  private constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
  }

  /** Connects and authenticates; rejects with `unauthorized` or `unreachable`. */
  static connect(options: SignalingOptions): Promise<SignalingClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const socket = io(options.url, {
      path: SIGNALING_PATH,
      auth: { token: options.token },
      transports: ['websocket'],
      reconnection: false,
      timeout: timeoutMs,
    });
    return new Promise((resolve, reject) => {
      const fail = (err: VisageClientError) => {
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        socket.close();
        reject(err);
      };
      const onConnect = () => {
        socket.off('connect_error', onError);
        resolve(new SignalingClient(socket, timeoutMs));
      };
      const onError = (err: Error & { data?: { reason?: string } }) => {
        if (err.message === UNAUTHORIZED) fail(VisageClientError.unauthorized(err.data?.reason));
        else fail(VisageClientError.unreachable(options.url, err.message));
      };
      socket.once('connect', onConnect);
      socket.once('connect_error', onError);
    });
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  async request<K extends RequestName>(name: K, payload: Requests[K]): Promise<Responses[K]> {
    if (!this.#socket.connected) throw new VisageClientError(ClientErrorCode.Closed, `${name}: not connected`);
    let answer: unknown;
    try {
      answer = await this.#socket.timeout(this.#timeoutMs).emitWithAck(name, payload ?? {});
    } catch {
      throw VisageClientError.timeout(name, this.#timeoutMs);
    }
    const error = (answer as { error?: { code: string; message: string } } | undefined)?.error;
    if (error) throw new VisageClientError(ClientErrorCode.Rejected, `${name}: ${error.message}`, error.code);
    return answer as Responses[K];
  }

  on<K extends keyof Notifications>(event: K, listener: (payload: Notifications[K]) => void): () => void {
    const l = listener as (payload: unknown) => void;
    this.#socket.on(event as string, l);
    return () => this.#socket.off(event as string, l);
  }

  onDisconnect(listener: (reason: string) => void): () => void {
    this.#socket.on('disconnect', listener);
    return () => this.#socket.off('disconnect', listener);
  }

  close(): void {
    this.#socket.close();
  }
}
