/**
 * TD3 (Fujimoto et al. 2018), after CleanRL's `td3_continuous_action.py`: same defaults and loop.
 * A deterministic actor tanh(MLP(s))·scale + bias explored with Gaussian noise of std
 * `explorationNoise`·scale (clipped to the bounds), twin Q networks on (obs ⊕ action) whose
 * smaller target value is bootstrapped from the target actor's action plus clipped smoothing noise,
 * the actor (and all targets, Polyak τ) updated every `policyFrequency` steps by ascending Q1.
 * Uniform random actions for the first `learningStarts` steps.
 *
 * DDPG (ddpg.ts) is this loop with one critic and no target smoothing noise, as CleanRL's
 * `ddpg_continuous_action.py` is TD3's file with those two parts removed.
 *
 * One deliberate difference: the warm-up's uniform actions and all noise come from tsrl's seeded
 * `Random` (saved in checkpoints), not from numpy/torch streams, so runs match CleanRL's in
 * distribution, not draw for draw.
 */
import { z } from "zod";
import type { Box } from "../envs/spaces.js";
import type { BaseVectorEnv } from "../envs/wrappers/vector-wrapper.js";
import { RecordEpisodeStatistics, type VectorRecordEpisodeStatisticsState } from "../envs/wrappers/vector/common.js";
import { type Backend, defaultBackend } from "../nn/backend.js";
import { loadParameters, saveParameters } from "../nn/checkpoint.js";
import { tanh } from "../nn/layers.js";
import { Network, type Parameterized } from "../nn/network.js";
import { Adam } from "../nn/optim.js";
import { Random, type RandomState } from "../rng/random.js";
import {
  CHECKPOINT_KIND,
  EpisodeLog,
  type EpisodeLogState,
  type TrainCallbacks,
  type TrainResult,
  checkCheckpointMeta,
  commonFields,
  ENV_FIXED_ON_RESUME,
  envFieldDefaults,
  now,
  parseConfig,
  positiveInt,
  trainResult,
  unitInterval,
} from "./common.js";
import { actionScaling, assertFiniteValue, boundedBoxActions, meanOutput, mlp } from "./off-policy.js";
import { encodePolicy, policyEnv, type SavedPolicy } from "./policy.js";
import { type ReplayBatch, ReplayBuffer, type ReplayBufferState } from "./replay-buffer.js";
import { type EnvInput, type TrainingTarget, trainingTarget } from "./training-env.js";

/** The fields TD3 and DDPG share (CleanRL's names). */
export const deterministicActorCriticFields = {
  envId: commonFields.envId.describe("the env to train on (a registered id with a Box action space)"),
  seed: commonFields.seed.describe("seed of everything: envs (env i gets seed + i), weights, exploration noise, sampling"),
  totalTimesteps: commonFields.totalTimesteps.describe("env steps to train for"),
  learningRate: commonFields.learningRate.describe("actor and critic learning rate (Adam)"),
  numEnvs: commonFields.numEnvs.describe("parallel envs (CleanRL: 1)"),
  envKwargs: commonFields.envKwargs,
  maxEpisodeSteps: commonFields.maxEpisodeSteps,
  bufferSize: positiveInt("bufferSize").describe("replay buffer capacity"),
  gamma: unitInterval.describe("discount factor"),
  tau: unitInterval.describe("target network Polyak coefficient: target ← τ·online + (1 − τ)·target"),
  batchSize: positiveInt("batchSize").describe("replay minibatch size"),
  explorationNoise: z.number().min(0, "must be ≥ 0").describe("std of the Gaussian exploration noise, as a fraction of the action scale"),
  learningStarts: z.number().int().min(0, "must be ≥ 0").describe("env steps of uniform random actions before training starts"),
  policyFrequency: positiveInt("policyFrequency").describe("steps between actor and target updates (delayed policy updates)"),
  hiddenSizes: z.array(positiveInt("hiddenSizes entries")).min(1, "needs at least one hidden layer").describe("hidden layer widths of actor and critics, comma separated"),
};

