/**
 * Implicit Q-Learning (Kostrikov, Nair & Levine 2022), after CORL's `iql.py` (itself after the
 * authors' PyTorch port), with the paper's locomotion defaults. Per gradient step, on one
 * minibatch of the dataset:
 *   V(s') is read first; V is fitted by expectile regression (τ = expectile) to min(Q̄1, Q̄2)(s, a)
 *   of the target critics: L_V = mean |τ − 1(u < 0)|·u², u = Q̄(s, a) − V(s);
 *   the twin critics are fitted to r + γ(1 − terminated)·V(s') (mean of the two MSEs), then the
 *   targets follow by Polyak averaging (τ_target 0.005);
 *   the actor by advantage-weighted regression: L_π = mean min(exp(β·u), 100)·(−log π(a|s)) with
 *   u from before the V step, β = temperature; Adam with a cosine learning-rate decay to 0 over
 *   the run (CosineAnnealingLR with T_max = totalTimesteps).
 * The actor is CORL's GaussianPolicy generalized to any Box: mean tanh(o)·scale + bias, a
 * state-independent log-std clamped to [−20, 2]; `deterministic` fits the mean by weighted squared
 * error instead. Observations are normalized by the dataset's statistics and, for locomotion-like
 * dense rewards, rewards scaled by maxEpisodeLength / (max return − min return) of the dataset
 * (CORL's `modify_reward`). The greedy policy is evaluated in the env every `evalFrequency` steps.
 *
 * Online fine-tuning (the IQL paper's, as CORL's finetune/iql.py runs it): `onlineSteps` more
 * steps after the offline ones, each acting in a training env with an action sampled from the
 * Gaussian actor (the deterministic actor: its action plus N(0, 0.1) noise clipped at 0.5, both in
 * units of the action scale), clipped to the bounds, adding the transition (reward scaled as the
 * dataset's) to the buffer that holds the dataset, then one IQL update; the actor's cosine
 * schedule runs on over the total step count, as CORL's (it rises again after totalTimesteps).
 */
import { z } from "zod";
import type { DatasetSource } from "../data/format.js";
import type { OfflineData } from "../data/episodes.js";
import { type Backend, defaultBackend } from "../nn/backend.js";
import { loadParameters, saveParameters } from "../nn/checkpoint.js";
import { tanh } from "../nn/layers.js";
import { Network, ParameterTensor, type Parameterized } from "../nn/network.js";
import { Adam } from "../nn/optim.js";
import { Random } from "../rng/random.js";
import { type Box, Discrete } from "../envs/spaces.js";
import { CHECKPOINT_KIND, ConfigError, type EpisodeLog, type TrainCallbacks, type TrainResult, checkCheckpointMeta, commonFields, ENV_FIXED_ON_RESUME, envFieldDefaults, parseConfig, positiveInt, unitInterval } from "./common.js";
import { actionScaling, assertFiniteValue, boundedBoxActions, mlp } from "./off-policy.js";
import { OFFLINE_LOG_STD_MAX, OFFLINE_LOG_STD_MIN, OfflineLoop, type OfflineLoopState, openCheckedDataset, weightedGaussianNll } from "./offline.js";
import type { RandomState } from "../rng/random.js";
import { encodePolicy, policyEnv, type SavedPolicy } from "./policy.js";
import { type EnvInput, type TrainingTarget, trainingTarget } from "./training-env.js";

const lr = (what: string) => z.number().positive("must be > 0").max(1, "must be ≤ 1").describe(what);

