/**
 * Learning curves from recorded rows: per-run smoothing, resampling onto a common x grid and,
 * for groups of runs (seeds), the mean with a Student-t confidence band. Pure functions (no
 * Node imports) so the CLI plots and the dashboard draw the same curves.
 */

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
  /** confidence band; equal to the mean where fewer than 2 runs cover x */
  lower: number[];
  upper: number[];
  /** number of runs averaged at each x */
  count: number[];
  runs: number;
  /** its colour (default: the palette in group order) */
  color?: string;
}

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

/**
 * The mean curve of several runs on `gridPoints` evenly spaced x values up to the furthest run.
 * A run's value at x is its latest point at or before x (a step function); it counts only
 * between its first and last x, so a shorter run does not drag the tail.
 */
export function groupCurve(label: string, runs: readonly (readonly Point[])[], options: { gridPoints?: number; confidence?: number } = {}): GroupCurve {
  const gridPoints = options.gridPoints ?? 200;
  const confidence = options.confidence ?? 0.95;
  const nonEmpty = runs.filter((r) => r.length > 0);
  const start = Math.min(...nonEmpty.map((r) => r[0]!.x));
  const end = Math.max(...nonEmpty.map((r) => r[r.length - 1]!.x));
  const curve: GroupCurve = { label, x: [], mean: [], lower: [], upper: [], count: [], runs: runs.length };
  if (nonEmpty.length === 0) return curve;
  const cursors = nonEmpty.map(() => 0);
  const values: number[] = [];
  for (let g = 0; g < gridPoints; g++) {
    const x = gridPoints === 1 ? end : start + ((end - start) * g) / (gridPoints - 1);
    values.length = 0;
    nonEmpty.forEach((run, r) => {
      if (x < run[0]!.x || x > run[run.length - 1]!.x) return;
      let c = cursors[r]!;
      while (c + 1 < run.length && run[c + 1]!.x <= x) c++;
      cursors[r] = c;
      values.push(run[c]!.y);
    });
    if (values.length === 0) continue;
    const n = values.length;
    const mean = values.reduce((a, b) => a + b, 0) / n;
    let half = 0;
    if (n >= 2) {
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
      half = studentTQuantile((1 + confidence) / 2, n - 1) * Math.sqrt(variance / n);
    }
    curve.x.push(x);
    curve.mean.push(mean);
    curve.lower.push(mean - half);
    curve.upper.push(mean + half);
    curve.count.push(n);
  }
  return curve;
}

/**
 * P(|T| < t) for Student's t with integer `df` degrees of freedom, from the closed forms in
 * Abramowitz & Stegun 26.7.3–4 (exact for integer df, which seed counts always are).
 */
export function studentTCentralProbability(t: number, df: number): number {
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (df % 2 === 1) {
    let term = 1;
    let sum = df > 1 ? 1 : 0;
    for (let k = 3; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      sum += term;
    }
    return (2 / Math.PI) * (theta + s * Math.cos(theta) * sum);
  }
  let term = 1;
  let sum = 1;
  for (let k = 2; k <= df - 2; k += 2) {
    term *= ((k - 1) / k) * c2;
    sum += term;
  }
  return s * sum;
}

/** The `p` quantile (p > 0.5) of Student's t with integer `df`, by bisection on the exact CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0.5 && p < 1)) throw new RangeError(`quantile must be in (0.5, 1), got ${p}`);
  if (!(Number.isInteger(df) && df >= 1)) throw new RangeError(`degrees of freedom must be an integer >= 1, got ${df}`);
  const target = 2 * p - 1;
  let lo = 0;
  let hi = 1;
  while (studentTCentralProbability(hi, df) < target) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCentralProbability(mid, df) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
