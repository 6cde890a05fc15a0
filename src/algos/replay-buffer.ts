/**
 * The replay buffer of every off-policy algorithm (DQN, SAC, TD3, DDPG): SB3's `ReplayBuffer` as
 * CleanRL uses it (next observations stored, uniform sampling with replacement, a ring that
 * overwrites the oldest transition), on typed arrays, for any flat observation size and Discrete
 * (one integer) or Box (`actionSize` floats) actions. Optional n-step returns are computed when
 * sampling, along each env's own stream of transitions: `numEnvs` envs add one transition each
 * per step, in env order, so env e's next transition is `numEnvs` rows later.
 *
 * `frugal: true` is SB3's `optimize_memory_usage`: no second observation array — the next
 * observation of a transition is the observation of the same env's next row (written ahead, into
 * the oldest row, when the transition is added), and only the final observations of episodes that
 * ended are kept aside. It halves the memory of image observations; the `numEnvs` oldest rows of
 * a full buffer are then not sampled (their observation was overwritten by a next observation).
 */
import type { NamedTensor } from "../nn/network.js";
import type { Random } from "../rng/random.js";

export interface ReplayBufferOptions {
  capacity: number;
  /** floats per observation (flattened) */
  obsSize: number;
  /** "discrete": one integer action per transition; a number: that many floats (Box actions) */
  actions: "discrete" | number;
  /** envs adding transitions in turn (n-step returns follow each env's stream); default 1 */
  numEnvs?: number;
  /** store next observations as the following row's observation (SB3's optimize_memory_usage); default false */
  frugal?: boolean;
}

export interface ReplayBufferState {
  capacity: number;
  obsSize: number;
  position: number;
  full: boolean;
}

/** A sampled minibatch, preallocated by `ReplayBuffer.batch(size)` and refilled by `sample`. */
export interface ReplayBatch {
  size: number;
  indices: Int32Array;
  obs: Float32Array;
  actions: Float32Array;
  /** n-step discounted reward sum Σ_k γ^k r_{t+k} */
  rewards: Float64Array;
  /** what multiplies the bootstrap value: γ^n, or 0 when the episode terminated within the n steps */
  discounts: Float64Array;
  /** the observation the bootstrap value is computed at (n steps on, or where the episode ended) */
  nextObs: Float32Array;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  /** floats per action (1 for Discrete) */
  readonly actionSize: number;
  readonly discrete: boolean;
  readonly numEnvs: number;
  readonly frugal: boolean;
  readonly obs: Float32Array;
  /** next observations (empty when frugal) */
  readonly nextObs: Float32Array;
  /** frugal: the final observation of each stored transition that ended its episode, by row */
  private readonly finalObs = new Map<number, Float32Array>();
  readonly actions: Int32Array | Float32Array;
  readonly rewards: Float32Array;
  /** 1 where the transition terminated the episode (no bootstrap) */
  readonly dones: Float32Array;
  /** 1 where the episode ended (terminated or truncated): n-step sums stop there */
  readonly ended: Uint8Array;
  private position = 0;
  private full = false;

  constructor(options: ReplayBufferOptions) {
    const { capacity, obsSize, actions, numEnvs = 1, frugal = false } = options;
    for (const [name, v] of [["capacity", capacity], ["obsSize", obsSize], ["numEnvs", numEnvs]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`replay buffer ${name} must be a positive integer, got ${v}`);
    }
    if (actions !== "discrete" && !(Number.isSafeInteger(actions) && actions >= 1)) throw new RangeError(`replay buffer actions must be "discrete" or a positive action size, got ${actions}`);
    this.capacity = capacity;
    this.obsSize = obsSize;
    this.numEnvs = numEnvs;
    this.frugal = frugal;
    if (frugal && capacity <= numEnvs) throw new RangeError(`a frugal replay buffer needs a capacity above numEnvs (${numEnvs}), got ${capacity}`);
    this.discrete = actions === "discrete";
    this.actionSize = actions === "discrete" ? 1 : actions;
    this.obs = new Float32Array(capacity * obsSize);
    this.nextObs = new Float32Array(frugal ? 0 : capacity * obsSize);
    this.actions = this.discrete ? new Int32Array(capacity) : new Float32Array(capacity * this.actionSize);
    this.rewards = new Float32Array(capacity);
    this.dones = new Float32Array(capacity);
    this.ended = new Uint8Array(capacity);
  }

