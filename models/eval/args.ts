/** Command line of `npm run eval`: parsing and validation (UsageError for anything wrong). */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CODEC_NAMES, type CodecName } from './codecs.ts';
import { parsePostFilter, parsePostSharpen, type PostFilter, type PostSharpen } from './sharpen.ts';
import { parseOracle, type Oracle } from './oracle.ts';
import { DEFAULT_EVAL_OPTIONS, ENROLL_LANDMARKS, type EnrollLandmarks, type EvalOptions } from './run.ts';
import { DEFAULT_FINE_TUNE_LAYERS, TUNABLE_LAYER } from '../../packages/client/src/generator/neural/sections.ts';
import { LANDMARK_MODES, type LandmarkMode } from '../../packages/client/src/tracking/landmark-mode.ts';

/** --face-refiner: fitted (NeuralGenerator's default), always (faceRefiner: true), never (false). */
const FACE_REFINER_MODES = ['fitted', 'always', 'never'] as const;

export const USAGE = `usage: npm run eval -- <video> [options]

Self-reenactment benchmark (issue 7): enroll from the first 20 % of the clip, drive the generator
with the rest through the landmark codec in headless Chromium, and compare with H.264 / VP8 / AV1
ladders and a static frame on the same face crops.

  --shots K             enrollment frames from the first 20 % (1–8; 1, 4, 8 are the reported ones). Default 1.
  --only-shot J         enroll from only the J-th (0-based) of the K shots --shots K picks (same driven and
                        scored frames): one photo of a K-photo enrollment.
  --atlas-boost J[,B]   enroll from the K shots with shot J's weight in the texture-atlas fusion ×B (default 10).
  --atlas-register MODE enroll with each shot's unwrap registered onto the most frontal shot's
                        (reference) or onto their mean (consensus) before fusion (a diagnostic).
  --atlas-detail S,P    enroll with the shots' shading and detail fused apart (EnrollOptions.detailFusion):
                        detail above a Gaussian of S texels with the fusion weights to the power P.
  --no-mouth-set        enroll without the other shots' mouth interiors (one mouth interior for every frame).
  --generator NAME      generator to drive (default warp; neural: the tfjs model, enrolled with its sections).
  --neural-weights DIR  the neural generator's model.json + shards (default models/weights/neural).
  --size N              face-crop side in pixels, even, 64–1024 (256 and 512 are the reported ones). Default 256.
  --json PATH           also write the result as JSON.
  --side-by-side PATH   write an mp4: real | ours | each codec at its lowest rate | static.
  --seed N              fixes the enrollment picks and scored-frame phase (default 0: bin centres, phase 0).
  --max-eval-frames N   score at most N driven frames, every Nth (default ${DEFAULT_EVAL_OPTIONS.maxEvalFrames}).
  --rung-frames N       codec rungs: AKD, CSIM and face rate on at most N of the scored frames (every
                        ⌈n/N⌉-th, seeded phase; ours and static on all, and on the same subset for the
                        headline). 0 = all.
                        Pixel metrics always use all scored frames. Default ${DEFAULT_EVAL_OPTIONS.rungFrames}.
  --codecs LIST         comma list of ${CODEC_NAMES.join(', ')} (default all), or none: ours and
                        static only (generator comparisons; no equivalent bitrates).
  --fine-tune S         neural generator, K ≥ 2: person-specific fine-tuning of ψ and G's last blocks on
                        the enrollment shots (leave-one-out pairs, ⌊K/4⌋ held out for early stopping;
                        in the page, tfjs wasm) for S seconds after enrollment, as the SDK does.
  --fine-tune-layers L  with --fine-tune: the G blocks tuned besides ψ (comma list of G/out, G/up.N,
                        G/res.N; default ${DEFAULT_FINE_TUNE_LAYERS.join(',')}, as the SDK; none: ψ only);
                        their deltas travel in the embedding's GeneratorWeights section.
  --identity-weight W   with --fine-tune: weight of the identity term (cosine distance of face-api's
                        face-recognition descriptors, not the CSIM network) in the fine-tuning loss
                        (default 0: off).
  --mouth-weights DIR   neural generator: the mouth refiner's model.json + shards (default models/weights/mouth).
  --no-mouth            neural generator without the mouth refiner (the face refiner over the warp only).
  --face-refiner MODE   neural generator: when G's face correction runs — fitted (default, as receivers: only when
                        the embedding carries G layers fine-tuned to the person, e.g. with --fine-tune), always, never.
  --no-face-refiner     the same as --face-refiner never (the warp plus the eye and mouth refiners).
  --eye-weights DIR     neural generator: the eye refiner's model.json + shards (default models/weights/eyes).
  --no-eyes             neural generator without the eye refiner.
  --face-lowpass S      neural generator with G: low-pass G's correction (mask · Δ) by a Gaussian of S pixels of G's
                        output before compositing (0 < S ≤ 4; default the generator's, DEFAULT_FACE_LOWPASS; 0: G's
                        full correction).
  --post-sharpen A[,SIGMA[,INNER]]
                        diagnostic, not a generator: unsharp-mask our frames before scoring
                        (out = in + A·(in − blur), Gaussian SIGMA px, default 1; with INNER only inside
                        the face oval scaled by INNER about its centre) — how the metrics answer to detail.
  --post-filter FILE    diagnostic: a residual linear filter fitted by models/neural/restore.py (its
                        JSON), applied to our frames inside the face oval scaled by 0.85 before scoring.
  --post-oracle LIST[:lf|:hf|:gain]
                        diagnostic: paste the real frame into ours over these regions (comma list of
                        eyes, brows, nose, mouth, inner, rim, outside, all; feathered) before scoring —
                        how much of the gap to the real frame each region holds; with :lf only its low
                        frequencies (shading, colour) over ours' detail, with :hf only its detail,
                        with :gain ours scaled per channel to the region's real mean colour.
  --drive-retracked     diagnostic: drive the generator with each real crop's own from-scratch track (the
                        benchmark's tracker, as it tracks the real frames) instead of the sender's
                        continuous, smoothed track: AKD of the generator alone, without the two ways of
                        tracking disagreeing (the enrollment as --enroll-landmarks says).
  --enroll-landmarks L  where the K shots' landmarks come from: stills (default; each shot's crop
                        measured on its own, as a product measures enrollment photos) or track (read
                        off the clip's continuous track, as before session 24: its shots agree with
                        each other more than separate photos do).
  --ladder LIST         target kbit/s, comma list (default ${DEFAULT_EVAL_OPTIONS.ladderKbps.join(',')}; 1 probes the floor).
  --gop S               codec keyframe interval in seconds (default ${DEFAULT_EVAL_OPTIONS.gopSeconds}).
  --track-mode M        how the sender's tracker follows the face when the clip is tracked: per-frame
                        (default, the client's: found and measured in every frame) or video (MediaPipe's
                        VIDEO mode, smoothed inside MediaPipe; how results were made before session 24).
                        Cached per mode.
  --track-smoothing S   on or off: One-Euro smoothing of the clip's tracks with the client's defaults, as
                        the sender smooths them (default: on in per-frame mode, off in video mode).
  --crop-box X,Y,SIDE   diagnostic: the face crop at this square of the source frame (pixels) instead of
                        the one placed from the tracks, so that runs with different tracks score the
                        same crops (the box is in each result's details.crop).
  --csim-crop C         whose landmarks of the real frame faceres crops every variant around for CSIM:
                        real (default; the real frame's own from-scratch track, the same whatever the
                        sender tracked) or sender (the sender's track of it; results before session 23).
  --tracks PATH         use this tracks file (.jsonl[.gz], one line per frame) instead of tracking.
  --no-cache            do not read or write models/.cache/tracks.
  --quiet               no progress on stderr.
  -h, --help            this text.`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function int(name: string, v: string | undefined, def: number, lo: number, hi: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw new UsageError(`--${name} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return Number(v);
}

function num(name: string, v: string | undefined, def: number, lo: number, hi: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`--${name} must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return n;
}

export type ParsedArgs = Omit<EvalOptions, 'log'> & { json?: string; quiet: boolean };

/** Parses argv (without node and script); null for --help. Generator names are checked against `generators`. */
export function parseEvalArgs(argv: string[], generators: readonly string[]): ParsedArgs | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        shots: { type: 'string' }, generator: { type: 'string' }, size: { type: 'string' }, json: { type: 'string' },
        'side-by-side': { type: 'string' }, seed: { type: 'string' }, 'max-eval-frames': { type: 'string' }, 'rung-frames': { type: 'string' }, codecs: { type: 'string' },
        ladder: { type: 'string' }, gop: { type: 'string' }, tracks: { type: 'string' }, 'neural-weights': { type: 'string' }, 'fine-tune': { type: 'string' }, 'fine-tune-layers': { type: 'string' }, 'identity-weight': { type: 'string' }, 'no-cache': { type: 'boolean' },
        'mouth-weights': { type: 'string' }, 'eye-weights': { type: 'string' }, 'no-mouth': { type: 'boolean' }, 'no-face-refiner': { type: 'boolean' }, 'face-refiner': { type: 'string' }, 'no-eyes': { type: 'boolean' }, 'face-lowpass': { type: 'string' }, 'post-sharpen': { type: 'string' }, 'post-filter': { type: 'string' }, 'post-oracle': { type: 'string' }, 'only-shot': { type: 'string' }, 'atlas-boost': { type: 'string' }, 'atlas-register': { type: 'string' }, 'atlas-detail': { type: 'string' }, 'no-mouth-set': { type: 'boolean' }, 'drive-retracked': { type: 'boolean' }, 'enroll-landmarks': { type: 'string' }, 'track-smoothing': { type: 'string' }, 'track-mode': { type: 'string' }, 'crop-box': { type: 'string' }, 'csim-crop': { type: 'string' },
        quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values: v, positionals } = parsed;
  if (v.help) return null;
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one video, got ${positionals.length}: ${positionals.join(' ')}` : 'missing <video>');
  const size = int('size', v.size, DEFAULT_EVAL_OPTIONS.size, 64, 1024);
  if (size % 2) throw new UsageError(`--size must be even, got ${size}`);
  const shots = int('shots', v.shots, DEFAULT_EVAL_OPTIONS.shots, 1, 8);
  const generator = v.generator ?? DEFAULT_EVAL_OPTIONS.generator;
  if (!generators.includes(generator)) throw new UsageError(`--generator must be one of ${generators.join(', ')}, got ${JSON.stringify(generator)}`);
  let codecs = DEFAULT_EVAL_OPTIONS.codecs;
  if (v.codecs !== undefined) {
    const list = v.codecs.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (list.length === 1 && list[0] === 'none') list.length = 0;
    else if (list.length === 0) throw new UsageError(`--codecs must list some of ${CODEC_NAMES.join(', ')} or be none, got ${JSON.stringify(v.codecs)}`);
    const bad = list.filter((c) => !(CODEC_NAMES as readonly string[]).includes(c));
    if (bad.length) throw new UsageError(`--codecs must list some of ${CODEC_NAMES.join(', ')} or be none, got ${JSON.stringify(v.codecs)}`);
    codecs = [...new Set(list)] as CodecName[];
  }
  const fineTuneSeconds = v['fine-tune'] === undefined ? undefined : num('fine-tune', v['fine-tune'], 0, 0.1, 600);
  if (fineTuneSeconds !== undefined && (generator !== 'neural' || shots < 2)) throw new UsageError('--fine-tune needs --generator neural and --shots 2 or more');
  let fineTuneLayers: string[] | undefined;
  if (v['fine-tune-layers'] !== undefined) {
    if (fineTuneSeconds === undefined) throw new UsageError('--fine-tune-layers needs --fine-tune');
    fineTuneLayers = [...new Set(v['fine-tune-layers'].split(',').map((s) => s.trim()).filter(Boolean))];
    const bad = fineTuneLayers.filter((l) => !TUNABLE_LAYER.test(l));
    if (fineTuneLayers.length === 1 && fineTuneLayers[0] === 'none') fineTuneLayers = [];
    else if (fineTuneLayers.length === 0 || bad.length) throw new UsageError(`--fine-tune-layers must list G/out, G/up.N or G/res.N blocks, got ${JSON.stringify(v['fine-tune-layers'])}`);
  }
  const identityWeight = v['identity-weight'] === undefined ? undefined : num('identity-weight', v['identity-weight'], 0, 0, 100);
  if (identityWeight !== undefined && fineTuneSeconds === undefined) throw new UsageError('--identity-weight needs --fine-tune');
  if ((v['mouth-weights'] !== undefined || v['eye-weights'] !== undefined || v['no-mouth'] || v['no-eyes'] || v['no-face-refiner'] || v['face-refiner'] !== undefined) && generator !== 'neural') {
    throw new UsageError('--mouth-weights, --eye-weights, --no-mouth, --no-eyes, --face-refiner and --no-face-refiner need --generator neural');
  }
  if (v['no-face-refiner'] && v['face-refiner'] !== undefined) throw new UsageError('--no-face-refiner and --face-refiner exclude each other');
  const faceMode = v['no-face-refiner'] ? 'never' : v['face-refiner'];
  if (faceMode !== undefined && !(FACE_REFINER_MODES as readonly string[]).includes(faceMode)) throw new UsageError(`--face-refiner must be one of ${FACE_REFINER_MODES.join(', ')}, got ${JSON.stringify(faceMode)}`);
  if (v['eye-weights'] !== undefined && v['no-eyes']) throw new UsageError('--eye-weights and --no-eyes exclude each other');
  const faceLowpass = v['face-lowpass'] === undefined ? undefined : num('face-lowpass', v['face-lowpass'], 0, 0, 4);
  if (faceLowpass !== undefined && (generator !== 'neural' || faceMode === 'never')) throw new UsageError('--face-lowpass needs --generator neural with G (not --face-refiner never)');
  const trackMode = v['track-mode'] as LandmarkMode | undefined;
  if (trackMode !== undefined && !LANDMARK_MODES.includes(trackMode)) throw new UsageError(`--track-mode must be one of ${LANDMARK_MODES.join(', ')}, got ${JSON.stringify(trackMode)}`);
  if (trackMode !== undefined && v.tracks !== undefined) throw new UsageError('--track-mode and --tracks exclude each other (a tracks file was made in its own mode)');
  const smoothing = v['track-smoothing'];
  if (smoothing !== undefined && smoothing !== 'on' && smoothing !== 'off') throw new UsageError(`--track-smoothing must be on or off, got ${JSON.stringify(smoothing)}`);
  if (smoothing !== undefined && v.tracks !== undefined) throw new UsageError('--track-smoothing and --tracks exclude each other (a tracks file is used as it is)');
  const enrollLandmarks = v['enroll-landmarks'] as EnrollLandmarks | undefined;
  if (enrollLandmarks !== undefined && !ENROLL_LANDMARKS.includes(enrollLandmarks)) throw new UsageError(`--enroll-landmarks must be one of ${ENROLL_LANDMARKS.join(', ')}, got ${JSON.stringify(enrollLandmarks)}`);
  const csimCrop = v['csim-crop'] ?? 'real';
  if (csimCrop !== 'real' && csimCrop !== 'sender') throw new UsageError(`--csim-crop must be real or sender, got ${JSON.stringify(csimCrop)}`);
  let cropBox: { x: number; y: number; side: number } | undefined;
  if (v['crop-box'] !== undefined) {
    const m = /^(\d+),(\d+),(\d+)$/.exec(v['crop-box']);
    if (!m || Number(m[3]) < 16 || Number(m[3]) % 2) throw new UsageError(`--crop-box must be X,Y,SIDE in whole pixels with an even SIDE of at least 16, got ${JSON.stringify(v['crop-box'])}`);
    cropBox = { x: Number(m[1]), y: Number(m[2]), side: Number(m[3]) };
  }
  if (v['mouth-weights'] !== undefined && v['no-mouth']) throw new UsageError('--mouth-weights and --no-mouth exclude each other');
  let sharpen: PostSharpen | undefined;
  if (v['post-sharpen'] !== undefined) {
    const p = parsePostSharpen(v['post-sharpen']);
    if (typeof p === 'string') throw new UsageError(`--post-sharpen: ${p}`);
    sharpen = p;
  }
  let filter: { file: string; filter: PostFilter } | undefined;
  if (v['post-filter'] !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(v['post-filter'], 'utf8'));
    } catch (err) {
      throw new UsageError(`--post-filter ${v['post-filter']}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const f = parsePostFilter(json);
    if (typeof f === 'string') throw new UsageError(`--post-filter ${v['post-filter']}: ${f}`);
    filter = { file: v['post-filter'], filter: f };
  }
  let oracle: Oracle | undefined;
  if (v['post-oracle'] !== undefined) {
    const r = parseOracle(v['post-oracle']);
    if (typeof r === 'string') throw new UsageError(`--post-oracle: ${r}`);
    oracle = r;
  }
  const onlyShot = v['only-shot'] === undefined ? undefined : int('only-shot', v['only-shot'], 0, 0, shots - 1);
  let atlasBoost: { shot: number; factor: number } | undefined;
  if (v['atlas-boost'] !== undefined) {
    const [j, b, ...rest] = v['atlas-boost'].split(',').map((x) => x.trim());
    if (rest.length) throw new UsageError(`--atlas-boost must be J[,B], got ${JSON.stringify(v['atlas-boost'])}`);
    atlasBoost = { shot: int('atlas-boost', j, 0, 0, shots - 1), factor: num('atlas-boost', b, 10, 0.01, 1000) };
    if (shots < 2 || onlyShot !== undefined) throw new UsageError('--atlas-boost needs --shots 2 or more, without --only-shot');
  }
  const atlasRegister = v['atlas-register'];
  if (atlasRegister !== undefined) {
    if (atlasRegister !== 'reference' && atlasRegister !== 'consensus') throw new UsageError(`--atlas-register must be reference or consensus, got ${JSON.stringify(atlasRegister)}`);
    if (shots < 2 || onlyShot !== undefined) throw new UsageError('--atlas-register needs --shots 2 or more, without --only-shot');
  }
  let atlasDetail: { sigma: number; power: number } | undefined;
  if (v['atlas-detail'] !== undefined) {
    const [a, b, ...rest] = v['atlas-detail'].split(',').map((x) => x.trim());
    if (b === undefined || rest.length) throw new UsageError(`--atlas-detail must be S,P, got ${JSON.stringify(v['atlas-detail'])}`);
    atlasDetail = { sigma: num('atlas-detail', a, 0, 0.25, 32), power: num('atlas-detail', b, 0, 0.05, 64) };
    if (shots < 2 || onlyShot !== undefined) throw new UsageError('--atlas-detail needs --shots 2 or more, without --only-shot');
  }
  let ladderKbps = DEFAULT_EVAL_OPTIONS.ladderKbps;
  if (v.ladder !== undefined) {
    ladderKbps = v.ladder.split(',').map((s) => num('ladder', s.trim(), 0, 1, 100_000));
    if (ladderKbps.length === 0) throw new UsageError('--ladder needs at least one rate');
  }
  for (const [name, path] of [['json', v.json], ['side-by-side', v['side-by-side']], ['tracks', v.tracks], ['neural-weights', v['neural-weights']], ['mouth-weights', v['mouth-weights']], ['eye-weights', v['eye-weights']]] as const) {
    if (path !== undefined && path.trim() === '') throw new UsageError(`--${name} needs a path`);
  }
  return {
    video: positionals[0]!,
    shots,
    generator,
    size,
    seed: int('seed', v.seed, DEFAULT_EVAL_OPTIONS.seed, 0, 2 ** 32 - 1),
    maxEvalFrames: int('max-eval-frames', v['max-eval-frames'], DEFAULT_EVAL_OPTIONS.maxEvalFrames, 1, 100_000),
    rungFrames: int('rung-frames', v['rung-frames'], DEFAULT_EVAL_OPTIONS.rungFrames, 0, 100_000),
    codecs,
    ladderKbps,
    gopSeconds: num('gop', v.gop, DEFAULT_EVAL_OPTIONS.gopSeconds, 0.04, 60),
    sideBySide: v['side-by-side'],
    tracks: v.tracks,
    ...(v['neural-weights'] !== undefined ? { neuralWeights: v['neural-weights'] } : {}),
    ...(fineTuneSeconds !== undefined ? { fineTuneSeconds } : {}),
    ...(fineTuneSeconds !== undefined ? { fineTuneLayers: fineTuneLayers ?? [...DEFAULT_FINE_TUNE_LAYERS] } : {}),
    ...(identityWeight !== undefined ? { fineTuneIdentityWeight: identityWeight } : {}),
    ...(v['mouth-weights'] !== undefined ? { mouthWeights: v['mouth-weights'] } : {}),
    ...(v['no-mouth'] ? { mouth: false } : {}),
    ...(v['eye-weights'] !== undefined ? { eyeWeights: v['eye-weights'] } : {}),
    ...(faceMode !== undefined ? { faceRefiner: faceMode === 'always' ? true : faceMode === 'never' ? false : 'fitted' as const } : {}),
    ...(v['no-eyes'] ? { eyes: false } : {}),
    ...(faceLowpass !== undefined ? { faceLowpass } : {}),
    ...(sharpen ? { postSharpen: sharpen } : {}),
    ...(filter ? { postFilter: filter } : {}),
    ...(oracle ? { postOracle: oracle } : {}),
    ...(onlyShot !== undefined ? { onlyShot } : {}),
    ...(atlasBoost ? { atlasBoost } : {}),
    ...(atlasRegister !== undefined ? { atlasRegister } : {}),
    ...(atlasDetail ? { atlasDetail } : {}),
    ...(v['no-mouth-set'] ? { mouthSet: false } : {}),
    ...(v['drive-retracked'] ? { driveRetracked: true } : {}),
    ...(enrollLandmarks !== undefined ? { enrollLandmarks } : {}),
    ...(trackMode !== undefined ? { trackMode } : {}),
    ...(smoothing !== undefined ? { trackSmoothing: smoothing === 'on' } : {}),
    ...(cropBox ? { cropBox } : {}),
    ...(csimCrop === 'sender' ? { csimCrop } : {}),
    cache: !v['no-cache'],
    cropScale: DEFAULT_EVAL_OPTIONS.cropScale,
    json: v.json,
    quiet: v.quiet ?? false,
  };
}
