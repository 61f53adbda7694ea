/**
 * G's normalisation on tfjs-backend-webgpu in one dispatch: instance norm over H, W (biased
 * variance) → per-channel scale and shift → ReLU. Composed of tfjs ops the same step costs about
 * 13 dispatches (moments, rsqrt, the ψ slices, the affine, the ReLU); G has 17 of them per frame,
 * and on a real GPU G's time is mostly dispatch overhead, not arithmetic (models/RESULTS.md,
 * "WebGPU on a real GPU"). Rendering only: the result has no gradient (fine-tuning keeps the
 * composed ops, see NeuralModel).
 *
 * The kernel is a plain tfjs WebGPU program run through the backend's runWebGPUProgram, so this
 * module needs no import of tfjs-backend-webgpu (apps that never load WebGPU do not bundle it).
 */
import * as tf from '@tensorflow/tfjs-core';

/** What this module uses of tfjs-backend-webgpu's WebGPUBackend. */
interface WebGpuProgramRunner {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: 'float32', uniforms?: { type: 'int32' | 'float32'; data: number[] }[]): tf.TensorInfo;
}


/** Whether normReluWebGpu() can run: the active backend is tfjs-backend-webgpu. */
export function webGpuNormAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && typeof (tf.backend() as Partial<WebGpuProgramRunner>).runWebGPUProgram === 'function';
}

/**
 * ReLU(scale_c · IN(x)_c + shift_c) for x (1, H, W, C), with scale_c = scaleBias + scale[scaleOffset + c]
 * and shift_c = shift[shiftOffset + c] read from flat float32 buffers (AdaIN: both from ψ at its
 * slot, scaleBias 1; a learned affine: γ and β, scaleBias 0). One workgroup per channel.
 */
export function normReluWebGpu(
  x: tf.Tensor4D, scale: tf.Tensor, scaleOffset: number, scaleBias: number,
  shift: tf.Tensor, shiftOffset: number, epsilon: number,
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (b !== 1) throw new TypeError(`normReluWebGpu: batch 1 only, got ${b}`);
  if (scaleOffset < 0 || scaleOffset + c > scale.size || shiftOffset < 0 || shiftOffset + c > shift.size) {
    throw new RangeError(`normReluWebGpu: ${c} channels at offsets ${scaleOffset}/${shiftOffset} overrun the parameters (${scale.size}/${shift.size})`);
  }
  // 64 threads per channel up to 64×64 pixels (G's sizes at its trained 64 px; also the cheaper
  // choice on SwiftShader, where barriers are costly), 256 above (the 256-px config's 128×128).
  const threads = h * w > 4096 ? 256 : 64;
  const program = {
    variableNames: ['x', 'scale', 'shift'],
    outputShape: x.shape.slice(),
    shaderKey: 'visageNormRelu',
    dispatchLayout: { x: [0, 1, 2, 3] },
    dispatch: [c, 1, 1] as [number, number, number],
    workgroupSize: [threads, 1, 1] as [number, number, number],
    uniforms: 'pixels : i32, channels : i32, scaleOffset : i32, shiftOffset : i32, scaleBias : f32, epsilon : f32,',
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${threads}>;
      fn workgroupSum(v : f32) -> f32 {
        partial[localId.x] = v;
        workgroupBarrier();
        for (var k = ${threads / 2}u; k > 0u; k = k >> 1u) {
          if (localId.x < k) { partial[localId.x] = partial[localId.x] + partial[localId.x + k]; }
          workgroupBarrier();
        }
        let total = partial[0];
        workgroupBarrier();
        return total;
      }
      fn main(index : i32) {
        let ch = i32(workgroupId.x);
        let n = uniforms.pixels;
        let stride = uniforms.channels;
        var s = 0.0;
        for (var i = i32(localId.x); i < n; i = i + ${threads}) { s = s + x[i * stride + ch]; }
        let mean = workgroupSum(s) / f32(n);
        var v = 0.0;
        for (var i = i32(localId.x); i < n; i = i + ${threads}) { let d = x[i * stride + ch] - mean; v = v + d * d; }
        let rstd = inverseSqrt(workgroupSum(v) / f32(n) + uniforms.epsilon);
        let a = (uniforms.scaleBias + scale[uniforms.scaleOffset + ch]) * rstd;
        let o = shift[uniforms.shiftOffset + ch] - mean * a;
        for (var i = i32(localId.x); i < n; i = i + ${threads}) {
          setOutputAtIndex(i * stride + ch, max(x[i * stride + ch] * a + o, 0.0));
        }
      }`,
  };
  const backend = tf.backend() as unknown as WebGpuProgramRunner;
  const info = backend.runWebGPUProgram(program, [x, scale, shift], 'float32', [
    { type: 'int32', data: [h * w] }, { type: 'int32', data: [c] },
    { type: 'int32', data: [scaleOffset] }, { type: 'int32', data: [shiftOffset] },
    { type: 'float32', data: [scaleBias] }, { type: 'float32', data: [epsilon] },
  ]);
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}
