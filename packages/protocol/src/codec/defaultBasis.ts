/** The basis versions this build ships, by codec id (parsed lazily on first use). */
import { loadBasis, type Basis } from './basis.ts';
import { BASIS_V1_DATA } from './basisData.ts';

const cache = new Map<number, Basis>();
const shipped = new Map([[BASIS_V1_DATA.codecId, BASIS_V1_DATA]]);

/** Codec id new encoders use. */
export const DEFAULT_CODEC_ID = BASIS_V1_DATA.codecId;

/** Returns the shipped basis for `codecId`, or undefined when this build does not know it. */
export function getBasis(codecId: number = DEFAULT_CODEC_ID): Basis | undefined {
  let b = cache.get(codecId);
  if (!b) {
    const data = shipped.get(codecId);
    if (!data) return undefined;
    b = loadBasis(data);
    cache.set(codecId, b);
  }
  return b;
}

export function defaultBasis(): Basis {
  return getBasis(DEFAULT_CODEC_ID)!;
}
