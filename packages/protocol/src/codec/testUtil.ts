/** Synthetic frames for tests: the basis template animated with random pose and expression. */
import type { FaceFrame } from '../frame.ts';
import type { Basis } from './basis.ts';
import { synthesise } from './shape.ts';

import { mulberry32 } from '../random.ts';
export { mulberry32 };

/** A smooth synthetic talking-head track of `n` frames at 30 fps. */
export function syntheticTrack(basis: Basis, neutral: Float32Array, n: number, seed = 1, aspect = 1): FaceFrame[] {
  const rand = mulberry32(seed);
  const phase = Array.from({ length: basis.components }, () => rand() * 6.28);
  const frames: FaceFrame[] = [];
  for (let i = 0; i < n; i++) {
    const s = i / 30;
    const pose = [0.1 * Math.sin(s), 0.15 * Math.sin(0.7 * s), 0.05 * Math.cos(s), Math.log(0.12), 4 + 0.2 * Math.sin(s), 4 + 0.1 * Math.cos(s), 0];
    const coefs = phase.map((p, k) => (0.3 / (1 + k)) * Math.sin(3 * s + p));
    const landmarks = synthesise(basis, neutral, pose, coefs, aspect);
    const blendshapes = new Float32Array(52).map((_, j) => 0.5 + 0.4 * Math.sin(s + j));
    frames.push({ t: Math.round(i * (1000 / 30)), landmarks, blendshapes, matrix: null });
  }
  return frames;
}
