/**
 * Browser side of `npm run eval`: one page holds the real client code of a call's two ends —
 * FaceTracker (sender; MediaPipe in its own worker), LandmarkDecoder + generator (receiver, on
 * the main thread) — and the identity model used for CSIM (Human's faceres on tfjs wasm, in a
 * third thread: faceres.worker.ts). Tracking and faceres of a batch of frames run at the same
 * time. Driven from Node with page.evaluate; frames travel as raw RGBA over the local server
 * (GET /frames/… to the page, PUT /upload/… back; see session.ts) — no PNG, no base64.
 */
import { createDecoder, type AvatarEmbedding, type LandmarkDecoder } from '@visage/protocol';
import { FaceTracker } from '../../../packages/client/src/tracking/index.ts';
import type { LandmarkMode } from '../../../packages/client/src/tracking/index.ts';
import { createGenerator } from '../../../packages/client/src/generator/registry.ts';
import { pngCodec } from '../../../packages/client/src/generator/codec.ts';
import { addNeuralSections } from '../../../packages/client/src/generator/neural/enroll.ts';
import type { Generator } from '../../../packages/client/src/generator/types.ts';
import { FACERES_INPUT, identityCrop } from '../crop.ts';
import type { FaceresInfo, FaceresReply, FaceresRequest } from './faceres.worker.ts';
import type { FineTuneReport } from '../../../packages/client/src/generator/neural/fine-tune.ts';

export interface WireEmbedding { formatVersion: number; generator: { family: string; version: number }; sections: { type: number; mandatory: boolean; b64: string }[] }

export interface EvalPageInit {
  /** Load the identity model (CSIM). */
  faceres: boolean;
  /** Let faceres use multi-threaded wasm when the page is cross-origin isolated (default false). */
  faceresThreads?: boolean;
  /** How the sender's tracker follows the face (default 'video'). */
  trackMode?: LandmarkMode;
}

export interface EvalPageInfo {
  trackerDelegate: string;
  trackerThread: string;
  fallbackReasons: string[];
  /** tfjs backend running faceres, or null when not loaded. */
  tfBackend: string | null;
  tfVersion: string | null;
  /** faceres' wasm build: SIMD and thread count (null when not loaded). */
  faceresSimd: boolean | null;
  faceresThreads: number | null;
  faceresInfo: FaceresInfo | null;
  crossOriginIsolated: boolean;
}

export interface TrackedFrame { landmarks: number[] | null; blendshapes: number[] | null; matrix: number[] | null }

export interface AnalyseItem {
  url: string;
  /** Track this frame from scratch (false: the caller already knows its landmarks). */
  track: boolean;
  /** Landmarks (normalised to this frame) around which faceres crops; null = the frame's own tracked landmarks; absent = no faceres. */
  embedCrop?: number[] | null;
}

export interface AnalysedFrame {
  /** Landmarks the tracker found in this frame (scored from scratch), or null (also when not tracked). */
  landmarks: number[] | null;
  /** faceres descriptor (1024) of the crop, or null when there was no crop. */
  embedding: number[] | null;
}

export interface AnalyseResult {
  frames: AnalysedFrame[];
  /** Busy time of the tracker and of faceres over the call (they overlap), ms; wall time of the call, ms. */
  trackMs: number;
  embedMs: number;
  wallMs: number;
  tracked: number;
  embedded: number;
}

export interface NeuralPageOptions {
  weightsUrl: string;
  wasmPath: string;
  /** Person-specific fine-tuning of ψ after enrollment (K ≥ 2), with this wall-clock budget in seconds. */
  fineTuneSeconds?: number;
  fineTuneLayers?: string[];
  fineTuneIdentityWeight?: number;
  /** The receiver's neural generator runs the mouth refiner with these weights (none without). */
  mouthWeightsUrl?: string;
  /** …and the eye refiner with these (none without). */
  eyeWeightsUrl?: string;
  /** When the receiver's neural generator draws G's face correction (NeuralGenerator `faceRefiner`; default 'fitted'). */
  faceRefiner?: boolean | 'fitted';
  /** …low-passed by a Gaussian of this σ in G's pixels (0: the full correction; default the generator's). */
  faceLowpass?: number;
}

