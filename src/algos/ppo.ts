/**
 * PPO, after CleanRL's `ppo.py` (discrete actions) and `ppo_continuous_action.py` (Box actions):
 * same defaults, same loss and the same order of operations — GAE, per-minibatch advantage
 * normalization, clipped surrogate and clipped value loss, entropy bonus, linear lr annealing,
 * one global gradient-norm clip over actor and critic, Adam with eps 1e-5. Episodes end on
 * termination or truncation without bootstrapping, and envs autoreset in the same step, as under
 * the gymnasium 0.29 that CleanRL pins.
 *
 * Demonstration regularization (Tiapkin et al. 2023, src/algos/demo-reg.ts): with `demoRegCoef`
 * λ > 0 a BC policy π_BC (Gaussian, or categorical for Discrete actions) is fitted on `demos`
 * before the first rollout, and λ·mean KL(π(·|s)‖π_BC(·|s)) over each minibatch's states (exact,
 * in closed form) joins the loss. π_BC reads the raw observations, kept beside the normalized ones.
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
import { type LayerSpec, linear, relu, tanh } from "../nn/layers.js";
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
  ENV_FIXED_ON_RESUME,
  envFieldDefaults,
  trainResult,
} from "./common.js";
import { Policy, type SavedPolicy, encodePolicy, policyEnv } from "./policy.js";
import { WASM_MAX_BYTES, checkConfigSizes, sizeFields } from "./memory.js";
import { type Segment, allocateSegment, gaeColumn, recordEpisodes, vtraceColumn } from "./acting.js";
import type { DatasetSource } from "../data/format.js";
import { BCPrior, type BCPriorState, DEMO_REG_DEFAULTS, categoricalKlTerm, demoRegCoefAt, demoRegFields, gaussianKlTerm } from "./demo-reg.js";
import { datasetFingerprint, openCheckedDataset } from "./offline.js";

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
    activation: z.enum(["tanh", "relu"], { error: 'must be "tanh" (CleanRL) or "relu" (gymnax-blines, PureJaxRL)' }).describe("activation of the hidden layers: tanh (CleanRL) or relu"),
    convChannels: z.array(positiveInt("convChannels entries")).describe("channels of 2-D convolutions (ReLU) before the hidden layers, for image observations [h, w, c]; comma separated, empty for none (MinAtar: 16)"),
    convKernel: positiveInt("convKernel").describe("kernel size of those convolutions"),
    /** continuous actions only: normalize observations and rewards as ppo_continuous_action.py does */
    normalize: z.boolean().describe("normalize observations and rewards (continuous actions, as ppo_continuous_action.py)"),
    demos: z.string().describe("a dataset of demonstrations (name in the run store, or a directory) that π_BC of --demo-reg-coef is fitted on; empty: none"),
    ...demoRegFields,
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
export const PPO_FIXED_ON_RESUME = [...ENV_FIXED_ON_RESUME, "seed", "numEnvs", "hiddenSizes", "activation", "convChannels", "convKernel", "normalize", "demos", "demoRegCoef", "demoRegBcSteps"] as const;

/** CleanRL's defaults: `ppo.py` for discrete action spaces, `ppo_continuous_action.py` for Box ones. */
export function ppoDefaults(env: string | Space): Omit<PPOConfig, "envId"> {
  const continuous = (typeof env === "string" ? trainingTarget({ envId: env }, "ppo").actionSpace : env) instanceof Box;
  const shared = { ...envFieldDefaults(), seed: 1, annealLr: true, gamma: 0.99, gaeLambda: 0.95, normAdv: true, clipCoef: 0.2, clipVloss: true, vfCoef: 0.5, maxGradNorm: 0.5, targetKl: null, adamEps: 1e-5, hiddenSizes: [64, 64], activation: "tanh" as const, convChannels: [], convKernel: 3, demos: "", ...DEMO_REG_DEFAULTS };
  return continuous
    ? { ...shared, totalTimesteps: 1_000_000, learningRate: 3e-4, numEnvs: 1, numSteps: 2048, numMinibatches: 32, updateEpochs: 10, entCoef: 0, normalize: true }
    : { ...shared, totalTimesteps: 500_000, learningRate: 2.5e-4, numEnvs: 4, numSteps: 128, numMinibatches: 4, updateEpochs: 4, entCoef: 0.01, normalize: false };
}

