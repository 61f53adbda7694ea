/** Node-only: a tf.io IOHandler that reads model.json and its shards from a folder. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { loadNeuralWeights, type NeuralWeights } from './weights.ts';

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** IOHandler over `<dir>/model.json` + the shards it lists (concatenated in manifest order). */
export function nodeWeightsHandler(dir: string): tf.io.IOHandler {
  return {
    async load() {
      const model = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
      const specs: tf.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      for (const group of model.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) parts.push(await readFile(join(dir, p)));
      }
      const total = parts.reduce((n, p) => n + p.byteLength, 0);
      const data = new Uint8Array(total);
      let o = 0;
      for (const p of parts) { data.set(p, o); o += p.byteLength; }
      const artifacts: tf.io.ModelArtifacts & { format?: string } = {
        modelTopology: model.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: specs,
        weightData: data.buffer,
      };
      if (model.format !== undefined) artifacts.format = model.format;
      return artifacts;
    },
  };
}

export function loadNeuralWeightsFromDir(dir: string): Promise<NeuralWeights> {
  return loadNeuralWeights(nodeWeightsHandler(dir));
}