export const iqlConfigSchema = z
  .object({
    envId: commonFields.envId.describe("the env the dataset was recorded on (the policy is evaluated there; Box actions)"),
    seed: commonFields.seed.describe("seed of the weights, minibatch sampling and the evaluation env"),
    envKwargs: commonFields.envKwargs,
    maxEpisodeSteps: commonFields.maxEpisodeSteps,
    dataset: z.string().min(1, "name the dataset: --dataset <name> (see tsrl datasets list)").describe("the dataset to learn from: a name in the run store's datasets, or a dataset directory"),
    totalTimesteps: commonFields.totalTimesteps.describe("gradient steps (also the length of the actor's cosine learning-rate decay)"),
    batchSize: positiveInt("batchSize").describe("minibatch size"),
    gamma: unitInterval.describe("discount factor"),
    tau: unitInterval.describe("target critics' Polyak coefficient"),
    expectile: z.number().gt(0, "must be in (0, 1)").lt(1, "must be in (0, 1)").describe("expectile τ of the value regression (0.5: mean; → 1: max over the data's actions)"),
    temperature: z.number().min(0, "must be ≥ 0").describe("inverse temperature β of the advantage weights exp(β·A) (0: behaviour cloning)"),
    expAdvMax: z.number().positive("must be > 0").describe("clip of the advantage weights exp(β·A)"),
    actorLr: lr("actor learning rate (Adam, cosine decay to 0 over the run)"),
    qLr: lr("critics' learning rate (Adam)"),
    vLr: lr("value network's learning rate (Adam)"),
    hiddenSizes: z.array(positiveInt("hiddenSizes entries")).min(1, "needs at least one hidden layer").describe("hidden layer widths of actor, critics and value network, comma separated"),
    deterministic: z.boolean().describe("a deterministic actor fitted by weighted squared error instead of the Gaussian's log-likelihood"),
    normalizeObservations: z.boolean().describe("normalize observations by the dataset's mean and std (saved with the policy)"),
    normalizeReward: z.boolean().describe("scale rewards by maxEpisodeLength / (max − min episode return) of the dataset (the paper's locomotion setting)"),
    evalFrequency: positiveInt("evalFrequency").describe("gradient steps between evaluations in the env"),
    evalEpisodes: positiveInt("evalEpisodes").describe("greedy episodes per evaluation (they are the run's episodes)"),
    onlineSteps: z.number().int().min(0, "must be ≥ 0").describe("online fine-tuning after the offline steps (the IQL paper's): env steps with actions sampled from the actor, each transition added to the dataset's buffer and followed by one update; 0: offline only"),
  })
  .strict();

export type IQLConfig = z.infer<typeof iqlConfigSchema>;

/** The paper's locomotion settings as CORL runs them (expectile 0.7, β 3, 256-256, lr 3e-4, 1M steps). */
export const IQL_DEFAULTS: Omit<IQLConfig, "envId" | "dataset"> = {
  ...envFieldDefaults(),
  seed: 1,
  totalTimesteps: 1_000_000,
  batchSize: 256,
  gamma: 0.99,
  tau: 0.005,
  expectile: 0.7,
  temperature: 3.0,
  expAdvMax: 100,
  actorLr: 3e-4,
  qLr: 3e-4,
  vLr: 3e-4,
  hiddenSizes: [256, 256],
  deterministic: false,
  normalizeObservations: true,
  normalizeReward: true,
  evalFrequency: 5000,
  evalEpisodes: 10,
  onlineSteps: 0,
};

export const IQL_FIXED_ON_RESUME = [...ENV_FIXED_ON_RESUME, "seed", "dataset", "hiddenSizes", "deterministic", "normalizeObservations", "normalizeReward", "totalTimesteps", "onlineSteps"] as const;

/** CORL finetune/iql.py's exploration noise of the deterministic actor (std, clip), in units of the action scale. */
const EXPL_NOISE = 0.1;
const NOISE_CLIP = 0.5;

export function resolveIQLConfig(overrides: Partial<IQLConfig> & { envId: string }, target?: TrainingTarget): IQLConfig {
  const c = parseConfig(iqlConfigSchema, { ...IQL_DEFAULTS, dataset: "", ...overrides }, "iql");
  iqlActionSpace(target ?? trainingTarget(c, "iql"), c.dataset);
  return c;
}

/** The actor is a Gaussian squashed into the Box bounds, so Discrete actions are refused with what to use instead. */
function iqlActionSpace(target: TrainingTarget, dataset: string): Box {
  if (target.actionSpace instanceof Discrete) {
    throw new ConfigError(
      `IQL learns continuous (Box) actions only; ${target.envId} has ${target.actionSpace}. ` +
        `For a dataset of discrete actions use BC (tsrl train bc --dataset ${dataset || "<name>"} --env ${target.envId}), or learn online with DQN (tsrl train dqn --env ${target.envId}).`,
    );
  }
  return boundedBoxActions(target, "IQL");
}

