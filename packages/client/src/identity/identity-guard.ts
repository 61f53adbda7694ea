/**
 * The deepfake guard: while a sender publishes their own avatar, the live camera face must
 * keep matching the enrolled identity. Periodic checks (default every 2 s) feed a small
 * state machine; an avatar of someone else (a painting, a character) is allowed only with
 * the room's `impersonation` right and is then always flagged. Pure: descriptors come from
 * an injected source (in the browser, `FaceIdentity` on camera frames), time from an
 * injected clock, so the state machine is tested in Node.
 */
import { TypedEmitter } from '@visage/protocol';
import { IDENTITY_THRESHOLD } from './threshold.ts';
import { bestSimilarity } from './similarity.ts';

export const IdentityStatus = {
  /** No check has decided yet: publishing is blocked. */
  Verifying: 'verifying',
  /** The live face matches the enrolled identity: publishing allowed. */
  Match: 'match',
  /** The live face is someone else: publishing blocked. */
  Mismatch: 'mismatch',
  /** No face in the camera for the last checks: publishing blocked. */
  NoFace: 'no_face',
  /** Avatar of someone else, granted by the room: publishing allowed, always flagged. */
  Impersonation: 'impersonation',
} as const;
export type IdentityStatus = (typeof IdentityStatus)[keyof typeof IdentityStatus];

export const IdentityGuardErrorCode = {
  /** An avatar of someone else was requested in a room whose token does not grant it. */
  ImpersonationNotAllowed: 'impersonation_not_allowed',
  /** The guard was used after `close()`. */
  Closed: 'closed',
} as const;
export type IdentityGuardErrorCode = (typeof IdentityGuardErrorCode)[keyof typeof IdentityGuardErrorCode];

export class IdentityGuardError extends Error {
  readonly code: IdentityGuardErrorCode;
  constructor(code: IdentityGuardErrorCode, message: string) {
    super(message);
    this.name = 'IdentityGuardError';
    this.code = code;
  }
  static impersonationNotAllowed(): IdentityGuardError {
    return new IdentityGuardError(IdentityGuardErrorCode.ImpersonationNotAllowed, 'this room does not allow publishing an avatar of someone else: enroll photos of yourself, or ask for an invitation that grants impersonation');
  }
}

/** One periodic check. */
export interface IdentityCheck {
  /** Clock time of the check, ms. */
  at: number;
  /** Best cosine similarity to the enrolled descriptors; null when no face was found. */
  similarity: number | null;
  /** Whether this single check passed the threshold. */
  passed: boolean;
  /** The guard's status after this check. */
  status: IdentityStatus;
}

export interface IdentityGuardOptions {
  /** Descriptors of the enrolled photos (≥ 1 unless `impersonation`). */
  enrolled: readonly ArrayLike<number>[];
  /** Cosine-similarity threshold. Default `IDENTITY_THRESHOLD` (calibrated). */
  threshold: number;
  /** Time between the end of one check and the start of the next, ms. Default 2000. */
  intervalMs: number;
  /**
   * Consecutive failed checks (mismatch or no face) that end a match; fewer are tolerated
   * as noise (a blink, a turned head). Default 2, i.e. ~4 s at the default interval.
   */
  failuresToBlock: number;
  /** The avatar is of someone else (painting, character). Default false. */
  impersonation: boolean;
  /** Rights from the room's token. Default none. */
  rights: { impersonation?: boolean };
  /** Clock, ms. Default `performance.now`. */
  now: () => number;
}

export const DEFAULT_IDENTITY_GUARD_OPTIONS = Object.freeze({
  threshold: IDENTITY_THRESHOLD,
  intervalMs: 2000,
  failuresToBlock: 2,
  impersonation: false,
  rights: Object.freeze({}) as { impersonation?: boolean },
});

export type IdentityGuardEvents = {
  /** After every check. */
  check: [check: IdentityCheck];
  /** The status changed (publishing allowed or not may have changed with it). */
  status: [status: IdentityStatus, previous: IdentityStatus];
  /** The descriptor source threw; the guard keeps its status and tries again next time. */
  error: [error: unknown];
};

/** Where the periodic checks get a descriptor of the live face (null: no face). */
export type DescriptorSource = () => Promise<ArrayLike<number> | null>;

