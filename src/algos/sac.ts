/**
 * Soft Actor-Critic, after CleanRL's `sac_continuous_action.py`: same defaults and loop. Twin
 * soft Q networks on (obs ⊕ action) with Polyak-averaged targets (τ 0.005 every step), a
 * tanh-squashed Gaussian actor with a state-dependent log-std bounded to [−5, 2], actions scaled
 * to the Box bounds, uniform random actions for the first `learningStarts` steps, one critic
 * update per step from then on and `policyFrequency` actor updates every `policyFrequency` steps,
 * the entropy coefficient α autotuned towards −dim(A) (an Adam on log α at the Q learning rate).
 *
 * The gradient of the actor's loss reaches the actor through the critics' input gradients
 * (∂Q/∂action) and the squashed Gaussian's reparameterized backward (nn/distributions.ts).
 *
 * One deliberate difference: the warm-up's uniform actions and all noise come from tsrl's seeded
 * `Random` (saved in checkpoints), not from numpy/torch streams, so runs match CleanRL's in
 * distribution, not draw for draw.
 */
import { z } from "zod";
import type { BaseVectorEnv } from "../envs/wrappers/vector-wrapper.js";
import { RecordEpisodeStatistics, type VectorRecordEpisodeStatisticsState } from "../envs/wrappers/vector/common.js";
import { type Backend, defaultBackend } from "../nn/backend.js";
import { loadParameters, saveParameters } from "../nn/checkpoint.js";
import { squashedGaussianBackward, squashedGaussianForward } from "../nn/distributions.js";
import { Network, ParameterTensor, type Parameterized } from "../nn/network.js";
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

export const sacConfigSchema = z
  .object({
    envId: commonFields.envId.describe("the env to train on (a registered id with a Box action space)"),
    seed: commonFields.seed.describe("seed of everything: envs (env i gets seed + i), weights, exploration noise, sampling"),
    totalTimesteps: commonFields.totalTimesteps.describe("env steps to train for"),
    numEnvs: commonFields.numEnvs.describe("parallel envs (CleanRL: 1)"),
    bufferSize: positiveInt("bufferSize").describe("replay buffer capacity"),
    gamma: unitInterval.describe("discount factor"),
    tau: unitInterval.describe("target network Polyak coefficient: target ← τ·online + (1 − τ)·target"),
    batchSize: positiveInt("batchSize").describe("replay minibatch size"),
    learningStarts: z.number().int().min(0, "must be ≥ 0").describe("env steps of uniform random actions before training starts"),
    policyLr: z.number().positive("must be > 0").max(1, "must be ≤ 1").describe("actor learning rate (Adam)"),
    qLr: z.number().positive("must be > 0").max(1, "must be ≤ 1").describe("critics' and α's learning rate (Adam)"),
    policyFrequency: positiveInt("policyFrequency").describe("steps between actor updates; each time the actor is updated this many times (delayed, TD3-style)"),
    targetNetworkFrequency: positiveInt("targetNetworkFrequency").describe("steps between target network updates"),
    alpha: z.number().min(0, "must be ≥ 0").describe("entropy coefficient α when not autotuned"),
    autotune: z.boolean().describe("tune α towards the target entropy −dim(A) (an Adam on log α)"),
    hiddenSizes: z.array(positiveInt("hiddenSizes entries")).min(1, "needs at least one hidden layer").describe("hidden layer widths of actor and critics, comma separated"),
  })
  .strict();

export type SACConfig = z.infer<typeof sacConfigSchema>;

/** CleanRL `sac_continuous_action.py`'s defaults. */
export const SAC_DEFAULTS: Omit<SACConfig, "envId"> = {
  seed: 1,
  totalTimesteps: 1_000_000,
  numEnvs: 1,
  bufferSize: 1_000_000,
  gamma: 0.99,
  tau: 0.005,
  batchSize: 256,
  learningStarts: 5_000,
  policyLr: 3e-4,
  qLr: 1e-3,
  policyFrequency: 2,
  targetNetworkFrequency: 1,
  alpha: 0.2,
  autotune: true,
  hiddenSizes: [256, 256],
};

