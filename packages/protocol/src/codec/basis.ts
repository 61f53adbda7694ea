/**
 * The learned expression basis and the static entropy models, shipped as data.
 * One basis version per codec id; the codec id travels in every packet header.
 */
import { LANDMARK_COUNT } from '../frame.ts';
import { IntModel, type IntModelData } from './model.ts';

export const COORDS = LANDMARK_COUNT * 3;
/** Pose parameters: rotation vector (3), log scale, translation / scale (3). */
export const POSE_PARAMS = 7;

/** Serialised form (JSON-safe; big arrays as base64 little-endian). */
export interface BasisData {
  codecId: number;
  /** Human-readable version label, e.g. 'v1-k64'. */
  name: string;
  components: number;
  blendshapeComponents: number;
  /** Float32 × 1434: canonical template every neutral is aligned to. */
  template: string;
  /** Float32 × 1434: mean canonical offset from the neutral. */
  mean: string;
  /** Int16 × components × 1434 (component-major), times `reconScale[k]`. */
  recon: string;
  reconScale: number[];
  /** Per-axis weights (x, y, z) of the projection metric. */
  axisWeights: [number, number, number];
  poseSteps: number[];
  coefStep: number;
  /** Encoder rounding dead zone (fraction of a step), decoder ignores it. */
  deadzone: number;
  /** Float32 × (components + 4) × 52: blendshape prediction from [coefs, rotvec, 1]. */
  bsRegression: string;
  /** Float32 × blendshapeComponents × 52: residual basis. */
  bsBasis: string;
  bsStep: number;
  /** Models: 7 pose, `components` coefficients, `blendshapeComponents` blendshape residuals. */
  models: IntModelData[];
}

export interface Basis {
  readonly codecId: number;
  readonly name: string;
  readonly components: number;
  readonly blendshapeComponents: number;
  readonly template: Float32Array;
  readonly mean: Float32Array;
  /** Reconstruction basis, component-major (k·1434 + i). */
  readonly recon: Float32Array;
  /** Reconstruction basis transposed, coordinate-major (i·components + k), for fast synthesis. */
  readonly reconT: Float32Array;
  /** Projection basis (recon × axis weight²), component-major. */
  readonly project: Float32Array;
  readonly axisWeights: readonly [number, number, number];
  readonly poseSteps: readonly number[];
  readonly coefStep: number;
  readonly deadzone: number;
  readonly bsRegression: Float32Array;
  readonly bsBasis: Float32Array;
  readonly bsStep: number;
  readonly poseModels: readonly IntModel[];
  readonly coefModels: readonly IntModel[];
  readonly bsModels: readonly IntModel[];
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function f32(b64: string, expected: number, what: string): Float32Array {
  const bytes = base64ToBytes(b64);
  if (bytes.length !== expected * 4) throw new RangeError(`basis ${what}: expected ${expected} floats`);
  const out = new Float32Array(expected);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < expected; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function f32ToBase64(a: ArrayLike<number>): string {
  const bytes = new Uint8Array(a.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i]!, true);
  return bytesToBase64(bytes);
}

export function i16ToBase64(a: ArrayLike<number>): string {
  const bytes = new Uint8Array(a.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setInt16(i * 2, a[i]!, true);
  return bytesToBase64(bytes);
}

/** Parses and validates serialised basis data. */
export function loadBasis(data: BasisData): Basis {
  const k = data.components;
  const m = data.blendshapeComponents;
  if (data.models.length !== POSE_PARAMS + k + m) throw new RangeError('basis: wrong model count');
  if (data.poseSteps.length !== POSE_PARAMS) throw new RangeError('basis: wrong pose step count');
  const reconBytes = base64ToBytes(data.recon);
  if (reconBytes.length !== k * COORDS * 2) throw new RangeError('basis: wrong recon size');
  const view = new DataView(reconBytes.buffer, reconBytes.byteOffset, reconBytes.byteLength);
  const recon = new Float32Array(k * COORDS);
  const project = new Float32Array(k * COORDS);
  const w2 = data.axisWeights.map((w) => w * w);
  for (let c = 0; c < k; c++) {
    const scale = data.reconScale[c]!;
    for (let i = 0; i < COORDS; i++) {
      const v = view.getInt16((c * COORDS + i) * 2, true) * scale;
      recon[c * COORDS + i] = v;
      project[c * COORDS + i] = v * w2[i % 3]!;
    }
  }
  const reconT = new Float32Array(k * COORDS);
  for (let c = 0; c < k; c++) for (let i = 0; i < COORDS; i++) reconT[i * k + c] = recon[c * COORDS + i]!;
  const models = data.models.map((md) => new IntModel(md));
  return {
    codecId: data.codecId,
    name: data.name,
    components: k,
    blendshapeComponents: m,
    template: f32(data.template, COORDS, 'template'),
    mean: f32(data.mean, COORDS, 'mean'),
    recon,
    reconT,
    project,
    axisWeights: data.axisWeights,
    poseSteps: data.poseSteps,
    coefStep: data.coefStep,
    deadzone: data.deadzone,
    bsRegression: f32(data.bsRegression, (k + 4) * 52, 'bsRegression'),
    bsBasis: f32(data.bsBasis, m * 52, 'bsBasis'),
    bsStep: data.bsStep,
    poseModels: models.slice(0, POSE_PARAMS),
    coefModels: models.slice(POSE_PARAMS, POSE_PARAMS + k),
    bsModels: models.slice(POSE_PARAMS + k),
  };
}
