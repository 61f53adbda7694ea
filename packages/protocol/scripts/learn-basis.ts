/**
 * Learns the expression basis, blendshape predictor and entropy models from
 * reference tracks and writes src/codec/basisData.ts.
 *
 *   nice npx tsx packages/protocol/scripts/learn-basis.ts [--dir ../shared/data/tracks]
 *        [--components 64] [--coef-step 0.05] [--pose-scale 0.3] [--out path]
 *
 * Image aspect per clip comes from INDEX.tsv in the tracks folder (width/height columns).
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BLENDSHAPE_COUNT } from '../src/frame.ts';
import { COORDS, POSE_PARAMS, f32ToBase64, i16ToBase64, type BasisData } from '../src/codec/basis.ts';
import { learnIntModel, type IntModelData } from '../src/codec/model.ts';
import { normaliseShape, procrustesMean } from '../src/codec/geometry.ts';
import {
  analyseShape,
  blendshapeFeatures,
  estimateNeutral,
  predictBlendshapes,
  quantise,
  toIsotropic,
} from '../src/codec/shape.ts';
import { readTracksFile } from '../src/tracks/node.ts';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: resolve(import.meta.dirname, '../../../../shared/data/tracks') },
    components: { type: 'string', default: '64' },
    'bs-components': { type: 'string', default: '8' },
    'coef-step': { type: 'string', default: '0.055' },
    'pose-scale': { type: 'string', default: '0.3' },
    'bs-step': { type: 'string', default: '0.2' },
    'z-weight': { type: 'string', default: '0.3' },
    deadzone: { type: 'string', default: '0.2' },
    'codec-id': { type: 'string', default: '1' },
    /** Leave clips whose file name matches this regex out (held-out evaluation). */
    exclude: { type: 'string' },
    /** Use every n-th frame for the covariance (speed). */
    'cov-stride': { type: 'string', default: '2' },
    out: { type: 'string', default: resolve(import.meta.dirname, '../src/codec/basisData.ts') },
  },
});
const K = Number(args.components);
const M = Number(args['bs-components']);
const coefStep = Number(args['coef-step']);
// Rotation vector (rad), ln scale, translation / scale (x, y, z). Depth translation only moves z,
// which the 2D error ignores, so it is coded 10× coarser.
const poseSteps = [0.003, 0.003, 0.003, 0.005, 0.006, 0.006, 0.06].map((s) => s * Number(args['pose-scale']));
const bsStep = Number(args['bs-step']);
const zw = Number(args['z-weight']);
const deadzone = Number(args.deadzone);
const axisWeights: [number, number, number] = [1, 1, zw];
const log = (...a: unknown[]): void => console.error(`[${(performance.now() / 1000).toFixed(1)}s]`, ...a);

// ---- load tracks ----
const aspects = new Map<string, number>();
try {
  const index = await readFile(join(args.dir, 'INDEX.tsv'), 'utf8');
  for (const line of index.split('\n').slice(1)) {
    const [file, , , w, h] = line.split('\t');
    if (file && w && h) aspects.set(file.replace(/\.[^.]+$/, ''), Number(h) / Number(w));
  }
} catch {
  log('no INDEX.tsv: assuming square images');
}
const excluded = args.exclude ? new RegExp(args.exclude) : null;
const files = (await readdir(args.dir)).filter((f) => /\.jsonl(\.gz)?$/.test(f) && !(excluded && excluded.test(f))).sort();
interface Clip { iso: Float64Array[]; bs: Float32Array[]; aspect: number; frames: { landmarks: Float32Array | null }[] }
const clips: Clip[] = [];
for (const f of files) {
  const frames = (await readTracksFile(join(args.dir, f))).filter((fr) => fr.landmarks && fr.blendshapes);
  const aspect = aspects.get(basename(f).replace(/\.jsonl(\.gz)?$/, '')) ?? 1;
  clips.push({ aspect, frames, iso: frames.map((fr) => toIsotropic(fr.landmarks!, aspect)), bs: frames.map((fr) => fr.blendshapes!) });
}
log(`${clips.length} clips, ${clips.reduce((a, c) => a + c.iso.length, 0)} frames`);