/** Fields the saved state is shaped by: a resume cannot change them. */
export const SAC_FIXED_ON_RESUME = ["envId", "seed", "numEnvs", "bufferSize", "hiddenSizes", "autotune"] as const;

export function resolveSACConfig(overrides: Partial<SACConfig> & { envId: string }, target?: TrainingTarget): SACConfig {
  const c = parseConfig(sacConfigSchema, { ...SAC_DEFAULTS, ...overrides }, "sac");
  boundedBoxActions(target ?? trainingTarget({ envId: c.envId }, "sac"), "SAC");
  return c;
}

interface SACState {
  globalStep: number;
  iteration: number;
  updates: number;
  elapsed: number;
  alpha: number;
  current: number[];
  rng: RandomState;
  /** the vector env's own state (getState), restored by its setState */
  env: unknown;
  episodeStatistics: VectorRecordEpisodeStatisticsState;
  episodes: EpisodeLogState;
  buffer: ReplayBufferState;
}

/** The training env, built the way every algorithm builds it (same-step autoreset, as CleanRL's loop expects). */
function buildEnv(target: TrainingTarget, numEnvs: number): BaseVectorEnv {
  return target.build(numEnvs, "same-step");
}

export class SAC {
  readonly config: SACConfig;
  readonly target: TrainingTarget;
  readonly actor: Network;
  readonly qf1: Network;
  readonly qf2: Network;
  readonly qf1Target: Network;
  readonly qf2Target: Network;
  readonly logAlpha: ParameterTensor;
  readonly qOptimizer: Adam;
  readonly actorOptimizer: Adam;
  readonly alphaOptimizer: Adam;
  readonly buffer: ReplayBuffer;
  readonly episodes = new EpisodeLog();
  private readonly env: BaseVectorEnv;
  private readonly stats: RecordEpisodeStatistics;
  private readonly rng: Random;
  private readonly actionDim: number;
  private readonly low: Float32Array;
  private readonly high: Float32Array;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  private readonly targetEntropy: number;
  private alpha: number;
  private globalStep = 0;
  private iteration = 0;
  private updates = 0;
  private elapsedBefore = 0;
  private readonly current: Float32Array;
  // per-update scratch, allocated once
  private readonly batch: ReplayBatch;
  private readonly noise: Float64Array;
  private readonly sampled: Float64Array;
  private readonly logProb: Float64Array;
  private readonly squashed: Float64Array;
  private readonly targets: Float64Array;
  private readonly gradAction: Float64Array;
  private readonly gradLogProb: Float64Array;
  private readonly actionGrad: Float64Array;

