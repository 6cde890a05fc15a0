/** A uniform replay buffer on typed arrays (SB3's `ReplayBuffer` as CleanRL's DQN uses it: next observations stored, sampling with replacement). */
import type { NamedTensor } from "../nn/network.js";
import type { Random } from "../rng/random.js";

export interface ReplayBufferState {
  capacity: number;
  obsSize: number;
  position: number;
  full: boolean;
}

export class ReplayBuffer {
  readonly obs: Float32Array;
  readonly nextObs: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly dones: Float32Array;
  private position = 0;
  private full = false;

  constructor(
    readonly capacity: number,
    readonly obsSize: number,
  ) {
    this.obs = new Float32Array(capacity * obsSize);
    this.nextObs = new Float32Array(capacity * obsSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.dones = new Float32Array(capacity);
  }

  get size(): number {
    return this.full ? this.capacity : this.position;
  }

  add(obs: ArrayLike<number>, nextObs: ArrayLike<number>, action: number, reward: number, done: number): void {
    const p = this.position, d = this.obsSize;
    for (let k = 0; k < d; k++) {
      this.obs[p * d + k] = obs[k]!;
      this.nextObs[p * d + k] = nextObs[k]!;
    }
    this.actions[p] = action;
    this.rewards[p] = reward;
    this.dones[p] = done;
    this.position = (p + 1) % this.capacity;
    if (this.position === 0) this.full = true;
  }

  /** `count` indices drawn uniformly with replacement from the stored transitions. */
  sampleIndices(count: number, rng: Random, out: Int32Array): void {
    const size = this.size;
    if (size === 0) throw new Error("cannot sample from an empty replay buffer");
    for (let i = 0; i < count; i++) out[i] = rng.integer(size);
  }

  getState(): ReplayBufferState {
    return { capacity: this.capacity, obsSize: this.obsSize, position: this.position, full: this.full };
  }

  /** The stored transitions as float32 tensors (actions and flags are small integers, exact in float32). */
  tensors(): NamedTensor[] {
    const n = this.size, d = this.obsSize;
    return [
      { name: "replay.obs", shape: [n, d], data: this.obs.slice(0, n * d) },
      { name: "replay.next_obs", shape: [n, d], data: this.nextObs.slice(0, n * d) },
      { name: "replay.actions", shape: [n], data: Float32Array.from(this.actions.subarray(0, n)) },
      { name: "replay.rewards", shape: [n], data: this.rewards.slice(0, n) },
      { name: "replay.dones", shape: [n], data: this.dones.slice(0, n) },
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
    this.obs.set(get("replay.obs", n * s.obsSize));
    this.nextObs.set(get("replay.next_obs", n * s.obsSize));
    this.actions.set(get("replay.actions", n));
    this.rewards.set(get("replay.rewards", n));
    this.dones.set(get("replay.dones", n));
    this.position = s.position;
    this.full = s.full;
  }
}
