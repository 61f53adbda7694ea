/**
 * The Visage SDK: join a call as a photoreal avatar.
 *
 * ```ts
 * const client = await createVisageClient({ url, token });
 * await client.enroll([photo1, photo2]);          // photos stay on this device
 * await client.publish({ camera: true, microphone: true });
 * client.on('peerJoined', (peer) => grid.append(peer.stream)); // MediaStream: avatar video + audio
 * ```
 */
import {
  DataLabel,
  EmbeddingReassembler,
  TypedEmitter,
  chunkEmbedding,
  type DecodedEmbedding,
  type LostReason,
  type PeerInfo,
} from '@visage/protocol';
import type { types } from 'mediasoup-client';
import { FaceTracker, type FaceTrackerOptions } from '../tracking/index.ts';
import { ClientErrorCode, VisageClientError } from '../transport/errors.ts';
import { RoomConnection } from '../transport/room-connection.ts';
import { RejoinLoop } from './rejoin-loop.ts';
import { CameraSource } from '../sender/camera-source.ts';
import { enrollPhotos, withNeuralEnrollment, type Enrollment, type NeuralEnrollmentOptions, type PhotoInput } from '../sender/enroll.ts';
import { LandmarkPublisher, type PublisherStats } from '../sender/landmark-publisher.ts';
import { avatarCodecNeutral, RemoteAvatar, type RemoteAvatarOptions, type RemoteAvatarStats } from '../receiver/remote-avatar.ts';
import { unpackWarpContent } from '../generator/warp/content.ts';
import { IdentityGuard, cameraDescriptorSource, createFaceIdentity, type FaceDescriber, type FaceIdentityOptions, type FaceIdentityThreadOptions, type IdentityCheck, type IdentityStatus } from '../identity/index.ts';

export interface VisageClientOptions {
  /** Base URL of the Visage SFU, e.g. https://visage.example.com. */
  url: string;
  /** Join token from the app's backend (room, peer id, name, rights). */
  token: string;
  /**
   * Where the app serves the tracker's model and wasm (defaults: same origin), and how it tracks
   * (`mode`, `smoothing`; default: every frame measured afresh, One-Euro smoothed). See FaceTracker.
   */
  tracker?: Pick<FaceTrackerOptions, 'modelAssetPath' | 'wasmBasePath' | 'delegate' | 'thread' | 'workerFactory' | 'mode' | 'smoothing'>;
  /**
   * Identity binding (on by default): the avatar is published only while the live camera
   * face matches the enrolled photos (face-recognition similarity checked every 2 s). An
   * avatar of someone else needs a token with the `impersonate` right, and receivers are
   * always told. `false` turns the guard off (tests, kiosks); an object sets where the
   * face-recognition model and wasm are served and where it runs (default: its own
   * module Worker, so checks never stall capture or rendering).
   */
  identity?: false | (Partial<FaceIdentityOptions> & FaceIdentityThreadOptions);
  /** An enrollment made earlier (e.g. on the preview screen with `enrollPhotos`): no need to enroll again. */
  enrollment?: Enrollment;
  /** Remote avatars' size in pixels (default 256) and render rate (default 30). */
  avatarSize?: number;
  avatarFps?: number;
  /** Generator backend for remote avatars (default 'auto': WebGPU → WebGL → CPU). */
  backend?: 'auto' | 'webgpu' | 'webgl' | 'cpu';
  /**
   * Where remote avatars render (default: a module Worker each, on an OffscreenCanvas, when
   * supported), and `mouthRefiner`: redraw warp avatars' mouths and eyes with the neural mouth and
   * eye refiners (the app serves models/weights/mouth/ at /models/mouth/, models/weights/eyes/ at
   * /models/eyes/ and tfjs-backend-wasm's files at /tfjs-wasm/; `{ eyes: false }` for the mouth only,
   * `{ mouth: false }` for the eyes only).
   */
  render?: Pick<RemoteAvatarOptions, 'thread' | 'workerFactory' | 'mouthRefiner'>;
}