  /** `{ envId }` trains on a registered env, `{ env: () => new MyEnv() }` on a factory, `{ env: vectorEnv }` on a vector env (same-step autoreset). */
  constructor(input: Partial<SACConfig> & EnvInput, options: { backend?: Backend } = {}) {
    const { env: source, ...overrides } = input;
    const target = (this.target = trainingTarget({ envId: overrides.envId, env: source }, "sac"));
    const c = (this.config = resolveSACConfig({ ...overrides, envId: target.envId }, target));
    const space = boundedBoxActions(target, "SAC");
    const backend = options.backend ?? defaultBackend();
    this.actionDim = space.size;
    this.low = Float32Array.from(space.low);
    this.high = Float32Array.from(space.high);
    ({ scale: this.scale, bias: this.bias } = actionScaling(space));
    this.env = buildEnv(target, c.numEnvs);
    this.stats = new RecordEpisodeStatistics(this.env);
    const obsSize = this.env.obsSize, d = this.actionDim, B = c.batchSize;
    const maxBatch = Math.max(B, c.numEnvs);
    // CleanRL's construction order: actor, qf1, qf2, then the targets (copied from qf1, qf2).
    const initRng = new Random(c.seed);
    this.actor = new Network(mlp(c.hiddenSizes, 2 * d), { inputShape: obsSize, maxBatch, rng: initRng, backend });
    const critic = () => new Network(mlp(c.hiddenSizes, 1), { inputShape: obsSize + d, inputParts: [obsSize, d], maxBatch, rng: initRng, backend });
    this.qf1 = critic();
    this.qf2 = critic();
    this.qf1Target = critic();
    this.qf2Target = critic();
    this.qf1Target.softUpdateFrom(this.qf1, 1);
    this.qf2Target.softUpdateFrom(this.qf2, 1);
    this.logAlpha = new ParameterTensor("log_alpha", [1], { backend });
    this.qOptimizer = new Adam([this.qf1, this.qf2], { lr: c.qLr });
    this.actorOptimizer = new Adam([this.actor], { lr: c.policyLr });
    this.alphaOptimizer = new Adam([this.logAlpha], { lr: c.qLr });
    this.targetEntropy = -d;
    this.alpha = c.autotune ? 1 : c.alpha;
    this.buffer = new ReplayBuffer({ capacity: c.bufferSize, obsSize, actions: d, numEnvs: c.numEnvs });
    this.rng = new Random(c.seed + 1);
    this.current = new Float32Array(c.numEnvs * obsSize);
    this.batch = this.buffer.batch(B);
    this.noise = new Float64Array(maxBatch * d);
    this.sampled = new Float64Array(maxBatch * d);
    this.logProb = new Float64Array(maxBatch);
    this.squashed = new Float64Array(maxBatch * d);
    this.targets = new Float64Array(B);
    this.gradAction = new Float64Array(B * d);
    this.gradLogProb = new Float64Array(B);
    this.actionGrad = new Float64Array(B * d);
  }

  /** Actor forward on `rows` observations already in `actor.input`, then a reparameterized sample into `sampled`/`logProb`. */
  private sampleActions(rows: number): void {
    const d = this.actionDim;
    this.actor.forward(rows);
    for (let i = 0; i < rows * d; i++) this.noise[i] = this.rng.normal();
    squashedGaussianForward(this.actor.outputView(rows), rows, d, this.noise, this.scale, this.bias, this.sampled, this.logProb, this.squashed);
  }

