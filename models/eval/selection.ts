/**
 * Which frames do what: K enrollment shots spread over the first 20 % of the clip (never scored),
 * the rest driven through the codec and generator, and a deterministic subsample of the driven
 * frames scored (every Nth, with a seeded phase).
 */

import { mulberry32 } from '@visage/protocol';

/** Fraction of the clip that enrollment may use. */
export const ENROLL_FRACTION = 0.2;

export interface FramePlan {
  total: number;
  /**
   * Frames [enrollStart, enrollEnd) may be used for enrollment; [enrollEnd, total) are driven.
   * enrollStart is 0 unless the first 20 % of the clip has no face: then the window is the first
   * 20 % of what follows the first frame with a face (a face there only part of the time).
   */
  enrollStart: number;
  enrollEnd: number;
  /** Requested and actual enrollment frames (fewer when the first 20 % has fewer faces). */
  shotsRequested: number;
  shots: number[];
  /** Driven frame indices (all of them get a packet and a generated frame). */
  driven: { start: number; end: number };
  /** Driven frames that are scored: of the driven frames with a face, those at phase + k × every. */
  evalIndices: number[];
  every: number;
  phase: number;
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/**
 * Plans a clip of `hasFace.length` frames. Shots are the face frames of the enrollment part (the
 * first 20 %, or the first 20 % from the first face when the clip starts without one),
 * picked at the centres of K equal bins (seed 0) or at a seeded position inside each bin; scored
 * frames are driven frames with a face (a frame without one has nothing to compare with).
 * Throws PlanError (a message for the user) when the clip cannot be evaluated at all.
 */
export function planFrames(hasFace: readonly boolean[], shots: number, maxEval: number, seed = 0): FramePlan {
  const total = hasFace.length;
  if (total < 2) throw new PlanError(`clip too short: ${total} frame(s); need at least 2 (1 to enroll, 1 to drive)`);
  let enrollStart = 0;
  let enrollEnd = Math.max(1, Math.floor(total * ENROLL_FRACTION));
  const candidates: number[] = [];
  for (let i = 0; i < enrollEnd; i++) if (hasFace[i]) candidates.push(i);
  if (candidates.length === 0) {
    enrollStart = hasFace.indexOf(true);
    if (enrollStart < 0) throw new PlanError(`no face found in any of the ${total} frames`);
    enrollEnd = enrollStart + Math.max(1, Math.floor((total - enrollStart) * ENROLL_FRACTION));
    for (let i = enrollStart; i < enrollEnd; i++) if (hasFace[i]) candidates.push(i);
  }
  const rnd = mulberry32(seed);
  const k = Math.min(shots, candidates.length);
  const chosen: number[] = [];
  for (let j = 0; j < k; j++) {
    const lo = (j * candidates.length) / k, hi = ((j + 1) * candidates.length) / k;
    const pos = seed === 0 ? (lo + hi) / 2 : lo + rnd() * (hi - lo);
    chosen.push(candidates[Math.min(candidates.length - 1, Math.floor(pos))]!);
  }
  const driven = { start: enrollEnd, end: total };
  const drivenFaces: number[] = [];
  for (let i = enrollEnd; i < total; i++) if (hasFace[i]) drivenFaces.push(i);
  if (drivenFaces.length === 0) throw new PlanError(`no face in the driven part of the clip (frames ${enrollEnd}–${total - 1}): nothing to score`);
  const every = Math.max(1, Math.ceil(drivenFaces.length / maxEval));
  const phase = seed === 0 ? 0 : Math.floor(rnd() * every);
  const evalIndices: number[] = [];
  for (let k = phase; k < drivenFaces.length; k += every) evalIndices.push(drivenFaces[k]!);
  return { total, enrollStart, enrollEnd, shotsRequested: shots, shots: [...new Set(chosen)], driven, evalIndices, every, phase };
}

/**
 * `count` of the positions 0…n−1, evenly spaced (every ⌈n / count⌉-th, starting at a phase that
 * seed 0 puts at 0 and any other seed draws), ascending. All positions when count ≤ 0 or count ≥ n.
 * Used for the codec rungs' AKD/CSIM subset (see run.ts).
 */
export function subsetPositions(n: number, count: number, seed = 0): number[] {
  if (count <= 0 || count >= n) return Array.from({ length: n }, (_, i) => i);
  const every = Math.ceil(n / count);
  const phase = seed === 0 ? 0 : Math.floor(mulberry32((seed ^ 0x5bd1e995) >>> 0)() * every);
  const out: number[] = [];
  for (let k = phase; k < n && out.length < count; k += every) out.push(k);
  return out;
}
