/** Filesystem locations the scripts need, resolved from this file (not the cwd). */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** packages/client */
export const CLIENT_DIR = resolve(here, '../..');
/** The monorepo root. */
export const REPO_ROOT = resolve(CLIENT_DIR, '../..');
/** ../shared/data beside the checkout. */
export const SHARED_DATA_DIR = process.env.VISAGE_SHARED_DATA ?? resolve(REPO_ROOT, '../shared/data');
/** The repo's own copy of the MediaPipe model bundle and meshes. */
export const MEDIAPIPE_MODEL_DIR = resolve(REPO_ROOT, 'models/mediapipe');
/** The neural generator's shared weights (face refiner), served at /models/neural/. */
export const NEURAL_WEIGHTS_DIR = resolve(REPO_ROOT, 'models/weights/neural');
/** The mouth refiner's weights, served at /models/mouth/ (the neural generator's default URL). */
export const MOUTH_WEIGHTS_DIR = resolve(REPO_ROOT, 'models/weights/mouth');
export const EYE_WEIGHTS_DIR = resolve(REPO_ROOT, 'models/weights/eyes');
/** The fine-tuning's face-recognition network (identity term), served at /models/face-recognition/. */
export const FACE_FEATURES_DIR = resolve(REPO_ROOT, 'models/weights/face-recognition');
/** tasks-vision's wasm folder inside node_modules. */
export const TASKS_VISION_WASM_DIR = resolve(dirname(createRequire(import.meta.url).resolve('@mediapipe/tasks-vision')), 'wasm');

/**
 * URL prefix → folder for serving the tracker's assets at the `FaceTracker` defaults
 * (`DEFAULT_MODEL_ASSET_PATH`, `DEFAULT_WASM_BASE_PATH`).
 */
export function trackingAssetMounts(): Record<string, string> {
  return {
    '/models/mediapipe/': MEDIAPIPE_MODEL_DIR,
    '/mediapipe/wasm/': TASKS_VISION_WASM_DIR,
  };
}
