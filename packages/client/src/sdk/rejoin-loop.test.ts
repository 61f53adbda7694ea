import { describe, expect, it } from 'vitest';
import { RejoinLoop, rejoinBackoffMs, type RejoinHandlers } from './rejoin-loop.ts';

/**
 * A scripted connection: each attempt runs `script[n]` (n from 0, the last one repeats) with a
 * `lose(reason)` that reports a loss to the loop while the attempt is in flight.
 */
function harness(script: ((lose: (reason: string) => void) => Promise<void>)[], opts: { connected?: () => boolean; fatal?: (err: unknown) => boolean } = {}) {
  const log: string[] = [];
  let attempts = 0, left = false;
  const loop: RejoinLoop = new RejoinLoop({
    stopped: () => left,
    disconnected: (reason) => log.push(`disconnected:${reason}`),
    attempt: async () => {
      const n = attempts++;
      log.push(`attempt:${n}`);
      await script[Math.min(n, script.length - 1)]!((reason) => loop.lost(reason));
    },
    connected: opts.connected ?? (() => true),
    reconnected: (k) => log.push(`reconnected:${k}`),
    fatal: opts.fatal ?? (() => false),
  } satisfies RejoinHandlers, () => 0);
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 1));
    expect(pred()).toBe(true);
  };
  return { loop, log, leave: () => (left = true), until };
}

const ok = async () => undefined;
const fail = async () => { throw new Error('join failed'); };

describe('RejoinLoop', () => {
  it('rejoins once for a loss, retrying failed attempts with backoff', async () => {
    const h = harness([fail, fail, ok]);
    h.loop.lost('socket closed');
    expect(h.loop.running).toBe(true);
    await h.until(() => !h.loop.running);
    expect(h.log).toEqual(['disconnected:socket closed', 'attempt:0', 'attempt:1', 'attempt:2', 'reconnected:3']);
  });

  it('rejoins again when the new connection is lost before the attempt finished', async () => {
    // The new connection's send transport fails while it is still publishing.
    const h = harness([async (lose) => { lose('send transport failed'); }, ok]);
    h.loop.lost('recv transport failed');
    await h.until(() => h.log.filter((e) => e.startsWith('reconnected')).length === 2 && !h.loop.running);
    expect(h.log).toEqual([
      'disconnected:recv transport failed', 'attempt:0', 'reconnected:1',
      'disconnected:send transport failed', 'attempt:1', 'reconnected:1',
    ]);
  });

  it('coalesces losses during an attempt into one more rejoin, and ignores those of a failed attempt', async () => {
    const h = harness([
      async (lose) => { lose('socket closed'); throw new Error('publish failed'); },
      async (lose) => { lose('send transport failed'); lose('recv transport failed'); },
      ok,
    ]);
    h.loop.lost('server restarting');
    h.loop.lost('socket closed'); // a second report of the same loss: no second loop
    await h.until(() => h.log.filter((e) => e.startsWith('reconnected')).length === 2 && !h.loop.running);
    expect(h.log).toEqual([
      'disconnected:server restarting', 'attempt:0', 'attempt:1', 'reconnected:2',
      'disconnected:send transport failed', 'attempt:2', 'reconnected:1',
    ]);
  });

  it('rejoins again when the signaling socket is down once an attempt is done', async () => {
    let up = false;
    const h = harness([async () => undefined, async () => { up = true; }], { connected: () => up });
    h.loop.lost('socket closed');
    await h.until(() => h.log.filter((e) => e.startsWith('reconnected')).length === 2 && !h.loop.running);
    expect(h.log).toEqual(['disconnected:socket closed', 'attempt:0', 'reconnected:1', 'disconnected:connection lost while rejoining', 'attempt:1', 'reconnected:1']);
  });

  it('stops on a fatal error, and after the client left', async () => {
    const h = harness([fail], { fatal: (err) => (err as Error).message === 'join failed' });
    h.loop.lost('socket closed');
    await h.until(() => !h.loop.running);
    expect(h.log).toEqual(['disconnected:socket closed', 'attempt:0']);

    const g = harness([async (lose) => { lose('socket closed'); g.leave(); }]);
    g.loop.lost('socket closed');
    await g.until(() => !g.loop.running);
    g.loop.lost('socket closed');
    expect(g.loop.running).toBe(false);
    expect(g.log).toEqual(['disconnected:socket closed', 'attempt:0', 'reconnected:1']);
  });

  it('backs off 300 ms doubling, at most 10 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(rejoinBackoffMs)).toEqual([300, 600, 1200, 2400, 4800, 9600, 10_000, 10_000]);
  });
});
