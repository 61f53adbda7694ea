/**
 * The tracks file format: JSON Lines, one frame per line:
 *   {"t": <ms>, "landmarks": [[x,y,z] × 478] | null, "blendshapes": [52] | null, "matrix": [16] | null}
 * Browser-safe (no Node imports). For files on disk see ./node.ts.
 */
import { DecodeError, DecodeErrorReason } from '../errors.ts';
import { BLENDSHAPE_COUNT, LANDMARK_COUNT, type FaceFrame } from '../frame.ts';

function malformed(line: number, what: string): DecodeError {
  return new DecodeError(DecodeErrorReason.Malformed, `tracks line ${line}: ${what}`);
}

function numbers(value: unknown, length: number, line: number, field: string): Float32Array | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value) || value.length !== length) throw malformed(line, `${field} must be null or ${length} numbers`);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(line, `${field}[${i}] is not a finite number`);
    out[i] = v;
  }
  return out;
}

/** Parses one JSON line into a frame; throws DecodeError('malformed') with the line number. */
export function parseTrackLine(text: string, line = 1): FaceFrame {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (cause) {
    throw new DecodeError(DecodeErrorReason.Malformed, `tracks line ${line}: invalid JSON`, { cause });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw malformed(line, 'not an object');
  const o = obj as Record<string, unknown>;
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) throw malformed(line, '"t" must be a finite number (ms)');
  let landmarks: Float32Array | null = null;
  if (o.landmarks !== null && o.landmarks !== undefined) {
    if (!Array.isArray(o.landmarks) || o.landmarks.length !== LANDMARK_COUNT) {
      throw malformed(line, `landmarks must be null or ${LANDMARK_COUNT} [x, y, z] triples`);
    }
    landmarks = new Float32Array(LANDMARK_COUNT * 3);
    for (let i = 0; i < LANDMARK_COUNT; i++) {
      const p: unknown = o.landmarks[i];
      if (!Array.isArray(p) || p.length !== 3) throw malformed(line, `landmarks[${i}] must be [x, y, z]`);
      for (let k = 0; k < 3; k++) {
        const v: unknown = p[k];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(line, `landmarks[${i}][${k}] is not a finite number`);
        landmarks[i * 3 + k] = v;
      }
    }
  }
  return {
    t: o.t,
    landmarks,
    blendshapes: numbers(o.blendshapes, BLENDSHAPE_COUNT, line, 'blendshapes'),
    matrix: numbers(o.matrix, 16, line, 'matrix'),
  };
}

/** Parses a whole JSONL text (blank lines ignored). */
export function parseTracks(text: string): FaceFrame[] {
  const frames: FaceFrame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l) frames.push(parseTrackLine(l, i + 1));
  }
  return frames;
}

const round = (v: number, digits: number): number => {
  const k = 10 ** digits;
  const r = Math.round(v * k) / k;
  return Object.is(r, -0) ? 0 : r;
};

/** Serialises one frame as a JSON line (no trailing newline); numbers rounded to `digits`, t to µs. */
export function serialiseTrackFrame(frame: FaceFrame, digits = 5): string {
  let landmarks: number[][] | null = null;
  if (frame.landmarks) {
    landmarks = [];
    for (let i = 0; i < frame.landmarks.length; i += 3) {
      landmarks.push([round(frame.landmarks[i]!, digits), round(frame.landmarks[i + 1]!, digits), round(frame.landmarks[i + 2]!, digits)]);
    }
  }
  const arr = (a: Float32Array | null): number[] | null => (a ? Array.from(a, (v) => round(v, digits)) : null);
  return JSON.stringify({ t: round(frame.t, 3), landmarks, blendshapes: arr(frame.blendshapes), matrix: arr(frame.matrix) });
}

export function serialiseTracks(frames: readonly FaceFrame[], digits = 5): string {
  return frames.map((f) => serialiseTrackFrame(f, digits)).join('\n') + (frames.length ? '\n' : '');
}
