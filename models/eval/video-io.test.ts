import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFrames, ffmpegFrames, selectExpression } from './video-io.ts';

describe('selectExpression', () => {
  it('writes evenly spaced runs as one term and the rest as single frames', () => {
    expect(selectExpression([5])).toBe('eq(n,5)');
    expect(selectExpression([2, 7])).toBe('eq(n,2)+eq(n,7)');
    expect(selectExpression([3, 4, 5, 6])).toBe('between(n,3,6)');
    expect(selectExpression([1, 9, 17, 25, 26, 40])).toBe('between(n,1,25)*not(mod(n-1,8))+eq(n,26)+eq(n,40)');
  });
  it('rejects what no select can mean', () => {
    expect(() => selectExpression([])).toThrow(RangeError);
    expect(() => selectExpression([3, 3])).toThrow(/ascending and distinct/);
    expect(() => selectExpression([4, 2])).toThrow(/ascending and distinct/);
    expect(() => selectExpression([-1])).toThrow(/non-negative integer/);
    expect(() => selectExpression([1.5])).toThrow(/non-negative integer/);
  });
});

describe('collectFrames (real ffmpeg)', () => {
  let dir = '', clip = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'visage-video-io-'));
    clip = join(dir, 'count.mkv');
    // 300 frames whose content changes every frame (a moving test pattern), lossless.
    const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=32x32:rate=30:duration=10', '-c:v', 'ffv1', clip]);
    if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('returns exactly the kept frames, the same as a full decode, for 150+ frames (every-2nd scoring plus shots)', async () => {
    const all: Uint8Array[] = [];
    for await (const [, f] of ffmpegFrames(['-i', clip], 32, () => true)) all.push(f);
    expect(all).toHaveLength(300);
    const keep = new Set([0, 7, 13, 21]);
    for (let i = 30; i < 300; i += 2) keep.add(i);
    const got = await collectFrames(['-i', clip], 32, keep);
    expect([...got.keys()].sort((a, b) => a - b)).toEqual([...keep].sort((a, b) => a - b));
    for (const [i, f] of got) expect(Buffer.from(f).equals(Buffer.from(all[i]!))).toBe(true);
    expect(Buffer.from(all[30]!).equals(Buffer.from(all[32]!))).toBe(false);
  });
});
