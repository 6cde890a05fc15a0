/**
 * Stratified bootstrap percentile confidence intervals, as rliable's `get_interval_estimates`
 * computes them (arch's `conf_int(method="percentile")` over `StratifiedBootstrap` resamples):
 * runs are resampled with replacement independently within each task (optionally tasks too),
 * and the interval is numpy's linear-interpolation percentiles of the resampled statistic.
 */
import { Random } from "../rng/random.js";
import type { Seed } from "../rng/seed-sequence.js";
import { type AggregateMetric, probabilityOfImprovement, ScoreTable, type Scores } from "./aggregates.js";

export interface BootstrapOptions {
  /** bootstrap resamples (rliable: 50000) */
  reps?: number;
  /** coverage of the interval (rliable: 0.95) */
  confidence?: number;
  /** resample tasks with replacement as well as runs (rliable's `task_bootstrap`) */
  taskBootstrap?: boolean;
  /** seeds tsrl's `Random`; rliable draws from numpy's unseeded global stream instead */
  seed?: Seed;
}

export interface IntervalEstimate {
  /** the metric on the scores themselves */
  estimate: number;
  lower: number;
  upper: number;
}

interface ResolvedOptions {
  reps: number;
  confidence: number;
  taskBootstrap: boolean;
  random: Random;
}

export function resolveBootstrapOptions(options: BootstrapOptions, defaultReps: number): ResolvedOptions {
  const { reps = defaultReps, confidence = 0.95, taskBootstrap = false, seed = 0 } = options;
  if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`reps must be a positive integer, got ${reps}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return { reps, confidence, taskBootstrap, random: new Random(seed) };
}

/** `np.percentile(values, q)` with numpy's default linear interpolation, for sorted `values`. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const index = (n - 1) * (q / 100);
  if (index >= n - 1) return sorted[n - 1]!;
  if (index <= 0) return sorted[0]!;
  const below = Math.floor(index);
  const weight = index - below;
  const a = sorted[below]!;
  const b = sorted[below + 1]!;
  const diff = b - a;
  // numpy's _lerp interpolates from the nearer end
  return weight >= 0.5 ? b - diff * (1 - weight) : a + diff * weight;
}

/** The percentile interval of bootstrap draws (sorted in place), as arch computes it. */
export function percentileInterval(draws: Float64Array, confidence: number): [number, number] {
  draws.sort();
  const alpha = (1 - confidence) / 2;
  return [percentileOfSorted(draws, 100 * alpha), percentileOfSorted(draws, 100 * (1 - alpha))];
}

/** Fills `sample` with a stratified resample of `source` (same shape). */
function resample(source: ScoreTable, sample: ScoreTable, random: Random, taskBootstrap: boolean): void {
  const { runs, tasks } = source;
  for (let t = 0; t < tasks; t++) {
    const from = (taskBootstrap ? random.integer(tasks) : t) * runs;
    const to = t * runs;
    for (let r = 0; r < runs; r++) sample.values[to + r] = source.values[from + random.integer(runs)]!;
  }
}

/**
 * Bootstrap draws of several statistics computed on the same resamples:
 * `draws[i][rep]` is `statistic` output `i` on resample `rep`.
 */
export function bootstrapDraws(
  table: ScoreTable,
  count: number,
  statistic: (sample: ScoreTable, out: Float64Array) => void,
  options: ResolvedOptions,
): Float64Array[] {
  const sample = new ScoreTable(table.runs, table.tasks, new Float64Array(table.values.length));
  const out = new Float64Array(count);
  const draws = Array.from({ length: count }, () => new Float64Array(options.reps));
  for (let rep = 0; rep < options.reps; rep++) {
    resample(table, sample, options.random, options.taskBootstrap);
    statistic(sample, out);
    for (let i = 0; i < count; i++) draws[i]![rep] = out[i]!;
  }
  return draws;
}

/** rliable `get_interval_estimates` for one algorithm and one metric. */
export function intervalEstimate(scores: Scores, metric: AggregateMetric, options: BootstrapOptions = {}): IntervalEstimate {
  return intervalEstimates(scores, { metric }, options).metric;
}

/**
 * rliable `get_interval_estimates` for several metrics at once (e.g. median, IQM, mean and
 * optimality gap): every metric is computed on the same resamples.
 */
export function intervalEstimates<Name extends string>(
  scores: Scores,
  metrics: Readonly<Record<Name, AggregateMetric>>,
  options: BootstrapOptions = {},
): Record<Name, IntervalEstimate> {
  const table = ScoreTable.from(scores);
  const resolved = resolveBootstrapOptions(options, 50000);
  const names = Object.keys(metrics) as Name[];
  const statistic = (sample: ScoreTable, out: Float64Array): void => {
    for (let i = 0; i < names.length; i++) out[i] = metrics[names[i]!](sample);
  };
  const draws = bootstrapDraws(table, names.length, statistic, resolved);
  const result = {} as Record<Name, IntervalEstimate>;
  names.forEach((name, i) => {
    const [lower, upper] = percentileInterval(draws[i]!, resolved.confidence);
    result[name] = { estimate: metrics[name](table), lower, upper };
  });
  return result;
}

/**
 * Probability of improvement of X over Y with its interval: X and Y are resampled
 * independently, each stratified by task (rliable's `StratifiedIndependentBootstrap`, which
 * has no task bootstrap).
 */
export function probabilityOfImprovementInterval(x: Scores, y: Scores, options: Omit<BootstrapOptions, "taskBootstrap"> = {}): IntervalEstimate {
  const a = ScoreTable.from(x, "x");
  const b = ScoreTable.from(y, "y");
  const estimate = probabilityOfImprovement(a, b);
  const resolved = resolveBootstrapOptions(options, 50000);
  const sampleA = new ScoreTable(a.runs, a.tasks, new Float64Array(a.values.length));
  const sampleB = new ScoreTable(b.runs, b.tasks, new Float64Array(b.values.length));
  const draws = new Float64Array(resolved.reps);
  for (let rep = 0; rep < resolved.reps; rep++) {
    resample(a, sampleA, resolved.random, false);
    resample(b, sampleB, resolved.random, false);
    draws[rep] = probabilityOfImprovement(sampleA, sampleB);
  }
  const [lower, upper] = percentileInterval(draws, resolved.confidence);
  return { estimate, lower, upper };
}
