/**
 * One tracked frame, as the tracker produces it and the codec carries it.
 * Coordinates follow MediaPipe FaceLandmarker: x and y normalised to [0, 1] by the
 * image width and height, z relative depth on roughly the scale of x.
 */
export const LANDMARK_COUNT = 478;
export const BLENDSHAPE_COUNT = 52;

export interface FaceFrame {
  /** Capture time in milliseconds. */
  t: number;
  /** 478 × [x, y, z], flattened (length 1434); null when no face was found. */
  landmarks: Float32Array | null;
  /** 52 blendshape scores in [0, 1]; null when no face was found. */
  blendshapes: Float32Array | null;
  /** 4×4 facial transformation matrix, column-major as MediaPipe gives it; null when no face. */
  matrix: Float32Array | null;
}
