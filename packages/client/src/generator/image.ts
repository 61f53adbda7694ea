/** A CPU RGBA8 image, row-major, top row first. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export function createImage(width: number, height: number, fill?: readonly [number, number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  if (fill) for (let i = 0; i < data.length; i += 4) { data[i] = fill[0]; data[i + 1] = fill[1]; data[i + 2] = fill[2]; data[i + 3] = fill[3]; }
  return { width, height, data };
}

/** Rec. 601 luma of an RGB triple (0–255). */
export function luminance(c: ArrayLike<number>): number {
  return 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
}

/** Bilinear sample at pixel coordinates (pixel centres at i + 0.5), clamped to the edge. Writes RGBA into out[o..o+3]. */
export function sampleBilinear(img: RgbaImage, x: number, y: number, out: Float32Array | number[], o = 0): void {
  const w = img.width, h = img.height, d = img.data;
  let fx = x - 0.5, fy = y - 0.5;
  if (fx < 0) fx = 0; else if (fx > w - 1) fx = w - 1;
  if (fy < 0) fy = 0; else if (fy > h - 1) fy = h - 1;
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  const x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
  const ax = fx - x0, ay = fy - y0;
  const i00 = (y0 * w + x0) * 4, i10 = (y0 * w + x1) * 4, i01 = (y1 * w + x0) * 4, i11 = (y1 * w + x1) * 4;
  for (let c = 0; c < 4; c++) {
    const top = d[i00 + c]! + (d[i10 + c]! - d[i00 + c]!) * ax;
    const bot = d[i01 + c]! + (d[i11 + c]! - d[i01 + c]!) * ax;
    out[o + c] = top + (bot - top) * ay;
  }
}

/** Resamples to a new size (bilinear; box-prefiltered by repeated halving when shrinking a lot). */
export function resize(img: RgbaImage, width: number, height: number): RgbaImage {
  let src = img;
  while (src.width >= width * 2 && src.height >= height * 2) src = halve(src);
  const out = createImage(width, height);
  const px = new Float32Array(4);
  const sx = src.width / width, sy = src.height / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      sampleBilinear(src, (x + 0.5) * sx, (y + 0.5) * sy, px);
      const o = (y * width + x) * 4;
      out.data[o] = px[0]!; out.data[o + 1] = px[1]!; out.data[o + 2] = px[2]!; out.data[o + 3] = px[3]!;
    }
  }
  return out;
}

function halve(img: RgbaImage): RgbaImage {
  const w = img.width >> 1, h = img.height >> 1;
  const out = createImage(w, h);
  const d = img.data, W = img.width;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const a = (2 * y * W + 2 * x) * 4, b = a + W * 4;
    for (let c = 0; c < 4; c++) out.data[(y * w + x) * 4 + c] = (d[a + c]! + d[a + 4 + c]! + d[b + c]! + d[b + 4 + c]! + 2) >> 2;
  }
  return out;
}

/**
 * Push-pull hole filling: pixels whose mask is 0 get a smooth extrapolation of the masked
 * pixels around them (an image pyramid down with masked averaging, back up with bilinear fill).
 */
export function pushPullFill(img: RgbaImage, mask: Float32Array): void {
  const levels: { w: number; h: number; c: Float32Array; m: Float32Array }[] = [];
  let w = img.width, h = img.height;
  let c = new Float32Array(w * h * 3), m = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const k = mask[i]! > 0 ? 1 : 0;
    m[i] = k;
    for (let j = 0; j < 3; j++) c[i * 3 + j] = img.data[i * 4 + j]! * k;
  }
  levels.push({ w, h, c, m });
  while (w > 1 || h > 1) {
    const nw = Math.max(1, (w + 1) >> 1), nh = Math.max(1, (h + 1) >> 1);
    const nc = new Float32Array(nw * nh * 3), nm = new Float32Array(nw * nh);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x, o = (y >> 1) * nw + (x >> 1);
      nm[o]! += m[i]!;
      for (let j = 0; j < 3; j++) nc[o * 3 + j]! += c[i * 3 + j]!;
    }
    // Normalise to premultiplied averages with weight ≤ 1.
    for (let i = 0; i < nw * nh; i++) {
      const s = nm[i]!;
      if (s > 0) { for (let j = 0; j < 3; j++) nc[i * 3 + j]! /= s; nm[i] = Math.min(1, s); for (let j = 0; j < 3; j++) nc[i * 3 + j]! *= nm[i]!; }
    }
    w = nw; h = nh; c = nc; m = nm;
    levels.push({ w, h, c, m });
  }
  // Pull: fill each level's missing weight from the coarser level.
  for (let l = levels.length - 2; l >= 0; l--) {
    const fine = levels[l]!, coarse = levels[l + 1]!;
    for (let y = 0; y < fine.h; y++) for (let x = 0; x < fine.w; x++) {
      const i = y * fine.w + x;
      const mi = fine.m[i]!;
      if (mi >= 1) continue;
      // Bilinear lookup into the coarse level.
      const cx = Math.min(coarse.w - 1, Math.max(0, (x + 0.5) / 2 - 0.5)), cy = Math.min(coarse.h - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
      const x0 = Math.floor(cx), y0 = Math.floor(cy), x1 = Math.min(coarse.w - 1, x0 + 1), y1 = Math.min(coarse.h - 1, y0 + 1);
      const ax = cx - x0, ay = cy - y0;
      const wts = [(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay];
      const ids = [y0 * coarse.w + x0, y0 * coarse.w + x1, y1 * coarse.w + x0, y1 * coarse.w + x1];
      let cm = 0; const cc = [0, 0, 0];
      for (let k = 0; k < 4; k++) { cm += wts[k]! * coarse.m[ids[k]!]!; for (let j = 0; j < 3; j++) cc[j]! += wts[k]! * coarse.c[ids[k]! * 3 + j]!; }
      if (cm <= 0) continue;
      const add = 1 - mi;
      for (let j = 0; j < 3; j++) fine.c[i * 3 + j]! += add * cc[j]! / cm;
      fine.m[i] = 1;
    }
  }
  const top = levels[0]!;
  for (let i = 0; i < img.width * img.height; i++) {
    if (mask[i]! > 0) continue;
    const mm = top.m[i]! || 1;
    for (let j = 0; j < 3; j++) img.data[i * 4 + j] = top.c[i * 3 + j]! / mm;
    img.data[i * 4 + 3] = 255;
  }
}
