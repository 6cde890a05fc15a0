/**
 * Behaviour cloning from a dataset (src/data/), after CORL's `any_percent_bc.py`: an MLP policy
 * fitted to the dataset's actions on normalized observations, Adam, 256-sample minibatches drawn
 * uniformly. Box actions: a tanh-bounded deterministic policy fitted by mean squared error (CORL),
 * or a Gaussian with a state-independent log-std fitted by log-likelihood; Discrete actions: a
 * categorical policy fitted by cross-entropy. Every `evalFrequency` gradient steps the greedy
 * policy plays `evalEpisodes` episodes of the env: those episodes are the run's episodes.
 */
import { z } from "zod";
import type { DatasetSource } from "../data/format.js";
import { Box, Discrete } from "../envs/spaces.js";
import { type Backend, defaultBackend } from "../nn/backend.js";
import { loadParameters, saveParameters } from "../nn/checkpoint.js";
import { argmaxRows, categoricalBackward, categoricalEvaluate } from "../nn/distributions.js";
import { tanh } from "../nn/layers.js";
import { Network, ParameterTensor, type Parameterized } from "../nn/network.js";
import { Adam } from "../nn/optim.js";
import { Random } from "../rng/random.js";
import { CHECKPOINT_KIND, ConfigError, type EpisodeLog, type TrainCallbacks, type TrainResult, checkCheckpointMeta, commonFields, ENV_FIXED_ON_RESUME, envFieldDefaults, parseConfig, positiveInt } from "./common.js";
import { actionScaling, assertFiniteValue, mlp } from "./off-policy.js";
import { OfflineLoop, type OfflineLoopState, openCheckedDataset, weightedGaussianNll } from "./offline.js";
import { encodePolicy, policyEnv, type SavedPolicy } from "./policy.js";
import { type EnvInput, type TrainingTarget, requireActionSpace, trainingTarget } from "./training-env.js";

export const bcConfigSchema = z
  .object({
    envId: commonFields.envId.describe("the env the dataset was recorded on (the policy is evaluated there)"),
    seed: commonFields.seed.describe("seed of the weights, minibatch sampling and the evaluation env"),
    envKwargs: commonFields.envKwargs,
    maxEpisodeSteps: commonFields.maxEpisodeSteps,
    dataset: z.string().min(1, "name the dataset: --dataset <name> (see tsrl datasets list)").describe("the dataset to clone: a name in the run store's datasets, or a dataset directory"),
    totalTimesteps: commonFields.totalTimesteps.describe("gradient steps (BC learns from the dataset; the env is only used to evaluate)"),
    batchSize: positiveInt("batchSize").describe("minibatch size"),
    learningRate: commonFields.learningRate.describe("Adam learning rate"),
    hiddenSizes: z.array(positiveInt("hiddenSizes entries")).min(1, "needs at least one hidden layer").describe("hidden layer widths, comma separated"),
    loss: z.enum(["mse", "gaussian"]).describe("Box actions: mse (deterministic, as CORL) or gaussian (log-likelihood, state-independent std); Discrete actions always use cross-entropy"),
    normalizeObservations: z.boolean().describe("normalize observations by the dataset's mean and std (saved with the policy)"),
    evalFrequency: positiveInt("evalFrequency").describe("gradient steps between evaluations in the env"),
    evalEpisodes: positiveInt("evalEpisodes").describe("greedy episodes per evaluation (they are the run's episodes)"),
  })
  .strict();

export type BCConfig = z.infer<typeof bcConfigSchema>;

/** CORL any_percent_bc.py's defaults (1M steps, eval every 5000 steps over 10 episodes). */
export const BC_DEFAULTS: Omit<BCConfig, "envId" | "dataset"> = {
  ...envFieldDefaults(),
  seed: 1,
  totalTimesteps: 1_000_000,
  batchSize: 256,
  learningRate: 3e-4,
  hiddenSizes: [256, 256],
  loss: "mse",
  normalizeObservations: true,
  evalFrequency: 5000,
  evalEpisodes: 10,
};

export const BC_FIXED_ON_RESUME = [...ENV_FIXED_ON_RESUME, "seed", "dataset", "hiddenSizes", "loss", "normalizeObservations"] as const;

export function resolveBCConfig(overrides: Partial<BCConfig> & { envId: string }, target?: TrainingTarget): BCConfig {
  const c = parseConfig(bcConfigSchema, { ...BC_DEFAULTS, dataset: "", ...overrides }, "bc");
  const t = target ?? trainingTarget(c, "bc");
  requireActionSpace(t, "bc", { discrete: true, box: true }, "Record a dataset of an env with Discrete or Box actions.");
  if (t.actionSpace instanceof Box && !t.actionSpace.bounded) throw new ConfigError(`bc bounds its actions to the Box; ${t.envId} has unbounded ${t.actionSpace}`);
  return c;
}

export class BC {
  readonly config: BCConfig;
  readonly target: TrainingTarget;
  readonly actor: Network;
  /** Gaussian loss: the state-independent log-std */
  readonly logStd: ParameterTensor;
  readonly optimizer: Adam;
  readonly episodes: EpisodeLog;
  private readonly source: DatasetSource;
  private readonly loop: OfflineLoop;
  private readonly discrete: boolean;
  private readonly actionDim: number;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  private readonly logProb: Float64Array;
  private readonly entropy: Float64Array;
  private readonly gradLogProb: Float64Array;
  private readonly zeros: Float64Array;

