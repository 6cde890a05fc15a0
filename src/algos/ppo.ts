/**
 * PPO, after CleanRL's `ppo.py` (discrete actions) and `ppo_continuous_action.py` (Box actions):
 * same defaults, same loss and the same order of operations — GAE, per-minibatch advantage
 * normalization, clipped surrogate and clipped value loss, entropy bonus, linear lr annealing,
 * one global gradient-norm clip over actor and critic, Adam with eps 1e-5. Episodes end on
 * termination or truncation without bootstrapping, and envs autoreset in the same step, as under
 * the gymnasium 0.29 that CleanRL pins.
 */
import { z } from "zod";
import { Box, Discrete, type Space } from "../envs/spaces.js";
import { RecordEpisodeStatistics } from "../envs/wrappers/vector/common.js";
import { NormalizeReward } from "../envs/wrappers/vector/stateful-reward.js";
import { ClipAction, TransformReward } from "../envs/wrappers/vector/transform.js";
import type { BaseVectorEnv, VectorEnvLike } from "../envs/wrappers/vector-wrapper.js";
import { RunningMeanStd } from "../envs/wrappers/running-mean-std.js";
import type { Backend } from "../nn/backend.js";
import { defaultBackend } from "../nn/backend.js";
import {
  categoricalBackward,
  categoricalEvaluate,
  categoricalSample,
  gaussianBackward,
  gaussianEvaluate,
  gaussianSample,
} from "../nn/distributions.js";
import { type LayerSpec, linear, tanh } from "../nn/layers.js";
import { Network, ParameterTensor, type Parameterized } from "../nn/network.js";
import { Adam, clipGradientNorm, findNonFinite } from "../nn/optim.js";
import { Random, type RandomState } from "../rng/random.js";
import { loadParameters, saveParameters } from "../nn/checkpoint.js";
import { type EnvInput, type TrainingTarget, requireActionSpace, trainingTarget } from "./training-env.js";
import { observationBody } from "./bodies.js";
import type { VectorRecordEpisodeStatisticsState } from "../envs/wrappers/vector/common.js";
import type { VectorNormalizeRewardState } from "../envs/wrappers/vector/stateful-reward.js";
import type { RunningMeanStdState } from "../envs/wrappers/running-mean-std.js";
import {
  CHECKPOINT_KIND,
  EpisodeLog,
  type EpisodeLogState,
  type TrainCallbacks,
  checkCheckpointMeta,
  ConfigError,
  type TrainResult,
  assertFinite,
  describeNonFinite,
  now,
  parseConfig,
  positiveInt,
  unitInterval,
  commonFields,
  trainResult,
} from "./common.js";
import { Policy, type SavedPolicy, encodePolicy, policyEnv } from "./policy.js";

export const ppoConfigSchema = z
  .object({
    ...commonFields,
    numSteps: positiveInt("numSteps").describe("steps per env per rollout"),
    annealLr: z.boolean().describe("linearly anneal the learning rate to 0"),
    gamma: unitInterval.describe("discount factor"),
    gaeLambda: unitInterval.describe("GAE λ"),
    numMinibatches: positiveInt("numMinibatches").describe("minibatches per epoch"),
    updateEpochs: positiveInt("updateEpochs").describe("epochs over each rollout"),
    normAdv: z.boolean().describe("normalize advantages per minibatch"),
    clipCoef: z.number().positive("must be > 0").describe("surrogate clipping coefficient"),
    clipVloss: z.boolean().describe("clip the value loss"),
    entCoef: z.number().min(0, "must be ≥ 0").describe("entropy bonus coefficient"),
    vfCoef: z.number().min(0, "must be ≥ 0").describe("value loss coefficient"),
    maxGradNorm: z.number().positive("must be > 0").describe("global gradient-norm clip over actor and critic"),
    targetKl: z.number().positive("must be > 0").nullable().describe("stop an update's epochs early above this approx KL; 'none' disables"),
    adamEps: z.number().positive("must be > 0").describe("Adam epsilon (CleanRL's 1e-5)"),
    hiddenSizes: z.array(positiveInt("hiddenSizes entries")).min(1, "needs at least one hidden layer").describe("hidden layer widths, comma separated"),
    convChannels: z.array(positiveInt("convChannels entries")).describe("channels of 2-D convolutions (ReLU) before the hidden layers, for image observations [h, w, c]; comma separated, empty for none (MinAtar: 16)"),
    convKernel: positiveInt("convKernel").describe("kernel size of those convolutions"),
    /** continuous actions only: normalize observations and rewards as ppo_continuous_action.py does */
    normalize: z.boolean().describe("normalize observations and rewards (continuous actions, as ppo_continuous_action.py)"),
  })
  .strict()
  .refine((c) => (c.numEnvs * c.numSteps) % c.numMinibatches === 0 && c.numEnvs * c.numSteps >= c.numMinibatches, {
    error: "numEnvs × numSteps must be a multiple of numMinibatches",
    path: ["numMinibatches"],
  })
  .refine((c) => c.totalTimesteps >= c.numEnvs * c.numSteps, {
    error: "totalTimesteps must be at least one rollout (numEnvs × numSteps)",
    path: ["totalTimesteps"],
  });

