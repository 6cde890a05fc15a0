/**
 * Aggregate performance metrics over runs × tasks scores, as rliable defines them
 * (google-research/rliable, `rliable/metrics.py`): mean and median of the per-task means,
 * interquartile mean, optimality gap, probability of improvement; plus score normalization.
 */
import { numpyMean } from "./numpy-sum.js";

/** Scores of one algorithm: `scores[run][task]` (rliable's `num_runs × num_tasks` matrix). */
export type ScoreMatrix = readonly (readonly number[])[];

/**
 * The same scores in one typed array, task by task (`values[task * runs + run]`): the layout
 * the bootstrap resamples into without allocating.
 */
export class ScoreTable {
  constructor(
    readonly runs: number,
    readonly tasks: number,
    readonly values: Float64Array,
  ) {
    if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(tasks) || tasks < 1) throw new RangeError(`a score table needs at least one run and one task, got ${runs} × ${tasks}`);
    if (values.length !== runs * tasks) throw new RangeError(`a ${runs} × ${tasks} score table needs ${runs * tasks} values, got ${values.length}`);
  }

  /** Checks a runs × tasks matrix (rectangular, finite) and copies it; a table is returned as is. */
  static from(scores: Scores, what = "scores"): ScoreTable {
    if (scores instanceof ScoreTable) return scores;
    const runs = scores.length;
    if (runs === 0) throw new RangeError(`${what}: no runs`);
    const tasks = scores[0]!.length;
    if (tasks === 0) throw new RangeError(`${what}: run 0 has no tasks`);
    const values = new Float64Array(runs * tasks);
    for (let r = 0; r < runs; r++) {
      const row = scores[r]!;
      if (row.length !== tasks) throw new RangeError(`${what}: run ${r} has ${row.length} task scores, run 0 has ${tasks}`);
      for (let t = 0; t < tasks; t++) {
        const v = row[t]!;
        if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${what}: run ${r}, task ${t} is ${String(v)}, not a finite number`);
        values[t * runs + r] = v;
      }
    }
    return new ScoreTable(runs, tasks, values);
  }

  at(run: number, task: number): number {
    return this.values[task * this.runs + run]!;
  }
}

export type Scores = ScoreMatrix | ScoreTable;

/** A scalar aggregate of runs × tasks scores (what the bootstrap resamples). */
export type AggregateMetric = (scores: ScoreTable) => number;

let scratch = new Float64Array(64);

/** A reusable buffer of at least `n` values; only one caller uses it at a time. */
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

/** Per-task means into `out[0 .. tasks)` (numpy's `mean(axis=0)`: a running sum per task). */
function taskMeans(table: ScoreTable, out: Float64Array): void {
  const { runs, tasks, values } = table;
  for (let t = 0; t < tasks; t++) {
    let sum = 0;
    for (let r = 0; r < runs; r++) sum += values[t * runs + r]!;
    out[t] = sum / runs;
  }
}

/** rliable `aggregate_mean`: the mean over tasks of the per-task mean scores. */
export function aggregateMean(scores: Scores): number {
  const table = ScoreTable.from(scores);
  const means = scratchOf(table.tasks);
  taskMeans(table, means);
  return numpyMean(means, 0, table.tasks);
}

/** rliable `aggregate_median`: the median over tasks of the per-task mean scores. */
export function aggregateMedian(scores: Scores): number {
  const table = ScoreTable.from(scores);
  const means = scratchOf(table.tasks);
  taskMeans(table, means);
  const sorted = means.subarray(0, table.tasks).sort();
  const mid = table.tasks >> 1;
  return table.tasks % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * rliable `aggregate_iqm`: the interquartile mean of all runs × tasks scores, i.e.
 * `scipy.stats.trim_mean(scores, 0.25, axis=None)`, which drops `int(0.25 n)` values at each end.
 */
export function aggregateIqm(scores: Scores): number {
  const table = ScoreTable.from(scores);
  const n = table.values.length;
  const cut = Math.trunc(0.25 * n);
  const values = scratchOf(n);
  values.set(table.values);
  selectNth(values, 0, n - 1, cut);
  selectNth(values, cut, n - 1, n - cut - 1);
  return numpyMean(values, cut, n - 2 * cut);
}

/** rliable `aggregate_optimality_gap`: `gamma - mean(min(scores, gamma))` over all runs × tasks. */
export function optimalityGap(scores: Scores, gamma = 1): number {
  const table = ScoreTable.from(scores);
  let sum = 0;
  for (const v of table.values) sum += Math.min(v, gamma);
  return gamma - sum / table.values.length;
}

/**
 * rliable `probability_of_improvement`: per task, P(X > Y) estimated by the Mann–Whitney
 * `U / (n_x n_y)` (a tie counts one half), averaged over tasks. Runs may differ in number.
 */
export function probabilityOfImprovement(x: Scores, y: Scores): number {
  const a = ScoreTable.from(x, "x");
  const b = ScoreTable.from(y, "y");
  if (a.tasks !== b.tasks) throw new RangeError(`x has ${a.tasks} tasks but y has ${b.tasks}`);
  const perTask = scratchOf(a.tasks);
  for (let t = 0; t < a.tasks; t++) {
    let wins = 0;
    for (let i = 0; i < a.runs; i++) {
      const xi = a.values[t * a.runs + i]!;
      for (let j = 0; j < b.runs; j++) {
        const yj = b.values[t * b.runs + j]!;
        wins += xi > yj ? 1 : xi === yj ? 0.5 : 0;
      }
    }
    perTask[t] = wins / (a.runs * b.runs);
  }
  return numpyMean(perTask, 0, a.tasks);
}

/** Reference scores per task: `low` maps to 0 and `high` to 1 (e.g. random and human scores). */
export interface NormalizationBounds {
  low: readonly number[];
  high: readonly number[];
}

/** Min–max normalization per task: `(score - low[task]) / (high[task] - low[task])`. */
export function normalizeScores(scores: ScoreMatrix, { low, high }: NormalizationBounds): number[][] {
  const tasks = ScoreTable.from(scores).tasks;
  if (low.length !== tasks || high.length !== tasks) throw new RangeError(`normalization needs ${tasks} low and high scores (one per task), got ${low.length} and ${high.length}`);
  for (let t = 0; t < tasks; t++) {
    if (!Number.isFinite(low[t]) || !Number.isFinite(high[t]) || high[t] === low[t]) throw new RangeError(`task ${t}: cannot normalize with low ${low[t]} and high ${high[t]}`);
  }
  return scores.map((row) => row.map((v, t) => (v - low[t]!) / (high[t]! - low[t]!)));
}

/**
 * Min–max bounds per task from the scores themselves, over every given algorithm's runs (so
 * that all of them are normalized alike): the worst score of a task maps to 0, the best to 1.
 */
export function minMaxBounds(scoresByAlgorithm: Readonly<Record<string, ScoreMatrix>>): NormalizationBounds {
  const tables = Object.entries(scoresByAlgorithm).map(([name, scores]) => ScoreTable.from(scores, name));
  if (tables.length === 0) throw new RangeError("min–max bounds need the scores of at least one algorithm");
  const tasks = tables[0]!.tasks;
  const low = new Array<number>(tasks).fill(Infinity);
  const high = new Array<number>(tasks).fill(-Infinity);
  for (const table of tables) {
    if (table.tasks !== tasks) throw new RangeError(`every algorithm needs the same ${tasks} tasks, one has ${table.tasks}`);
    for (let t = 0; t < tasks; t++) {
      for (let r = 0; r < table.runs; r++) {
        const v = table.at(r, t);
        if (v < low[t]!) low[t] = v;
        if (v > high[t]!) high[t] = v;
      }
    }
  }
  return { low, high };
}

/**
 * Quickselect: afterwards `a[k]` holds the value a full sort of `a[lo..hi]` would put there,
 * with nothing larger before it and nothing smaller after it.
 */
function selectNth(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot keeps sorted or constant inputs linear
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
