/**
 * Learning curves from recorded rows: per-run smoothing, resampling onto a common x grid and,
 * for groups of runs (seeds), the mean with an interval that stays within what the runs did: a
 * bootstrap percentile interval of the mean for 3 or more runs, the runs' range for 2. Pure
 * functions (no Node imports) so the CLI plots and the dashboard draw the same curves.
 */
import { Random } from "../rng/random.js";
import { percentileInterval } from "../stats/bootstrap.js";

export interface Point {
  x: number;
  y: number;
}

export interface RunSeries {
  /** the run's label (its name) */
  label: string;
  /** points sorted by x */
  points: Point[];
  /** its line's colour (default: the palette in series order) */
  color?: string;
}

export interface GroupCurve {
  label: string;
  x: number[];
  mean: number[];
  /** the band: a 95% bootstrap interval of the mean (3+ runs), the runs' min–max (2), the mean (1) */
  lower: number[];
  upper: number[];
  /** number of runs averaged at each x (every run of the group: the curve ends where the shortest run ends) */
  count: number[];
  runs: number;
  /** its colour (default: the palette in group order) */
  color?: string;
}

/** What a group's band shows, for chart subtitles. */
export const GROUP_BAND = "mean of the runs up to the shortest one's end; band: 95% bootstrap CI (n ≥ 3) or range (n = 2)";

/** Trailing mean over the last `window` points (window 1 leaves the series as it is). */
export function smooth(points: readonly Point[], window: number): Point[] {
  if (!(Number.isInteger(window) && window >= 1)) throw new RangeError(`smoothing window must be an integer >= 1, got ${window}`);
  const out: Point[] = new Array(points.length);
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i]!.y;
    if (i >= window) sum -= points[i - window]!.y;
    out[i] = { x: points[i]!.x, y: sum / Math.min(i + 1, window) };
  }
  return out;
}

/** Keeps at most `maxPoints` points, evenly spaced by index, always including the last. */
export function thin(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return points.slice();
  const out: Point[] = [];
  const stride = (points.length - 1) / (maxPoints - 1);
  for (let i = 0; i < maxPoints; i++) out.push(points[Math.round(i * stride)]!);
  return out;
}

/** Bootstrap resamples per grid point for the band of 3 or more runs. */
const BAND_RESAMPLES = 1000;

/**
 * The mean curve of several runs on `gridPoints` evenly spaced x values over the span every run
 * covers (from the latest first point to the earliest last one): a mean that loses a run part
 * way would pass the remaining runs off as the group. A run's value at x is its latest point at
 * or before x (a step function). The band is seeded, so the same runs draw the same picture.
 */
export function groupCurve(label: string, runs: readonly (readonly Point[])[], options: { gridPoints?: number; confidence?: number; seed?: number } = {}): GroupCurve {
  const gridPoints = options.gridPoints ?? 200;
  const confidence = options.confidence ?? 0.95;
  const nonEmpty = runs.filter((r) => r.length > 0);
  const curve: GroupCurve = { label, x: [], mean: [], lower: [], upper: [], count: [], runs: runs.length };
  if (nonEmpty.length === 0) return curve;
  const start = Math.max(...nonEmpty.map((r) => r[0]!.x));
  const end = Math.min(...nonEmpty.map((r) => r[r.length - 1]!.x));
  if (end < start) return curve; // the runs do not overlap
  const random = new Random(options.seed ?? 0);
  const cursors = nonEmpty.map(() => 0);
  const n = nonEmpty.length;
  const values = new Float64Array(n);
  const draws = new Float64Array(BAND_RESAMPLES);
  const grid = end > start ? gridPoints : 1;
  for (let g = 0; g < grid; g++) {
    const x = grid === 1 ? end : start + ((end - start) * g) / (grid - 1);
    nonEmpty.forEach((run, r) => {
      let c = cursors[r]!;
      while (c + 1 < run.length && run[c + 1]!.x <= x) c++;
      cursors[r] = c;
      values[r] = run[c]!.y;
    });
    let sum = 0, min = Infinity, max = -Infinity;
    for (const v of values) {
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const mean = sum / n;
    let lower = mean, upper = mean;
    if (n === 2) [lower, upper] = [min, max];
    else if (n >= 3) {
      for (let b = 0; b < BAND_RESAMPLES; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += values[random.integer(n)]!;
        draws[b] = s / n;
      }
      [lower, upper] = percentileInterval(draws, confidence);
    }
    curve.x.push(x);
    curve.mean.push(mean);
    curve.lower.push(lower);
    curve.upper.push(upper);
    curve.count.push(n);
  }
  return curve;
}
