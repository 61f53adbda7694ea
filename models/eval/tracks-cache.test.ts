import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tracksCachePath } from './tracks-cache.ts';

describe('tracksCachePath', () => {
  const hash = 'ab'.repeat(32);
  it('keeps the name the video-mode tracks always had', () => {
    expect(basename(tracksCachePath(hash))).toBe(`${'ab'.repeat(16)}.jsonl.gz`);
    expect(tracksCachePath(hash, 'video')).toBe(tracksCachePath(hash));
  });
  it('keeps each tracking mode apart', () => {
    expect(basename(tracksCachePath(hash, 'per-frame'))).toBe(`${'ab'.repeat(16)}-per-frame.jsonl.gz`);
  });
});
