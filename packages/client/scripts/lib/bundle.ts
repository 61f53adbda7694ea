/** Bundles browser entry points with esbuild into memory, for `startStaticServer`. */
import { build } from 'esbuild';
import { basename } from 'node:path';
import type { StaticFile } from './static-server.ts';

export interface BundleOptions {
  /** Output name (without .js) → entry file. */
  entries: Record<string, string>;
  /** URL folder the bundle is served from, e.g. '/bundle/'. */
  publicPath: string;
  minify?: boolean;
}

/** Returns URL path → file for every output (scripts and source maps). */
export async function bundleBrowser(options: BundleOptions): Promise<Map<string, StaticFile>> {
  const result = await build({
    entryPoints: options.entries,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    outdir: '/virtual-out',
    write: false,
    sourcemap: 'linked',
    minify: options.minify ?? false,
    logLevel: 'silent',
    // tasks-vision is already minified; keep its license comments out of the way.
    legalComments: 'none',
  });
  const files = new Map<string, StaticFile>();
  for (const f of result.outputFiles) files.set(options.publicPath + basename(f.path), { body: f.contents });
  return files;
}
