import type { FaceFrame } from '@visage/protocol';
import { BLENDSHAPE_COUNT, LANDMARK_COUNT } from '@visage/protocol';
import { OneEuroVectorFilter, validateOneEuroParams } from './one-euro.ts';
import type { OneEuroParams, OneEuroVectorOptions } from './one-euro.ts';

/**
 * Smooths a stream of `FaceFrame`s with One-Euro filters. Landmarks are filtered in
 * pixel units (x·width, y·height, z·width) so the parameters do not depend on the
 * video's resolution; the filters restart when the face is lost or after a gap.
 */
export interface FaceSmootherOptions {
  /** Landmark filter, in pixels (beta is per px/s). */
  landmarks: OneEuroVectorOptions;
  /** Blendshape filter (scores in [0, 1]); null leaves blendshapes raw. */
  blendshapes: OneEuroParams | null;
  /** Element-wise filter on the 4×4 matrix; null leaves it raw. */
  matrix: OneEuroParams | null;
  /** A gap longer than this (ms) between frames restarts the filters. */
  resetAfterMs: number;
}

/**
 * Defaults chosen with `packages/client/scripts/smoothing-bench.ts` on the shared
 * reference tracks (see the README's "Tracking" section for jitter and lag numbers).
 */
export const DEFAULT_FACE_SMOOTHING: Readonly<FaceSmootherOptions> = Object.freeze({
  landmarks: { minCutoff: 1.5, beta: 0.2, dCutoff: 1, sharedSpeed: true, stride: 3 },
  blendshapes: { minCutoff: 3, beta: 1, dCutoff: 1 },
  matrix: { minCutoff: 1.5, beta: 0.5, dCutoff: 1 },
  resetAfterMs: 500,
});

export class FaceSmoother {
  readonly options: FaceSmootherOptions;
  readonly #lm: OneEuroVectorFilter;
  readonly #bs: OneEuroVectorFilter | null;
  readonly #mx: OneEuroVectorFilter | null;
  readonly #px = new Float64Array(LANDMARK_COUNT * 3);
  #lastT = Number.NaN;

  constructor(options: Partial<FaceSmootherOptions> = {}) {
    const o: FaceSmootherOptions = { ...DEFAULT_FACE_SMOOTHING, ...options };
    if (!(o.resetAfterMs > 0)) throw new TypeError(`resetAfterMs must be > 0, got ${String(o.resetAfterMs)}`);
    this.options = o;
    this.#lm = new OneEuroVectorFilter(LANDMARK_COUNT * 3, o.landmarks);
    this.#bs = o.blendshapes ? new OneEuroVectorFilter(BLENDSHAPE_COUNT, validateOneEuroParams(o.blendshapes)) : null;
    this.#mx = o.matrix ? new OneEuroVectorFilter(16, validateOneEuroParams(o.matrix)) : null;
  }

  /**
   * Returns a smoothed copy of `frame` (the input is not modified). `width` and
   * `height` are the tracked image's size in pixels.
   */
  smooth(frame: FaceFrame, width: number, height: number): FaceFrame {
    if (!frame.landmarks) {
      this.reset();
      return frame;
    }
    if (!Number.isNaN(this.#lastT) && frame.t - this.#lastT > this.options.resetAfterMs) this.reset();
    this.#lastT = frame.t;

    const src = frame.landmarks;
    if (src.length !== LANDMARK_COUNT * 3) throw new TypeError(`expected ${LANDMARK_COUNT * 3} landmark values, got ${src.length}`);
    const px = this.#px;
    for (let i = 0; i < src.length; i += 3) {
      px[i] = src[i]! * width;
      px[i + 1] = src[i + 1]! * height;
      px[i + 2] = src[i + 2]! * width;
    }
    this.#lm.filter(px, frame.t, px);
    const landmarks = new Float32Array(src.length);
    for (let i = 0; i < src.length; i += 3) {
      landmarks[i] = px[i]! / width;
      landmarks[i + 1] = px[i + 1]! / height;
      landmarks[i + 2] = px[i + 2]! / width;
    }
    const blendshapes = frame.blendshapes && this.#bs ? (this.#bs.filter(frame.blendshapes, frame.t) as Float32Array) : frame.blendshapes?.slice() ?? null;
    const matrix = frame.matrix && this.#mx ? (this.#mx.filter(frame.matrix, frame.t) as Float32Array) : frame.matrix?.slice() ?? null;
    return { t: frame.t, landmarks, blendshapes, matrix };
  }

  reset(): void {
    this.#lm.reset();
    this.#bs?.reset();
    this.#mx?.reset();
    this.#lastT = Number.NaN;
  }
}

/**
 * A recorded track smoothed in order, as the tracker smooths it live (a fresh smoother; each
 * frame's size `width`×`height`): the benchmark drives a generator with it.
 */
export function smoothTrack(frames: readonly FaceFrame[], width: number, height: number, options: Partial<FaceSmootherOptions> = {}): FaceFrame[] {
  const s = new FaceSmoother(options);
  return frames.map((f) => s.smooth(f, width, height));
}
