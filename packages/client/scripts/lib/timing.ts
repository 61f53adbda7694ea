/** Render timing shared by the generator benchmarks. */

export interface RenderTarget { width: number; height: number; data: Uint8ClampedArray }
export interface Renders { render(landmarks: Float32Array, target: RenderTarget): Promise<void> }

/** ms/frame over `frames` renders alternating poses `a` and `b`, after one warm-up render of each. */
export async function msPerRender(g: Renders, target: RenderTarget, a: Float32Array, b: Float32Array, frames: number): Promise<number> {
  await g.render(a, target); await g.render(b, target);
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) await g.render(i % 2 ? b : a, target);
  return (performance.now() - t0) / frames;
}
