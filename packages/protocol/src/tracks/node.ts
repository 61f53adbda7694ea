/**
 * Node-only tracks file IO (.jsonl and .jsonl.gz). Kept apart from ./format.ts so
 * browser bundles never pull in node:zlib or node:fs. Not exported from the package index.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FaceFrame } from '../frame.ts';
import { parseTracks, serialiseTracks } from './format.ts';

const isGzip = (path: string, bytes?: Uint8Array): boolean =>
  path.endsWith('.gz') || (bytes !== undefined && bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b);

/** Reads a .jsonl or .jsonl.gz tracks file (gzip detected by extension or magic bytes). */
export async function readTracksFile(path: string): Promise<FaceFrame[]> {
  const raw = await readFile(path);
  const text = (isGzip(path, raw) ? gunzipSync(raw) : raw).toString('utf8');
  return parseTracks(text);
}

/** Writes frames as .jsonl, gzipped when the path ends with .gz. */
export async function writeTracksFile(path: string, frames: readonly FaceFrame[]): Promise<void> {
  const text = Buffer.from(serialiseTracks(frames), 'utf8');
  await writeFile(path, isGzip(path) ? gzipSync(text) : text);
}
