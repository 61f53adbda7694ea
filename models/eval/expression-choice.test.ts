/** `npm run eval:expression`: the per-frame choice of a shot by expression, and its CLI on files. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../packages/client/scripts/lib/paths.ts';
import { expressionChoice, readExpressionKeys } from './expression-choice.ts';
import type { EvalResult } from './run.ts';

// Two shots (frames 10: expression [1, 0]; 20: [0, 1]) and three scored frames: 50 is nearest shot
// 10, 60 nearest shot 20, 70 nearest shot 10.
const index = [50, 60, 70];
const blend: Record<number, number[]> = { 10: [1, 0], 20: [0, 1], 50: [0.9, 0.1], 60: [0.1, 0.9], 70: [0.6, 0.4] };
function run(csim: (number | null)[], enrollment: Partial<EvalResult['details']['enrollment']> = {}): EvalResult {
  return {
    clip: 'a.mp4', frames: 3, shots: 2, size: 256,
    details: {
      enrollment: { region: [0, 40], shots_requested: 2, frames: [10, 20], embedding_bytes: 1, ...enrollment },
      per_frame: { index, l1: [0, 0, 0], psnr: [0, 0, 0], ssim: [0, 0, 0], akd: [0, 0, 0], csim },
    },
  } as unknown as EvalResult;
}
const fused = run([0.90, 0.90, 0.90]);
// Shot 10's avatar is good on frames near it, shot 20's on frames near it.
const one10 = run([0.95, 0.80, 0.92], { frames: [10], only_shot: 0 });
const one20 = run([0.85, 0.93, 0.88], { frames: [20], only_shot: 1 });
const bs = (f: number) => blend[f] ?? null;

describe('npm run eval:expression', () => {
  it('takes, per frame, the run of the shot nearest in expression, the farthest and the best', () => {
    const [row] = expressionChoice([one20, fused, one10], bs);
    expect(row).toMatchObject({ clip: 'a.mp4', family: 'only-shot', frames: 3 });
    expect(row!.fused).toBeCloseTo(0.9, 12);
    expect(row!.nearest).toBeCloseTo((0.95 + 0.93 + 0.92) / 3, 12);
    expect(row!.farthest).toBeCloseTo((0.85 + 0.80 + 0.88) / 3, 12);
    expect(row!.best).toBeCloseTo((0.95 + 0.93 + 0.92) / 3, 12);
    expect(row!.mean).toBeCloseTo((0.95 + 0.85 + 0.80 + 0.93 + 0.92 + 0.88) / 6, 12);
  });

  it('maps --atlas-boost runs to their boosted shot, and skips frames without CSIM', () => {
    const b10 = run([0.95, 0.80, null], { atlas_weights: [10, 1] }), b20 = run([0.85, 0.93, 0.88], { atlas_weights: [1, 10] });
    const rows = expressionChoice([fused, b20, b10, one10, one20], bs);
    expect(rows.map((r) => [r.family, r.frames])).toEqual([['only-shot', 3], ['atlas-boost', 2]]);
    expect(rows[1]!.nearest).toBeCloseTo((0.95 + 0.93) / 2, 12);
  });

  it('says what is wrong with the runs', () => {
    expect(() => expressionChoice([one10, one20], bs)).toThrow(/exactly one plain K-shot run, got 0/);
    expect(() => expressionChoice([fused, one10], bs)).toThrow(/one run per shot; shot frame\(s\) 20 have 0/);
    expect(() => expressionChoice([fused], bs)).toThrow(/no --only-shot or --atlas-boost runs/);
    const moved = { ...one20, details: { ...one20.details, per_frame: { ...one20.details.per_frame!, index: [51, 60, 70] } } } as EvalResult;
    expect(() => expressionChoice([fused, one10, moved], bs)).toThrow(/not scored on the K-shot run's frames/);
    expect(() => expressionChoice([fused, one10, one20], (f) => (f === 20 ? null : bs(f)))).toThrow(/a shot has no expression key/);
  });

  it('keys frames by their landmark shape with the head pose taken out', async () => {
    // Two real frames of a clip; the first once more, turned 10° in the image, larger and moved.
    const track = gunzipSync(readFileSync(resolve(REPO_ROOT, '../shared/data/tracks/pcavs-00015.jsonl.gz'))).toString('utf8').split('\n');
    const f0 = JSON.parse(track[0]!) as { landmarks: number[][] }, f1 = JSON.parse(track[120]!) as { landmarks: number[][] };
    const c = Math.cos(0.17), sn = Math.sin(0.17);
    const moved = f0.landmarks.map(([x, y, z]) => [0.5 + 1.1 * (c * (x! - 0.5) - sn * (y! - 0.5)) + 0.03, 0.5 + 1.1 * (sn * (x! - 0.5) + c * (y! - 0.5)) - 0.02, 1.1 * z!]);
    const dir = mkdtempSync(join(tmpdir(), 'visage-expression-key-'));
    try {
      const path = join(dir, 'k.jsonl');
      writeFileSync(path, [f0, { landmarks: moved }, f1, { landmarks: [[0, 0, 0]] }].map((l) => JSON.stringify(l)).join('\n'));
      const key = await readExpressionKeys(path, 'shape', 1);
      const d = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0));
      expect(key(0)!.length).toBe(478 * 3);
      expect(d(key(0)!, key(1)!)).toBeLessThan(0.1 * d(key(0)!, key(2)!));
      expect(key(3)).toBeNull();
      expect(key(9)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the table from files, and a clear error for a missing tracks file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'visage-expression-'));
    try {
      const files = [fused, one10, one20].map((r, i) => {
        const p = join(dir, `r${i}.json`);
        writeFileSync(p, JSON.stringify(r));
        return p;
      });
      const lines = Array.from({ length: 80 }, (_, f) => JSON.stringify({ t: f, blendshapes: blend[f] ? [0, ...blend[f]!] : null }));
      writeFileSync(join(dir, 'a.jsonl.gz'), gzipSync(lines.join('\n')));
      const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'models/eval/expression-choice.ts'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });
      const ok = cli(...files, '--tracks', dir);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(/\| a\.mp4 \| --only-shot \| 3 \| 0\.9000 \| −0\.0117 \| \+0\.0333 \| −0\.0567 \| \+0\.0333 \|/);
      const missing = cli(...files, '--tracks', join(dir, 'nowhere'));
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/eval:expression: .*nowhere\/a\.jsonl\.gz/);
      expect(cli(files[0]!).status).toBe(2);
      expect(cli(...files, '--tracks', dir, '--key', 'mood').status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