  get size(): number {
    return this.full ? this.capacity : this.position;
  }

  /** Stores one transition; `truncated` only matters to n-step returns (a time limit cuts the sum, without stopping the bootstrap). */
  add(obs: ArrayLike<number>, nextObs: ArrayLike<number>, action: number | ArrayLike<number>, reward: number, terminated: number, truncated = 0): void {
    const p = this.position, d = this.obsSize, a = this.actionSize;
    const ended = terminated || truncated;
    if (this.frugal) {
      for (let k = 0; k < d; k++) this.obs[p * d + k] = obs[k]!;
      this.finalObs.delete(p);
      if (ended) this.finalObs.set(p, Float32Array.from({ length: d }, (_, k) => nextObs[k]!));
      // written ahead into the same env's next row (the oldest row), which the env's next add overwrites with the same values
      else for (let k = 0, q = ((p + this.numEnvs) % this.capacity) * d; k < d; k++) this.obs[q + k] = nextObs[k]!;
    } else {
      for (let k = 0; k < d; k++) {
        this.obs[p * d + k] = obs[k]!;
        this.nextObs[p * d + k] = nextObs[k]!;
      }
    }
    if (typeof action === "number") this.actions[p * a] = action;
    else for (let k = 0; k < a; k++) this.actions[p * a + k] = action[k]!;
    this.rewards[p] = reward;
    this.dones[p] = terminated;
    this.ended[p] = ended ? 1 : 0;
    this.position = (p + 1) % this.capacity;
    if (this.position === 0) this.full = true;
  }

  /**
   * `count` indices drawn uniformly with replacement from the stored transitions. Frugal buffers
   * skip the oldest rows whose observation a next observation written ahead has replaced (the
   * `numEnvs` oldest once full, fewer while the ring first wraps).
   */
  sampleIndices(count: number, rng: Random, out: Int32Array): void {
    const size = this.size;
    if (!this.frugal) {
      if (size === 0) throw new Error("cannot sample from an empty replay buffer");
      for (let i = 0; i < count; i++) out[i] = rng.integer(size);
      return;
    }
    const skip = Math.max(0, Math.min(this.numEnvs, size + this.numEnvs - this.capacity));
    if (size - skip <= 0) throw new Error("cannot sample from an empty replay buffer");
    const oldest = this.full ? this.position : 0;
    for (let i = 0; i < count; i++) out[i] = (oldest + skip + rng.integer(size - skip)) % this.capacity;
  }

  /** Copies the next observation of stored row `row` into `out` at `offset`. */
  private copyNextObs(row: number, out: Float32Array, offset: number): void {
    const d = this.obsSize;
    if (!this.frugal) out.set(this.nextObs.subarray(row * d, row * d + d), offset);
    else if (this.ended[row]) out.set(this.finalObs.get(row)!, offset);
    else {
      const q = ((row + this.numEnvs) % this.capacity) * d;
      out.set(this.obs.subarray(q, q + d), offset);
    }
  }

  /** A preallocated minibatch of `size` transitions for `sample`. */
  batch(size: number): ReplayBatch {
    return {
      size,
      indices: new Int32Array(size),
      obs: new Float32Array(size * this.obsSize),
      actions: new Float32Array(size * this.actionSize),
      rewards: new Float64Array(size),
      discounts: new Float64Array(size),
      nextObs: new Float32Array(size * this.obsSize),
    };
  }

  /**
   * Fills `out` with `out.size` uniformly drawn transitions (one `rng.integer` per transition, as
   * `sampleIndices`). With `nStep` > 1 the reward is the discounted sum over the next n
   * transitions of the same env, stopping where an episode ended or where the stored stream ends.
   */
  sample(rng: Random, out: ReplayBatch, gamma: number, nStep = 1): void {
    this.sampleIndices(out.size, rng, out.indices);
    const d = this.obsSize, a = this.actionSize;
    for (let b = 0; b < out.size; b++) {
      const i = out.indices[b]!;
      out.obs.set(this.obs.subarray(i * d, i * d + d), b * d);
      for (let k = 0; k < a; k++) out.actions[b * a + k] = this.actions[i * a + k]!;
      let last = i, reward = this.rewards[i]!, discount = gamma;
      for (let step = 1; step < nStep && !this.ended[last]; step++) {
        const next = this.successor(last);
        if (next < 0) break;
        last = next;
        reward += discount * this.rewards[last]!;
        discount *= gamma;
      }
      out.rewards[b] = reward;
      out.discounts[b] = this.dones[last] ? 0 : discount;
      this.copyNextObs(last, out.nextObs, b * d);
    }
  }

