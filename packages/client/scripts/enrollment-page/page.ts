/**
 * Browser page for enrollment checks and identity descriptors, driven from Node
 * (`enrollment-session.ts`): exposes `globalThis.visageEnroll` (EnrollPageApi). Images
 * arrive as raw RGBA over the local server, so Node and browser see the same pixels.
 */
import { FaceAnalyzer } from '../../src/enrollment/face-analyzer.ts';
import type { PhotoCheckResult } from '../../src/enrollment/photo-check.ts';
import { FaceIdentity, pickFace } from '../../src/identity/face-identity.ts';
import type { IdentityBackend, PixelBox } from '../../src/identity/face-identity.ts';

export interface EnrollPageInit {
  /** Load the FaceLandmarker (IMAGE mode) for photo checks. */
  analyzer: boolean;
  /** Load human's faceres pipeline on this backend; null: none. */
  identity: IdentityBackend | null;
}

export interface EnrollPageCheck {
  faces: { landmarks: number[]; matrix: number[] | null }[];
  result: PhotoCheckResult;
  ms: number;
}

export interface EnrollPageDescribe {
  faces: { descriptor: number[]; box: number[]; score: number }[];
  /** Index in `faces` of the face picked for the hint (or the largest); -1 when none. */
  picked: number;
  ms: number;
  numTensors: number;
}

export interface EnrollPageApi {
  init(o: EnrollPageInit): Promise<{ identityBackend: string | null; loadMs: number }>;
  check(url: string, width: number, height: number): Promise<EnrollPageCheck>;
  describe(url: string, width: number, height: number, hint: PixelBox | null): Promise<EnrollPageDescribe>;
  close(): void;
}

let analyzer: FaceAnalyzer | null = null;
let identity: FaceIdentity | null = null;

async function fetchImage(url: string, width: number, height: number): Promise<ImageData> {
  const bytes = new Uint8ClampedArray(await (await fetch(url)).arrayBuffer());
  if (bytes.length !== width * height * 4) throw new Error(`expected ${width * height * 4} bytes from ${url}, got ${bytes.length}`);
  return new ImageData(bytes, width, height);
}

const api: EnrollPageApi = {
  async init(o) {
    const t0 = performance.now();
    if (o.analyzer) analyzer = await FaceAnalyzer.create();
    if (o.identity) identity = await FaceIdentity.create({ backend: o.identity });
    return { identityBackend: identity?.backend ?? null, loadMs: performance.now() - t0 };
  },
  async check(url, width, height) {
    if (!analyzer) throw new Error('analyzer not loaded');
    const img = await fetchImage(url, width, height);
    const t0 = performance.now();
    const { faces, result } = analyzer.check({ width, height, data: img.data });
    const ms = performance.now() - t0;
    return { faces: faces.map((f) => ({ landmarks: Array.from(f.landmarks), matrix: f.matrix ? Array.from(f.matrix) : null })), result, ms };
  },
  async describe(url, width, height, hint) {
    if (!identity) throw new Error('identity not loaded');
    const img = await fetchImage(url, width, height);
    const t0 = performance.now();
    const faces = await identity.describeAll(img);
    const ms = performance.now() - t0;
    const chosen = pickFace(faces, hint ?? undefined);
    return {
      faces: faces.map((f) => ({ descriptor: Array.from(f.descriptor), box: [...f.box], score: f.score })),
      picked: chosen ? faces.indexOf(chosen) : -1,
      ms,
      numTensors: identity.numTensors,
    };
  },
  close() {
    analyzer?.close();
    identity?.dispose();
    analyzer = null;
    identity = null;
  },
};

(globalThis as unknown as { visageEnroll: EnrollPageApi }).visageEnroll = api;
