/** The training algorithms, by CLI name. */
import type { z } from "zod";
import { DQN, DQN_DEFAULTS, DQN_FIXED_ON_RESUME, type DQNConfig, dqnConfigSchema, resolveDQNConfig } from "./dqn.js";
import { PPO, PPO_FIXED_ON_RESUME, type PPOConfig, ppoConfigSchema, ppoDefaults, resolvePPOConfig } from "./ppo.js";
import { SAC, SAC_DEFAULTS, SAC_FIXED_ON_RESUME, type SACConfig, resolveSACConfig, sacConfigSchema } from "./sac.js";
import { TD3, TD3_DEFAULTS, TD3_FIXED_ON_RESUME, type TD3Config, resolveTD3Config, td3ConfigSchema } from "./td3.js";
import { DDPG, DDPG_DEFAULTS, DDPG_FIXED_ON_RESUME, type DDPGConfig, ddpgConfigSchema, resolveDDPGConfig } from "./ddpg.js";
import { BC, BC_DEFAULTS, BC_FIXED_ON_RESUME, type BCConfig, bcConfigSchema, resolveBCConfig } from "./bc.js";
import { IQL, IQL_DEFAULTS, IQL_FIXED_ON_RESUME, type IQLConfig, iqlConfigSchema, resolveIQLConfig } from "./iql.js";
import type { Backend } from "../nn/backend.js";
import type { TrainCallbacks, TrainResult } from "./common.js";

export interface Trainer {
  learn(callbacks?: TrainCallbacks): TrainResult;
  savePolicy(): Uint8Array;
  saveCheckpoint(): Uint8Array;
  /** `madeWith`: the config the checkpoint holds, when the agent was built with a changed one (default: the agent's) */
  loadCheckpoint(bytes: Uint8Array, source?: string, madeWith?: unknown): void;
}

/** Everything the CLI and the run store need to know of an algorithm, from its own file. */
export interface AlgorithmEntry {
  description: string;
  /** the config schema; each field's `.describe()` is its help text */
  schema: z.ZodObject;
  /** fields the saved state is shaped by: `tsrl resume --set` refuses to change them */
  fixedOnResume: readonly string[];
  /** the defaults that apply to this env (they can depend on its action space) */
  defaults(envId: string): Record<string, unknown>;
  /** defaults + overrides, validated (throws ConfigError) */
  resolve(config: Record<string, unknown> & { envId: string }): Record<string, unknown> & { envId: string; seed: number };
  create(config: Record<string, unknown> & { envId: string }, options?: { backend?: Backend }): Trainer;
}