export type PPOConfig = z.infer<typeof ppoConfigSchema>;

/** Fields the saved state is shaped by (or that make it another run): never changed on resume. */
export const PPO_FIXED_ON_RESUME = ["envId", "seed", "numEnvs", "hiddenSizes", "convChannels", "convKernel", "normalize"] as const;

/** CleanRL's defaults: `ppo.py` for discrete action spaces, `ppo_continuous_action.py` for Box ones. */
export function ppoDefaults(env: string | Space): Omit<PPOConfig, "envId"> {
  const continuous = (typeof env === "string" ? trainingTarget({ envId: env }, "ppo").actionSpace : env) instanceof Box;
  const shared = { seed: 1, annealLr: true, gamma: 0.99, gaeLambda: 0.95, normAdv: true, clipCoef: 0.2, clipVloss: true, vfCoef: 0.5, maxGradNorm: 0.5, targetKl: null, adamEps: 1e-5, hiddenSizes: [64, 64], convChannels: [], convKernel: 3 };
  return continuous
    ? { ...shared, totalTimesteps: 1_000_000, learningRate: 3e-4, numEnvs: 1, numSteps: 2048, numMinibatches: 32, updateEpochs: 10, entCoef: 0, normalize: true }
    : { ...shared, totalTimesteps: 500_000, learningRate: 2.5e-4, numEnvs: 4, numSteps: 128, numMinibatches: 4, updateEpochs: 4, entCoef: 0.01, normalize: false };
}

/** Fills CleanRL's defaults for the env's action space (default: the registered env's) under `overrides`, then validates. */
export function resolvePPOConfig(overrides: Partial<PPOConfig> & { envId: string }, actionSpace?: Space): PPOConfig {
  return parseConfig(ppoConfigSchema, { ...ppoDefaults(actionSpace ?? overrides.envId), ...overrides }, "ppo");
}

const OBS_CLIP = 10;
const REWARD_CLIP = 10;

export class PPO {
  readonly config: PPOConfig;
  readonly actor: Network;
  readonly critic: Network;
  /** state-independent log standard deviation (continuous actions only) */
  readonly logStd: ParameterTensor | null;
  readonly optimizer: Adam;
  readonly episodes = new EpisodeLog();
  readonly continuous: boolean;
  private readonly env: VectorEnvLike;
  private readonly base: BaseVectorEnv;
  /** the env's Discrete `start`: the networks pick actions in [0, n), the env takes start + that */
  private readonly actionStart: number;
  readonly target: TrainingTarget;
  private readonly stats: RecordEpisodeStatistics;
  private readonly obsRms: RunningMeanStd | null;
  private rewardNormalizer: NormalizeReward | null = null;
  private readonly policyRng: Random;
  private readonly shuffleRng: Random;
  private readonly obsSize: number;
  private readonly actionDim: number;
  private readonly numActions: number;
  private globalStep = 0;
  /** the policy `predict` acts with, refreshed when training moved on */
  private acting: { step: number; policy: Policy } | null = null;
  private iteration = 0;
  /** wall-clock seconds of training before the current `learn` call (restored from checkpoints) */
  private elapsedBefore = 0;
  /** the policy's next input (normalized where configured) and whether each env just ended an episode */
  private readonly nextObs: Float32Array;
  private readonly nextDone: Float64Array;

