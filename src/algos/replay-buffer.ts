/** A uniform replay buffer on typed arrays (SB3's `ReplayBuffer` as CleanRL's DQN uses it: next observations stored, sampling with replacement). */
import type { Random } from "../rng/random.js";

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
}
