/** Reads an image file (PNG, JPEG, …) or one video frame as an `RgbaImage`, with Debian's ffmpeg. */
import { spawn } from 'node:child_process';
import type { RgbaImage } from '../src/generator/image.ts';

function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} failed (${code}): ${err.trim().split('\n').pop()}`))));
  });
}

/** Decodes `path` (first frame, or the frame at `seconds`) to RGBA. */
export async function readImageRgba(path: string, seconds?: number): Promise<RgbaImage> {
  const probe = JSON.parse((await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', path])).toString('utf8')) as { streams: { width: number; height: number }[] };
  const { width, height } = probe.streams[0]!;
  const seek = seconds !== undefined ? ['-ss', String(seconds)] : [];
  const bytes = await run('ffmpeg', ['-nostdin', '-v', 'error', ...seek, '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1']);
  if (bytes.length !== width * height * 4) throw new Error(`${path}: expected ${width * height * 4} RGBA bytes, got ${bytes.length}`);
  return { width, height, data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
