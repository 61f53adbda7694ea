/**
 * Generator registry: `createGenerator('warp', options)` is what the client and
 * `npm run eval -- --generator warp` use to pick a generator by name.
 */
import type { Generator } from './types.ts';
import { WarpGenerator, type WarpGeneratorOptions } from './warp/warp-generator.ts';
import { NeuralGenerator, type NeuralGeneratorOptions } from './neural/neural-generator.ts';

export interface GeneratorOptionsMap {
  warp: WarpGeneratorOptions;
  neural: NeuralGeneratorOptions;
}
export type GeneratorName = keyof GeneratorOptionsMap;

type Factory = (options: Record<string, unknown>) => Generator;
const factories = new Map<string, Factory>([['warp', (o) => new WarpGenerator(o as WarpGeneratorOptions)]]);

/** Registers another generator family (e.g. the neural one). Throws TypeError on a duplicate name. */
export function registerGenerator(name: string, factory: Factory): void {
  if (factories.has(name)) throw new TypeError(`generator '${name}' is already registered`);
  factories.set(name, factory);
}

export function generatorNames(): string[] {
  return [...factories.keys()];
}

export function createGenerator<N extends GeneratorName>(name: N, options?: GeneratorOptionsMap[N]): Generator;
export function createGenerator(name: string, options?: Record<string, unknown>): Generator;
export function createGenerator(name: string, options: Record<string, unknown> = {}): Generator {
  const f = factories.get(name);
  if (!f) throw new TypeError(`unknown generator '${name}' (known: ${generatorNames().join(', ')})`);
  return f(options);
}

registerGenerator('neural', (o) => new NeuralGenerator(o as NeuralGeneratorOptions));
