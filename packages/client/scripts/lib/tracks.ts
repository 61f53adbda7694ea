/** Comparing two tracks in pixels (reading them: @visage/protocol's tracks/node.ts, re-exported). */
import type { FaceFrame } from '@visage/protocol';
import { LANDMARK_COUNT } from '@visage/protocol';

export { readTracksFile } from '../../../protocol/src/tracks/node.ts';

export interface TrackComparison {
  /** Frames present in both tracks (matched by timestamp within 0.5 ms). */
  matched: number;
  /** Matched frames where both found a face. */
  bothFace: number;
  /** Matched frames where exactly one found a face. */
  faceDisagreements: number;
  /** Mean over frames and the 478 landmarks of the 2-D distance, in pixels. */
  meanPx: number;
  /** 95th percentile of the per-landmark 2-D distance, in pixels. */
  p95Px: number;
  maxPx: number;
  /** Mean absolute blendshape difference. */
  meanBlendshape: number;
}

/** Compares `a` with reference `b` for a `width` × `height` video. */
export function compareTracks(a: FaceFrame[], b: FaceFrame[], width: number, height: number): TrackComparison {
  const byT = new Map(b.map((f) => [Math.round(f.t * 2), f]));
  let matched = 0;
  let bothFace = 0;
  let disagree = 0;
  let sum = 0;
  let bsSum = 0;
  let bsN = 0;
  let max = 0;
  const dists: number[] = [];
  for (const fa of a) {
    const fb = byT.get(Math.round(fa.t * 2));
    if (!fb) continue;
    matched++;
    if (!fa.landmarks || !fb.landmarks) {
      if (fa.landmarks || fb.landmarks) disagree++;
      continue;
    }
    bothFace++;
    for (let i = 0; i < LANDMARK_COUNT; i++) {
      const dx = (fa.landmarks[i * 3]! - fb.landmarks[i * 3]!) * width;
      const dy = (fa.landmarks[i * 3 + 1]! - fb.landmarks[i * 3 + 1]!) * height;
      const d = Math.hypot(dx, dy);
      sum += d;
      dists.push(d);
      if (d > max) max = d;
    }
    if (fa.blendshapes && fb.blendshapes) {
      for (let i = 0; i < fa.blendshapes.length; i++) bsSum += Math.abs(fa.blendshapes[i]! - fb.blendshapes[i]!);
      bsN += fa.blendshapes.length;
    }
  }
  dists.sort((x, y) => x - y);
  return {
    matched,
    bothFace,
    faceDisagreements: disagree,
    meanPx: dists.length ? sum / dists.length : Number.NaN,
    p95Px: dists.length ? dists[Math.floor(0.95 * (dists.length - 1))]! : Number.NaN,
    maxPx: max,
    meanBlendshape: bsN ? bsSum / bsN : Number.NaN,
  };
}