// ---- template and per-clip neutrals ----
const first = clips[0]!;
const seed = normaliseShape(Float64Array.from(first.iso[0]!));
const template = procrustesMean(first.iso.filter((_, i) => i % Math.max(1, Math.floor(first.iso.length / 300)) === 0), seed);
const offsets: Float64Array[] = [];
const poses: Float64Array[] = [];
const blend: Float32Array[] = [];
for (const clip of clips) {
  const neutral = estimateNeutral(clip.frames, template, clip.aspect);
  for (let i = 0; i < clip.iso.length; i++) {
    const off = new Float64Array(COORDS);
    poses.push(analyseShape(clip.iso[i]!, neutral, off));
    offsets.push(off);
    blend.push(clip.bs[i]!);
  }
}
const N = offsets.length;
log('analysed');

// ---- weighted PCA by subspace iteration on the covariance ----
const mean = new Float64Array(COORDS);
for (const o of offsets) for (let i = 0; i < COORDS; i++) mean[i] = mean[i]! + o[i]! / N;
const w = Float64Array.from({ length: COORDS }, (_, i) => axisWeights[i % 3]!);
const cov = new Float64Array(COORDS * COORDS);
const x = new Float64Array(COORDS);
const covStride = Math.max(1, Number(args['cov-stride']));
let covN = 0;
for (let n = 0; n < N; n += covStride) {
  const o = offsets[n]!;
  covN++;
  for (let i = 0; i < COORDS; i++) x[i] = (o[i]! - mean[i]!) * w[i]!;
  for (let i = 0; i < COORDS; i++) {
    const xi = x[i]!;
    const row = i * COORDS;
    for (let j = i; j < COORDS; j++) cov[row + j] = cov[row + j]! + xi * x[j]!;
  }
}
for (let i = 0; i < COORDS; i++) for (let j = i; j < COORDS; j++) {
  const v = cov[i * COORDS + j]! / covN;
  cov[i * COORDS + j] = v;
  cov[j * COORDS + i] = v;
}
log('covariance');

const P = K + 16;
let q: Float64Array[] = Array.from({ length: P }, (_, p) => Float64Array.from({ length: COORDS }, (_, i) => Math.sin(1 + p * 7.31 + i * 0.917 * (p + 1))));
function orthonormalise(vs: Float64Array[]): void {
  for (let a = 0; a < vs.length; a++) {
    const va = vs[a]!;
    for (let b = 0; b < a; b++) {
      const vb = vs[b]!;
      let d = 0;
      for (let i = 0; i < COORDS; i++) d += va[i]! * vb[i]!;
      for (let i = 0; i < COORDS; i++) va[i] = va[i]! - d * vb[i]!;
    }
    let n = 0;
    for (let i = 0; i < COORDS; i++) n += va[i]! ** 2;
    n = Math.sqrt(n) || 1;
    for (let i = 0; i < COORDS; i++) va[i] = va[i]! / n;
  }
}
function mulCov(v: Float64Array): Float64Array {
  const out = new Float64Array(COORDS);
  for (let i = 0; i < COORDS; i++) {
    let acc = 0;
    const row = i * COORDS;
    for (let j = 0; j < COORDS; j++) acc += cov[row + j]! * v[j]!;
    out[i] = acc;
  }
  return out;
}
orthonormalise(q);
for (let it = 0; it < 60; it++) {
  q = q.map(mulCov);
  orthonormalise(q);
}
// Rayleigh–Ritz: T = Qᵀ C Q, eigen-decompose (Jacobi), rotate.
const cq = q.map(mulCov);
const T = new Float64Array(P * P);
for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) {
  let d = 0;
  for (let i = 0; i < COORDS; i++) d += q[a]![i]! * cq[b]![i]!;
  T[a * P + b] = d;
}
const { values: ev, vectors: evec } = jacobiEigen(T, P);
const order = Array.from(ev.keys()).sort((a, b) => ev[b]! - ev[a]!);
let totalVar = 0;
for (let i = 0; i < COORDS; i++) totalVar += cov[i * COORDS + i]!;
const components: Float64Array[] = [];
for (let k = 0; k < K; k++) {
  const e = order[k]!;
  const v = new Float64Array(COORDS);
  for (let a = 0; a < P; a++) {
    const c = evec[a * P + e]!;
    for (let i = 0; i < COORDS; i++) v[i] = v[i]! + c * q[a]![i]!;
  }
  components.push(v);
}
const explained = order.slice(0, K).reduce((a, e) => a + ev[e]!, 0) / totalVar;
log(`PCA: ${K} components explain ${(explained * 100).toFixed(2)}% of weighted variance`);

