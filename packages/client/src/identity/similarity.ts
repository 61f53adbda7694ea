/** Face-descriptor arithmetic: cosine similarity and matching against enrolled descriptors. Pure. */

/** A face-recognition descriptor (human's faceres: 1024 floats). */
export type FaceDescriptor = Float32Array;

/**
 * Cosine similarity of two descriptors, in [-1, 1]. Throws `TypeError` when the lengths
 * differ or either vector is empty or all zeros (no direction to compare).
 */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new TypeError(`similarity: descriptors of different lengths (${a.length} and ${b.length})`);
  if (a.length === 0) throw new TypeError('similarity: empty descriptors');
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (!(na > 0 && nb > 0)) throw new TypeError('similarity: a descriptor is all zeros');
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

/** Highest similarity of `probe` to any of `enrolled` (-1 when `enrolled` is empty). */
export function bestSimilarity(probe: ArrayLike<number>, enrolled: readonly ArrayLike<number>[]): number {
  let best = -1;
  for (const e of enrolled) best = Math.max(best, similarity(probe, e));
  return best;
}