/** Fills CleanRL's defaults for the env's action space (default: the registered env's) under `overrides`, then validates. */
export function resolvePPOConfig(overrides: Partial<PPOConfig> & { envId: string }, actionSpace?: Space): PPOConfig {
  const space = actionSpace ?? trainingTarget(overrides, "ppo").actionSpace;
  const input = { ...ppoDefaults(space), ...overrides };
  checkConfigSizes(sizeFields(input), Infinity, WASM_MAX_BYTES);
  const c = parseConfig(ppoConfigSchema, input, "ppo");
  // said, not ignored: ppo.py (discrete actions) has no normalization to turn on
  if (c.normalize && !(space instanceof Box)) throw new ConfigError(`normalize: PPO normalizes observations and rewards for continuous (Box) actions only, as ppo_continuous_action.py; ${c.envId} has ${space} actions, so remove normalize (--normalize)`);
  if (c.demoRegCoef > 0 && !c.demos) throw new ConfigError("invalid ppo config:\n  demoRegCoef: demonstration regularization fits π_BC on demonstrations: name them with --demos <dataset>");
  if (c.demos && c.demoRegCoef === 0) throw new ConfigError("invalid ppo config:\n  demos: PPO uses demonstrations only through demonstration regularization: set --demo-reg-coef (e.g. 0.1), or drop --demos");
  return c;
}

const OBS_CLIP = 10;
const REWARD_CLIP = 10;
/** V-trace's truncation levels ρ̄ and c̄ (IMPALA's) for env columns acted by an older policy */
const VTRACE_RHO_BAR = 1;
const VTRACE_C_BAR = 1;

/** The networks PPO acts and learns with. */
export interface PPONetworks {
  actor: Network;
  critic: Network;
  /** state-independent log standard deviation (continuous actions only) */
  logStd: ParameterTensor | null;
}

/** PPO's networks for `target`, initialized as CleanRL's (critic first, then actor, from `Random(seed)`). */
export function ppoNetworks(c: PPOConfig, target: TrainingTarget, obsSize: number, maxBatch: number, backend: Backend): PPONetworks {
  const space = target.actionSpace;
  const outputs = space instanceof Box ? space.size : (space as Discrete).n;
  const initRng = new Random(c.seed);
  const { inputShape, conv } = observationBody(target.observationSpace, obsSize, c, { orthogonal: Math.SQRT2 });
  const act = c.activation === "relu" ? relu : tanh;
  const body = (): LayerSpec[] => [...conv, ...c.hiddenSizes.flatMap((h) => [linear(h, { orthogonal: Math.SQRT2 }), act()])];
  const critic = new Network([...body(), linear(1, { orthogonal: 1 })], { inputShape, maxBatch, rng: initRng, backend });
  const actor = new Network([...body(), linear(outputs, { orthogonal: 0.01 })], { inputShape, maxBatch, rng: initRng, backend });
  const logStd = space instanceof Box ? new ParameterTensor("actor_logstd", [outputs], { backend }) : null;
  return { actor, critic, logStd };
}

/** The networks by checkpoint name ("actor", "critic", "actor_logstd"). */
export function ppoModules(nets: PPONetworks): Record<string, Parameterized> {
  return nets.logStd ? { actor: nets.actor, critic: nets.critic, actor_logstd: nets.logStd } : { actor: nets.actor, critic: nets.critic };
}

/**
 * PPO's acting half (an SRL actor worker): steps `numEnvs` envs with the networks' current
 * parameters, sampling actions and recording their log-probabilities and values, into segments.
 * `PPO.learn` runs one on its own networks; a remote actor runs one on parameters it receives.
 */