export interface EvalPageApi {
  init(o: EvalPageInit): Promise<EvalPageInfo>;
  /** Continuous VIDEO-mode tracking of consecutive clip frames (timestamps from the clip). */
  trackMany(urls: string[], width: number, height: number, ts: number[]): Promise<TrackedFrame[]>;
  /**
   * Tracks frames from scratch (a blank frame first resets MediaPipe's tracking state, so the
   * result depends neither on order nor on the previous variant) and embeds each face, cropped
   * around `embedCrop`, with faceres — tracking and faceres in their two workers at once.
   */
  analyseMany(items: AnalyseItem[], width: number, height: number): Promise<AnalyseResult>;
  /** Frames per faceres call (default 8). */
  setFaceresBatch(n: number): Promise<void>;
  /**
   * Sender-side neural enrollment (client `addNeuralSections`): adds the IdentityVector and
   * AdaInParams sections computed from the enrollment frames to the warp embedding.
   */
  enrollNeural(embedding: WireEmbedding, urls: string[], width: number, height: number, landmarks: number[][], options: NeuralPageOptions): Promise<{ embedding: WireEmbedding; fineTune: FineTuneReport | null }>;
  /** Creates the receiver: decoder with the sender's neutral, generator from the embedding; shows `initialLandmarks` until a face packet arrives. */
  initReceiver(generator: string, embedding: WireEmbedding, neutral: number[], initialLandmarks: number[], neural?: NeuralPageOptions): Promise<{ backend: string | null; family: string; detail: string | null; faceRefining?: boolean }>;
  /**
   * Decodes and renders packets (base64) in order (a face-lost packet repeats the last
   * landmarks, as a receiver would); the frames at `keep` positions are PUT to `uploadPrefix + position`.
   */
  render(packets: string[], keep: number[], width: number, height: number, uploadPrefix: string): Promise<{ renderMs: number; decodeMs: number }>;
  close(): Promise<void>;
}

const b64ToBytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
function bytesToB64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}
const fromWire = (w: WireEmbedding): AvatarEmbedding => ({ ...w, sections: w.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, bytes: b64ToBytes(s.b64) })) });
const toWire = (e: AvatarEmbedding): WireEmbedding => ({ formatVersion: e.formatVersion, generator: e.generator, sections: e.sections.map((s) => ({ type: s.type, mandatory: s.mandatory, b64: bytesToB64(s.bytes) })) });

let tracker: FaceTracker | null = null;
let faceres: Worker | null = null;
let faceresInfo: FaceresInfo | null = null;
let decoder: LandmarkDecoder | null = null;
let generator: Generator | null = null;
let lastLandmarks: Float32Array | null = null;
let analyseT = 0;
const BLANK = 16;
/** Frames per faceres call. */
let faceresBatch = 8;

async function fetchRgba(url: string, width: number, height: number): Promise<ImageData> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const buf = await res.arrayBuffer();
  if (buf.byteLength !== width * height * 4) throw new Error(`GET ${url}: ${buf.byteLength} bytes, expected ${width * height * 4}`);
  return new ImageData(new Uint8ClampedArray(buf), width, height);
}

let nextId = 0;
const waiting = new Map<number, { resolve: (r: { descriptors: Float32Array; ms: number }) => void; reject: (e: Error) => void }>();

function startFaceres(threads: boolean): Promise<FaceresInfo> {
  const w = new Worker('/bundle/faceres.worker.js', { type: 'module', name: 'visage-eval-faceres' });
  faceres = w;
  return new Promise((resolve, reject) => {
    w.onerror = (e) => reject(new Error(`faceres worker: ${e.message}`));
    w.onmessage = (ev: MessageEvent<FaceresReply>) => {
      const m = ev.data;
      if (m.type === 'ready') resolve(m.info);
      else if (m.type === 'embedded') {
        waiting.get(m.id)?.resolve(m);
        waiting.delete(m.id);
      } else if (m.id === undefined) reject(new Error(m.message));
      else {
        waiting.get(m.id)?.reject(new Error(m.message));
        waiting.delete(m.id);
      }
    };
    w.postMessage({ type: 'init', threads } satisfies FaceresRequest);
  });
}

