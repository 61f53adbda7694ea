/** Identity binding (the deepfake guard): descriptors, similarity, the periodic guard. */
export { similarity, bestSimilarity } from './similarity.ts';
export type { FaceDescriptor } from './similarity.ts';
export { IDENTITY_THRESHOLD } from './threshold.ts';
export { IdentityGuard, IdentityGuardError, IdentityGuardErrorCode, IdentityStatus, DEFAULT_IDENTITY_GUARD_OPTIONS } from './identity-guard.ts';
export type { IdentityCheck, IdentityGuardEvents, IdentityGuardOptions, DescriptorSource } from './identity-guard.ts';
export { FaceIdentity, DEFAULT_FACE_IDENTITY_OPTIONS, pickFace, cameraDescriptorSource } from './face-identity.ts';
export type { FaceIdentityOptions, IdentityBackend, IdentityFace, IdentityInput, PixelBox } from './face-identity.ts';
export { WorkerFaceIdentity, createFaceIdentity } from './worker-face-identity.ts';
export type { FaceDescriber, FaceIdentityThreadOptions } from './worker-face-identity.ts';