export class PPOActorWorker {
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly actionDim: number;
  readonly base: BaseVectorEnv;
  readonly stats: RecordEpisodeStatistics;
  readonly rewardNormalizer: NormalizeReward | null = null;
  readonly obsRms: RunningMeanStd | null;
  readonly policyRng: Random;
  /** the policy's next input (normalized where configured) and whether each env just ended an episode */
  readonly nextObs: Float32Array;
  readonly nextDone: Float64Array;
  private readonly env: VectorEnvLike;
  private readonly continuous: boolean;
  private readonly numActions: number;
  /** the env's Discrete `start`: the networks pick actions in [0, n), the env takes start + that */
  private readonly actionStart: number;
  private readonly stepActions: Float64Array | Int32Array;
  private readonly envActions: Float64Array | Int32Array;
  private readonly stepLogProb: Float64Array;
  private readonly stepEntropy: Float64Array;
  /** with `keepRaw` and normalized observations: `nextObs` before normalization */
  readonly rawNextObs: Float32Array | null;

  /** `base`: the vector env (same-step autoreset) to step; `policySeed` seeds action sampling; `keepRaw`: keep raw observations for `collect` */
  constructor(c: PPOConfig, space: Space, base: BaseVectorEnv, readonly nets: PPONetworks, policySeed: number, keepRaw = false) {
    const N = (this.numEnvs = base.numEnvs);
    this.continuous = space instanceof Box;
    this.actionDim = space instanceof Box ? space.size : 1;
    this.numActions = space instanceof Box ? 0 : (space as Discrete).n;
    this.actionStart = space instanceof Box ? 0 : (space as Discrete).start;
    this.base = base;
    this.obsSize = base.obsSize;
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
    this.policyRng = new Random(policySeed);
    this.nextObs = new Float32Array(N * this.obsSize);
    this.nextDone = new Float64Array(N);
    this.rawNextObs = keepRaw && this.obsRms ? new Float32Array(N * this.obsSize) : null;
    this.stepActions = this.continuous ? new Float64Array(N * this.actionDim) : new Int32Array(N);
    this.envActions = this.actionStart ? new Int32Array(N) : this.stepActions;
    this.stepLogProb = new Float64Array(N);
    this.stepEntropy = new Float64Array(N);
  }

  /** Resets every env (env i with seed + i) and takes the first observations. */
  reset(seed: number): void {
    const [obs] = this.env.reset({ seed });
    this.normalizeObservations(obs, this.numEnvs, this.nextObs);
  }

  /** Steps the envs `seg.numSteps` times into `seg`, stamping it with the parameters' `version`; `rawObs` (rows as `seg.obs`) gets the observations before normalization. */
  collect(seg: Segment, version: number, rawObs?: Float32Array): void {
    const N = this.numEnvs, T = seg.numSteps, d = this.obsSize, A = this.actionDim;
    const { actor, critic, logStd } = this.nets;
    const backend = actor.backend;
    const { nextObs, nextDone, stepActions, envActions, stepLogProb, stepEntropy } = this;
    seg.versions.fill(version);
    seg.episodes.length = 0;
    for (let step = 0; step < T; step++) {
      const row = step * N;
      seg.obs.set(nextObs, row * d);
      rawObs?.set(this.rawNextObs ?? nextObs, row * d);
      seg.dones.set(nextDone, row);
      actor.inputView(N).set(nextObs);
      const out = backend.view32(actor.forward(N), N * actor.outputSize);
      const value = backend.view32(critic.forward(N, actor.input), N);
      if (logStd) {
        gaussianSample(out, logStd.value, N, A, this.policyRng, stepActions as Float64Array);
        gaussianEvaluate(out, logStd.value, N, A, stepActions, stepLogProb, stepEntropy);
      } else {
        categoricalSample(out, N, this.numActions, this.policyRng, stepActions);
        categoricalEvaluate(out, N, this.numActions, stepActions, stepLogProb, stepEntropy);
      }
      for (let i = 0; i < N; i++) seg.values[row + i] = value[i]!;
      for (let k = 0; k < N * A; k++) seg.actions[row * A + k] = stepActions[k]!;
      seg.logProbs.set(stepLogProb, row);

      if (this.actionStart) for (let i = 0; i < N; i++) envActions[i] = stepActions[i]! + this.actionStart;
      const [o, r, term, trunc, info] = this.env.step(envActions);
      for (let i = 0; i < N; i++) {
        seg.rewards[row + i] = r[i]!;
        nextDone[i] = term[i]! | trunc[i]! ? 1 : 0;
      }
      this.normalizeObservations(o, N, nextObs);
      recordEpisodes(seg, step, info);
    }
    seg.nextObs.set(nextObs);
    seg.nextDone.set(nextDone);
    // the bootstrap values of GAE, from the critic at the last observation
    actor.inputView(N).set(nextObs);
    const nextValue = backend.view32(critic.forward(N, actor.input), N);
    for (let i = 0; i < N; i++) seg.nextValues[i] = nextValue[i]!;
  }