  learn(callbacks: TrainCallbacks = {}): TrainResult {
    const c = this.config;
    const N = c.numEnvs, d = this.actionDim, obsSize = this.env.obsSize;
    const iterations = Math.ceil(c.totalTimesteps / N);
    const actions = new Float32Array(N * d);
    const start = now() - this.elapsedBefore;
    const current = this.current;
    let metrics: Record<string, number> = {};
    if (this.iteration === 0) current.set(this.stats.reset({ seed: c.seed })[0]);
    for (let g = this.iteration; g < iterations; g++) {
      if (g < c.learningStarts) {
        for (let i = 0; i < N; i++) for (let k = 0; k < d; k++) actions[i * d + k] = this.low[k]! + (this.high[k]! - this.low[k]!) * this.rng.random();
      } else {
        this.actor.inputView(N).set(current);
        this.sampleActions(N);
        for (let i = 0; i < N * d; i++) actions[i] = this.sampled[i]!;
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
          metrics = { ...m, "charts/SPS": this.globalStep / elapsed };
          callbacks.onMetrics?.(this.globalStep, metrics, elapsed);
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
    return trainResult("sac", c, this.globalStep, wall, this.episodes);
  }

  /** One critic update, and at every `policyFrequency`th step the actor (and α) updates; returns CleanRL's logged losses. */
  private update(g: number): Record<string, number> {
    const c = this.config;
    const B = c.batchSize;
    const batch = this.batch;
    this.buffer.sample(this.rng, batch, c.gamma);
    this.updates++;

    // y = r + γ(1 − done)·(min Q_target(s', a') − α·log π(a'|s')), a' ~ π(·|s')
    this.actor.inputView(B).set(batch.nextObs);
    this.sampleActions(B);
    this.qf1Target.setInputPart(0, batch.nextObs, B);
    this.qf1Target.setInputPart(1, this.sampled, B);
    const q1Next = this.qf1Target.outputView(B), q2Next = this.qf2Target.outputView(B);
    this.qf1Target.forward(B);
    this.qf2Target.forward(B, this.qf1Target.input);
    for (let b = 0; b < B; b++) {
      this.targets[b] = batch.rewards[b]! + batch.discounts[b]! * (Math.min(q1Next[b]!, q2Next[b]!) - this.alpha * this.logProb[b]!);
    }

    // critics: mean squared TD errors, summed over the two
    this.qf1.setInputPart(0, batch.obs, B);
    this.qf1.setInputPart(1, batch.actions, B);
    const qf1Loss = this.criticStep(this.qf1, this.qf1.input);
    const qf1Values = meanOutput(this.qf1, B, "qf1 values (Q(s, a) of the sampled batch)", this.updates, this.globalStep);
    const qf2Loss = this.criticStep(this.qf2, this.qf1.input);
    const qf2Values = meanOutput(this.qf2, B, "qf2 values (Q(s, a) of the sampled batch)", this.updates, this.globalStep);
    assertFiniteValue(qf1Loss + qf2Loss, "the critics' loss", this.updates, this.globalStep);
    this.qOptimizer.update();

    let actorLoss = NaN, alphaLoss = NaN;
    if (g % c.policyFrequency === 0) {
      for (let k = 0; k < c.policyFrequency; k++) {
        actorLoss = this.actorStep(batch);
        if (c.autotune) alphaLoss = this.alphaStep(batch);
      }
    }
    if (g % c.targetNetworkFrequency === 0) {
      this.qf1Target.softUpdateFrom(this.qf1, c.tau);
      this.qf2Target.softUpdateFrom(this.qf2, c.tau);
    }
    const metrics: Record<string, number> = {
      "losses/qf1_values": qf1Values,
      "losses/qf2_values": qf2Values,
      "losses/qf1_loss": qf1Loss,
      "losses/qf2_loss": qf2Loss,
      "losses/qf_loss": (qf1Loss + qf2Loss) / 2,
      "losses/actor_loss": actorLoss,
      "losses/alpha": this.alpha,
    };
    if (c.autotune) metrics["losses/alpha_loss"] = alphaLoss;
    return metrics;
  }

  /** MSE of `net`(input) against the targets; writes its parameter gradients and returns the loss. */
  private criticStep(net: Network, input: number): number {
    const B = this.config.batchSize;
    net.forward(B, input);
    const q = net.outputView(B), grad = net.outputGradView(B);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const diff = q[b]! - this.targets[b]!;
      loss += diff * diff;
      grad[b] = (2 * diff) / B;
    }
    net.backward();
    return loss / B;
  }

  /** actor loss = mean(α·log π(a|s) − min(Q1, Q2)(s, a)), a ~ π(·|s) reparameterized. */
  private actorStep(batch: ReplayBatch): number {
    const B = this.config.batchSize, d = this.actionDim;
    this.actor.inputView(B).set(batch.obs);
    this.sampleActions(B);
    this.qf1.setInputPart(0, batch.obs, B);
    this.qf1.setInputPart(1, this.sampled, B);
    this.qf1.forward(B);
    this.qf2.forward(B, this.qf1.input);
    const q1 = this.qf1.outputView(B), q2 = this.qf2.outputView(B);
    const g1 = this.qf1.outputGradView(B), g2 = this.qf2.outputGradView(B);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const first = q1[b]! <= q2[b]!;
      loss += this.alpha * this.logProb[b]! - (first ? q1[b]! : q2[b]!);
      g1[b] = first ? -1 / B : 0;
      g2[b] = first ? 0 : -1 / B;
      this.gradLogProb[b] = this.alpha / B;
    }
    loss /= B;
    assertFiniteValue(loss, "the actor loss", this.updates, this.globalStep);
    // ∂L/∂a through both critics (only their input gradients: the critics are not updated here)
    this.qf1.backward({ inputGradient: true, parameterGradients: false });
    this.qf1.inputGradPart(1, B, this.gradAction);
    this.qf2.backward({ inputGradient: true, parameterGradients: false });
    this.qf2.inputGradPart(1, B, this.actionGrad);
    for (let i = 0; i < B * d; i++) this.gradAction[i]! += this.actionGrad[i]!;
    squashedGaussianBackward(this.actor.outputView(B), B, d, this.noise, this.scale, this.squashed, this.gradAction, this.gradLogProb, this.actor.outputGradView(B));
    this.actor.backward();
    this.actorOptimizer.update();
    return loss;
  }

