/**
 * Browser side of the enrollment photo check: MediaPipe FaceLandmarker in IMAGE mode with
 * `numFaces: 2` (so a second face is seen), on the main thread — a handful of photos,
 * no need for a worker. Served from our own origin like the tracker (same default paths).
 */
import { FaceLandmarker, FilesetResolver } from '@mediapipe/tasks-vision';
import type { ImageSource } from '@mediapipe/tasks-vision';
import { LANDMARK_COUNT } from '@visage/protocol';
import type { RgbaImage } from '../generator/image.ts';
import type { DetectedFace } from './face-metrics.ts';
import { checkPhoto } from './photo-check.ts';
import type { PhotoCheckLimits, PhotoCheckResult } from './photo-check.ts';

export interface FaceAnalyzerOptions {
  /** URL of `face_landmarker.task`. Default '/models/mediapipe/face_landmarker.task'. */
  modelAssetPath: string;
  /** URL of tasks-vision's wasm folder. Default '/mediapipe/wasm'. */
  wasmBasePath: string;
  /** Default 'CPU' (a few photos; the GPU delegate on software WebGL is far slower). */
  delegate: 'CPU' | 'GPU';
  /** Faces to look for; 2 is enough to report "more than one face". Default 2. */
  numFaces: number;
  /** Detector confidence. Default 0.5. */
  minFaceDetectionConfidence: number;
}

export const DEFAULT_FACE_ANALYZER_OPTIONS: Readonly<FaceAnalyzerOptions> = Object.freeze({
  modelAssetPath: '/models/mediapipe/face_landmarker.task',
  wasmBasePath: '/mediapipe/wasm',
  delegate: 'CPU',
  numFaces: 2,
  minFaceDetectionConfidence: 0.5,
});

export class FaceAnalyzer {
  readonly #landmarker: FaceLandmarker;
  #closed = false;

  private constructor(landmarker: FaceLandmarker) {
    this.#landmarker = landmarker;
  }

  static async create(options: Partial<FaceAnalyzerOptions> = {}): Promise<FaceAnalyzer> {
    const o: FaceAnalyzerOptions = { ...DEFAULT_FACE_ANALYZER_OPTIONS, ...options };
    if (!(Number.isInteger(o.numFaces) && o.numFaces >= 1)) throw new TypeError(`numFaces must be a positive integer, got ${o.numFaces}`);
    const fileset = await FilesetResolver.forVisionTasks(o.wasmBasePath);
    const landmarker = await FaceLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetPath: o.modelAssetPath, delegate: o.delegate },
      runningMode: 'IMAGE',
      numFaces: o.numFaces,
      outputFaceBlendshapes: false,
      outputFacialTransformationMatrixes: true,
      minFaceDetectionConfidence: o.minFaceDetectionConfidence,
    });
    return new FaceAnalyzer(landmarker);
  }

  /** All faces in the image (up to `numFaces`), as plain data. */
  detect(image: ImageSource): DetectedFace[] {
    if (this.#closed) throw new Error('FaceAnalyzer is closed');
    const r = this.#landmarker.detect(image);
    const faces: DetectedFace[] = [];
    r.faceLandmarks.forEach((points, k) => {
      if (points.length < LANDMARK_COUNT) return;
      const landmarks = new Float32Array(LANDMARK_COUNT * 3);
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        landmarks[i * 3] = points[i]!.x;
        landmarks[i * 3 + 1] = points[i]!.y;
        landmarks[i * 3 + 2] = points[i]!.z;
      }
      const m = r.facialTransformationMatrixes[k]?.data;
      faces.push({ landmarks, matrix: m && m.length === 16 ? Float32Array.from(m) : null });
    });
    return faces;
  }

  /** Detects and checks one photo. */
  check(image: RgbaImage, limits?: Partial<PhotoCheckLimits>): { faces: DetectedFace[]; result: PhotoCheckResult } {
    const faces = this.detect(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height));
    return { faces, result: checkPhoto(image, faces, limits) };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#landmarker.close();
  }
}
