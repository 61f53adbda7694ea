/**
 * Request/reply over a module Worker: every message carries an `id`, the worker answers
 * each with the same id (or `{ type: 'error', message }`). A worker that fails to load or
 * dies rejects every pending and later call with one clear error.
 */
export class WorkerRpc<To extends { id: number }, From extends { id: number; type: string }> {
  readonly #worker: Worker;
  readonly #name: string;
  readonly #pending = new Map<number, { resolve: (msg: From) => void; reject: (err: Error) => void }>();
  #nextId = 1;
  #dead: Error | null = null;

  /** `onEvent` receives the messages that answer no call (the worker's own events). */
  constructor(worker: Worker, name: string, onEvent?: (msg: From) => void) {
    this.#worker = worker;
    this.#name = name;
    worker.onmessage = (ev: MessageEvent<From>) => {
      const p = this.#pending.get(ev.data.id);
      if (!p) {
        onEvent?.(ev.data);
        return;
      }
      this.#pending.delete(ev.data.id);
      if (ev.data.type === 'error') p.reject(new Error((ev.data as unknown as { message: string }).message));
      else p.resolve(ev.data);
    };
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      this.#fail(new Error(`${name} worker failed: ${ev.message || 'script error (could not load the worker module)'}`));
    };
    worker.onmessageerror = () => this.#fail(new Error(`${name} worker sent a message that could not be deserialised`));
  }

  /** Sends `msg` (its id is assigned here) and resolves with the reply of the expected type. */
  async call<T extends From['type']>(msg: DistributiveOmit<To, 'id'>, expect: T, transfer: Transferable[] = []): Promise<Extract<From, { type: T }>> {
    if (this.#dead) throw this.#dead;
    const id = this.#nextId++;
    const reply = await new Promise<From>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...msg, id }, transfer);
    });
    if (reply.type !== expect) throw new Error(`${this.#name} worker: expected '${expect}', got '${reply.type}'`);
    return reply as Extract<From, { type: T }>;
  }

  /** Sends `msg` with id 0, expecting no reply (errors come back as events). */
  notify(msg: DistributiveOmit<To, 'id'>, transfer: Transferable[] = []): void {
    if (!this.#dead) this.#worker.postMessage({ ...msg, id: 0 }, transfer);
  }

  /** Terminates the worker; pending and later calls reject. Idempotent. */
  terminate(): void {
    this.#worker.terminate();
    if (!this.#dead) this.#fail(new Error(`${this.#name} worker closed`));
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  #fail(err: Error): void {
    this.#dead = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The worker side of `WorkerRpc`: runs `handle` for every message; a thrown error is
 * answered as `{ type: 'error', id, message }`. Call once at a worker module's top level.
 */
export function serveWorkerRpc<To extends { id: number }, From>(
  handle: (msg: To, reply: (msg: From, transfer?: Transferable[]) => void) => unknown,
): void {
  const scope = self as unknown as { onmessage: ((ev: MessageEvent<To>) => void) | null; postMessage(msg: unknown, transfer: Transferable[]): void };
  const reply = (msg: From, transfer: Transferable[] = []): void => scope.postMessage(msg, transfer);
  scope.onmessage = async (ev: MessageEvent<To>) => {
    try {
      await handle(ev.data, reply);
    } catch (err) {
      scope.postMessage({ type: 'error', id: ev.data.id, message: err instanceof Error ? err.message : String(err) }, []);
    }
  };
}