  /**
   * `{ envId: "CartPole-v1" }` trains on a registered env (built-in or yours); `{ env: () => new
   * MyEnv() }` on an env factory, `{ env: vectorEnv }` on a vector env you built (same-step autoreset).
   */
  constructor(input: Partial<PPOConfig> & EnvInput, options: { backend?: Backend } = {}) {
    const { env: source, ...overrides } = input;
    const target = (this.target = trainingTarget({ envId: overrides.envId, env: source }, "ppo"));
    requireActionSpace(target, "PPO", { discrete: true, box: true }, "Wrap the env so that it takes one (e.g. a MultiDiscrete action as one Discrete index), or flatten a Dict/Tuple action into a Box.");
    const c = (this.config = resolvePPOConfig({ ...overrides, envId: target.envId }, target.actionSpace));
    const backend = options.backend ?? defaultBackend();
    const space = target.actionSpace;
    this.continuous = space instanceof Box;
    if (this.continuous && !(space as Box).bounded) {
      throw new ConfigError(`PPO clips Box actions to their bounds; ${c.envId} has unbounded ${space}: give the action space finite bounds`);
    }
    this.actionDim = this.continuous ? (space as Box).size : 1;
    this.numActions = this.continuous ? 0 : (space as Discrete).n;
    this.actionStart = this.continuous ? 0 : (space as Discrete).start;

    this.base = target.build(c.numEnvs, "same-step");
    this.obsSize = this.base.obsSize;
    this.stats = new RecordEpisodeStatistics(this.base);
    let env: VectorEnvLike = this.stats;
    if (this.continuous) {
      env = new ClipAction(env);
      if (c.normalize) {
        env = this.rewardNormalizer = new NormalizeReward(env, c.gamma);
        env = new TransformReward(env, (r) => {
          for (let i = 0; i < r.length; i++) r[i] = Math.min(REWARD_CLIP, Math.max(-REWARD_CLIP, r[i]!));
          return r;
        });
      }
    }
    this.env = env;
    this.obsRms = this.continuous && c.normalize ? new RunningMeanStd(this.obsSize) : null;

    const batch = c.numEnvs * c.numSteps;
    const maxBatch = Math.max(batch / c.numMinibatches, c.numEnvs);
    const initRng = new Random(c.seed);
    const { inputShape, conv } = observationBody(target.observationSpace, this.obsSize, c, { orthogonal: Math.SQRT2 });
    const body = (): LayerSpec[] => [...conv, ...c.hiddenSizes.flatMap((h) => [linear(h, { orthogonal: Math.SQRT2 }), tanh()])];
    // CleanRL builds the critic first, then the actor.
    this.critic = new Network([...body(), linear(1, { orthogonal: 1 })], { inputShape, maxBatch, rng: initRng, backend });
    this.actor = new Network([...body(), linear(this.continuous ? this.actionDim : this.numActions, { orthogonal: 0.01 })], {
      inputShape,
      maxBatch,
      rng: initRng,
      backend,
    });
    this.logStd = this.continuous ? new ParameterTensor("actor_logstd", [this.actionDim], { backend }) : null;
    this.optimizer = new Adam(this.logStd ? [this.actor, this.critic, this.logStd] : [this.actor, this.critic], { lr: c.learningRate, eps: c.adamEps });
    this.policyRng = new Random(c.seed + 1);
    this.shuffleRng = new Random(c.seed + 2);
    this.nextObs = new Float32Array(c.numEnvs * this.obsSize);
    this.nextDone = new Float64Array(c.numEnvs);
  }

  private get parameterGroups() {
    return this.logStd ? [this.actor, this.critic, this.logStd] : [this.actor, this.critic];
  }

