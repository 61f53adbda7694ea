/**
 * One peer's media session with the SFU: a mediasoup-client Device, a send and a
 * receive transport (created on first use), and typed helpers to publish the
 * landmark track, the embedding and audio, and to consume other peers' streams.
 * mediasoup-client asks us to signal through its `connect`/`produce` events;
 * we answer with the typed SignalingClient.
 *
 * The room's pushes (a peer joined, a new producer) can arrive right after the join
 * answer, while the device is still loading and before the app has its listeners on;
 * socket.io drops events nobody listens to, so they are held from the join request
 * until `start()`.
 */
import { Device, type types } from 'mediasoup-client';
import {
  DataLabel,
  LANDMARK_MAX_PACKET_LIFETIME_MS,
  NOTIFICATION_NAMES,
  TypedEmitter,
  type JoinResponse,
  type NotificationName,
  type Notifications,
  type PeerInfo,
  type TransportResponse,
} from '@visage/protocol';
import { SignalingClient, type SignalingOptions } from './signaling-client.ts';

export interface RoomConnectionOptions extends SignalingOptions {
  /** Inject a handler factory (tests, non-browser runtimes). Default: detected. */
  handlerFactory?: types.HandlerFactory;
}

type RoomEvents = { [K in NotificationName]: [Notifications[K]] } & { transportFailed: [direction: 'send' | 'recv'] };

/**
 * The connection's events: the room's pushes, held until `start()` and then delivered in
 * arrival order (and every later one as it comes), and `transportFailed`.
 */
class RoomEventRelay extends TypedEmitter<RoomEvents> {
  #held: [NotificationName, unknown][] | null = [];
  readonly #unsubscribe: (() => void)[];

  constructor(signaling: SignalingClient) {
    super();
    this.#unsubscribe = NOTIFICATION_NAMES.map((name) =>
      signaling.on(name, (payload) => {
        if (this.#held) this.#held.push([name, payload]);
        else this.#deliver(name, payload);
      }),
    );
  }

  start(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const [name, payload] of held) this.#deliver(name, payload);
  }

  transportFailed(direction: 'send' | 'recv'): void {
    this.safeEmit('transportFailed', direction);
  }

  close(): void {
    for (const off of this.#unsubscribe) off();
    this.removeAllListeners();
    this.#held = null;
  }

  #deliver(name: NotificationName, payload: unknown): void {
    this.safeEmit(name, payload as never);
  }
}

export class RoomConnection {
  readonly signaling: SignalingClient;
  readonly device: Device;
  /** Peers already in the room when we joined. */
  readonly initialPeers: PeerInfo[];
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  #sendPending: Promise<types.Transport> | undefined;
  #recvPending: Promise<types.Transport> | undefined;
  readonly #events: RoomEventRelay;
  #closed = false;

  private constructor(signaling: SignalingClient, device: Device, join: JoinResponse, events: RoomEventRelay) {
    this.signaling = signaling;
    this.device = device;
    this.initialPeers = join.peers;
    this.#events = events;
  }

  /**
   * Connects, authenticates, joins the token's room and loads the device. The room's
   * pushes are held until `start()`.
   */
  static async join(options: RoomConnectionOptions): Promise<RoomConnection> {
    const signaling = await SignalingClient.connect(options);
    const events = new RoomEventRelay(signaling);
    try {
      const joined = await signaling.request('join', {});
      const device = options.handlerFactory ? new Device({ handlerFactory: options.handlerFactory }) : new Device();
      await device.load({ routerRtpCapabilities: joined.rtpCapabilities as unknown as types.RtpCapabilities });
      return new RoomConnection(signaling, device, joined, events);
    } catch (err) {
      events.close();
      signaling.close();
      throw err;
    }
  }

  /** Listens to one of the room's pushes (delivered from `start()` on). */
  on<K extends keyof Notifications>(event: K, listener: (payload: Notifications[K]) => void): () => void {
    this.#events.on(event, listener as (...args: RoomEvents[K]) => void);
    return () => this.#events.off(event, listener as (...args: RoomEvents[K]) => void);
  }

  /** Called when a media transport fails for good (ICE/DTLS gave up): only a new connection helps. */
  onTransportFailed(listener: (direction: 'send' | 'recv') => void): () => void {
    this.#events.on('transportFailed', listener);
    return () => this.#events.off('transportFailed', listener);
  }

  /**
   * Delivers the pushes that arrived since the join request, in order, then each as it
   * arrives. Call once the listeners are on and `initialPeers` are handled: nothing
   * that happened in the room in between is lost, and nothing is reported twice (the
   * server's peer list and its pushes do not overlap).
   */
  start(): void {
    this.#events.start();
  }

