/**
 * How FaceLandmarker follows a face from frame to frame.
 * - 'video': its VIDEO mode. The landmark model looks where the previous frame's landmarks
 *   were, and for a single face its graph smooths the landmarks over time. The reference
 *   tracks in ../shared/data/tracks were made this way.
 * - 'per-frame': its IMAGE mode on every frame. The face detector finds the face in each
 *   frame and the landmarks are the model's own, unsmoothed. Up to `PER_FRAME_CANDIDATES`
 *   faces are measured and the one that continues the previous frame's face is kept
 *   (`chooseFace`), so a second person in view does not take the track over.
 */
export type LandmarkMode = 'video' | 'per-frame';
export const LANDMARK_MODES: readonly LandmarkMode[] = ['video', 'per-frame'];

/**
 * The tracker's default: 'per-frame', One-Euro smoothed (session 24, models/RESULTS.md "The
 * sender tracks every frame afresh"). Against VIDEO mode it places the face closer to where it
 * is (held-out AKD lower on 5 of 5 persons) with less jitter, and with enrollment photos
 * measured one by one, as a product measures them, it keeps identity as well or better.
 */
export const DEFAULT_LANDMARK_MODE: LandmarkMode = 'per-frame';

/**
 * Whether a mode's landmarks get the client's One-Euro smoothing by default: 'per-frame' ones
 * do; 'video' ones are smoothed inside MediaPipe already.
 */
export function smoothedByDefault(mode: LandmarkMode): boolean {
  return mode === 'per-frame';
}

/** Faces measured per frame in 'per-frame' mode, to choose the one being tracked from. */
export const PER_FRAME_CANDIDATES = 2;

/** Where a face is, in the image's normalised coordinates: centre and extent of its landmarks. */
export interface FacePlace {
  x: number;
  y: number;
  size: number;
}

/** The centre and larger side of the landmarks' box (x, y pairs at a `stride`, normalised coordinates). */
export function facePlace(points: ArrayLike<number>, stride = 3): FacePlace {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += stride) {
    const x = points[i]!, y = points[i + 1]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return { x: (x0 + x1) / 2, y: (y0 + y1) / 2, size: Math.max(x1 - x0, y1 - y0) };
}

/**
 * Which of the faces found in a frame continues the track: the one whose centre is nearest the
 * previous frame's face, or the largest (the person nearest the camera) when there was none.
 * -1 when no face was found.
 */
export function chooseFace(faces: readonly FacePlace[], previous: FacePlace | null): number {
  let best = -1;
  let bestScore = Infinity;
  faces.forEach((f, i) => {
    const score = previous ? Math.hypot(f.x - previous.x, f.y - previous.y) : -f.size;
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}