  /** Normalizes (and clips) observations in place when the config asks for it, updating the statistics. */
  private normalizeObservations(obs: Float32Array, rows: number, out: Float32Array): void {
    const rms = this.obsRms;
    if (!rms) {
      out.set(obs.subarray(0, rows * this.obsSize));
      return;
    }
    rms.update(obs, rows);
    const d = this.obsSize;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < d; k++) {
        const v = (obs[r * d + k]! - rms.mean[k]!) / Math.sqrt(rms.var[k]! + 1e-8);
        out[r * d + k] = Math.min(OBS_CLIP, Math.max(-OBS_CLIP, v));
      }
    }
  }

  /** Trains for `totalTimesteps` (default: the config's), as CleanRL's main loop. */
  learn(callbacks: TrainCallbacks = {}): TrainResult {
    const c = this.config;
    const N = c.numEnvs, T = c.numSteps, d = this.obsSize, A = this.actionDim;
    const batchSize = N * T;
    const minibatchSize = batchSize / c.numMinibatches;
    const numIterations = Math.floor(c.totalTimesteps / batchSize);
    const backend = this.actor.backend;

    const obsBuf = new Float32Array(batchSize * d);
    const actionsBuf = new Float64Array(batchSize * A);
    const logProbs = new Float64Array(batchSize);
    const rewards = new Float64Array(batchSize);
    const dones = new Float64Array(batchSize);
    const values = new Float64Array(batchSize);
    const advantages = new Float64Array(batchSize);
    const returns = new Float64Array(batchSize);
    const { nextObs, nextDone } = this;
    const stepActions = this.continuous ? new Float64Array(N * A) : new Int32Array(N);
    const envActions = this.actionStart ? new Int32Array(N) : stepActions;
    const stepLogProb = new Float64Array(N);
    const stepEntropy = new Float64Array(N);
    const indices = new Int32Array(batchSize);
    const mbActions = new Float64Array(minibatchSize * A);
    const newLogProb = new Float64Array(minibatchSize);
    const entropy = new Float64Array(minibatchSize);
    const gradLogProb = new Float64Array(minibatchSize);
    const gradEntropy = new Float64Array(minibatchSize).fill(-c.entCoef / minibatchSize);
    const mbAdv = new Float64Array(minibatchSize);
    const mbOldLogProb = new Float64Array(minibatchSize);
    const mbOldValue = new Float64Array(minibatchSize);
    const mbReturns = new Float64Array(minibatchSize);
    const terms: PPOLossTerms = { policyLoss: 0, valueLoss: 0, entropy: 0, oldApproxKl: 0, approxKl: 0, clipFraction: 0 };

    const start = now() - this.elapsedBefore;
    if (this.iteration === 0) {
      const [obs] = this.env.reset({ seed: c.seed });
      this.normalizeObservations(obs, N, nextObs);
    }
    for (let iteration = this.iteration + 1; iteration <= numIterations; iteration++) {
      this.iteration = iteration;
      if (c.annealLr) this.optimizer.lr = (1 - (iteration - 1) / numIterations) * c.learningRate;

      for (let step = 0; step < T; step++) {
        this.globalStep += N;
        const row = step * N;
        obsBuf.set(nextObs, row * d);
        dones.set(nextDone, row);
        this.actor.inputView(N).set(nextObs);
        const out = backend.view32(this.actor.forward(N), N * this.actor.outputSize);
        const value = backend.view32(this.critic.forward(N, this.actor.input), N);
        if (this.continuous) {
          const logStd = this.logStd!.value;
          gaussianSample(out, logStd, N, A, this.policyRng, stepActions as Float64Array);
          gaussianEvaluate(out, logStd, N, A, stepActions, stepLogProb, stepEntropy);
        } else {
          categoricalSample(out, N, this.numActions, this.policyRng, stepActions);
          categoricalEvaluate(out, N, this.numActions, stepActions, stepLogProb, stepEntropy);
        }
        for (let i = 0; i < N; i++) values[row + i] = value[i]!;
        for (let k = 0; k < N * A; k++) actionsBuf[row * A + k] = stepActions[k]!;
        logProbs.set(stepLogProb, row);

        if (this.actionStart) for (let i = 0; i < N; i++) envActions[i] = stepActions[i]! + this.actionStart;
        const [o, r, term, trunc, info] = this.env.step(envActions);
        for (let i = 0; i < N; i++) {
          rewards[row + i] = r[i]!;
          nextDone[i] = term[i]! | trunc[i]! ? 1 : 0;
        }
        this.normalizeObservations(o, N, nextObs);
        const mask = info["_episode"] as Uint8Array | undefined;
        if (mask) this.recordEpisodes(mask, info["episode"] as { r: Float64Array; l: Int32Array }, start, callbacks);
      }

      // GAE(λ), bootstrapped from the critic at the last observation.
      this.actor.inputView(N).set(nextObs);
      const nextValue = backend.view32(this.critic.forward(N, this.actor.input), N);
      for (let i = 0; i < N; i++) {
        let lastGae = 0;
        for (let t = T - 1; t >= 0; t--) {
          const at = t * N + i;
          const nextNonTerminal = t === T - 1 ? 1 - nextDone[i]! : 1 - dones[at + N]!;
          const nextValues = t === T - 1 ? nextValue[i]! : values[at + N]!;
          const delta = rewards[at]! + c.gamma * nextValues * nextNonTerminal - values[at]!;
          lastGae = delta + c.gamma * c.gaeLambda * nextNonTerminal * lastGae;
          advantages[at] = lastGae;
          returns[at] = lastGae + values[at]!;
        }
      }

      let clipFractionSum = 0, minibatches = 0;
      let pgLoss = 0, vLoss = 0, entropyLoss = 0, oldApproxKl = 0, approxKl = 0;
      for (let i = 0; i < batchSize; i++) indices[i] = i; // CleanRL's b_inds = np.arange(batch_size), every iteration
      epochs: for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
        this.shuffleRng.shuffle(indices);
        for (let mbStart = 0; mbStart < batchSize; mbStart += minibatchSize) {
          const input = this.actor.inputView(minibatchSize);
          for (let b = 0; b < minibatchSize; b++) {
            const idx = indices[mbStart + b]!;
            input.set(obsBuf.subarray(idx * d, idx * d + d), b * d);
            for (let k = 0; k < A; k++) mbActions[b * A + k] = actionsBuf[idx * A + k]!;
          }
          const out = backend.view32(this.actor.forward(minibatchSize), minibatchSize * this.actor.outputSize);
          const newValue = backend.view32(this.critic.forward(minibatchSize, this.actor.input), minibatchSize);
          const logStd = this.logStd?.value;
          if (logStd) gaussianEvaluate(out, logStd, minibatchSize, A, mbActions, newLogProb, entropy);
          else categoricalEvaluate(out, minibatchSize, this.numActions, mbActions, newLogProb, entropy);

          let mean = 0;
          for (let b = 0; b < minibatchSize; b++) mean += advantages[indices[mbStart + b]!]!;
          mean /= minibatchSize;
          let sq = 0;
          for (let b = 0; b < minibatchSize; b++) sq += (advantages[indices[mbStart + b]!]! - mean) ** 2;
          const std = Math.sqrt(sq / (minibatchSize - 1)); // torch.std is unbiased
          for (let b = 0; b < minibatchSize; b++) {
            const a = advantages[indices[mbStart + b]!]!;
            mbAdv[b] = c.normAdv ? (a - mean) / (std + 1e-8) : a;
          }

          for (let b = 0; b < minibatchSize; b++) {
            const idx = indices[mbStart + b]!;
            mbOldLogProb[b] = logProbs[idx]!;
            mbOldValue[b] = values[idx]!;
            mbReturns[b] = returns[idx]!;
          }
          const dValue = this.critic.outputGradView(minibatchSize);
          const loss = ppoLoss(c, { newLogProb, oldLogProb: mbOldLogProb, advantages: mbAdv, entropy, newValue, oldValue: mbOldValue, returns: mbReturns }, gradLogProb, dValue, terms);
          pgLoss = terms.policyLoss;
          vLoss = terms.valueLoss;
          entropyLoss = terms.entropy;
          oldApproxKl = terms.oldApproxKl;
          approxKl = terms.approxKl;
          clipFractionSum += terms.clipFraction;
          minibatches++;
          assertFinite(loss, "the PPO loss", this.optimizer.step + 1, this.globalStep, () => describeNonFinite(this.namedGroups()));

          if (this.logStd) {
            gaussianBackward(out, this.logStd.value, minibatchSize, A, mbActions, gradLogProb, gradEntropy, this.actor.outputGradView(minibatchSize), this.logStd.grad);
          } else {
            categoricalBackward(out, minibatchSize, this.numActions, mbActions, gradLogProb, gradEntropy, this.actor.outputGradView(minibatchSize));
          }
          this.actor.backward();
          this.critic.backward();
          const norm = clipGradientNorm(this.parameterGroups, c.maxGradNorm);
          if (!Number.isFinite(norm)) this.throwNonFinite("grad", norm);
          this.optimizer.update();
        }
        if (c.targetKl !== null && approxKl > c.targetKl) break epochs;
      }
      const bad = findNonFinite(this.namedGroups(), "value");
      if (bad) this.throwNonFinite("value", NaN, bad);

      const elapsed = now() - start;
      const sps = this.globalStep / elapsed;
      callbacks.onMetrics?.(this.globalStep, {
        "charts/learning_rate": this.optimizer.lr,
        "losses/value_loss": vLoss,
        "losses/policy_loss": pgLoss,
        "losses/entropy": entropyLoss,
        "losses/old_approx_kl": oldApproxKl,
        "losses/approx_kl": approxKl,
        "losses/clipfrac": clipFractionSum / minibatches,
        "losses/explained_variance": explainedVariance(values, returns),
        "charts/SPS": sps,
      }, elapsed);
      callbacks.onProgress?.({ step: this.globalStep, totalSteps: numIterations * batchSize, sps, episodes: this.episodes.count, recentMeanReturn: this.episodes.meanReturn(20) });
      this.elapsedBefore = now() - start;
      callbacks.checkpoint?.(this.globalStep, iteration === numIterations);
      if (callbacks.shouldStop?.(this.globalStep)) break;
    }
    const wall = now() - start;
    this.elapsedBefore = wall;
    return trainResult("ppo", c, this.globalStep, wall, this.episodes);
  }

  private recordEpisodes(mask: Uint8Array, episode: { r: Float64Array; l: Int32Array }, start: number, callbacks: TrainCallbacks): void {
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      this.episodes.add(this.globalStep, episode.r[i]!, episode.l[i]!);
      callbacks.onEpisode?.({ step: this.globalStep, return: episode.r[i]!, length: episode.l[i]!, wallSeconds: now() - start });
    }
  }

  private namedGroups() {
    const groups = [
      { name: "actor", network: this.actor },
      { name: "critic", network: this.critic },
    ];
    return this.logStd ? [...groups, { name: "", network: this.logStd }] : groups;
  }

  private throwNonFinite(what: "grad" | "value", norm: number, name = findNonFinite(this.namedGroups(), what)): never {
    const where = what === "grad" ? `gradient norm ${norm}${name ? `, first in ${name}` : ""}` : `parameter ${name}`;
    assertFinite(NaN, `${where} (after optimizer step ${this.optimizer.step}, iteration ${this.iteration})`, this.optimizer.step, this.globalStep);
    throw new Error("unreachable");
  }

  /** Everything needed to continue this run exactly (at an iteration boundary), in the tsrl tensor file format. */
  saveCheckpoint(): Uint8Array {
    const state: PPOState = {
      globalStep: this.globalStep,
      iteration: this.iteration,
      elapsed: this.elapsedBefore,
      nextObs: Array.from(this.nextObs),
      nextDone: Array.from(this.nextDone),
      policyRng: this.policyRng.getState(),
      shuffleRng: this.shuffleRng.getState(),
      env: this.base.getState(),
      episodeStatistics: this.stats.getState(),
      rewardNormalization: this.rewardNormalizer?.getState() ?? null,
      obsRms: this.obsRms?.getState() ?? null,
      episodes: this.episodes.getState(),
    };
    return saveParameters(this.modules(), this.optimizer, { kind: CHECKPOINT_KIND, algo: "ppo", config: this.config, state });
  }

  /** Restores a `saveCheckpoint` of a run with the same config; `learn` then continues it. */
  loadCheckpoint(bytes: Uint8Array, source = "checkpoint", madeWith: unknown = this.config): void {
    const { meta } = loadParameters(bytes, this.modules(), this.optimizer, source);
    const state = checkCheckpointMeta(meta, "ppo", madeWith, source) as PPOState;
    this.globalStep = state.globalStep;
    this.iteration = state.iteration;
    this.elapsedBefore = state.elapsed;
    this.nextObs.set(state.nextObs);
    this.nextDone.set(state.nextDone);
    this.policyRng.setState(state.policyRng);
    this.shuffleRng.setState(state.shuffleRng);
    this.base.setState(state.env);
    this.stats.setState(state.episodeStatistics);
    if (this.rewardNormalizer && state.rewardNormalization) this.rewardNormalizer.setState(state.rewardNormalization);
    if (this.obsRms && state.obsRms) this.obsRms.setState(state.obsRms);
    this.episodes.setState(state.episodes);
  }

  private modules(): Record<string, Parameterized> {
    return this.logStd ? { actor: this.actor, critic: this.critic, actor_logstd: this.logStd } : { actor: this.actor, critic: this.critic };
  }

  /**
   * SB3's `predict`: the action for one observation, both in the env's own form (greedy/mean
   * unless `deterministic: false`), from the current weights.
   */
  predict(observation: unknown, options: { deterministic?: boolean; rng?: Random } = {}): number | Float32Array {
    if (!this.acting) this.acting = { step: this.globalStep, policy: new Policy(this.savePolicy()) };
    else if (this.acting.step !== this.globalStep) {
      this.acting.policy.update(this.savePolicy());
      this.acting.step = this.globalStep;
    }
    return this.acting.policy.predict(observation, options);
  }

  /** The trained policy (actor and, for continuous control, observation statistics) for `tsrl enjoy` and the browser. */
  savePolicy(): Uint8Array {
    const policy: SavedPolicy = {
      algo: "ppo",
      ...policyEnv(this.target),
      head: this.continuous ? { kind: "gaussian", actionDim: this.actionDim } : { kind: "categorical", numActions: this.numActions },
      network: this.actor.describe(),
      observationNormalization: this.obsRms ? { mean: [...this.obsRms.mean], var: [...this.obsRms.var], epsilon: 1e-8, clip: OBS_CLIP } : null,
      config: this.config,
    };
    const tensors = this.actor.stateTensors("policy.");
    if (this.logStd) tensors.push({ name: "policy.logstd", shape: [this.actionDim], data: this.logStd.value.slice() });
    return encodePolicy(policy, tensors);
  }
}