  /** Normalizes (and clips) observations in place when the config asks for it, updating the statistics. */
  private normalizeObservations(obs: Float32Array, rows: number, out: Float32Array): void {
    const rms = this.obsRms;
    this.rawNextObs?.set(obs.subarray(0, rows * this.obsSize));
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
}

/**
 * A worker with networks of its own (a remote actor's), stepping `numEnvs` fresh envs of `target`:
 * it acts with the parameters given by `loadParameters(bytes, ppoModules(worker.nets))`.
 */
export function ppoActorWorker(c: PPOConfig, target: TrainingTarget, numEnvs: number, policySeed: number, backend: Backend = defaultBackend()): PPOActorWorker {
  const base = target.build(numEnvs, "same-step");
  return new PPOActorWorker(c, target.actionSpace, base, ppoNetworks(c, target, base.obsSize, numEnvs, backend), policySeed);
}

/** PPO's learning scratch, allocated once per agent. */
interface PPOScratch {
  values: Float64Array;
  advantages: Float64Array;
  returns: Float64Array;
  /** the current networks' log-probabilities and values, for columns of an older policy */
  currentLogProbs: Float64Array;
  currentValues: Float64Array;
  currentNextValues: Float64Array;
  indices: Int32Array;
  mbActions: Float64Array;
  newLogProb: Float64Array;
  entropy: Float64Array;
  gradLogProb: Float64Array;
  gradEntropy: Float64Array;
  mbAdv: Float64Array;
  mbOldLogProb: Float64Array;
  mbOldValue: Float64Array;
  mbReturns: Float64Array;
  terms: PPOLossTerms;
}

export class PPO {
  readonly config: PPOConfig;
  readonly actor: Network;
  readonly critic: Network;
  /** state-independent log standard deviation (continuous actions only) */
  readonly logStd: ParameterTensor | null;
  readonly optimizer: Adam;
  readonly episodes = new EpisodeLog();
  readonly continuous: boolean;
  readonly target: TrainingTarget;
  /** the acting half, on this agent's own networks and `numEnvs` envs */
  readonly worker: PPOActorWorker;
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
  private segment: Segment | null = null;
  private scratch: PPOScratch | null = null;
  /** demonstration regularization: π_BC, the demos, the rollout's raw observations and π_BC's outputs on them */
  readonly prior: BCPrior | null;
  private readonly demoSource: DatasetSource | null;
  private demoFingerprint: string | null = null;
  private readonly rawObs: Float32Array | null;
  private readonly priorOut: Float64Array;
  private readonly mbPrior: Float64Array;

