/** Gymnasium's `gymnasium.wrappers.vector`. */
export { RecordEpisodeStatistics } from "./common.js";
export type { VectorEpisodeStatistics, VectorRecordEpisodeStatisticsState } from "./common.js";
export { NormalizeObservation } from "./stateful-observation.js";
export { NormalizeReward } from "./stateful-reward.js";
export type { VectorNormalizeRewardState } from "./stateful-reward.js";
export { ClipAction, TransformObservation, TransformReward } from "./transform.js";
export { VectorWrapper, VectorObservationWrapper, VectorActionWrapper, VectorRewardWrapper } from "../vector-wrapper.js";
export type { VectorEnvLike } from "../vector-wrapper.js";
