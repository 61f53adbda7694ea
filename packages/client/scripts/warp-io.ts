/**
 * Node-side I/O for the warp generator's scripts and tests: track files, images and video through
 * ffmpeg (decode any image/video frame to RGBA, encode an mp4 from RGBA frames on stdin).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { RgbaImage } from '../src/generator/image.ts';
import { encodePng } from '../src/generator/png.ts';

export interface TrackFrame { t: number; landmarks: Float32Array | null }

/** Reads a tracks file (JSON Lines, optionally gzipped): one `{t, landmarks: [[x,y,z]×478] | null}` per frame. */
export function readTracks(path: string): TrackFrame[] {
  let buf = readFileSync(path);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  return buf.toString('utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const d = JSON.parse(l) as { t: number; landmarks: number[][] | null };
    return { t: d.t, landmarks: d.landmarks ? Float32Array.from(d.landmarks.flat()) : null };
  });
}

function probeSize(path: string): { width: number; height: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffprobe failed on ${path}: ${r.stderr}`);
  const [w, h] = r.stdout.trim().split(',').map(Number);
  return { width: w!, height: h! };
}

/** Decodes an image file (any format ffmpeg reads) to RGBA. */
export function readImage(path: string): RgbaImage {
  return readVideoFrame(path, 0);
}

/** Decodes frame `index` of a video (or an image) to RGBA. */
export function readVideoFrame(path: string, index: number): RgbaImage {
  const { width, height } = probeSize(path);
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { maxBuffer: 1 << 28 });
  if (r.status !== 0 || r.stdout.length !== width * height * 4) throw new Error(`ffmpeg could not decode frame ${index} of ${path}: ${r.stderr?.toString()}`);
  return { width, height, data: new Uint8ClampedArray(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length) };
}

export async function writePng(path: string, img: RgbaImage): Promise<void> {
  writeFileSync(path, await encodePng(img));
}

/** An mp4 writer: RGBA frames piped to ffmpeg (libx264, yuv420p). */
export class VideoWriter {
  private readonly proc;
  private readonly done: Promise<void>;
  constructor(path: string, readonly width: number, readonly height: number, fps: number) {
    this.proc = spawn('ffmpeg', ['-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18', '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', path], { stdio: ['pipe', 'inherit', 'inherit'] });
    this.done = new Promise((resolve, reject) => {
      this.proc.on('error', reject);
      this.proc.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
    });
  }
  async write(rgba: Uint8Array | Uint8ClampedArray): Promise<void> {
    const ok = this.proc.stdin.write(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength));
    if (!ok) await new Promise<void>((r) => this.proc.stdin.once('drain', () => r()));
  }
  async close(): Promise<void> {
    this.proc.stdin.end();
    await this.done;
  }
}

/** Image with alpha composited over a flat colour (paintings with transparent borders, etc.). */
export function flatten(img: RgbaImage, bg: readonly [number, number, number] = [255, 255, 255]): RgbaImage {
  const out: RgbaImage = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data.length) };
  for (let i = 0; i < img.data.length; i += 4) {
    const a = img.data[i + 3]! / 255;
    for (let c = 0; c < 3; c++) out.data[i + c] = img.data[i + c]! * a + bg[c]! * (1 - a);
    out.data[i + 3] = 255;
  }
  return out;
}