export const td3ConfigSchema = z
  .object({
    ...deterministicActorCriticFields,
    policyNoise: z.number().min(0, "must be ≥ 0").describe("std of the target policy smoothing noise, as a fraction of the action scale"),
    noiseClip: z.number().min(0, "must be ≥ 0").describe("the smoothing noise is clipped to ±noiseClip (before scaling)"),
  })
  .strict();

export type TD3Config = z.infer<typeof td3ConfigSchema>;

/** CleanRL `td3_continuous_action.py`'s defaults. */
export const TD3_DEFAULTS: Omit<TD3Config, "envId"> = {
  ...envFieldDefaults(),
  seed: 1,
  totalTimesteps: 1_000_000,
  learningRate: 3e-4,
  numEnvs: 1,
  bufferSize: 1_000_000,
  gamma: 0.99,
  tau: 0.005,
  batchSize: 256,
  policyNoise: 0.2,
  explorationNoise: 0.1,
  learningStarts: 25_000,
  policyFrequency: 2,
  noiseClip: 0.5,
  hiddenSizes: [256, 256],
};

/** Fields the saved state is shaped by: a resume cannot change them. */
export const TD3_FIXED_ON_RESUME = [...ENV_FIXED_ON_RESUME, "seed", "numEnvs", "bufferSize", "hiddenSizes"] as const;

export function resolveTD3Config(overrides: Partial<TD3Config> & { envId: string }, target?: TrainingTarget): TD3Config {
  const c = parseConfig(td3ConfigSchema, { ...TD3_DEFAULTS, ...overrides }, "td3");
  boundedBoxActions(target ?? trainingTarget(c, "td3"), "TD3");
  return c;
}

/** What differs between TD3 and DDPG. */
export interface DeterministicVariant {
  algo: "td3" | "ddpg";
  /** twin critics and the smaller of their targets (TD3), or one critic (DDPG) */
  twinQ: boolean;
}

type Config = z.infer<z.ZodObject<typeof deterministicActorCriticFields>> & { policyNoise?: number; noiseClip?: number };

interface TD3State {
  globalStep: number;
  iteration: number;
  updates: number;
  elapsed: number;
  current: number[];
  rng: RandomState;
  env: unknown;
  episodeStatistics: VectorRecordEpisodeStatisticsState;
  episodes: EpisodeLogState;
  buffer: ReplayBufferState;
}

/** The training env, built the way every algorithm builds it (same-step autoreset, as CleanRL's loop expects). */
function buildEnv(target: TrainingTarget, numEnvs: number): BaseVectorEnv {
  return target.build(numEnvs, "same-step");
}

export class TD3 {
  readonly config: Config;
  readonly target: TrainingTarget;
  readonly actor: Network;
  readonly actorTarget: Network;
  /** the critics: [qf1, qf2] for TD3, [qf1] for DDPG */
  readonly critics: Network[];
  readonly criticTargets: Network[];
  readonly qOptimizer: Adam;
  readonly actorOptimizer: Adam;
  readonly buffer: ReplayBuffer;
  readonly episodes = new EpisodeLog();
  private readonly variant: DeterministicVariant;
  private readonly env: BaseVectorEnv;
  private readonly stats: RecordEpisodeStatistics;
  private readonly rng: Random;
  private readonly actionDim: number;
  private readonly low: Float32Array;
  private readonly high: Float32Array;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  private globalStep = 0;
  private iteration = 0;
  private updates = 0;
  private elapsedBefore = 0;
  private readonly current: Float32Array;
  private readonly batch: ReplayBatch;
  private readonly actions: Float32Array;
  private readonly targets: Float64Array;
  private readonly gradAction: Float64Array;

