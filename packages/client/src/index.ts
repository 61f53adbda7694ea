/**
 * @visage/client: the public API, hand-picked. Everything else under src/ is internal.
 */
export { createVisageClient, VisageClient } from './sdk/visage-client.ts';
export type { VisageClientOptions, VisageClientEvents, RemotePeer, ClientStats, PublishOptions } from './sdk/visage-client.ts';
export { VisageClientError, ClientErrorCode } from './transport/errors.ts';
export type { Enrollment, PhotoInput, NeuralEnrollmentOptions, NeuralEnrollmentResult } from './sender/enroll.ts';
export { EnrollmentError, withNeuralEnrollment } from './sender/enroll.ts';
export type { PublisherStats } from './sender/landmark-publisher.ts';
export { trackingBehind } from './sender/landmark-publisher.ts';
export type { RemoteAvatarStats } from './receiver/remote-avatar.ts';
export type { MouthRefinerRenderOptions } from './receiver/avatar-renderer.ts';
export { FaceTracker, DEFAULT_MODEL_ASSET_PATH, DEFAULT_WASM_BASE_PATH } from './tracking/index.ts';
export type { FaceTrackerOptions, TrackerDelegate } from './tracking/index.ts';
export { createGenerator } from './generator/registry.ts';
export type { Generator, BackendKind, BackendPreference } from './generator/types.ts';
export { VisageAvatarElement, defineVisageAvatar, VISAGE_AVATAR_TAG } from './element/visage-avatar.ts';
