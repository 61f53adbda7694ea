/**
 * The neural generator's embedding sections: SectionType.IdentityVector (E's averaged vector,
 * float32 LE) and SectionType.AdaInParams (ψ, float32 LE, or float16 LE — told apart by length).
 * Both are optional (mandatory: false), so receivers of other families ignore them.
 */
import { SectionType, halfToFloat, type AvatarEmbedding, type EmbeddingSection } from '@visage/protocol';

export interface NeuralIdentity {
  /** (emb_dim) averaged embedding, or null when absent. */
  embedding: Float32Array | null;
  /** (psiDim) AdaIN parameters, or null when absent. */
  psi: Float32Array | null;
}

function f32Bytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setFloat32(4 * i, v[i]!, true);
  return out;
}

function readFloats(bytes: Uint8Array, n: number | null, what: string): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (n === null || bytes.byteLength === 4 * n) {
    if (bytes.byteLength % 4) throw new TypeError(`${what}: ${bytes.byteLength} bytes is not a float32 array`);
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
    return out;
  }
  if (bytes.byteLength === 2 * n) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
    return out;
  }
  throw new TypeError(`${what}: ${bytes.byteLength} bytes, expected ${4 * n} (float32) or ${2 * n} (float16)`);
}

/** G blocks that person-specific fine-tuning may tune (stride-1 blocks; fine-tune.ts, tuned-weights.ts). */
export const TUNABLE_LAYER = /^G\/(out|up\.\d+|res\.\d+)$/;

/** The G blocks the SDK and `npm run eval -- --fine-tune` tune besides ψ by default (models/RESULTS.md). */
export const DEFAULT_FINE_TUNE_LAYERS: readonly string[] = ['G/up.2', 'G/out'];

/** Returns `embedding` with the sections of `added`'s types replaced by `added`, Metadata kept last (as the warp packer writes it). */
export function replaceSections(embedding: AvatarEmbedding, added: readonly EmbeddingSection[]): AvatarEmbedding {
  const keep = embedding.sections.filter((s) => !added.some((a) => a.type === s.type));
  const meta = keep.findIndex((s) => s.type === SectionType.Metadata);
  const sections = meta < 0 ? [...keep, ...added] : [...keep.slice(0, meta), ...added, ...keep.slice(meta)];
  return { ...embedding, sections };
}

/** Returns `embedding` with its IdentityVector / AdaInParams sections replaced by these. */
export function withNeuralSections(embedding: AvatarEmbedding, identity: { embedding: Float32Array; psi: Float32Array }): AvatarEmbedding {
  return replaceSections(embedding, [
    { type: SectionType.IdentityVector, mandatory: false, bytes: f32Bytes(identity.embedding) },
    { type: SectionType.AdaInParams, mandatory: false, bytes: f32Bytes(identity.psi) },
  ]);
}

/** Reads the neural sections; `psiDim`/`embDim` (from the weights) validate the lengths. */
export function readNeuralSections(embedding: AvatarEmbedding, dims: { psiDim?: number; embDim?: number } = {}): NeuralIdentity {
  const get = (t: number): Uint8Array | undefined => embedding.sections.find((s) => s.type === t)?.bytes;
  const e = get(SectionType.IdentityVector), p = get(SectionType.AdaInParams);
  const out: NeuralIdentity = {
    embedding: e ? readFloats(e, dims.embDim ?? null, 'IdentityVector') : null,
    psi: p ? readFloats(p, dims.psiDim ?? null, 'AdaInParams') : null,
  };
  if (out.embedding && dims.embDim !== undefined && out.embedding.length !== dims.embDim) throw new TypeError(`IdentityVector has ${out.embedding.length} values, the weights expect ${dims.embDim}`);
  return out;
}