  /**
   * `{ envId: "CartPole-v1" }` trains on a registered env (built-in or yours); `{ env: () => new
   * MyEnv() }` on an env factory, `{ env: vectorEnv }` on a vector env you built (same-step autoreset).
   */
  /** `demoData`: the demonstrations themselves (else `demos` is opened by name, in Node through tsrl/node). */
  constructor(input: Partial<PPOConfig> & EnvInput & { demoData?: DatasetSource }, options: { backend?: Backend } = {}) {
    const { env: source, demoData, ...overrides } = input;
    const target = (this.target = trainingTarget({ ...overrides, env: source }, "ppo"));
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

    const base = target.build(c.numEnvs, "same-step");
    this.obsSize = base.obsSize;
    const batch = c.numEnvs * c.numSteps;
    const nets = ppoNetworks(c, target, this.obsSize, Math.max(batch / c.numMinibatches, c.numEnvs), backend);
    this.actor = nets.actor;
    this.critic = nets.critic;
    this.logStd = nets.logStd;
    this.demoSource = c.demoRegCoef > 0 ? openCheckedDataset(c.demos, demoData, target, "ppo --demos") : null;
    this.worker = new PPOActorWorker(c, space, base, nets, c.seed + 1, this.demoSource !== null);
    this.optimizer = new Adam(this.parameterGroups, { lr: c.learningRate, eps: c.adamEps });
    this.shuffleRng = new Random(c.seed + 2);
    const minibatchSize = batch / c.numMinibatches;
    this.prior = this.demoSource ? new BCPrior(this.demoSource, target, { hiddenSizes: c.hiddenSizes, seed: c.seed, steps: c.demoRegBcSteps, rows: minibatchSize, backend }) : null;
    const outputs = this.prior?.outputSize ?? 0;
    this.rawObs = this.prior ? new Float32Array(batch * this.obsSize) : null;
    this.priorOut = new Float64Array(this.prior ? batch * outputs : 0);
    this.mbPrior = new Float64Array(this.prior ? minibatchSize * outputs : 0);
  }

  /** Checks the demos are the run's and fits π_BC on them (once). */
  private ensurePrior(callbacks: TrainCallbacks): void {
    if (!this.demoSource || !this.prior) return;
    const fingerprint = datasetFingerprint(this.demoSource);
    if (this.demoFingerprint !== null && this.demoFingerprint !== fingerprint) {
      throw new ConfigError(`ppo: demos ${this.config.demos} are not the ones this run was trained with (their chunks' checksums differ); resume with the original dataset`);
    }
    this.demoFingerprint = fingerprint;
    if (!this.prior.state) callbacks.onMetrics?.(this.globalStep, { "losses/demo_bc_loss": this.prior.fit() }, 0);
  }

  private get parameterGroups() {
    return this.logStd ? [this.actor, this.critic, this.logStd] : [this.actor, this.critic];
  }

  get networks(): PPONetworks {
    return { actor: this.actor, critic: this.critic, logStd: this.logStd };
  }

  /** The policy version: learner updates (iterations) applied so far. */
  get version(): number {
    return this.iteration;
  }

  /** Iterations the config asks for (CleanRL's `num_iterations`). */
  get numIterations(): number {
    return Math.floor(this.config.totalTimesteps / (this.config.numEnvs * this.config.numSteps));
  }

  /** Trains for `totalTimesteps` (default: the config's), as CleanRL's main loop: act, then learn, each iteration. */
  learn(callbacks: TrainCallbacks = {}): TrainResult {
    const c = this.config;
    const numIterations = this.numIterations;
    const segment = (this.segment ??= allocateSegment({ numEnvs: c.numEnvs, numSteps: c.numSteps, obsSize: this.obsSize, actionDim: this.actionDim }));
    const start = now() - this.elapsedBefore;
    this.ensurePrior(callbacks);
    if (this.iteration === 0) this.worker.reset(c.seed);
    while (this.iteration < numIterations) {
      this.worker.collect(segment, this.version, this.rawObs ?? undefined);
      this.update(segment, callbacks, start, {}, this.rawObs ?? undefined);
      callbacks.checkpoint?.(this.globalStep, this.iteration === numIterations);
      if (callbacks.shouldStop?.(this.globalStep)) break;
    }
    const wall = now() - start;
    this.elapsedBefore = wall;
    return trainResult("ppo", c, this.globalStep, wall, this.episodes);
  }

