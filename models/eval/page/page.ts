/**
 * Browser side of `npm run eval`: one page holds the real client code of a call's two ends —
 * FaceTracker (sender), LandmarkDecoder + generator (receiver) — and the identity model used
 * for CSIM (Human's faceres graph model on tfjs). Driven from Node with page.evaluate; frames
 * travel as raw RGBA over the local server (see session.ts).
 */
import { Human } from '@vladmandic/human';
import { createDecoder, type AvatarEmbedding, type LandmarkDecoder } from '@visage/protocol';
import { FaceTracker } from '../../../packages/client/src/tracking/index.ts';
import { createGenerator } from '../../../packages/client/src/generator/registry.ts';
import { pngCodec } from '../../../packages/client/src/generator/codec.ts';
import type { Generator } from '../../../packages/client/src/generator/types.ts';
import { FACERES_INPUT, identityCrop } from '../crop.ts';

export interface WireEmbedding { formatVersion: number; generator: { family: string; version: number }; sections: { type: number; mandatory: boolean; b64: string }[] }

export interface EvalPageInit {
  /** Load the identity model (CSIM). */
  faceres: boolean;
}

export interface EvalPageInfo {
  trackerDelegate: string;
  trackerThread: string;
  fallbackReasons: string[];
  /** tfjs backend running faceres, or null when not loaded. */
  tfBackend: string | null;
  tfVersion: string | null;
}

export interface TrackedFrame { landmarks: number[] | null; blendshapes: number[] | null; matrix: number[] | null }

export interface AnalysedFrame {
  /** Landmarks the tracker found in this frame (scored from scratch), or null. */
  landmarks: number[] | null;
  /** faceres descriptor (1024) of the crop, or null when there was no crop. */
  embedding: number[] | null;
  /** Time in the tracker (blank + frame) and in the identity model, ms. */
  trackMs: number;
  embedMs: number;
}

export interface EvalPageApi {
  init(o: EvalPageInit): Promise<EvalPageInfo>;
  /** Continuous VIDEO-mode tracking of the clip (frame after frame, timestamps from the clip). */
  track(url: string, width: number, height: number, t: number): Promise<TrackedFrame>;
  /**
   * Tracks one frame from scratch (a blank frame first resets MediaPipe's tracking state, so the
   * result depends neither on order nor on the previous variant) and embeds the face, cropped
   * around `cropLandmarks` (the real frame's; null = its own landmarks).
   */
  analyse(url: string, width: number, height: number, cropLandmarks: number[] | null): Promise<AnalysedFrame>;
  /** `analyse` over several frames in one call (fewer round trips). */
  analyseMany(urls: string[], width: number, height: number, cropLandmarks: (number[] | null)[]): Promise<AnalysedFrame[]>;
  /** Frames per faceres call in analyseMany (default 8). */
  setFaceresBatch(n: number): Promise<void>;
  /** Creates the receiver: decoder with the sender's neutral, generator from the embedding; shows `initialLandmarks` until a face packet arrives. */
  initReceiver(generator: string, embedding: WireEmbedding, neutral: number[], initialLandmarks: number[]): Promise<{ backend: string | null; family: string }>;
  /**
   * Decodes and renders packets in order (a face-lost packet repeats the last landmarks, as a
   * receiver would); returns the frames at `keep` positions (base64 RGBA) and the render time.
   */
  render(packets: string[], keep: number[], width: number, height: number): Promise<{ frames: (string | null)[]; renderMs: number; decodeMs: number }>;
  close(): Promise<void>;
}

const b64ToBytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
function bytesToB64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

type Tf = Human['tf'];
type GraphModel = Awaited<ReturnType<Tf['loadGraphModel']>>;

let tracker: FaceTracker | null = null;
let tf: Tf | null = null;
let faceres: GraphModel | null = null;
let decoder: LandmarkDecoder | null = null;
let generator: Generator | null = null;
let lastLandmarks: Float32Array | null = null;
let analyseT = 0;
const BLANK = 16;

async function fetchRgba(url: string, width: number, height: number): Promise<ImageData> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return new ImageData(new Uint8ClampedArray(await res.arrayBuffer()), width, height);
}

/** faceres descriptors of several 224² crops, `batch` at a time. */
async function embedCrops(crops: Float32Array[], batch: number): Promise<number[][]> {
  const out: number[][] = [];
  const px = FACERES_INPUT * FACERES_INPUT * 3;
  for (let s = 0; s < crops.length; s += batch) {
    const part = crops.slice(s, s + batch);
    const flat = new Float32Array(part.length * px);
    part.forEach((c, i) => flat.set(c, i * px));
    const input = tf!.tensor4d(flat, [part.length, FACERES_INPUT, FACERES_INPUT, 3]);
    const outs = faceres!.execute(input) as unknown as { shape: number[]; data(): Promise<Float32Array>; dispose(): void }[];
    input.dispose();
    const desc = outs.find((t) => t.shape[1] === 1024);
    const data = desc ? await desc.data() : null;
    for (const t of outs) t.dispose();
    if (!data) throw new Error('faceres gave no 1024-d descriptor');
    for (let i = 0; i < part.length; i++) out.push(Array.from(data.subarray(i * 1024, (i + 1) * 1024)));
  }
  return out;
}

/** Frames per faceres call. */
let faceresBatch = 8;

