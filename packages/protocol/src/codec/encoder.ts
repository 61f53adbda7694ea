/**
 * Landmark track encoder: one self-contained packet per tracked frame.
 *
 * Every packet is coded against the sender's neutral shape (delivered once,
 * reliably, in the avatar embedding) and never against another packet, so any
 * received packet decodes regardless of loss or reordering. Keyframes (first
 * packet, every `keyframeIntervalMs`, on request, and when a face reappears) are
 * flagged so receivers can resynchronise their jitter buffers; see README for why
 * measured inter-packet prediction against a keyframe did not pay.
 */
import { BLENDSHAPE_COUNT, LANDMARK_COUNT, type FaceFrame } from '../frame.ts';
import { encodeAspect, MAX_ASPECT, MIN_ASPECT } from './aspect.ts';
import { COORDS, POSE_PARAMS, type Basis } from './basis.ts';
import { defaultBasis } from './defaultBasis.ts';
import { encodeHeaderInto, PACKET_FORMAT_VERSION, PACKET_HEADER_BYTES } from './header.ts';
import { RangeEncoder } from './rangeCoder.ts';
import { analyseShape, blendshapeFeatures, predictBlendshapes, projectOffset, quantise, toIsotropic } from './shape.ts';

export interface EncoderOptions {
  /** Sender's canonical neutral shape (478×3), from `estimateNeutral` or the embedding. */
  neutral: Float32Array;
  /** Image height / width of the tracked video. Default 1. */
  aspect?: number;
  /** Stream id in the header, 0–255. Default 0. */
  streamId?: number;
  /** Maximum time between keyframes in ms, 1–1000. Default 1000. */
  keyframeIntervalMs?: number;
  /** Basis (codec id). Default: the newest shipped basis. */
  basis?: Basis;
}

export const DEFAULT_KEYFRAME_INTERVAL_MS = 1000;

export function validateNeutral(neutral: unknown): Float32Array {
  if (!(neutral instanceof Float32Array) || neutral.length !== COORDS) {
    throw new TypeError(`neutral must be a Float32Array of ${COORDS} values (478 × xyz)`);
  }
  for (const v of neutral) if (!Number.isFinite(v)) throw new TypeError('neutral contains a non-finite value');
  return neutral;
}

export class LandmarkEncoder {
  readonly basis: Basis;
  readonly streamId: number;
  readonly aspect: number;
  readonly keyframeIntervalMs: number;
  private readonly neutral: Float32Array;
  private seq = 0;
  private lastKeyT = Number.NEGATIVE_INFINITY;
  private keyRequested = true;
  private lastLost = true;

  constructor(options: EncoderOptions) {
    this.neutral = validateNeutral(options.neutral);
    this.basis = options.basis ?? defaultBasis();
    const aspect = options.aspect ?? 1;
    if (!(aspect >= MIN_ASPECT && aspect < MAX_ASPECT)) throw new TypeError(`aspect must be in [${MIN_ASPECT}, ${MAX_ASPECT}), got ${aspect}`);
    this.aspect = aspect;
    this.streamId = options.streamId ?? 0;
    if (!Number.isInteger(this.streamId) || this.streamId < 0 || this.streamId > 255) throw new TypeError(`streamId must be an integer 0-255, got ${this.streamId}`);
    this.keyframeIntervalMs = options.keyframeIntervalMs ?? DEFAULT_KEYFRAME_INTERVAL_MS;
    if (!(this.keyframeIntervalMs >= 1 && this.keyframeIntervalMs <= 1000)) throw new TypeError('keyframeIntervalMs must be in [1, 1000]');
  }

  /** Flags the next packet as a keyframe (e.g. on a receiver's request). */
  requestKeyframe(): void {
    this.keyRequested = true;
  }

  /** Sequence number the next packet will carry (u16, wraps). */
  get nextSeq(): number {
    return this.seq;
  }

  /** Encodes one frame. A frame without landmarks becomes a face-lost packet (header only). */
  encode(frame: FaceFrame): Uint8Array {
    if (!Number.isFinite(frame.t)) throw new TypeError('frame.t must be a finite number of ms');
    const lost = frame.landmarks === null;
    if (!lost && frame.landmarks!.length !== LANDMARK_COUNT * 3) throw new TypeError(`landmarks must have ${LANDMARK_COUNT * 3} values`);
    const key = this.keyRequested || frame.t - this.lastKeyT >= this.keyframeIntervalMs || frame.t < this.lastKeyT || (this.lastLost && !lost);
    if (key) {
      this.keyRequested = false;
      this.lastKeyT = frame.t;
    }
    this.lastLost = lost;
    let payload: Uint8Array = new Uint8Array(0);
    if (!lost) payload = this.encodePayload(frame.landmarks!, frame.blendshapes);
    const out = new Uint8Array(PACKET_HEADER_BYTES + payload.length);
    encodeHeaderInto(
      { version: PACKET_FORMAT_VERSION, codecId: this.basis.codecId, streamId: this.streamId, seq: this.seq, timestamp: frame.t, key, faceLost: lost },
      new DataView(out.buffer),
    );
    out.set(payload, PACKET_HEADER_BYTES);
    this.seq = (this.seq + 1) & 0xffff;
    return out;
  }

  private encodePayload(landmarks: Float32Array, blendshapes: Float32Array | null): Uint8Array {
    const b = this.basis;
    const enc = new RangeEncoder();
    encodeAspect(enc, this.aspect);
    const iso = toIsotropic(landmarks, this.aspect);
    for (const v of iso) if (!Number.isFinite(v)) throw new TypeError('landmarks contain a non-finite value');
    const offset = new Float64Array(COORDS);
    const pose = analyseShape(iso, this.neutral, offset);
    const poseQ = new Float64Array(POSE_PARAMS);
    for (let j = 0; j < POSE_PARAMS; j++) {
      const q = b.poseModels[j]!.clamp(quantise(pose[j]!, b.poseSteps[j]!));
      b.poseModels[j]!.encode(enc, q);
      poseQ[j] = q * b.poseSteps[j]!;
    }
    const coefs = projectOffset(b, offset);
    const coefQ = new Float64Array(b.components);
    for (let k = 0; k < b.components; k++) {
      const q = b.coefModels[k]!.clamp(quantise(coefs[k]!, b.coefStep, b.deadzone));
      b.coefModels[k]!.encode(enc, q);
      coefQ[k] = q * b.coefStep;
    }
    // Blendshapes: residual after prediction from the decoded pose + expression.
    const pred = predictBlendshapes(b.bsRegression, blendshapeFeatures(coefQ, poseQ, b.components));
    for (let m = 0; m < b.blendshapeComponents; m++) {
      let acc = 0;
      if (blendshapes && blendshapes.length === BLENDSHAPE_COUNT) {
        for (let j = 0; j < BLENDSHAPE_COUNT; j++) acc += b.bsBasis[m * BLENDSHAPE_COUNT + j]! * ((blendshapes[j] ?? 0) - pred[j]!);
      }
      b.bsModels[m]!.encode(enc, b.bsModels[m]!.clamp(quantise(Number.isFinite(acc) ? acc : 0, b.bsStep)));
    }
    return enc.finish();
  }
}

export function createEncoder(options: EncoderOptions): LandmarkEncoder {
  return new LandmarkEncoder(options);
}

