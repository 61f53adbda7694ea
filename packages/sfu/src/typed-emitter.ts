/**
 * A typed EventEmitter: events declared once as a map of argument tuples.
 * `safeEmit` keeps a throwing listener from breaking the emitter's own state.
 */
import { EventEmitter } from 'node:events';

type EventMap = Record<string, unknown[]>;

export class TypedEmitter<E extends EventMap> {
  readonly #emitter = new EventEmitter();

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const listener of this.#emitter.listeners(event)) {
      try {
        (listener as (...a: E[K]) => void)(...args);
      } catch (err) {
        // A listener's failure is the listener's problem: report it and keep going.
        process.emitWarning(`listener for '${event}' threw: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  }
}
