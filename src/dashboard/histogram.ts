/** Histograms for the dataset page (browser-safe; the server bins, the page draws the bars). */

/** `counts[i]` values fall in [edges[i], edges[i + 1]) — the last bin includes its upper edge. */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/**
 * Bins the finite values into at most `bins` equal-width bins between their min and max.
 * `integer`: the values are counts (episode lengths), so bins are whole numbers wide and start at
 * the min, and a bin never splits one value from its neighbours unevenly.
 */
export function histogram(values: ArrayLike<number>, o: { bins: number; integer?: boolean }): Histogram {
  if (!(Number.isSafeInteger(o.bins) && o.bins >= 1)) throw new RangeError(`histogram: bins must be an integer >= 1, got ${o.bins}`);
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { edges: [], counts: [] };
  let width: number, n: number;
  if (o.integer) {
    width = Math.max(1, Math.ceil((max - min + 1) / o.bins));
    n = Math.ceil((max - min + 1) / width);
  } else if (min === max) {
    return { edges: [min, max], counts: [countFinite(values)] };
  } else {
    width = (max - min) / o.bins;
    n = o.bins;
  }
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) counts[Math.min(n - 1, Math.floor((v - min) / width))]!++;
  }
  // the last edge is the max itself for real values (float steps would land beside it)
  const edges = Array.from({ length: n + 1 }, (_, i) => (i === n && !o.integer ? max : min + i * width));
  return { edges, counts };
}

function countFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  return n;
}

/** A number of bins for `n` values: about √n, between 5 and 40. */
export function binsFor(n: number): number {
  return Math.min(40, Math.max(5, Math.ceil(Math.sqrt(n))));
}