// recon = v / w, stored as int16 with a per-component scale.
const reconI16 = new Int16Array(K * COORDS);
const reconScale: number[] = [];
const recon = new Float32Array(K * COORDS);
const project = new Float32Array(K * COORDS);
for (let k = 0; k < K; k++) {
  let max = 0;
  for (let i = 0; i < COORDS; i++) max = Math.max(max, Math.abs(components[k]![i]! / w[i]!));
  const scale = max / 32767;
  reconScale.push(scale);
  for (let i = 0; i < COORDS; i++) {
    const qv = Math.round(components[k]![i]! / w[i]! / scale);
    reconI16[k * COORDS + i] = qv;
    recon[k * COORDS + i] = qv * scale;
    project[k * COORDS + i] = qv * scale * w[i]! * w[i]!;
  }
}
const mean32 = Float32Array.from(mean);

// ---- quantise everything as the encoder will ----
const qPose: number[][] = Array.from({ length: POSE_PARAMS }, () => []);
const qCoef: number[][] = Array.from({ length: K }, () => []);
const feats: Float64Array[] = [];
for (let n = 0; n < N; n++) {
  const pose = poses[n]!;
  const pq = new Float64Array(POSE_PARAMS);
  for (let j = 0; j < POSE_PARAMS; j++) {
    const v = quantise(pose[j]!, poseSteps[j]!);
    qPose[j]!.push(v);
    pq[j] = v * poseSteps[j]!;
  }
  const off = offsets[n]!;
  const cd = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let acc = 0;
    for (let i = 0; i < COORDS; i++) acc += project[k * COORDS + i]! * (off[i]! - mean32[i]!);
    const v = quantise(acc, coefStep, deadzone);
    qCoef[k]!.push(v);
    cd[k] = v * coefStep;
  }
  feats.push(blendshapeFeatures(cd, pq, K));
}
log('quantised');

// ---- blendshapes: ridge regression + residual PCA ----
const F = K + 4;
const ata = new Float64Array(F * F);
const atb = new Float64Array(F * BLENDSHAPE_COUNT);
for (let n = 0; n < N; n++) {
  const f = feats[n]!;
  const b = blend[n]!;
  for (let a = 0; a < F; a++) {
    for (let c = 0; c < F; c++) ata[a * F + c] = ata[a * F + c]! + f[a]! * f[c]!;
    for (let j = 0; j < BLENDSHAPE_COUNT; j++) atb[a * BLENDSHAPE_COUNT + j] = atb[a * BLENDSHAPE_COUNT + j]! + f[a]! * b[j]!;
  }
}
for (let a = 0; a < F; a++) ata[a * F + a] = ata[a * F + a]! + 1e-6 * N;
const regression = solve(ata, atb, F, BLENDSHAPE_COUNT);
const residuals: Float64Array[] = [];
const rcov = new Float64Array(BLENDSHAPE_COUNT * BLENDSHAPE_COUNT);
for (let n = 0; n < N; n++) {
  const pred = predictBlendshapes(regression, feats[n]!);
  const r = Float64Array.from(blend[n]!, (v, j) => v - pred[j]!);
  residuals.push(r);
  for (let a = 0; a < BLENDSHAPE_COUNT; a++) for (let c = 0; c < BLENDSHAPE_COUNT; c++) rcov[a * BLENDSHAPE_COUNT + c] = rcov[a * BLENDSHAPE_COUNT + c]! + (r[a]! * r[c]!) / N;
}
const bsEig = jacobiEigen(rcov, BLENDSHAPE_COUNT);
const bsOrder = Array.from(bsEig.values.keys()).sort((a, b) => bsEig.values[b]! - bsEig.values[a]!);
const bsBasis = new Float32Array(M * BLENDSHAPE_COUNT);
for (let m = 0; m < M; m++) for (let j = 0; j < BLENDSHAPE_COUNT; j++) bsBasis[m * BLENDSHAPE_COUNT + j] = bsEig.vectors[j * BLENDSHAPE_COUNT + bsOrder[m]!]!;
const qBs: number[][] = Array.from({ length: M }, () => []);
for (const r of residuals) {
  for (let m = 0; m < M; m++) {
    let acc = 0;
    for (let j = 0; j < BLENDSHAPE_COUNT; j++) acc += bsBasis[m * BLENDSHAPE_COUNT + j]! * r[j]!;
    qBs[m]!.push(quantise(acc, bsStep));
  }
}

