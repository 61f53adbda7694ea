/**
 * The generator's landmark image, ported from models/neural/landmarks.py: colour-coded
 * face-part polylines of MediaPipe indices on black, drawn in PARTS order (later parts over
 * earlier ones) with Pillow's `ImageDraw.line` semantics.
 *
 * Width 1 (images up to 95 px, e.g. the 64-px models) reproduces Pillow exactly: coordinates
 * truncated toward zero, Bresenham segments without their end pixel, then the last point
 * (Pillow's `draw_lines`). Wider lines (128+ px models) are drawn as round-capped thick
 * segments — close to, not bit-exact with, Pillow's polygon + "curve" joints.
 */

/** [name, MediaPipe indices, closed, RGB]. Same order, indices and colours as landmarks.py PARTS. */
export const LANDMARK_PARTS: readonly (readonly [string, readonly number[], boolean, readonly [number, number, number]])[] = [
  ['face_oval', [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109], true, [255, 255, 255]],
  ['right_brow', [46, 53, 52, 65, 55, 107, 66, 105, 63, 70], true, [255, 128, 0]],
  ['left_brow', [276, 283, 282, 295, 285, 336, 296, 334, 293, 300], true, [255, 255, 0]],
  ['nose_bridge', [168, 6, 197, 195, 5, 4, 1, 19, 94, 2], false, [0, 0, 255]],
  ['nostrils', [98, 97, 2, 326, 327], false, [0, 128, 255]],
  ['right_eye', [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246], true, [0, 255, 0]],
  ['left_eye', [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466], true, [0, 255, 128]],
  ['right_iris', [469, 470, 471, 472], true, [128, 255, 0]],
  ['left_iris', [474, 475, 476, 477], true, [0, 255, 255]],
  ['outer_lips', [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185], true, [255, 0, 0]],
  ['inner_lips', [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191], true, [255, 0, 255]],
];

/** The 36 face-oval indices (the crop box is their bounding box). */
export const FACE_OVAL: readonly number[] = LANDMARK_PARTS[0]![1];

/** Polyline width for a square image of `size` px: max(1, round(size / 64)) (Python rounding). */
export function lineWidth(size: number): number {
  return Math.max(1, roundHalfEven(size / 64));
}

/** Python 3 `round()` for floats: halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

type Rgb = readonly [number, number, number];

function put(img: Uint8Array, size: number, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= size || y >= size) return;
  const o = (y * size + x) * 3;
  img[o] = c[0]; img[o + 1] = c[1]; img[o + 2] = c[2];
}

/** Pillow's ImagingDrawLine (line8/line32): Bresenham from (x0,y0), end pixel excluded. */
function bresenham(img: Uint8Array, size: number, x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
  let dx = x1 - x0, dy = y1 - y0;
  const xs = dx < 0 ? -1 : 1, ys = dy < 0 ? -1 : 1;
  dx = Math.abs(dx); dy = Math.abs(dy);
  if (dx === 0) {
    for (let i = 0; i < dy; i++) { put(img, size, x0, y0, c); y0 += ys; }
  } else if (dy === 0) {
    for (let i = 0; i < dx; i++) { put(img, size, x0, y0, c); x0 += xs; }
  } else if (dx > dy) {
    const n = dx; dy += dy; let e = dy - dx; dx += dx;
    for (let i = 0; i < n; i++) {
      put(img, size, x0, y0, c);
      if (e >= 0) { y0 += ys; e -= dx; }
      e += dy; x0 += xs;
    }
  } else {
    const n = dy; dx += dx; let e = dx - dy; dy += dy;
    for (let i = 0; i < n; i++) {
      put(img, size, x0, y0, c);
      if (e >= 0) { x0 += xs; e -= dy; }
      e += dx; y0 += ys;
    }
  }
}

/** Thick round-capped segment: pixels whose centre lies within w/2 of the segment. */
function thickSegment(img: Uint8Array, size: number, ax: number, ay: number, bx: number, by: number, w: number, c: Rgb): void {
  const r = w / 2;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r)), x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + r));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r)), y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + r));
  const vx = bx - ax, vy = by - ay, l2 = vx * vx + vy * vy;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const t = l2 > 0 ? Math.min(1, Math.max(0, ((x - ax) * vx + (y - ay) * vy) / l2)) : 0;
      const ex = x - (ax + t * vx), ey = y - (ay + t * vy);
      if (ex * ex + ey * ey <= r * r) put(img, size, x, y, c);
    }
  }
}

/**
 * Draws the face parts into a new size×size RGB8 image. `points` holds 478 landmarks with
 * `stride` values each (x, y first), in pixel coordinates of the image.
 */
export function rasteriseLandmarks(points: ArrayLike<number>, size: number, stride = 3, out?: Uint8Array): Uint8Array {
  const img = out ?? new Uint8Array(size * size * 3);
  if (img.length !== size * size * 3) throw new TypeError(`landmark image buffer must hold ${size * size * 3} bytes`);
  img.fill(0);
  const w = lineWidth(size);
  for (const [, idx, closed, colour] of LANDMARK_PARTS) {
    const n = idx.length + (closed ? 1 : 0);
    const px = (k: number): number => points[idx[k % idx.length]! * stride]!;
    const py = (k: number): number => points[idx[k % idx.length]! * stride + 1]!;
    if (w <= 1) {
      for (let k = 0; k < n - 1; k++) bresenham(img, size, Math.trunc(px(k)), Math.trunc(py(k)), Math.trunc(px(k + 1)), Math.trunc(py(k + 1)), colour);
      put(img, size, Math.trunc(px(n - 1)), Math.trunc(py(n - 1)), colour);
    } else {
      for (let k = 0; k < n - 1; k++) thickSegment(img, size, px(k), py(k), px(k + 1), py(k + 1), w, colour);
    }
  }
  return img;
}