  /** `{ envId }` trains on a registered env, `{ env: () => new MyEnv() }` on a factory, `{ env: vectorEnv }` on a vector env (same-step autoreset). */
  constructor(input: Partial<TD3Config> & EnvInput, options: { backend?: Backend } = {}, variant: DeterministicVariant = { algo: "td3", twinQ: true }, resolve: (c: Partial<Config> & { envId: string }, t: TrainingTarget) => Config = resolveTD3Config) {
    this.variant = variant;
    const name = variant.algo.toUpperCase();
    const { env: source, ...overrides } = input;
    const target = (this.target = trainingTarget({ ...overrides, env: source }, variant.algo));
    const c = (this.config = resolve({ ...overrides, envId: target.envId }, target));
    const space: Box = boundedBoxActions(target, name);
    const backend = options.backend ?? defaultBackend();
    const d = (this.actionDim = space.size);
    this.low = Float32Array.from(space.low);
    this.high = Float32Array.from(space.high);
    ({ scale: this.scale, bias: this.bias } = actionScaling(space));
    this.env = buildEnv(target, c.numEnvs);
    this.stats = new RecordEpisodeStatistics(this.env);
    const obsSize = this.env.obsSize, B = c.batchSize;
    const maxBatch = Math.max(B, c.numEnvs);
    // CleanRL's construction order: actor, critics, critic targets, actor target.
    const initRng = new Random(c.seed);
    const actor = () => new Network([...mlp(c.hiddenSizes, d), tanh()], { inputShape: obsSize, maxBatch, rng: initRng, backend });
    const critic = () => new Network(mlp(c.hiddenSizes, 1), { inputShape: obsSize + d, inputParts: [obsSize, d], maxBatch, rng: initRng, backend });
    const count = variant.twinQ ? 2 : 1;
    this.actor = actor();
    this.critics = Array.from({ length: count }, critic);
    this.criticTargets = Array.from({ length: count }, critic);
    this.actorTarget = actor();
    this.criticTargets.forEach((t, i) => t.softUpdateFrom(this.critics[i]!, 1));
    this.actorTarget.softUpdateFrom(this.actor, 1);
    this.qOptimizer = new Adam(this.critics, { lr: c.learningRate });
    this.actorOptimizer = new Adam([this.actor], { lr: c.learningRate });
    this.buffer = new ReplayBuffer({ capacity: c.bufferSize, obsSize, actions: d, numEnvs: c.numEnvs });
    this.rng = new Random(c.seed + 1);
    this.current = new Float32Array(c.numEnvs * obsSize);
    this.batch = this.buffer.batch(B);
    this.actions = new Float32Array(B * d);
    this.targets = new Float64Array(B);
    this.gradAction = new Float64Array(B * d);
  }

  learn(callbacks: TrainCallbacks = {}): TrainResult {
    const c = this.config;
    const N = c.numEnvs, d = this.actionDim, obsSize = this.env.obsSize;
    const iterations = Math.ceil(c.totalTimesteps / N);
    const actions = new Float32Array(N * d);
    const start = now() - this.elapsedBefore;
    const current = this.current;
    if (this.iteration === 0) current.set(this.stats.reset({ seed: c.seed })[0]);
    for (let g = this.iteration; g < iterations; g++) {
      if (g < c.learningStarts) {
        for (let i = 0; i < N; i++) for (let k = 0; k < d; k++) actions[i * d + k] = this.low[k]! + (this.high[k]! - this.low[k]!) * this.rng.random();
      } else {
        this.actor.inputView(N).set(current);
        const mu = this.actor.outputView(N);
        this.actor.forward(N);
        for (let i = 0; i < N * d; i++) {
          const k = i % d;
          const a = mu[i]! * this.scale[k]! + this.bias[k]! + this.rng.normal() * this.scale[k]! * c.explorationNoise;
          actions[i] = Math.min(this.high[k]!, Math.max(this.low[k]!, a));
        }
      }
      const [next, rewards, terminations, truncations, info] = this.stats.step(actions);
      this.globalStep += N;
      const mask = info["_episode"] as Uint8Array | undefined;
      if (mask) {
        const ep = info["episode"] as { r: Float64Array; l: Int32Array };
        for (let i = 0; i < N; i++) {
          if (!mask[i]) continue;
          this.episodes.add(this.globalStep, ep.r[i]!, ep.l[i]!);
          callbacks.onEpisode?.({ step: this.globalStep, return: ep.r[i]!, length: ep.l[i]!, wallSeconds: now() - start });
        }
      }
      for (let i = 0; i < N; i++) {
        const ended = terminations[i]! | truncations[i]!;
        const nextObs = ended ? this.env.finalObs.subarray(i * obsSize, (i + 1) * obsSize) : next.subarray(i * obsSize, (i + 1) * obsSize);
        this.buffer.add(current.subarray(i * obsSize, (i + 1) * obsSize), nextObs, actions.subarray(i * d, (i + 1) * d), rewards[i]!, terminations[i]!, truncations[i]!);
      }
      current.set(next);

      if (g > c.learningStarts) {
        const m = this.update(g);
        if (g % 100 === 0) {
          const elapsed = now() - start;
          callbacks.onMetrics?.(this.globalStep, { ...m, "charts/SPS": this.globalStep / elapsed }, elapsed);
        }
      }
      if (g % 500 === 0 || g === iterations - 1) {
        const sps = this.globalStep / (now() - start);
        callbacks.onProgress?.({ step: this.globalStep, totalSteps: iterations * N, sps, episodes: this.episodes.count, recentMeanReturn: this.episodes.meanReturn(20) });
      }
      this.iteration = g + 1;
      if (callbacks.checkpoint) {
        this.elapsedBefore = now() - start;
        callbacks.checkpoint(this.globalStep, g === iterations - 1);
      }
    }
    const wall = now() - start;
    this.elapsedBefore = wall;
    return trainResult(this.variant.algo, c, this.globalStep, wall, this.episodes);
  }

