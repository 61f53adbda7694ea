/**
 * HTTP endpoints: /healthz, /metrics, and the demo app's static files.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY, contentType } from '@visage/protocol';
import type { Metrics } from './metrics.ts';

export { CONTENT_SECURITY_POLICY };

export interface HttpOptions {
  staticDir: string | undefined;
  /**
   * Development only (`--dev`): mints join tokens at GET /api/dev-token?room=R&name=N so
   * the demo works without an app backend. Never enabled with a real secret.
   */
  devToken?: (room: string, name: string) => Promise<string>;
  metrics: Metrics;
  health: () => { ok: boolean; [k: string]: unknown };
}

async function serveStatic(root: string, urlPath: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return false;
  }
  const file = path.join(root, path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
  if (!file.startsWith(path.resolve(root))) return false;
  let target = file;
  let st = await stat(target).catch(() => undefined);
  if (st?.isDirectory()) {
    target = path.join(target, 'index.html');
    st = await stat(target).catch(() => undefined);
  }
  if (!st?.isFile()) return false;
  // Revalidated caching: the model and wasm (tens of MB) are fetched once per browser.
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const common = {
    etag,
    'cache-control': path.extname(target) === '.html' ? 'no-cache' : 'public, max-age=3600, must-revalidate',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    // Cross-origin isolation: lets the generator use SharedArrayBuffer / wasm threads.
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common);
    res.end();
    return true;
  }
  res.writeHead(200, { ...common, 'content-type': contentType(target), 'content-length': st.size });
  if (req.method === 'HEAD') res.end();
  else createReadStream(target).pipe(res);
  return true;
}

export function createHttpServer(options: HttpOptions): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void (async () => {
      if (url.pathname === '/healthz') {
        const health = options.health();
        res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(health));
        return;
      }
      if (url.pathname === '/metrics') {
        const body = await options.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
        res.end(body);
        return;
      }
      if (url.pathname === '/api/dev-token' && options.devToken) {
        const room = url.searchParams.get('room') ?? '';
        const name = (url.searchParams.get('name') ?? '').trim().slice(0, 64);
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(room) || !name) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'invalid_request', message: 'room (letters, digits, _ . -) and name are required' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ token: await options.devToken(room, name) }));
        return;
      }
      if ((req.method === 'GET' || req.method === 'HEAD') && options.staticDir) {
        if (await serveStatic(options.staticDir, url.pathname, req, res)) return;
        // Single-page app: unknown paths (room links) get index.html.
        if (!path.extname(url.pathname) && (await serveStatic(options.staticDir, '/index.html', req, res))) return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}