  /** `data`: the dataset itself (else `dataset` is opened by name, in Node through tsrl/node). */
  constructor(input: Partial<BCConfig> & EnvInput & { data?: DatasetSource }, options: { backend?: Backend } = {}) {
    const { env: envSource, data, ...overrides } = input;
    const target = (this.target = trainingTarget({ ...overrides, env: envSource }, "bc"));
    const c = (this.config = resolveBCConfig({ ...overrides, envId: target.envId, ...(data && !overrides.dataset ? { dataset: data.manifest.name } : {}) }, target));
    this.source = openCheckedDataset(c.dataset, data, target, "bc");
    const backend = options.backend ?? defaultBackend();
    const space = target.actionSpace;
    this.discrete = space instanceof Discrete;
    this.actionDim = space instanceof Discrete ? space.n : (space as Box).size;
    ({ scale: this.scale, bias: this.bias } = space instanceof Box ? actionScaling(space) : { scale: new Float32Array(0), bias: new Float32Array(0) });
    const obsSize = this.source.manifest.obsSize, B = c.batchSize, d = this.actionDim;
    const layers = mlp(c.hiddenSizes, d);
    this.actor = new Network(this.discrete ? layers : [...layers, tanh()], { inputShape: obsSize, maxBatch: B, rng: new Random(c.seed), backend });
    this.logStd = new ParameterTensor("log_std", [this.discrete ? 1 : d], { backend });
    this.optimizer = new Adam(c.loss === "gaussian" && !this.discrete ? [this.actor, this.logStd] : [this.actor], { lr: c.learningRate });
    this.loop = new OfflineLoop("bc", this.source, target, c);
    this.episodes = this.loop.episodes;
    this.logProb = new Float64Array(B);
    this.entropy = new Float64Array(B);
    this.gradLogProb = new Float64Array(B).fill(-1 / B);
    this.zeros = new Float64Array(B);
  }

  learn(callbacks: TrainCallbacks = {}): TrainResult {
    const actions = this.discrete ? new Int32Array(1) : new Float32Array(this.actionDim);
    return this.loop.learn(callbacks, 1, (g) => ({ "losses/bc_loss": this.update(g) }), (obs, out) => this.act(obs, out), actions);
  }

  /** Gradient step `g` on the sampled batch; returns the loss. */
  private update(g: number): number {
    const B = this.config.batchSize, d = this.actionDim, batch = this.loop.batch;
    this.actor.inputView(B).set(batch.obs);
    this.actor.forward(B);
    const out = this.actor.outputView(B), grad = this.actor.outputGradView(B);
    let loss = 0;
    if (this.discrete) {
      // cross-entropy = −mean log π(a|s)
      categoricalEvaluate(out, B, d, batch.actions, this.logProb, this.entropy);
      for (let b = 0; b < B; b++) loss -= this.logProb[b]! / B;
      categoricalBackward(out, B, d, batch.actions, this.gradLogProb, this.zeros, grad);
    } else if (this.config.loss === "gaussian") {
      loss = weightedGaussianNll(out, this.logStd.value, batch.actions, null, this.scale, this.bias, B, d, grad, this.logStd.grad);
    } else {
      // mean over batch and action dims of (tanh(o)·scale + bias − a)²
      for (let i = 0; i < B * d; i++) {
        const j = i % d;
        const diff = out[i]! * this.scale[j]! + this.bias[j]! - batch.actions[i]!;
        loss += (diff * diff) / (B * d);
        grad[i] = ((2 * diff) / (B * d)) * this.scale[j]!;
      }
    }
    assertFiniteValue(loss, "the bc loss", g + 1, g + 1);
    this.actor.backward();
    this.optimizer.update();
    return loss;
  }

  /** The greedy action for one raw observation row. */
  private act(obs: Float32Array, out: Float32Array | Int32Array): void {
    this.actor.inputView(1).set(this.loop.normalized(obs));
    this.actor.forward(1);
    const o = this.actor.outputView(1);
    if (this.discrete) argmaxRows(o, 1, this.actionDim, out);
    else for (let j = 0; j < this.actionDim; j++) out[j] = o[j]! * this.scale[j]! + this.bias[j]!;
  }

  private modules(): Record<string, Parameterized> {
    return { actor: this.actor, log_std: this.logStd };
  }

  saveCheckpoint(): Uint8Array {
    return saveParameters(this.modules(), { actor: this.optimizer }, { kind: CHECKPOINT_KIND, algo: "bc", config: this.config, state: this.loop.getState() });
  }

  loadCheckpoint(bytes: Uint8Array, source = "checkpoint", madeWith: unknown = this.config): void {
    const { meta } = loadParameters(bytes, this.modules(), { actor: this.optimizer }, source);
    this.loop.setState(checkCheckpointMeta(meta, "bc", madeWith, source) as OfflineLoopState);
  }

  /** Discrete: categorical over the logits; Box: the deterministic action tanh(o)·scale + bias. */
  savePolicy(): Uint8Array {
    const head: SavedPolicy["head"] = this.discrete ? { kind: "categorical", numActions: this.actionDim } : { kind: "deterministic", actionDim: this.actionDim, scale: Array.from(this.scale), bias: Array.from(this.bias) };
    const policy: SavedPolicy = { algo: "bc", ...policyEnv(this.target), head, network: this.actor.describe(), observationNormalization: this.loop.normalization, config: this.config };
    return encodePolicy(policy, this.actor.stateTensors("policy."));
  }
}