export class IdentityGuard extends TypedEmitter<IdentityGuardEvents> {
  readonly threshold: number;
  readonly intervalMs: number;
  readonly impersonation: boolean;
  readonly #enrolled: readonly ArrayLike<number>[];
  readonly #failuresToBlock: number;
  readonly #now: () => number;
  #status: IdentityStatus;
  #failures = 0;
  #last: IdentityCheck | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running = false;
  #closed = false;

  constructor(options: Partial<IdentityGuardOptions> & Pick<IdentityGuardOptions, 'enrolled'>) {
    super();
    const o = { ...DEFAULT_IDENTITY_GUARD_OPTIONS, now: () => performance.now(), ...options };
    if (!(o.threshold > -1 && o.threshold < 1)) throw new TypeError(`threshold must be in (-1, 1), got ${o.threshold}`);
    if (!(o.intervalMs > 0)) throw new TypeError(`intervalMs must be > 0, got ${o.intervalMs}`);
    if (!(Number.isInteger(o.failuresToBlock) && o.failuresToBlock >= 1)) throw new TypeError(`failuresToBlock must be a positive integer, got ${o.failuresToBlock}`);
    if (o.impersonation && !o.rights.impersonation) throw IdentityGuardError.impersonationNotAllowed();
    if (!o.impersonation && o.enrolled.length === 0) throw new TypeError('enrolled must hold at least one descriptor');
    const len = o.enrolled[0]?.length;
    for (const e of o.enrolled) if (e.length !== len || e.length === 0) throw new TypeError('enrolled descriptors must be non-empty and of one length');
    this.threshold = o.threshold;
    this.intervalMs = o.intervalMs;
    this.impersonation = o.impersonation;
    this.#enrolled = o.enrolled.map((e) => Float32Array.from(e));
    this.#failuresToBlock = o.failuresToBlock;
    this.#now = o.now;
    this.#status = o.impersonation ? IdentityStatus.Impersonation : IdentityStatus.Verifying;
  }

  get status(): IdentityStatus {
    return this.#status;
  }
  /** Whether the avatar may be published now. */
  get publishAllowed(): boolean {
    return this.#status === IdentityStatus.Match || this.#status === IdentityStatus.Impersonation;
  }
  /** Whether receivers must be told the avatar is not the sender's own face. */
  get flagged(): boolean {
    return this.impersonation;
  }
  get lastCheck(): IdentityCheck | null {
    return this.#last;
  }

  /** Feeds one live descriptor (null: no face found) and returns the check. */
  report(descriptor: ArrayLike<number> | null): IdentityCheck {
    if (this.#closed) throw new IdentityGuardError(IdentityGuardErrorCode.Closed, 'IdentityGuard is closed');
    const at = this.#now();
    const sim = descriptor && this.#enrolled.length ? bestSimilarity(descriptor, this.#enrolled) : null;
    const passed = sim !== null && sim >= this.threshold;
    const previous = this.#status;
    if (!this.impersonation) {
      if (passed) {
        this.#failures = 0;
        this.#status = IdentityStatus.Match;
      } else {
        this.#failures++;
        const graced = previous === IdentityStatus.Match && this.#failures < this.#failuresToBlock;
        if (!graced) this.#status = sim === null ? IdentityStatus.NoFace : IdentityStatus.Mismatch;
      }
    }
    const check: IdentityCheck = { at, similarity: sim, passed, status: this.#status };
    this.#last = check;
    this.safeEmit('check', check);
    if (this.#status !== previous) this.safeEmit('status', this.#status, previous);
    return check;
  }

  /** Asks `source` for a descriptor now and reports it. */
  async checkNow(source: DescriptorSource): Promise<IdentityCheck | null> {
    let descriptor: ArrayLike<number> | null;
    try {
      descriptor = await source();
    } catch (err) {
      this.safeEmit('error', err);
      return null;
    }
    return this.#closed ? null : this.report(descriptor);
  }

  /**
   * Checks now and then every `intervalMs` after the previous check ends (checks never
   * overlap). Idempotent while running.
   */
  start(source: DescriptorSource): void {
    if (this.#closed) throw new IdentityGuardError(IdentityGuardErrorCode.Closed, 'IdentityGuard is closed');
    if (this.#running) return;
    this.#running = true;
    const tick = async () => {
      this.#timer = null;
      await this.checkNow(source);
      if (this.#running && !this.#closed) this.#timer = setTimeout(() => void tick(), this.intervalMs);
    };
    void tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Stops checking and drops listeners. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.stop();
    this.#closed = true;
    this.removeAllListeners();
  }
}
