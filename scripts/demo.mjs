#!/usr/bin/env node
/**
 * `npm run demo`: the SFU in development mode (dev join tokens) serving the built demo app
 * (packages/client/dist, built by `scripts/setup.mjs --demo`) on PORT (default 3000).
 * Only Node built-ins; Ctrl-C stops the server.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const staticDir = path.join(root, 'packages/client/dist');
const port = process.env.PORT ?? '3000';

if (!existsSync(path.join(staticDir, 'index.html'))) {
  console.error('[demo] packages/client/dist is missing: run `npm run demo` (it builds the app first) or `cd packages/client && npx vite build`.');
  process.exit(1);
}

const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'packages/sfu/src/main.ts'), '--dev'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PORT: port, VISAGE_STATIC_DIR: staticDir },
});

let announced = false;
const announce = async () => {
  for (let i = 0; i < 120 && !announced && child.exitCode === null; i++) {
    try {
      const res = await fetch(`http://localhost:${port}/healthz`);
      if (res.ok) {
        announced = true;
        console.error(`\n[demo] Visage demo: http://localhost:${port}\n[demo] Open it in two browser windows (or share /r/<room> links). Ctrl-C to stop.\n`);
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
};
void announce();

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
