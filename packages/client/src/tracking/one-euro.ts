/**
 * One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): a low-pass filter whose cutoff
 * rises with the signal's speed, so slow motion is smoothed hard (no jitter) and
 * fast motion passes almost unfiltered (little lag).
 *
 * `OneEuroFilter` filters one scalar; `OneEuroVectorFilter` filters a fixed-length
 * vector in place without allocating per sample, optionally with one speed shared
 * by the whole vector (all landmarks of a face switch cutoff together, which keeps
 * the face shape rigid while it moves).
 */

export interface OneEuroParams {
  /** Cutoff frequency in Hz when the signal is at rest; lower = smoother, more lag when slow. */
  minCutoff: number;
  /** Speed coefficient (1 / signal unit); higher = less lag when fast, more jitter. */
  beta: number;
  /** Cutoff in Hz of the low-pass on the derivative. */
  dCutoff: number;
}

/** The paper's suggested starting point; tune `minCutoff` and `beta` for the signal's units. */
export const DEFAULT_ONE_EURO: Readonly<OneEuroParams> = Object.freeze({ minCutoff: 1, beta: 0, dCutoff: 1 });

export function validateOneEuroParams(p: OneEuroParams): OneEuroParams {
  for (const key of ['minCutoff', 'beta', 'dCutoff'] as const) {
    const v = p[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new TypeError(`OneEuro ${key} must be a finite number >= 0, got ${String(v)}`);
    }
  }
  if (p.minCutoff === 0) throw new TypeError('OneEuro minCutoff must be > 0');
  if (p.dCutoff === 0) throw new TypeError('OneEuro dCutoff must be > 0');
  return { minCutoff: p.minCutoff, beta: p.beta, dCutoff: p.dCutoff };
}

/** Smoothing factor of an exponential low-pass with cutoff `cutoff` Hz at sample interval `dt` s. */
export function smoothingFactor(cutoff: number, dt: number): number {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / dt);
}

export class OneEuroFilter {
  readonly #p: OneEuroParams;
  #x = 0;
  #dx = 0;
  #t = Number.NaN;

  constructor(params: OneEuroParams = DEFAULT_ONE_EURO) {
    this.#p = validateOneEuroParams(params);
  }

  /** Filters sample `x` taken at `tMs` milliseconds; times must increase. */
  filter(x: number, tMs: number): number {
    if (Number.isNaN(this.#t)) {
      this.#x = x;
      this.#dx = 0;
      this.#t = tMs;
      return x;
    }
    const dt = (tMs - this.#t) / 1000;
    if (!(dt > 0)) return this.#x; // same or earlier timestamp: keep the last estimate
    this.#t = tMs;
    const { minCutoff, beta, dCutoff } = this.#p;
    const aD = smoothingFactor(dCutoff, dt);
    this.#dx += aD * ((x - this.#x) / dt - this.#dx);
    const a = smoothingFactor(minCutoff + beta * Math.abs(this.#dx), dt);
    this.#x += a * (x - this.#x);
    return this.#x;
  }

  reset(): void {
    this.#t = Number.NaN;
  }
}

export interface OneEuroVectorOptions extends OneEuroParams {
  /**
   * When set, the speed that drives the cutoff is the mean speed over the whole vector
   * instead of each element's own speed. Default false.
   */
  sharedSpeed?: boolean;
  /** Elements per point used for the shared speed (3 for xyz landmarks); default 1. */
  stride?: number;
}

export class OneEuroVectorFilter {
  readonly length: number;
  readonly #p: OneEuroParams;
  readonly #shared: boolean;
  readonly #stride: number;
  readonly #x: Float64Array;
  readonly #dx: Float64Array;
  #t = Number.NaN;

  constructor(length: number, options: OneEuroVectorOptions = { ...DEFAULT_ONE_EURO }) {
    if (!Number.isInteger(length) || length <= 0) {
      throw new TypeError(`OneEuroVectorFilter length must be a positive integer, got ${String(length)}`);
    }
    const stride = options.stride ?? 1;
    if (!Number.isInteger(stride) || stride <= 0 || length % stride !== 0) {
      throw new TypeError(`OneEuroVectorFilter stride ${String(stride)} must divide length ${length}`);
    }
    this.length = length;
    this.#p = validateOneEuroParams(options);
    this.#shared = options.sharedSpeed ?? false;
    this.#stride = stride;
    this.#x = new Float64Array(length);
    this.#dx = new Float64Array(length);
  }

  /**
   * Filters `input` (length `length`) taken at `tMs` ms into `out` (may be `input`
   * itself); returns `out`.
   */
  filter(input: ArrayLike<number>, tMs: number, out: Float32Array | Float64Array = new Float32Array(this.length)): Float32Array | Float64Array {
    const n = this.length;
    if (input.length !== n) throw new TypeError(`expected ${n} values, got ${input.length}`);
    if (out.length !== n) throw new TypeError(`output must have ${n} values, got ${out.length}`);
    const x = this.#x;
    const dx = this.#dx;
    if (Number.isNaN(this.#t)) {
      for (let i = 0; i < n; i++) {
        x[i] = input[i]!;
        dx[i] = 0;
        out[i] = x[i]!;
      }
      this.#t = tMs;
      return out;
    }
    const dt = (tMs - this.#t) / 1000;
    if (!(dt > 0)) {
      for (let i = 0; i < n; i++) out[i] = x[i]!;
      return out;
    }
    this.#t = tMs;
    const { minCutoff, beta, dCutoff } = this.#p;
    const aD = smoothingFactor(dCutoff, dt);
    for (let i = 0; i < n; i++) dx[i] = dx[i]! + aD * ((input[i]! - x[i]!) / dt - dx[i]!);
    if (this.#shared) {
      const s = this.#stride;
      let speed = 0;
      for (let i = 0; i < n; i += s) {
        let sq = 0;
        for (let k = 0; k < s; k++) sq += dx[i + k]! * dx[i + k]!;
        speed += Math.sqrt(sq);
      }
      speed /= n / s;
      const a = smoothingFactor(minCutoff + beta * speed, dt);
      for (let i = 0; i < n; i++) {
        x[i] = x[i]! + a * (input[i]! - x[i]!);
        out[i] = x[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const a = smoothingFactor(minCutoff + beta * Math.abs(dx[i]!), dt);
        x[i] = x[i]! + a * (input[i]! - x[i]!);
        out[i] = x[i]!;
      }
    }
    return out;
  }

  reset(): void {
    this.#t = Number.NaN;
  }
}
