/**
 * Minimal PNG codec (8-bit RGB/RGBA/grey, non-interlaced) on the platform's
 * CompressionStream/DecompressionStream, so it runs unchanged in browsers and Node ≥ 18.
 * Used for embedding image sections where no canvas is available, and for test fixtures.
 */
import type { RgbaImage } from './image.ts';

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function pump(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>]);
  const out = await new Response(blob.stream().pipeThrough(stream)).arrayBuffer();
  return new Uint8Array(out);
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Encodes RGBA (or RGB when every alpha is 255) with the 'up'/'sub'/'paeth' filter chosen per row. */
export async function encodePng(img: RgbaImage): Promise<Uint8Array> {
  const { width, height, data } = img;
  let opaque = true;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) { opaque = false; break; }
  const bpp = opaque ? 3 : 4;
  const stride = width * bpp;
  const raw = new Uint8Array((stride + 1) * height);
  const prev = new Uint8Array(stride), cur = new Uint8Array(stride), cand = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) for (let c = 0; c < bpp; c++) cur[x * bpp + c] = data[(y * width + x) * 4 + c]!;
    let best = 0, bestScore = Infinity;
    for (const f of [1, 2, 4]) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? cur[i - bpp]! : 0, b = y > 0 ? prev[i]! : 0, c = i >= bpp && y > 0 ? prev[i - bpp]! : 0;
        const v = (cur[i]! - (f === 1 ? a : f === 2 ? b : paeth(a, b, c))) & 0xff;
        score += v < 128 ? v : 256 - v;
      }
      if (score < bestScore) { bestScore = score; best = f; }
    }
    const o = y * (stride + 1);
    raw[o] = best;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0, b = y > 0 ? prev[i]! : 0, c = i >= bpp && y > 0 ? prev[i - bpp]! : 0;
      cand[i] = (cur[i]! - (best === 1 ? a : best === 2 ? b : paeth(a, b, c))) & 0xff;
    }
    raw.set(cand, o + 1);
    prev.set(cur);
  }
  const idat = await pump(raw, new CompressionStream('deflate'));
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width); dv.setUint32(4, height);
  ihdr[8] = 8; ihdr[9] = opaque ? 2 : 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const chunks = [chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(8 + chunks.reduce((s, c) => s + c.length, 0));
  out.set(SIGNATURE, 0);
  let p = 8;
  for (const c of chunks) { out.set(c, p); p += c.length; }
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes 8-bit greyscale, grey+alpha, RGB or RGBA non-interlaced PNGs to RGBA. */
export async function decodePng(bytes: Uint8Array): Promise<RgbaImage> {
  if (!isPng(bytes)) throw new TypeError('not a PNG');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8, width = 0, height = 0, colorType = 0, depth = 0, interlace = 0;
  const idat: Uint8Array[] = [];
  while (p + 8 <= bytes.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    const body = bytes.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(p + 8); height = dv.getUint32(p + 12);
      depth = body[8]!; colorType = body[9]!; interlace = body[12]!;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  if (depth !== 8 || interlace !== 0 || ![0, 2, 4, 6].includes(colorType)) {
    throw new TypeError(`unsupported PNG (bit depth ${depth}, colour type ${colorType}, interlace ${interlace})`);
  }
  const joined = new Uint8Array(idat.reduce((s, c) => s + c.length, 0));
  let q = 0;
  for (const c of idat) { joined.set(c, q); q += c.length; }
  const raw = await pump(joined, new DecompressionStream('deflate'));
  const bpp = colorType === 0 ? 1 : colorType === 4 ? 2 : colorType === 2 ? 3 : 4;
  const stride = width * bpp;
  const cur = new Uint8Array(stride), prev = new Uint8Array(stride);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const o = y * (stride + 1), f = raw[o]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[o + 1 + i]!;
      const a = i >= bpp ? cur[i - bpp]! : 0, b = prev[i]!, c = i >= bpp ? prev[i - bpp]! : 0;
      cur[i] = (x + (f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c))) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const d = (y * width + x) * 4, s = x * bpp;
      if (bpp === 1 || bpp === 2) { data[d] = data[d + 1] = data[d + 2] = cur[s]!; data[d + 3] = bpp === 2 ? cur[s + 1]! : 255; }
      else { data[d] = cur[s]!; data[d + 1] = cur[s + 1]!; data[d + 2] = cur[s + 2]!; data[d + 3] = bpp === 4 ? cur[s + 3]! : 255; }
    }
    prev.set(cur);
  }
  return { width, height, data };
}
