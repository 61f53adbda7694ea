/**
 * Tracks of a clip, cached under models/.cache/tracks/ by the SHA-256 of the clip's bytes (the
 * file name can change, the content decides), written atomically.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { serialiseTrackFrame, type FaceFrame } from '@visage/protocol';
import { readTracksFile } from '../../packages/protocol/src/tracks/node.ts';
import type { LandmarkMode } from '../../packages/client/src/tracking/landmark-mode.ts';

export const CACHE_DIR = process.env.VISAGE_EVAL_CACHE ?? resolve(dirname(fileURLToPath(import.meta.url)), '../.cache');

export async function contentHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The sender's tracks in its default 'video' mode keep the name they always had. */
export function tracksCachePath(hash: string, mode: LandmarkMode = 'video'): string {
  return resolve(CACHE_DIR, 'tracks', `${hash.slice(0, 32)}${mode === 'video' ? '' : `-${mode}`}.jsonl.gz`);
}

export async function readCachedTracks(hash: string, mode: LandmarkMode = 'video'): Promise<FaceFrame[] | null> {
  const path = tracksCachePath(hash, mode);
  if (!(await stat(path).catch(() => null))) return null;
  return readTracksFile(path);
}

export async function writeCachedTracks(hash: string, frames: readonly FaceFrame[], mode: LandmarkMode = 'video'): Promise<string> {
  const path = tracksCachePath(hash, mode);
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, gzipSync(frames.map((f) => serialiseTrackFrame(f) + '\n').join('')));
  await rename(partial, path);
  return path;
}