// ---- entropy models ----
const models: IntModelData[] = [...qPose, ...qCoef, ...qBs].map((s) => learnIntModel(s));
const entropy = (s: number[]): number => {
  const counts = new Map<number, number>();
  for (const v of s) counts.set(v, (counts.get(v) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / s.length) * Math.log2(c / s.length);
  return h;
};
log(`empirical entropy bits/frame: pose ${qPose.reduce((a, s) => a + entropy(s), 0).toFixed(1)}, coefs ${qCoef.reduce((a, s) => a + entropy(s), 0).toFixed(1)}, blendshapes ${qBs.reduce((a, s) => a + entropy(s), 0).toFixed(1)}`);

const data: BasisData = {
  codecId: Number(args['codec-id']),
  name: `v${args['codec-id']}-k${K}-m${M}`,
  components: K,
  blendshapeComponents: M,
  template: f32ToBase64(template),
  mean: f32ToBase64(mean32),
  recon: i16ToBase64(reconI16),
  reconScale,
  axisWeights,
  poseSteps,
  coefStep,
  deadzone,
  bsRegression: f32ToBase64(regression),
  bsBasis: f32ToBase64(bsBasis),
  bsStep,
  models,
};
const src = `// Generated by packages/protocol/scripts/learn-basis.ts from ${clips.length} reference clips (${N} frames). Do not edit.
// ${K} expression components explain ${(explained * 100).toFixed(2)}% of the weighted canonical variance.
import type { BasisData } from './basis.ts';

export const BASIS_V${args['codec-id']}_DATA: BasisData = ${JSON.stringify(data)};
`;
await writeFile(args.out, args.out.endsWith('.json') ? JSON.stringify(data) : src);
log(`wrote ${args.out} (${(src.length / 1024).toFixed(0)} KiB)`);

// ---- helpers ----
function jacobiEigen(a0: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let r = p + 1; r < n; r++) off += a[p * n + r]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) for (let r = p + 1; r < n; r++) {
      const apq = a[p * n + r]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[r * n + r]! - a[p * n + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = a[k * n + p]!, akq = a[k * n + r]!;
        a[k * n + p] = c * akp - s * akq;
        a[k * n + r] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = a[p * n + k]!, aqk = a[r * n + k]!;
        a[p * n + k] = c * apk - s * aqk;
        a[r * n + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = v[k * n + p]!, vkq = v[k * n + r]!;
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + r] = s * vkp + c * vkq;
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}

/** Solves A X = B (A n×n SPD, B n×m) by Gaussian elimination with partial pivoting. */
function solve(a0: Float64Array, b0: Float64Array, n: number, m: number): Float32Array {
  const a = Float64Array.from(a0);
  const b = Float64Array.from(b0);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[piv * n + col]!)) piv = r;
    if (piv !== col) {
      for (let k = 0; k < n; k++) { const t = a[col * n + k]!; a[col * n + k] = a[piv * n + k]!; a[piv * n + k] = t; }
      for (let k = 0; k < m; k++) { const t = b[col * m + k]!; b[col * m + k] = b[piv * m + k]!; b[piv * m + k] = t; }
    }
    const d = a[col * n + col]!;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col]! / d;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r * n + k] = a[r * n + k]! - f * a[col * n + k]!;
      for (let k = 0; k < m; k++) b[r * m + k] = b[r * m + k]! - f * b[col * m + k]!;
    }
  }
  const x = new Float32Array(n * m);
  for (let r = 0; r < n; r++) for (let k = 0; k < m; k++) x[r * m + k] = b[r * m + k]! / a[r * n + r]!;
  return x;
}
