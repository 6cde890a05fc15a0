/**
 * DDPG (Lillicrap et al. 2016), after CleanRL's `ddpg_continuous_action.py`: TD3's loop (td3.ts)
 * with one critic and no target policy smoothing — a deterministic actor tanh(MLP(s))·scale + bias
 * explored with Gaussian noise, Q(s, a) bootstrapped from the target actor's action, actor and
 * Polyak-averaged targets updated every `policyFrequency` steps. Same defaults as CleanRL.
 */
import { z } from "zod";
import type { Backend } from "../nn/backend.js";
import { ENV_FIXED_ON_RESUME, envFieldDefaults, parseConfig } from "./common.js";
import { boundedBoxActions } from "./off-policy.js";
import { TD3, deterministicActorCriticFields } from "./td3.js";
import { type EnvInput, type TrainingTarget, trainingTarget } from "./training-env.js";

export const ddpgConfigSchema = z.object({ ...deterministicActorCriticFields }).strict();

export type DDPGConfig = z.infer<typeof ddpgConfigSchema>;

/** CleanRL `ddpg_continuous_action.py`'s defaults. */
export const DDPG_DEFAULTS: Omit<DDPGConfig, "envId"> = {
  ...envFieldDefaults(),
  seed: 1,
  totalTimesteps: 1_000_000,
  learningRate: 3e-4,
  numEnvs: 1,
  bufferSize: 1_000_000,
  gamma: 0.99,
  tau: 0.005,
  batchSize: 256,
  explorationNoise: 0.1,
  learningStarts: 25_000,
  policyFrequency: 2,
  hiddenSizes: [256, 256],
};

/** Fields the saved state is shaped by: a resume cannot change them. */
export const DDPG_FIXED_ON_RESUME = [...ENV_FIXED_ON_RESUME, "seed", "numEnvs", "bufferSize", "hiddenSizes"] as const;

export function resolveDDPGConfig(overrides: Partial<DDPGConfig> & { envId: string }, target?: TrainingTarget): DDPGConfig {
  const c = parseConfig(ddpgConfigSchema, { ...DDPG_DEFAULTS, ...overrides }, "ddpg");
  boundedBoxActions(target ?? trainingTarget(c, "ddpg"), "DDPG");
  return c;
}

export class DDPG extends TD3 {
  constructor(input: Partial<DDPGConfig> & EnvInput, options: { backend?: Backend } = {}) {
    super(input, options, { algo: "ddpg", twinQ: false }, resolveDDPGConfig);
  }
}