interface IQLState extends OfflineLoopState {
  rewardScale: number;
  noiseRng: RandomState;
}

export class IQL {
  readonly config: IQLConfig;
  readonly target: TrainingTarget;
  readonly actor: Network;
  readonly logStd: ParameterTensor;
  readonly qf1: Network;
  readonly qf2: Network;
  readonly qf1Target: Network;
  readonly qf2Target: Network;
  readonly vf: Network;
  readonly actorOptimizer: Adam;
  readonly qOptimizer: Adam;
  readonly vOptimizer: Adam;
  readonly episodes: EpisodeLog;
  private readonly source: DatasetSource;
  private readonly loop: OfflineLoop;
  private rewardScale = 1;
  /** the online phase's action noise */
  private readonly noiseRng: Random;
  private readonly actionDim: number;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  // per-update scratch
  private readonly nextV: Float64Array;
  private readonly targetQ: Float64Array;
  private readonly advantage: Float64Array;
  private readonly weights: Float64Array;
  private readonly targets: Float64Array;

  /** `data`: the dataset itself (else `dataset` is opened by name, in Node through tsrl/node). */
  constructor(input: Partial<IQLConfig> & EnvInput & { data?: DatasetSource }, options: { backend?: Backend } = {}) {
    const { env: envSource, data, ...overrides } = input;
    const target = (this.target = trainingTarget({ ...overrides, env: envSource }, "iql"));
    const c = (this.config = resolveIQLConfig({ ...overrides, envId: target.envId, ...(data && !overrides.dataset ? { dataset: data.manifest.name } : {}) }, target));
    this.source = openCheckedDataset(c.dataset, data, target, "iql");
    const space = iqlActionSpace(target, c.dataset);
    const backend = options.backend ?? defaultBackend();
    const d = (this.actionDim = space.size);
    ({ scale: this.scale, bias: this.bias } = actionScaling(space));
    const obsSize = this.source.manifest.obsSize, B = c.batchSize;
    const initRng = new Random(c.seed);
    const critic = () => new Network(mlp(c.hiddenSizes, 1), { inputShape: obsSize + d, inputParts: [obsSize, d], maxBatch: B, rng: initRng, backend });
    this.qf1 = critic();
    this.qf2 = critic();
    this.qf1Target = critic();
    this.qf2Target = critic();
    this.qf1Target.softUpdateFrom(this.qf1, 1);
    this.qf2Target.softUpdateFrom(this.qf2, 1);
    this.vf = new Network(mlp(c.hiddenSizes, 1), { inputShape: obsSize, maxBatch: B, rng: initRng, backend });
    this.actor = new Network([...mlp(c.hiddenSizes, d), tanh()], { inputShape: obsSize, maxBatch: B, rng: initRng, backend });
    this.logStd = new ParameterTensor("log_std", [d], { backend });
    this.actorOptimizer = new Adam(c.deterministic ? [this.actor] : [this.actor, this.logStd], { lr: c.actorLr });
    this.qOptimizer = new Adam([this.qf1, this.qf2], { lr: c.qLr });
    this.vOptimizer = new Adam([this.vf], { lr: c.vLr });
    this.loop = new OfflineLoop("iql", this.source, target, c);
    this.episodes = this.loop.episodes;
    this.nextV = new Float64Array(B);
    this.targetQ = new Float64Array(B);
    this.advantage = new Float64Array(B);
    this.weights = new Float64Array(B);
    this.targets = new Float64Array(B);
    this.noiseRng = new Random(c.seed + 2);
  }

  /** CORL's modify_reward for locomotion: rewards × maxEpisodeLength / (max − min episode return). */
  private scaleRewards(data: OfflineData): void {
    if (!this.config.normalizeReward) return;
    const m = this.source.manifest;
    const range = Math.max(...data.returns) - Math.min(...data.returns);
    if (!(range > 0)) throw new ConfigError(`iql: normalizeReward needs episodes with different returns; every episode of dataset ${m.name} returns ${data.returns[0]}. Pass --normalize-reward false`);
    this.rewardScale = m.lengths.max / range;
    const r = data.buffer.rewards;
    for (let i = 0; i < r.length; i++) r[i] = r[i]! * this.rewardScale;
  }

