/**
 * Registration of the per-photo unwraps before they are fused into one atlas: the tracker places
 * each photo's mesh a pixel or two off the skin's detail (a crease, a lid line), so the same detail
 * lands at slightly different texels in each unwrap and the weighted average blurs it. Each unwrap
 * is moved onto a target (one photo's unwrap, or the weighted mean of all) by a smooth
 * displacement field found by block matching on the detail (luminance above a blur), over texels
 * both see. Used by buildWarpContent's `registerPhotos` diagnostic (not by default: it did not beat
 * plain fusion, models/RESULTS.md session 15).
 */
import { luminance } from '../../generator/image.ts';

export interface Unwrap {
  color: Float32Array;
  weight: Float32Array;
}

export interface RegisterOptions {
  /** Largest displacement searched, in texels (default 3). */
  maxShift?: number;
  /** Block spacing and half-size in texels (default 8 and 8). */
  step?: number;
  radius?: number;
  /** Texels count as seen above this fusion weight (default 0.01). */
  minWeight?: number;
}

/** Luminance minus its box blur (radius r, twice): the detail that registration matches. */
function detail(u: Unwrap, A: number, r: number): Float32Array {
  const lum = new Float32Array(A * A);
  for (let k = 0; k < A * A; k++) lum[k] = luminance(u.color.subarray(k * 3, k * 3 + 3));
  let blur: Float32Array = lum;
  for (let pass = 0; pass < 2; pass++) blur = boxBlur(blur, A, r);
  for (let k = 0; k < A * A; k++) lum[k] = lum[k]! - blur[k]!;
  return lum;
}

function boxBlur(src: Float32Array, A: number, r: number): Float32Array {
  const tmp = new Float32Array(A * A), out = new Float32Array(A * A);
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      let s = 0, n = 0;
      for (let d = -r; d <= r; d++) { const xx = x + d; if (xx >= 0 && xx < A) { s += src[y * A + xx]!; n++; } }
      tmp[y * A + x] = s / n;
    }
  }
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      let s = 0, n = 0;
      for (let d = -r; d <= r; d++) { const yy = y + d; if (yy >= 0 && yy < A) { s += tmp[yy * A + x]!; n++; } }
      out[y * A + x] = s / n;
    }
  }
  return out;
}

/** Bilinear sample of a one-channel A×A image (edge clamp). */
function sample1(img: Float32Array, A: number, x: number, y: number): number {
  x = Math.min(A - 1, Math.max(0, x)); y = Math.min(A - 1, Math.max(0, y));
  const x0 = Math.floor(x), y0 = Math.floor(y), x1 = Math.min(A - 1, x0 + 1), y1 = Math.min(A - 1, y0 + 1);
  const fx = x - x0, fy = y - y0;
  const a = img[y0 * A + x0]! + (img[y0 * A + x1]! - img[y0 * A + x0]!) * fx;
  const b = img[y1 * A + x0]! + (img[y1 * A + x1]! - img[y1 * A + x0]!) * fx;
  return a + (b - a) * fy;
}

/**
 * Displacement field (per texel, dx and dy in texels) that moves `moving` onto `ref`: SSD block
 * matching of their detail on a grid, sub-texel by a parabola through the best shift's neighbours,
 * kept only where the match is clearly better than no shift; then a 3×3 median and bilinear
 * interpolation over the whole atlas (no match: no shift).
 */
