/**
 * How every Visage page is served, by the SFU and by the tools' local servers alike.
 *
 * The Content-Security-Policy is what keeps the product from phoning home: tasks-vision
 * posts usage telemetry to a Google endpoint on its own, and `connect-src 'self'` blocks
 * it (workers take their policy from their own script's response, so it goes on every
 * response). 'wasm-unsafe-eval' lets the tracker's and tfjs's WebAssembly compile;
 * same-origin WebSockets (signaling) are covered by 'self'.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.task': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.y4m': 'video/x-yuv4mpeg',
  '.mp4': 'video/mp4',
};

/** Content type by file name (extension), defaulting to octet-stream. */
export function contentType(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return (dot >= 0 && CONTENT_TYPES[fileName.slice(dot).toLowerCase()]) || 'application/octet-stream';
}