  /**
   * PPO's learning half: one iteration on a batch of `numEnvs` env columns × `numSteps` steps —
   * its episodes recorded, GAE(λ), then `updateEpochs` epochs of minibatch updates, metrics and
   * progress reported (`start`: the run's start on the `now()` clock). Columns acted by an older
   * policy version (remote actors) get V-trace targets and advantages under the current networks
   * (`vtraceColumn`, ρ̄ = c̄ = 1); the PPO ratio and its clip stay against the behaviour policy, as
   * in APPO. `extraMetrics` are reported with the iteration's. `rawObs`: the batch's observations
   * before normalization (demonstration regularization's π_BC reads them).
   */
  update(batch: Segment, callbacks: TrainCallbacks, start: number, extraMetrics: Record<string, number> = {}, rawObs?: Float32Array): void {
    const c = this.config;
    const N = c.numEnvs, T = c.numSteps, d = this.obsSize, A = this.actionDim;
    if (batch.numEnvs !== N || batch.numSteps !== T || batch.obsSize !== d || batch.actionDim !== A) {
      throw new Error(`PPO.update: a batch of ${batch.numEnvs} envs × ${batch.numSteps} steps (obs ${batch.obsSize}, action ${batch.actionDim}); this agent takes ${N} × ${T} (obs ${d}, action ${A})`);
    }
    const batchSize = N * T;
    const minibatchSize = batchSize / c.numMinibatches;
    const numIterations = this.numIterations;
    const backend = this.actor.backend;
    const s = (this.scratch ??= this.allocateScratch());
    const { values, advantages, returns, indices, mbActions, newLogProb, entropy, gradLogProb, gradEntropy, mbAdv, mbOldLogProb, mbOldValue, mbReturns, terms } = s;

    const version = this.iteration;
    const iteration = ++this.iteration;
    if (c.annealLr) this.optimizer.lr = (1 - (iteration - 1) / numIterations) * c.learningRate;
    const stepBefore = this.globalStep;
    for (const e of batch.episodes) {
      const step = stepBefore + (e.t + 1) * N;
      this.episodes.add(step, e.return, e.length);
      callbacks.onEpisode?.({ step, return: e.return, length: e.length, wallSeconds: now() - start });
    }
    this.globalStep = stepBefore + batchSize;

    values.set(batch.values);
    let stale = false;
    for (let i = 0; i < N; i++) if (batch.versions[i]! < version) stale = true;
    if (stale) this.evaluateBatch(batch, s);
    for (let i = 0; i < N; i++) {
      if (batch.versions[i]! >= version) {
        gaeColumn(batch, i, c.gamma, c.gaeLambda, advantages, returns);
        continue;
      }
      for (let t = 0; t < T; t++) values[t * N + i] = s.currentValues[t * N + i]!;
      vtraceColumn(batch, i, { gamma: c.gamma, lambda: c.gaeLambda, rhoBar: VTRACE_RHO_BAR, cBar: VTRACE_C_BAR }, s.currentLogProbs, values, s.currentNextValues[i]!, advantages, returns);
    }

    if (this.prior && !this.prior.state) this.ensurePrior(callbacks); // a learner fed by remote actors
    const lambda = this.prior ? demoRegCoefAt(c, this.globalStep) : 0;
    if (this.prior) this.priorOutputs(batch, rawObs, minibatchSize);
    const outputs = this.prior?.outputSize ?? 0;
    let demoKl = 0;

    let clipFractionSum = 0, minibatches = 0;
    let pgLoss = 0, vLoss = 0, entropyLoss = 0, oldApproxKl = 0, approxKl = 0;
    for (let i = 0; i < batchSize; i++) indices[i] = i; // CleanRL's b_inds = np.arange(batch_size), every iteration
    epochs: for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
      this.shuffleRng.shuffle(indices);
      for (let mbStart = 0; mbStart < batchSize; mbStart += minibatchSize) {
        const input = this.actor.inputView(minibatchSize);
        for (let b = 0; b < minibatchSize; b++) {
          const idx = indices[mbStart + b]!;
          input.set(batch.obs.subarray(idx * d, idx * d + d), b * d);
          for (let k = 0; k < A; k++) mbActions[b * A + k] = batch.actions[idx * A + k]!;
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
          mbOldLogProb[b] = batch.logProbs[idx]!;
          mbOldValue[b] = values[idx]!;
          mbReturns[b] = returns[idx]!;
        }
        const dValue = this.critic.outputGradView(minibatchSize);
        let loss = ppoLoss(c, { newLogProb, oldLogProb: mbOldLogProb, advantages: mbAdv, entropy, newValue, oldValue: mbOldValue, returns: mbReturns }, gradLogProb, dValue, terms);
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
        if (this.prior && lambda > 0) {
          // + λ·mean KL(π(·|s)‖π_BC(·|s)) over the minibatch's states, its gradients added to the loss's
          for (let b = 0; b < minibatchSize; b++) {
            const idx = indices[mbStart + b]!;
            for (let k = 0; k < outputs; k++) this.mbPrior[b * outputs + k] = this.priorOut[idx * outputs + k]!;
          }
          demoKl = this.logStd
            ? gaussianKlTerm(out, this.logStd.value, this.mbPrior, this.prior.logStd.value, minibatchSize, A, lambda, this.actor.outputGradView(minibatchSize), this.logStd.grad)
            : categoricalKlTerm(out, this.mbPrior, minibatchSize, this.numActions, lambda, this.actor.outputGradView(minibatchSize));
          loss += lambda * demoKl;
          assertFinite(loss, "the PPO loss (with the KL to π_BC)", this.optimizer.step + 1, this.globalStep, () => describeNonFinite(this.namedGroups()));
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
      ...(this.prior ? { "losses/demo_kl": demoKl, "losses/demo_reg_coef": lambda } : {}),
      ...extraMetrics,
    }, elapsed);
    callbacks.onProgress?.({ step: this.globalStep, totalSteps: numIterations * batchSize, sps, episodes: this.episodes.count, recentMeanReturn: this.episodes.meanReturn(20) });
    this.elapsedBefore = now() - start;
  }

