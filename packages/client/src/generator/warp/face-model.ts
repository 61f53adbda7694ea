/**
 * The warp generator's face model, shared by enrollment (unwrapping photos into the atlas) and
 * rendering: which triangles are skin, the eyeball frame the eye openings are drawn through (and
 * the older fan around the iris), and the mouth-interior frame. Everything works in isotropic
 * pixel units (x·W, y·H, z·W).
 */
import {
  CANONICAL_UVS, LEFT_EYE_LOOP, LEFT_IRIS_CENTER, MOUTH_LOOP, RIGHT_EYE_LOOP, RIGHT_IRIS_CENTER, SKIN_TRIANGLES,
} from '../mesh-data.ts';

export const LANDMARK_COUNT = 478;
/** Mouth-interior patch size (2:1, the mouth frame below). */
export const MOUTH_PATCH_WIDTH = 128;
export const MOUTH_PATCH_HEIGHT = 64;
/** The mouth frame spans MOUTH_FRAME_X × corner distance horizontally and MOUTH_FRAME_Y × it vertically. */
export const MOUTH_FRAME_X = 1.4;
export const MOUTH_FRAME_Y = 0.7;

export interface EyeSpec { loop: readonly number[]; iris: number; upper: number; lower: number; inner: number; outer: number }
export const EYES: readonly EyeSpec[] = [
  { loop: RIGHT_EYE_LOOP, iris: RIGHT_IRIS_CENTER, upper: 159, lower: 145, outer: 33, inner: 133 },
  { loop: LEFT_EYE_LOOP, iris: LEFT_IRIS_CENTER, upper: 386, lower: 374, outer: 263, inner: 362 },
];

/**
 * Eyeball patches (the EyeballPatch section): each eye's opening resampled in its eyeball frame —
 * origin at the iris centre, x along the eye's corner line (image left to right), y down, unit
 * the corner distance — over EYEBALL_HALF_X × EYEBALL_HALF_Y eye widths either side. Rendering
 * maps the driving eye opening through the driving eyeball frame into this patch, so the iris goes
 * where the tracker saw it, keeps its size, and the lids cover it instead of squeezing it.
 */
export const EYEBALL_PATCH_WIDTH = 96;
export const EYEBALL_PATCH_HEIGHT = 48;
export const EYEBALL_HALF_X = 1.1;
export const EYEBALL_HALF_Y = 0.55;
/** Iris ring landmarks (4 points on the iris boundary) of each eye, in EYES order. */
export const IRIS_RINGS: readonly (readonly number[])[] = [[469, 470, 471, 472], [474, 475, 476, 477]];

/** The eyeball frame of EYES[k] (a MouthFrame whose origin is the iris centre). */
export function eyeballFrame(p: Points, k: number): MouthFrame {
  const e = EYES[k]!;
  const [a, b] = k === 0 ? [e.outer, e.inner] : [e.inner, e.outer];
  const f = cornerFrame(p[a * 3]!, p[a * 3 + 1]!, p[b * 3]!, p[b * 3 + 1]!);
  return { ...f, ox: p[e.iris * 3]!, oy: p[e.iris * 3 + 1]! };
}
/** Eyeball-patch coordinates in [0, 1]² (unclamped) of a pixel-space point. */
export function eyeballCoord(f: MouthFrame, x: number, y: number): [number, number] {
  const dx = x - f.ox, dy = y - f.oy;
  return [0.5 + (dx * f.ux + dy * f.uy) / (2 * EYEBALL_HALF_X * f.len), 0.5 + (-dx * f.uy + dy * f.ux) / (2 * EYEBALL_HALF_Y * f.len)];
}
/** Inverse of eyeballCoord. */
export function eyeballToPixel(f: MouthFrame, s: number, t: number): [number, number] {
  const a = (s - 0.5) * 2 * EYEBALL_HALF_X * f.len, b = (t - 0.5) * 2 * EYEBALL_HALF_Y * f.len;
  return [f.ox + a * f.ux - b * f.uy, f.oy + a * f.uy + b * f.ux];
}
/** Iris radius of EYES[k] in eye widths: mean distance of the ring landmarks from the centre. */
export function irisRadius(p: Points, k: number): number {
  const f = eyeballFrame(p, k);
  let r = 0;
  for (const i of IRIS_RINGS[k]!) r += Math.hypot(p[i * 3]! - f.ox, p[i * 3 + 1]! - f.oy);
  return r / IRIS_RINGS[k]!.length / f.len;
}

/** Atlas UV of each eye fan's centre: the mean UV of its contour. */
export const EYE_CENTER_UVS: readonly (readonly [number, number])[] = EYES.map((e) => {
  let u = 0, v = 0;
  for (const i of e.loop) { u += CANONICAL_UVS[i * 2]!; v += CANONICAL_UVS[i * 2 + 1]!; }
  return [u / e.loop.length, v / e.loop.length] as const;
});

/** UV rectangle (u0, v0, u1, v1) of the atlas covering both eye openings: what the EyePatch section holds. */
export const EYE_BAND: readonly [number, number, number, number] = (() => {
  let u0 = 1, v0 = 1, u1 = 0, v1 = 0;
  for (const e of EYES) for (const i of e.loop) {
    const u = CANONICAL_UVS[i * 2]!, v = CANONICAL_UVS[i * 2 + 1]!;
    u0 = Math.min(u0, u); u1 = Math.max(u1, u); v0 = Math.min(v0, v); v1 = Math.max(v1, v);
  }
  const m = 0.015;
  return [Math.max(0, u0 - m), Math.max(0, v0 - m), Math.min(1, u1 + m), Math.min(1, v1 + m)] as const;
})();

