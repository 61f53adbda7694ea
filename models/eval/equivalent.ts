/**
 * The headline of the benchmark: the bitrate at which a codec's rate–quality curve reaches our
 * score ("equivalent bitrate"), interpolated linearly on log-bitrate between the two rungs that
 * bracket the first crossing, and the saving factor = equivalent ÷ our bitrate.
 */

/** A number of kbit/s, or where the codec's curve never crosses our score. */
export type Equivalent = number | 'below' | 'above' | null;

/** Whether a larger value of the metric is better (SSIM, CSIM) or worse (AKD, L1). */
export type Direction = 'higher' | 'lower';

export interface RatePoint {
  kbps: number;
  value: number | null;
}

/**
 * The codec bitrate that matches `ours`:
 * - 'below' when even the codec's lowest rung is at least as good (the codec needs less than its floor);
 * - 'above' when no rung reaches it;
 * - null when our score or every codec score is missing.
 * A rung without a score (no face found, so no AKD) counts as not reaching ours.
 * The first crossing from the bottom of the ladder counts (curves can wiggle).
 */
export function equivalentBitrate(curve: readonly RatePoint[], ours: number | null, direction: Direction): Equivalent {
  if (ours === null || !Number.isFinite(ours)) return null;
  const pts = curve.filter((p) => p.kbps > 0).slice().sort((a, b) => a.kbps - b.kbps);
  // A rung without a score (e.g. no face found for AKD) never reaches ours.
  const value = (p: RatePoint): number | null => (p.value !== null && Number.isFinite(p.value) ? p.value : null);
  if (pts.every((p) => value(p) === null)) return null;
  const reaches = (p: RatePoint) => {
    const v = value(p);
    return v !== null && (direction === 'higher' ? v >= ours : v <= ours);
  };
  if (reaches(pts[0]!)) return 'below';
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i]!;
    if (!reaches(p)) continue;
    const q = pts[i - 1]!;
    const qv = value(q), pv = value(p)!;
    // Below a score-less rung the crossing can only be bounded by this rung's rate.
    if (qv === null) return p.kbps;
    const f = (ours - qv) / (pv - qv);
    return Math.exp(Math.log(q.kbps) + f * (Math.log(p.kbps) - Math.log(q.kbps)));
  }
  return 'above';
}

/** Saving factor: equivalent ÷ ours, or the string when the codec never crossed. */
export function savingFactor(equivalent: Equivalent, oursKbps: number): Equivalent {
  if (typeof equivalent !== 'number') return equivalent;
  if (!(oursKbps > 0)) return null;
  return equivalent / oursKbps;
}