export interface RemotePeer {
  readonly id: string;
  readonly name: string;
  /** Always true: the video is synthesised from face motion, never camera video. */
  readonly isAvatar: true;
  /** The sender may show a face that is not theirs (painting, character): always tell the user. */
  readonly impersonation: boolean;
  /** Avatar video (canvas capture) plus the peer's audio: drop it into any <video>. */
  readonly stream: MediaStream;
  readonly avatar: RemoteAvatar;
  readonly audioMuted: boolean;
  /**
   * False while the peer's face-motion channel is gone and it has not left: its connection
   * dropped and the server holds its place (`VISAGE_DEPARTURE_GRACE_MS`) while it rejoins. The
   * tile shows its last frame meanwhile; `peerUpdated` says when this changes.
   */
  readonly connected: boolean;
}

export interface PublishOptions {
  /** true: open the default camera; or a video track to use. */
  camera?: boolean | MediaStreamTrack;
  /** true: open the default microphone; or an audio track to use. */
  microphone?: boolean | MediaStreamTrack;
  /**
   * Most camera frames a second to track and send (default 30; 1–120). Lower it to spare a weak
   * device: receivers interpolate between frames, and below 12 they caption the motion as choppy
   * because of this sender (`motionLimit: 'sender'`).
   */
  maxFps?: number;
}

export interface ClientStats {
  publisher: PublisherStats | null;
  peers: RemoteAvatarStats[];
}

export type VisageClientEvents = {
  /**
   * A remote peer is in the room (its avatar may still be loading). Peers already there when
   * the client joined are announced too, right after `createVisageClient` resolves.
   */
  peerJoined: [peer: RemotePeer];
  peerLeft: [peerId: string];
  /** A remote peer's embedding arrived; its avatar renders. */
  avatarReady: [peer: RemotePeer];
  /** Something about a remote peer changed (its audio muted or unmuted). */
  peerUpdated: [peer: RemotePeer];
  /**
   * A face was lost (or is back: `lost` false, `reason` null). `peerId` is null for the local
   * sender, whose reason is always 'no-face'. For a remote peer, 'no-face': its camera shows no
   * face it may send (out of view, or its identity guard holds it); 'no-data': its motion has
   * stopped arriving (a weak link, or a device too busy to track) — the tile can say which.
   */
  faceLost: [info: { peerId: string | null; lost: boolean; reason: LostReason | null }];
  /** Every ~2 s. */
  stats: [stats: ClientStats];
  error: [error: VisageClientError | Error];
  /** The connection to the server was lost or the server asked us to rejoin; the client rejoins by itself. */
  disconnected: [reason: string];
  /** The identity guard's verdict changed ('match' lets the avatar through). */
  identity: [info: { status: IdentityStatus; check: IdentityCheck | null }];
  /** Rejoined after `disconnected`, after this many attempts. */
  reconnected: [attempts: number];
};

/** How long a peer missing after a rejoin keeps its tile before it counts as gone (ms). */
export const REJOIN_GRACE_MS = 15_000;

/** Embeddings by content hash: a peer that rejoins, or two peers with one avatar, decode once. */
const embeddingCache = new Map<string, DecodedEmbedding>();

class Peer implements RemotePeer {
  readonly isAvatar = true as const;
  audioMuted = true;
  connected = true;
  /** The landmark channel being received (a rejoin of the peer replaces it). */
  landmarks: types.DataConsumer | null = null;
  reassembler = new EmbeddingReassembler();
  constructor(
    readonly id: string,
    readonly name: string,
    readonly impersonation: boolean,
    readonly avatar: RemoteAvatar,
  ) {}
  get stream(): MediaStream {
    return this.avatar.stream;
  }
}