  /** α loss = mean(−exp(log α)·(log π(a|s) + target entropy)) on a fresh sample, as CleanRL. */
  private alphaStep(batch: ReplayBatch): number {
    const B = this.config.batchSize;
    this.actor.inputView(B).set(batch.obs);
    this.sampleActions(B);
    const logAlpha = this.logAlpha.value[0]!;
    let mean = 0;
    for (let b = 0; b < B; b++) mean += this.logProb[b]! + this.targetEntropy;
    mean /= B;
    const alpha = Math.exp(logAlpha);
    this.logAlpha.grad[0] = -alpha * mean;
    this.alphaOptimizer.update();
    this.alpha = Math.exp(this.logAlpha.value[0]!);
    assertFiniteValue(this.alpha, "the entropy coefficient α (log_alpha)", this.updates, this.globalStep);
    return -alpha * mean;
  }

  private modules(): Record<string, Parameterized> {
    return { actor: this.actor, qf1: this.qf1, qf2: this.qf2, qf1_target: this.qf1Target, qf2_target: this.qf2Target, log_alpha: this.logAlpha };
  }

  private optimizers() {
    return { q: this.qOptimizer, actor: this.actorOptimizer, alpha: this.alphaOptimizer };
  }

  /** Everything needed to continue this run exactly (between two env steps): networks, optimizers, α, replay buffer, RNGs, envs. */
  saveCheckpoint(): Uint8Array {
    const state: SACState = {
      globalStep: this.globalStep,
      iteration: this.iteration,
      updates: this.updates,
      elapsed: this.elapsedBefore,
      alpha: this.alpha,
      current: Array.from(this.current),
      rng: this.rng.getState(),
      env: this.env.getState(),
      episodeStatistics: this.stats.getState(),
      episodes: this.episodes.getState(),
      buffer: this.buffer.getState(),
    };
    return saveParameters(this.modules(), this.optimizers(), { kind: CHECKPOINT_KIND, algo: "sac", config: this.config, state }, this.buffer.tensors());
  }

  /** Restores a `saveCheckpoint` of a run with the same config; `learn` then continues it. */
  loadCheckpoint(bytes: Uint8Array, source = "checkpoint", madeWith: unknown = this.config): void {
    const { meta, extra } = loadParameters(bytes, this.modules(), this.optimizers(), source);
    const state = checkCheckpointMeta(meta, "sac", madeWith, source) as SACState;
    this.globalStep = state.globalStep;
    this.iteration = state.iteration;
    this.updates = state.updates;
    this.elapsedBefore = state.elapsed;
    this.alpha = state.alpha;
    this.current.set(state.current);
    this.rng.setState(state.rng);
    this.env.setState(state.env);
    this.stats.setState(state.episodeStatistics);
    this.episodes.setState(state.episodes);
    this.buffer.setState(state.buffer, extra);
  }

  /** The actor as a policy: deterministic action tanh(μ)·scale + bias; sampling draws from the squashed Gaussian. */
  savePolicy(): Uint8Array {
    const policy: SavedPolicy = {
      algo: "sac",
      ...policyEnv(this.target),
      head: { kind: "squashed-gaussian", actionDim: this.actionDim, scale: Array.from(this.scale), bias: Array.from(this.bias) },
      network: this.actor.describe(),
      observationNormalization: null,
      config: this.config,
    };
    return encodePolicy(policy, this.actor.stateTensors("policy."));
  }
}
