/**
 * Enrollment photo checks: given a photo and the faces found in it, decide whether it is
 * usable and, if not, tell the user in words what to fix. Pure (Node and browser);
 * `face-analyzer.ts` finds the faces in the browser.
 */
import type { RgbaImage } from '../generator/image.ts';
import type { DetectedFace, FaceBox, HeadPose } from './face-metrics.ts';
import {
  SHARPNESS_CROP_PX,
  innerFaceGrey,
  landmarkBox,
  laplacianVariance,
  sharpnessRatio,
  measureExposure,
  outsideFraction,
  poseFromLandmarks,
  poseFromMatrix,
} from './face-metrics.ts';

export const PhotoProblemCode = {
  /** No face was found. */
  NoFace: 'no_face',
  /** More than one face was found. */
  MultipleFaces: 'multiple_faces',
  /** Part of the face is outside the photo. */
  FaceCutOff: 'face_cut_off',
  /** The face is too small (in pixels or relative to the photo). */
  FaceTooSmall: 'face_too_small',
  /** The head is turned or tilted too far from frontal. */
  NotFrontal: 'not_frontal',
  /** The face is out of focus or motion-blurred. */
  Blurry: 'blurry',
  /** The face is underexposed. */
  TooDark: 'too_dark',
  /** The face is overexposed (washed out). */
  TooBright: 'too_bright',
} as const;
export type PhotoProblemCode = (typeof PhotoProblemCode)[keyof typeof PhotoProblemCode];

export interface PhotoProblem {
  code: PhotoProblemCode;
  /** One sentence for the user: what is wrong and what to do. */
  message: string;
  /** The measured value and the limit it broke, in the unit of the check. */
  value?: number;
  limit?: number;
}

/** Limits of the checks; every field is documented with its default. */
export interface PhotoCheckLimits {
  /**
   * Smallest face: larger side of the landmark box (brow to chin, cheek to cheek), px.
   * Default 72 — the shared Mona Lisa (300×447 px) has 81 px; below ~70 px the avatar
   * texture is visibly soft on a receiver's screen.
   */
  minFacePx: number;
  /** Smallest face relative to the photo's short side. Default 0.15. */
  minFaceFraction: number;
  /** Largest part of the face box allowed outside the photo (fraction of the box). Default 0.02. */
  maxOutsideFraction: number;
  /** Largest |yaw| (left/right turn), degrees. Default 30 (shared stills: ≤ 24.4°). */
  maxYawDeg: number;
  /** Largest |pitch| (up/down), degrees. Default 30 (MediaPipe reads frontal stills as +0…+19°). */
  maxPitchDeg: number;
  /**
   * Smallest sharpness: Laplacian energy / gradient energy of the inner face at ≤ 128 px
   * (`sharpnessRatio`). Default 0.7 (shared stills: ≥ 0.80; blurred by σ = 1 px: ≤ 0.63).
   */
  minSharpness: number;
  /** Darkest allowed mean face luma (0..255). Default 45. */
  minMeanLuma: number;
  /** Brightest allowed mean face luma (0..255). Default 220. */
  maxMeanLuma: number;
  /** Largest fraction of the face crushed to black (luma ≤ 16). Default 0.25. */
  maxDarkFraction: number;
  /** Largest fraction of the face blown out (luma ≥ 250). Default 0.2. */
  maxBrightFraction: number;
}

export const DEFAULT_PHOTO_CHECK_LIMITS: Readonly<PhotoCheckLimits> = Object.freeze({
  minFacePx: 72,
  minFaceFraction: 0.15,
  maxOutsideFraction: 0.02,
  maxYawDeg: 30,
  maxPitchDeg: 30,
  minSharpness: 0.7,
  minMeanLuma: 45,
  maxMeanLuma: 220,
  maxDarkFraction: 0.25,
  maxBrightFraction: 0.2,
});

export interface PhotoMetrics {
  faceCount: number;
  /** Landmark box of the checked face, px. */
  box: FaceBox;
  /** Larger side of the box, px. */
  facePx: number;
  /** `facePx` / short side of the photo. */
  faceFraction: number;
  outsideFraction: number;
  pose: HeadPose;
  poseSource: 'matrix' | 'landmarks';
  /** Variance of the Laplacian of the inner face (≤ 128 px), for reference. */
  laplacianVariance: number;
  /** `sharpnessRatio` of the inner face; what the blur check uses. */
  sharpness: number;
  meanLuma: number;
  darkFraction: number;
  brightFraction: number;
}

