/**
 * Generator registry: `createGenerator('warp', options)` is what the client and
 * `npm run eval -- --generator warp` use to pick a generator by name.
 */
import { VisageError, type AvatarEmbedding } from '@visage/protocol';
import type { BackendKind, Generator, RenderTarget } from './types.ts';
import { WarpGenerator, type WarpGeneratorOptions } from './warp/warp-generator.ts';
import type { NeuralGeneratorOptions } from './neural/neural-generator.ts';

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

/**
 * The neural generator pulls in tfjs (megabytes): it is imported on first `init()`, so apps
 * and workers that only ever render warp avatars never download it (bundlers split it out).
 */
class LazyNeuralGenerator implements Generator {
  readonly family = 'neural';
  #inner: Generator | null = null;
  #disposed = false;
  constructor(private readonly options: NeuralGeneratorOptions) {}

  get backend(): BackendKind | null {
    return this.#inner?.backend ?? null;
  }

  /** The tfjs backend the network runs on (the inner NeuralGenerator's), null before init(). */
  get tfBackend(): string | null {
    return (this.#inner as { tfBackend?: string | null } | null)?.tfBackend ?? null;
  }

  /** Whether G's face correction is drawn (the inner NeuralGenerator's `refiningFace`; false before init()). */
  get refiningFace(): boolean {
    return (this.#inner as { refiningFace?: boolean } | null)?.refiningFace ?? false;
  }

  async init(embedding: AvatarEmbedding): Promise<void> {
    if (this.#disposed) throw VisageError.invalidState('generator disposed');
    const { NeuralGenerator } = await import('./neural/neural-generator.ts');
    const inner = new NeuralGenerator(this.options);
    if (this.#disposed) throw VisageError.invalidState('generator disposed during init');
    this.#inner = inner;
    await inner.init(embedding);
  }

  render(landmarks: Float32Array, target: RenderTarget): Promise<void> {
    if (!this.#inner) return Promise.reject(VisageError.invalidState('render() before init()'));
    return this.#inner.render(landmarks, target);
  }

  dispose(): void {
    this.#disposed = true;
    this.#inner?.dispose();
  }
}

registerGenerator('neural', (o) => new LazyNeuralGenerator(o as NeuralGeneratorOptions));
