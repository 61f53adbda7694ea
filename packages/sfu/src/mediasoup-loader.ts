/**
 * mediasoup reads MEDIASOUP_WORKER_BIN when its module loads, so the binary is
 * resolved (from the env, else the offline build cache of scripts/build-worker.sh)
 * before the first dynamic import.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

type Mediasoup = typeof import('mediasoup');

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let loaded: Promise<Mediasoup> | undefined;

export function resolveWorkerBin(): string {
  const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`MEDIASOUP_WORKER_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  const script = path.join(repoRoot, 'scripts/build-worker.sh');
  const bin = execFileSync('bash', [script, '--path'], { encoding: 'utf8' }).trim();
  if (!existsSync(bin)) {
    throw new Error(`mediasoup worker not built yet (expected ${bin}): run 'npm run setup' or 'bash scripts/build-worker.sh'`);
  }
  return bin;
}

export function loadMediasoup(): Promise<Mediasoup> {
  loaded ??= (async () => {
    process.env.MEDIASOUP_WORKER_BIN = resolveWorkerBin();
    return (await import('mediasoup')) as Mediasoup;
  })();
  return loaded;
}
