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

/**
 * The active tfjs backend's cost per op when the op does almost nothing: a chain of `ops` adds of
 * an 8×8×16 tensor, read back once; µs per op over `reps` chains after one warm-up, the readback
 * spread over the chain. On a GPU backend this is the dispatch overhead (bind group, uniforms,
 * command encoding; in a browser also the round trip to the GPU process) that a network with many
 * small layers pays per layer.
 */
export async function usPerTinyOp(tf: typeof import('@tensorflow/tfjs-core'), ops = 300, reps = 5): Promise<number> {
  const one = tf.ones([1, 8, 8, 16]);
  const chain = async () => {
    const y = tf.tidy(() => { let t = one; for (let i = 0; i < ops; i++) t = tf.add(t, one); return t; });
    await y.data();
    y.dispose();
  };
  try {
    await chain();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await chain();
    return ((performance.now() - t0) * 1000) / (reps * ops);
  } finally {
    one.dispose();
  }
}
