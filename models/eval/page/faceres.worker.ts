/**
 * Module worker of the eval page: Human's faceres graph model on its own tfjs (wasm backend)
 * instance, so CSIM runs beside the tracker's worker and the page's main thread (where the
 * generator renders; the neural generator has its own tfjs there). Single-threaded SIMD wasm by
 * default; the multi-threaded build when asked and the page is cross-origin isolated (the eval
 * server sends COOP/COEP) — tfjs then sizes its pool at half the cores (1 thread on 2 cores).
 *
 * Messages: {type:'init', threads} → {type:'ready', info}; {type:'embed', id, crops, n} (crops:
 * n × 224 × 224 × 3 floats, RGB 0–255) → {type:'embedded', id, descriptors (n × 1024), ms};
 * any failure → {type:'error', id?, message}.
 */
import { Human } from '@vladmandic/human';
import { FACERES_INPUT } from '../crop.ts';

export interface FaceresInfo {
  tfVersion: string;
  tfBackend: string;
  simd: boolean;
  threads: number;
  /** Whether tfjs loaded its multi-threaded wasm build. */
  threadedBuild: boolean;
  crossOriginIsolated: boolean;
}

export type FaceresRequest = { type: 'init'; threads: boolean } | { type: 'embed'; id: number; crops: Float32Array; n: number; batch: number };
export type FaceresReply =
  | { type: 'ready'; info: FaceresInfo }
  | { type: 'embedded'; id: number; descriptors: Float32Array; ms: number }
  | { type: 'error'; id?: number; message: string };

type Tf = Human['tf'];
type GraphModel = Awaited<ReturnType<Tf['loadGraphModel']>>;
let tf: Tf | null = null;
let model: GraphModel | null = null;

const post = (m: FaceresReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

async function init(threads: boolean): Promise<FaceresInfo> {
  const human = new Human({
    backend: 'wasm', wasmPath: '/tfjs-wasm/', modelBasePath: '/human-models/', debug: false, warmup: 'none',
    face: { enabled: false }, body: { enabled: false }, hand: { enabled: false }, object: { enabled: false },
    gesture: { enabled: false }, segmentation: { enabled: false },
  });
  const isolated = (self as unknown as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  // Threads need SharedArrayBuffer (cross-origin isolation) and blob: workers (allowed by our CSP).
  if (!threads || !isolated) human.tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await human.init();
  tf = human.tf;
  model = await tf.loadGraphModel('/human-models/faceres.json');
  const backend = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  return {
    tfVersion: human.tf.version_core,
    tfBackend: tf.getBackend(),
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    threads: backend.wasm?.tfjs?.getThreadsCount?.() ?? 1,
    threadedBuild: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
    crossOriginIsolated: isolated,
  };
}

/** Descriptors of n crops, `batch` per model call. */
async function embed(crops: Float32Array, n: number, batch: number): Promise<Float32Array> {
  if (!tf || !model) throw new Error('faceres worker: init first');
  const px = FACERES_INPUT * FACERES_INPUT * 3;
  if (crops.length !== n * px) throw new Error(`faceres worker: expected ${n * px} floats, got ${crops.length}`);
  const out = new Float32Array(n * 1024);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const input = tf.tensor4d(crops.subarray(s * px, (s + m) * px), [m, FACERES_INPUT, FACERES_INPUT, 3]);
    const outs = model.execute(input) as unknown as { shape: number[]; data(): Promise<Float32Array>; dispose(): void }[];
    input.dispose();
    const desc = outs.find((t) => t.shape[1] === 1024);
    const data = desc ? await desc.data() : null;
    for (const t of outs) t.dispose();
    if (!data) throw new Error('faceres gave no 1024-d descriptor');
    out.set(data.subarray(0, m * 1024), s * 1024);
  }
  return out;
}

let queue: Promise<void> = Promise.resolve();

self.onmessage = (ev: MessageEvent<FaceresRequest>) => {
  const m = ev.data;
  if (m.type === 'init') {
    init(m.threads).then((info) => post({ type: 'ready', info }), (err: unknown) => post({ type: 'error', message: `faceres failed to load: ${err instanceof Error ? err.message : String(err)}` }));
  } else {
    // One request at a time, in arrival order.
    queue = queue.then(async () => {
      const t0 = performance.now();
      await embed(m.crops, m.n, m.batch).then(
        (descriptors) => post({ type: 'embedded', id: m.id, descriptors, ms: performance.now() - t0 }, [descriptors.buffer]),
        (err: unknown) => post({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) }),
      );
    });
  }
};
