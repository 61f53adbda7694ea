import { describe, expect, it } from 'vitest';
import { headlineScores, type EvalResult } from './run.ts';
import { senderLine, coverageLine, summaryTable, targetsLines } from './summary.ts';

const scores = { l1: 0.02, psnr: 30, ssim: 0.9, akd: 1.5, csim: 0.9, face_rate: 1 };
function fake(clip: string, size: number, saving: { h264: number | 'below' | 'above'; av1: number | 'below' | 'above' }, over: Partial<EvalResult['details']> = {}): EvalResult {
  return {
    clip, frames: 30, shots: 1, size,
    ours: { ...scores, kbps: 5, fps_render: 50 },
    static: { ...scores, kbps: 0 },
    codecs: {},
    equivalent_kbps: {},
    saving: {
      h264: { ssim: 2, psnr: 2, csim: saving.h264, akd: saving.h264 },
      av1: { ssim: 'below', psnr: 'below', csim: saving.av1, akd: saving.av1 },
    },
    details: { generator: 'warp', rung_subset: null, ...over } as EvalResult['details'],
  } as EvalResult;
}

describe('RESULTS.md summary', () => {
  const rs = [fake('a.mp4', 256, { h264: 12, av1: 4 }), fake('b.mp4', 256, { h264: 'above', av1: 'below' }), fake('a.mp4', 512, { h264: 3, av1: 6 })];
  it('says how many clips each size covers', () => {
    expect(coverageLine(rs, 40, [256, 512])).toBe('256 px: 2 of 40 clips; 512 px: 1 of 40 clips');
  });
  it('counts a size\'s coverage over the clips whose face is large enough, and says how many were skipped', () => {
    const skipped = Array.from({ length: 29 }, (_, i) => ({ clip: `c${i}`, size: 512, faceSide: 224 }));
    expect(coverageLine(rs, 40, [256, 512], skipped)).toBe('256 px: 2 of 40 clips; 512 px: 1 of 11 clips with a face crop ≥ 512 px in the source (29 smaller, skipped: an upscale)');
  });
  it('counts the clips meeting issue 7 targets ("above" meets a saving target, "below" does not)', () => {
    const [l256, l512] = targetsLines(rs);
    expect(l256).toMatch(/CSIM saving ≥ 10× vs H.264 on 2\/2 clips, ≥ 5× vs AV1 on 0\/2/);
    expect(l256).toMatch(/AKD ≤ 2 px on 2\/2/);
    expect(l512).toMatch(/at 512 px: CSIM saving ≥ 10× vs H.264 on 0\/1 clips, ≥ 5× vs AV1 on 1\/1/);
    expect(l512).not.toMatch(/AKD ≤ 2 px/);
  });
  it('has one row per run and a mean row per size with two or more runs', () => {
    const t = summaryTable(rs).split('\n');
    expect(t).toHaveLength(2 + 3 + 1);
    expect(t.at(-1)).toMatch(/^\| \*\*mean of 2\*\* \| 256 /);
  });
});

describe('headlineScores', () => {
  it('uses ours on the rungs subset for AKD/CSIM/face when there is one', () => {
    const plain = fake('a.mp4', 256, { h264: 1, av1: 1 });
    expect(headlineScores(plain)).toEqual(plain.ours);
    const sub = fake('a.mp4', 256, { h264: 1, av1: 1 }, { rung_subset: { frames: 10, indices: [], ours: { akd: 2.5, csim: 0.8, face_rate: 0.9 }, static: { akd: 9, csim: 0.7, face_rate: 1 } } });
    expect(headlineScores(sub)).toMatchObject({ ssim: 0.9, akd: 2.5, csim: 0.8, face_rate: 0.9 });
  });
});

describe('senderLine', () => {
  const d = (over: object) => ({ enrollment: {}, ...over }) as unknown as EvalResult['details'];
  it('reads results before session 24 (no fields) as VIDEO mode with the shots from the track', () => {
    expect(senderLine(d({}))).toBe("MediaPipe's VIDEO mode; the K shots' landmarks read off that track");
  });
  it("names the client's per-frame, One-Euro sender and the shots measured as photos", () => {
    expect(senderLine(d({ track_mode: 'per-frame', track_smoothing: 'one-euro', enrollment: { landmarks: 'stills' } }))).toBe('every frame measured afresh, One-Euro smoothed; the K shots measured on their own, as photos are');
  });
});
