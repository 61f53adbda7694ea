/**
 * The SDK's rejoin loop: when the connection is lost it joins again with backoff, one rejoin at
 * a time. A loss reported while an attempt is running — the new connection failing before the
 * attempt has finished publishing — is not dropped: once the attempt has succeeded, the loop
 * rejoins again. A loss during an attempt that fails anyway needs nothing more (the next attempt
 * replaces that connection).
 */

export interface RejoinHandlers {
  /** The client left for good: no more attempts. */
  stopped(): boolean;
  /** A rejoin starts: tell the app, drop the current connection. */
  disconnected(reason: string): void;
  /** Joins, wires up and publishes again; throws when the attempt failed (its connection dropped). */
  attempt(): Promise<void>;
  /** Whether the connection an attempt has just made is still up. */
  connected(): boolean;
  /** The attempt numbered `attempts` (from 1) succeeded. */
  reconnected(attempts: number): void;
  /** An attempt's error: true stops the loop (e.g. the token was refused), false tries again. */
  fatal(err: unknown): boolean;
}

/** Delay before attempt `n` (from 0): 300 ms doubling, at most 10 s. */
export function rejoinBackoffMs(n: number): number {
  return Math.min(10_000, 300 * 2 ** n);
}

export class RejoinLoop {
  readonly #h: RejoinHandlers;
  readonly #backoff: (attempt: number) => number;
  #running = false;
  /** Why the connection of the attempt in flight was lost, if it was. */
  #lostDuringAttempt: string | null = null;

  constructor(handlers: RejoinHandlers, backoff: (attempt: number) => number = rejoinBackoffMs) {
    this.#h = handlers;
    this.#backoff = backoff;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The current connection was lost (socket, transport, or the server asked): rejoin. */
  lost(reason: string): void {
    if (this.#h.stopped()) return;
    if (this.#running) {
      this.#lostDuringAttempt ??= reason;
      return;
    }
    void this.#run(reason);
  }

  async #run(reason: string): Promise<void> {
    this.#running = true;
    let again: string | null = null;
    try {
      this.#h.disconnected(reason);
      for (let attempt = 0; !this.#h.stopped(); attempt++) {
        await new Promise((r) => setTimeout(r, this.#backoff(attempt)));
        if (this.#h.stopped()) break;
        this.#lostDuringAttempt = null;
        try {
          await this.#h.attempt();
        } catch (err) {
          if (this.#h.fatal(err)) break;
          continue;
        }
        this.#h.reconnected(attempt + 1);
        again = this.#lostDuringAttempt ?? (this.#h.connected() ? null : 'connection lost while rejoining');
        break;
      }
    } finally {
      this.#running = false;
      this.#lostDuringAttempt = null;
    }
    if (again !== null) this.lost(again);
  }
}
