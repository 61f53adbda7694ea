/**
 * Enrollment photo checks and identity descriptors, the real browser code in headless
 * Chromium (FaceLandmarker IMAGE mode, CPU; human faceres on tfjs wasm): shared stills
 * pass (a painting among them), a two-face composite fails with "more than one face",
 * two frames of one clip are closer than frames of two people, descriptors leak no
 * tensors, and nothing is fetched from any host but the page's own server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { RgbaImage } from '../packages/client/src/generator/image.ts';
import { createImage } from '../packages/client/src/generator/image.ts';
import { PhotoProblemCode } from '../packages/client/src/enrollment/photo-check.ts';
import { similarity } from '../packages/client/src/identity/similarity.ts';
import { IDENTITY_THRESHOLD } from '../packages/client/src/identity/threshold.ts';
import { openEnrollmentSession } from '../packages/client/scripts/enrollment-session.ts';
import type { EnrollmentSession } from '../packages/client/scripts/enrollment-session.ts';
import { readImageRgba } from '../packages/client/scripts/image-file.ts';
import { SHARED_DATA_DIR } from '../packages/client/scripts/lib/paths.ts';

const still = (f: string) => readImageRgba(resolve(SHARED_DATA_DIR, 'stills', f));
const frame = (clip: string, s: number) => readImageRgba(resolve(SHARED_DATA_DIR, 'clips', `${clip}.mp4`), s);

/** Two images side by side on a grey canvas. */
function sideBySide(a: RgbaImage, b: RgbaImage): RgbaImage {
  const out = createImage(a.width + b.width, Math.max(a.height, b.height), [128, 128, 128, 255]);
  for (const [img, x0] of [[a, 0], [b, a.width]] as const) {
    for (let y = 0; y < img.height; y++) out.data.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), (y * out.width + x0) * 4);
  }
  return out;
}

describe('enrollment in headless Chromium', () => {
  let session: EnrollmentSession;
  beforeAll(async () => {
    session = await openEnrollmentSession({ analyzer: true, identity: 'wasm' });
  });
  afterAll(async () => {
    await session?.close();
  });

  it.each(['musetalk-monalisa.png', 'sadtalker-art_11.png', 'liveportrait-s1.jpg', 'edtalk-leijun.png'])('%s passes the photo checks', async (f) => {
    const { faces, result } = await session.check(await still(f));
    expect(faces).toHaveLength(1);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('a two-face composite fails with "more than one face"', async () => {
    const img = sideBySide(await still('sadtalker-happy.png'), await still('sadtalker-sad1.png'));
    const { faces, result } = await session.check(img);
    expect(faces).toHaveLength(2);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.code)).toContain(PhotoProblemCode.MultipleFaces);
    expect(result.problems.find((p) => p.code === PhotoProblemCode.MultipleFaces)!.message).toMatch(/more than one face/);
  });

  it('two frames of one clip are more alike than frames of two people', async () => {
    const a1 = await session.describe(await frame('pcavs-00015', 1));
    const a2 = await session.describe(await frame('pcavs-00015', 5));
    const b = await session.describe(await frame('liveportrait-d6', 5));
    const c = await session.describe(await frame('edtalk-pose_source1', 2));
    for (const r of [a1, a2, b, c]) expect(r.face?.descriptor).toHaveLength(1024);
    const same = similarity(a1.face!.descriptor, a2.face!.descriptor);
    const others = [b, c].flatMap((x) => [similarity(a1.face!.descriptor, x.face!.descriptor), similarity(a2.face!.descriptor, x.face!.descriptor)]);
    console.log(`same clip ${same.toFixed(3)}, different people ${others.map((s) => s.toFixed(3)).join(' ')}; threshold ${IDENTITY_THRESHOLD}; ${[a1, a2, b, c].map((r) => r.ms.toFixed(0)).join('/')} ms per descriptor`);
    expect(same).toBeGreaterThan(Math.max(...others));
    expect(same).toBeGreaterThanOrEqual(IDENTITY_THRESHOLD);
    for (const s of others) expect(s).toBeLessThan(IDENTITY_THRESHOLD);
    // The same pixels give the same descriptor (wasm is deterministic).
    const again = await session.describe(await frame('pcavs-00015', 1));
    expect(similarity(again.face!.descriptor, a1.face!.descriptor)).toBeCloseTo(1, 5);
    // No tensor leak from one descriptor to the next.
    expect(again.numTensors).toBe(a1.numTensors);
  });

  it('describes the face the hint points at in a two-face image', async () => {
    const left = await still('sadtalker-happy.png'), right = await still('sadtalker-sad1.png');
    const both = await session.describe(sideBySide(left, right), [left.width, 0, right.width, right.height]);
    const alone = await session.describe(right);
    expect(both.faces).toHaveLength(2);
    expect(both.face!.box[0] + both.face!.box[2] / 2).toBeGreaterThan(left.width); // centre in the right half
    const other = both.faces.find((f) => f !== both.face)!;
    // Same person, different framing (the detector sees a wider image): above the threshold,
    // and closer than the other face.
    expect(similarity(both.face!.descriptor, alone.face!.descriptor)).toBeGreaterThanOrEqual(IDENTITY_THRESHOLD);
    expect(similarity(both.face!.descriptor, alone.face!.descriptor)).toBeGreaterThan(similarity(other.descriptor, alone.face!.descriptor));
  });

  it('fetched nothing from any other host; models and wasm came from our server', () => {
    const origin = session.server.origin + '/';
    expect(session.requests.filter((u) => !u.startsWith(origin))).toEqual([]);
    expect(session.requests.some((u) => u.endsWith('/models/human/faceres.json'))).toBe(true);
    expect(session.requests.some((u) => u.includes('/tfjs-wasm/tfjs-backend-wasm'))).toBe(true);
    expect(session.requests.some((u) => u.endsWith('/models/mediapipe/face_landmarker.task'))).toBe(true);
  });
});
