import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { readTracksFile } from '../tracks/node.ts';
import { defaultBasis } from './defaultBasis.ts';
import { createDecoder } from './decoder.ts';
import { createEncoder } from './encoder.ts';
import { PACKET_HEADER_BYTES, decodeHeader } from './header.ts';
import { faceCropError } from './metrics.ts';
import { canonicaliseNeutral, estimateNeutral } from './shape.ts';
import { mulberry32, syntheticTrack } from './testUtil.ts';

const basis = defaultBasis();
const neutral = Float32Array.from(basis.template);

function meanError(frames: { landmarks: Float32Array | null }[], decoded: (Float32Array | null | undefined)[]): number {
  let sum = 0, n = 0;
  frames.forEach((f, i) => {
    if (f.landmarks && decoded[i]) {
      sum += faceCropError(f.landmarks, decoded[i]!).mean;
      n++;
    }
  });
  return sum / n;
}

describe('landmark codec', () => {
  it('round-trips a synthetic track within the error target at a few bytes per frame', () => {
    const frames = syntheticTrack(basis, neutral, 90);
    const enc = createEncoder({ neutral });
    const dec = createDecoder({ neutral });
    const packets = frames.map((f) => enc.encode(f));
    const out = packets.map((p) => dec.decode(p).frame?.landmarks);
    expect(meanError(frames, out)).toBeLessThan(0.5);
    const mean = packets.reduce((a, p) => a + p.length, 0) / packets.length;
    expect(mean).toBeLessThan(40);
    const bs = dec.decode(packets[10]!).frame!.blendshapes!;
    expect(bs.length).toBe(52);
    for (const v of bs) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('carries header fields: stream id, sequence, timestamp, keyframes and face-lost', () => {
    const frames = syntheticTrack(basis, neutral, 70);
    frames[40] = { t: frames[40]!.t, landmarks: null, blendshapes: null, matrix: null };
    const enc = createEncoder({ neutral, streamId: 9, keyframeIntervalMs: 500 });
    const dec = createDecoder({ neutral });
    const packets = frames.map((f, i) => {
      if (i === 20) enc.requestKeyframe();
      return enc.encode(f);
    });
    const headers = packets.map((p) => decodeHeader(p));
    headers.forEach((h, i) => {
      expect(h.streamId).toBe(9);
      expect(h.seq).toBe(i);
      expect(h.timestamp).toBe(frames[i]!.t % 65536);
      expect(h.faceLost).toBe(i === 40);
    });
    const keys = headers.flatMap((h, i) => (h.key ? [i] : []));
    expect(keys[0]).toBe(0);
    expect(keys).toContain(20); // on request
    expect(keys).toContain(41); // face came back
    for (let i = 1; i < keys.length; i++) expect(frames[keys[i]!]!.t - frames[keys[i - 1]!]!.t).toBeLessThanOrEqual(500 + 34);
    expect(packets[40]!.length).toBe(PACKET_HEADER_BYTES);
    expect(dec.decode(packets[40]!).frame).toBeNull();
  });

  it('decodes every received packet identically under 20 % loss and reordering', () => {
    const frames = syntheticTrack(basis, neutral, 300, 3);
    const enc = createEncoder({ neutral });
    const packets = frames.map((f) => enc.encode(f));
    const reference = createDecoder({ neutral });
    const inOrder = packets.map((p) => reference.decode(p).frame!.landmarks!);
    const rand = mulberry32(7);
    const received = packets.map((p, i) => ({ p, i })).filter(() => rand() >= 0.2);
    for (let i = received.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [received[i], received[j]] = [received[j]!, received[i]!];
    }
    const dec = createDecoder({ neutral });
    for (const { p, i } of received) {
      const d = dec.decode(p);
      expect(d.t).toBe(frames[i]!.t);
      expect(d.frame!.landmarks).toEqual(inOrder[i]);
    }
  });

  it('keeps timestamps continuous across the 16-bit wrap', () => {
    const frames = syntheticTrack(basis, neutral, 60).map((f, i) => ({ ...f, t: 65_000 + i * 33 }));
    const enc = createEncoder({ neutral });
    const dec = createDecoder({ neutral });
    const ts = frames.map((f) => dec.decode(enc.encode(f)).t);
    expect(ts).toEqual(frames.map((f) => f.t % 65536 + (f.t >= 65536 ? 65536 : 0)));
  });

  it('retargets: same pose and expression on another neutral shape', () => {
    const frames = syntheticTrack(basis, neutral, 30);
    const enc = createEncoder({ neutral });
    const dec = createDecoder({ neutral });
    // A different face: the template stretched vertically, re-canonicalised.
    const other = canonicaliseNeutral(Float32Array.from(neutral, (v, i) => (i % 3 === 1 ? v * 1.3 : v)), basis.template);
    const p = enc.encode(frames[15]!);
    const own = dec.decode(p).frame!.landmarks!;
    const re = dec.decode(p, { neutral: other }).frame!.landmarks!;
    expect(faceCropError(own, re).mean).toBeGreaterThan(2);
    // Same head placement: the centroids agree closely.
    const centroid = (a: Float32Array, k: number): number => a.filter((_, i) => i % 3 === k).reduce((x, y) => x + y, 0) / 478;
    expect(Math.abs(centroid(own, 0) - centroid(re, 0))).toBeLessThan(0.01);
    expect(Math.abs(centroid(own, 1) - centroid(re, 1))).toBeLessThan(0.01);
    // The decoder's own neutral is untouched.
    expect(dec.decode(p).frame!.landmarks).toEqual(own);
  });

  it('handles non-square images (aspect travels in every packet)', () => {
    for (const aspect of [16 / 9, 0.9375, 1.8917]) {
      const frames = syntheticTrack(basis, neutral, 20, 5, aspect);
      const enc = createEncoder({ neutral, aspect });
      const dec = createDecoder({ neutral });
      const out = frames.map((f) => dec.decode(enc.encode(f)));
      expect(Math.abs(out[0]!.aspect - aspect) / aspect).toBeLessThan(1e-3);
      expect(meanError(frames, out.map((d) => d.frame?.landmarks))).toBeLessThan(0.5);
    }
  });

  it('rejects misuse with TypeError and unknown codec ids with DecodeError', () => {
    expect(() => createEncoder({ neutral: new Float32Array(10) })).toThrow(TypeError);
    expect(() => createEncoder({ neutral, streamId: 300 })).toThrow(TypeError);
    expect(() => createEncoder({ neutral, keyframeIntervalMs: 5000 })).toThrow(TypeError);
    const p = createEncoder({ neutral }).encode(syntheticTrack(basis, neutral, 1)[0]!);
    p[0] = (p[0]! & 0xf0) | 0x0f;
    expect(() => createDecoder({ neutral }).decode(p)).toThrow(expect.objectContaining({ reason: 'unknown_codec' }));
    const lost = createEncoder({ neutral }).encode({ t: 0, landmarks: null, blendshapes: null, matrix: null });
    expect(() => createDecoder({ neutral }).decode(Uint8Array.from([...lost, 1]))).toThrow(DecodeError);
  });

  const clip = resolve(import.meta.dirname, '../../../../../shared/data/tracks/liveportrait-d0.jsonl.gz');
  it.skipIf(!existsSync(clip))('meets the targets on a reference clip', async () => {
    const frames = await readTracksFile(clip);
    const n = estimateNeutral(frames, basis.template, 1);
    const enc = createEncoder({ neutral: n });
    const dec = createDecoder({ neutral: n });
    const packets = frames.map((f) => enc.encode(f));
    const kbps = ((packets.reduce((a, p) => a + p.length, 0) / packets.length) * 8 * 30) / 1000;
    expect(kbps).toBeLessThan(7);
    expect(meanError(frames, packets.map((p) => dec.decode(p).frame?.landmarks))).toBeLessThan(0.5);
  });
});
