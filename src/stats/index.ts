/** Statistics for comparing agents: rliable's aggregates and intervals, and AdaStop. Browser-safe. */
export {
  aggregateIqm,
  aggregateMean,
  aggregateMedian,
  type AggregateMetric,
  minMaxBounds,
  normalizeScores,
  type NormalizationBounds,
  optimalityGap,
  probabilityOfImprovement,
  type ScoreMatrix,
  ScoreTable,
  type Scores,
} from "./aggregates.js";
export { type BootstrapOptions, type IntervalEstimate, intervalEstimate, intervalEstimates, probabilityOfImprovementInterval } from "./bootstrap.js";
export {
  averageScoreDistribution,
  performanceProfile,
  type PerformanceProfile,
  type PerformanceProfileOptions,
  sampleEfficiencyCurve,
  type SampleEfficiencyOptions,
  type ScoreCurves,
  scoreDistribution,
} from "./profiles.js";
export { AdaStop, type AdaStopConfig, type AdaStopOptions, type AdaStopState, type Comparison, type Decision, type InterimRecord, type LevelRule } from "./adastop.js";
export { parseScoresCsv, parseScoresTable } from "./csv.js";
export { meanStd } from "./describe.js";
