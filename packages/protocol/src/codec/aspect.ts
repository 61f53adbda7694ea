/**
 * The image aspect (height / width) travels in every packet so every packet
 * decodes on its own: common ratios cost 1–4 bits, others escape to a 16-bit log code.
 */
import { FrequencyTable, type RangeDecoder, type RangeEncoder } from './rangeCoder.ts';

export const COMMON_ASPECTS = [1, 16 / 9, 9 / 16, 4 / 3, 3 / 4, 3 / 2, 2 / 3, 5 / 4, 4 / 5] as const;
const ESCAPE = COMMON_ASPECTS.length;
const TABLE = new FrequencyTable(Uint32Array.from([1600, 400, 400, 300, 300, 150, 150, 100, 100, 596]));
const LOG_UNIT = 8192;
const LOG_MIN = -4;

/** Aspect ratios the codec can carry: [1/16, 16). */
export const MIN_ASPECT = 2 ** LOG_MIN;
export const MAX_ASPECT = 2 ** (LOG_MIN + 65535 / LOG_UNIT);

/** The value a decoder will see for `aspect` (common ratios exact, others on a 1/8192-octave grid). */
export function quantiseAspect(aspect: number): number {
  return decodeIndex(aspectIndex(aspect).index, aspectIndex(aspect).code);
}

function aspectIndex(aspect: number): { index: number; code: number } {
  const i = COMMON_ASPECTS.findIndex((a) => Math.abs(a - aspect) <= 1e-6 * a);
  if (i >= 0) return { index: i, code: 0 };
  const code = Math.min(65535, Math.max(0, Math.round((Math.log2(aspect) - LOG_MIN) * LOG_UNIT)));
  return { index: ESCAPE, code };
}

function decodeIndex(index: number, code: number): number {
  return index < ESCAPE ? COMMON_ASPECTS[index]! : 2 ** (code / LOG_UNIT + LOG_MIN);
}

export function encodeAspect(enc: RangeEncoder, aspect: number): void {
  const { index, code } = aspectIndex(aspect);
  TABLE.encode(enc, index);
  if (index === ESCAPE) enc.encodeBits(code, 16);
}

export function decodeAspect(dec: RangeDecoder): number {
  const index = TABLE.decode(dec);
  return decodeIndex(index, index === ESCAPE ? dec.decodeBits(16) : 0);
}
