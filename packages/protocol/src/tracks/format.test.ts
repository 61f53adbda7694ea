import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import type { FaceFrame } from '../frame.ts';
import { parseTrackLine, parseTracks, serialiseTracks } from './format.ts';
import { readTracksFile, writeTracksFile } from './node.ts';

const face = (t: number): FaceFrame => ({
  t,
  landmarks: Float32Array.from({ length: 1434 }, (_, i) => Math.round(Math.sin(i + t) * 1e5) / 1e5),
  blendshapes: Float32Array.from({ length: 52 }, (_, i) => (i % 10) / 10),
  matrix: Float32Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0)),
});
const none = (t: number): FaceFrame => ({ t, landmarks: null, blendshapes: null, matrix: null });

describe('tracks format', () => {
  it('round-trips frames with and without a face', () => {
    const frames = [face(0), none(33), face(66)];
    const back = parseTracks(serialiseTracks(frames));
    expect(back.length).toBe(3);
    expect(back[1]).toEqual(none(33));
    for (const i of [0, 2]) {
      expect(back[i]!.t).toBe(frames[i]!.t);
      back[i]!.landmarks!.forEach((v, k) => expect(v).toBeCloseTo(frames[i]!.landmarks![k]!, 5));
      expect(back[i]!.blendshapes).toEqual(frames[i]!.blendshapes);
    }
  });

  it('reports malformed lines with their line number', () => {
    const bad = [
      'not json',
      '[]',
      '{"landmarks":null}',
      '{"t":0,"landmarks":[[0,0,0]]}',
      '{"t":0,"landmarks":null,"blendshapes":[1,2]}',
      '{"t":0,"landmarks":null,"matrix":"x"}',
    ];
    for (const line of bad) {
      expect(() => parseTracks(`${serialiseTracks([none(0)])}\n${line}\n`)).toThrow(/line 3/);
      expect(() => parseTrackLine(line)).toThrow(DecodeError);
    }
  });

  it('reads and writes .jsonl and .jsonl.gz files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tracks-'));
    try {
      for (const name of ['a.jsonl', 'b.jsonl.gz']) {
        await writeTracksFile(join(dir, name), [face(0), none(40)]);
        const back = await readTracksFile(join(dir, name));
        expect(back.map((f) => f.t)).toEqual([0, 40]);
        expect(back[0]!.landmarks!.length).toBe(1434);
      }
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