/** Vertex of the unwrapped mesh: either a landmark or an eye fan centre. */
export interface AtlasTriangle { a: number; b: number; c: number }

/**
 * Triangles textured from the atlas, as landmark indices; an eye fan's centre is encoded as
 * -1 - eyeIndex (its position comes from `eyeCenter`, its UV from EYE_CENTER_UVS).
 */
export const ATLAS_TRIANGLES: Int32Array = (() => {
  const out: number[] = [...SKIN_TRIANGLES];
  EYES.forEach((e, k) => {
    for (let i = 0; i < e.loop.length; i++) out.push(-1 - k, e.loop[i]!, e.loop[(i + 1) % e.loop.length]!);
  });
  return new Int32Array(out);
})();

/** Atlas UV of an ATLAS_TRIANGLES vertex id. */
export function atlasUv(id: number): readonly [number, number] {
  if (id < 0) return EYE_CENTER_UVS[-1 - id]!;
  return [CANONICAL_UVS[id * 2]!, CANONICAL_UVS[id * 2 + 1]!];
}

/** Points as [x, y, z] in pixel units. */
export type Points = Float32Array;

export function toPixels(landmarks: Float32Array, width: number, height: number): Points {
  const p = new Float32Array(landmarks.length);
  for (let i = 0; i < landmarks.length; i += 3) {
    p[i] = landmarks[i]! * width; p[i + 1] = landmarks[i + 1]! * height; p[i + 2] = landmarks[i + 2]! * width;
  }
  return p;
}

/**
 * Where an eye fan's centre goes: the iris centre, clamped into the opening (an iris landmark
 * can sit on the lid when the eye is nearly closed, which would fold the fan).
 */
export function eyeCenter(p: Points, eye: EyeSpec): [number, number, number] {
  let cx = 0, cy = 0, cz = 0;
  for (const i of eye.loop) { cx += p[i * 3]!; cy += p[i * 3 + 1]!; cz += p[i * 3 + 2]!; }
  const n = eye.loop.length;
  cx /= n; cy /= n; cz /= n;
  const ax = p[eye.inner * 3]! - p[eye.outer * 3]!, ay = p[eye.inner * 3 + 1]! - p[eye.outer * 3 + 1]!;
  const width = Math.hypot(ax, ay) || 1;
  const ux = ax / width, uy = ay / width;
  const open = landmarkDistance(p, eye.upper, eye.lower);
  const dx = p[eye.iris * 3]! - cx, dy = p[eye.iris * 3 + 1]! - cy;
  let along = dx * ux + dy * uy, across = -dx * uy + dy * ux;
  const maxAlong = 0.28 * width, maxAcross = 0.25 * open;
  along = Math.max(-maxAlong, Math.min(maxAlong, along));
  across = Math.max(-maxAcross, Math.min(maxAcross, across));
  return [cx + along * ux - across * uy, cy + along * uy + across * ux, cz];
}

/** Distance in the image plane between landmarks `a` and `b`. */
export function landmarkDistance(p: Points, a: number, b: number): number {
  return Math.hypot(p[a * 3]! - p[b * 3]!, p[a * 3 + 1]! - p[b * 3 + 1]!);
}

/** Eye openness: lid distance over eye width. */
export function eyeOpenness(p: Points, eye: EyeSpec): number {
  return landmarkDistance(p, eye.upper, eye.lower) / (landmarkDistance(p, eye.outer, eye.inner) || 1);
}

/** Mouth frame: origin between the inner corners, x along them, y perpendicular (down), scale = corner distance. */
export interface MouthFrame { ox: number; oy: number; ux: number; uy: number; len: number }
export function mouthFrame(p: Points): MouthFrame {
  return cornerFrame(p[78 * 3]!, p[78 * 3 + 1]!, p[308 * 3]!, p[308 * 3 + 1]!);
}
/** The frame of two corner points (pixels): origin between them, x from the first to the second, scale their distance. */
export function cornerFrame(ax: number, ay: number, bx: number, by: number): MouthFrame {
  const len = Math.hypot(bx - ax, by - ay) || 1;
  return { ox: (ax + bx) / 2, oy: (ay + by) / 2, ux: (bx - ax) / len, uy: (by - ay) / len, len };
}
/** Mouth-patch coordinates in [0, 1]² of a pixel-space point. */
export function mouthPatchCoord(f: MouthFrame, x: number, y: number): [number, number] {
  const dx = x - f.ox, dy = y - f.oy;
  return [0.5 + (dx * f.ux + dy * f.uy) / (MOUTH_FRAME_X * f.len), 0.5 + (-dx * f.uy + dy * f.ux) / (MOUTH_FRAME_Y * f.len)];
}
/** Inverse of mouthPatchCoord. */
export function mouthPatchToPixel(f: MouthFrame, s: number, t: number): [number, number] {
  const a = (s - 0.5) * MOUTH_FRAME_X * f.len, b = (t - 0.5) * MOUTH_FRAME_Y * f.len;
  return [f.ox + a * f.ux - b * f.uy, f.oy + a * f.uy + b * f.ux];
}
/**
 * Mouth width: the inner-lip corners' distance (78–308) over the outer eye corners' (33–263). At
 * the same opening a smile's mouth is wider than speech's, and shows teeth where speech is dark.
 */
export function mouthWidth(p: Points): number {
  return landmarkDistance(p, 78, 308) / (landmarkDistance(p, 33, 263) || 1);
}

/** Mouth openness: inner-lip gap (13–14) over corner distance. */
export function mouthOpenness(p: Points): number {
  const f = mouthFrame(p);
  return landmarkDistance(p, 13, 14) / f.len;
}

export { MOUTH_LOOP };
