/**
 * Makes the golden fixtures of the face-api networks the project ports, run by face-api itself in
 * headless Chromium on a face crop:
 * - `--net recognition` (default): the fine-tuning's face-recognition network
 *   (models/weights/face-recognition/fixture.{json,bin}), a 150×150 crop's descriptor;
 *   face-features.test.ts checks the port (src/generator/neural/face-features.ts) against it;
 * - `--net landmarks68`: the mouth refiner's landmark network (models/weights/face-landmarks68/),
 *   a 112×112 crop's 68 landmarks; models/neural/tests/test_landmarks68.py checks the PyTorch port.
 *
 *   (cd /tmp && npm pack @vladmandic/face-api@1.7.15 && tar xzf vladmandic-face-api-1.7.15.tgz)
 *   npx tsx packages/client/scripts/face-features-fixture.ts /tmp/package [still] [--net recognition|landmarks68]
 *
 * face-api is not a dependency: only this one-off script needs it.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './lib/chromium.ts';
import { REPO_ROOT, SHARED_DATA_DIR } from './lib/paths.ts';
import { startStaticServer } from './lib/static-server.ts';

const USAGE = 'usage: face-features-fixture.ts FACE_API_PACKAGE_DIR [STILL (default stills/edtalk-crop_identity_source.jpg)] [--net recognition|landmarks68]';
const NETS = {
  recognition: { size: 150, dir: 'face-recognition', net: 'faceRecognitionNet', call: 'FaceRecognitionNet.computeFaceDescriptor' },
  landmarks68: { size: 112, dir: 'face-landmarks68', net: 'faceLandmark68Net', call: 'FaceLandmark68Net.detectLandmarks (positions in crop pixels)' },
} as const;
const { positionals, values } = parseArgs({ allowPositionals: true, options: { net: { type: 'string', default: 'recognition' } } });
if (positionals.length < 1 || positionals.length > 2 || !(values.net! in NETS)) {
  console.error(USAGE);
  process.exit(2);
}
const which = values.net as keyof typeof NETS;
const { size, dir, net, call } = NETS[which];
const pkg = resolve(positionals[0]!);
const still = positionals[1] ?? 'stills/edtalk-crop_identity_source.jpg';
const out = resolve(REPO_ROOT, 'models/weights', dir);

const server = await startStaticServer({
  csp: null,
  files: new Map([['/index.html', { body: '<!doctype html><body></body>', type: 'text/html' }]]),
  mounts: { '/face-api/': resolve(pkg, 'dist'), '/model/': resolve(pkg, 'model'), '/still/': resolve(SHARED_DATA_DIR, still, '..') },
});
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/index.html`);
  const result = await page.evaluate(async ({ file, size, net }) => {
    const faceapi = await import('/face-api/face-api.esm.js' as string);
    await faceapi.tf.setBackend('cpu');
    await faceapi.nets[net].loadFromUri('/model');
    const bitmap = await createImageBitmap(await (await fetch(`/still/${file}`)).blob());
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0, size, size);
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgba[i * 4 + c]!;
    const input = faceapi.tf.tensor3d(rgb, [size, size, 3], 'int32');
    const output: number[] = net === 'faceRecognitionNet'
      ? Array.from((await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input)) as Float32Array)
      : ((await faceapi.nets.faceLandmark68Net.detectLandmarks(input)).positions as { x: number; y: number }[]).flatMap((p) => [p.x, p.y]);
    return { rgb: Array.from(rgb), output, tfjs: faceapi.tf.version_core as string };
  }, { file: still.split('/').pop()!, size, net });
  await writeFile(resolve(out, 'fixture.bin'), Uint8Array.from(result.rgb));
  await writeFile(
    resolve(out, 'fixture.json'),
    JSON.stringify({
      source: `../shared/data/${still}, drawn at ${size}×${size} by Chromium's canvas`,
      input: `fixture.bin: ${size}×${size}×3 uint8 RGB, rows top to bottom`,
      reference: `@vladmandic/face-api 1.7.15 ${call} (bundled tfjs ${result.tfjs}, cpu backend)`,
      ...(which === 'recognition' ? { descriptor: result.output } : { landmarks: result.output }),
    }, null, 1) + '\n',
  );
  const o = result.output;
  console.log(`${which}[0..4] ${o.slice(0, 4).map((v) => v.toFixed(5)).join(' ')}; |out| ${Math.hypot(...o).toFixed(4)}`);
} finally {
  await browser.close();
  await server.close();
}
