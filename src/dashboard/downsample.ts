/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps `threshold` points of a line so that
 * it still looks like the original — peaks and dips survive, unlike plain striding, because in
 * each bucket it keeps the point that spans the largest triangle with its neighbours. Pure, so
 * the server and tests can use it alike.
 */

/**
 * Indices of the points to keep, ascending; always the first and the last. `xs` must be sorted.
 * With `threshold` >= the number of points every index is returned.
 */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = xs.length;
  if (ys.length !== n) throw new RangeError(`lttb: ${n} x values but ${ys.length} y values`);
  if (!(Number.isInteger(threshold) && threshold >= 2)) throw new RangeError(`lttb: threshold must be an integer >= 2, got ${threshold}`);
  if (n <= threshold) return Array.from({ length: n }, (_, i) => i);

  const kept = [0];
  // The first and last points are kept as they are; the n - 2 others fall into threshold - 2 buckets.
  const bucketSize = (n - 2) / (threshold - 2);
  let previous = 0;
  for (let b = 0; b < threshold - 2; b++) {
    const start = Math.floor(b * bucketSize) + 1;
    const end = Math.floor((b + 1) * bucketSize) + 1;
    // The third corner of the triangle: the mean of the next bucket (or the last point).
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((b + 2) * bucketSize) + 1, n);
    let meanX = 0, meanY = 0;
    for (let i = nextStart; i < nextEnd; i++) {
      meanX += xs[i]!;
      meanY += ys[i]!;
    }
    const count = nextEnd - nextStart;
    meanX /= count;
    meanY /= count;

    const px = xs[previous]!, py = ys[previous]!;
    let best = start, bestArea = -1;
    for (let i = start; i < end; i++) {
      const area = Math.abs((px - meanX) * (ys[i]! - py) - (px - xs[i]!) * (meanY - py));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    kept.push(best);
    previous = best;
  }
  kept.push(n - 1);
  return kept;
}

/** Columns of a series as the API sends them: env step, wall-clock seconds and value per point. */
export interface SeriesColumns {
  steps: number[];
  walls: number[];
  values: number[];
}

/** Keeps `threshold` points of `columns` by LTTB over (step, value). */
export function downsampleColumns(columns: SeriesColumns, threshold: number): SeriesColumns {
  const keep = lttbIndices(columns.steps, columns.values, threshold);
  if (keep.length === columns.steps.length) return columns;
  return { steps: keep.map((i) => columns.steps[i]!), walls: keep.map((i) => columns.walls[i]!), values: keep.map((i) => columns.values[i]!) };
}
