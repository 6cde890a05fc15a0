/** Gymnasium's `gymnasium.wrappers`; the vector versions are under `vector`. */
export { ObservationWrapper, ActionWrapper, RewardWrapper } from "./core.js";
export { RecordEpisodeStatistics } from "./common.js";
export type { EpisodeStatistics, RecordEpisodeStatisticsOptions, RecordEpisodeStatisticsState } from "./common.js";
export { NormalizeObservation } from "./stateful-observation.js";
export type { NormalizeObservationState } from "./stateful-observation.js";
export { NormalizeReward } from "./stateful-reward.js";
export type { NormalizeRewardState } from "./stateful-reward.js";
export { ClipAction, FlattenObservation, TransformObservation, TransformReward } from "./transform.js";
export type { BoxAction } from "./transform.js";
export { RunningMeanStd } from "./running-mean-std.js";
export type { RunningMeanStdState } from "./running-mean-std.js";
export * as vector from "./vector/index.js";
