/**
 * A tiny anti-aliased software rasterizer over a RenderTarget. Coordinates are in pixels with
 * pixel centres on integers (pixel (x, y) covers [x - 0.5, x + 0.5) × [y - 0.5, y + 0.5)),
 * y pointing down. Every shape is a filled polygon, so there is one coverage routine.
 */
import type { RenderTarget } from "../kernel.js";

export type Rgb = readonly [r: number, g: number, b: number];

/** Sub-scanlines per pixel row; horizontal coverage is exact. */
const SUBSAMPLES = 4;

// Scratch buffers, grown on demand: rendering is single-threaded and not re-entrant.
let coverage = new Float32Array(0);
let crossings = new Float64Array(0);
let circlePoints = new Float64Array(0);

export function fill(target: RenderTarget, color: Rgb): void {
  const { data } = target;
  for (let p = 0; p < data.length; p += 3) {
    data[p] = color[0];
    data[p + 1] = color[1];
    data[p + 2] = color[2];
  }
}

/**
 * Fills the polygon with vertices `[x0, y0, x1, y1, ...]` (even-odd rule, so concave and
 * self-intersecting outlines work), blending edge pixels by their covered area.
 */
export function fillPolygon(target: RenderTarget, points: ArrayLike<number>, color: Rgb): void {
  const { width, height, data } = target;
  const n = points.length >> 1;
  if (n < 3) return;
  if (coverage.length < width) coverage = new Float32Array(width);
  if (crossings.length < n) crossings = new Float64Array(n);

  let minY = Infinity, maxY = -Infinity;
  for (let k = 0; k < n; k++) {
    const y = points[2 * k + 1]!;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const rowStart = Math.max(0, Math.round(minY));
  const rowEnd = Math.min(height - 1, Math.round(maxY));

  for (let row = rowStart; row <= rowEnd; row++) {
    let touchedMin = width, touchedMax = -1;
    for (let s = 0; s < SUBSAMPLES; s++) {
      const y = row - 0.5 + (s + 0.5) / SUBSAMPLES;
      let count = 0;
      for (let k = 0, j = n - 1; k < n; j = k++) {
        const xk = points[2 * k]!, yk = points[2 * k + 1]!;
        const xj = points[2 * j]!, yj = points[2 * j + 1]!;
        // Half-open in y so a vertex shared by two edges is counted once.
        if ((yk <= y && y < yj) || (yj <= y && y < yk)) crossings[count++] = xk + ((y - yk) * (xj - xk)) / (yj - yk);
      }
      const sorted = crossings.subarray(0, count).sort();
      for (let c = 0; c + 1 < count; c += 2) {
        // Shift by half a pixel so pixel px covers [px, px + 1).
        const a = Math.max(0, sorted[c]! + 0.5);
        const b = Math.min(width, sorted[c + 1]! + 0.5);
        if (b <= a) continue;
        const ia = Math.floor(a), ib = Math.min(width - 1, Math.floor(b));
        if (ia < touchedMin) touchedMin = ia;
        if (ib > touchedMax) touchedMax = ib;
        if (ia === ib) {
          coverage[ia]! += (b - a) / SUBSAMPLES;
          continue;
        }
        coverage[ia]! += (ia + 1 - a) / SUBSAMPLES;
        for (let px = ia + 1; px < ib; px++) coverage[px]! += 1 / SUBSAMPLES;
        coverage[ib]! += (b - ib) / SUBSAMPLES;
      }
    }
    for (let px = touchedMin; px <= touchedMax; px++) {
      const alpha = Math.min(1, coverage[px]!);
      coverage[px] = 0;
      if (alpha <= 0) continue;
      const p = (row * width + px) * 3;
      data[p] = Math.round(data[p]! + (color[0] - data[p]!) * alpha);
      data[p + 1] = Math.round(data[p + 1]! + (color[1] - data[p + 1]!) * alpha);
      data[p + 2] = Math.round(data[p + 2]! + (color[2] - data[p + 2]!) * alpha);
    }
  }
}

export function fillCircle(target: RenderTarget, cx: number, cy: number, radius: number, color: Rgb): void {
  if (radius <= 0) return;
  // Chord error below a tenth of a pixel keeps the outline visually round.
  const segments = Math.max(12, Math.ceil(Math.PI / Math.acos(Math.max(0, 1 - 0.1 / radius))));
  if (circlePoints.length < 2 * segments) circlePoints = new Float64Array(2 * segments);
  const points = circlePoints.subarray(0, 2 * segments);
  for (let k = 0; k < segments; k++) {
    const angle = (2 * Math.PI * k) / segments;
    points[2 * k] = cx + radius * Math.cos(angle);
    points[2 * k + 1] = cy + radius * Math.sin(angle);
  }
  fillPolygon(target, points, color);
}

/** A segment of the given width, drawn as a rectangle with butt ends. */
export function line(target: RenderTarget, x0: number, y0: number, x1: number, y1: number, width: number, color: Rgb): void {
  const length = Math.hypot(x1 - x0, y1 - y0);
  if (length === 0) return;
  const nx = (-(y1 - y0) / length) * (width / 2);
  const ny = ((x1 - x0) / length) * (width / 2);
  fillPolygon(target, [x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny], color);
}

/** Connected segments through `[x0, y0, x1, y1, ...]`; thick ones get round joints so corners have no notches. */
export function polyline(target: RenderTarget, points: ArrayLike<number>, width: number, color: Rgb): void {
  const n = points.length >> 1;
  for (let k = 0; k + 1 < n; k++) {
    line(target, points[2 * k]!, points[2 * k + 1]!, points[2 * k + 2]!, points[2 * k + 3]!, width, color);
    if (width > 2 && k > 0) fillCircle(target, points[2 * k]!, points[2 * k + 1]!, width / 2, color);
  }
}