export class VisageClient extends TypedEmitter<VisageClientEvents> {
  readonly #options: VisageClientOptions;
  #conn: RoomConnection;
  #connUnsubscribe: (() => void)[] = [];
  #micTrack: MediaStreamTrack | null = null;
  #identity: Promise<FaceDescriber> | null = null;
  #guard: IdentityGuard | null = null;
  /** Descriptors of the enrollment photos, for the identity guard. */
  #enrolledDescriptors: Float32Array[] = [];
  /** The enrolled avatar is declared not to be the sender's face (needs the token's right). */
  #impersonation = false;
  /** Whether we were publishing when the connection was lost (a rejoin publishes it again). */
  #wasPublishing = false;
  /** Peers that (re)joined since the last (re)connection. */
  readonly #joinedSince = new Set<string>();
  readonly #peers = new Map<string, Peer>();
  #tracker: Promise<FaceTracker> | null = null;
  #enrollment: Enrollment | null = null;
  #publisher: LandmarkPublisher | null = null;
  #camera: CameraSource | null = null;
  #ownTracks: MediaStreamTrack[] = [];
  #landmarkProducer: types.DataProducer | null = null;
  #embeddingProducer: types.DataProducer | null = null;
  #audioProducer: types.Producer | null = null;
  #embeddingResend: ReturnType<typeof setTimeout> | undefined;
  #statsTimer: ReturnType<typeof setInterval>;
  #left = false;
  /** False until the peers present at join have been announced. */
  #announcing = false;

