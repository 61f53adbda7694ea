#!/usr/bin/env node
/**
 * All set-up a fresh Debian 12 machine needs, idempotent and quick when done:
 *   1. Debian packages: chromium (browser tests, tracking), ffmpeg (video I/O)
 *   2. npm dependencies (npm ci when the lockfile changed)
 *   3. the mediasoup worker, built offline and cached outside the clone
 *   4. --test: the Python environment of models/ (torch CPU), cached outside the clone
 *   5. --demo: the demo app bundle
 * Only Node built-ins here: this runs before node_modules exists.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const log = (msg) => console.error(`[setup] ${msg}`);

function run(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'], cwd: root, ...options });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${argv.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function debianPackages(pkgs) {
  const missing = pkgs.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], { env });
  run(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', ...missing], { env });
}

function npmInstall() {
  const lock = path.join(root, 'package-lock.json');
  const stamp = path.join(root, 'node_modules/.package-lock.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(lock).mtimeMs) return;
  log('installing npm dependencies');
  // mediasoup's postinstall would download a worker from GitHub: point it at ours instead.
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, MEDIASOUP_WORKER_BIN: workerPath() } });
}

function workerPath() {
  return execFileSync('bash', [path.join(root, 'scripts/build-worker.sh'), '--path'], { encoding: 'utf8' }).trim();
}

const t0 = Date.now();
debianPackages(['chromium', 'ffmpeg']);
npmInstall();
run('bash', [path.join(root, 'scripts/build-worker.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (args.has('--test') && existsSync(path.join(root, 'models/setup_env.sh'))) {
  run('bash', [path.join(root, 'models/setup_env.sh')]);
}
if (args.has('--demo') && existsSync(path.join(root, 'packages/client/vite.config.ts'))) {
  log('building the demo app');
  run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: path.join(root, 'packages/client') });
}
log(`ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
