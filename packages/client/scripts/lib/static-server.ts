/**
 * A tiny HTTP server on 127.0.0.1 (ephemeral port) for headless-browser pages:
 * in-memory files, folders mounted under URL prefixes, and custom handlers. Every
 * response carries the Content-Security-Policy (workers take theirs from their own
 * script's response, so it must be on scripts too, not only on the page).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY, contentType } from '@visage/protocol';

/** Pages may talk only to their own origin; wasm may compile (the product's one policy). */
export const NO_PHONE_HOME_CSP = CONTENT_SECURITY_POLICY;
export { contentType };

export interface StaticFile {
  body: string | Uint8Array;
  type?: string;
}

/** Return true when the request was answered. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface StaticServerOptions {
  /** Exact URL path → in-memory file. */
  files?: Map<string, StaticFile>;
  /** URL prefix ending in '/' → folder on disk. */
  mounts?: Record<string, string>;
  handlers?: Handler[];
  /** Content-Security-Policy on every response; null sends none. Default NO_PHONE_HOME_CSP. */
  csp?: string | null;
}

export interface StaticServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly origin: string;
  readonly files: Map<string, StaticFile>;
  close(): Promise<void>;
}

export async function startStaticServer(options: StaticServerOptions = {}): Promise<StaticServer> {
  const files = options.files ?? new Map<string, StaticFile>();
  const mounts = Object.entries(options.mounts ?? {});
  for (const [prefix] of mounts) if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new TypeError(`mount prefix ${prefix} must start and end with '/'`);
  const csp = options.csp === undefined ? NO_PHONE_HOME_CSP : options.csp;

  const server = createServer((req, res) => {
    void (async () => {
      if (csp) res.setHeader('Content-Security-Policy', csp);
      res.setHeader('Cache-Control', 'no-store');
      // Allows SharedArrayBuffer / precise timers should a page need them.
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      for (const h of options.handlers ?? []) if (await h(req, res)) return;
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = files.get(path);
      if (file) {
        res.writeHead(200, { 'Content-Type': file.type ?? contentType(path) });
        res.end(file.body);
        return;
      }
      for (const [prefix, dir] of mounts) {
        if (!path.startsWith(prefix)) continue;
        const full = normalize(join(dir, path.slice(prefix.length)));
        if (!full.startsWith(join(normalize(dir), sep))) break;
        const st = await stat(full).catch(() => null);
        if (!st?.isFile()) break;
        res.writeHead(200, { 'Content-Type': contentType(full), 'Content-Length': st.size });
        createReadStream(full).pipe(res);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    files,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
