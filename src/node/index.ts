/** Node-only parts of tsrl (`import ... from "tsrl/node"`): things that need worker threads or the file system. */
export { ThreadedVectorEnv, makeThreadedVec } from "./threaded-vector.js";
export type { ThreadedVecOptions } from "./threaded-vector.js";
export { writeFileAtomic } from "./atomic-write.js";
export { loadEnvArg, ensureEnvRegistered, importEnvModule, splitEnvArg } from "./env-module.js";
export { mineRepository, loadSweRecords, assertGitRepository, GitError } from "./swe-mine.js";
export type { MineOptions, MineStats } from "./swe-mine.js";
export { AsyncVectorEnv, makeAsyncVec } from "./async-vector.js";
export type { AsyncVectorOptions } from "./async-vector.js";
export { DatasetWriter, FileDatasetSource, recordDataset, openDatasetFile, listDatasets, datasetPath, datasetsDirectory } from "./datasets.js";
export type { DatasetWriterOptions, RecordOptions, PolicyFunction } from "./datasets.js";
export { initCheckpointPath } from "./agent-init.js";
export { importMinari, exportMinari, spaceFromMinari, spaceToMinari } from "./minari.js";
export { learnDistributed, RUN_FORMAT } from "../distributed/learner.js";
export type { LearnerOptions, LearnerStats, RunDescription } from "../distributed/learner.js";
export { runActor } from "../distributed/actor.js";
export type { ActorOptions, ActorSummary } from "../distributed/actor.js";
export { learnOnThreads } from "../distributed/actor-threads.js";
export type { ThreadsLearnerOptions } from "../distributed/actor-threads.js";