const api: EvalPageApi = {
  async init(o) {
    tracker = await FaceTracker.create({
      delegate: 'CPU',
      thread: 'auto',
      smoothing: false,
      workerFactory: () => new Worker('/bundle/tracker.worker.js', { type: 'module', name: 'visage-face-tracker' }),
    });
    let tfBackend: string | null = null, tfVersion: string | null = null;
    if (o.faceres) {
      const human = new Human({
        backend: 'wasm', wasmPath: '/tfjs-wasm/', modelBasePath: '/human-models/', debug: false, warmup: 'none',
        face: { enabled: false }, body: { enabled: false }, hand: { enabled: false }, object: { enabled: false },
        gesture: { enabled: false }, segmentation: { enabled: false },
      });
      // Single-threaded wasm: deterministic, and its thread pool would need blob: workers the CSP forbids.
      human.tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      await human.init();
      tf = human.tf;
      faceres = await tf.loadGraphModel('/human-models/faceres.json');
      tfBackend = tf.getBackend();
      tfVersion = human.tf.version_core;
    }
    return { trackerDelegate: tracker.delegate, trackerThread: tracker.thread, fallbackReasons: [...tracker.fallbackReasons], tfBackend, tfVersion };
  },
  async track(url, width, height, t) {
    if (!tracker) throw new Error('init() first');
    const bitmap = await createImageBitmap(await fetchRgba(url, width, height));
    const { frame } = await tracker.track(bitmap, t);
    return {
      landmarks: frame.landmarks ? Array.from(frame.landmarks) : null,
      blendshapes: frame.blendshapes ? Array.from(frame.blendshapes) : null,
      matrix: frame.matrix ? Array.from(frame.matrix) : null,
    };
  },
  async analyse(url, width, height, cropLandmarks) {
    if (!tracker) throw new Error('init() first');
    const img = await fetchRgba(url, width, height);
    // Clip tracking used timestamps up to the clip's length; stay far above them.
    analyseT = Math.max(analyseT, 1e9);
    const t0 = performance.now();
    await tracker.track(await createImageBitmap(new ImageData(BLANK, BLANK)), (analyseT += 1000));
    const { frame } = await tracker.track(await createImageBitmap(img), (analyseT += 1000));
    const own = frame.landmarks;
    const cropLm = cropLandmarks ? Float32Array.from(cropLandmarks) : own;
    const t1 = performance.now();
    const embedding = faceres && cropLm ? (await embedCrops([identityCrop(img, cropLm)], 1))[0]! : null;
    return { landmarks: own ? Array.from(own) : null, embedding, trackMs: t1 - t0, embedMs: performance.now() - t1 };
  },
  async analyseMany(urls, width, height, crops) {
    if (!tracker) throw new Error('init() first');
    // Track every frame (each from scratch), then embed all crops in batches.
    const out: AnalysedFrame[] = [];
    const pending: { k: number; crop: Float32Array }[] = [];
    analyseT = Math.max(analyseT, 1e9);
    for (const [k, url] of urls.entries()) {
      const img = await fetchRgba(url, width, height);
      const t0 = performance.now();
      await tracker.track(await createImageBitmap(new ImageData(BLANK, BLANK)), (analyseT += 1000));
      const { frame } = await tracker.track(await createImageBitmap(img), (analyseT += 1000));
      const own = frame.landmarks;
      const c = crops[k] ? Float32Array.from(crops[k]!) : own;
      if (faceres && c) pending.push({ k, crop: identityCrop(img, c) });
      out.push({ landmarks: own ? Array.from(own) : null, embedding: null, trackMs: performance.now() - t0, embedMs: 0 });
    }
    const t1 = performance.now();
    const embeddings = await embedCrops(pending.map((p) => p.crop), faceresBatch);
    const per = pending.length ? (performance.now() - t1) / pending.length : 0;
    pending.forEach((p, i) => {
      out[p.k]!.embedding = embeddings[i]!;
      out[p.k]!.embedMs = per;
    });
    return out;
  },
  async setFaceresBatch(n) {
    faceresBatch = n;
  },
  async initReceiver(name, wire, neutral, initialLandmarks) {
    generator?.dispose();
    const embedding: AvatarEmbedding = { ...wire, sections: wire.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, bytes: b64ToBytes(s.b64) })) };
    decoder = createDecoder({ neutral: Float32Array.from(neutral) });
    generator = createGenerator(name, { backend: 'cpu', codec: pngCodec });
    await generator.init(embedding);
    // Until the first face packet arrives the receiver shows the avatar as enrolled.
    lastLandmarks = Float32Array.from(initialLandmarks);
    return { backend: generator.backend, family: generator.family };
  },
  async render(packets, keep, width, height) {
    if (!decoder || !generator) throw new Error('initReceiver() first');
    const want = new Set(keep);
    const frames: (string | null)[] = packets.map(() => null);
    const out = { width, height, data: new Uint8ClampedArray(width * height * 4) };
    let renderMs = 0, decodeMs = 0;
    for (const [i, b64] of packets.entries()) {
      const t0 = performance.now();
      const decoded = decoder.decode(b64ToBytes(b64));
      const t1 = performance.now();
      decodeMs += t1 - t0;
      if (decoded.frame?.landmarks) lastLandmarks = decoded.frame.landmarks;
      await generator.render(lastLandmarks!, out);
      renderMs += performance.now() - t1;
      if (want.has(i)) frames[i] = bytesToB64(new Uint8Array(out.data.buffer));
    }
    return { frames, renderMs, decodeMs };
  },
  async close() {
    generator?.dispose();
    generator = null;
    faceres?.dispose();
    await tracker?.close();
    tracker = null;
  },
};

(globalThis as unknown as { visageEval: EvalPageApi }).visageEval = api;
document.title = 'ready';
