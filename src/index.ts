export { make, makeVec, register, listEnvs, spec, kernelOf, isKernel } from "./envs/registry.js";
export type { MakeOptions, MakeVecOptions, RegisterOptions, VectorizationMode } from "./envs/registry.js";
export { Env, KernelEnv, Wrapper, TimeLimit } from "./envs/env.js";
export type { Action, Info, StepResult, ResetArgs, EnvSpec, EnvEntryPoint, EnvMetadata, RgbFrame, KernelEnvState } from "./envs/env.js";
export { PassiveEnvChecker, EnvCheckError, checkEnv } from "./envs/checker.js";
export { SyncVectorEnv, NotCheckpointableError } from "./envs/sync-vector.js";
export type { SyncVectorEnvOptions, SyncVectorEnvState } from "./envs/sync-vector.js";
export { flatten, unflatten, flatdim, flattenSpace } from "./envs/space-utils.js";
export { Generator } from "./rng/generator.js";
export { VectorEnv, AUTORESET_MODES } from "./envs/vector.js";
export type { AutoresetMode, VectorInfo, VectorStepResult, VectorResetArgs, VectorEnvState } from "./envs/vector.js";
export type { EnvKernel, RenderTarget, ResetOptions } from "./envs/kernel.js";
export * as spaces from "./envs/spaces.js";
export { Box, Discrete, MultiDiscrete, MultiBinary, Tuple, Dict, Space } from "./envs/spaces.js";
export { PCG64Bank } from "./rng/pcg64.js";
export type { PCG64State } from "./rng/pcg64.js";
export { LegacyRandomState } from "./rng/random-state.js";
export type { LegacySeed, MT19937State } from "./rng/random-state.js";
export { MinAtarEnv, Environment as MinAtarEnvironment, GAME_NAMES as MINATAR_GAMES, registerMinatarEnvs, minatarKernel } from "./envs/minatar/index.js";
export type { MinAtarEnvOptions, MinAtarEnvState, GameName as MinAtarGameName } from "./envs/minatar/index.js";
// MuJoCo: importing tsrl loads no WebAssembly; `await registerMujocoEnvs()` (or `loadMujoco()`) loads it
export { registerMujocoEnvs, loadMujoco, MUJOCO_ENV_IDS, MujocoEnv, MujocoModelError, PlanarRunnerEnv, InvertedPendulumEnv, InvertedDoublePendulumEnv, ReacherEnv, HopperEnv, Walker2dEnv, HalfCheetahEnv, AntEnv } from "./envs/mujoco/index.js";
export type { MujocoState, InvertedPendulumOptions, InvertedDoublePendulumOptions, ReacherOptions, HopperOptions, Walker2dOptions, HalfCheetahOptions, AntOptions } from "./envs/mujoco/index.js";
export * as wrappers from "./envs/wrappers/index.js";
export { ObservationWrapper, ActionWrapper, RewardWrapper } from "./envs/wrappers/core.js";
export { VectorWrapper, VectorObservationWrapper, VectorActionWrapper, VectorRewardWrapper } from "./envs/wrappers/vector-wrapper.js";
export type { VectorEnvLike } from "./envs/wrappers/vector-wrapper.js";
export { RunningMeanStd } from "./envs/wrappers/running-mean-std.js";
export type { RunningMeanStdState } from "./envs/wrappers/running-mean-std.js";
export { frameToAnsi } from "./envs/render/ansi.js";
export type { AnsiOptions } from "./envs/render/ansi.js";
export { encodePng } from "./envs/render/png.js";
export * as nn from "./nn/index.js";
export { Network, Adam, RMSprop, linear, conv2d, tanh, relu, createBackend } from "./nn/index.js";
export { Random } from "./rng/random.js";
export type { RandomState } from "./rng/random.js";
export {
  PPO,
  DQN,
  trainPPO,
  Policy,
  ALGORITHMS,
  ConfigError,
  NonFiniteError,
  resolvePPOConfig,
  resolveDQNConfig,
  ppoDefaults,
  DQN_DEFAULTS,
} from "./algos/index.js";
export type { PPOConfig, DQNConfig, TrainCallbacks, TrainResult, TrainProgress, EpisodeRecord, SavedPolicy } from "./algos/index.js";
export { evaluatePolicy, type Evaluation, type EvaluateOptions } from "./algos/index.js";
export { SAC, TD3, DDPG, ReplayBuffer, resolveSACConfig, resolveTD3Config, resolveDDPGConfig, SAC_DEFAULTS, TD3_DEFAULTS, DDPG_DEFAULTS } from "./algos/index.js";
export type { SACConfig, TD3Config, DDPGConfig, ReplayBatch, ReplayBufferOptions } from "./algos/index.js";
export * as stats from "./stats/index.js";
export { AdaStop, aggregateIqm, aggregateMean, aggregateMedian, intervalEstimate, intervalEstimates, optimalityGap, probabilityOfImprovement } from "./stats/index.js";
export type { Decision, AdaStopOptions, AdaStopState, IntervalEstimate } from "./stats/index.js";
export { grpoAdvantages, grpoLoss, GRPO_LOSS_TYPES } from "./llm/grpo-loss.js";
export type { GrpoAdvantageOptions, GrpoLossInputs, GrpoLossOptions, GrpoLossResult, GrpoLossType, ScaleRewards } from "./llm/grpo-loss.js";
export * as text from "./text/index.js";
export { makeText, makeTextTask, sampleProblems, registerText, listTextTasks, TextEnv } from "./text/index.js";
export type { TextProblem, TextScore, TextTask, TextSplit, TextTaskSpec, ChatMessage } from "./text/index.js";
export { rewards, sweRlReward, OpenAIClient, evaluateSampler, summarizeEval, passAtK, extractAnswer } from "./text/index.js";
export type { SweRlResult, Completion, SamplingParams, EvalSummary } from "./text/index.js";
export { evalCallback, learnAsync, mergeCallbacks, type EvalCallbackOptions } from "./algos/index.js";
export { BC, IQL, resolveBCConfig, resolveIQLConfig, BC_DEFAULTS, IQL_DEFAULTS } from "./algos/index.js";
export type { BCConfig, IQLConfig } from "./algos/index.js";
export { DatasetError, encodeChunk, decodeChunk, parseManifest, checkDatasetSpaces, DATASET_FORMAT, DATASET_FORMAT_VERSION } from "./data/format.js";
export type { DatasetManifest, DatasetChunk, DatasetSource, ChunkRecord } from "./data/format.js";
export { ChunkBuilder, loadTransitions, setDatasetOpener } from "./data/episodes.js";
export type { OfflineData } from "./data/episodes.js";
