/**
 * Every signaling message between a Visage client and the SFU, defined once.
 * The server validates each request with these schemas; the client uses the
 * inferred types. mediasoup's own parameter objects (RTP capabilities, DTLS
 * parameters, RTP parameters, SCTP stream parameters) are validated structurally
 * here and deeply by mediasoup itself, whose errors are mapped to `invalid_request`.
 */
import { z } from 'zod';

const id = z.string().min(1).max(128);
/** A JSON object whose inner shape mediasoup validates. */
const opaque = z.record(z.string(), z.unknown());

export const SIGNALING_PATH = '/signaling';
/** Largest JSON payload accepted on any signaling event (bytes). */
export const MAX_SIGNALING_PAYLOAD_BYTES = 64 * 1024;

/** Labels of the two data channels every Visage sender opens. */
export const DataLabel = {
  /** Face-motion packets: unordered, partially reliable (short maxPacketLifeTime). */
  Landmarks: 'visage/landmarks',
  /** Avatar embedding chunks: reliable, ordered. */
  Embedding: 'visage/embedding',
} as const;
export type DataLabel = (typeof DataLabel)[keyof typeof DataLabel];
/** Lifetime of a landmark packet on the SCTP path: later than this it is useless. */
export const LANDMARK_MAX_PACKET_LIFETIME_MS = 150;

/** Joining needs nothing beyond the token; the answer carries the router's RTP capabilities. */
export const joinRequest = z.strictObject({}).optional();

/**
 * A receive transport carries the device's RTP capabilities (known only after the
 * device has loaded the router's, from the join answer); consuming needs them.
 * `sctpCapabilities` enables data channels on the transport.
 */
export const createTransportRequest = z
  .strictObject({
    direction: z.enum(['send', 'recv']),
    rtpCapabilities: opaque.optional(),
    sctpCapabilities: opaque.optional(),
  })
  .refine((r) => r.direction === 'send' || r.rtpCapabilities !== undefined, {
    message: 'a recv transport needs rtpCapabilities',
    path: ['rtpCapabilities'],
  });

export const connectTransportRequest = z.strictObject({
  transportId: id,
  dtlsParameters: opaque,
});

export const produceRequest = z.strictObject({
  transportId: id,
  kind: z.enum(['audio', 'video']),
  rtpParameters: opaque,
  appData: z.record(z.string(), z.unknown()).optional(),
});

export const sctpStreamParameters = z.strictObject({
  streamId: z.number().int().min(0).max(65534),
  ordered: z.boolean().optional(),
  maxPacketLifeTime: z.number().int().min(1).max(60_000).optional(),
  maxRetransmits: z.number().int().min(0).max(65535).optional(),
});

export const produceDataRequest = z.strictObject({
  transportId: id,
  sctpStreamParameters,
  label: z.enum([DataLabel.Landmarks, DataLabel.Embedding]),
  protocol: z.string().max(64).optional(),
  appData: z.record(z.string(), z.unknown()).optional(),
});

export const consumeRequest = z.strictObject({
  transportId: id,
  producerId: id,
});

export const consumeDataRequest = z.strictObject({
  transportId: id,
  dataProducerId: id,
});

export const resumeRequest = z.strictObject({
  consumerId: id,
});

/**
 * A receiver asks the owner of a data producer for a fresh start: a landmark
 * keyframe, or the avatar embedding again (a late joiner, a lost cache).
 */
export const requestKeyframeRequest = z.strictObject({
  dataProducerId: id,
});

/** `rejoining`: the peer leaves this connection to join again at once (the others keep its tile for the departure grace). */
export const leaveRequest = z.strictObject({ rejoining: z.boolean().optional() }).optional();

/** Request name → schema of its payload. */
export const requestSchemas = {
  join: joinRequest,
  createTransport: createTransportRequest,
  connectTransport: connectTransportRequest,
  produce: produceRequest,
  produceData: produceDataRequest,
  consume: consumeRequest,
  consumeData: consumeDataRequest,
  resume: resumeRequest,
  requestKeyframe: requestKeyframeRequest,
  leave: leaveRequest,
} as const;
export type RequestName = keyof typeof requestSchemas;
export const REQUEST_NAMES = Object.keys(requestSchemas) as RequestName[];
export type Requests = { [K in RequestName]: z.infer<(typeof requestSchemas)[K]> };

// ---- responses ----

export interface ErrorPayload {
  code: string;
  message: string;
}
export type Ack<T> = T | { error: ErrorPayload };

export interface DataProducerInfo {
  id: string;
  label: string;
}
export interface ProducerInfo {
  id: string;
  kind: 'audio' | 'video';
}
export interface PeerInfo {
  id: string;
  name: string;
  /** True when this peer may publish an avatar that is not its own face (flagged to everyone). */
  impersonation: boolean;
  dataProducers: DataProducerInfo[];
  producers: ProducerInfo[];
}
export interface JoinResponse {
  rtpCapabilities: Record<string, unknown>;
  peers: PeerInfo[];
}
export interface TransportResponse {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
  sctpParameters?: Record<string, unknown>;
}
export interface ConsumeResponse {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: Record<string, unknown>;
}
export interface ConsumeDataResponse {
  id: string;
  dataProducerId: string;
  label: string;
  protocol: string;
  sctpStreamParameters: Record<string, unknown>;
}
export interface Responses {
  join: JoinResponse;
  createTransport: TransportResponse;
  connectTransport: Record<string, never>;
  produce: { id: string };
  produceData: { id: string };
  consume: ConsumeResponse;
  consumeData: ConsumeDataResponse;
  resume: Record<string, never>;
  requestKeyframe: Record<string, never>;
  leave: Record<string, never>;
}

// ---- server pushes ----

export interface Notifications {
  peerJoined: { peer: PeerInfo };
  peerLeft: { peerId: string };
  newProducer: { peerId: string; producer: ProducerInfo };
  newDataProducer: { peerId: string; dataProducer: DataProducerInfo };
  producerClosed: { peerId: string; producerId: string; data: boolean };
  /** A receiver asked for a keyframe (landmarks) or the embedding again, on this data producer. */
  keyframeRequested: { peerId: string; dataProducerId: string };
  /** The server asks the client to rejoin (worker died, room closed). */
  rejoin: { reason: string };
  /** The server is shutting down. */
  serverShutdown: { reason: string };
}
export type NotificationName = keyof Notifications;
export const NOTIFICATION_NAMES: NotificationName[] = [
  'peerJoined',
  'peerLeft',
  'newProducer',
  'newDataProducer',
  'producerClosed',
  'keyframeRequested',
  'rejoin',
  'serverShutdown',
];

// ---- join token claims ----

export const tokenClaims = z.object({
  room: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, 'room: letters, digits, _ . - only'),
  peer: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, 'peer: letters, digits, _ . - only'),
  name: z.string().max(128).default(''),
  publish: z.boolean().default(true),
  subscribe: z.boolean().default(true),
  /** May publish an avatar that is not the sender's own face (painting, character). */
  impersonate: z.boolean().default(false),
});
export type TokenClaims = z.infer<typeof tokenClaims>;

/** Message of the socket.io connect_error for every authentication failure. */
export const UNAUTHORIZED = 'unauthorized';
