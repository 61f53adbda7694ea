/**
 * Makes the golden fixture of the fine-tuning's face-recognition network
 * (models/weights/face-recognition/fixture.{json,bin}): face-api's own FaceRecognitionNet, run in
 * headless Chromium, describes a 150×150 face crop; face-features.test.ts checks that the port
 * (src/generator/neural/face-features.ts) gives the same descriptor.
 *
 *   (cd /tmp && npm pack @vladmandic/face-api@1.7.15 && tar xzf vladmandic-face-api-1.7.15.tgz)
 *   npx tsx packages/client/scripts/face-features-fixture.ts /tmp/package [still]
 *
 * face-api is not a dependency: only this one-off script needs it.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from './lib/chromium.ts';
import { REPO_ROOT, SHARED_DATA_DIR } from './lib/paths.ts';
import { startStaticServer } from './lib/static-server.ts';

const USAGE = 'usage: face-features-fixture.ts FACE_API_PACKAGE_DIR [STILL (default stills/edtalk-crop_identity_source.jpg)]';
const { positionals } = parseArgs({ allowPositionals: true, options: {} });
if (positionals.length < 1 || positionals.length > 2) {
  console.error(USAGE);
  process.exit(2);
}
const pkg = resolve(positionals[0]!);
const still = positionals[1] ?? 'stills/edtalk-crop_identity_source.jpg';
const out = resolve(REPO_ROOT, 'models/weights/face-recognition');

const server = await startStaticServer({
  csp: null,
  files: new Map([['/index.html', { body: '<!doctype html><body></body>', type: 'text/html' }]]),
  mounts: { '/face-api/': resolve(pkg, 'dist'), '/model/': resolve(pkg, 'model'), '/still/': resolve(SHARED_DATA_DIR, still, '..') },
});
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/index.html`);
  const result = await page.evaluate(async (file) => {
    const faceapi = await import('/face-api/face-api.esm.js' as string);
    await faceapi.tf.setBackend('cpu');
    await faceapi.nets.faceRecognitionNet.loadFromUri('/model');
    const bitmap = await createImageBitmap(await (await fetch(`/still/${file}`)).blob());
    const canvas = new OffscreenCanvas(150, 150);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0, 150, 150);
    const rgba = ctx.getImageData(0, 0, 150, 150).data;
    const rgb = new Uint8Array(150 * 150 * 3);
    for (let i = 0; i < 150 * 150; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = rgba[i * 4 + c]!;
    const input = faceapi.tf.tensor3d(rgb, [150, 150, 3], 'int32');
    const descriptor = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input)) as Float32Array;
    return { rgb: Array.from(rgb), descriptor: Array.from(descriptor), tfjs: faceapi.tf.version_core as string };
  }, still.split('/').pop()!);
  await writeFile(resolve(out, 'fixture.bin'), Uint8Array.from(result.rgb));
  await writeFile(
    resolve(out, 'fixture.json'),
    JSON.stringify({
      source: `../shared/data/${still}, drawn at 150×150 by Chromium's canvas`,
      input: 'fixture.bin: 150×150×3 uint8 RGB, rows top to bottom',
      reference: `@vladmandic/face-api 1.7.15 FaceRecognitionNet.computeFaceDescriptor (bundled tfjs ${result.tfjs}, cpu backend)`,
      descriptor: result.descriptor,
    }, null, 1) + '\n',
  );
  console.log(`descriptor[0..4] ${result.descriptor.slice(0, 4).map((v) => v.toFixed(5)).join(' ')}; |d| ${Math.hypot(...result.descriptor).toFixed(4)}`);
} finally {
  await browser.close();
  await server.close();
}
