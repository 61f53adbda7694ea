/** Raw RGBA frames out of ffmpeg for the benchmark (cropped source, decoded codec output) and mp4 writing. */
import { spawn } from 'node:child_process';

/**
 * Runs ffmpeg with `inputArgs` (everything before the output) and yields each frame (index,
 * RGBA bytes) of `size`×`size`; frames not in `keep` are skipped without copying. Throws on an
 * ffmpeg error.
 */
export async function* ffmpegFrames(inputArgs: string[], size: number, keep: (index: number) => boolean): AsyncGenerator<[number, Uint8Array]> {
  const frameBytes = size * size * 4;
  const ff = spawn('ffmpeg', ['-nostdin', '-v', 'error', ...inputArgs, '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  ff.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number>((resolve, reject) => {
    ff.on('error', reject);
    ff.on('close', (code) => resolve(code ?? 1));
  });
  let buf: Buffer = Buffer.alloc(0);
  let index = 0;
  let finished = false;
  try {
    for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= frameBytes) {
        const i = index++;
        if (keep(i)) yield [i, new Uint8Array(buf.subarray(0, frameBytes))];
        buf = buf.subarray(frameBytes);
      }
    }
    const code = await exited;
    finished = true;
    if (code !== 0) throw new Error(`ffmpeg failed after ${index} frames: ${stderr.trim().split('\n').slice(-2).join(' | ') || `exit ${code}`}`);
  } finally {
    if (!finished) ff.kill('SIGKILL');
  }
}

/**
 * Collects the kept frames (by decode index) into a map. ffmpeg's `select` filter drops the
 * other frames before they are converted to RGBA and piped (`inputArgs` must not carry its own
 * -vf; pass the filter chain as `filter`): the kept frames come out in order, the k-th being
 * the k-th smallest kept index that the stream has.
 */
export async function collectFrames(inputArgs: string[], size: number, keep: ReadonlySet<number>, filter?: string): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  const wanted = [...keep].sort((a, b) => a - b);
  if (wanted.length === 0) return out;
  const select = `select='${selectExpression(wanted)}'`;
  const vf = filter ? `${select},${filter}` : select;
  for await (const [j, f] of ffmpegFrames([...inputArgs, '-vf', vf, '-fps_mode', 'passthrough'], size, () => true)) out.set(wanted[j]!, f);
  return out;
}

/**
 * ffmpeg `select` expression true exactly for the frame indices `sorted` (ascending, distinct),
 * written as runs of evenly spaced indices (`between(n,a,b)*not(mod(n-a,step))`) and single
 * `eq(n,i)` terms. One `eq` term per frame fails in ffmpeg's expression parser beyond a hundred
 * or so frames ("Cannot allocate memory"); every-Nth scoring plus the shots is a few runs.
 */
export function selectExpression(sorted: readonly number[]): string {
  if (sorted.length === 0) throw new RangeError('select needs at least one frame');
  sorted.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0) throw new RangeError(`frame index ${i} is not a non-negative integer`);
    if (k > 0 && i <= sorted[k - 1]!) throw new RangeError('frame indices must be ascending and distinct');
  });
  const terms: string[] = [];
  for (let k = 0; k < sorted.length;) {
    const a = sorted[k]!, step = (sorted[k + 1] ?? a) - a;
    let end = k;
    while (end + 1 < sorted.length && sorted[end + 1]! - sorted[end]! === step) end++;
    if (end - k >= 2) {
      terms.push(step === 1 ? `between(n,${a},${sorted[end]})` : `between(n,${a},${sorted[end]})*not(mod(n-${a},${step}))`);
      k = end + 1;
    } else {
      terms.push(`eq(n,${a})`);
      k++;
    }
  }
  return terms.join('+');
}

/** An mp4 (libx264 CRF 18) fed with RGBA frames. */
export class Mp4Writer {
  private readonly proc;
  private readonly done: Promise<void>;
  constructor(path: string, width: number, height: number, fps: number) {
    this.proc = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', path], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    this.proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    this.done = new Promise((resolve, reject) => {
      this.proc.on('error', reject);
      this.proc.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg (mp4 writer) exited with ${code}: ${stderr.trim()}`))));
    });
  }
  async write(rgba: Uint8Array): Promise<void> {
    if (!this.proc.stdin.write(rgba)) await new Promise<void>((r) => this.proc.stdin.once('drain', () => r()));
  }
  async close(): Promise<void> {
    this.proc.stdin.end();
    await this.done;
  }
}
