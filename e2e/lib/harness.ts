/** Bundles a browser harness entry into a temp folder the SFU serves as its static dir. */
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBrowser } from '../../packages/client/scripts/lib/bundle.ts';
import { CLIENT_DIR, EYE_WEIGHTS_DIR, MOUTH_WEIGHTS_DIR, trackingAssetMounts } from '../../packages/client/scripts/lib/paths.ts';
import { identityAssetMounts } from '../../packages/client/scripts/enrollment-session.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Returns the folder holding index.html + harness.js for `e2e/harness/<name>.ts`, and the
 * remote-avatar render worker (avatar.worker.js).
 * With `tracker`, also the tracker's worker bundle and the model + wasm at the
 * FaceTracker's default URLs (served from the repo's own copies, never a CDN); with
 * `identity`, the face-recognition worker bundle and models likewise; with `mouth`, the mouth
 * and eye refiners' weights at /models/mouth/ and /models/eyes/ (and tfjs-wasm's files, as `identity` serves them).
 */
export async function buildHarness(name: string, options: { tracker?: boolean; identity?: boolean; mouth?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `visage-${name}-`));
  const entries: Record<string, string> = {
    harness: path.join(here, '../harness', `${name}.ts`),
    'avatar.worker': path.join(CLIENT_DIR, 'src/receiver/avatar.worker.ts'),
  };
  if (options.tracker) entries['tracker.worker'] = path.join(CLIENT_DIR, 'src/tracking/tracker.worker.ts');
  if (options.identity) entries['identity.worker'] = path.join(CLIENT_DIR, 'src/identity/identity.worker.ts');
  const files = await bundleBrowser({ entries, publicPath: '/' });
  for (const [url, file] of files) await writeFile(path.join(dir, url.slice(1)), file.body);
  const mounts = {
    ...(options.tracker ? trackingAssetMounts() : {}),
    ...(options.identity || options.mouth ? identityAssetMounts() : {}),
    ...(options.mouth ? { '/models/mouth/': MOUTH_WEIGHTS_DIR, '/models/eyes/': EYE_WEIGHTS_DIR } : {}),
  };
  for (const [prefix, folder] of Object.entries(mounts)) {
    const target = path.join(dir, prefix).replace(/\/$/, '');
    await mkdir(path.dirname(target), { recursive: true });
    await symlink(folder, target);
  }
  await writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>visage test</title><body><script type="module" src="/harness.js"></script></body>',
  );
  return dir;
}
