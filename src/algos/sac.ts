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
 * RLPD (Ball, Smith, Kostrikov & Levine 2023, as SERL uses it) is a set of options here: `demos`
 * names a dataset (src/data/) of which every minibatch draws half its transitions (symmetric
 * sampling), and `rlpd` switches to RLPD's critic: `numCritics` critics with LayerNorm after each
 * hidden Linear, targets from the min over a random subset of `criticSubset` target critics, `utd`
 * critic updates (each with its own minibatch and target update) per env step, and the actor
 * maximizing the mean of the ensemble. The delayed actor updates stay CleanRL's.
 * `demoSampling` false keeps the demos out of the minibatches (they then serve π_BC only).
 *
 * Demonstration regularization (Tiapkin et al. 2023, src/algos/demo-reg.ts) is one more: with
 * `demoRegCoef` λ > 0, a Gaussian BC policy π_BC is fitted on the demos before the first step and
 * λ·(log π(a|s) − log π_BC(a|s)), a one-sample KL(π‖π_BC), joins α·log π in the TD targets and in
 * the actor's loss (λ constant, or decaying linearly over `demoRegDecay` env steps); α's defaults
 * become 0 and not autotuned (DEMO_REG_SAC_DEFAULTS).
 *
 * Offline-to-online (`init`, src/algos/agent-init.ts): the run starts from the checkpoint of a sac,
 * iql or bc run on the same env — its actor (IQL's and BC's tanh-bounded mean becomes the squashed
 * Gaussian's mean; the log-std head keeps its initialization), and when their shapes match its
 * critics (IQL's twin Q with its reward scale undone, a SAC run's ensemble, targets and α) — and
 * acts with that actor from the first step (no uniform warm-up).
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
  ConfigError,
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
import { datasetFingerprint, openCheckedDataset } from "./offline.js";
import { loadTransitions } from "../data/episodes.js";
import type { DatasetSource } from "../data/format.js";
import { layerNorm } from "../nn/layer-norm.js";
import { linear, relu } from "../nn/layers.js";
import { encodePolicy, policyEnv, type SavedPolicy } from "./policy.js";
import { type ReplayBatch, ReplayBuffer, type ReplayBufferState } from "./replay-buffer.js";
import { type EnvInput, type TrainingTarget, trainingTarget } from "./training-env.js";
import { type Segment, allocateSegment, nextObservation, recordTransitionStep } from "./acting.js";
import type { Box } from "../envs/spaces.js";
import { type InitCheckpoint, copyNetwork, initTensor, openInitCheckpoint } from "./agent-init.js";
import type { ObsNormalization } from "./offline.js";
import { BCPrior, type BCPriorState, DEMO_REG_DEFAULTS, demoKlTerm, demoRegCoefAt, demoRegFields } from "./demo-reg.js";

export const sacConfigSchema = z
  .object({
    envId: commonFields.envId.describe("the env to train on (a registered id with a Box action space)"),
    seed: commonFields.seed.describe("seed of everything: envs (env i gets seed + i), weights, exploration noise, sampling"),
    totalTimesteps: commonFields.totalTimesteps.describe("env steps to train for"),
    numEnvs: commonFields.numEnvs.describe("parallel envs (CleanRL: 1)"),
    envKwargs: commonFields.envKwargs,
    maxEpisodeSteps: commonFields.maxEpisodeSteps,
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
    demos: z.string().describe("a dataset of demonstrations (name in the run store, or a directory): half of every minibatch is drawn from it (RLPD's symmetric sampling) unless --demo-sampling false; empty: none"),
    rlpd: z.boolean().describe("RLPD: the defaults of numCritics, criticSubset, utd, criticLayerNorm become 10, 2, 20, true, and the actor maximizes the critics' mean"),
    numCritics: z.number().int().min(2, "must be ≥ 2").describe("critics in the ensemble (CleanRL: 2)"),
    criticSubset: z.number().int().min(1, "must be ≥ 1").describe("target critics whose min makes each TD target, drawn at random from the ensemble per update"),
    utd: positiveInt("utd").describe("critic updates per env step (update-to-data ratio)"),
    criticLayerNorm: z.boolean().describe("LayerNorm after every hidden Linear of the critics"),
    init: z.string().describe("start from a trained agent: a run of tsrl train sac|iql|bc on this env (id or name) or one of its checkpoint files; its actor, and its critics where their shapes match, and act with it from the first step; empty: from scratch"),
    demoSampling: z.boolean().describe("with demos: draw half of every minibatch from them (false: the demos only fit π_BC for --demo-reg-coef)"),
    ...demoRegFields,
  })
  .strict()
  .refine((c) => c.criticSubset <= c.numCritics, { message: "criticSubset must be ≤ numCritics", path: ["criticSubset"] });

export type SACConfig = z.infer<typeof sacConfigSchema>;

/** CleanRL `sac_continuous_action.py`'s defaults. */
export const SAC_DEFAULTS: Omit<SACConfig, "envId"> = {
  ...envFieldDefaults(),
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
  demos: "",
  rlpd: false,
  numCritics: 2,
  criticSubset: 2,
  utd: 1,
  criticLayerNorm: false,
  init: "",
  demoSampling: true,
  ...DEMO_REG_DEFAULTS,
};

/** RLPD's critic settings (Ball et al. 2023: E = 10, Z = 2, G = 20, LayerNorm), the defaults when `rlpd` is on. */
export const RLPD_DEFAULTS = { numCritics: 10, criticSubset: 2, utd: 20, criticLayerNorm: true } as const;

/**
 * With demonstration regularization the KL to π_BC takes the entropy bonus's place, as in the
 * paper's regularized MDP (KL(π‖π_BC) = −H(π) − E_π log π_BC holds an entropy term already); an
 * autotuned α would fight the KL, which lowers the entropy towards π_BC's.
 */
export const DEMO_REG_SAC_DEFAULTS = { autotune: false, alpha: 0 } as const;

/** Fields the saved state is shaped by: a resume cannot change them. */
export const SAC_FIXED_ON_RESUME = [...ENV_FIXED_ON_RESUME, "seed", "numEnvs", "bufferSize", "hiddenSizes", "autotune", "demos", "rlpd", "numCritics", "criticLayerNorm", "demoRegCoef", "demoRegBcSteps", "init"] as const;

export function resolveSACConfig(overrides: Partial<SACConfig> & { envId: string }, target?: TrainingTarget): SACConfig {
  const c = parseConfig(sacConfigSchema, { ...SAC_DEFAULTS, ...(overrides.rlpd ? RLPD_DEFAULTS : {}), ...(overrides.demoRegCoef ? DEMO_REG_SAC_DEFAULTS : {}), ...overrides }, "sac");
  if (c.demoRegCoef > 0 && !c.demos) throw new ConfigError("invalid sac config:\n  demoRegCoef: demonstration regularization fits π_BC on demonstrations: name them with --demos <dataset>");
  if (c.demos && c.demoSampling && c.batchSize < 2) throw new ConfigError("invalid sac config:\n  batchSize: must be ≥ 2 with demos (half of each minibatch comes from them)");
  boundedBoxActions(target ?? trainingTarget(c, "sac"), "SAC");
  return c;
}

interface SACState {
  globalStep: number;
  iteration: number;
  updates: number;
  elapsed: number;
  alpha: number;
  current: number[];
  /** the acting stream (warm-up actions, exploration noise) */
  rng: RandomState;
  /** the learner's (absent in checkpoints from before the two streams: a fresh Random(seed + 2) then) */
  learnerRng?: RandomState;
  /** the vector env's own state (getState), restored by its setState */
  env: unknown;
  episodeStatistics: VectorRecordEpisodeStatisticsState;
  episodes: EpisodeLogState;
  buffer: ReplayBufferState;
  /** the demos' chunk checksums (a resume refuses another dataset under the same name) */
  demos?: string;
  /** π_BC's normalization and fit loss, once fitted (demonstration regularization) */
  bcPrior?: BCPriorState;
}

/** The training env, built the way every algorithm builds it (same-step autoreset, as CleanRL's loop expects). */
function buildEnv(target: TrainingTarget, numEnvs: number): BaseVectorEnv {
  return target.build(numEnvs, "same-step");
}

/**
 * SAC's acting half (an Ape-X-style actor): steps `numEnvs` envs into transition segments —
 * uniform random actions in the Box while the learner's iteration (the segment's `version`, plus
 * the steps made since) is before `learningStarts` (no warm-up with `init`), then a sample of the
 * actor's squashed Gaussian. `SAC.learn` runs one on its own actor, one step per segment; a
 * distributed actor runs one on parameters it receives.
 */
export class SACActorWorker {
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly actionDim: number;
  readonly stats: RecordEpisodeStatistics;
  readonly rng: Random;
  /** the observations the next actions are chosen from */
  readonly current: Float32Array;
  private readonly low: Float32Array;
  private readonly high: Float32Array;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  private readonly actions: Float32Array;
  private readonly noise: Float64Array;
  private readonly sampled: Float64Array;
  private readonly logProb: Float64Array;
  private readonly squashed: Float64Array;

  constructor(private readonly c: SACConfig, space: Box, readonly env: BaseVectorEnv, readonly actor: Network, seed: number) {
    const N = (this.numEnvs = env.numEnvs), d = (this.actionDim = space.size);
    this.obsSize = env.obsSize;
    this.stats = new RecordEpisodeStatistics(env);
    this.rng = new Random(seed);
    this.low = Float32Array.from(space.low);
    this.high = Float32Array.from(space.high);
    ({ scale: this.scale, bias: this.bias } = actionScaling(space));
    this.current = new Float32Array(N * this.obsSize);
    this.actions = new Float32Array(N * d);
    this.noise = new Float64Array(N * d);
    this.sampled = new Float64Array(N * d);
    this.logProb = new Float64Array(N);
    this.squashed = new Float64Array(N * d);
  }

  /** Resets every env (env i with seed + i) and takes the first observations. */
  reset(seed: number): void {
    this.current.set(this.stats.reset({ seed })[0]);
  }

  /** Steps the envs `seg.numSteps` times into `seg` (a transitions segment), acting at learner iteration `version` + t. */
  collect(seg: Segment, version: number): void {
    const c = this.c, N = this.numEnvs, d = this.actionDim, obsSize = this.obsSize;
    const { actions, current } = this;
    seg.versions.fill(version);
    seg.episodes.length = 0;
    let finals = 0;
    for (let t = 0; t < seg.numSteps; t++) {
      const row = t * N;
      if (version + t < c.learningStarts && !c.init) {
        for (let i = 0; i < N; i++) for (let k = 0; k < d; k++) actions[i * d + k] = this.low[k]! + (this.high[k]! - this.low[k]!) * this.rng.random();
      } else {
        this.actor.inputView(N).set(current);
        this.actor.forward(N);
        for (let i = 0; i < N * d; i++) this.noise[i] = this.rng.normal();
        squashedGaussianForward(this.actor.outputView(N), N, d, this.noise, this.scale, this.bias, this.sampled, this.logProb, this.squashed);
        for (let i = 0; i < N * d; i++) actions[i] = this.sampled[i]!;
      }
      seg.obs.set(current, row * obsSize);
      for (let k = 0; k < N * d; k++) seg.actions[row * d + k] = actions[k]!;
      const [next, ...outcome] = this.stats.step(actions);
      finals = recordTransitionStep(seg, t, finals, outcome, this.env.finalObs);
      current.set(next);
    }
    seg.nextObs.set(current);
  }
}

/** SAC's actor network for `obsSize` observations and `actionDim` actions (mean and log-std per action). */
export function sacActorNetwork(c: SACConfig, obsSize: number, actionDim: number, maxBatch: number, rng: Random, backend: Backend): Network {
  return new Network(mlp(c.hiddenSizes, 2 * actionDim), { inputShape: obsSize, maxBatch, rng, backend });
}

/** A worker with an actor of its own (a distributed actor's), stepping `numEnvs` fresh envs of `target`. */
export function sacActorWorker(c: SACConfig, target: TrainingTarget, numEnvs: number, seed: number, backend: Backend = defaultBackend()): SACActorWorker {
  const space = boundedBoxActions(target, "SAC");
  const env = buildEnv(target, numEnvs);
  return new SACActorWorker(c, space, env, sacActorNetwork(c, env.obsSize, space.size, numEnvs, new Random(c.seed), backend), seed);
}

export class SAC {
  readonly config: SACConfig;
  readonly target: TrainingTarget;
  readonly actor: Network;
  readonly qf1: Network;
  readonly qf2: Network;
  readonly qf1Target: Network;
  readonly qf2Target: Network;
  /** the ensemble (qf1, qf2, … ) and its targets */
  readonly critics: Network[];
  readonly criticTargets: Network[];
  private readonly demoSource: DatasetSource | null;
  private demos: ReplayBuffer | null = null;
  private demoFingerprint: string | null = null;
  readonly logAlpha: ParameterTensor;
  readonly qOptimizer: Adam;
  readonly actorOptimizer: Adam;
  readonly alphaOptimizer: Adam;
  readonly buffer: ReplayBuffer;
  readonly episodes = new EpisodeLog();
  /** the acting half, on this agent's own actor and `numEnvs` envs */
  readonly worker: SACActorWorker;
  /** the learner's stream: replay sampling, update noise (acting draws from the worker's own) */
  private readonly rng: Random;
  private readonly actionDim: number;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  private readonly targetEntropy: number;
  private alpha: number;
  private envSteps = 0;
  private iteration = 0;
  private updates = 0;
  private elapsedBefore = 0;
  private segment: Segment | null = null;
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
  private readonly demoBatch: ReplayBatch;
  private readonly onlineBatch: ReplayBatch;
  private readonly subset: Int32Array;
  /** π_BC of demonstration regularization, and its means and per-row KL of a batch */
  readonly prior: BCPrior | null;
  private readonly priorMeans: Float64Array;
  private readonly kl: Float64Array;
  /** what `init` copied (null without init) */
  readonly initSummary: string | null = null;

  /** `{ envId }` trains on a registered env, `{ env: () => new MyEnv() }` on a factory, `{ env: vectorEnv }` on a vector env (same-step autoreset). */
  /** `demoData`: the demonstrations themselves (else `demos` is opened by name, in Node through tsrl/node); `initData`: the `init` checkpoint's bytes (else read in Node). */
  constructor(input: Partial<SACConfig> & EnvInput & { demoData?: DatasetSource; initData?: Uint8Array }, options: { backend?: Backend } = {}) {
    const { env: source, demoData, initData, ...overrides } = input;
    const target = (this.target = trainingTarget({ ...overrides, env: source }, "sac"));
    const c = (this.config = resolveSACConfig({ ...overrides, envId: target.envId }, target));
    const space = boundedBoxActions(target, "SAC");
    const backend = options.backend ?? defaultBackend();
    this.actionDim = space.size;
    ({ scale: this.scale, bias: this.bias } = actionScaling(space));
    const env = buildEnv(target, c.numEnvs);
    const obsSize = env.obsSize, d = this.actionDim, B = c.batchSize;
    const maxBatch = Math.max(B, c.numEnvs);
    // CleanRL's construction order: actor, qf1, qf2, then the targets (copied from qf1, qf2).
    const initRng = new Random(c.seed);
    this.actor = sacActorNetwork(c, obsSize, d, maxBatch, initRng, backend);
    const layers = c.criticLayerNorm ? [...c.hiddenSizes.flatMap((h) => [linear(h), layerNorm(), relu()]), linear(1)] : mlp(c.hiddenSizes, 1);
    const critic = () => new Network(layers, { inputShape: obsSize + d, inputParts: [obsSize, d], maxBatch, rng: initRng, backend });
    this.critics = Array.from({ length: c.numCritics }, critic);
    this.criticTargets = Array.from({ length: c.numCritics }, critic);
    this.criticTargets.forEach((t, k) => t.softUpdateFrom(this.critics[k]!, 1));
    [this.qf1, this.qf2] = this.critics as [Network, Network];
    [this.qf1Target, this.qf2Target] = this.criticTargets as [Network, Network];
    this.logAlpha = new ParameterTensor("log_alpha", [1], { backend });
    this.qOptimizer = new Adam(this.critics, { lr: c.qLr });
    this.actorOptimizer = new Adam([this.actor], { lr: c.policyLr });
    this.alphaOptimizer = new Adam([this.logAlpha], { lr: c.qLr });
    this.targetEntropy = -d;
    this.alpha = c.autotune ? 1 : c.alpha;
    this.buffer = new ReplayBuffer({ capacity: c.bufferSize, obsSize, actions: d, numEnvs: c.numEnvs });
    this.worker = new SACActorWorker(c, space, env, this.actor, c.seed + 1);
    this.rng = new Random(c.seed + 2);
    this.batch = this.buffer.batch(B);
    this.noise = new Float64Array(maxBatch * d);
    this.sampled = new Float64Array(maxBatch * d);
    this.logProb = new Float64Array(maxBatch);
    this.squashed = new Float64Array(maxBatch * d);
    this.targets = new Float64Array(B);
    this.gradAction = new Float64Array(B * d);
    this.gradLogProb = new Float64Array(B);
    this.actionGrad = new Float64Array(B * d);
    this.subset = new Int32Array(c.numCritics);
    this.demoSource = c.demos ? openCheckedDataset(c.demos, demoData, target, "sac --demos") : null;
    this.demoBatch = this.buffer.batch(B >> 1);
    this.onlineBatch = this.buffer.batch(B - (B >> 1));
    this.prior = this.demoSource && c.demoRegCoef > 0 ? new BCPrior(this.demoSource, target, { hiddenSizes: c.hiddenSizes, seed: c.seed, steps: c.demoRegBcSteps, rows: B, backend }) : null;
    this.priorMeans = new Float64Array(this.prior ? B * d : 0);
    this.kl = new Float64Array(this.prior ? B : 0);
    if (c.init) this.initSummary = this.initFrom(openInitCheckpoint(c.init, initData, "sac"));
  }

  /** Copies the actor (and the critics where they fit) of a sac, iql or bc checkpoint; returns what was copied. */
  private initFrom(src: InitCheckpoint): string {
    const c = this.config, sc = src.config;
    if (!["sac", "iql", "bc"].includes(src.algo)) throw new ConfigError(`${src.label}: a ${src.algo} checkpoint; SAC starts from the actor (and critics) of a sac, iql or bc run`);
    if (sc.envId !== c.envId) throw new ConfigError(`${src.label}: trained on ${String(sc.envId)}, this run is on ${c.envId}; init from a run of ${c.envId}`);
    if (JSON.stringify(sc.hiddenSizes) !== JSON.stringify(c.hiddenSizes)) {
      throw new ConfigError(`${src.label}: its networks have hidden sizes ${JSON.stringify(sc.hiddenSizes)}, this run's ${JSON.stringify(c.hiddenSizes)}; pass --hidden-sizes ${String(sc.hiddenSizes)}`);
    }
    const normalization = (src.state.normalization ?? null) as ObsNormalization | null;
    if (src.algo === "sac") {
      copyNetwork(this.actor, src, "actor", "actor");
      if (sc.numCritics !== c.numCritics || sc.criticLayerNorm !== c.criticLayerNorm) return `actor of ${src.algo} (its ${String(sc.numCritics)} critics${sc.criticLayerNorm ? " with LayerNorm" : ""} do not fit this run's ${c.numCritics}${c.criticLayerNorm ? " with LayerNorm" : ""})`;
      this.critics.forEach((q, k) => copyNetwork(q, src, `qf${k + 1}`, `critic ${k + 1}`));
      this.criticTargets.forEach((q, k) => copyNetwork(q, src, `qf${k + 1}_target`, `target critic ${k + 1}`));
      if (!c.autotune) return `actor, ${c.numCritics} critics and their targets of ${src.algo}`;
      this.logAlpha.value.set(initTensor(src, "log_alpha.log_alpha", 1, "entropy coefficient"));
      this.alpha = Math.exp(this.logAlpha.value[0]!);
      return `actor, ${c.numCritics} critics and their targets, α ${this.alpha.toPrecision(3)} of ${src.algo}`;
    }
    // iql, bc: the deterministic tanh(o) becomes the mean of tanh(μ + σε)
    copyNetwork(this.actor, src, "actor", "actor", { outputRows: this.actionDim, normalization });
    if (src.algo === "bc") return "actor of bc (its mean; the log-std head starts fresh)";
    if (c.numCritics !== 2 || c.criticLayerNorm) return `actor of iql (its mean; the log-std head starts fresh); not its twin critics: this run has ${c.numCritics} critics${c.criticLayerNorm ? " with LayerNorm" : ""}`;
    const rewardScale = Number(src.state.rewardScale ?? 1);
    for (const [k, q] of [this.qf1, this.qf2].entries()) {
      copyNetwork(q, src, `qf${k + 1}`, `critic ${k + 1}`, { normalization, outputScale: 1 / rewardScale });
      copyNetwork(this.criticTargets[k]!, src, `qf${k + 1}_target`, `target critic ${k + 1}`, { normalization, outputScale: 1 / rewardScale });
    }
    return `actor of iql (its mean; the log-std head starts fresh), its twin critics and their targets${rewardScale !== 1 ? ` (rewards unscaled by 1/${rewardScale.toPrecision(4)})` : ""}`;
  }

  /** Before learning: checks the demonstrations are the run's, reads them (once) into a buffer of their own for symmetric sampling, fits π_BC (once). */
  prepare(callbacks: TrainCallbacks): void {
    if (!this.demoSource) return;
    const fingerprint = datasetFingerprint(this.demoSource);
    if (this.demoFingerprint !== null && this.demoFingerprint !== fingerprint) {
      throw new ConfigError(`sac: demos ${this.config.demos} are not the ones this run was trained with (their chunks' checksums differ); resume with the original dataset`);
    }
    this.demoFingerprint = fingerprint;
    if (this.config.demoSampling && !this.demos) this.demos = loadTransitions(this.demoSource).buffer;
    if (this.prior && !this.prior.state) {
      const loss = this.prior.fit();
      callbacks.onMetrics?.(this.envSteps, { "losses/demo_bc_loss": loss }, 0);
    }
  }

  /** A minibatch: uniform from the replay buffer, or with demos half from them and half from it (symmetric sampling). */
  private sampleBatch(): void {
    const c = this.config;
    if (!this.demos) {
      this.buffer.sample(this.rng, this.batch, c.gamma);
      return;
    }
    this.demos.sample(this.rng, this.demoBatch, c.gamma);
    this.buffer.sample(this.rng, this.onlineBatch, c.gamma);
    const out = this.batch, h = this.demoBatch.size, obsSize = this.buffer.obsSize, d = this.actionDim;
    for (const [part, offset] of [[this.demoBatch, 0], [this.onlineBatch, h]] as const) {
      out.obs.set(part.obs, offset * obsSize);
      out.nextObs.set(part.nextObs, offset * obsSize);
      out.actions.set(part.actions, offset * d);
      out.rewards.set(part.rewards, offset);
      out.discounts.set(part.discounts, offset);
    }
  }

  /** Actor forward on `rows` observations already in `actor.input`, then a reparameterized sample into `sampled`/`logProb`. */
  private sampleActions(rows: number): void {
    const d = this.actionDim;
    this.actor.forward(rows);
    for (let i = 0; i < rows * d; i++) this.noise[i] = this.rng.normal();
    squashedGaussianForward(this.actor.outputView(rows), rows, d, this.noise, this.scale, this.bias, this.sampled, this.logProb, this.squashed);
  }

  /** The policy version: learner iterations (batches of numEnvs env steps) received so far. */
  get version(): number {
    return this.iteration;
  }

  /** Iterations the run takes: ⌈totalTimesteps / numEnvs⌉. */
  get numIterations(): number {
    return Math.ceil(this.config.totalTimesteps / this.config.numEnvs);
  }

  get globalStep(): number {
    return this.envSteps;
  }

  learn(callbacks: TrainCallbacks = {}): TrainResult {
    const c = this.config;
    const segment = (this.segment ??= allocateSegment({ kind: "transitions", numEnvs: c.numEnvs, numSteps: 1, obsSize: this.worker.obsSize, actionDim: this.actionDim }));
    const start = now() - this.elapsedBefore;
    this.prepare(callbacks);
    if (this.iteration === 0) this.worker.reset(c.seed);
    while (this.iteration < this.numIterations) {
      this.worker.collect(segment, this.version);
      this.observe(segment, callbacks, start);
      if (callbacks.checkpoint) {
        this.elapsedBefore = now() - start;
        callbacks.checkpoint(this.envSteps, this.iteration === this.numIterations);
      }
    }
    const wall = now() - start;
    this.elapsedBefore = wall;
    return trainResult("sac", c, this.envSteps, wall, this.episodes);
  }

  /**
   * SAC's learning half: the segment's transitions go into the replay buffer step by step, and
   * each time numEnvs env steps have arrived (one iteration g) the single process's schedule runs
   * (after `learningStarts`, `utd` critic updates and the delayed actor updates). Steps past the
   * run's end are not added. `start`: the run's start on the `now()` clock; `extraMetrics` are
   * reported with the iteration's. Call `prepare` once before.
   */
  observe(seg: Segment, callbacks: TrainCallbacks, start: number, extraMetrics: Record<string, number> = {}): void {
    const c = this.config;
    const N = seg.numEnvs, obsSize = seg.obsSize, d = this.actionDim;
    const iterations = this.numIterations;
    let final = 0, episode = 0;
    for (let t = 0; t < seg.numSteps && this.iteration < iterations; t++) {
      for (let i = 0; i < N; i++) {
        const row = t * N + i;
        const ended = seg.terminated[row]! || seg.truncated[row]!;
        this.buffer.add(seg.obs.subarray(row * obsSize, (row + 1) * obsSize), nextObservation(seg, row, final), seg.actions.subarray(row * d, (row + 1) * d), seg.rewards[row]!, seg.terminated[row]!, seg.truncated[row]!);
        if (ended) final++;
      }
      this.envSteps += N;
      for (; episode < seg.episodes.length && seg.episodes[episode]!.t === t; episode++) {
        const e = seg.episodes[episode]!;
        this.episodes.add(this.envSteps, e.return, e.length);
        callbacks.onEpisode?.({ step: this.envSteps, return: e.return, length: e.length, wallSeconds: now() - start });
      }
      for (; this.iteration < Math.min(iterations, Math.floor(this.envSteps / c.numEnvs)); this.iteration++) {
        const g = this.iteration;
        if (g > c.learningStarts) {
          const m = this.update(g);
          if (g % 100 === 0) {
            const elapsed = now() - start;
            callbacks.onMetrics?.(this.envSteps, { ...m, "charts/SPS": this.envSteps / elapsed, ...extraMetrics }, elapsed);
          }
        }
        if (g % 500 === 0 || g === iterations - 1) {
          const sps = this.envSteps / (now() - start);
          callbacks.onProgress?.({ step: this.envSteps, totalSteps: iterations * c.numEnvs, sps, episodes: this.episodes.count, recentMeanReturn: this.episodes.meanReturn(20) });
        }
      }
    }
  }

  /** `utd` critic updates (each on a fresh minibatch), and at every `policyFrequency`th step the actor (and α) updates; returns CleanRL's logged losses. */
  private update(g: number): Record<string, number> {
    const c = this.config;
    const B = c.batchSize, E = c.numCritics, d = this.actionDim;
    const batch = this.batch;
    const losses = new Float64Array(E), values = new Float64Array(E);
    const metrics: Record<string, number> = {};
    for (let u = 0; u < c.utd; u++) {
      this.sampleBatch();
      this.updates++;

      // y = r + γ(1 − done)·(min over target critics Q̄_k(s', a') − α·log π(a'|s')), a' ~ π(·|s')
      this.actor.inputView(B).set(batch.nextObs);
      this.sampleActions(B);
      const subset = this.targetSubset();
      const first = this.criticTargets[subset[0]!]!;
      first.setInputPart(0, batch.nextObs, B);
      first.setInputPart(1, this.sampled, B);
      first.forward(B);
      for (let k = 1; k < subset.length; k++) this.criticTargets[subset[k]!]!.forward(B, first.input);
      // demonstration regularization: the KL to π_BC is part of the regularized return, as the entropy is
      const lambda = this.prior ? demoRegCoefAt(c, this.envSteps) : 0;
      if (lambda > 0) {
        this.prior!.means(batch.nextObs, B, this.priorMeans);
        demoKlTerm(this.sampled, this.logProb, this.priorMeans, this.prior!.logStd.value, B, d, lambda, this.kl, null, null);
      }
      for (let b = 0; b < B; b++) {
        let min = Infinity;
        for (let k = 0; k < subset.length; k++) min = Math.min(min, this.criticTargets[subset[k]!]!.outputView(B)[b]!);
        this.targets[b] = batch.rewards[b]! + batch.discounts[b]! * (min - this.alpha * this.logProb[b]! - (lambda > 0 ? lambda * this.kl[b]! : 0));
      }

      // critics: mean squared TD errors, summed over the ensemble
      this.qf1.setInputPart(0, batch.obs, B);
      this.qf1.setInputPart(1, batch.actions, B);
      for (let k = 0; k < E; k++) {
        losses[k] = this.criticStep(this.critics[k]!, this.qf1.input);
        values[k] = meanOutput(this.critics[k]!, B, `qf${k + 1} values (Q(s, a) of the sampled batch)`, this.updates, this.envSteps);
      }
      assertFiniteValue(losses.reduce((a, v) => a + v, 0), "the critics' loss", this.updates, this.envSteps);
      this.qOptimizer.update();
      if (g % c.targetNetworkFrequency === 0) this.criticTargets.forEach((t, k) => t.softUpdateFrom(this.critics[k]!, c.tau));
    }

    let actorLoss = NaN, alphaLoss = NaN;
    if (g % c.policyFrequency === 0) {
      for (let k = 0; k < c.policyFrequency; k++) {
        actorLoss = this.actorStep(batch, metrics);
        if (c.autotune) alphaLoss = this.alphaStep(batch);
      }
    }
    for (let k = 0; k < E; k++) {
      metrics[`losses/qf${k + 1}_values`] = values[k]!;
      metrics[`losses/qf${k + 1}_loss`] = losses[k]!;
    }
    metrics["losses/qf_loss"] = losses.reduce((a, v) => a + v, 0) / E;
    metrics["losses/actor_loss"] = actorLoss;
    metrics["losses/alpha"] = this.alpha;
    if (c.autotune) metrics["losses/alpha_loss"] = alphaLoss;
    return metrics;
  }

  /** The target critics of this update: all of them, or (RLPD) `criticSubset` drawn without replacement. */
  private targetSubset(): Int32Array {
    const { numCritics: E, criticSubset: Z } = this.config;
    for (let k = 0; k < E; k++) this.subset[k] = k;
    if (Z === E) return this.subset;
    for (let k = 0; k < Z; k++) {
      const j = k + this.rng.integer(E - k);
      const t = this.subset[k]!;
      this.subset[k] = this.subset[j]!;
      this.subset[j] = t;
    }
    return this.subset.subarray(0, Z);
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

  /**
   * actor loss = mean(α·log π(a|s) − Q(s, a)), a ~ π(·|s) reparameterized; Q = min(Q1, Q2), or with
   * RLPD the ensemble's mean; with demonstration regularization + λ·mean(log π(a|s) − log π_BC(a|s)).
   */
  private actorStep(batch: ReplayBatch, metrics: Record<string, number>): number {
    const B = this.config.batchSize, d = this.actionDim;
    const critics = this.config.rlpd ? this.critics : [this.qf1, this.qf2];
    const E = critics.length;
    this.actor.inputView(B).set(batch.obs);
    this.sampleActions(B);
    this.qf1.setInputPart(0, batch.obs, B);
    this.qf1.setInputPart(1, this.sampled, B);
    for (const q of critics) q.forward(B, this.qf1.input);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      let q: number;
      if (this.config.rlpd) {
        q = 0;
        for (const net of critics) {
          q += net.outputView(B)[b]! / E;
          net.outputGradView(B)[b] = -1 / (B * E);
        }
      } else {
        const q1 = this.qf1.outputView(B)[b]!, q2 = this.qf2.outputView(B)[b]!;
        const first = q1 <= q2;
        q = first ? q1 : q2;
        this.qf1.outputGradView(B)[b] = first ? -1 / B : 0;
        this.qf2.outputGradView(B)[b] = first ? 0 : -1 / B;
      }
      loss += this.alpha * this.logProb[b]! - q;
      this.gradLogProb[b] = this.alpha / B;
    }
    loss /= B;
    assertFiniteValue(loss, "the actor loss", this.updates, this.envSteps);
    // ∂L/∂a through the critics (only their input gradients: the critics are not updated here)
    this.gradAction.fill(0);
    for (const q of critics) {
      q.backward({ inputGradient: true, parameterGradients: false });
      q.inputGradPart(1, B, this.actionGrad);
      for (let i = 0; i < B * d; i++) this.gradAction[i]! += this.actionGrad[i]!;
    }
    if (this.prior) {
      const lambda = demoRegCoefAt(this.config, this.envSteps);
      this.prior.means(batch.obs, B, this.priorMeans);
      const kl = demoKlTerm(this.sampled, this.logProb, this.priorMeans, this.prior.logStd.value, B, d, lambda, this.kl, this.gradAction, this.gradLogProb);
      loss += lambda * kl;
      assertFiniteValue(loss, "the actor loss (with the KL to π_BC)", this.updates, this.envSteps);
      metrics["losses/demo_kl"] = kl;
      metrics["losses/demo_reg_coef"] = lambda;
    }
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
    assertFiniteValue(this.alpha, "the entropy coefficient α (log_alpha)", this.updates, this.envSteps);
    return -alpha * mean;
  }

  private modules(): Record<string, Parameterized> {
    // qf1, qf2, … and their targets: a two-critic SAC's names are CleanRL's
    const critics = Object.fromEntries(this.critics.flatMap((q, k) => [[`qf${k + 1}`, q], [`qf${k + 1}_target`, this.criticTargets[k]!]]));
    return { actor: this.actor, ...critics, log_alpha: this.logAlpha, ...this.prior?.modules() };
  }

  private optimizers() {
    return { q: this.qOptimizer, actor: this.actorOptimizer, alpha: this.alphaOptimizer };
  }

  /** Everything needed to continue this run exactly (between two env steps): networks, optimizers, α, replay buffer, RNGs, envs. */
  saveCheckpoint(): Uint8Array {
    const state: SACState = {
      globalStep: this.envSteps,
      iteration: this.iteration,
      updates: this.updates,
      elapsed: this.elapsedBefore,
      alpha: this.alpha,
      current: Array.from(this.worker.current),
      rng: this.worker.rng.getState(),
      learnerRng: this.rng.getState(),
      env: this.worker.env.getState(),
      episodeStatistics: this.worker.stats.getState(),
      episodes: this.episodes.getState(),
      buffer: this.buffer.getState(),
      ...(this.demoFingerprint ? { demos: this.demoFingerprint } : {}),
      ...(this.prior?.state ? { bcPrior: this.prior.state } : {}),
    };
    return saveParameters(this.modules(), this.optimizers(), { kind: CHECKPOINT_KIND, algo: "sac", config: this.config, state }, this.buffer.tensors());
  }

  /** Restores a `saveCheckpoint` of a run with the same config; `learn` then continues it. */
  loadCheckpoint(bytes: Uint8Array, source = "checkpoint", madeWith: unknown = this.config): void {
    const { meta, extra } = loadParameters(bytes, this.modules(), this.optimizers(), source);
    const state = checkCheckpointMeta(meta, "sac", madeWith, source) as SACState;
    this.envSteps = state.globalStep;
    this.iteration = state.iteration;
    this.updates = state.updates;
    this.elapsedBefore = state.elapsed;
    this.alpha = state.alpha;
    this.worker.current.set(state.current);
    this.worker.rng.setState(state.rng);
    // A checkpoint from before acting and learning had streams of their own holds one generator:
    // continuing both from its state would have them draw the same numbers (warm-up actions and
    // exploration noise in step with replay indices and the actor's samples). The learner starts
    // its own stream, as a new run's; the run differs from an uninterrupted old one either way.
    this.rng.setState(state.learnerRng ?? new Random(this.config.seed + 2).getState());
    this.worker.env.setState(state.env);
    this.worker.stats.setState(state.episodeStatistics);
    this.episodes.setState(state.episodes);
    this.buffer.setState(state.buffer, extra);
    this.demoFingerprint = state.demos ?? null;
    this.demos = null;
    if (this.prior) this.prior.state = state.bcPrior ?? null;
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
