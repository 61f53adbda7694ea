/**
 * The tracks file: JSON Lines, one line per video frame,
 * `{"t": ms, "landmarks": [[x,y,z] × 478] | null, "blendshapes": [52] | null, "matrix": [16] | null}`
 * (the format of ../shared/data/tracks). Values are rounded to 5 decimals, t to 3.
 */
import type { FaceFrame } from '@visage/protocol';
import { BLENDSHAPE_COUNT, LANDMARK_COUNT } from '@visage/protocol';

export interface TrackLine {
  t: number;
  landmarks: [number, number, number][] | null;
  blendshapes: number[] | null;
  matrix: number[] | null;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

export function faceFrameToTrackLine(frame: FaceFrame, digits = 5): string {
  const line: TrackLine = { t: round(frame.t, 3), landmarks: null, blendshapes: null, matrix: null };
  if (frame.landmarks) {
    const lm = frame.landmarks;
    line.landmarks = [];
    for (let i = 0; i < lm.length; i += 3) line.landmarks.push([round(lm[i]!, digits), round(lm[i + 1]!, digits), round(lm[i + 2]!, digits)]);
  }
  if (frame.blendshapes) line.blendshapes = Array.from(frame.blendshapes, (v) => round(v, digits));
  if (frame.matrix) line.matrix = Array.from(frame.matrix, (v) => round(v, digits));
  return JSON.stringify(line);
}

export class TrackLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrackLineError';
  }
}

function numbers(v: unknown, n: number, what: string): Float32Array | null {
  if (v === null) return null;
  if (!Array.isArray(v) || v.length !== n) throw new TrackLineError(`${what} must be null or an array of ${n}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new TrackLineError(`${what}[${i}] is not a finite number`);
    out[i] = x;
  }
  return out;
}

/** Parses one line of a tracks file into a `FaceFrame`; throws `TrackLineError`. */
export function parseTrackLine(text: string): FaceFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TrackLineError('line is not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new TrackLineError('line is not an object');
  const o = raw as Record<string, unknown>;
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) throw new TrackLineError('t must be a finite number');
  let landmarks: Float32Array | null = null;
  if (o.landmarks !== null) {
    if (!Array.isArray(o.landmarks) || o.landmarks.length !== LANDMARK_COUNT) throw new TrackLineError(`landmarks must be null or ${LANDMARK_COUNT} points`);
    landmarks = new Float32Array(LANDMARK_COUNT * 3);
    o.landmarks.forEach((p: unknown, i: number) => landmarks!.set(numbers(p, 3, `landmarks[${i}]`)!, i * 3));
  }
  return {
    t: o.t,
    landmarks,
    blendshapes: numbers(o.blendshapes ?? null, BLENDSHAPE_COUNT, 'blendshapes'),
    matrix: numbers(o.matrix ?? null, 16, 'matrix'),
  };
}
