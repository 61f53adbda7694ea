/**
 * Degradation before failure: picks the drawing size of a remote avatar from how long the
 * generator takes. Fed once per stats window (~2 s) with the mean render time: more than
 * 80 % of the frame interval for two windows running steps down a size; under 35 % for three
 * windows steps back up. Below the smallest size the render loop drops frames instead.
 */
/** Drawing sizes tried, as fractions of the output size. */
export const DEGRADE_SCALES = [1, 0.75, 0.5] as const;

export class SizeGovernor {
  #index = 0;
  #slow = 0;
  #fast = 0;
  readonly #frameIntervalMs: number;

  constructor(frameIntervalMs: number) {
    if (!(frameIntervalMs > 0)) throw new TypeError('frameIntervalMs must be > 0');
    this.#frameIntervalMs = frameIntervalMs;
  }

  /** Current fraction of the output size to draw at. */
  get scale(): number {
    return DEGRADE_SCALES[this.#index]!;
  }

  /** One stats window's mean render time, ms. */
  update(renderMs: number): void {
    const budget = this.#frameIntervalMs;
    if (renderMs > 0.8 * budget) {
      this.#fast = 0;
      if (++this.#slow >= 2 && this.#index < DEGRADE_SCALES.length - 1) {
        this.#index++;
        this.#slow = 0;
      }
    } else if (renderMs < 0.35 * budget) {
      this.#slow = 0;
      if (++this.#fast >= 3 && this.#index > 0) {
        this.#index--;
        this.#fast = 0;
      }
    } else {
      this.#slow = this.#fast = 0;
    }
  }
}
