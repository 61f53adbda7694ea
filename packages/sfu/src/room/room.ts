/**
 * A room: one mediasoup Router and the peers joined to it. Every request a peer
 * makes goes through here, so the room is where rights and room boundaries are
 * enforced: a peer only ever sees producers of its own room.
 */
import type { types } from 'mediasoup';
import {
  DataLabel,
  VisageError,
  type ConsumeDataResponse,
  type ConsumeResponse,
  type JoinResponse,
  type Notifications,
  type Requests,
  type TransportResponse,
} from '@visage/protocol';
import type { Logger } from 'pino';
import type { Peer } from './peer.ts';

export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
];

export interface RoomOptions {
  listenIp: string;
  announcedIp: string | undefined;
  maxSctpMessageSize: number;
  maxPeers: number;
  /** How long a peer that dropped out keeps its place before the others hear it left (ms; config.ts). */
  departureGraceMs: number;
  logger: Logger;
  /** Sends a server push to one peer. */
  notify: <K extends keyof Notifications>(peer: Peer, event: K, payload: Notifications[K]) => void;
}

export class Room {
  readonly id: string;
  readonly router: types.Router;
  readonly worker: types.Worker;
  readonly peers = new Map<string, Peer>();
  readonly #options: RoomOptions;
  #closed = false;
  /** Peers that dropped out and may come back: the timers that will announce them as left. */
  readonly #departing = new Map<string, ReturnType<typeof setTimeout>>();
  /** Called once when the room closes (so the manager can forget it). */
  onClose: (() => void) | undefined;

  constructor(id: string, worker: types.Worker, router: types.Router, options: RoomOptions) {
    this.id = id;
    this.worker = worker;
    this.router = router;
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw VisageError.invalidState(`room ${this.id} is closed`);
  }

