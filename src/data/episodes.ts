/**
 * Building dataset chunks step by step, and reading datasets into the replay buffer the offline
 * algorithms sample from. Browser-safe: sources come from src/node/datasets.ts (files) or from
 * anything implementing `DatasetSource`.
 */
import { ReplayBuffer } from "../algos/replay-buffer.js";
import { type DatasetChunk, DatasetError, type DatasetSource } from "./format.js";

/** A float array that grows by doubling (recording has no size known in advance). */
class Growable<T extends Float32Array | Float64Array | Uint8Array | Int32Array> {
  length = 0;
  constructor(public data: T) {}
  push(values: ArrayLike<number> | number): void {
    const n = typeof values === "number" ? 1 : values.length;
    if (this.length + n > this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(Math.max(2 * this.data.length, this.length + n));
      bigger.set(this.data.subarray(0, this.length));
      this.data = bigger;
    }
    if (typeof values === "number") this.data[this.length] = values;
    else this.data.set(values, this.length);
    this.length += n;
  }
  take(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** Collects whole episodes (flattened observations and actions) into a chunk. */
export class ChunkBuilder {
  private lengths = new Growable(new Int32Array(16));
  private observations: Growable<Float32Array>;
  private actions: Growable<Float32Array>;
  private rewards = new Growable(new Float64Array(1024));
  private terminations = new Growable(new Uint8Array(1024));
  private truncations = new Growable(new Uint8Array(1024));
  private infos: unknown[] | null;
  private episodeSteps = -1;
  /** finished episodes and their steps in the chunk so far */
  episodes = 0;
  steps = 0;

  constructor(readonly obsSize: number, readonly actionSize: number, options: { infos?: boolean } = {}) {
    this.observations = new Growable(new Float32Array(1024 * obsSize));
    this.actions = new Growable(new Float32Array(1024 * actionSize));
    this.infos = options.infos ? [] : null;
  }

  /** Starts an episode at its first (flattened) observation. */
  begin(obs: ArrayLike<number>): void {
    if (this.episodeSteps >= 0) throw new DatasetError("ChunkBuilder.begin: the previous episode has not ended");
    this.checkSize("observation", obs, this.obsSize);
    this.observations.push(obs);
    this.episodeSteps = 0;
  }

  /** One step: the action taken, what came back, and the next observation (the final one when the episode ended). */
  step(action: ArrayLike<number>, reward: number, terminated: boolean, truncated: boolean, nextObs: ArrayLike<number>, info?: unknown): void {
    if (this.episodeSteps < 0) throw new DatasetError("ChunkBuilder.step: call begin(observation) first");
    this.checkSize("action", action, this.actionSize);
    this.checkSize("observation", nextObs, this.obsSize);
    if (!Number.isFinite(reward)) throw new DatasetError(`reward ${reward} at step ${this.episodeSteps} of episode ${this.episodes} is not finite; a dataset holds finite rewards`);
    this.actions.push(action);
    this.rewards.push(reward);
    this.terminations.push(terminated ? 1 : 0);
    this.truncations.push(truncated ? 1 : 0);
    this.observations.push(nextObs);
    this.infos?.push(info ?? {});
    this.episodeSteps++;
    if (terminated || truncated) {
      this.lengths.push(this.episodeSteps);
      this.episodes++;
      this.steps += this.episodeSteps;
      this.episodeSteps = -1;
    }
  }

  private checkSize(what: string, values: ArrayLike<number>, size: number): void {
    if (values.length !== size) throw new DatasetError(`${what} has ${values.length} values, the dataset's spaces flatten to ${size}`);
  }

  /** The finished episodes as a chunk, called between episodes; empties the builder. */
  take(): DatasetChunk {
    if (this.episodeSteps >= 0) throw new DatasetError("ChunkBuilder.take: an episode is still running; take chunks between episodes");
    const chunk: DatasetChunk = {
      episodes: this.episodes,
      steps: this.steps,
      obsSize: this.obsSize,
      actionSize: this.actionSize,
      lengths: this.lengths.take(),
      observations: this.observations.take(),
      actions: this.actions.take(),
      rewards: this.rewards.take(),
      terminations: this.terminations.take(),
      truncations: this.truncations.take(),
      infos: this.infos,
    };
    for (const g of [this.lengths, this.observations, this.actions, this.rewards, this.terminations, this.truncations]) g.length = 0;
    if (this.infos) this.infos = [];
    this.episodes = 0;
    this.steps = 0;
    return chunk;
  }
}

/** The transitions of a dataset, ready to sample, and its episode returns. */
export interface OfflineData {
  buffer: ReplayBuffer;
  returns: number[];
  /** per-feature mean and variance of the observations (for normalization) */
  obsMean: Float64Array;
  obsVar: Float64Array;
}

/**
 * Reads every chunk of `source` (one at a time) into a replay buffer of exactly its steps (plus
 * `extraCapacity` rows for transitions added later). `discrete`: the action space is Discrete,
 * stored one-hot; the buffer keeps the index.
 */
export function loadTransitions(source: DatasetSource, options: { discrete?: boolean; extraCapacity?: number } = {}): OfflineData {
  const m = source.manifest;
  const buffer = new ReplayBuffer({ capacity: m.steps + (options.extraCapacity ?? 0), obsSize: m.obsSize, actions: options.discrete ? "discrete" : m.actionSize });
  const returns: number[] = [];
  const d = m.obsSize, a = m.actionSize;
  const sum = new Float64Array(d), sumSq = new Float64Array(d);
  let rows = 0, chunks = 0;
  for (const c of source.chunks()) {
    chunks++;
    if (c.obsSize !== d || c.actionSize !== a) throw new DatasetError(`dataset ${m.name}: chunk ${chunks - 1} has obsSize ${c.obsSize} and actionSize ${c.actionSize}, the manifest ${d} and ${a}`);
    let t = 0, o = 0;
    for (let e = 0; e < c.episodes; e++) {
      let ret = 0;
      for (let k = 0; k < c.lengths[e]!; k++, t++, o++) {
        const obs = c.observations.subarray(o * d, (o + 1) * d);
        const action = c.actions.subarray(t * a, (t + 1) * a);
        buffer.add(obs, c.observations.subarray((o + 1) * d, (o + 2) * d), options.discrete ? argmax(action) : action, c.rewards[t]!, c.terminations[t]!, c.truncations[t]!);
        for (let j = 0; j < d; j++) {
          sum[j] += obs[j]!;
          sumSq[j] += obs[j]! * obs[j]!;
        }
        rows++;
        ret += c.rewards[t]!;
      }
      o++; // the episode's final observation
      returns.push(ret);
    }
  }
  if (rows !== m.steps) throw new DatasetError(`dataset ${m.name}: its chunks hold ${rows} steps, the manifest says ${m.steps}; the dataset is damaged (record it again)`);
  const obsMean = sum.map((s) => s / rows);
  const obsVar = sumSq.map((s, j) => Math.max(0, s / rows - obsMean[j]! ** 2));
  return { buffer, returns, obsMean, obsVar };
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k;
  return best;
}

type Opener = (ref: string) => DatasetSource;
let opener: Opener | null = null;

/**
 * How algorithms open a dataset named in their config (`dataset: "hopper-expert"`): set by
 * src/node/datasets.ts to read the run store's datasets; in a browser pass the source itself.
 */
export function setDatasetOpener(open: Opener): void {
  opener = open;
}

export function openDataset(ref: string, what: string): DatasetSource {
  if (!opener) throw new DatasetError(`${what}: no way to open dataset "${ref}" here; import "tsrl/node" (Node) or pass the dataset itself (data: a DatasetSource)`);
  return opener(ref);
}