  /** Writes the target actor's action for `nextObs` (TD3: plus clipped smoothing noise, clipped to the bounds) into `this.actions`. */
  private targetActions(nextObs: Float32Array): void {
    const c = this.config;
    const B = c.batchSize, d = this.actionDim;
    this.actorTarget.inputView(B).set(nextObs);
    this.actorTarget.forward(B);
    const mu = this.actorTarget.outputView(B);
    for (let i = 0; i < B * d; i++) {
      const k = i % d;
      let a = mu[i]! * this.scale[k]! + this.bias[k]!;
      if (this.variant.twinQ) {
        const noise = Math.min(c.noiseClip!, Math.max(-c.noiseClip!, this.rng.normal() * c.policyNoise!)) * this.scale[k]!;
        // CleanRL clamps to the first dimension's bounds (low[0], high[0])
        a = Math.min(this.high[0]!, Math.max(this.low[0]!, a + noise));
      }
      this.actions[i] = a;
    }
  }

  private update(g: number): Record<string, number> {
    const c = this.config;
    const B = c.batchSize, d = this.actionDim;
    const batch = this.batch;
    this.buffer.sample(this.rng, batch, c.gamma);
    this.updates++;

    // y = r + γ(1 − done)·min_i Q_target_i(s', a')
    this.targetActions(batch.nextObs);
    const [t1, t2] = this.criticTargets as [Network, Network | undefined];
    t1.setInputPart(0, batch.nextObs, B);
    t1.setInputPart(1, this.actions, B);
    t1.forward(B);
    const q1 = t1.outputView(B);
    if (t2) t2.forward(B, t1.input);
    const q2 = t2 ? t2.outputView(B) : q1;
    for (let b = 0; b < B; b++) this.targets[b] = batch.rewards[b]! + batch.discounts[b]! * Math.min(q1[b]!, q2[b]!);

    const metrics: Record<string, number> = {};
    const [qf1] = this.critics as [Network];
    qf1.setInputPart(0, batch.obs, B);
    qf1.setInputPart(1, batch.actions, B);
    let qfLoss = 0;
    this.critics.forEach((net, i) => {
      net.forward(B, qf1.input);
      const q = net.outputView(B), grad = net.outputGradView(B);
      let loss = 0;
      for (let b = 0; b < B; b++) {
        const diff = q[b]! - this.targets[b]!;
        loss += diff * diff;
        grad[b] = (2 * diff) / B;
      }
      loss /= B;
      metrics[`losses/qf${i + 1}_values`] = meanOutput(net, B, `qf${i + 1} values (Q(s, a) of the sampled batch)`, this.updates, this.globalStep);
      metrics[`losses/qf${i + 1}_loss`] = loss;
      qfLoss += loss;
      net.backward();
    });
    assertFiniteValue(qfLoss, "the critics' loss", this.updates, this.globalStep);
    this.qOptimizer.update();
    metrics["losses/qf_loss"] = qfLoss / this.critics.length;

    if (g % c.policyFrequency === 0) {
      // actor loss = −mean Q1(s, μ(s)); ∂/∂μ flows through Q1's action input and the scaling
      this.actor.inputView(B).set(batch.obs);
      this.actor.forward(B);
      const mu = this.actor.outputView(B);
      for (let i = 0; i < B * d; i++) this.actions[i] = mu[i]! * this.scale[i % d]! + this.bias[i % d]!;
      qf1.setInputPart(0, batch.obs, B);
      qf1.setInputPart(1, this.actions, B);
      qf1.forward(B);
      const actorLoss = -meanOutput(qf1, B, "qf1 values at the actor's actions", this.updates, this.globalStep);
      qf1.outputGradView(B).fill(-1 / B);
      qf1.backward({ inputGradient: true, parameterGradients: false });
      qf1.inputGradPart(1, B, this.gradAction);
      const dMu = this.actor.outputGradView(B);
      for (let i = 0; i < B * d; i++) dMu[i] = this.gradAction[i]! * this.scale[i % d]!;
      this.actor.backward();
      this.actorOptimizer.update();
      metrics["losses/actor_loss"] = actorLoss;
      this.actorTarget.softUpdateFrom(this.actor, c.tau);
      this.criticTargets.forEach((t, i) => t.softUpdateFrom(this.critics[i]!, c.tau));
    }
    return metrics;
  }

