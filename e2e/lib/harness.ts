/** Bundles a browser harness entry into a temp folder the SFU serves as its static dir. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBrowser } from '../../packages/client/scripts/lib/bundle.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Returns the folder holding index.html + harness.js for `e2e/harness/<name>.ts`. */
export async function buildHarness(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `visage-${name}-`));
  const files = await bundleBrowser({ entries: { harness: path.join(here, '../harness', `${name}.ts`) }, publicPath: '/' });
  for (const [url, file] of files) await writeFile(path.join(dir, url.slice(1)), file.body);
  await writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>visage test</title><body><script type="module" src="/harness.js"></script></body>',
  );
  return dir;
}