  learn(callbacks: TrainCallbacks = {}): TrainResult {
    const actions = new Float32Array(this.actionDim);
    const online = { sample: (obs: Float32Array, out: Float32Array) => this.sample(obs, out), rewardScale: () => this.rewardScale };
    return this.loop.learn(callbacks, this.config.gamma, (g) => this.update(g), (obs, out) => this.act(obs, out as Float32Array), actions, (data) => this.scaleRewards(data), online);
  }

  private update(g: number): Record<string, number> {
    const c = this.config, B = c.batchSize, d = this.actionDim, batch = this.loop.batch;
    // V(s'), before the value step
    this.vf.inputView(B).set(batch.nextObs);
    this.vf.forward(B);
    this.nextV.set(this.vf.outputView(B));
    // min of the target critics at the dataset's (s, a)
    this.qf1Target.setInputPart(0, batch.obs, B);
    this.qf1Target.setInputPart(1, batch.actions, B);
    this.qf1Target.forward(B);
    this.qf2Target.forward(B, this.qf1Target.input);
    const t1 = this.qf1Target.outputView(B), t2 = this.qf2Target.outputView(B);
    for (let b = 0; b < B; b++) this.targetQ[b] = Math.min(t1[b]!, t2[b]!);

    // value: expectile regression of V(s) towards min Q̄(s, a)
    this.vf.inputView(B).set(batch.obs);
    this.vf.forward(B);
    const v = this.vf.outputView(B), gv = this.vf.outputGradView(B);
    let vLoss = 0;
    for (let b = 0; b < B; b++) {
      const u = this.targetQ[b]! - v[b]!;
      const w = u < 0 ? 1 - c.expectile : c.expectile;
      this.advantage[b] = u;
      vLoss += (w * u * u) / B;
      gv[b] = (-2 * w * u) / B;
    }
    assertFiniteValue(vLoss, "the value loss", g + 1, g + 1);
    this.vf.backward();
    this.vOptimizer.update();

    // critics: r + γ(1 − terminated)·V(s'), the mean of the two MSEs
    for (let b = 0; b < B; b++) this.targets[b] = batch.rewards[b]! + batch.discounts[b]! * this.nextV[b]!;
    this.qf1.setInputPart(0, batch.obs, B);
    this.qf1.setInputPart(1, batch.actions, B);
    const q1Loss = this.criticStep(this.qf1, this.qf1.input);
    const q2Loss = this.criticStep(this.qf2, this.qf1.input);
    const qLoss = (q1Loss + q2Loss) / 2;
    assertFiniteValue(qLoss, "the critics' loss", g + 1, g + 1);
    this.qOptimizer.update();
    this.qf1Target.softUpdateFrom(this.qf1, c.tau);
    this.qf2Target.softUpdateFrom(this.qf2, c.tau);

    // actor: advantage-weighted regression onto the dataset's actions
    let meanWeight = 0;
    for (let b = 0; b < B; b++) {
      this.weights[b] = Math.min(Math.exp(c.temperature * this.advantage[b]!), c.expAdvMax);
      meanWeight += this.weights[b]! / B;
    }
    this.actor.inputView(B).set(batch.obs);
    this.actor.forward(B);
    const out = this.actor.outputView(B), grad = this.actor.outputGradView(B);
    let actorLoss = 0;
    if (c.deterministic) {
      for (let i = 0; i < B * d; i++) {
        const j = i % d, w = this.weights[(i / d) | 0]!;
        const diff = out[i]! * this.scale[j]! + this.bias[j]! - batch.actions[i]!;
        actorLoss += (w * diff * diff) / B;
        grad[i] = ((2 * w * diff) / B) * this.scale[j]!;
      }
    } else {
      actorLoss = weightedGaussianNll(out, this.logStd.value, batch.actions, this.weights, this.scale, this.bias, B, d, grad, this.logStd.grad);
    }
    assertFiniteValue(actorLoss, "the actor loss", g + 1, g + 1);
    this.actor.backward();
    // CosineAnnealingLR(T_max = totalTimesteps, eta_min 0): the g-th step's learning rate
    this.actorOptimizer.lr = (c.actorLr * (1 + Math.cos((Math.PI * g) / c.totalTimesteps))) / 2;
    this.actorOptimizer.update();
    return {
      "losses/value_loss": vLoss,
      "losses/q_loss": qLoss,
      "losses/actor_loss": actorLoss,
      "losses/mean_adv_weight": meanWeight,
      "charts/actor_lr": this.actorOptimizer.lr,
    };
  }