export function displacement(ref: Unwrap, moving: Unwrap, A: number, options: RegisterOptions = {}): { dx: Float32Array; dy: Float32Array; matched: number } {
  const S = options.maxShift ?? 3, step = options.step ?? 8, R = options.radius ?? 8, minW = options.minWeight ?? 0.01;
  const dr = detail(ref, A, 3), dm = detail(moving, A, 3);
  const G = Math.floor(A / step);
  const gx = new Float32Array(G * G), gy = new Float32Array(G * G), ok = new Uint8Array(G * G);
  const ssd = new Float64Array((2 * S + 1) ** 2);
  let matched = 0;
  for (let by = 0; by < G; by++) {
    for (let bx = 0; bx < G; bx++) {
      const cx = bx * step + (step >> 1), cy = by * step + (step >> 1);
      if (cx - R - S < 0 || cy - R - S < 0 || cx + R + S >= A || cy + R + S >= A) continue;
      // Both unwraps must see the whole block (and its search margin, for the moving one).
      let seen = true, energy = 0;
      for (let y = cy - R; y <= cy + R && seen; y++) {
        for (let x = cx - R; x <= cx + R; x++) {
          if (ref.weight[y * A + x]! < minW || moving.weight[y * A + x]! < minW) { seen = false; break; }
          energy += dr[y * A + x]! ** 2;
        }
      }
      if (!seen || energy < 4 * (2 * R + 1) ** 2) continue; // flat skin: nothing to match
      let best = 0;
      for (let sy = -S; sy <= S; sy++) {
        for (let sx = -S; sx <= S; sx++) {
          let e = 0;
          for (let y = cy - R; y <= cy + R; y++) {
            const rr = y * A, rm = (y + sy) * A + sx;
            for (let x = cx - R; x <= cx + R; x++) { const d = dr[rr + x]! - dm[rm + x]!; e += d * d; }
          }
          const i = (sy + S) * (2 * S + 1) + (sx + S);
          ssd[i] = e;
          if (e < ssd[best]!) best = i;
        }
      }
      const zero = ssd[S * (2 * S + 1) + S]!;
      if (!(ssd[best]! < 0.9 * zero)) continue;
      const bsx = (best % (2 * S + 1)) - S, bsy = Math.floor(best / (2 * S + 1)) - S;
      const at = (sx: number, sy: number) => ssd[(sy + S) * (2 * S + 1) + (sx + S)]!;
      const para = (m: number, c: number, p: number) => { const den = m - 2 * c + p; return den > 0 ? Math.max(-0.5, Math.min(0.5, 0.5 * (m - p) / den)) : 0; };
      const fx = Math.abs(bsx) < S ? para(at(bsx - 1, bsy), at(bsx, bsy), at(bsx + 1, bsy)) : 0;
      const fy = Math.abs(bsy) < S ? para(at(bsx, bsy - 1), at(bsx, bsy), at(bsx, bsy + 1)) : 0;
      gx[by * G + bx] = bsx + fx; gy[by * G + bx] = bsy + fy; ok[by * G + bx] = 1;
      matched++;
    }
  }
  // 3×3 median over the matched neighbours (outliers), unmatched blocks stay at 0.
  const med = (g: Float32Array) => {
    const out = new Float32Array(G * G), v: number[] = [];
    for (let y = 0; y < G; y++) {
      for (let x = 0; x < G; x++) {
        if (!ok[y * G + x]) continue;
        v.length = 0;
        for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) {
          const xx = x + i, yy = y + j;
          if (xx >= 0 && yy >= 0 && xx < G && yy < G && ok[yy * G + xx]) v.push(g[yy * G + xx]!);
        }
        v.sort((a, b) => a - b);
        out[y * G + x] = v[v.length >> 1]!;
      }
    }
    return out;
  };
  const mx = med(gx), my = med(gy);
  const dx = new Float32Array(A * A), dy = new Float32Array(A * A);
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      const u = (x + 0.5) / step - 0.5, v = (y + 0.5) / step - 0.5;
      dx[y * A + x] = sample1(mx, G, u, v);
      dy[y * A + x] = sample1(my, G, u, v);
    }
  }
  return { dx, dy, matched };
}

/** `moving` resampled at texel + displacement (colour and weight, bilinear). */
export function applyDisplacement(moving: Unwrap, A: number, dx: Float32Array, dy: Float32Array): Unwrap {
  const color = new Float32Array(A * A * 3), weight = new Float32Array(A * A);
  const ch = [new Float32Array(A * A), new Float32Array(A * A), new Float32Array(A * A)];
  for (let k = 0; k < A * A; k++) for (let c = 0; c < 3; c++) ch[c]![k] = moving.color[k * 3 + c]!;
  for (let y = 0; y < A; y++) {
    for (let x = 0; x < A; x++) {
      const k = y * A + x;
      if (dx[k] === 0 && dy[k] === 0) {
        weight[k] = moving.weight[k]!;
        for (let c = 0; c < 3; c++) color[k * 3 + c] = ch[c]![k]!;
        continue;
      }
      const sx = x + dx[k]!, sy = y + dy[k]!;
      // No data leaks in: the nearest texel's weight must be there too.
      const w = moving.weight[Math.min(A - 1, Math.max(0, Math.round(sy))) * A + Math.min(A - 1, Math.max(0, Math.round(sx)))]!;
      weight[k] = Math.min(w, moving.weight[k]!);
      for (let c = 0; c < 3; c++) color[k * 3 + c] = sample1(ch[c]!, A, sx, sy);
    }
  }
  return { color, weight };
}

/**
 * Registers every unwrap onto unwraps[reference] (which stays as it is), or with `reference` null
 * onto their fusion-weighted mean (every unwrap moves). Returns new unwraps; the inputs are unchanged.
 */
export function registerUnwraps(unwraps: readonly Unwrap[], reference: number | null, A: number, options: RegisterOptions = {}): Unwrap[] {
  let target: Unwrap;
  if (reference === null) {
    const color = new Float32Array(A * A * 3), weight = new Float32Array(A * A);
    for (let k = 0; k < A * A; k++) {
      let W = 0;
      for (const u of unwraps) {
        const w = u.weight[k]!;
        W += w;
        for (let j = 0; j < 3; j++) color[k * 3 + j]! += w * u.color[k * 3 + j]!;
      }
      if (W > 0) for (let j = 0; j < 3; j++) color[k * 3 + j]! /= W;
      weight[k] = W;
    }
    target = { color, weight };
  } else {
    if (!Number.isInteger(reference) || reference < 0 || reference >= unwraps.length) throw new RangeError(`reference ${reference} is not one of the ${unwraps.length} unwraps`);
    target = unwraps[reference]!;
  }
  return unwraps.map((u, i) => {
    if (i === reference) return u;
    const d = displacement(target, u, A, options);
    return applyDisplacement(u, A, d.dx, d.dy);
  });
}