  /** π_BC's outputs (Box: means; Discrete: logits) for every row of the batch, from its raw observations. */
  private priorOutputs(batch: Segment, rawObs: Float32Array | undefined, chunk: number): void {
    const obs = rawObs ?? (this.worker.obsRms ? null : batch.obs);
    if (!obs) throw new ConfigError("ppo: demonstration regularization reads the raw observations of a rollout, which remote actors do not send with normalized ones; train without --actors/--redis, or with --normalize false");
    const rows = batch.numEnvs * batch.numSteps, d = this.obsSize, k = this.prior!.outputSize;
    for (let r0 = 0; r0 < rows; r0 += chunk) this.prior!.means(obs.subarray(r0 * d, (r0 + chunk) * d), chunk, this.priorOut.subarray(r0 * k, (r0 + chunk) * k));
  }

  /** The current networks' log-probabilities of the batch's actions and values of its observations (V-trace's π and V). */
  private evaluateBatch(batch: Segment, s: PPOScratch): void {
    const rows = batch.numEnvs * batch.numSteps, d = this.obsSize, A = this.actionDim;
    const chunk = rows / this.config.numMinibatches;
    const backend = this.actor.backend;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      this.actor.inputView(chunk).set(batch.obs.subarray(r0 * d, (r0 + chunk) * d));
      const out = backend.view32(this.actor.forward(chunk), chunk * this.actor.outputSize);
      const value = backend.view32(this.critic.forward(chunk, this.actor.input), chunk);
      for (let b = 0; b < chunk; b++) s.currentValues[r0 + b] = value[b]!;
      const actions = batch.actions.subarray(r0 * A, (r0 + chunk) * A);
      const logProbs = s.currentLogProbs.subarray(r0, r0 + chunk);
      if (this.logStd) gaussianEvaluate(out, this.logStd.value, chunk, A, actions, logProbs, s.entropy);
      else categoricalEvaluate(out, chunk, this.numActions, actions, logProbs, s.entropy);
    }
    const N = batch.numEnvs;
    this.actor.inputView(N).set(batch.nextObs);
    const next = backend.view32(this.critic.forward(N, this.actor.input), N);
    for (let i = 0; i < N; i++) s.currentNextValues[i] = next[i]!;
  }