export interface PhotoCheckResult {
  ok: boolean;
  /** Empty when `ok`; otherwise the problems, most fundamental first. */
  problems: PhotoProblem[];
  /** Measurements of the (largest) face; null when no face was found. */
  metrics: PhotoMetrics | null;
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** The user-facing sentence for each problem. */
export function problemMessage(code: PhotoProblemCode, value?: number, limit?: number): string {
  switch (code) {
    case PhotoProblemCode.NoFace:
      return 'No face found: use a photo where your face is clearly visible and well lit.';
    case PhotoProblemCode.MultipleFaces:
      return 'There is more than one face in this photo: use a photo of only you, or crop the others out.';
    case PhotoProblemCode.FaceCutOff:
      return 'Part of your face is outside the photo: centre your face and leave some space around it.';
    case PhotoProblemCode.FaceTooSmall:
      return `Move closer: your face is too small (${round(value ?? 0)} px across; at least ${round(limit ?? 0)} px needed).`;
    case PhotoProblemCode.NotFrontal:
      return `Look straight at the camera: your head is turned ${round(value ?? 0)}° (at most ${round(limit ?? 0)}°).`;
    case PhotoProblemCode.Blurry:
      return 'Your face is blurry: hold still, make sure the camera focuses on your face, or use a sharper photo.';
    case PhotoProblemCode.TooDark:
      return 'Your face is too dark: face a window or a lamp, or turn on more light.';
    case PhotoProblemCode.TooBright:
      return 'Your face is washed out: move away from direct light or turn the exposure down.';
  }
}

function problem(code: PhotoProblemCode, value?: number, limit?: number): PhotoProblem {
  const p: PhotoProblem = { code, message: problemMessage(code, value, limit) };
  if (value !== undefined) p.value = value;
  if (limit !== undefined) p.limit = limit;
  return p;
}


/** Measures the face (no verdict). */
export function measurePhoto(image: RgbaImage, face: DetectedFace, faceCount = 1): PhotoMetrics {
  const { width, height } = image;
  const box = landmarkBox(face.landmarks, width, height);
  const facePx = Math.max(box.width, box.height);
  const pose = face.matrix && face.matrix.length === 16 ? poseFromMatrix(face.matrix) : poseFromLandmarks(face.landmarks, width, height);
  const exposure = measureExposure(image, face.landmarks);
  const { grey, size } = innerFaceGrey(image, box, SHARPNESS_CROP_PX);
  return {
    faceCount,
    box,
    facePx,
    faceFraction: facePx / Math.min(width, height),
    outsideFraction: outsideFraction(box, width, height),
    pose,
    poseSource: face.matrix && face.matrix.length === 16 ? 'matrix' : 'landmarks',
    laplacianVariance: laplacianVariance(grey, size),
    sharpness: sharpnessRatio(grey, size),
    meanLuma: exposure.meanLuma,
    darkFraction: exposure.darkFraction,
    brightFraction: exposure.brightFraction,
  };
}

/**
 * Checks one enrollment photo. `faces` are all faces the detector found (ask it for at
 * least two, so that a second face can be reported). Throws `TypeError` on an image whose
 * data does not match its size.
 */
export function checkPhoto(image: RgbaImage, faces: readonly DetectedFace[], limits: Partial<PhotoCheckLimits> = {}): PhotoCheckResult {
  if (!(image.width > 0 && image.height > 0) || image.data.length !== image.width * image.height * 4) {
    throw new TypeError(`checkPhoto: image of ${image.width}×${image.height} needs ${image.width * image.height * 4} RGBA bytes, got ${image.data.length}`);
  }
  const L: PhotoCheckLimits = { ...DEFAULT_PHOTO_CHECK_LIMITS, ...limits };
  if (faces.length === 0) return { ok: false, problems: [problem(PhotoProblemCode.NoFace)], metrics: null };
  // Measure the largest face; a second face is a problem of its own.
  const sized = faces.map((f) => ({ f, b: landmarkBox(f.landmarks, image.width, image.height) }));
  sized.sort((a, b) => b.b.width * b.b.height - a.b.width * a.b.height);
  const m = measurePhoto(image, sized[0]!.f, faces.length);
  const problems: PhotoProblem[] = [];
  if (faces.length > 1) problems.push(problem(PhotoProblemCode.MultipleFaces, faces.length, 1));
  if (m.outsideFraction > L.maxOutsideFraction) problems.push(problem(PhotoProblemCode.FaceCutOff, m.outsideFraction, L.maxOutsideFraction));
  const minPx = Math.max(L.minFacePx, L.minFaceFraction * Math.min(image.width, image.height));
  if (m.facePx < minPx) problems.push(problem(PhotoProblemCode.FaceTooSmall, m.facePx, minPx));
  const turn = Math.max(Math.abs(m.pose.yawDeg) / L.maxYawDeg, Math.abs(m.pose.pitchDeg) / L.maxPitchDeg);
  if (turn > 1) {
    const yawWorse = Math.abs(m.pose.yawDeg) / L.maxYawDeg >= Math.abs(m.pose.pitchDeg) / L.maxPitchDeg;
    problems.push(problem(PhotoProblemCode.NotFrontal, Math.abs(yawWorse ? m.pose.yawDeg : m.pose.pitchDeg), yawWorse ? L.maxYawDeg : L.maxPitchDeg));
  }
  const tooDark = m.meanLuma < L.minMeanLuma || m.darkFraction > L.maxDarkFraction;
  const tooBright = m.meanLuma > L.maxMeanLuma || m.brightFraction > L.maxBrightFraction;
  if (tooDark) problems.push(problem(PhotoProblemCode.TooDark, m.meanLuma, L.minMeanLuma));
  else if (tooBright) problems.push(problem(PhotoProblemCode.TooBright, m.meanLuma, L.maxMeanLuma));
  // A dark or washed-out face has little contrast, which reads as blur: report exposure only.
  else if (m.sharpness < L.minSharpness) problems.push(problem(PhotoProblemCode.Blurry, m.sharpness, L.minSharpness));
  return { ok: problems.length === 0, problems, metrics: m };
}
