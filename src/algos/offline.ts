/**
 * What the offline algorithms (BC, IQL) share: the dataset named in their config, checked against
 * the env and loaded into a replay buffer with normalized observations, the gradient-step loop with
 * the online evaluation every N steps whose greedy episodes are the run's episodes, and what a
 * checkpoint keeps of them (`OfflineLoop`).
 */
import { type DatasetSource, checkDatasetSpaces } from "../data/format.js";
import { type OfflineData, loadTransitions, openDataset } from "../data/episodes.js";
import { Discrete } from "../envs/spaces.js";
import type { BaseVectorEnv } from "../envs/wrappers/vector-wrapper.js";
import { Random, type RandomState } from "../rng/random.js";
import { ConfigError, EpisodeLog, type EpisodeLogState, type TrainCallbacks, type TrainResult, now, trainResult } from "./common.js";
import type { ReplayBatch, ReplayBufferState } from "./replay-buffer.js";
import type { NamedTensor } from "../nn/network.js";
import type { TrainingTarget } from "./training-env.js";

/** Normalized observations are clipped to ±this (far outside the data the policy has not seen anyway). */
const OBS_CLIP = 10;
const OBS_EPSILON = 1e-6;

/** A dataset named in a config, opened (manifest only) and checked against the env it will train on. */
export function openCheckedDataset(ref: string, data: DatasetSource | undefined, target: TrainingTarget, algo: string): DatasetSource {
  const source = data ?? openDataset(ref, algo);
  checkDatasetSpaces(source.manifest, target.envId, target.observationSpace, target.actionSpace, `${algo}: dataset ${source.manifest.name}`);
  return source;
}

/** What identifies a dataset's contents: its chunks' checksums (a resume refuses another dataset under the same name). */
export function datasetFingerprint(source: DatasetSource): string {
  return source.manifest.chunks.map((c) => c.sha256).join(",");
}

/** Observation normalization as saved policies apply it: (obs − mean)/√(var + ε), clipped. */
export interface ObsNormalization {
  mean: number[];
  var: number[];
  epsilon: number;
  clip: number;
}

/** Loads the transitions (into a buffer with room for `extraCapacity` more), normalizing observations in place (when `normalize`) by the dataset's own statistics. */
export function loadOfflineData(source: DatasetSource, target: TrainingTarget, normalize: boolean, extraCapacity = 0): { data: OfflineData; normalization: ObsNormalization | null } {
  const data = loadTransitions(source, { discrete: target.actionSpace instanceof Discrete, extraCapacity });
  if (!normalize) return { data, normalization: null };
  const normalization: ObsNormalization = { mean: Array.from(data.obsMean), var: Array.from(data.obsVar), epsilon: OBS_EPSILON, clip: OBS_CLIP };
  normalizeRows(data.buffer.obs, normalization);
  normalizeRows(data.buffer.nextObs, normalization);
  return { data, normalization };
}

export function normalizeRows(rows: Float32Array, n: ObsNormalization): void {
  const d = n.mean.length;
  for (let i = 0; i < rows.length; i++) {
    const k = i % d;
    rows[i] = Math.min(n.clip, Math.max(-n.clip, (rows[i]! - n.mean[k]!) / Math.sqrt(n.var[k]! + n.epsilon)));
  }
}

/**
 * Runs `episodes` whole episodes on a one-env vector env (same-step autoreset), acting with
 * `act(obs row, action out)`, and logs each as a run episode at gradient step `step`.
 * Returns the mean return.
 */
export function evaluateOnline(
  env: BaseVectorEnv,
  current: Float32Array,
  episodes: number,
  act: (obs: Float32Array, out: Float32Array | Int32Array) => void,
  actions: Float32Array | Int32Array,
  log: EpisodeLog,
  step: number,
  callbacks: TrainCallbacks,
  start: number,
): number {
  let done = 0, total = 0, ret = 0, length = 0;
  while (done < episodes) {
    act(current, actions);
    const [next, rewards, terminations, truncations] = env.step(actions);
    ret += rewards[0]!;
    length++;
    current.set(next);
    if (terminations[0]! || truncations[0]!) {
      log.add(step, ret, length);
      callbacks.onEpisode?.({ step, return: ret, length, wallSeconds: now() - start });
      total += ret;
      done++;
      ret = 0;
      length = 0;
    }
  }
  return total / episodes;
}

