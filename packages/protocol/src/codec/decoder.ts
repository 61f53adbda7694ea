/**
 * Landmark track decoder. Stateless per packet apart from timestamp unwrapping:
 * any packet decodes on its own given the sender's neutral shape — or, for
 * retargeting, any other canonical neutral (`decode(packet, { neutral })`).
 *
 * On arbitrary bytes it returns a frame or throws DecodeError; values are clamped
 * so landmarks are always finite, and allocation is fixed per packet.
 */
import { DecodeError, DecodeErrorReason } from '../errors.ts';
import { BLENDSHAPE_COUNT, type FaceFrame } from '../frame.ts';
import { decodeAspect } from './aspect.ts';
import { POSE_PARAMS, type Basis } from './basis.ts';
import { getBasis } from './defaultBasis.ts';
import { validateNeutral } from './encoder.ts';
import { rotvecToMat } from './geometry.ts';
import { decodeHeader, PACKET_HEADER_BYTES, unwrapTimestamp, type PacketHeader } from './header.ts';
import { RangeDecoder } from './rangeCoder.ts';
import { blendshapeFeatures, predictBlendshapes, synthesise } from './shape.ts';

export interface DecoderOptions {
  /** Canonical neutral shape to animate: the sender's (from its embedding) or another face's. */
  neutral: Float32Array;
  /** Extra bases by codec id (tests, experiments). The shipped ones are always known. */
  bases?: readonly Basis[];
}

export interface DecodeCallOptions {
  /** Retargeting: animate this canonical neutral instead of the decoder's. */
  neutral?: Float32Array;
}

export interface DecodedPacket {
  header: PacketHeader;
  /** Unwrapped capture time in ms (continuous across the 65.5 s header wrap). */
  t: number;
  /** Image height / width the sender tracked at. */
  aspect: number;
  /**
   * The rebuilt frame, or null for a face-lost packet. `matrix` is the decoded head
   * pose as a column-major 4×4 similarity in the isotropic normalised image space
   * (x, y·aspect, z), not MediaPipe's metric matrix.
   */
  frame: FaceFrame | null;
}

// Bounds that keep every decoded value finite whatever the bytes say.
const ROT_LIMIT = 4;
const LOG_SCALE_MIN = -12;
const LOG_SCALE_MAX = 4;
const TRANSLATION_LIMIT = 1e4;
const COEF_LIMIT = 50;

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

export class LandmarkDecoder {
  private neutral: Float32Array;
  private readonly extra = new Map<number, Basis>();
  private lastT: number | null = null;

  constructor(options: DecoderOptions) {
    this.neutral = validateNeutral(options.neutral);
    for (const b of options.bases ?? []) this.extra.set(b.codecId, b);
  }

  /** Replaces the neutral shape (e.g. after a new embedding arrived). */
  setNeutral(neutral: Float32Array): void {
    this.neutral = validateNeutral(neutral);
  }

  decode(packet: Uint8Array, options?: DecodeCallOptions): DecodedPacket {
    if (!(packet instanceof Uint8Array)) throw new TypeError('packet must be a Uint8Array');
    const header = decodeHeader(packet);
    const t = this.lastT === null ? header.timestamp : unwrapTimestamp(header.timestamp, this.lastT);
    if (header.faceLost) {
      if (packet.length !== PACKET_HEADER_BYTES) throw new DecodeError(DecodeErrorReason.InvalidField, 'face-lost packet carries a payload');
      this.lastT = t;
      return { header, t, aspect: 1, frame: null };
    }
    const basis = this.extra.get(header.codecId) ?? getBasis(header.codecId);
    if (!basis) throw new DecodeError(DecodeErrorReason.UnknownCodec, `codec id ${header.codecId} is not supported by this build`);
    const neutral = options?.neutral ? validateNeutral(options.neutral) : this.neutral;
    const result = decodePayload(basis, packet, neutral, t);
    this.lastT = t;
    return { header, t, aspect: result.aspect, frame: result.frame };
  }
}

export function createDecoder(options: DecoderOptions): LandmarkDecoder {
  return new LandmarkDecoder(options);
}

function decodePayload(b: Basis, packet: Uint8Array, neutral: Float32Array, t: number): { aspect: number; frame: FaceFrame } {
  const dec = new RangeDecoder(packet, PACKET_HEADER_BYTES);
  const aspect = decodeAspect(dec);
  const pose = new Float64Array(POSE_PARAMS);
  for (let j = 0; j < POSE_PARAMS; j++) pose[j] = b.poseModels[j]!.decode(dec) * b.poseSteps[j]!;
  for (let j = 0; j < 3; j++) pose[j] = clamp(pose[j]!, -ROT_LIMIT, ROT_LIMIT);
  pose[3] = clamp(pose[3]!, LOG_SCALE_MIN, LOG_SCALE_MAX);
  for (let j = 4; j < 7; j++) pose[j] = clamp(pose[j]!, -TRANSLATION_LIMIT, TRANSLATION_LIMIT);
  const coefs = new Float64Array(b.components);
  for (let k = 0; k < b.components; k++) coefs[k] = clamp(b.coefModels[k]!.decode(dec) * b.coefStep, -COEF_LIMIT, COEF_LIMIT);
  const bs = predictBlendshapes(b.bsRegression, blendshapeFeatures(coefs, pose, b.components));
  for (let m = 0; m < b.blendshapeComponents; m++) {
    const u = clamp(b.bsModels[m]!.decode(dec) * b.bsStep, -COEF_LIMIT, COEF_LIMIT);
    if (u === 0) continue;
    for (let j = 0; j < BLENDSHAPE_COUNT; j++) bs[j] = bs[j]! + u * b.bsBasis[m * BLENDSHAPE_COUNT + j]!;
  }
  const blendshapes = new Float32Array(BLENDSHAPE_COUNT);
  for (let j = 0; j < BLENDSHAPE_COUNT; j++) blendshapes[j] = clamp(bs[j]!, 0, 1);
  const landmarks = synthesise(b, neutral, pose, coefs, aspect);
  return { aspect, frame: { t, landmarks, blendshapes, matrix: poseMatrix(pose) } };
}

function poseMatrix(pose: Float64Array): Float32Array {
  const r = rotvecToMat(pose[0]!, pose[1]!, pose[2]!);
  const s = Math.exp(pose[3]!);
  const m = new Float32Array(16);
  for (let c = 0; c < 3; c++) for (let row = 0; row < 3; row++) m[c * 4 + row] = s * r[row * 3 + c]!;
  m[12] = pose[4]! * s; m[13] = pose[5]! * s; m[14] = pose[6]! * s; m[15] = 1;
  return m;
}