/** faceres descriptors of n 224² crops (concatenated), computed in the worker. */
function embedCrops(crops: Float32Array[]): Promise<{ descriptors: Float32Array; ms: number }> {
  if (!faceres) return Promise.reject(new Error('faceres not loaded'));
  const px = FACERES_INPUT * FACERES_INPUT * 3;
  const flat = new Float32Array(crops.length * px);
  crops.forEach((c, i) => flat.set(c, i * px));
  const id = nextId++;
  const w = faceres;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.postMessage({ type: 'embed', id, crops: flat, n: crops.length, batch: faceresBatch } satisfies FaceresRequest, [flat.buffer]);
  });
}

async function trackFromScratch(img: ImageData): Promise<Float32Array | null> {
  // Clip tracking used timestamps up to the clip's length; stay far above them.
  analyseT = Math.max(analyseT, 1e9);
  await tracker!.track(await createImageBitmap(new ImageData(BLANK, BLANK)), (analyseT += 1000));
  const { frame } = await tracker!.track(await createImageBitmap(img), (analyseT += 1000));
  return frame.landmarks;
}

async function putFrame(url: string, data: Uint8ClampedArray<ArrayBuffer>): Promise<void> {
  const res = await fetch(url, { method: 'PUT', body: data });
  if (!res.ok) throw new Error(`PUT ${url}: ${res.status}`);
}

