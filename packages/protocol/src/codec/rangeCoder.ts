/**
 * A 32-bit multi-symbol range coder with exact carry propagation and a short
 * termination (the decoder reads zero bytes past the end), so a ~20-byte packet
 * pays about one byte of coder overhead.
 *
 * Models are static (shipped with the basis): every packet decodes on its own.
 */

const TOP = 2 ** 24;
const TWO32 = 2 ** 32;

export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  private out: number[] = [];

  /** Encodes a symbol with cumulative frequency `cum`, frequency `freq`, out of `total`. */
  encode(cum: number, freq: number, total: number): void {
    const r = Math.floor(this.range / total);
    this.low += r * cum;
    this.range = r * freq;
    if (this.low >= TWO32) {
      this.low -= TWO32;
      this.carry();
    }
    while (this.range < TOP) {
      this.out.push(Math.floor(this.low / TOP));
      this.low = (this.low % TOP) * 256;
      this.range *= 256;
    }
  }

  /** Writes `bits` (≤ 16) raw bits of the non-negative integer `value`. */
  encodeBits(value: number, bits: number): void {
    if (bits === 0) return;
    this.encode(value, 1, 2 ** bits);
  }

  private carry(): void {
    let i = this.out.length - 1;
    while (i >= 0 && this.out[i] === 0xff) {
      this.out[i] = 0;
      i--;
    }
    if (i >= 0) this.out[i] = this.out[i]! + 1;
  }

  /** Terminates with the fewest bytes that pin a value inside [low, low + range). */
  finish(): Uint8Array {
    const hi = this.low + this.range - 1;
    for (let n = 0; n <= 4; n++) {
      const unit = 2 ** (32 - 8 * n);
      let v = Math.ceil(this.low / unit) * unit;
      if (v > hi) continue;
      if (v >= TWO32) {
        v -= TWO32;
        this.carry();
      }
      for (let k = 0; k < n; k++) this.out.push(Math.floor(v / 2 ** (24 - 8 * k)) % 256);
      break;
    }
    // Trailing zero bytes are implied by the decoder.
    let end = this.out.length;
    while (end > 0 && this.out[end - 1] === 0) end--;
    return Uint8Array.from(this.out.slice(0, end));
  }
}

export class RangeDecoder {
  private code = 0;
  private range = 0xffffffff;
  private pos: number;

  constructor(private readonly buf: Uint8Array, offset: number) {
    this.pos = offset;
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.next();
  }

  private next(): number {
    return this.pos < this.buf.length ? this.buf[this.pos++]! : (this.pos++, 0);
  }

  /** True when the decoder has read past the end by more than the implied padding. */
  get overrun(): boolean {
    return this.pos > this.buf.length + 4;
  }

  /** Returns the target cumulative frequency in [0, total); follow with `consume`. */
  peek(total: number): number {
    const r = Math.floor(this.range / total);
    const v = Math.floor(this.code / r);
    return v < total ? v : total - 1;
  }

  consume(cum: number, freq: number, total: number): void {
    const r = Math.floor(this.range / total);
    this.code -= r * cum;
    this.range = r * freq;
    // Corrupt input can push code outside [0, range); clamp so decoding stays bounded.
    if (this.code < 0) this.code = 0;
    if (this.code >= this.range) this.code = this.range - 1;
    while (this.range < TOP) {
      this.code = (this.code % TOP) * 256 + this.next();
      this.range *= 256;
    }
  }

  decodeBits(bits: number): number {
    if (bits === 0) return 0;
    const total = 2 ** bits;
    const v = this.peek(total);
    this.consume(v, 1, total);
    return v;
  }
}

/**
 * A static frequency table over symbols 0..n-1. Frequencies are positive integers
 * summing to `total` (≤ 2^16).
 */
export class FrequencyTable {
  readonly cum: Uint32Array;
  readonly total: number;
  constructor(readonly freq: Uint32Array) {
    this.cum = new Uint32Array(freq.length + 1);
    for (let i = 0; i < freq.length; i++) {
      if (freq[i]! < 1) throw new RangeError('frequencies must be ≥ 1');
      this.cum[i + 1] = this.cum[i]! + freq[i]!;
    }
    this.total = this.cum[freq.length]!;
    if (this.total > 65536) throw new RangeError('total frequency must be ≤ 65536');
  }

  encode(enc: RangeEncoder, symbol: number): void {
    enc.encode(this.cum[symbol]!, this.freq[symbol]!, this.total);
  }

  decode(dec: RangeDecoder): number {
    const v = dec.peek(this.total);
    // Binary search for the symbol whose [cum, cum+freq) holds v.
    let lo = 0, hi = this.freq.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cum[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    dec.consume(this.cum[lo]!, this.freq[lo]!, this.total);
    return lo;
  }
}