  /** The row of the same env's next transition, or −1 when it has not been written yet. */
  private successor(row: number): number {
    const next = (row + this.numEnvs) % this.capacity;
    // rows from `position` on (cyclically) are older than `row`, or unwritten
    const age = (this.position - 1 - row + this.capacity) % this.capacity;
    return age >= this.numEnvs ? next : -1;
  }

  getState(): ReplayBufferState {
    return { capacity: this.capacity, obsSize: this.obsSize, position: this.position, full: this.full };
  }

  /** Rows of `obs` that hold data: frugal buffers also hold the next observations written ahead. */
  private obsRows(size: number): number {
    return this.frugal ? Math.min(this.capacity, size + this.numEnvs) : size;
  }

  /** The stored transitions as float32 tensors (Discrete actions and flags are small integers, exact in float32). */
  tensors(): NamedTensor[] {
    const n = this.size, d = this.obsSize, a = this.actionSize;
    const rows = this.obsRows(n);
    const finalRows = [...this.finalObs.keys()].sort((x, y) => x - y);
    const next: NamedTensor[] = this.frugal
      ? [
          { name: "replay.final_obs_rows", shape: [finalRows.length], data: Float32Array.from(finalRows) },
          { name: "replay.final_obs", shape: [finalRows.length, d], data: Float32Array.from(finalRows.flatMap((r) => Array.from(this.finalObs.get(r)!))) },
        ]
      : [{ name: "replay.next_obs", shape: [n, d], data: this.nextObs.slice(0, n * d) }];
    return [
      { name: "replay.obs", shape: [rows, d], data: this.obs.slice(0, rows * d) },
      ...next,
      { name: "replay.actions", shape: this.discrete ? [n] : [n, a], data: Float32Array.from(this.actions.subarray(0, n * a)) },
      { name: "replay.rewards", shape: [n], data: this.rewards.slice(0, n) },
      { name: "replay.dones", shape: [n], data: this.dones.slice(0, n) },
      { name: "replay.ended", shape: [n], data: Float32Array.from(this.ended.subarray(0, n)) },
    ];
  }

  setState(s: ReplayBufferState, tensors: ReadonlyMap<string, NamedTensor>): void {
    if (s.capacity !== this.capacity || s.obsSize !== this.obsSize) throw new Error(`replay buffer state is for capacity ${s.capacity} × ${s.obsSize}, this buffer is ${this.capacity} × ${this.obsSize}`);
    const n = s.full ? s.capacity : s.position;
    const get = (name: string, length: number) => {
      const t = tensors.get(name);
      if (!t || t.data.length !== length) throw new Error(`replay buffer state: ${name} missing or not ${length} values`);
      return t.data;
    };
    const obs = get("replay.obs", this.obsRows(n) * s.obsSize);
    const nextObs = this.frugal ? null : get("replay.next_obs", n * s.obsSize);
    const finalRows = this.frugal ? tensors.get("replay.final_obs_rows") : undefined;
    if (this.frugal && !finalRows) throw new Error("replay buffer state: replay.final_obs_rows missing (a checkpoint of a buffer that was not frugal?)");
    const finals = finalRows ? get("replay.final_obs", finalRows.data.length * s.obsSize) : null;
    const actions = get("replay.actions", n * this.actionSize), rewards = get("replay.rewards", n), dones = get("replay.dones", n);
    // checkpoints written before the `ended` flags existed: episode ends are unknown there, terminations are a lower bound
    const ended = tensors.has("replay.ended") ? get("replay.ended", n) : dones;
    this.obs.set(obs);
    if (nextObs) this.nextObs.set(nextObs);
    this.finalObs.clear();
    if (finalRows && finals) finalRows.data.forEach((row, i) => this.finalObs.set(row, finals.slice(i * s.obsSize, (i + 1) * s.obsSize)));
    this.actions.set(actions);
    this.rewards.set(rewards);
    this.dones.set(dones);
    this.ended.set(ended);
    this.position = s.position;
    this.full = s.full;
  }
}
