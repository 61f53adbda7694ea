import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdentityGuard, IdentityGuardError, IdentityGuardErrorCode, IdentityStatus } from './identity-guard.ts';
import type { IdentityCheck } from './identity-guard.ts';
import { IDENTITY_THRESHOLD } from './threshold.ts';

/** Unit vector at `deg` degrees in the plane of the first two axes (cos similarity to E = cos(deg)). */
const at = (deg: number) => Float32Array.from([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0, 0]);
const E = at(0);
const SAME = at(20); // cos 20° ≈ 0.94
const OTHER = at(80); // cos 80° ≈ 0.17

function guard(extra: Partial<ConstructorParameters<typeof IdentityGuard>[0]> = {}) {
  let t = 0;
  const g = new IdentityGuard({ enrolled: [E], threshold: 0.5, now: () => (t += 100), ...extra });
  const statuses: [string, string][] = [];
  g.on('status', (s, p) => statuses.push([s, p]));
  return { g, statuses };
}

describe('IdentityGuard state machine', () => {
  afterEach(() => vi.useRealTimers());

  it('starts verifying (blocked) and allows publishing after a match', () => {
    const { g, statuses } = guard();
    expect(g.status).toBe(IdentityStatus.Verifying);
    expect(g.publishAllowed).toBe(false);
    const c = g.report(SAME);
    expect(c.passed).toBe(true);
    expect(c.similarity).toBeCloseTo(Math.cos((20 * Math.PI) / 180), 6);
    expect(g.status).toBe(IdentityStatus.Match);
    expect(g.publishAllowed).toBe(true);
    expect(g.flagged).toBe(false);
    expect(statuses).toEqual([['match', 'verifying']]);
  });

  it('blocks at once when the first check is someone else or no face', () => {
    const a = guard();
    a.g.report(OTHER);
    expect(a.g.status).toBe(IdentityStatus.Mismatch);
    expect(a.g.publishAllowed).toBe(false);
    const b = guard();
    b.g.report(null);
    expect(b.g.status).toBe(IdentityStatus.NoFace);
  });

  it('tolerates one failed check after a match, blocks on the second, recovers on a match', () => {
    const { g, statuses } = guard();
    g.report(SAME);
    expect(g.report(OTHER).status).toBe(IdentityStatus.Match); // grace
    expect(g.publishAllowed).toBe(true);
    expect(g.report(OTHER).status).toBe(IdentityStatus.Mismatch);
    expect(g.publishAllowed).toBe(false);
    expect(g.report(SAME).status).toBe(IdentityStatus.Match);
    // a failure between matches resets the count
    g.report(null);
    g.report(SAME);
    expect(g.report(null).status).toBe(IdentityStatus.Match);
    expect(g.report(null).status).toBe(IdentityStatus.NoFace);
    expect(statuses).toEqual([['match', 'verifying'], ['mismatch', 'match'], ['match', 'mismatch'], ['no_face', 'match']]);
  });

  it('uses the best of several enrolled descriptors and the threshold boundary', () => {
    const two = guard({ enrolled: [at(90), at(0)] }).g;
    expect(two.report(at(100)).similarity).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 6); // via the first
    expect(two.report(at(-10)).similarity).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 6); // via the second
    const { g } = guard({ failuresToBlock: 1 });
    expect(g.report(at(59.9)).passed).toBe(true); // cos 59.9° > 0.5
    expect(g.report(at(60.1)).passed).toBe(false);
    expect(g.status).toBe(IdentityStatus.Mismatch);
  });

  it('defaults to the calibrated threshold', () => {
    expect(new IdentityGuard({ enrolled: [E] }).threshold).toBe(IDENTITY_THRESHOLD);
  });

  it('refuses impersonation without the right; with it, always allowed and flagged', () => {
    let err: unknown;
    try {
      new IdentityGuard({ enrolled: [E], impersonation: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IdentityGuardError);
    expect((err as IdentityGuardError).code).toBe(IdentityGuardErrorCode.ImpersonationNotAllowed);
    expect(() => new IdentityGuard({ enrolled: [E], impersonation: true, rights: { impersonation: false } })).toThrow(IdentityGuardError);

    const g = new IdentityGuard({ enrolled: [], impersonation: true, rights: { impersonation: true } });
    expect(g.status).toBe(IdentityStatus.Impersonation);
    expect(g.publishAllowed).toBe(true);
    expect(g.flagged).toBe(true);
    // checks are recorded but change nothing: the avatar is not the sender by design
    expect(g.report(OTHER).status).toBe(IdentityStatus.Impersonation);
    expect(g.report(null).status).toBe(IdentityStatus.Impersonation);
    expect(g.flagged).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new IdentityGuard({ enrolled: [] })).toThrow(TypeError);
    expect(() => new IdentityGuard({ enrolled: [E, Float32Array.from([1, 0])] })).toThrow(TypeError);
    expect(() => new IdentityGuard({ enrolled: [E], threshold: 1.5 })).toThrow(TypeError);
    expect(() => new IdentityGuard({ enrolled: [E], intervalMs: 0 })).toThrow(TypeError);
    expect(() => new IdentityGuard({ enrolled: [E], failuresToBlock: 0 })).toThrow(TypeError);
    expect(() => guard().g.report(Float32Array.from([1, 0]))).toThrow(TypeError);
  });

  it('checks periodically without overlap, survives a throwing source, and stops', async () => {
    vi.useFakeTimers();
    let clock = 0;
    const g = new IdentityGuard({ enrolled: [E], threshold: 0.5, intervalMs: 2000, now: () => clock });
    const checks: IdentityCheck[] = [];
    const errors: unknown[] = [];
    g.on('check', (c) => checks.push(c));
    g.on('error', (e) => errors.push(e));
    const answers: (Float32Array | null | Error)[] = [SAME, new Error('camera gone'), OTHER, OTHER, SAME];
    let calls = 0;
    let inFlight = 0, maxInFlight = 0;
    g.start(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 500)); // a slow descriptor
      inFlight--;
      const a = answers[calls++]!;
      if (a instanceof Error) throw a;
      return a;
    });
    g.start(async () => null); // idempotent while running
    for (let i = 0; i < 5; i++) {
      clock += 2400;
      await vi.advanceTimersByTimeAsync(2400); // checks start at 0, 2500, 5000, 7500, 10000 ms
    }
    expect(calls).toBe(5);
    expect(maxInFlight).toBe(1);
    expect(errors).toHaveLength(1);
    expect(checks.map((c) => c.status)).toEqual(['match', 'match', 'mismatch', 'match']);
    g.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(5);
    g.close();
    g.close();
    expect(() => g.report(SAME)).toThrow(IdentityGuardError);
    expect(() => g.start(async () => null)).toThrow(IdentityGuardError);
  });
});
