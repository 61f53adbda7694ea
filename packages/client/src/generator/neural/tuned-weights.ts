/**
 * A person's fine-tuned generator layers in the embedding (SectionType.GeneratorWeights, byte
 * layout in @visage/protocol's generator-weights.ts): float16 deltas to the shared weights, with
 * a fingerprint of the base values they were tuned from. Receivers with other shared weights
 * ignore the section (the tuned layers would not fit them) and render with ψ alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SectionType, decodeGeneratorWeights, encodeGeneratorWeights, fingerprintFloats, type AvatarEmbedding } from '@visage/protocol';
import { replaceSections } from './sections.ts';
import type { NeuralWeights } from './weights.ts';

/** The shared weights' values of `names`, in order. */
async function baseValues(weights: NeuralWeights, names: readonly string[]): Promise<Float32Array[]> {
  const arrays: Float32Array[] = [];
  for (const n of names) {
    const t = weights.tensors[n];
    if (!t) throw new TypeError(`neural weights: no tensor '${n}'`);
    arrays.push((await t.data()) as Float32Array);
  }
  return arrays;
}

/** Returns `embedding` with its GeneratorWeights section set to `tuned − base` (replacing any). */
export async function withTunedWeights(embedding: AvatarEmbedding, weights: NeuralWeights, tuned: Readonly<Record<string, Float32Array>>): Promise<AvatarEmbedding> {
  const names = Object.keys(tuned);
  const bases = await baseValues(weights, names);
  const tensors = names.map((name, k) => {
    const t = tuned[name]!, base = bases[k]!;
    if (t.length !== base.length) throw new TypeError(`tuned '${name}' has ${t.length} values, the weights ${base.length}`);
    return { name, delta: Float32Array.from(t, (v, i) => v - base[i]!) };
  });
  const bytes = encodeGeneratorWeights({ baseFingerprint: fingerprintFloats(bases), tensors });
  return replaceSections(embedding, [{ type: SectionType.GeneratorWeights, mandatory: false, bytes }]);
}

export type TunedOverrides =
  | { status: 'none' }
  /** The section was tuned from other shared weights (or names tensors these weights lack). */
  | { status: 'mismatch'; reason: string }
  /** base + delta for each tuned tensor (caller owns and disposes them). */
  | { status: 'ok'; tensors: Record<string, tf.Tensor> };

/**
 * Reads the GeneratorWeights section against these shared weights. Malformed bytes throw
 * (TypeError); a section made for other weights is reported, not applied.
 */
export async function readTunedWeights(embedding: AvatarEmbedding, weights: NeuralWeights): Promise<TunedOverrides> {
  const bytes = embedding.sections.find((s) => s.type === SectionType.GeneratorWeights)?.bytes;
  if (!bytes) return { status: 'none' };
  const w = decodeGeneratorWeights(bytes);
  for (const t of w.tensors) {
    const base = weights.tensors[t.name];
    if (!base) return { status: 'mismatch', reason: `the shared weights have no tensor '${t.name}'` };
    if (base.size !== t.delta.length) return { status: 'mismatch', reason: `'${t.name}' has ${base.size} values in the shared weights, ${t.delta.length} in the section` };
  }
  const fp = fingerprintFloats(await baseValues(weights, w.tensors.map((t) => t.name)));
  if (fp !== w.baseFingerprint) return { status: 'mismatch', reason: `tuned from other shared weights (fingerprint ${w.baseFingerprint.toString(16)}, these ${fp.toString(16)})` };
  const tensors: Record<string, tf.Tensor> = {};
  for (const t of w.tensors) {
    const base = weights.tensors[t.name]!;
    tensors[t.name] = tf.tidy(() => tf.add(base, tf.tensor(t.delta, base.shape)));
  }
  return { status: 'ok', tensors };
}