interface PPOState {
  globalStep: number;
  iteration: number;
  elapsed: number;
  nextObs: number[];
  nextDone: number[];
  policyRng: RandomState;
  shuffleRng: RandomState;
  /** the vector env's own state (getState), restored by its setState */
  env: unknown;
  episodeStatistics: VectorRecordEpisodeStatisticsState;
  rewardNormalization: VectorNormalizeRewardState | null;
  obsRms: RunningMeanStdState | null;
  episodes: EpisodeLogState;
}

export interface PPOLossTerms {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  oldApproxKl: number;
  approxKl: number;
  clipFraction: number;
}

export interface PPOMinibatch {
  newLogProb: ArrayLike<number>;
  oldLogProb: ArrayLike<number>;
  /** already normalized when the config asks for it */
  advantages: ArrayLike<number>;
  entropy: ArrayLike<number>;
  newValue: ArrayLike<number>;
  oldValue: ArrayLike<number>;
  returns: ArrayLike<number>;
}

/**
 * CleanRL's PPO loss on one minibatch, pg − ent_coef·H + vf_coef·v_loss, with its gradients
 * w.r.t. each sample's new log-prob (into `gradLogProb`) and new value (into `gradValue`),
 * written by hand. The entropy's gradient is the constant −ent_coef/B per sample.
 * Fills `terms` with the logged quantities and returns the loss.
 */
