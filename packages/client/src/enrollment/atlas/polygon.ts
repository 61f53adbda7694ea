/** Small polygon helpers for enrollment (pixel units). */
export type Polygon = readonly (readonly [number, number])[];

/** Even-odd test. */
export function pointInPolygon(x: number, y: number, poly: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!, [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Calls `fn` with the RGBA offset of every pixel of a width × height image whose centre is inside `poly`. */
export function forEachPixelIn(width: number, height: number, poly: Polygon, fn: (offset: number) => void): void {
  const xs = poly.map((q) => q[0]), ys = poly.map((q) => q[1]);
  for (let y = Math.max(0, Math.floor(Math.min(...ys))); y <= Math.min(height - 1, Math.ceil(Math.max(...ys))); y++) {
    for (let x = Math.max(0, Math.floor(Math.min(...xs))); x <= Math.min(width - 1, Math.ceil(Math.max(...xs))); x++) {
      if (pointInPolygon(x + 0.5, y + 0.5, poly)) fn((y * width + x) * 4);
    }
  }
}
