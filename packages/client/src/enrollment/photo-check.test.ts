/**
 * Photo checks on shared stills with their stored MediaPipe faces
 * (test/fixtures/enrollment/stills-faces.json): the originals pass (a painting among
 * them); blurred, darkened, washed-out, cropped, shrunk and turned versions fail with the
 * right code.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RgbaImage } from '../generator/image.ts';
import { resize } from '../generator/image.ts';
import { SHARED_DATA_DIR } from '../../scripts/lib/paths.ts';
import { readImageRgba } from '../../scripts/image-file.ts';
import type { DetectedFace } from './face-metrics.ts';
import { poseFromLandmarks, poseFromMatrix } from './face-metrics.ts';
import { DEFAULT_PHOTO_CHECK_LIMITS, PhotoProblemCode, checkPhoto } from './photo-check.ts';

const STILLS = ['musetalk-monalisa.png', 'sadtalker-happy.png', 'sadtalker-art_11.png'] as const;
type Still = (typeof STILLS)[number];
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/enrollment/stills-faces.json', import.meta.url), 'utf8')) as Record<Still, { landmarks: number[]; matrix: number[] | null }[]>;
const faceOf = (s: Still): DetectedFace => ({ landmarks: Float32Array.from(fixture[s][0]!.landmarks), matrix: Float32Array.from(fixture[s][0]!.matrix!) });

const images = new Map<Still, RgbaImage>();
beforeAll(async () => {
  for (const s of STILLS) images.set(s, await readImageRgba(resolve(SHARED_DATA_DIR, 'stills', s)));
});

function mapPixels(img: RgbaImage, f: (v: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? 255 : f(img.data[i]!);
  return { width: img.width, height: img.height, data };
}

/** Separable Gaussian blur (edges clamped). */
function blur(img: RgbaImage, sigma: number): RgbaImage {
  const r = Math.ceil(sigma * 3), k: number[] = [];
  for (let i = -r; i <= r; i++) k.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h * 4), out = new Uint8ClampedArray(w * h * 4);
  const pass = (src: ArrayLike<number>, dst: Float32Array | Uint8ClampedArray, dx: number, dy: number) => {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let i = -r; i <= r; i++) {
        const xx = Math.min(w - 1, Math.max(0, x + i * dx)), yy = Math.min(h - 1, Math.max(0, y + i * dy));
        s += k[i + r]! * src[(yy * w + xx) * 4 + c]!;
      }
      dst[(y * w + x) * 4 + c] = s / ks;
    }
  };
  pass(img.data, tmp, 1, 0);
  pass(tmp, out, 0, 1);
  return { width: w, height: h, data: out };
}

/** Cuts the image to columns [x0, width) and moves the landmarks with it. */
function cropLeft(img: RgbaImage, face: DetectedFace, x0: number): { img: RgbaImage; face: DetectedFace } {
  const w = img.width - x0, data = new Uint8ClampedArray(w * img.height * 4);
  for (let y = 0; y < img.height; y++) data.set(img.data.subarray((y * img.width + x0) * 4, (y * img.width + img.width) * 4), y * w * 4);
  const lm = Float32Array.from(face.landmarks);
  for (let i = 0; i < lm.length; i += 3) lm[i] = (lm[i]! * img.width - x0) / w;
  return { img: { width: w, height: img.height, data }, face: { landmarks: lm, matrix: face.matrix } };
}

/** The matrix turned by `deg` about the camera's vertical axis (a head turn). */
function turned(m: Float32Array, deg: number): Float32Array {
  const a = (deg * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a), out = Float32Array.from(m);
  for (let col = 0; col < 3; col++) {
    const x = m[col * 4]!, z = m[col * 4 + 2]!;
    out[col * 4] = c * x + s * z;
    out[col * 4 + 2] = -s * x + c * z;
  }
  return out;
}

const codes = (r: ReturnType<typeof checkPhoto>) => r.problems.map((p) => p.code);