  private constructor(options: VisageClientOptions, conn: RoomConnection) {
    super();
    this.#options = options;
    this.#conn = conn;
    this.#enrollment = options.enrollment ?? null;
    this.#wire(conn);
    this.#statsTimer = setInterval(() => this.safeEmit('stats', this.stats), 2000);
    // Peers already in the room were added above, before anyone could listen: announce them
    // once the app has its listeners on (right after `await createVisageClient(...)`).
    setTimeout(() => {
      this.#announcing = true;
      if (!this.#left) for (const peer of this.#peers.values()) this.safeEmit('peerJoined', peer);
    }, 0);
  }

  /** Subscribes to a connection's pushes and consumes what its room already has. */
  #wire(conn: RoomConnection): void {
    this.#connUnsubscribe = [
      conn.on('peerJoined', ({ peer }) => {
        this.#joinedSince.add(peer.id);
        this.#addPeer(peer);
      }),
      conn.on('peerLeft', ({ peerId }) => this.#removePeer(peerId)),
      conn.on('newDataProducer', ({ peerId, dataProducer }) => void this.#consumeData(peerId, dataProducer.id, dataProducer.label)),
      conn.on('newProducer', ({ peerId, producer }) => void this.#consumeAudio(peerId, producer.id)),
      conn.on('keyframeRequested', ({ dataProducerId }) => this.#onKeyframeRequest(dataProducerId)),
      conn.on('rejoin', ({ reason }) => this.#rejoin.lost(reason)),
      conn.on('serverShutdown', ({ reason }) => this.#rejoin.lost(reason)),
      conn.signaling.onDisconnect((reason) => this.#rejoin.lost(reason)),
      conn.onTransportFailed((direction) => this.#rejoin.lost(`${direction} transport failed`)),
    ];
    // After a rejoin, peers not back yet get a grace period: if they return, the app
    // keeps the same RemotePeer and MediaStream.
    const present = new Set(conn.initialPeers.map((p) => p.id));
    for (const id of [...this.#peers.keys()]) {
      if (present.has(id)) continue;
      setTimeout(() => {
        if (!this.#left && this.#conn === conn && !this.#joinedSince.has(id)) this.#removePeer(id);
      }, REJOIN_GRACE_MS);
    }
    this.#joinedSince.clear();
    for (const peer of conn.initialPeers) {
      this.#addPeer(peer);
      for (const d of peer.dataProducers) void this.#consumeData(peer.id, d.id, d.label);
      for (const p of peer.producers) void this.#consumeAudio(peer.id, p.id);
    }
    // What happened in the room since our join request (held until now), then live.
    conn.start();
  }

  /**
   * The server went away or asked us to rejoin (its media worker restarted), or a transport
   * failed (`#rejoin.lost(reason)`): join again with backoff, keep every remote peer's MediaStream
   * (apps keep their <video> elements), and publish again what was published.
   */
  readonly #rejoin = new RejoinLoop({
    stopped: () => this.#left,
    disconnected: (reason) => {
      this.safeEmit('disconnected', reason);
      this.#wasPublishing = this.#publisher !== null || this.#embeddingProducer !== null;
      this.#dropConnection();
    },
    attempt: async () => {
      const conn = await RoomConnection.join({ url: this.#options.url, token: this.#options.token });
      if (this.#left) {
        await conn.leave();
        return;
      }
      this.#conn = conn;
      for (const peer of this.#peers.values()) peer.reassembler = new EmbeddingReassembler();
      this.#wire(conn);
      try {
        if (this.#wasPublishing) await this.#producePublished();
      } catch (err) {
        // Joined but could not publish: drop this connection entirely and try again.
        this.#dropConnection();
        throw err;
      }
    },
    connected: () => this.#conn.signaling.connected,
    reconnected: (attempts) => {
      if (!this.#left) this.safeEmit('reconnected', attempts);
    },
    fatal: (err) => {
      const e = err as VisageClientError;
      if (e?.code !== ClientErrorCode.Unauthorized) return false;
      this.safeEmit('error', e);
      return true;
    },
  });

  /** Stops listening to the current connection, forgets its producers and leaves it to rejoin (in the background). */
  #dropConnection(): void {
    for (const off of this.#connUnsubscribe) off();
    this.#connUnsubscribe = [];
    this.#landmarkProducer = this.#embeddingProducer = null;
    this.#audioProducer = null;
    void this.#conn.leave({ rejoining: true }).catch(() => undefined);
  }

  static async create(options: VisageClientOptions): Promise<VisageClient> {
    if (typeof options?.url !== 'string' || typeof options.token !== 'string') {
      throw new TypeError('createVisageClient needs { url: string, token: string }');
    }
    if (typeof RTCPeerConnection === 'undefined') {
      throw new VisageClientError(ClientErrorCode.Unsupported, 'this browser has no WebRTC');
    }
    const conn = await RoomConnection.join({ url: options.url, token: options.token });
    return new VisageClient(options, conn);
  }

  get peers(): ReadonlyMap<string, RemotePeer> {
    return this.#peers;
  }

  get enrollment(): Enrollment | null {
    return this.#enrollment;
  }

  get stats(): ClientStats {
    return { publisher: this.#publisher ? { ...this.#publisher.stats } : null, peers: [...this.#peers.values()].map((p) => ({ ...p.avatar.stats })) };
  }

  /** The face tracker (loaded on first use); its `delegate` says GPU or CPU. */
  tracker(): Promise<FaceTracker> {
    this.#tracker ??= FaceTracker.create({ ...this.#options.tracker });
    return this.#tracker;
  }

  /**
   * Computes the avatar embedding from 1–8 photos on this device. Only the embedding
   * (texture atlas, shape, background plate) is ever sent; the photos are not. With `neural`,
   * the neural generator's sections are added too (E's vector and ψ, and with
   * `neural.fineTuneSeconds` the person-specific fine-tuning; see `withNeuralEnrollment`).
   */
  async enroll(photos: readonly PhotoInput[], options: { name?: string; impersonation?: boolean; neural?: NeuralEnrollmentOptions } = {}): Promise<Enrollment> {
    let enrollment = await enrollPhotos(await this.tracker(), photos, options.name);
    if (options.neural) enrollment = (await withNeuralEnrollment(enrollment, options.neural)).enrollment;
    this.#enrollment = enrollment;
    this.#impersonation = options.impersonation === true;
    this.#enrolledDescriptors = [];
    if (this.#embeddingProducer) this.#sendEmbedding();
    return enrollment;
  }

  /** Starts sending face motion from the camera (and the microphone's audio). */
  async publish(options: PublishOptions = { camera: true, microphone: true }): Promise<void> {
    const maxFps = options.maxFps ?? 30;
    if (!(typeof maxFps === 'number' && Number.isFinite(maxFps) && maxFps >= 1 && maxFps <= 120)) throw new TypeError(`publish: maxFps must be a number in [1, 120], got ${String(options.maxFps)}`);
    if (!this.#enrollment) throw new VisageClientError(ClientErrorCode.Rejected, 'enroll() before publish(): there is no avatar to show yet');
    if (this.#publisher || this.#embeddingProducer) return;
    const [cameraTrack, micTrack] = await this.#getTracks(options);
    this.#micTrack = micTrack;
    if (cameraTrack) {
      this.#camera = await CameraSource.open(cameraTrack, maxFps);
      const guard = this.#options.identity === false ? null : await this.#startIdentityGuard(this.#camera);
      const content = await unpackWarpContent(this.#enrollment.embedding);
      const publisher = new LandmarkPublisher({
        source: this.#camera,
        tracker: await this.tracker(),
        // Always the current connection's producer (it changes when we rejoin).
        sink: {
          send: (bytes) => {
            const producer = this.#landmarkProducer;
            if (producer?.readyState === 'open') producer.send(bytes as Uint8Array<ArrayBuffer>);
          },
        },
        // Self-avatar: the codec neutral both ends derive from the embedding.
        neutral: avatarCodecNeutral(content.plateLandmarks, content.plate.height / content.plate.width),
        ...(guard ? { gate: () => guard.publishAllowed } : {}),
      });
      publisher.on('faceLost', (lost) => this.safeEmit('faceLost', { peerId: null, lost, reason: lost ? 'no-face' : null }));
      publisher.on('error', (err) => this.safeEmit('error', err));
      this.#publisher = publisher;
    }
    await this.#producePublished();
    this.#publisher?.start();
  }

  /** The face-recognition model, loaded on first use. */
  #faceIdentity(): Promise<FaceDescriber> {
    this.#identity ??= createFaceIdentity(this.#options.identity || {});
    return this.#identity;
  }

  async #startIdentityGuard(camera: CameraSource): Promise<IdentityGuard> {
    const identity = await this.#faceIdentity();
    const enrollment = this.#enrollment!;
    if (this.#enrolledDescriptors.length === 0) {
      for (const image of enrollment.images) {
        const face = await identity.describe(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height));
        if (face) this.#enrolledDescriptors.push(face.descriptor);
      }
    }
    const rights = tokenRights(this.#options.token);
    const guard = new IdentityGuard({
      enrolled: this.#enrolledDescriptors,
      // Without a match in any photo the avatar is not the sender's face: only allowed with the right.
      impersonation: this.#impersonation || this.#enrolledDescriptors.length === 0,
      rights: { impersonation: rights.impersonate },
    });
    guard.on('status', (status) => this.safeEmit('identity', { status, check: guard.lastCheck }));
    guard.start(cameraDescriptorSource(identity, () => camera.snapshot()));
    this.#guard = guard;
    return guard;
  }

  /** Creates this connection's producers for what we publish. */
  async #producePublished(): Promise<void> {
    if (this.#micTrack && this.#micTrack.readyState === 'live') this.#audioProducer = await this.#conn.publishAudio(this.#micTrack);
    const embedding = await this.#conn.publishEmbedding();
    this.#embeddingProducer = embedding;
    embedding.on('open', () => this.#sendEmbedding());
    if (embedding.readyState === 'open') this.#sendEmbedding();
    if (this.#publisher) {
      this.#landmarkProducer = await this.#conn.publishLandmarks();
      this.#publisher.requestKeyframe();
    }
  }

  async #getTracks(options: { camera?: boolean | MediaStreamTrack; microphone?: boolean | MediaStreamTrack }): Promise<[MediaStreamTrack | null, MediaStreamTrack | null]> {
    const want = { video: options.camera === true, audio: options.microphone === true };
    let got: MediaStream | null = null;
    if (want.video || want.audio) {
      if (!navigator.mediaDevices?.getUserMedia) throw new VisageClientError(ClientErrorCode.Unsupported, 'no camera/microphone API here (needs https or localhost)');
      try {
        got = await navigator.mediaDevices.getUserMedia({
          video: want.video ? { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } } : false,
          audio: want.audio ? { echoCancellation: true, noiseSuppression: true } : false,
        });
      } catch (err) {
        const name = (err as DOMException)?.name;
        if (name === 'NotAllowedError' || name === 'SecurityError') {
          throw new VisageClientError(ClientErrorCode.PermissionDenied, 'camera or microphone permission was denied: allow it in the browser and try again');
        }
        if (name === 'NotFoundError' || name === 'OverconstrainedError') {
          throw new VisageClientError(ClientErrorCode.NoDevice, 'no camera or microphone found');
        }
        throw new VisageClientError(ClientErrorCode.NoDevice, `could not open the camera or microphone: ${(err as Error).message}`);
      }
      this.#ownTracks.push(...got.getTracks());
    }
    const camera = options.camera instanceof MediaStreamTrack ? options.camera : (got?.getVideoTracks()[0] ?? null);
    const mic = options.microphone instanceof MediaStreamTrack ? options.microphone : (got?.getAudioTracks()[0] ?? null);
    return [camera, mic];
  }

  #sendEmbedding(): void {
    const producer = this.#embeddingProducer;
    const enrollment = this.#enrollment;
    if (!producer || !enrollment || producer.readyState !== 'open') return;
    for (const chunk of chunkEmbedding(enrollment.bytes)) producer.send(chunk as Uint8Array<ArrayBuffer>);
  }

  #onKeyframeRequest(dataProducerId: string): void {
    if (dataProducerId === this.#landmarkProducer?.id) this.#publisher?.requestKeyframe();
    if (dataProducerId === this.#embeddingProducer?.id) {
      // Coalesce requests from peers joining together into one resend.
      clearTimeout(this.#embeddingResend);
      this.#embeddingResend = setTimeout(() => this.#sendEmbedding(), 300);
    }
  }

  /** Stops sending face motion and audio; stays in the room as a viewer. */
  async unpublish(): Promise<void> {
    this.#guard?.close();
    this.#guard = null;
    await this.#publisher?.stop();
    this.#publisher = null;
    this.#camera?.close();
    this.#camera = null;
    for (const p of [this.#landmarkProducer, this.#embeddingProducer]) p?.close();
    this.#audioProducer?.close();
    this.#landmarkProducer = this.#embeddingProducer = null;
    this.#audioProducer = null;
    for (const t of this.#ownTracks) t.stop();
    this.#ownTracks = [];
    this.#micTrack = null;
  }

  /** Leaves the room and releases everything. */
  async leave(): Promise<void> {
    if (this.#left) return;
    this.#left = true;
    clearInterval(this.#statsTimer);
    clearTimeout(this.#embeddingResend);
    await this.unpublish();
    for (const id of [...this.#peers.keys()]) this.#removePeer(id);
    await this.#conn.leave();
    await (await this.#tracker?.catch(() => null))?.close();
    (await this.#identity?.catch(() => null))?.dispose();
  }

  #addPeer(info: PeerInfo): Peer {
    const existing = this.#peers.get(info.id);
    if (existing) return existing;
    const avatar = new RemoteAvatar({
      peerId: info.id,
      name: info.name,
      impersonation: info.impersonation,
      ...(this.#options.avatarSize ? { size: this.#options.avatarSize } : {}),
      ...(this.#options.avatarFps ? { fps: this.#options.avatarFps } : {}),
      ...(this.#options.backend ? { backend: this.#options.backend } : {}),
      ...this.#options.render,
    });
    const peer = new Peer(info.id, info.name, info.impersonation, avatar);
    avatar.on('ready', () => this.safeEmit('avatarReady', peer));
    avatar.on('faceLost', (lost, reason) => this.safeEmit('faceLost', { peerId: info.id, lost, reason }));
    avatar.on('error', (err) => this.safeEmit('error', err));
    this.#peers.set(info.id, peer);
    if (this.#announcing) this.safeEmit('peerJoined', peer);
    return peer;
  }

  #removePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    peer.avatar.close();
    this.safeEmit('peerLeft', peerId);
  }

  async #consumeData(peerId: string, dataProducerId: string, label: string): Promise<void> {
    try {
      const peer = this.#peers.get(peerId);
      if (!peer) return;
      const dc = await this.#conn.consumeData(dataProducerId);
      if (label === DataLabel.Landmarks) {
        dc.on('message', (data: ArrayBuffer) => peer.avatar.pushLandmarkPacket(new Uint8Array(data), performance.now()));
        peer.landmarks = dc;
        this.#setConnected(peer, true);
        // The sender's channel closed on the server (its connection dropped): reconnecting until
        // a new one arrives, or `peerLeft` when the server gives up on it.
        dc.on('close', () => {
          if (peer.landmarks === dc && this.#peers.get(peerId) === peer) this.#setConnected(peer, false);
        });
      } else if (label === DataLabel.Embedding) {
        dc.on('message', (data: ArrayBuffer) => this.#onEmbeddingChunk(peer, new Uint8Array(data)));
      }
      const ask = () => void this.#conn.signaling.request('requestKeyframe', { dataProducerId }).catch(() => undefined);
      if (dc.readyState === 'open') ask();
      else dc.on('open', ask);
    } catch (err) {
      this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  #setConnected(peer: Peer, connected: boolean): void {
    if (peer.connected === connected) return;
    peer.connected = connected;
    this.safeEmit('peerUpdated', peer);
  }

  #onEmbeddingChunk(peer: Peer, chunk: Uint8Array): void {
    let embedding: DecodedEmbedding | null;
    try {
      embedding = peer.reassembler.push(chunk);
    } catch (err) {
      this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (!embedding) return;
    const cached = embeddingCache.get(embedding.hash) ?? embedding;
    embeddingCache.set(embedding.hash, cached);
    peer.avatar.setEmbedding(cached, cached.hash).catch((err: unknown) => this.safeEmit('error', err instanceof Error ? err : new Error(String(err))));
  }

  async #consumeAudio(peerId: string, producerId: string): Promise<void> {
    try {
      const peer = this.#peers.get(peerId);
      if (!peer) return;
      const consumer = await this.#conn.consume(producerId);
      peer.avatar.addAudio(consumer.track, consumer.rtpReceiver ?? undefined);
      peer.audioMuted = false;
      this.safeEmit('peerUpdated', peer);
      const muted = () => {
        peer.audioMuted = true;
        this.safeEmit('peerUpdated', peer);
      };
      consumer.on('trackended', muted);
      consumer.on('transportclose', muted);
    } catch (err) {
      this.safeEmit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** The rights a join token claims (read, not verified: the server verifies and enforces them). */
function tokenRights(token: string): { impersonate: boolean } {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { impersonate?: unknown };
    return { impersonate: payload.impersonate === true };
  } catch {
    return { impersonate: false };
  }
}

export function createVisageClient(options: VisageClientOptions): Promise<VisageClient> {
  return VisageClient.create(options);
}