export const ALGORITHMS: Record<string, AlgorithmEntry> = {
  ppo: {
    description: "Proximal Policy Optimization (CleanRL ppo.py / ppo_continuous_action.py)",
    schema: ppoConfigSchema,
    fixedOnResume: PPO_FIXED_ON_RESUME,
    defaults: (envId) => ppoDefaults(envId),
    resolve: (config) => resolvePPOConfig(config as Partial<PPOConfig> & { envId: string }),
    create: (config, options) => new PPO(config as Partial<PPOConfig> & { envId: string }, options),
  },
  dqn: {
    description: "Deep Q-Network (CleanRL dqn.py), with Double DQN and HL-Gauss options",
    schema: dqnConfigSchema,
    fixedOnResume: DQN_FIXED_ON_RESUME,
    defaults: () => ({ ...DQN_DEFAULTS }),
    resolve: (config) => resolveDQNConfig(config as Partial<DQNConfig> & { envId: string }),
    create: (config, options) => new DQN(config as Partial<DQNConfig> & { envId: string }, options),
  },
  sac: { description: "Soft Actor-Critic (CleanRL sac_continuous_action.py), autotuned α", schema: sacConfigSchema, fixedOnResume: SAC_FIXED_ON_RESUME, defaults: () => ({ ...SAC_DEFAULTS }), resolve: (config) => resolveSACConfig(config as Partial<SACConfig> & { envId: string }), create: (config, options) => new SAC(config as Partial<SACConfig> & { envId: string }, options) },
  td3: { description: "Twin Delayed DDPG (CleanRL td3_continuous_action.py)", schema: td3ConfigSchema, fixedOnResume: TD3_FIXED_ON_RESUME, defaults: () => ({ ...TD3_DEFAULTS }), resolve: (config) => resolveTD3Config(config as Partial<TD3Config> & { envId: string }), create: (config, options) => new TD3(config as Partial<TD3Config> & { envId: string }, options) },
  bc: { description: "Behaviour cloning from a dataset (CORL any_percent_bc.py): MSE or Gaussian log-likelihood, cross-entropy for Discrete", schema: bcConfigSchema, fixedOnResume: BC_FIXED_ON_RESUME, defaults: () => ({ ...BC_DEFAULTS, dataset: "" }), resolve: (config) => resolveBCConfig(config as Partial<BCConfig> & { envId: string }), create: (config, options) => new BC(config as Partial<BCConfig> & { envId: string }, options) },
  iql: { description: "Implicit Q-Learning from a dataset (CORL iql.py, the paper's locomotion defaults): expectile value, twin Q, AWR policy", schema: iqlConfigSchema, fixedOnResume: IQL_FIXED_ON_RESUME, defaults: () => ({ ...IQL_DEFAULTS, dataset: "" }), resolve: (config) => resolveIQLConfig(config as Partial<IQLConfig> & { envId: string }), create: (config, options) => new IQL(config as Partial<IQLConfig> & { envId: string }, options) },
  ddpg: { description: "Deep Deterministic Policy Gradient (CleanRL ddpg_continuous_action.py)", schema: ddpgConfigSchema, fixedOnResume: DDPG_FIXED_ON_RESUME, defaults: () => ({ ...DDPG_DEFAULTS }), resolve: (config) => resolveDDPGConfig(config as Partial<DDPGConfig> & { envId: string }), create: (config, options) => new DDPG(config as Partial<DDPGConfig> & { envId: string }, options) },
};

export { PPO, trainPPO, ppoDefaults, resolvePPOConfig, ppoConfigSchema, PPO_FIXED_ON_RESUME } from "./ppo.js";
export type { PPOConfig } from "./ppo.js";
export { DQN, DQN_DEFAULTS, DQN_FIXED_ON_RESUME, resolveDQNConfig, dqnConfigSchema, erf, fastErf } from "./dqn.js";
export type { DQNConfig } from "./dqn.js";
export { ReplayBuffer } from "./replay-buffer.js";
export type { ReplayBatch, ReplayBufferOptions } from "./replay-buffer.js";
export { SAC, SAC_DEFAULTS, SAC_FIXED_ON_RESUME, resolveSACConfig, sacConfigSchema } from "./sac.js";
export type { SACConfig } from "./sac.js";
export { TD3, TD3_DEFAULTS, TD3_FIXED_ON_RESUME, resolveTD3Config, td3ConfigSchema } from "./td3.js";
export type { TD3Config } from "./td3.js";
export { DDPG, DDPG_DEFAULTS, DDPG_FIXED_ON_RESUME, resolveDDPGConfig, ddpgConfigSchema } from "./ddpg.js";
export type { DDPGConfig } from "./ddpg.js";
export { BC, BC_DEFAULTS, BC_FIXED_ON_RESUME, resolveBCConfig, bcConfigSchema } from "./bc.js";
export type { BCConfig } from "./bc.js";
export { IQL, IQL_DEFAULTS, IQL_FIXED_ON_RESUME, resolveIQLConfig, iqlConfigSchema } from "./iql.js";
export type { IQLConfig } from "./iql.js";
export { Policy, encodePolicy, expectedValues, POLICY_FORMAT, POLICY_FORMAT_VERSION } from "./policy.js";
export type { SavedPolicy, PolicyHead } from "./policy.js";
export { ConfigError, NonFiniteError, EpisodeLog, linearSchedule, camelCaseKeys, parseConfig } from "./common.js";
export type { TrainCallbacks, TrainProgress, TrainResult, EpisodeRecord } from "./common.js";
export { evaluatePolicy, actionFor, type Evaluation, type EvaluateOptions, type Evaluable } from "./evaluate.js";
export { evalCallback, learnAsync, mergeCallbacks } from "./callbacks.js";
export type { EvalCallbackOptions } from "./callbacks.js";
