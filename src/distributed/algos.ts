/**
 * What a distributed run needs of each algorithm, in one place, so that the transports and the
 * learner's loops name no algorithm: the learner side (the networks actors act with, the
 * segments' kind and shape, the policy version) and the actor side (a seeded worker of actor k).
 * PPO sends rollouts of its `numSteps`; DQN and SAC send transitions (Ape-X style) of
 * `segmentSteps` steps, which their learners add to the replay buffer.
 */
import type { Segment, SegmentKind } from "../algos/acting.js";
import { ConfigError } from "../algos/common.js";
import { DQN, type DQNConfig, dqnActorWorker, resolveDQNConfig } from "../algos/dqn.js";
import { PPO, type PPOConfig, ppoActorWorker, ppoModules, resolvePPOConfig } from "../algos/ppo.js";
import { SAC, type SACConfig, resolveSACConfig, sacActorWorker } from "../algos/sac.js";
import { trainingTarget } from "../algos/training-env.js";
import { Box, type Discrete } from "../envs/spaces.js";
import type { Parameterized } from "../nn/network.js";

export type DistributedAlgo = "ppo" | "dqn" | "sac";
export type DistributedAgent = PPO | DQN | SAC;

const SEED_STRIDE = 2 ** 20;
/** steps per transition segment: asynchronous actors send this many (a synchronous run sends one, to act as the single process does) */
export const DEFAULT_SEGMENT_STEPS = 32;

/** What actors make for a run: structured-cloneable (handed to actor threads) and JSON (in the run's Redis description). */
export interface ActingSpec {
  algo: DistributedAlgo;
  config: Record<string, unknown> & { envId: string; seed: number; numEnvs: number };
  kind: SegmentKind;
  /** steps per segment */
  numSteps: number;
}

export function algoOf(agent: DistributedAgent): DistributedAlgo {
  return agent instanceof PPO ? "ppo" : agent instanceof DQN ? "dqn" : "sac";
}

/** The networks actors act with, by checkpoint name (what the learner publishes). */
export function actingModules(agent: DistributedAgent): Record<string, Parameterized> {
  if (agent instanceof PPO) return ppoModules(agent.networks);
  return agent instanceof DQN ? { q_network: agent.qNetwork } : { actor: agent.actor };
}

/** The learner's spec: PPO's segments are its rollouts; DQN's and SAC's `segmentSteps` steps of transitions (1 when `sync`). */
export function actingSpec(agent: DistributedAgent, options: { sync?: boolean; segmentSteps?: number } = {}): ActingSpec {
  const algo = algoOf(agent);
  const config = agent.config as ActingSpec["config"];
  if (agent instanceof PPO) {
    if (options.segmentSteps !== undefined) throw new ConfigError("--segment-steps: PPO's actors send rollouts of its num-steps; set --num-steps instead");
    return { algo, config, kind: "rollout", numSteps: agent.config.numSteps };
  }
  const steps = options.segmentSteps ?? (options.sync ? 1 : DEFAULT_SEGMENT_STEPS);
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > 1 << 16) throw new ConfigError(`--segment-steps: expected an integer in [1, 65536], got ${steps}`);
  return { algo, config, kind: "transitions", numSteps: steps };
}

/** The learner's segment shape (any number of env columns) and its Discrete action count (null for Box). */
export function segmentShape(agent: DistributedAgent, spec: ActingSpec): { kind: SegmentKind; numSteps: number; obsSize: number; actionDim: number; numActions: number | null } {
  const space = agent.target.actionSpace;
  const obsSize = agent.worker.obsSize;
  const actionDim = space instanceof Box ? space.size : 1;
  return { kind: spec.kind, numSteps: spec.numSteps, obsSize, actionDim, numActions: space instanceof Box ? null : (space as Discrete).n };
}

/** An actor's acting half: collects segments with the parameters loaded into `modules`. */
export interface ActorWorker {
  readonly obsSize: number;
  readonly actionDim: number;
  readonly modules: Record<string, Parameterized>;
  collect(seg: Segment, version: number): void;
}

/** Checks `config` (from a learner) for `algo`; the env must be registered here. */
export function resolveConfig(algo: DistributedAlgo, config: Record<string, unknown>): ActingSpec["config"] {
  const input = config as { envId: string };
  const c = algo === "ppo" ? resolvePPOConfig(input as Partial<PPOConfig> & { envId: string }) : algo === "dqn" ? resolveDQNConfig(input as Partial<DQNConfig> & { envId: string }) : resolveSACConfig(input as Partial<SACConfig> & { envId: string });
  return c as ActingSpec["config"];
}

/**
 * Actor `index`'s worker, its envs reset: env i seeded with seed + index·2^20 + i, actions drawn
 * from Random(seed + 1 + index·2^20), so actor 0 acts as the single-process run does.
 */
export function seededActorWorker(spec: ActingSpec, index: number, numEnvs: number): ActorWorker {
  const c = resolveConfig(spec.algo, spec.config);
  const target = trainingTarget(c, spec.algo);
  const seed = c.seed + 1 + index * SEED_STRIDE;
  if (spec.algo === "ppo") {
    const w = ppoActorWorker(c as PPOConfig, target, numEnvs, seed);
    w.reset(c.seed + index * SEED_STRIDE);
    return { obsSize: w.obsSize, actionDim: w.actionDim, modules: ppoModules(w.nets), collect: (s, v) => w.collect(s, v) };
  }
  const w = spec.algo === "dqn" ? dqnActorWorker(c as DQNConfig, target, numEnvs, seed) : sacActorWorker(c as SACConfig, target, numEnvs, seed);
  w.reset(c.seed + index * SEED_STRIDE);
  return { obsSize: w.obsSize, actionDim: w.actionDim, modules: "qNetwork" in w ? { q_network: w.qNetwork } : { actor: w.actor }, collect: (s, v) => w.collect(s, v) };
}