  private modules(): Record<string, Parameterized> {
    const modules: Record<string, Parameterized> = { actor: this.actor, target_actor: this.actorTarget };
    this.critics.forEach((n, i) => (modules[`qf${i + 1}`] = n));
    this.criticTargets.forEach((n, i) => (modules[`qf${i + 1}_target`] = n));
    return modules;
  }

  private optimizers() {
    return { q: this.qOptimizer, actor: this.actorOptimizer };
  }

  /** Everything needed to continue this run exactly (between two env steps): networks, optimizers, replay buffer, RNGs, envs. */
  saveCheckpoint(): Uint8Array {
    const state: TD3State = {
      globalStep: this.globalStep,
      iteration: this.iteration,
      updates: this.updates,
      elapsed: this.elapsedBefore,
      current: Array.from(this.current),
      rng: this.rng.getState(),
      env: this.env.getState(),
      episodeStatistics: this.stats.getState(),
      episodes: this.episodes.getState(),
      buffer: this.buffer.getState(),
    };
    return saveParameters(this.modules(), this.optimizers(), { kind: CHECKPOINT_KIND, algo: this.variant.algo, config: this.config, state }, this.buffer.tensors());
  }

  /** Restores a `saveCheckpoint` of a run with the same config; `learn` then continues it. */
  loadCheckpoint(bytes: Uint8Array, source = "checkpoint", madeWith: unknown = this.config): void {
    const { meta, extra } = loadParameters(bytes, this.modules(), this.optimizers(), source);
    const state = checkCheckpointMeta(meta, this.variant.algo, madeWith, source) as TD3State;
    this.globalStep = state.globalStep;
    this.iteration = state.iteration;
    this.updates = state.updates;
    this.elapsedBefore = state.elapsed;
    this.current.set(state.current);
    this.rng.setState(state.rng);
    this.env.setState(state.env);
    this.stats.setState(state.episodeStatistics);
    this.episodes.setState(state.episodes);
    this.buffer.setState(state.buffer, extra);
  }

  /** The actor as a policy: tanh(MLP(s))·scale + bias, no exploration noise. */
  savePolicy(): Uint8Array {
    const policy: SavedPolicy = {
      algo: this.variant.algo,
      ...policyEnv(this.target),
      head: { kind: "deterministic", actionDim: this.actionDim, scale: Array.from(this.scale), bias: Array.from(this.bias) },
      network: this.actor.describe(),
      observationNormalization: null,
      config: this.config,
    };
    return encodePolicy(policy, this.actor.stateTensors("policy."));
  }
}
