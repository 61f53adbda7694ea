/**
 * The one typed event emitter of the project (server and browser): events are
 * declared once as a map of argument tuples. `safeEmit` keeps a throwing listener
 * from breaking the emitter's own state; the error goes to `onListenerError`.
 */
export type EventMap = Record<string, unknown[]>;

export class TypedEmitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<(...args: never[]) => void>>();
  /** Where listener exceptions go. Default: console.error. */
  onListenerError: (event: string, error: unknown) => void = (event, error) =>
    console.error(`listener for '${event}' threw`, error);

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as (...args: never[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    const wrapper = (...args: E[K]) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#listeners.get(event)?.delete(listener as unknown as (...args: never[]) => void);
    return this;
  }

  listenerCount(event: keyof E & string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  protected safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as unknown as (...a: E[K]) => void)(...args);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }
}
