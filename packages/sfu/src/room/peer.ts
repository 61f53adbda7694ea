/**
 * A peer in a room: its socket, its rights (from the join token) and the mediasoup
 * objects it created. `close()` closes them all; idempotent.
 */
import type { types } from 'mediasoup';
import type { DataProducerInfo, PeerInfo, ProducerInfo, TokenClaims } from '@visage/protocol';
import { VisageError } from '@visage/protocol';

export class Peer {
  readonly id: string;
  readonly name: string;
  readonly claims: TokenClaims;
  /** Set by `join`. */
  joined = false;
  /** The device's RTP capabilities, given with its receive transport. */
  rtpCapabilities: types.RtpCapabilities | undefined;
  readonly transports = new Map<string, types.WebRtcTransport>();
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  readonly dataProducers = new Map<string, types.DataProducer>();
  readonly dataConsumers = new Map<string, types.DataConsumer>();
  #closed = false;

  constructor(claims: TokenClaims) {
    this.id = claims.peer;
    this.name = claims.name || claims.peer;
    this.claims = claims;
  }

  get closed(): boolean {
    return this.#closed;
  }

  transport(id: string): types.WebRtcTransport {
    const transport = this.transports.get(id);
    if (!transport) throw VisageError.notFound('transport', id);
    return transport;
  }

  info(): PeerInfo {
    return {
      id: this.id,
      name: this.name,
      impersonation: this.claims.impersonate,
      producers: [...this.producers.values()].map((p): ProducerInfo => ({ id: p.id, kind: p.kind })),
      dataProducers: [...this.dataProducers.values()].map((d): DataProducerInfo => ({ id: d.id, label: d.label })),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing a transport closes its producers and consumers.
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
    this.dataProducers.clear();
    this.dataConsumers.clear();
  }
}
