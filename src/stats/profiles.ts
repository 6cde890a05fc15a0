/**
 * Performance profiles and sample-efficiency curves with stratified-bootstrap intervals, as
 * rliable's `create_performance_profile` and its per-frame `get_interval_estimates` usage.
 */
import { type AggregateMetric, ScoreTable, type Scores } from "./aggregates.js";
import { type BootstrapOptions, bootstrapDraws, type IntervalEstimate, percentileInterval, resolveBootstrapOptions } from "./bootstrap.js";

/** rliable `run_score_deviation`: the fraction of all runs × tasks scores above `tau`. */
export function scoreDistribution(scores: Scores, tau: number): number {
  const { values } = ScoreTable.from(scores);
  let above = 0;
  for (const v of values) if (v > tau) above++;
  return above / values.length;
}

/** rliable `mean_score_deviation`: the fraction of tasks whose mean score is above `tau`. */
export function averageScoreDistribution(scores: Scores, tau: number): number {
  const { runs, tasks, values } = ScoreTable.from(scores);
  let above = 0;
  for (let t = 0; t < tasks; t++) {
    let sum = 0;
    for (let r = 0; r < runs; r++) sum += values[t * runs + r]!;
    if (sum / runs > tau) above++;
  }
  return above / tasks;
}

export interface PerformanceProfileOptions extends BootstrapOptions {
  /** profile of per-task mean scores instead of all runs (rliable `use_score_distribution=false`) */
  averageOverRuns?: boolean;
}

export interface PerformanceProfile {
  taus: number[];
  /** fraction above each tau */
  profile: number[];
  lower: number[];
  upper: number[];
}

/** rliable `create_performance_profile` (default 2000 bootstrap resamples, as there). */
export function performanceProfile(scores: Scores, taus: readonly number[], options: PerformanceProfileOptions = {}): PerformanceProfile {
  const table = ScoreTable.from(scores);
  if (taus.length === 0 || !taus.every(Number.isFinite)) throw new RangeError("performance profile: taus must be a non-empty list of finite numbers");
  const fraction = options.averageOverRuns ? averageScoreDistribution : scoreDistribution;
  const resolved = resolveBootstrapOptions(options, 2000);
  const draws = bootstrapDraws(table, taus.length, (sample, out) => {
    for (let i = 0; i < taus.length; i++) out[i] = fraction(sample, taus[i]!);
  }, resolved);
  const intervals = draws.map((d) => percentileInterval(d, resolved.confidence));
  return {
    taus: [...taus],
    profile: taus.map((tau) => fraction(table, tau)),
    lower: intervals.map(([lower]) => lower),
    upper: intervals.map(([, upper]) => upper),
  };
}

/** Scores along training: `scores[run][task][point]`, one point per evaluation step. */
export type ScoreCurves = readonly (readonly (readonly number[])[])[];

export interface SampleEfficiencyOptions extends BootstrapOptions {
  /** indices along the point axis to evaluate (default: every point) */
  points?: readonly number[];
}

/**
 * A sample-efficiency curve: the metric and its interval at each point, every point resampled
 * on its own (as rliable does when bootstrapping runs × tasks × points scores).
 */
export function sampleEfficiencyCurve(scores: ScoreCurves, metric: AggregateMetric, options: SampleEfficiencyOptions = {}): IntervalEstimate[] {
  const runs = scores.length;
  const tasks = scores[0]?.length ?? 0;
  const length = scores[0]?.[0]?.length ?? 0;
  if (runs === 0 || tasks === 0 || length === 0) throw new RangeError("sample-efficiency curve: scores must be a non-empty runs × tasks × points array");
  scores.forEach((run, r) => {
    if (run.length !== tasks) throw new RangeError(`sample-efficiency curve: run ${r} has ${run.length} tasks, run 0 has ${tasks}`);
    run.forEach((curve, t) => {
      if (curve.length !== length) throw new RangeError(`sample-efficiency curve: run ${r}, task ${t} has ${curve.length} points, expected ${length}`);
    });
  });
  const points = options.points ?? Array.from({ length }, (_, i) => i);
  for (const p of points) if (!Number.isInteger(p) || p < 0 || p >= length) throw new RangeError(`sample-efficiency curve: point index ${p} is outside [0, ${length})`);
  const resolved = resolveBootstrapOptions(options, 50000);
  return points.map((p) => {
    const table = ScoreTable.from(scores.map((run) => run.map((curve) => curve[p]!)), `scores at point ${p}`);
    const [draws] = bootstrapDraws(table, 1, (sample, out) => (out[0] = metric(sample)), resolved);
    const [lower, upper] = percentileInterval(draws!, resolved.confidence);
    return { estimate: metric(table), lower, upper };
  });
}
