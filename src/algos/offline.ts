/**
 * What the offline algorithms (BC, IQL) share: the dataset named in their config, checked against
 * the env and loaded into a replay buffer with normalized observations, and the online evaluation
 * every N gradient steps whose greedy episodes are the run's episodes.
 */
import { type DatasetSource, checkDatasetSpaces } from "../data/format.js";
import { type OfflineData, loadTransitions, openDataset } from "../data/episodes.js";
import { Discrete } from "../envs/spaces.js";
import type { BaseVectorEnv } from "../envs/wrappers/vector-wrapper.js";
import { type EpisodeLog, type TrainCallbacks, now } from "./common.js";
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

/** Loads the transitions, normalizing observations in place (when `normalize`) by the dataset's own statistics. */
export function loadOfflineData(source: DatasetSource, target: TrainingTarget, normalize: boolean): { data: OfflineData; normalization: ObsNormalization | null } {
  const data = loadTransitions(source, { discrete: target.actionSpace instanceof Discrete });
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