  private allocateScratch(): PPOScratch {
    const c = this.config;
    const batchSize = c.numEnvs * c.numSteps, minibatchSize = batchSize / c.numMinibatches, A = this.actionDim;
    return {
      values: new Float64Array(batchSize),
      advantages: new Float64Array(batchSize),
      returns: new Float64Array(batchSize),
      currentLogProbs: new Float64Array(batchSize),
      currentValues: new Float64Array(batchSize),
      currentNextValues: new Float64Array(c.numEnvs),
      indices: new Int32Array(batchSize),
      mbActions: new Float64Array(minibatchSize * A),
      newLogProb: new Float64Array(minibatchSize),
      entropy: new Float64Array(minibatchSize),
      gradLogProb: new Float64Array(minibatchSize),
      gradEntropy: new Float64Array(minibatchSize).fill(-c.entCoef / minibatchSize),
      mbAdv: new Float64Array(minibatchSize),
      mbOldLogProb: new Float64Array(minibatchSize),
      mbOldValue: new Float64Array(minibatchSize),
      mbReturns: new Float64Array(minibatchSize),
      terms: { policyLoss: 0, valueLoss: 0, entropy: 0, oldApproxKl: 0, approxKl: 0, clipFraction: 0 },
    };
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
      nextObs: Array.from(this.worker.nextObs),
      nextDone: Array.from(this.worker.nextDone),
      policyRng: this.worker.policyRng.getState(),
      shuffleRng: this.shuffleRng.getState(),
      env: this.worker.base.getState(),
      episodeStatistics: this.worker.stats.getState(),
      rewardNormalization: this.worker.rewardNormalizer?.getState() ?? null,
      obsRms: this.worker.obsRms?.getState() ?? null,
      episodes: this.episodes.getState(),
      ...(this.worker.rawNextObs ? { rawNextObs: Array.from(this.worker.rawNextObs) } : {}),
      ...(this.demoFingerprint ? { demos: this.demoFingerprint } : {}),
      ...(this.prior?.state ? { bcPrior: this.prior.state } : {}),
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
    this.worker.nextObs.set(state.nextObs);
    this.worker.nextDone.set(state.nextDone);
    this.worker.policyRng.setState(state.policyRng);
    this.shuffleRng.setState(state.shuffleRng);
    this.worker.base.setState(state.env);
    this.worker.stats.setState(state.episodeStatistics);
    if (this.worker.rewardNormalizer && state.rewardNormalization) this.worker.rewardNormalizer.setState(state.rewardNormalization);
    if (this.worker.obsRms && state.obsRms) this.worker.obsRms.setState(state.obsRms);
    this.episodes.setState(state.episodes);
    if (this.worker.rawNextObs && state.rawNextObs) this.worker.rawNextObs.set(state.rawNextObs);
    this.demoFingerprint = state.demos ?? null;
    if (this.prior) this.prior.state = state.bcPrior ?? null;
  }

  private modules(): Record<string, Parameterized> {
    return { ...ppoModules(this.networks), ...this.prior?.modules() };
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
      observationNormalization: this.worker.obsRms ? { mean: [...this.worker.obsRms.mean], var: [...this.worker.obsRms.var], epsilon: 1e-8, clip: OBS_CLIP } : null,
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
  /** demonstration regularization: the raw next observations, the demos' checksums, π_BC's normalization and fit loss */
  rawNextObs?: number[];
  demos?: string;
  bcPrior?: BCPriorState;
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
