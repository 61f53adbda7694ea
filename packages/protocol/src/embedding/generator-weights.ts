/**
 * SectionType.GeneratorWeights: a person's fine-tuned layers of the shared neural generator, as
 * float16 deltas to the shared weights (the paper's person-specific fine-tuning, carried in the
 * embedding so every receiver renders with it). Little-endian:
 *
 *   offset  size  field
 *   0       1     version (1)
 *   1       4     base fingerprint (u32): FNV-1a of the base tensors' float32 values, in order —
 *                 receivers whose shared weights differ must ignore the section
 *   5       2     tensor count (u16, 1 … MAX_TUNED_TENSORS)
 *   then per tensor:
 *           1     name length L (1 … MAX_TENSOR_NAME_BYTES), L bytes UTF-8 name
 *           4     element count n (u32, ≥ 1)
 *           2n    float16 deltas
 *
 * Pure byte layout; which names and shapes are valid is the generator's business.
 */

export const GENERATOR_WEIGHTS_VERSION = 1;
export const MAX_TUNED_TENSORS = 64;
export const MAX_TENSOR_NAME_BYTES = 64;

export interface TunedTensor {
  name: string;
  /** Finite float32 deltas (rounded to float16 on the wire). */
  delta: Float32Array;
}

export interface GeneratorWeights {
  baseFingerprint: number;
  tensors: TunedTensor[];
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Float32 → float16 bits, round to nearest even; overflow → ±Infinity. */
export function floatToHalf(value: number): number {
  F32[0] = value;
  const x = U32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h; // a carry into the exponent is the correct rounding (up to Infinity)
}

/** Float16 bits → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** FNV-1a (32-bit) over the float32 little-endian bytes of the arrays, in order. */
export function fingerprintFloats(arrays: readonly Float32Array[]): number {
  let h = 0x811c9dc5;
  const b = new Uint8Array(4), v = new DataView(b.buffer);
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      v.setFloat32(0, a[i]!, true);
      for (let j = 0; j < 4; j++) h = Math.imul(h ^ b[j]!, 0x01000193);
    }
  }
  return h >>> 0;
}

export function encodeGeneratorWeights(w: GeneratorWeights): Uint8Array {
  if (!Number.isInteger(w.baseFingerprint) || w.baseFingerprint < 0 || w.baseFingerprint > 0xffffffff) throw new TypeError('baseFingerprint must be a u32');
  if (w.tensors.length < 1 || w.tensors.length > MAX_TUNED_TENSORS) throw new TypeError(`1 to ${MAX_TUNED_TENSORS} tensors, got ${w.tensors.length}`);
  const names = w.tensors.map((t) => new TextEncoder().encode(t.name));
  const seen = new Set<string>();
  let size = 7;
  w.tensors.forEach((t, i) => {
    if (names[i]!.length < 1 || names[i]!.length > MAX_TENSOR_NAME_BYTES) throw new TypeError(`tensor name '${t.name}' must be 1–${MAX_TENSOR_NAME_BYTES} bytes`);
    if (seen.has(t.name)) throw new TypeError(`tensor '${t.name}' twice`);
    seen.add(t.name);
    if (t.delta.length < 1) throw new TypeError(`tensor '${t.name}' is empty`);
    for (const x of t.delta) if (!Number.isFinite(x) || Math.abs(x) > 65504) throw new TypeError(`tensor '${t.name}' holds ${x}, not a finite float16`);
    size += 1 + names[i]!.length + 4 + 2 * t.delta.length;
  });
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint8(0, GENERATOR_WEIGHTS_VERSION);
  v.setUint32(1, w.baseFingerprint, true);
  v.setUint16(5, w.tensors.length, true);
  let o = 7;
  w.tensors.forEach((t, i) => {
    v.setUint8(o, names[i]!.length);
    out.set(names[i]!, o + 1);
    o += 1 + names[i]!.length;
    v.setUint32(o, t.delta.length, true);
    o += 4;
    for (const x of t.delta) { v.setUint16(o, floatToHalf(x), true); o += 2; }
  });
  return out;
}

/** Parses the section; throws TypeError naming the first problem. */
export function decodeGeneratorWeights(bytes: Uint8Array): GeneratorWeights {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (o: number, n: number, what: string): void => {
    if (o + n > bytes.length) throw new TypeError(`generator weights: truncated at ${what} (offset ${o}, ${bytes.length} bytes)`);
  };
  need(0, 7, 'the header');
  const version = v.getUint8(0);
  if (version !== GENERATOR_WEIGHTS_VERSION) throw new TypeError(`generator weights: version ${version}, this reader knows ${GENERATOR_WEIGHTS_VERSION}`);
  const baseFingerprint = v.getUint32(1, true);
  const count = v.getUint16(5, true);
  if (count < 1 || count > MAX_TUNED_TENSORS) throw new TypeError(`generator weights: ${count} tensors (1 to ${MAX_TUNED_TENSORS})`);
  const tensors: TunedTensor[] = [];
  const seen = new Set<string>();
  let o = 7;
  for (let k = 0; k < count; k++) {
    need(o, 1, `tensor ${k}'s name length`);
    const len = v.getUint8(o);
    if (len < 1 || len > MAX_TENSOR_NAME_BYTES) throw new TypeError(`generator weights: tensor ${k}'s name is ${len} bytes`);
    need(o + 1, len + 4, `tensor ${k}'s name`);
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(o + 1, o + 1 + len));
    } catch {
      throw new TypeError(`generator weights: tensor ${k}'s name is not UTF-8`);
    }
    if (seen.has(name)) throw new TypeError(`generator weights: tensor '${name}' twice`);
    seen.add(name);
    o += 1 + len;
    const n = v.getUint32(o, true);
    o += 4;
    if (n < 1) throw new TypeError(`generator weights: tensor '${name}' is empty`);
    need(o, 2 * n, `tensor '${name}'s values`);
    const delta = new Float32Array(n);
    for (let i = 0; i < n; i++, o += 2) {
      const h = v.getUint16(o, true);
      if ((h & 0x7c00) === 0x7c00) throw new TypeError(`generator weights: tensor '${name}' holds a non-finite value`);
      delta[i] = halfToFloat(h);
    }
    tensors.push({ name, delta });
  }
  if (o !== bytes.length) throw new TypeError(`generator weights: ${bytes.length - o} trailing bytes`);
  return { baseFingerprint, tensors };
}
