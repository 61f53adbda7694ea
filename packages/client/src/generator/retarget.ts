/**
 * Retargeting: drive an avatar with landmarks of (possibly) another person. Identity shape is the
 * avatar's neutral shape; pose and expression are the driver's. Shapes are "canonical": the
 * canonical model's units, pose and orientation (y up), as produced by `canonicalize`.
 */
import { CANONICAL_POSITIONS } from './mesh-data.ts';
import { applyPose, composePose, fitPose, invertPose, liftLandmarks, lowerLandmarks, type Pose } from './pose.ts';

const N = 478 * 3;

/** Pose-normalises image landmarks: the shape in canonical units/pose, and the pose that puts it back. */
export function canonicalize(landmarks: Float32Array, aspect = 1): { shape: Float32Array; pose: Pose } {
  const lifted = liftLandmarks(landmarks, aspect);
  const pose = fitPose(CANONICAL_POSITIONS, lifted);
  const shape = Float32Array.from(applyPose(invertPose(pose), lifted));
  return { shape, pose };
}

export interface RetargetOptions {
  /** Width/height of the driving frame (landmarks are normalised per axis). Default 1. */
  drivingAspect?: number;
  /** Width/height of the output frame. Default 1. */
  outputAspect?: number;
  /**
   * Relative motion: the driver's pose relative to `drivingRef` is applied on top of the
   * avatar's pose in `avatarRef` (e.g. the first driving frame and the plate landmarks), so the
   * avatar stays where its photo put it. Without it the avatar takes the driver's absolute pose.
   */
  anchor?: { drivingRef: Float32Array; avatarRef: Float32Array };
  /** How much of the driver's expression to transfer (default 1). */
  expressionGain?: number;
}

/**
 * Landmarks with the avatar's identity and the driver's pose + expression.
 * driving: 478×3 image-normalised; drivingNeutral/avatarNeutral: canonical 478×3 shapes.
 */
export function retarget(driving: Float32Array, drivingNeutral: Float32Array, avatarNeutral: Float32Array, options: RetargetOptions = {}): Float32Array {
  for (const [name, a] of [['driving', driving], ['drivingNeutral', drivingNeutral], ['avatarNeutral', avatarNeutral]] as const) {
    if (a.length !== N) throw new TypeError(`${name} must hold 478×3 values, got ${a.length}`);
  }
  const da = options.drivingAspect ?? 1, oa = options.outputAspect ?? 1, gain = options.expressionGain ?? 1;
  const lifted = liftLandmarks(driving, da);
  const poseD = fitPose(drivingNeutral, lifted);
  const local = applyPose(invertPose(poseD), lifted);
  // Driver's expression as offsets from its neutral, rescaled to the avatar's face size.
  const ratio = faceSize(avatarNeutral) / faceSize(drivingNeutral);
  const shape = new Float64Array(N);
  for (let i = 0; i < N; i++) shape[i] = avatarNeutral[i]! + gain * ratio * (local[i]! - drivingNeutral[i]!);
  let pose: Pose = poseD;
  if (options.anchor) {
    const ref = fitPose(drivingNeutral, liftLandmarks(options.anchor.drivingRef, da));
    const avatar = fitPose(avatarNeutral, liftLandmarks(options.anchor.avatarRef, oa));
    // Relative motion in the driver's reference frame, re-applied in the avatar's.
    pose = composePose(avatar, composePose(invertPose(ref), poseD));
    // Scale so the avatar keeps its size: scale the translation part relative to the avatar's reference.
  } else {
    pose = { ...poseD, s: poseD.s / ratio };
  }
  return lowerLandmarks(applyPose(pose, shape), oa);
}

/** Inter-ocular distance + eye-to-mouth distance of a canonical shape (robust size measure). */
function faceSize(s: Float32Array): number {
  const d = (a: number, b: number) => Math.hypot(s[a * 3]! - s[b * 3]!, s[a * 3 + 1]! - s[b * 3 + 1]!, s[a * 3 + 2]! - s[b * 3 + 2]!);
  return d(33, 263) + d(168, 13);
}

/**
 * Stateful retargeting for a stream: the first driving frame (or a given reference) anchors the
 * motion to the avatar's plate pose; the driver's neutral shape is estimated from that frame
 * unless given.
 */
export class Retargeter {
  private drivingNeutral: Float32Array | null;
  private drivingRef: Float32Array | null = null;

  constructor(
    private readonly avatarNeutral: Float32Array,
    private readonly plateLandmarks: Float32Array,
    private readonly plateAspect: number,
    options: { drivingNeutral?: Float32Array; expressionGain?: number } = {},
  ) {
    this.drivingNeutral = options.drivingNeutral ?? null;
    this.gain = options.expressionGain ?? 1;
  }
  private readonly gain: number;

  apply(driving: Float32Array, drivingAspect = 1): Float32Array {
    if (!this.drivingRef) this.drivingRef = driving.slice();
    if (!this.drivingNeutral) this.drivingNeutral = canonicalize(driving, drivingAspect).shape;
    return retarget(driving, this.drivingNeutral, this.avatarNeutral, {
      drivingAspect, outputAspect: this.plateAspect, expressionGain: this.gain,
      anchor: { drivingRef: this.drivingRef, avatarRef: this.plateLandmarks },
    });
  }
}

/**
 * A driver's neutral shape from a stretch of its track: the per-coordinate median of the
 * pose-normalised shapes (mouth mostly closed, eyes mostly open), at most `maxFrames` sampled evenly.
 */
export function estimateNeutral(frames: readonly Float32Array[], aspect = 1, maxFrames = 200): Float32Array {
  if (frames.length === 0) throw new TypeError('estimateNeutral needs at least one frame');
  const step = Math.max(1, Math.floor(frames.length / maxFrames));
  const shapes: Float32Array[] = [];
  for (let i = 0; i < frames.length; i += step) shapes.push(canonicalize(frames[i]!, aspect).shape);
  const out = new Float32Array(N);
  const col = new Float64Array(shapes.length);
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < shapes.length; j++) col[j] = shapes[j]![k]!;
    col.sort();
    out[k] = col[col.length >> 1]!;
  }
  return out;
}