describe('checkPhoto on shared stills', () => {
  it.each(STILLS)('%s passes (a painting and photos)', (s) => {
    const r = checkPhoto(images.get(s)!, [faceOf(s)]);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.metrics!.faceCount).toBe(1);
    expect(r.metrics!.poseSource).toBe('matrix');
  });

  it('a blurred photo is "blurry" (σ = 2 px at the measurement scale)', () => {
    const img = images.get('sadtalker-happy.png')!;
    const r = checkPhoto(blur(img, 2), [faceOf('sadtalker-happy.png')]);
    expect(codes(r)).toEqual([PhotoProblemCode.Blurry]);
    expect(r.problems[0]!.message).toMatch(/blurry/);
    expect(r.problems[0]!.value).toBeLessThan(DEFAULT_PHOTO_CHECK_LIMITS.minSharpness);
  });

  it('a darkened photo is "too dark", not blurry', () => {
    const r = checkPhoto(mapPixels(images.get('sadtalker-happy.png')!, (v) => v * 0.25), [faceOf('sadtalker-happy.png')]);
    expect(codes(r)).toEqual([PhotoProblemCode.TooDark]);
    expect(r.problems[0]!.message).toMatch(/too dark/);
  });

  it('a washed-out photo is "too bright"', () => {
    const r = checkPhoto(mapPixels(images.get('sadtalker-art_11.png')!, (v) => v * 2.2 + 20), [faceOf('sadtalker-art_11.png')]);
    expect(codes(r)).toEqual([PhotoProblemCode.TooBright]);
  });

  it('a photo cut through the face is "face cut off"', () => {
    const img = images.get('sadtalker-art_11.png')!, face = faceOf('sadtalker-art_11.png');
    const faceLeft = Math.min(...Array.from({ length: 478 }, (_, i) => face.landmarks[i * 3]!)) * img.width;
    const c = cropLeft(img, face, Math.round(faceLeft + 40));
    const r = checkPhoto(c.img, [c.face]);
    expect(codes(r)).toContain(PhotoProblemCode.FaceCutOff);
    expect(r.problems.find((p) => p.code === PhotoProblemCode.FaceCutOff)!.message).toMatch(/outside the photo/);
  });

  it('a shrunk photo is "too small" and says to move closer', () => {
    const img = images.get('sadtalker-happy.png')!; // face 162 px → 54 px
    const r = checkPhoto(resize(img, Math.round(img.width / 3), Math.round(img.height / 3)), [faceOf('sadtalker-happy.png')]);
    expect(codes(r)).toContain(PhotoProblemCode.FaceTooSmall);
    const p = r.problems.find((x) => x.code === PhotoProblemCode.FaceTooSmall)!;
    expect(p.message).toMatch(/^Move closer: your face is too small \(54 px across; at least 72 px needed\)/);
  });

  it('a small face in a big photo is "too small" by the 15 % rule', () => {
    const img = images.get('sadtalker-happy.png')!;
    const r = checkPhoto(img, [faceOf('sadtalker-happy.png')], { minFaceFraction: 0.7 });
    expect(codes(r)).toEqual([PhotoProblemCode.FaceTooSmall]);
    expect(DEFAULT_PHOTO_CHECK_LIMITS.minFaceFraction).toBe(0.15);
  });

  it('a turned head is "not frontal", with the angle', () => {
    const face = faceOf('sadtalker-happy.png');
    const yaw0 = poseFromMatrix(face.matrix!).yawDeg;
    const r = checkPhoto(images.get('sadtalker-happy.png')!, [{ ...face, matrix: turned(face.matrix!, 40) }]);
    expect(codes(r)).toEqual([PhotoProblemCode.NotFrontal]);
    expect(r.problems[0]!.value).toBeCloseTo(Math.abs(yaw0 + 40), 0);
    expect(r.problems[0]!.message).toMatch(/^Look straight at the camera: your head is turned \d+° \(at most 30°\)/);
  });

  it('no face, and two faces', () => {
    const img = images.get('sadtalker-happy.png')!;
    const none = checkPhoto(img, []);
    expect(none.ok).toBe(false);
    expect(codes(none)).toEqual([PhotoProblemCode.NoFace]);
    expect(none.metrics).toBeNull();
    const face = faceOf('sadtalker-happy.png');
    const small = Float32Array.from(face.landmarks, (v, i) => (i % 3 === 2 ? v : 0.05 + v * 0.3));
    const two = checkPhoto(img, [{ landmarks: small, matrix: null }, face]);
    expect(codes(two)).toEqual([PhotoProblemCode.MultipleFaces]);
    expect(two.problems[0]!.message).toMatch(/more than one face/);
    expect(two.metrics!.facePx).toBeGreaterThan(150); // measured the larger face
  });

  it('pose from landmarks alone agrees with the matrix within 10° on frontal stills', () => {
    for (const s of ['sadtalker-happy.png', 'sadtalker-art_11.png'] as const) {
      const img = images.get(s)!, f = faceOf(s);
      const a = poseFromMatrix(f.matrix!), b = poseFromLandmarks(f.landmarks, img.width, img.height);
      expect(Math.abs(a.yawDeg - b.yawDeg)).toBeLessThan(10);
      expect(Math.abs(a.rollDeg - b.rollDeg)).toBeLessThan(10);
    }
  });

  it('rejects an image whose data does not match its size', () => {
    expect(() => checkPhoto({ width: 10, height: 10, data: new Uint8ClampedArray(10) }, [])).toThrow(TypeError);
  });
});
