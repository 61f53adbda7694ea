/**
 * The part of tracking that talks to MediaPipe: loads FaceLandmarker (GPU delegate first
 * when asked, CPU otherwise) and turns its results into `FaceFrame`s. Runs unchanged in a
 * module Worker and on the main thread.
 */
import { FaceLandmarker, FilesetResolver } from '@mediapipe/tasks-vision';
import type { FaceLandmarkerResult, ImageSource } from '@mediapipe/tasks-vision';
import type { FaceFrame } from '@visage/protocol';
import { BLENDSHAPE_COUNT, LANDMARK_COUNT } from '@visage/protocol';
import { PER_FRAME_CANDIDATES, chooseFace, facePlace } from './landmark-mode.ts';
import type { FacePlace, LandmarkMode } from './landmark-mode.ts';

export type TrackerDelegate = 'GPU' | 'CPU';

/** What the landmarker needs; plain data so it can be posted to a Worker. */
export interface LandmarkerConfig {
  /** URL of `face_landmarker.task`. */
  modelAssetPath: string;
  /** URL of the folder holding tasks-vision's `vision_wasm_*` files. */
  wasmBasePath: string;
  /** 'auto' uses the GPU delegate on hardware WebGL2 when it loads, CPU otherwise; 'GPU' forces it. */
  delegate: 'auto' | TrackerDelegate;
  minFaceDetectionConfidence: number;
  minFacePresenceConfidence: number;
  minTrackingConfidence: number;
  mode: LandmarkMode;
}

export interface LoadedLandmarker {
  readonly landmarker: FaceLandmarker;
  readonly delegate: TrackerDelegate;
  readonly mode: LandmarkMode;
  /** 'per-frame': where the tracked face was in the last frame with a face (none after a frame without). */
  previous: FacePlace | null;
  /** Why the GPU delegate was not used, when 'auto' fell back to CPU. */
  readonly gpuError?: string;
}

/** True where `import()` must be used for the wasm loader (module workers). */
function inModuleWorker(): boolean {
  return typeof (globalThis as { importScripts?: unknown }).importScripts === 'function' && typeof document === 'undefined';
}

const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/**
 * Why the GPU delegate should not be used here, or null when a hardware WebGL2
 * context is available. A software rasteriser (SwiftShader in headless Chromium)
 * "works" but runs the GPU graph ~20x slower than the CPU delegate.
 */
export function gpuUnavailableReason(): string | null {
  if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas';
  let gl: WebGL2RenderingContext | null = null;
  try {
    gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  } catch (err) {
    return `WebGL2 failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!gl) return 'no WebGL2 context';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return SOFTWARE_GL.test(renderer) ? `software WebGL renderer (${renderer})` : null;
}

export async function loadLandmarker(config: LandmarkerConfig): Promise<LoadedLandmarker> {
  const fileset = await FilesetResolver.forVisionTasks(config.wasmBasePath, inModuleWorker());
  const create = (delegate: TrackerDelegate) =>
    FaceLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetPath: config.modelAssetPath, delegate },
      runningMode: config.mode === 'per-frame' ? 'IMAGE' : 'VIDEO',
      numFaces: config.mode === 'per-frame' ? PER_FRAME_CANDIDATES : 1,
      outputFaceBlendshapes: true,
      outputFacialTransformationMatrixes: true,
      minFaceDetectionConfidence: config.minFaceDetectionConfidence,
      minFacePresenceConfidence: config.minFacePresenceConfidence,
      minTrackingConfidence: config.minTrackingConfidence,
    });
  const base = { mode: config.mode, previous: null };
  if (config.delegate === 'CPU') return { landmarker: await create('CPU'), delegate: 'CPU', ...base };
  if (config.delegate === 'auto') {
    const reason = gpuUnavailableReason();
    if (reason) return { landmarker: await create('CPU'), delegate: 'CPU', ...base, gpuError: reason };
  }
  try {
    return { landmarker: await create('GPU'), delegate: 'GPU', ...base };
  } catch (err) {
    if (config.delegate === 'GPU') throw err;
    const gpuError = err instanceof Error ? err.message : String(err);
    return { landmarker: await create('CPU'), delegate: 'CPU', ...base, gpuError };
  }
}

/**
 * Runs one detection in the landmarker's mode and converts the tracked face to a `FaceFrame`.
 * `still` (a still photo among the camera's frames): in 'per-frame' mode the largest face is
 * taken and the track's face is left where the camera's last frame had it.
 */
export function detectFrame(loaded: LoadedLandmarker, image: ImageSource, t: number, still = false): FaceFrame {
  if (loaded.mode === 'video') return toFaceFrame(loaded.landmarker.detectForVideo(image, t), t);
  const result = loaded.landmarker.detect(image);
  const faces = result.faceLandmarks.filter((p) => p.length >= LANDMARK_COUNT);
  const places = faces.map((p) => facePlace(p.flatMap((q) => [q.x, q.y]), 2));
  const index = chooseFace(places, still ? null : loaded.previous);
  if (!still) loaded.previous = index < 0 ? null : places[index]!;
  return toFaceFrame(result, t, index < 0 ? 0 : result.faceLandmarks.indexOf(faces[index]!));
}

/** The `index`-th face of a result (default the first) as a `FaceFrame`; no landmarks when there is none. */
export function toFaceFrame(result: FaceLandmarkerResult, t: number, index = 0): FaceFrame {
  const points = result.faceLandmarks[index];
  if (!points || points.length < LANDMARK_COUNT) return { t, landmarks: null, blendshapes: null, matrix: null };
  const landmarks = new Float32Array(LANDMARK_COUNT * 3);
  for (let i = 0; i < LANDMARK_COUNT; i++) {
    const p = points[i]!;
    landmarks[i * 3] = p.x;
    landmarks[i * 3 + 1] = p.y;
    landmarks[i * 3 + 2] = p.z;
  }
  let blendshapes: Float32Array | null = null;
  const cats = result.faceBlendshapes[index]?.categories;
  if (cats && cats.length === BLENDSHAPE_COUNT) {
    blendshapes = new Float32Array(BLENDSHAPE_COUNT);
    for (const c of cats) blendshapes[c.index] = c.score;
  }
  const m = result.facialTransformationMatrixes[index]?.data;
  const matrix = m && m.length === 16 ? Float32Array.from(m) : null;
  return { t, landmarks, blendshapes, matrix };
}
