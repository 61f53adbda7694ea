import { describe, expect, it } from 'vitest';
import { parseEvalArgs, UsageError } from './args.ts';

const gens = ['warp'];
const parse = (...a: string[]) => parseEvalArgs(a, gens);

describe('parseEvalArgs', () => {
  it('applies the defaults', () => {
    const a = parse('clip.mp4')!;
    expect(a).toMatchObject({ video: 'clip.mp4', shots: 1, generator: 'warp', size: 256, seed: 0, codecs: ['h264', 'vp8', 'av1'], cache: true, quiet: false });
    expect(a.ladderKbps[0]).toBe(1);
  });
  it('reads every option', () => {
    const a = parse('c.mp4', '--shots', '8', '--size', '512', '--json', 'o.json', '--side-by-side', 's.mp4', '--seed', '7', '--codecs', 'AV1,h264', '--ladder', '5,50', '--gop', '1.5', '--max-eval-frames', '10', '--no-cache')!;
    expect(a).toMatchObject({ shots: 8, size: 512, json: 'o.json', sideBySide: 's.mp4', seed: 7, codecs: ['av1', 'h264'], ladderKbps: [5, 50], gopSeconds: 1.5, maxEvalFrames: 10, cache: false });
  });
  it('takes --only-shot J and --atlas-boost J[,B] within the K shots', () => {
    expect(parse('c.mp4', '--shots', '8', '--only-shot', '7')!.onlyShot).toBe(7);
    expect(parse('c.mp4', '--shots', '8', '--atlas-boost', '3')!.atlasBoost).toEqual({ shot: 3, factor: 10 });
    expect(parse('c.mp4', '--shots', '4', '--atlas-boost', '0,2.5')!.atlasBoost).toEqual({ shot: 0, factor: 2.5 });
    expect(parse('c.mp4')).not.toHaveProperty('onlyShot');
  });
  it('takes --atlas-register reference|consensus with K ≥ 2', () => {
    expect(parse('c.mp4', '--shots', '8', '--atlas-register', 'consensus')!.atlasRegister).toBe('consensus');
    expect(parse('c.mp4', '--shots', '2', '--atlas-register', 'reference')!.atlasRegister).toBe('reference');
    expect(parse('c.mp4', '--shots', '8')).not.toHaveProperty('atlasRegister');
    expect(parse('c.mp4', '--shots', '8', '--no-mouth-set')!.mouthSet).toBe(false);
    expect(parse('c.mp4', '--shots', '8')).not.toHaveProperty('mouthSet');
  });
  it('takes --atlas-detail S,P with K ≥ 2', () => {
    expect(parse('c.mp4', '--shots', '8', '--atlas-detail', '3,4')!.atlasDetail).toEqual({ sigma: 3, power: 4 });
    expect(parse('c.mp4', '--shots', '8')).not.toHaveProperty('atlasDetail');
  });
  it('takes --drive-retracked as a flag only', () => {
    expect(parse('c.mp4', '--drive-retracked')!.driveRetracked).toBe(true);
    expect(parse('c.mp4')).not.toHaveProperty('driveRetracked');
    expect(() => parse('c.mp4', '--drive-retracked=yes')).toThrow();
  });
  it('takes --enroll-landmarks stills|track', () => {
    expect(parse('c.mp4', '--shots', '8', '--enroll-landmarks', 'track')!.enrollLandmarks).toBe('track');
    expect(parse('c.mp4', '--enroll-landmarks', 'stills')!.enrollLandmarks).toBe('stills');
    expect(parse('c.mp4')).not.toHaveProperty('enrollLandmarks');
    expect(() => parse('c.mp4', '--enroll-landmarks', 'photos')).toThrow(/--enroll-landmarks must be one of stills, track/);
  });
  it('takes --track-smoothing on|off, not with --tracks', () => {
    expect(parse('c.mp4', '--track-smoothing', 'off')!.trackSmoothing).toBe(false);
    expect(parse('c.mp4', '--track-mode', 'video', '--track-smoothing', 'on')!.trackSmoothing).toBe(true);
    expect(parse('c.mp4')).not.toHaveProperty('trackSmoothing');
    expect(() => parse('c.mp4', '--track-smoothing', 'yes')).toThrow(/--track-smoothing must be on or off/);
    expect(() => parse('c.mp4', '--track-smoothing', 'on', '--tracks', 't.jsonl')).toThrow(/exclude each other/);
  });
  it('takes --track-mode video|per-frame, not with --tracks', () => {
    expect(parse('c.mp4', '--track-mode', 'per-frame')!.trackMode).toBe('per-frame');
    expect(parse('c.mp4', '--track-mode', 'video')!.trackMode).toBe('video');
    expect(parse('c.mp4')).not.toHaveProperty('trackMode');
    expect(() => parse('c.mp4', '--track-mode', 'image')).toThrow(/--track-mode must be one of video, per-frame/);
    expect(() => parse('c.mp4', '--track-mode', 'per-frame', '--tracks', 't.jsonl')).toThrow(/exclude each other/);
  });
  it('takes --crop-box X,Y,SIDE with an even side of at least 16', () => {
    expect(parse('c.mp4', '--crop-box', '18,18,432')!.cropBox).toEqual({ x: 18, y: 18, side: 432 });
    expect(parse('c.mp4')).not.toHaveProperty('cropBox');
    for (const bad of ['18,18', '18,18,431', '0,0,8', '-1,0,64', '1.5,0,64', 'a,b,c']) expect(() => parse('c.mp4', '--crop-box', bad)).toThrow(UsageError);
  });
  it('takes --csim-crop real|sender', () => {
    expect(parse('c.mp4', '--csim-crop', 'sender')!.csimCrop).toBe('sender');
    expect(parse('c.mp4', '--csim-crop', 'real')).not.toHaveProperty('csimCrop');
    expect(() => parse('c.mp4', '--csim-crop', 'own')).toThrow(/--csim-crop must be real or sender/);
  });
  it('takes --codecs none for a generator-only run', () => {
    expect(parse('c.mp4', '--codecs', 'none')!.codecs).toEqual([]);
  });
  it('takes --fine-tune seconds for the neural generator with K ≥ 2', () => {
    const a = parseEvalArgs(['c.mp4', '--generator', 'neural', '--shots', '8', '--fine-tune', '30'], ['warp', 'neural'])!;
    expect(a.fineTuneSeconds).toBe(30);
    expect(() => parseEvalArgs(['c.mp4', '--generator', 'neural', '--fine-tune', '30'], ['warp', 'neural'])).toThrow(/--fine-tune needs/);
    expect(() => parseEvalArgs(['c.mp4', '--shots', '8', '--fine-tune', '30'], ['warp', 'neural'])).toThrow(/--fine-tune needs/);
    expect(() => parseEvalArgs(['c.mp4', '--generator', 'neural', '--shots', '8', '--fine-tune', 'x'], ['warp', 'neural'])).toThrow(UsageError);
  });

  it('takes --fine-tune-layers (tunable G blocks, deduplicated) only with --fine-tune', () => {
    const base = ['c.mp4', '--generator', 'neural', '--shots', '8', '--fine-tune', '30'];
    expect(parseEvalArgs([...base, '--fine-tune-layers', 'G/up.2, G/out,G/up.2'], ['warp', 'neural'])!.fineTuneLayers).toEqual(['G/up.2', 'G/out']);
    expect(parseEvalArgs(base, ['warp', 'neural'])!.fineTuneLayers).toEqual(['G/up.2', 'G/out']);
    expect(parseEvalArgs([...base, '--fine-tune-layers', 'none'], ['warp', 'neural'])!.fineTuneLayers).toEqual([]);
    expect(parseEvalArgs(['c.mp4'], ['warp', 'neural'])!.fineTuneLayers).toBeUndefined();
    for (const bad of ['G/down.0', 'G/stem', 'up.2', ',', 'G/out;rm']) expect(() => parseEvalArgs([...base, '--fine-tune-layers', bad], ['warp', 'neural'])).toThrow(/--fine-tune-layers must list/);
    expect(() => parseEvalArgs(['c.mp4', '--generator', 'neural', '--shots', '8', '--fine-tune-layers', 'G/out'], ['warp', 'neural'])).toThrow(/needs --fine-tune/);
  });
  it('takes the mouth, eye and face refiner flags only for the neural generator', () => {
    const n = ['c.mp4', '--generator', 'neural'];
    expect(parseEvalArgs(n, ['warp', 'neural'])!.mouth).toBeUndefined();
    expect(parseEvalArgs([...n, '--no-mouth'], ['warp', 'neural'])!.mouth).toBe(false);
    expect(parseEvalArgs([...n, '--mouth-weights', 'w/m'], ['warp', 'neural'])!.mouthWeights).toBe('w/m');
    expect(parseEvalArgs([...n, '--no-face-refiner'], ['warp', 'neural'])!.faceRefiner).toBe(false);
    expect(() => parseEvalArgs(['c.mp4', '--no-mouth'], ['warp', 'neural'])).toThrow(/need --generator neural/);
    expect(() => parseEvalArgs(['c.mp4', '--no-face-refiner'], ['warp', 'neural'])).toThrow(/need --generator neural/);
    expect(() => parseEvalArgs([...n, '--no-mouth', '--mouth-weights', 'w'], ['warp', 'neural'])).toThrow(/exclude each other/);
    expect(() => parseEvalArgs([...n, '--mouth-weights', ' '], ['warp', 'neural'])).toThrow(/needs a path/);
    expect(parseEvalArgs(n, ['warp', 'neural'])!.eyeWeights).toBeUndefined();
    expect(parseEvalArgs([...n, '--eye-weights', 'w/e'], ['warp', 'neural'])!.eyeWeights).toBe('w/e');
    expect(() => parseEvalArgs(['c.mp4', '--eye-weights', 'w/e'], ['warp', 'neural'])).toThrow(/need --generator neural/);
    expect(() => parseEvalArgs([...n, '--eye-weights', ''], ['warp', 'neural'])).toThrow(/--eye-weights needs a path/);
    expect(parseEvalArgs([...n, '--face-lowpass', '1.5'], ['warp', 'neural'])!.faceLowpass).toBe(1.5);
    expect(parseEvalArgs(n, ['warp', 'neural'])!.faceLowpass).toBeUndefined();
    expect(parseEvalArgs([...n, '--face-lowpass', '0'], ['warp', 'neural'])!.faceLowpass).toBe(0);
    for (const bad of ['-1', '5', 'x']) expect(() => parseEvalArgs([...n, '--face-lowpass', bad], ['warp', 'neural'])).toThrow(/--face-lowpass/);
    expect(() => parseEvalArgs(['c.mp4', '--face-lowpass', '1'], ['warp', 'neural'])).toThrow(/needs --generator neural with G/);
    expect(() => parseEvalArgs([...n, '--no-face-refiner', '--face-lowpass', '1'], ['warp', 'neural'])).toThrow(/needs --generator neural with G/);
    // --face-refiner fitted | always | never (the generator's default, fitted, when absent); --no-eyes
    expect(parseEvalArgs(n, ['warp', 'neural'])!.faceRefiner).toBeUndefined();
    expect(['fitted', 'always', 'never'].map((m) => parseEvalArgs([...n, '--face-refiner', m], ['warp', 'neural'])!.faceRefiner)).toEqual(['fitted', true, false]);
    for (const bad of ['', 'on', 'true']) expect(() => parseEvalArgs([...n, '--face-refiner', bad], ['warp', 'neural'])).toThrow(/--face-refiner must be one of fitted, always, never/);
    expect(() => parseEvalArgs([...n, '--face-refiner', 'always', '--no-face-refiner'], ['warp', 'neural'])).toThrow(/exclude each other/);
    expect(() => parseEvalArgs([...n, '--face-refiner', 'never', '--face-lowpass', '1'], ['warp', 'neural'])).toThrow(/needs --generator neural with G/);
    expect(() => parseEvalArgs(['c.mp4', '--face-refiner', 'always'], ['warp', 'neural'])).toThrow(/need --generator neural/);
    expect(parseEvalArgs(n, ['warp', 'neural'])!.eyes).toBeUndefined();
    expect(parseEvalArgs([...n, '--no-eyes'], ['warp', 'neural'])!.eyes).toBe(false);
    expect(() => parseEvalArgs([...n, '--no-eyes', '--eye-weights', 'w/e'], ['warp', 'neural'])).toThrow(/exclude each other/);
    expect(() => parseEvalArgs(['c.mp4', '--no-eyes'], ['warp', 'neural'])).toThrow(/need --generator neural/);
  });

  it('returns null for --help', () => {
    expect(parse('--help')).toBeNull();
  });
  it.each([
    [[], /missing <video>/],
    [['a.mp4', 'b.mp4'], /expected one video/],
    [['a.mp4', '--shots', '0'], /--shots/],
    [['a.mp4', '--shots', '9'], /--shots/],
    [['a.mp4', '--shots', '2.5'], /--shots/],
    [['a.mp4', '--size', '255'], /even/],
    [['a.mp4', '--size', '4096'], /--size/],
    [['a.mp4', '--generator', 'neural'], /--generator must be one of warp/],
    [['a.mp4', '--codecs', 'hevc'], /--codecs/],
    [['a.mp4', '--codecs', ','], /--codecs/],
    [['a.mp4', '--codecs', 'none,h264'], /--codecs/],
    [['a.mp4', '--ladder', '10,abc'], /--ladder/],
    [['a.mp4', '--gop', '0'], /--gop/],
    [['a.mp4', '--seed', '-1'], /seed|option/i],
    [['a.mp4', '--json', ''], /--json needs a path/],
    [['a.mp4', '--bogus'], /bogus/],
    [['a.mp4', '--shots', '8', '--only-shot', '8'], /--only-shot must be an integer in \[0, 7\]/],
    [['a.mp4', '--only-shot', '1'], /--only-shot must be an integer in \[0, 0\]/],
    [['a.mp4', '--shots', '8', '--atlas-boost', '2,0'], /--atlas-boost must be a number/],
    [['a.mp4', '--shots', '8', '--atlas-boost', '2,3,4'], /--atlas-boost must be J\[,B\]/],
    [['a.mp4', '--atlas-boost', '0'], /--atlas-boost needs --shots 2/],
    [['a.mp4', '--shots', '8', '--only-shot', '1', '--atlas-boost', '0'], /without --only-shot/],
    [['a.mp4', '--shots', '8', '--atlas-register', 'mean'], /--atlas-register must be reference or consensus/],
    [['a.mp4', '--atlas-register', 'consensus'], /--atlas-register needs --shots 2/],
    [['a.mp4', '--shots', '8', '--atlas-detail', '3'], /--atlas-detail must be S,P/],
    [['a.mp4', '--shots', '8', '--atlas-detail', '0,4'], /--atlas-detail must be a number in \[0.25, 32\]/],
    [['a.mp4', '--shots', '8', '--atlas-detail', '2,0'], /--atlas-detail must be a number in \[0.05, 64\]/],
    [['a.mp4', '--atlas-detail', '2,4'], /--atlas-detail needs --shots 2/],
  ])('rejects %j', (argv, msg) => {
    expect(() => parse(...(argv as string[]))).toThrow(UsageError);
    expect(() => parse(...(argv as string[]))).toThrow(msg);
  });
});
