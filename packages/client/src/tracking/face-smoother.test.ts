import { describe, expect, it } from 'vitest';
import type { FaceFrame } from '@visage/protocol';
import { FaceSmoother, smoothTrack } from './face-smoother.ts';
import { parseTrackLine, serialiseTrackFrame as faceFrameToTrackLine } from '@visage/protocol';

function frame(t: number, x: number): FaceFrame {
  const landmarks = new Float32Array(478 * 3);
  for (let i = 0; i < 478; i++) {
    landmarks[i * 3] = x + i * 1e-4;
    landmarks[i * 3 + 1] = 0.5;
    landmarks[i * 3 + 2] = -0.01;
  }
  return { t, landmarks, blendshapes: new Float32Array(52).fill(0.25), matrix: new Float32Array(16).fill(1) };
}

describe('FaceSmoother', () => {
  it('passes face-lost frames through and restarts after them', () => {
    const s = new FaceSmoother();
    s.smooth(frame(0, 0.4), 512, 512);
    const lost: FaceFrame = { t: 33, landmarks: null, blendshapes: null, matrix: null };
    expect(s.smooth(lost, 512, 512)).toBe(lost);
    const after = s.smooth(frame(66, 0.6), 512, 512);
    expect(after.landmarks![0]).toBeCloseTo(0.6, 6); // no pull toward the pre-loss position
  });

  it('does not modify its input and smooths a step', () => {
    const s = new FaceSmoother();
    s.smooth(frame(0, 0.4), 512, 512);
    const input = frame(33, 0.41);
    const out = s.smooth(input, 512, 512);
    expect(input.landmarks![0]).toBeCloseTo(0.41, 6);
    expect(out.landmarks![0]!).toBeGreaterThan(0.4);
    expect(out.landmarks![0]!).toBeLessThan(0.41);
    expect(out.blendshapes![0]).toBeCloseTo(0.25, 6);
  });
});

describe('smoothTrack', () => {
  it('smooths a recorded track as a live smoother does, frame by frame, leaving its input alone', () => {
    const frames = [frame(0, 0.4), frame(33, 0.41), frame(66, 0.43), { t: 100, landmarks: null, blendshapes: null, matrix: null }, frame(133, 0.6)];
    const live = new FaceSmoother();
    const expected = frames.map((f) => live.smooth(f, 640, 480));
    const out = smoothTrack(frames, 640, 480);
    expect(out.map((f) => f.landmarks && Array.from(f.landmarks))).toEqual(expected.map((f) => f.landmarks && Array.from(f.landmarks)));
    expect(out[2]!.landmarks![0]!).toBeLessThan(0.43); // lags the step
    expect(out[4]!.landmarks![0]).toBeCloseTo(0.6, 6); // restarts after the lost frame
    expect(frames[2]!.landmarks![0]).toBeCloseTo(0.43, 6);
  });
});

describe('tracks file lines', () => {
  it('round-trips a frame with 5-decimal rounding', () => {
    const f = frame(33.3333333, 0.123456789);
    const back = parseTrackLine(faceFrameToTrackLine(f));
    expect(back.t).toBe(33.333);
    expect(back.landmarks![0]).toBeCloseTo(0.12346, 6);
    expect(back.blendshapes).toHaveLength(52);
    expect(back.matrix).toHaveLength(16);
  });

  it('writes and reads face-lost frames as nulls', () => {
    const line = faceFrameToTrackLine({ t: 0, landmarks: null, blendshapes: null, matrix: null });
    expect(line).toBe('{"t":0,"landmarks":null,"blendshapes":null,"matrix":null}');
    expect(parseTrackLine(line).landmarks).toBeNull();
  });

  it('rejects malformed lines', () => {
    expect(() => parseTrackLine('nope')).toThrow(/invalid JSON/);
    expect(() => parseTrackLine('{"t":0,"landmarks":[[0,0,0]],"blendshapes":null,"matrix":null}')).toThrow(/478/);
  });
});
