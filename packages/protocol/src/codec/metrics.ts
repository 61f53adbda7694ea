/**
 * Landmark error on a 256×256 face crop: the bounding box of the reference
 * (unquantised) landmarks' x and y is mapped onto a 256×256 square, per axis,
 * and the 2D Euclidean distance of every landmark is measured in those pixels.
 * z is not part of the metric (it is not rendered).
 */
export const CROP_SIZE = 256;

export interface CropErrorStats {
  mean: number;
  max: number;
}

/** Writes per-landmark errors (px) into `out` and returns mean and max. */
export function faceCropError(reference: ArrayLike<number>, decoded: ArrayLike<number>, out?: Float64Array): CropErrorStats {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < reference.length; i += 3) {
    const x = reference[i]!, y = reference[i + 1]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const sx = CROP_SIZE / Math.max(maxX - minX, 1e-9);
  const sy = CROP_SIZE / Math.max(maxY - minY, 1e-9);
  let sum = 0, max = 0;
  for (let i = 0, n = 0; i < reference.length; i += 3, n++) {
    const e = Math.hypot((decoded[i]! - reference[i]!) * sx, (decoded[i + 1]! - reference[i + 1]!) * sy);
    if (out) out[n] = e;
    sum += e;
    if (e > max) max = e;
  }
  return { mean: sum / (reference.length / 3), max };
}