  #joinedPeers(except?: Peer): Peer[] {
    return [...this.peers.values()].filter((p) => p.joined && p !== except);
  }

  /** Adds a peer (before `join`); a peer reconnecting with the same id replaces the old one. */
  admit(peer: Peer): void {
    this.#assertOpen();
    const old = this.peers.get(peer.id);
    if (old) this.remove(old, 'replaced');
    if (this.peers.size >= this.#options.maxPeers) {
      throw VisageError.forbidden(`room ${this.id} is full (${this.#options.maxPeers} peers)`);
    }
    this.peers.set(peer.id, peer);
  }

  join(peer: Peer, _req: Requests['join']): JoinResponse {
    this.#assertOpen();
    if (peer.joined) throw VisageError.invalidState('already joined');
    peer.joined = true;
    // Back within its departure grace: the others were never told it left, and see it join again.
    clearTimeout(this.#departing.get(peer.id));
    this.#departing.delete(peer.id);
    for (const other of this.#joinedPeers(peer)) this.#options.notify(other, 'peerJoined', { peer: peer.info() });
    return {
      rtpCapabilities: this.router.rtpCapabilities as Record<string, unknown>,
      peers: this.#joinedPeers(peer).map((p) => p.info()),
    };
  }

  #requireJoined(peer: Peer): void {
    if (!peer.joined) throw VisageError.invalidState('join first');
  }

  async createTransport(peer: Peer, req: Requests['createTransport']): Promise<TransportResponse> {
    this.#assertOpen();
    this.#requireJoined(peer);
    if (req.direction === 'send' && !peer.claims.publish) throw VisageError.forbidden('token does not grant publish');
    if (req.direction === 'recv' && !peer.claims.subscribe) throw VisageError.forbidden('token does not grant subscribe');
    if (peer.transports.size >= 4) throw VisageError.invalidState('too many transports for one peer');
    const transport = await this.router.createWebRtcTransport({
      listenIps: [{ ip: this.#options.listenIp, announcedIp: this.#options.announcedIp }],
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      enableSctp: req.sctpCapabilities !== undefined,
      numSctpStreams: { OS: 1024, MIS: 1024 },
      maxSctpMessageSize: this.#options.maxSctpMessageSize,
      appData: { direction: req.direction },
    });
    if (peer.closed) {
      transport.close();
      throw VisageError.invalidState('peer left');
    }
    peer.transports.set(transport.id, transport);
    if (req.rtpCapabilities) peer.rtpCapabilities = req.rtpCapabilities as unknown as types.RtpCapabilities;
    transport.observer.on('close', () => peer.transports.delete(transport.id));
    const response: TransportResponse = {
      id: transport.id,
      iceParameters: transport.iceParameters as unknown as Record<string, unknown>,
      iceCandidates: transport.iceCandidates as unknown as Record<string, unknown>[],
      dtlsParameters: transport.dtlsParameters as unknown as Record<string, unknown>,
    };
    if (transport.sctpParameters) response.sctpParameters = transport.sctpParameters as unknown as Record<string, unknown>;
    return response;
  }

  async connectTransport(peer: Peer, req: Requests['connectTransport']): Promise<Record<string, never>> {
    this.#assertOpen();
    await peer.transport(req.transportId).connect({ dtlsParameters: req.dtlsParameters as unknown as types.DtlsParameters });
    return {};
  }

  async produce(peer: Peer, req: Requests['produce']): Promise<{ id: string }> {
    this.#assertOpen();
    this.#requireJoined(peer);
    if (!peer.claims.publish) throw VisageError.forbidden('token does not grant publish');
    if (req.kind !== 'audio') {
      throw VisageError.invalidRequest('only audio is relayed: Visage sends face motion on data channels, not video');
    }
    const transport = peer.transport(req.transportId);
    if (transport.appData.direction !== 'send') throw VisageError.invalidRequest('produce needs a send transport');
    const producer = await transport.produce({
      kind: req.kind,
      rtpParameters: req.rtpParameters as unknown as types.RtpParameters,
      appData: { peerId: peer.id },
    });
    peer.producers.set(producer.id, producer);
    producer.observer.on('close', () => peer.producers.delete(producer.id));
    for (const other of this.#joinedPeers(peer)) {
      this.#options.notify(other, 'newProducer', { peerId: peer.id, producer: { id: producer.id, kind: producer.kind } });
    }
    return { id: producer.id };
  }

  async produceData(peer: Peer, req: Requests['produceData']): Promise<{ id: string }> {
    this.#assertOpen();
    this.#requireJoined(peer);
    if (!peer.claims.publish) throw VisageError.forbidden('token does not grant publish');
    const transport = peer.transport(req.transportId);
    if (transport.appData.direction !== 'send') throw VisageError.invalidRequest('produceData needs a send transport');
    const sctp = req.sctpStreamParameters;
    if (req.label === DataLabel.Landmarks) {
      // maxRetransmits: 0 is treated as unset by mediasoup(-client) and would make the channel reliable.
      const partial = sctp.ordered === false && (sctp.maxPacketLifeTime !== undefined || (sctp.maxRetransmits ?? 0) >= 1);
      if (!partial) {
        throw VisageError.invalidRequest(
          `${DataLabel.Landmarks} must be unordered and partially reliable (maxPacketLifeTime, or maxRetransmits ≥ 1)`,
        );
      }
    } else if (sctp.ordered === false || sctp.maxPacketLifeTime !== undefined || sctp.maxRetransmits !== undefined) {
      throw VisageError.invalidRequest(`${req.label} must be reliable and ordered`);
    }
    for (const existing of peer.dataProducers.values()) {
      if (existing.label === req.label) throw VisageError.invalidState(`a ${req.label} data producer already exists`);
    }
    const dataProducer = await transport.produceData({
      sctpStreamParameters: sctp as types.SctpStreamParameters,
      label: req.label,
      protocol: req.protocol ?? '',
      appData: { peerId: peer.id },
    });
    peer.dataProducers.set(dataProducer.id, dataProducer);
    dataProducer.observer.on('close', () => peer.dataProducers.delete(dataProducer.id));
    for (const other of this.#joinedPeers(peer)) {
      this.#options.notify(other, 'newDataProducer', {
        peerId: peer.id,
        dataProducer: { id: dataProducer.id, label: dataProducer.label },
      });
    }
    return { id: dataProducer.id };
  }

  /** Finds a producer among the other peers of this room only. */
  #findProducer<T extends 'producers' | 'dataProducers'>(
    self: Peer,
    map: T,
    id: string,
  ): { owner: Peer; producer: NonNullable<ReturnType<Peer[T]['get']>> } {
    for (const owner of this.peers.values()) {
      if (owner === self) continue;
      const producer = owner[map].get(id) as NonNullable<ReturnType<Peer[T]['get']>> | undefined;
      if (producer) return { owner, producer };
    }
    throw VisageError.notFound(map === 'producers' ? 'producer' : 'data producer', id);
  }

  async consume(peer: Peer, req: Requests['consume']): Promise<ConsumeResponse> {
    this.#assertOpen();
    this.#requireJoined(peer);
    if (!peer.claims.subscribe) throw VisageError.forbidden('token does not grant subscribe');
    const transport = peer.transport(req.transportId);
    if (transport.appData.direction !== 'recv') throw VisageError.invalidRequest('consume needs a recv transport');
    const { owner, producer } = this.#findProducer(peer, 'producers', req.producerId);
    const rtpCapabilities = peer.rtpCapabilities;
    if (!rtpCapabilities) throw VisageError.invalidState('create a recv transport with rtpCapabilities first');
    if (!this.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      throw VisageError.invalidRequest('your RTP capabilities cannot consume this producer');
    }
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true });
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.on('close', () => peer.consumers.delete(consumer.id));
    consumer.on('producerclose', () => {
      this.#options.notify(peer, 'producerClosed', { peerId: owner.id, producerId: producer.id, data: false });
    });
    return {
      id: consumer.id,
      producerId: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown>,
    };
  }

  async consumeData(peer: Peer, req: Requests['consumeData']): Promise<ConsumeDataResponse> {
    this.#assertOpen();
    this.#requireJoined(peer);
    if (!peer.claims.subscribe) throw VisageError.forbidden('token does not grant subscribe');
    const transport = peer.transport(req.transportId);
    if (transport.appData.direction !== 'recv') throw VisageError.invalidRequest('consumeData needs a recv transport');
    const { owner, producer } = this.#findProducer(peer, 'dataProducers', req.dataProducerId);
    const sp = producer.sctpStreamParameters;
    // Carry the producer's reliability explicitly to the receiver leg.
    const dataConsumer = await transport.consumeData({
      dataProducerId: producer.id,
      ordered: sp?.ordered ?? true,
      ...(sp?.maxPacketLifeTime !== undefined ? { maxPacketLifeTime: sp.maxPacketLifeTime } : {}),
      ...(sp?.maxRetransmits !== undefined ? { maxRetransmits: sp.maxRetransmits } : {}),
    });
    peer.dataConsumers.set(dataConsumer.id, dataConsumer);
    dataConsumer.observer.on('close', () => peer.dataConsumers.delete(dataConsumer.id));
    dataConsumer.on('dataproducerclose', () => {
      this.#options.notify(peer, 'producerClosed', { peerId: owner.id, producerId: producer.id, data: true });
    });
    return {
      id: dataConsumer.id,
      dataProducerId: producer.id,
      label: dataConsumer.label,
      protocol: dataConsumer.protocol,
      sctpStreamParameters: dataConsumer.sctpStreamParameters as unknown as Record<string, unknown>,
    };
  }

  async resume(peer: Peer, req: Requests['resume']): Promise<Record<string, never>> {
    this.#assertOpen();
    const consumer = peer.consumers.get(req.consumerId);
    if (!consumer) throw VisageError.notFound('consumer', req.consumerId);
    await consumer.resume();
    return {};
  }

  /** Forwards a receiver's keyframe / embedding request to the data producer's owner. */
  requestKeyframe(peer: Peer, req: Requests['requestKeyframe']): Record<string, never> {
    this.#assertOpen();
    this.#requireJoined(peer);
    const { owner } = this.#findProducer(peer, 'dataProducers', req.dataProducerId);
    this.#options.notify(owner, 'keyframeRequested', { peerId: peer.id, dataProducerId: req.dataProducerId });
    return {};
  }

  /**
   * Removes a peer and tells the others: at once when it `left`; after the departure grace when
   * its connection was `lost` (or it left to rejoin) or a new connection of it `replaced` it, unless
   * it joins again first. Its producers close now either way. A replaced peer's room stays open
   * for the replacement.
   */
  remove(peer: Peer, why: 'left' | 'lost' | 'replaced' = 'left'): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    const wasJoined = peer.joined;
    peer.close();
    if (wasJoined && !this.#closed) {
      // (join cancels the timer of a peer that came back, close every timer)
      const announce = () => {
        this.#departing.delete(peer.id);
        for (const other of this.#joinedPeers()) this.#options.notify(other, 'peerLeft', { peerId: peer.id });
      };
      clearTimeout(this.#departing.get(peer.id));
      if (why === 'left' || this.#options.departureGraceMs === 0) announce();
      else this.#departing.set(peer.id, setTimeout(announce, this.#options.departureGraceMs));
    }
    if (this.peers.size === 0 && why !== 'replaced') this.close();
  }

  /** Closes the router and every peer; `rejoin` tells the peers to come back. */
  close(rejoinReason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#departing.values()) clearTimeout(timer);
    this.#departing.clear();
    for (const peer of this.peers.values()) {
      if (rejoinReason) this.#options.notify(peer, 'rejoin', { reason: rejoinReason });
      peer.close();
    }
    this.peers.clear();
    this.router.close();
    this.#options.logger.info({ room: this.id, reason: rejoinReason ?? 'empty' }, 'room closed');
    this.onClose?.();
  }
}