export function ppoLoss(
  c: Pick<PPOConfig, "clipCoef" | "clipVloss" | "entCoef" | "vfCoef">,
  mb: PPOMinibatch,
  gradLogProb: { [i: number]: number; length: number },
  gradValue: { [i: number]: number; length: number },
  terms: PPOLossTerms,
): number {
  const B = mb.newLogProb.length;
  const scale = 1 / B;
  let pg = 0, v = 0, h = 0, oldKl = 0, kl = 0, clipped = 0;
  for (let b = 0; b < B; b++) {
    const logRatio = mb.newLogProb[b]! - mb.oldLogProb[b]!;
    const ratio = Math.exp(logRatio);
    oldKl -= logRatio;
    kl += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > c.clipCoef) clipped++;
    const adv = mb.advantages[b]!;
    const unclippedLoss = -adv * ratio;
    const clippedLoss = -adv * Math.min(Math.max(ratio, 1 - c.clipCoef), 1 + c.clipCoef);
    pg += Math.max(unclippedLoss, clippedLoss);
    // max() passes the gradient to the larger term; the clipped term has none outside the clip range.
    gradLogProb[b] = unclippedLoss >= clippedLoss ? -adv * ratio * scale : 0;
    h += mb.entropy[b]!;

    const value = mb.newValue[b]!;
    const ret = mb.returns[b]!;
    if (c.clipVloss) {
      const old = mb.oldValue[b]!;
      const diff = value - old;
      const inside = Math.abs(diff) <= c.clipCoef;
      const vClipped = old + Math.min(Math.max(diff, -c.clipCoef), c.clipCoef);
      const lu = (value - ret) ** 2, lc = (vClipped - ret) ** 2;
      v += Math.max(lu, lc);
      // d(0.5·mean(max(lu, lc)))/dV; ties split the gradient between the two terms, as torch.max does.
      const g = lu > lc ? 2 * (value - ret) : lc > lu ? (inside ? 2 * (vClipped - ret) : 0) : value - ret + (inside ? vClipped - ret : 0);
      gradValue[b] = c.vfCoef * 0.5 * g * scale;
    } else {
      v += (value - ret) ** 2;
      gradValue[b] = c.vfCoef * (value - ret) * scale;
    }
  }
  terms.policyLoss = pg * scale;
  terms.valueLoss = 0.5 * v * scale;
  terms.entropy = h * scale;
  terms.oldApproxKl = oldKl * scale;
  terms.approxKl = kl * scale;
  terms.clipFraction = clipped * scale;
  return terms.policyLoss - c.entCoef * terms.entropy + c.vfCoef * terms.valueLoss;
}

/** 1 − Var(returns − values)/Var(returns), NaN when the returns are constant (as CleanRL's numpy code). */
function explainedVariance(values: Float64Array, returns: Float64Array): number {
  const n = values.length;
  let mr = 0, md = 0;
  for (let i = 0; i < n; i++) {
    mr += returns[i]!;
    md += returns[i]! - values[i]!;
  }
  mr /= n;
  md /= n;
  let vr = 0, vd = 0;
  for (let i = 0; i < n; i++) {
    vr += (returns[i]! - mr) ** 2;
    vd += (returns[i]! - values[i]! - md) ** 2;
  }
  return vr === 0 ? NaN : 1 - vd / vr;
}

/** CleanRL-style function form: `trainPPO({envId: "CartPole-v1", seed: 1})`. */
export function trainPPO(config: Partial<PPOConfig> & { envId: string }, callbacks?: TrainCallbacks): { agent: PPO; result: TrainResult } {
  const agent = new PPO(config);
  return { agent, result: agent.learn(callbacks) };
}
