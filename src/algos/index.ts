/** The training algorithms, by CLI name. */
import { DQN, DQN_DEFAULTS, type DQNConfig, resolveDQNConfig } from "./dqn.js";
import { PPO, type PPOConfig, ppoDefaults, resolvePPOConfig } from "./ppo.js";
import type { Backend } from "../nn/backend.js";
import type { TrainCallbacks, TrainResult } from "./common.js";

export interface Trainer {
  learn(callbacks?: TrainCallbacks): TrainResult;
  savePolicy(): Uint8Array;
  saveCheckpoint(): Uint8Array;
  /** `madeWith`: the config the checkpoint holds, when the agent was built with a changed one (default: the agent's) */
  loadCheckpoint(bytes: Uint8Array, source?: string, madeWith?: unknown): void;
}

export interface AlgorithmEntry {
  description: string;
  /** the defaults that apply to this env (they can depend on its action space) */
  defaults(envId: string): Record<string, unknown>;
  /** defaults + overrides, validated (throws ConfigError) */
  resolve(config: Record<string, unknown> & { envId: string }): Record<string, unknown> & { envId: string; seed: number };
  create(config: Record<string, unknown> & { envId: string }, options?: { backend?: Backend }): Trainer;
}

export const ALGORITHMS: Record<string, AlgorithmEntry> = {
  ppo: {
    description: "Proximal Policy Optimization (CleanRL ppo.py / ppo_continuous_action.py)",
    defaults: (envId) => ppoDefaults(envId),
    resolve: (config) => resolvePPOConfig(config as Partial<PPOConfig> & { envId: string }),
    create: (config, options) => new PPO(config as Partial<PPOConfig> & { envId: string }, options),
  },
  dqn: {
    description: "Deep Q-Network (CleanRL dqn.py), with Double DQN and HL-Gauss options",
    defaults: () => ({ ...DQN_DEFAULTS }),
    resolve: (config) => resolveDQNConfig(config as Partial<DQNConfig> & { envId: string }),
    create: (config, options) => new DQN(config as Partial<DQNConfig> & { envId: string }, options),
  },
};

export { PPO, trainPPO, ppoDefaults, resolvePPOConfig, ppoConfigSchema } from "./ppo.js";
export type { PPOConfig } from "./ppo.js";
export { DQN, DQN_DEFAULTS, resolveDQNConfig, dqnConfigSchema, erf, fastErf } from "./dqn.js";
export type { DQNConfig } from "./dqn.js";
export { ReplayBuffer } from "./replay-buffer.js";
export { Policy, encodePolicy, expectedValues, POLICY_FORMAT, POLICY_FORMAT_VERSION } from "./policy.js";
export type { SavedPolicy, PolicyHead } from "./policy.js";
export { ConfigError, NonFiniteError, EpisodeLog, linearSchedule, camelCaseKeys, parseConfig } from "./common.js";
export type { TrainCallbacks, TrainProgress, TrainResult, EpisodeRecord } from "./common.js";
export { evaluatePolicy, actionFor, type Evaluation, type EvaluateOptions, type Evaluable } from "./evaluate.js";