const api: EvalPageApi = {
  async init(o) {
    const threads = o.faceresThreads ?? false;
    const [t, info] = await Promise.all([
      FaceTracker.create({
        delegate: 'CPU',
        thread: 'auto',
        mode: o.trackMode ?? 'video',
        smoothing: false,
        workerFactory: () => new Worker('/bundle/tracker.worker.js', { type: 'module', name: 'visage-face-tracker' }),
      }),
      o.faceres ? startFaceres(threads) : Promise.resolve(null),
    ]);
    tracker = t;
    faceresInfo = info;
    return {
      trackerDelegate: t.delegate, trackerThread: t.thread, fallbackReasons: [...t.fallbackReasons],
      tfBackend: info?.tfBackend ?? null, tfVersion: info?.tfVersion ?? null,
      faceresSimd: info?.simd ?? null, faceresThreads: info?.threads ?? null, faceresInfo: info,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
    };
  },
  async trackMany(urls, width, height, ts) {
    if (!tracker) throw new Error('init() first');
    const out: TrackedFrame[] = [];
    let next = fetchRgba(urls[0]!, width, height);
    for (let i = 0; i < urls.length; i++) {
      const img = await next;
      if (i + 1 < urls.length) next = fetchRgba(urls[i + 1]!, width, height);
      const { frame } = await tracker.track(await createImageBitmap(img), ts[i]!);
      out.push({
        landmarks: frame.landmarks ? Array.from(frame.landmarks) : null,
        blendshapes: frame.blendshapes ? Array.from(frame.blendshapes) : null,
        matrix: frame.matrix ? Array.from(frame.matrix) : null,
      });
    }
    return out;
  },
  async analyseMany(items, width, height) {
    if (!tracker) throw new Error('init() first');
    const t0 = performance.now();
    const imgs = await Promise.all(items.map((it) => fetchRgba(it.url, width, height)));
    const frames: AnalysedFrame[] = items.map(() => ({ landmarks: null, embedding: null }));
    const wantsEmbed = (it: AnalyseItem) => faceresInfo !== null && it.embedCrop !== undefined;
    // Crops around given landmarks go to faceres now; crops around the frame's own landmarks after tracking.
    const given = items.flatMap((it, k) => (wantsEmbed(it) && it.embedCrop ? [k] : []));
    const embedGiven = given.length ? embedCrops(given.map((k) => identityCrop(imgs[k]!, Float32Array.from(items[k]!.embedCrop!)))) : null;
    let trackMs = 0, tracked = 0;
    const tTrack = performance.now();
    for (const [k, it] of items.entries()) {
      if (!it.track) continue;
      const lm = await trackFromScratch(imgs[k]!);
      frames[k]!.landmarks = lm ? Array.from(lm) : null;
      tracked++;
    }
    trackMs = performance.now() - tTrack;
    const own = items.flatMap((it, k) => (wantsEmbed(it) && it.embedCrop === null && frames[k]!.landmarks ? [k] : []));
    const embedOwn = own.length ? embedCrops(own.map((k) => identityCrop(imgs[k]!, Float32Array.from(frames[k]!.landmarks!)))) : null;
    let embedMs = 0;
    for (const [ks, p] of [[given, embedGiven], [own, embedOwn]] as const) {
      if (!p) continue;
      const r = await p;
      embedMs += r.ms;
      ks.forEach((k, i) => (frames[k]!.embedding = Array.from(r.descriptors.subarray(i * 1024, (i + 1) * 1024))));
    }
    return { frames, trackMs, embedMs, wallMs: performance.now() - t0, tracked, embedded: given.length + own.length };
  },
  async setFaceresBatch(n) {
    faceresBatch = n;
  },
  async enrollNeural(wire, urls, width, height, landmarks, options) {
    const imgs = await Promise.all(urls.map((u) => fetchRgba(u, width, height)));
    const images = imgs.map((i) => ({ width: i.width, height: i.height, data: i.data }));
    const lms = landmarks.map((l) => Float32Array.from(l));
    const e = await addNeuralSections(fromWire(wire), images, lms, { weightsUrl: options.weightsUrl, backend: 'wasm', wasmPath: options.wasmPath });
    if (options.fineTuneSeconds === undefined) return { embedding: toWire(e), fineTune: null };
    const { fineTuneNeural } = await import('../../../packages/client/src/generator/neural/fine-tune.ts');
    const t = await fineTuneNeural(e, images.map((image, i) => ({ image, landmarks: lms[i]! })), {
      weightsUrl: options.weightsUrl, backend: 'wasm', wasmPath: options.wasmPath, maxSeconds: options.fineTuneSeconds, maxSteps: 1_000_000, layers: options.fineTuneLayers ?? [],
      identityWeight: options.fineTuneIdentityWeight ?? 0, faceFeaturesUrl: '/models/face-recognition/model.json',
    });
    return { embedding: toWire(t.embedding), fineTune: t.report };
  },
  async initReceiver(name, wire, neutral, initialLandmarks, neural) {
    generator?.dispose();
    generator = null;
    decoder = createDecoder({ neutral: Float32Array.from(neutral) });
    const g = name === 'neural'
      ? createGenerator('neural', { backend: 'wasm', ...(neural ? { weightsUrl: neural.weightsUrl, wasmPath: neural.wasmPath, mouthWeightsUrl: neural.mouthWeightsUrl ?? null, eyeWeightsUrl: neural.eyeWeightsUrl ?? null, faceRefiner: neural.faceRefiner ?? 'fitted', ...(neural.faceLowpass !== undefined ? { faceLowpass: neural.faceLowpass === 0 ? null : neural.faceLowpass } : {}) } : {}) })
      : createGenerator(name, { backend: 'cpu', codec: pngCodec });
    await g.init(fromWire(wire));
    generator = g;
    // Until the first face packet arrives the receiver shows the avatar as enrolled.
    lastLandmarks = Float32Array.from(initialLandmarks);
    const tfBackend = (g as Generator & { tfBackend?: string | null }).tfBackend;
    const faceRefining = (g as Generator & { refiningFace?: boolean }).refiningFace;
    return { backend: g.backend, family: g.family, detail: tfBackend ? `tfjs ${tfBackend}` : null, ...(faceRefining !== undefined ? { faceRefining } : {}) };
  },
  async render(packets, keep, width, height, uploadPrefix) {
    if (!decoder || !generator) throw new Error('initReceiver() first');
    const want = new Set(keep);
    const out = { width, height, data: new Uint8ClampedArray(width * height * 4) };
    const uploads: Promise<void>[] = [];
    let renderMs = 0, decodeMs = 0;
    for (const [i, b64] of packets.entries()) {
      const t0 = performance.now();
      const decoded = decoder.decode(b64ToBytes(b64));
      const t1 = performance.now();
      decodeMs += t1 - t0;
      if (decoded.frame?.landmarks) lastLandmarks = decoded.frame.landmarks;
      await generator.render(lastLandmarks!, out);
      renderMs += performance.now() - t1;
      if (want.has(i)) uploads.push(putFrame(`${uploadPrefix}${i}`, out.data.slice()));
    }
    await Promise.all(uploads);
    return { renderMs, decodeMs };
  },
  async close() {
    generator?.dispose();
    generator = null;
    faceres?.terminate();
    faceres = null;
    await tracker?.close();
    tracker = null;
  },
};

(globalThis as unknown as { visageEval: EvalPageApi }).visageEval = api;
document.title = 'ready';
