/**
 * Fuzzing the decoder: ≥ 100,000 random and mutated packets in total. Every input
 * must yield a frame with finite landmarks/blendshapes or a DecodeError — nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.ts';
import { createDecoder, type LandmarkDecoder } from './decoder.ts';
import { defaultBasis } from './defaultBasis.ts';
import { createEncoder } from './encoder.ts';
import { syntheticTrack } from './testUtil.ts';

const basis = defaultBasis();
const neutral = Float32Array.from(basis.template);
const valid = (() => {
  const enc = createEncoder({ neutral });
  return syntheticTrack(basis, neutral, 60, 11).map((f, i) => enc.encode(i === 30 ? { ...f, landmarks: null } : f));
})();

function check(dec: LandmarkDecoder, bytes: Uint8Array): 'frame' | 'lost' | 'error' {
  try {
    const d = dec.decode(bytes);
    if (!d.frame) return 'lost';
    const { landmarks, blendshapes } = d.frame;
    if (landmarks!.length !== 1434 || blendshapes!.length !== 52) throw new Error('bad lengths');
    for (const v of landmarks!) if (!Number.isFinite(v)) throw new Error('non-finite landmark');
    for (const v of blendshapes!) if (!(v >= 0 && v <= 1)) throw new Error('blendshape out of range');
    if (!Number.isFinite(d.t)) throw new Error('non-finite t');
    return 'frame';
  } catch (err) {
    if (err instanceof DecodeError) return 'error';
    throw err;
  }
}

/** A header the decoder accepts (version 1, codec 1) so the payload path is exercised. */
const validHeaderPrefix = fc.tuple(fc.boolean(), fc.nat(255), fc.nat(0xffff), fc.nat(0xffff)).map(([key, stream, seq, ts]) =>
  Uint8Array.from([0x40 | (key ? 0x20 : 0) | basis.codecId, stream, seq >> 8, seq & 255, ts >> 8, ts & 255]),
);

describe('decoder fuzzing', () => {
  it('survives 40,000 fully random byte strings', () => {
    const dec = createDecoder({ neutral });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void check(dec, b)), { numRuns: 40_000 });
  });

  it('survives 30,000 random payloads behind a valid header', () => {
    const dec = createDecoder({ neutral });
    fc.assert(
      fc.property(validHeaderPrefix, fc.uint8Array({ maxLength: 80 }), (h, payload) => {
        const b = new Uint8Array(h.length + payload.length);
        b.set(h);
        b.set(payload, h.length);
        expect(check(dec, b)).not.toBe('lost');
      }),
      { numRuns: 30_000 },
    );
  });

  it('survives 40,000 mutated valid packets (bit flips, byte writes, truncation, extension)', () => {
    const dec = createDecoder({ neutral });
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.nat(7) }),
      fc.record({ kind: fc.constant('write' as const), pos: fc.nat(), value: fc.nat(255) }),
      fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    );
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, muts) => {
        let b = Uint8Array.from(valid[which]!);
        for (const m of muts) {
          if (m.kind === 'flip' && b.length) b[m.pos % b.length]! ^= 1 << m.bit;
          else if (m.kind === 'write' && b.length) b[m.pos % b.length] = m.value;
          else if (m.kind === 'truncate') b = b.slice(0, m.pos % (b.length + 1));
          else if (m.kind === 'extend') b = Uint8Array.from([...b, ...m.extra]);
        }
        check(dec, b);
      }),
      { numRuns: 40_000 },
    );
  });

  it('decodes every unmodified packet', () => {
    const dec = createDecoder({ neutral });
    valid.forEach((p, i) => expect(check(dec, p)).toBe(i === 30 ? 'lost' : 'frame'));
  });
});