/** CORL's bounds on the actor's state-independent log-std. */
export const OFFLINE_LOG_STD_MIN = -20;
export const OFFLINE_LOG_STD_MAX = 2;

/**
 * Weighted Gaussian negative log-likelihood of dataset actions under a tanh-bounded mean
 * μ = tanh(o)·scale + bias (`tanhOut`: the network's output after its tanh) and a state-independent
 * log-std (clamped to CORL's [−20, 2]): loss = −(1/B) Σ_b w_b log N(a_b; μ_b, σ). Writes ∂loss/∂tanhOut
 * and ∂loss/∂logStd (zero where the clamp is active, as torch.clamp); returns the loss.
 */
export function weightedGaussianNll(
  tanhOut: Float32Array,
  logStd: Float32Array,
  actions: Float32Array,
  weights: Float64Array | null,
  scale: Float32Array,
  bias: Float32Array,
  batch: number,
  d: number,
  gradOut: Float32Array,
  gradLogStd: Float32Array,
): number {
  let loss = 0;
  for (let j = 0; j < d; j++) {
    const raw = logStd[j]!;
    const clamped = Math.min(OFFLINE_LOG_STD_MAX, Math.max(OFFLINE_LOG_STD_MIN, raw));
    const inv = Math.exp(-2 * clamped);
    let g = 0;
    for (let b = 0; b < batch; b++) {
      const w = (weights ? weights[b]! : 1) / batch;
      const diff = actions[b * d + j]! - (tanhOut[b * d + j]! * scale[j]! + bias[j]!);
      const z2 = diff * diff * inv;
      loss += w * (0.5 * z2 + clamped + HALF_LOG_2PI);
      gradOut[b * d + j] = -w * diff * inv * scale[j]!;
      g += w * (1 - z2);
    }
    gradLogStd[j] = clamped === raw ? g : 0;
  }
  return loss;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** The config fields every offline algorithm has, which its loop reads. */
export interface OfflineLoopConfig {
  envId: string;
  seed: number;
  dataset: string;
  totalTimesteps: number;
  batchSize: number;
  normalizeObservations: boolean;
  evalFrequency: number;
  evalEpisodes: number;
  /** env steps of online fine-tuning after the offline steps (IQL's); absent or 0: none */
  onlineSteps?: number;
}

/**
 * The online phase of an offline run (CORL's finetune/iql.py): each step acts in a training env
 * with `sample` (a sampled action for a raw observation row), adds the transition — observations
 * normalized as the dataset's, the reward times `rewardScale()` — to the buffer that holds the
 * dataset, then makes one update on a minibatch of it.
 */
export interface OnlinePhase {
  sample(obs: Float32Array, out: Float32Array): void;
  rewardScale(): number;
}

/** The online phase's place in a checkpoint: its env, current observation and episode so far, and the buffer (dataset and online transitions). */
interface OnlineState {
  env: unknown;
  current: number[];
  episodeReturn: number;
  episodeLength: number;
  buffer: ReplayBufferState;
}

/** What a checkpoint keeps of an offline run's loop. */
export interface OfflineLoopState {
  /** the gradient step (named as every algorithm's state names its step, for the run store's checks) */
  globalStep: number;
  elapsed: number;
  rng: RandomState;
  env: unknown;
  current: number[];
  episodes: EpisodeLogState;
  normalization: ObsNormalization | null;
  /** the dataset's fingerprint ("" before it was loaded) */
  dataset: string;
  started: boolean;
  online?: OnlineState;
}

/**
 * An offline algorithm's loop: the dataset (loaded once, and checked on resume to be the one the
 * run was trained on), minibatches drawn from it with `Random(seed + 1)`, the one-env evaluation
 * env, the gradient step and the episodes the evaluations logged. The algorithm supplies its update
 * and its greedy action.
 */
export class OfflineLoop {
  readonly episodes = new EpisodeLog();
  readonly evalEnv: BaseVectorEnv;
  normalization: ObsNormalization | null = null;
  step = 0;
  private readonly rng: Random;
  private readonly current: Float32Array;
  private readonly observation: Float32Array;
  private data: OfflineData | null = null;
  private minibatch: ReplayBatch | null = null;
  private fingerprint: string | null = null;
  private elapsedBefore = 0;
  private started = false;
  // the online phase: its env (built when it starts), raw observation, episode so far, and a restored buffer to apply on load
  private trainEnv: BaseVectorEnv | null = null;
  private trainCurrent: Float32Array;
  private readonly onlineObs: Float32Array;
  private readonly onlineNextObs: Float32Array;
  private episodeReturn = 0;
  private episodeLength = 0;
  private pendingOnline: { state: OnlineState; tensors: ReadonlyMap<string, NamedTensor> } | null = null;

  constructor(
    private readonly algo: string,
    private readonly source: DatasetSource,
    private readonly target: TrainingTarget,
    private readonly config: OfflineLoopConfig,
  ) {
    this.rng = new Random(config.seed + 1);
    this.evalEnv = target.build(1, "same-step");
    this.current = new Float32Array(source.manifest.obsSize);
    this.observation = new Float32Array(source.manifest.obsSize);
    this.trainCurrent = new Float32Array(source.manifest.obsSize);
    this.onlineObs = new Float32Array(source.manifest.obsSize);
    this.onlineNextObs = new Float32Array(source.manifest.obsSize);
  }

  private get onlineSteps(): number {
    return this.config.onlineSteps ?? 0;
  }

  /** The minibatch the last draw filled (after `load`). */
  get batch(): ReplayBatch {
    return this.minibatch!;
  }

  /** Reads the dataset once: transitions into memory, observations normalized; `prepare` sees them first. */
  load(prepare?: (data: OfflineData) => void): OfflineData {
    if (this.data) return this.data;
    const fingerprint = datasetFingerprint(this.source);
    if (this.fingerprint !== null && this.fingerprint !== fingerprint) {
      throw new ConfigError(`${this.algo}: dataset ${this.config.dataset} is not the one this run was trained on (its chunks' checksums differ); resume with the original dataset`);
    }
    const { data, normalization } = loadOfflineData(this.source, this.target, this.config.normalizeObservations, this.onlineSteps);
    prepare?.(data);
    if (this.pendingOnline) data.buffer.setState(this.pendingOnline.state.buffer, this.pendingOnline.tensors);
    this.pendingOnline = null;
    this.data = data;
    this.normalization = normalization;
    this.fingerprint = fingerprint;
    this.minibatch = data.buffer.batch(this.config.batchSize);
    return data;
  }

  /** `obs` as the networks take it: a copy, normalized where the run normalizes. */
  normalized(obs: Float32Array): Float32Array {
    this.observation.set(obs);
    if (this.normalization) normalizeRows(this.observation, this.normalization);
    return this.observation;
  }

  /**
   * Gradient steps up to `totalTimesteps` (then `onlineSteps` more, each after an env step of
   * `online`): a minibatch drawn (n-step `discount`), `update(g)` on it (its losses logged every
   * 100 steps), the greedy policy `act` evaluated every `evalFrequency` steps, progress,
   * checkpoints and early stops as the callbacks ask. The online phase's training episodes are
   * logged as the metric `charts/episodic_return` (the run's episodes stay the evaluations').
   */
  learn(
    callbacks: TrainCallbacks,
    discount: number,
    update: (g: number) => Record<string, number>,
    act: (obs: Float32Array, out: Float32Array | Int32Array) => void,
    actions: Float32Array | Int32Array,
    prepare?: (data: OfflineData) => void,
    online?: OnlinePhase,
  ): TrainResult {
    const c = this.config;
    const data = this.load(prepare);
    const start = now() - this.elapsedBefore;
    if (!this.started) {
      this.current.set(this.evalEnv.reset({ seed: c.seed })[0]);
      this.started = true;
    }
    const total = c.totalTimesteps + (online ? this.onlineSteps : 0);
    for (let g = this.step; g < total; g++) {
      const episode = g >= c.totalTimesteps ? this.onlineStep(data, online!, actions as Float32Array) : null;
      data.buffer.sample(this.rng, this.minibatch!, discount);
      const metrics = update(g);
      if (episode) callbacks.onMetrics?.(g + 1, { "charts/episodic_return": episode.return, "charts/episodic_length": episode.length }, now() - start);
      this.step = g + 1;
      const last = this.step === total;
      if (this.step % c.evalFrequency === 0 || last) {
        const mean = evaluateOnline(this.evalEnv, this.current, c.evalEpisodes, act, actions, this.episodes, this.step, callbacks, start);
        callbacks.onMetrics?.(this.step, { ...metrics, "eval/mean_return": mean }, now() - start);
      } else if (this.step % 100 === 0) callbacks.onMetrics?.(this.step, metrics, now() - start);
      if (this.step % 500 === 0 || last) {
        callbacks.onProgress?.({ step: this.step, totalSteps: total, sps: this.step / (now() - start), episodes: this.episodes.count, recentMeanReturn: this.episodes.meanReturn(c.evalEpisodes) });
      }
      if (callbacks.checkpoint) {
        this.elapsedBefore = now() - start;
        callbacks.checkpoint(this.step, last);
      }
      if (callbacks.shouldStop?.(this.step)) break;
    }
    const wall = now() - start;
    this.elapsedBefore = wall;
    return trainResult(this.algo, c, this.step, wall, this.episodes);
  }

  /** One env step of the online phase, its transition added to the buffer; returns the episode it ended, if any. */
  private onlineStep(data: OfflineData, online: OnlinePhase, action: Float32Array): { return: number; length: number } | null {
    if (!this.trainEnv) {
      this.trainEnv = this.target.build(1, "same-step");
      this.trainCurrent.set(this.trainEnv.reset({ seed: this.config.seed + 1 })[0]);
    }
    online.sample(this.trainCurrent, action);
    const [next, rewards, terminations, truncations] = this.trainEnv.step(action);
    const ended = terminations[0]! | truncations[0]!;
    const obs = this.onlineObs, nextObs = this.onlineNextObs;
    obs.set(this.trainCurrent);
    nextObs.set(ended ? this.trainEnv.finalObs : next);
    if (this.normalization) {
      normalizeRows(obs, this.normalization);
      normalizeRows(nextObs, this.normalization);
    }
    data.buffer.add(obs, nextObs, action, rewards[0]! * online.rewardScale(), terminations[0]!, truncations[0]!);
    this.episodeReturn += rewards[0]!;
    this.episodeLength++;
    this.trainCurrent.set(next);
    if (!ended) return null;
    const episode = { return: this.episodeReturn, length: this.episodeLength };
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return episode;
  }

  /** The buffer's tensors once the online phase has added to it (a resume restores them), else none (the dataset is read again). */
  tensors(): NamedTensor[] {
    if (!this.trainEnv) return [];
    return this.data ? this.data.buffer.tensors() : [...this.pendingOnline!.tensors.values()];
  }

  getState(): OfflineLoopState {
    return {
      globalStep: this.step,
      elapsed: this.elapsedBefore,
      rng: this.rng.getState(),
      env: this.evalEnv.getState(),
      current: Array.from(this.current),
      episodes: this.episodes.getState(),
      normalization: this.normalization,
      dataset: this.fingerprint ?? "",
      started: this.started,
      // (restored and not yet learning: the buffer is still the checkpoint's)
      ...(this.trainEnv
        ? { online: { env: this.trainEnv.getState(), current: Array.from(this.trainCurrent), episodeReturn: this.episodeReturn, episodeLength: this.episodeLength, buffer: this.data ? this.data.buffer.getState() : this.pendingOnline!.state.buffer } }
        : {}),
    };
  }

  /** Continues from `state`; the dataset is read again (and checked against the fingerprint) on the next `learn`, then the online phase's buffer restored from `tensors`. */
  setState(state: OfflineLoopState, tensors: ReadonlyMap<string, NamedTensor> = new Map()): void {
    this.step = state.globalStep;
    this.elapsedBefore = state.elapsed;
    this.rng.setState(state.rng);
    this.evalEnv.setState(state.env);
    this.current.set(state.current);
    this.episodes.setState(state.episodes);
    this.normalization = state.normalization;
    this.fingerprint = state.dataset || null;
    this.started = state.started;
    this.data = null;
    this.trainEnv = null;
    this.pendingOnline = null;
    if (state.online) {
      this.trainEnv = this.target.build(1, "same-step");
      this.trainEnv.setState(state.online.env);
      this.trainCurrent.set(state.online.current);
      this.episodeReturn = state.online.episodeReturn;
      this.episodeLength = state.online.episodeLength;
      this.pendingOnline = { state: state.online, tensors };
    }
  }
}
