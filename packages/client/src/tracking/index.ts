export { FaceTracker, DEFAULT_MODEL_ASSET_PATH, DEFAULT_WASM_BASE_PATH } from './face-tracker.ts';
export type { FaceTrackerOptions, TrackResult } from './face-tracker.ts';
export type { TrackerInput } from './backends.ts';
export type { TrackerDelegate } from './landmarker.ts';
export { FaceSmoother, DEFAULT_FACE_SMOOTHING } from './face-smoother.ts';
export type { FaceSmootherOptions } from './face-smoother.ts';
export { OneEuroFilter, OneEuroVectorFilter, DEFAULT_ONE_EURO } from './one-euro.ts';
export type { OneEuroParams, OneEuroVectorOptions } from './one-euro.ts';
