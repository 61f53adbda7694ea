#!/usr/bin/env node
/**
 * npm test: set-up, type check, unit tests (vitest), real-browser tests (vitest +
 * Playwright + Chromium), model tests (pytest). Every suite runs even if an earlier
 * one failed; the exit code is non-zero if any failed, and the last line sums up.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(path.join(tmpdir(), 'visage-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  console.log(`=== ${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failures.push(name);
  return r.status === 0;
}

function vitest(project) {
  const json = path.join(out, `${project}.json`);
  const ok = step(`${project} tests`, 'npx', ['vitest', 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${json}`]);
  if (existsSync(json)) {
    const r = JSON.parse(readFileSync(json, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // A suite that failed to load counts as a failure even with no test failing.
    if (!ok && r.numFailedTests === 0) totals.failed += 1;
  } else if (!ok) totals.failed += 1;
}

if (!step('set-up', 'node', ['scripts/setup.mjs', '--test'])) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}
step('type check', 'npx', ['tsc', '-p', 'tsconfig.json']) || (totals.failed += 1);
vitest('unit');
vitest('e2e');
if (existsSync(path.join(root, 'models/test.sh'))) {
  const junit = path.join(out, 'pytest.xml');
  step('model tests', 'bash', ['models/test.sh', `--junitxml=${junit}`]);
  if (existsSync(junit)) {
    const xml = readFileSync(junit, 'utf8');
    const attr = (n) => Number(new RegExp(`<testsuite[^>]* ${n}="(\\d+)"`).exec(xml)?.[1] ?? 0);
    const tests = attr('tests');
    const bad = attr('failures') + attr('errors');
    const skipped = attr('skipped');
    totals.passed += tests - bad - skipped;
    totals.failed += bad;
    totals.skipped += skipped;
  } else if (failures.includes('model tests')) totals.failed += 1;
}

if (failures.length) console.log(`\nfailed steps: ${failures.join(', ')}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failures.length || totals.failed ? 1 : 0);