  /** MSE of `net` against the targets, halved (the mean over the two critics); writes gradients, returns the MSE. */
  private criticStep(net: Network, input: number): number {
    const B = this.config.batchSize;
    net.forward(B, input);
    const q = net.outputView(B), grad = net.outputGradView(B);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const diff = q[b]! - this.targets[b]!;
      loss += (diff * diff) / B;
      grad[b] = diff / B;
    }
    net.backward();
    return loss;
  }

  private act(obs: Float32Array, out: Float32Array): void {
    this.actor.inputView(1).set(this.loop.normalized(obs));
    this.actor.forward(1);
    const o = this.actor.outputView(1);
    for (let j = 0; j < this.actionDim; j++) out[j] = o[j]! * this.scale[j]! + this.bias[j]!;
  }

  /** An exploring action for the online phase: the Gaussian's sample (or the mean plus clipped noise), clipped to the bounds. */
  private sample(obs: Float32Array, out: Float32Array): void {
    this.act(obs, out);
    for (let j = 0; j < this.actionDim; j++) {
      const s = this.scale[j]!, e = this.noiseRng.normal();
      const noise = this.config.deterministic ? Math.min(NOISE_CLIP, Math.max(-NOISE_CLIP, EXPL_NOISE * e)) * s : Math.exp(Math.min(OFFLINE_LOG_STD_MAX, Math.max(OFFLINE_LOG_STD_MIN, this.logStd.value[j]!))) * e;
      out[j] = Math.min(this.bias[j]! + s, Math.max(this.bias[j]! - s, out[j]! + noise));
    }
  }

  private modules(): Record<string, Parameterized> {
    return { actor: this.actor, log_std: this.logStd, qf1: this.qf1, qf2: this.qf2, qf1_target: this.qf1Target, qf2_target: this.qf2Target, vf: this.vf };
  }

  private optimizers() {
    return { actor: this.actorOptimizer, q: this.qOptimizer, v: this.vOptimizer };
  }

  saveCheckpoint(): Uint8Array {
    const state: IQLState = { ...this.loop.getState(), rewardScale: this.rewardScale, noiseRng: this.noiseRng.getState() };
    return saveParameters(this.modules(), this.optimizers(), { kind: CHECKPOINT_KIND, algo: "iql", config: this.config, state }, this.loop.tensors());
  }

  loadCheckpoint(bytes: Uint8Array, source = "checkpoint", madeWith: unknown = this.config): void {
    const { meta, extra } = loadParameters(bytes, this.modules(), this.optimizers(), source);
    const state = checkCheckpointMeta(meta, "iql", madeWith, source) as IQLState;
    this.loop.setState(state, extra);
    this.rewardScale = state.rewardScale;
    if (state.noiseRng) this.noiseRng.setState(state.noiseRng);
  }

  /** The actor's mean tanh(o)·scale + bias (CORL evaluates the Gaussian's mean too). */
  savePolicy(): Uint8Array {
    const policy: SavedPolicy = {
      algo: "iql",
      ...policyEnv(this.target),
      head: { kind: "deterministic", actionDim: this.actionDim, scale: Array.from(this.scale), bias: Array.from(this.bias) },
      network: this.actor.describe(),
      observationNormalization: this.loop.normalization,
      config: this.config,
    };
    return encodePolicy(policy, this.actor.stateTensors("policy."));
  }
}
