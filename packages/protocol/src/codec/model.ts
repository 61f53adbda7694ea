/**
 * Static integer models: a quantised integer q is coded as
 *   v = q − offset,  hi = floor(v / 2^shift),  lo = v − hi·2^shift
 * with `hi` from a frequency table over [−radius, radius] plus an escape symbol
 * (followed by 16 raw bits), and `lo` as `shift` raw bits. Tables are learned
 * offline by scripts/learn-basis.ts and shipped in the basis.
 */
import { FrequencyTable, type RangeDecoder, type RangeEncoder } from './rangeCoder.ts';

export interface IntModelData {
  offset: number;
  shift: number;
  radius: number;
  /** 2·radius + 2 positive frequencies: hi = −radius…radius, then escape. */
  freq: number[];
}

const ESCAPE_BITS = 16;
const ESCAPE_BIAS = 2 ** (ESCAPE_BITS - 1);

export class IntModel {
  readonly table: FrequencyTable;
  readonly offset: number;
  readonly shift: number;
  readonly radius: number;
  readonly unit: number;
  constructor(data: IntModelData) {
    if (data.freq.length !== 2 * data.radius + 2) throw new RangeError('IntModel: freq length must be 2·radius + 2');
    if (data.shift < 0 || data.shift > 16) throw new RangeError('IntModel: shift must be 0-16');
    this.offset = data.offset;
    this.shift = data.shift;
    this.radius = data.radius;
    this.unit = 2 ** data.shift;
    this.table = new FrequencyTable(Uint32Array.from(data.freq));
  }

  /** Largest |hi| representable (escape carries 16 bits). */
  get maxHi(): number {
    return ESCAPE_BIAS - 1;
  }

  /** Clamps q to the representable range. */
  clamp(q: number): number {
    const lo = this.offset - ESCAPE_BIAS * this.unit;
    const hi = this.offset + (ESCAPE_BIAS * this.unit - 1);
    return Math.min(hi, Math.max(lo, q));
  }

  encode(enc: RangeEncoder, q: number): void {
    const v = this.clamp(q) - this.offset;
    const hi = Math.floor(v / this.unit);
    const lo = v - hi * this.unit;
    if (hi >= -this.radius && hi <= this.radius) {
      this.table.encode(enc, hi + this.radius);
    } else {
      this.table.encode(enc, 2 * this.radius + 1);
      enc.encodeBits(hi + ESCAPE_BIAS, ESCAPE_BITS);
    }
    enc.encodeBits(lo, this.shift);
  }

  decode(dec: RangeDecoder): number {
    const sym = this.table.decode(dec);
    const hi = sym === 2 * this.radius + 1 ? dec.decodeBits(ESCAPE_BITS) - ESCAPE_BIAS : sym - this.radius;
    const lo = dec.decodeBits(this.shift);
    return this.offset + hi * this.unit + lo;
  }
}

/** Builds a model from sample values (used by the learning script and tests). */
export function learnIntModel(samples: ArrayLike<number>, radius = 24, total = 1 << 15, coverage = 0.995): IntModelData {
  const sorted = Array.from(samples).sort((a, b) => a - b);
  const offset = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0;
  let shift = 0;
  for (; shift < 16; shift++) {
    const unit = 2 ** shift;
    let inside = 0;
    for (const q of sorted) {
      const hi = Math.floor((q - offset) / unit);
      if (hi >= -radius && hi <= radius) inside++;
    }
    if (inside >= coverage * sorted.length) break;
  }
  const unit = 2 ** shift;
  const counts = new Float64Array(2 * radius + 2);
  for (const q of sorted) {
    const hi = Math.floor((q - offset) / unit);
    counts[hi >= -radius && hi <= radius ? hi + radius : 2 * radius + 1]! += 1;
  }
  // Scale to `total` with every symbol ≥ 1 (escape and unseen values stay codable).
  const n = sorted.length || 1;
  const free = total - counts.length;
  const freq = Array.from(counts, (c) => 1 + Math.floor((c / n) * free));
  return { offset, shift, radius, freq };
}