  async #createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const params: TransportResponse = await this.signaling.request('createTransport', {
      direction,
      sctpCapabilities: this.device.sctpCapabilities as unknown as Record<string, unknown>,
      ...(direction === 'recv' ? { rtpCapabilities: this.device.rtpCapabilities as unknown as Record<string, unknown> } : {}),
    });
    const options = {
      id: params.id,
      iceParameters: params.iceParameters as unknown as types.IceParameters,
      iceCandidates: params.iceCandidates as unknown as types.IceCandidate[],
      dtlsParameters: params.dtlsParameters as unknown as types.DtlsParameters,
      sctpParameters: params.sctpParameters as unknown as types.SctpParameters | undefined,
    };
    const transport =
      direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' && !this.#closed) this.#events.transportFailed(direction);
    });
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signaling
        .request('connectTransport', {
          transportId: transport.id,
          dtlsParameters: dtlsParameters as unknown as Record<string, unknown>,
        })
        .then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        this.signaling
          .request('produce', {
            transportId: transport.id,
            kind,
            rtpParameters: rtpParameters as unknown as Record<string, unknown>,
            appData: appData as Record<string, unknown>,
          })
          .then(({ id }) => callback({ id }), errback);
      });
      transport.on('producedata', ({ sctpStreamParameters, label, protocol }, callback, errback) => {
        if (sctpStreamParameters.streamId === undefined) {
          errback(new Error('data producer without an SCTP stream id'));
          return;
        }
        this.signaling
          .request('produceData', {
            transportId: transport.id,
            sctpStreamParameters: {
              streamId: sctpStreamParameters.streamId,
              ...(sctpStreamParameters.ordered !== undefined ? { ordered: sctpStreamParameters.ordered } : {}),
              ...(sctpStreamParameters.maxPacketLifeTime !== undefined
                ? { maxPacketLifeTime: sctpStreamParameters.maxPacketLifeTime }
                : {}),
              ...(sctpStreamParameters.maxRetransmits !== undefined
                ? { maxRetransmits: sctpStreamParameters.maxRetransmits }
                : {}),
            },
            label: label as DataLabel,
            protocol,
          })
          .then(({ id }) => callback({ id }), errback);
      });
    }
    return transport;
  }

  sendTransport(): Promise<types.Transport> {
    this.#sendPending ??= this.#createTransport('send').then((t) => (this.#send = t));
    return this.#sendPending;
  }

  recvTransport(): Promise<types.Transport> {
    this.#recvPending ??= this.#createTransport('recv').then((t) => (this.#recv = t));
    return this.#recvPending;
  }

  /**
   * The landmark track's channel: unordered and partially reliable. mediasoup(-client)
   * treats `maxRetransmits: 0` as unset (fully reliable), so a packet lifetime is used.
   */
  async publishLandmarks(): Promise<types.DataProducer> {
    const transport = await this.sendTransport();
    return transport.produceData({
      ordered: false,
      maxPacketLifeTime: LANDMARK_MAX_PACKET_LIFETIME_MS,
      label: DataLabel.Landmarks,
      protocol: 'visage-landmarks/1',
    });
  }

  /** The avatar embedding's channel: reliable and ordered. */
  async publishEmbedding(): Promise<types.DataProducer> {
    const transport = await this.sendTransport();
    return transport.produceData({ ordered: true, label: DataLabel.Embedding, protocol: 'visage-embedding/1' });
  }

  async publishAudio(track: MediaStreamTrack): Promise<types.Producer> {
    const transport = await this.sendTransport();
    return transport.produce({ track, codecOptions: { opusDtx: true, opusFec: true } });
  }

  async consume(producerId: string): Promise<types.Consumer> {
    const transport = await this.recvTransport();
    const params = await this.signaling.request('consume', { transportId: transport.id, producerId });
    const consumer = await transport.consume({
      id: params.id,
      producerId: params.producerId,
      kind: params.kind,
      rtpParameters: params.rtpParameters as unknown as types.RtpParameters,
    });
    await this.signaling.request('resume', { consumerId: consumer.id });
    return consumer;
  }

  async consumeData(dataProducerId: string): Promise<types.DataConsumer> {
    const transport = await this.recvTransport();
    const params = await this.signaling.request('consumeData', { transportId: transport.id, dataProducerId });
    return transport.consumeData({
      id: params.id,
      dataProducerId: params.dataProducerId,
      sctpStreamParameters: params.sctpStreamParameters as unknown as types.SctpStreamParameters,
      label: params.label,
      protocol: params.protocol,
    });
  }

  /**
   * Leaves the room and closes everything; idempotent. `rejoining`: a new connection joins right
   * after, so the others keep this peer's tile for the server's departure grace.
   */
  async leave(options: { rejoining?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.close();
    if (this.signaling.connected) await this.signaling.request('leave', options.rejoining ? { rejoining: true } : {}).catch(() => undefined);
    this.#send?.close();
    this.#recv?.close();
    this.signaling.close();
  }
}
