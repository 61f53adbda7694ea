/** Node-only: reads models/weights/neural/parity/fixture.{json,bin} (float32 LE NHWC tensors). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FixtureTensor {
  name: string;
  shape: number[];
  role: 'input' | 'output';
  data: Float32Array;
}

export async function readParityFixture(dir: string): Promise<{ tolerance: number; tensors: Map<string, FixtureTensor> }> {
  const meta = JSON.parse(await readFile(join(dir, 'fixture.json'), 'utf8')) as {
    tolerance: number;
    tensors: { name: string; shape: number[]; dtype: string; byteOffset: number; role: 'input' | 'output' }[];
  };
  const bin = await readFile(join(dir, 'fixture.bin'));
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const tensors = new Map<string, FixtureTensor>();
  for (const t of meta.tensors) {
    if (t.dtype !== 'float32') throw new TypeError(`fixture tensor ${t.name}: dtype ${t.dtype}`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(t.byteOffset + 4 * i, true);
    tensors.set(t.name, { name: t.name, shape: t.shape, role: t.role, data });
  }
  return { tolerance: meta.tolerance, tensors };
}

/** The fixture tensor `name`; throws when the fixture lacks it. */
export function fixtureTensor(tensors: ReadonlyMap<string, FixtureTensor>, name: string): FixtureTensor {
  const t = tensors.get(name);
  if (!t) throw new Error(`fixture has no ${name}`);
  return t;
}

/** Largest |a[i] − b[i]| (the arrays must be as long). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
