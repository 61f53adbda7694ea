/**
 * npm run render -- --photos <img…> --tracks <tracks.jsonl[.gz]> --out <video.mp4> [options]
 *
 * Animates any photo or painting with any tracks file through the warp generator (CPU backend,
 * offline), or through the neural (bi-layer refiner) generator on tfjs-wasm: enrolls the photos (landmarks from MediaPipe in headless Chromium, or from
 * --photo-tracks), retargets the driving landmarks onto the avatar (identity from the photos,
 * pose relative to the first driving frame + expression from the driver) and pipes frames to ffmpeg.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { flatten, readImage, readTracks, VideoWriter, writePng } from './warp-io.ts';
import { enrollWarpAvatar, type EnrollmentPhoto } from '../src/enrollment/atlas/enroll.ts';
import { WarpGenerator } from '../src/generator/warp/warp-generator.ts';
import { estimateNeutral, Retargeter } from '../src/generator/retarget.ts';
import { pngCodec } from '../src/generator/codec.ts';
import type { RgbaImage } from '../src/generator/image.ts';
import type { Generator } from '../src/generator/types.ts';
import { MOUTH_WEIGHTS_DIR, NEURAL_WEIGHTS_DIR, REPO_ROOT } from './lib/paths.ts';

const USAGE = `usage: npm run render -- --photos <img…> --tracks <tracks.jsonl[.gz]> --out <video.mp4> [options]

  --photos P…          enrollment photos (any format ffmpeg reads); the first is the background plate.
  --tracks PATH        driving tracks (JSON Lines, optionally gzipped).
  --out PATH           mp4 to write.
  --size N             output height in pixels (default 256; width follows the plate's aspect).
  --fps N              frame rate (default 25).
  --max-frames N       stop after N frames.
  --driving-aspect A   width/height of the driving video (default 1).
  --photo-tracks PATH  landmarks of the photos (one tracks line per photo) instead of running MediaPipe.
  --save-embedding P   also write the embedding's sections (JSON with base64) to P.
  --frames-dir DIR     also write every Nth frame as PNG (with --frames-every N, default 25).
  --generator NAME     warp (default) or neural (the refiner over the warp, tfjs wasm).
  --weights DIR        neural weights (default models/weights/neural).
  --mouth-weights DIR  neural: the mouth refiner's weights (default models/weights/mouth).
  --no-mouth           neural: without the mouth refiner.`;

async function photoLandmarks(images: RgbaImage[], photoTracks: string | undefined): Promise<Float32Array[]> {
  if (photoTracks) {
    const lines = readTracks(photoTracks);
    return images.map((_, i) => {
      const l = lines[i]?.landmarks;
      if (!l) throw new Error(`--photo-tracks has no landmarks for photo ${i}`);
      return l;
    });
  }
  const { openTrackSession } = await import('./lib/track-session.ts');
  const session = await openTrackSession();
  try {
    const out: Float32Array[] = [];
    for (const [i, img] of images.entries()) {
      // VIDEO-mode tracker: feed each still a few times so it settles on the face.
      let lm: Float32Array | null = null;
      for (let k = 0; k < 3; k++) lm = (await session.track(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height, (i * 3 + k) * 40)).frame.landmarks;
      if (!lm) throw new Error(`no face found in photo ${i}`);
      out.push(lm);
    }
    return out;
  } finally {
    await session.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      photos: { type: 'string', multiple: true }, tracks: { type: 'string' }, out: { type: 'string' },
      size: { type: 'string' }, fps: { type: 'string' }, 'max-frames': { type: 'string' }, 'driving-aspect': { type: 'string' },
      'photo-tracks': { type: 'string' }, 'save-embedding': { type: 'string' }, 'frames-dir': { type: 'string' }, 'frames-every': { type: 'string' },
      generator: { type: 'string', default: 'warp' }, weights: { type: 'string' },
      'mouth-weights': { type: 'string' }, 'no-mouth': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help || !values.photos?.length || !values.tracks || !values.out) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  if (values.generator !== 'warp' && values.generator !== 'neural') {
    console.error(`--generator must be warp or neural, got ${JSON.stringify(values.generator)}`);
    process.exit(2);
  }
  if ((values['mouth-weights'] !== undefined || values['no-mouth']) && values.generator !== 'neural') {
    console.error('--mouth-weights and --no-mouth need --generator neural');
    process.exit(2);
  }
  const images = values.photos.map((p) => flatten(readImage(p)));
  const landmarks = await photoLandmarks(images, values['photo-tracks']);
  const photos: EnrollmentPhoto[] = images.map((image, i) => ({ image, landmarks: landmarks[i]! }));
  const t0 = performance.now();
  const { embedding, content, bytes } = await enrollWarpAvatar(photos, { codec: pngCodec, plateIndex: 0 });
  console.error(`enrolled ${photos.length} photo(s) in ${(performance.now() - t0).toFixed(0)} ms; embedding ${bytes} bytes`);
  if (values['save-embedding']) {
    writeFileSync(values['save-embedding'], JSON.stringify({ ...embedding, sections: embedding.sections.map((s) => ({ ...s, bytes: Buffer.from(s.bytes).toString('base64') })) }));
  }
  const plate = content.plate;
  const height = Number(values.size ?? 256);
  const width = Math.round((height * plate.width) / plate.height / 2) * 2;
  const fps = Number(values.fps ?? 25);
  let gen: Generator;
  let backendLabel = 'CPU backend';
  if (values.generator === 'neural') {
    const { useTfBackend } = await import('../src/generator/neural/tf-backend.ts');
    const { loadNeuralWeightsFromDir } = await import('../src/generator/neural/weights-node.ts');
    const { addNeuralSections } = await import('../src/generator/neural/enroll.ts');
    const { NeuralGenerator } = await import('../src/generator/neural/neural-generator.ts');
    const wasmPath = resolve(REPO_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + '/';
    await useTfBackend('wasm', { wasmPath });
    const weights = await loadNeuralWeightsFromDir(values.weights ?? NEURAL_WEIGHTS_DIR);
    const withNeural = await addNeuralSections(embedding, images, landmarks, { weights, backend: 'wasm', wasmPath });
    const { loadMouthWeights } = await import('../src/generator/neural/mouth-model.ts');
    const { nodeWeightsHandler } = await import('../src/generator/neural/weights-node.ts');
    const mouthWeights = values['no-mouth'] ? null : await loadMouthWeights(nodeWeightsHandler(values['mouth-weights'] ?? MOUTH_WEIGHTS_DIR));
    const neural = new NeuralGenerator({ backend: 'wasm', wasmPath, weights, codec: pngCodec, ...(mouthWeights ? { mouthWeights } : {}) });
    await neural.init(withNeural);
    if (!neural.refining) throw new Error('the neural weights do not refine the warp render (pre-refiner weights?)');
    backendLabel = `neural refiner over the warp${neural.refiningMouth ? ' + mouth refiner' : ''}, tfjs ${neural.tfBackend}`;
    gen = neural;
  } else {
    const warp = new WarpGenerator({ backend: 'cpu', codec: pngCodec });
    await warp.initContent(content);
    gen = warp;
  }
  const tracks = readTracks(values.tracks);
  const max = Number(values['max-frames'] ?? tracks.length);
  const drivingAspect = Number(values['driving-aspect'] ?? 1);
  // The driver's neutral: median shape over its whole track (its first frame may be mid-word).
  const drivingNeutral = estimateNeutral(tracks.flatMap((f) => (f.landmarks ? [f.landmarks] : [])), drivingAspect);
  const retargeter = new Retargeter(content.neutral, content.plateLandmarks, plate.width / plate.height, { drivingNeutral });
  const writer = new VideoWriter(values.out, width, height, fps);
  const frame = { width, height, data: new Uint8ClampedArray(width * height * 4) };
  const every = Number(values['frames-every'] ?? 25);
  let last: Float32Array = content.plateLandmarks;
  let ms = 0, n = 0;
  for (const [i, f] of tracks.slice(0, max).entries()) {
    if (f.landmarks) last = retargeter.apply(f.landmarks, drivingAspect);
    const t = performance.now();
    await gen.render(last, frame);
    ms += performance.now() - t; n++;
    await writer.write(frame.data);
    if (values['frames-dir'] && i % every === 0) await writePng(`${values['frames-dir']}/frame-${String(i).padStart(5, '0')}.png`, frame);
  }
  await writer.close();
  gen.dispose();
  console.error(`wrote ${n} frames ${width}×${height} to ${values.out} (render ${(ms / n).toFixed(1)} ms/frame, ${backendLabel})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
