/** `npm run eval:compare` as a user runs it: result files in, a table (and JSON) out; bad input gets a clear message and exit code. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../packages/client/scripts/lib/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'visage-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function result(clip: string, l1: (k: number) => number, generator = 'warp') {
  const n = 12, index = Array.from({ length: n }, (_, k) => 100 + 10 * k);
  return {
    clip, frames: n, shots: 8, size: 256,
    details: { generator, per_frame: { index, l1: index.map((_, k) => l1(k)), psnr: index.map(() => 20), ssim: index.map(() => 0.7), akd: index.map(() => 1.5), csim: index.map(() => 0.9) } },
  };
}
const file = (name: string, body: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
  return p;
};
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'models/eval/compare-cli.ts'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });

describe('npm run eval:compare', () => {
  const base = ['a.mp4', 'b.mp4'].map((c, i) => file(`base-${i}.json`, result(c, (k) => 0.05 + 0.001 * (k % 3))));
  const better = ['a.mp4', 'b.mp4'].map((c, i) => file(`var-${i}.json`, result(c, (k) => 0.049 + 0.001 * (k % 3), 'neural')));

  it('prints the paired table and writes the JSON', () => {
    const out = join(dir, 'cmp.json');
    const r = cli(...base, 'vs', ...better, '--resamples', '500', '--json', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 clips, K=8, 24 paired frames/);
    expect(r.stdout).toMatch(/\| L1 \(lower is better\) \| 0\.05100 \| 0\.05000 \| −0\.00100 \| .* \| 2 of 2 \| better \|/);
    expect(r.stdout).toMatch(/\| CSIM \| .* \| 0 of 2 \| level \|/);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.clips).toEqual(['a.mp4', 'b.mp4']);
    expect(j.metrics.find((m: { metric: string }) => m.metric === 'l1').verdict).toBe('better');
  });
  it('names the diagnostics a result was run with', () => {
    const withDetails = (name: string, clip: string, extra: Record<string, unknown>) => {
      const r = result(clip, (k) => 0.05 + 0.001 * (k % 3));
      return file(name, { ...r, details: { ...r.details, ...extra } });
    };
    const oracle = ['a.mp4', 'b.mp4'].map((c, i) => withDetails(`oracle-${i}.json`, c, { post_oracle: { regions: ['inner'], band: 'hf' } }));
    expect(cli(...base, 'vs', ...oracle, '--resamples', '100').stdout).toMatch(/variant \(warp, real inner hf pasted\)/);
    const one = ['a.mp4', 'b.mp4'].map((c, i) => withDetails(`one-${i}.json`, c, { enrollment: { region: [0, 10], shots_requested: 8, frames: [3], embedding_bytes: 1, only_shot: 2 } }));
    expect(cli(...base, 'vs', ...one, '--resamples', '100').stdout).toMatch(/variant \(warp, shot 2 only\)/);
  });
  it('refuses a usage error with exit code 2 and bad files with exit code 1, saying why', () => {
    let r = cli(...base);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/give the baseline results, the word vs, then the variant results/);
    r = cli(...base, 'vs', ...better, '--block', '0');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--block must be an integer in \[1, 100\]/);
    r = cli(...base, 'vs', file('junk.json', '{not json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/junk\.json: .*JSON/);
    r = cli(...base, 'vs', file('other.json', { hello: 1 }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not an npm run eval result/);
    r = cli(base[0]!, 'vs', better[1]!);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unpaired: a\.mp4, b\.mp4/);
    r = cli(...base, 'vs', ...base, '--oops');
    expect(r.status).toBe(2);
  });
});
