/**
 * A seeded, serializable random stream for training code (policy sampling, exploration,
 * minibatch shuffles, weight init). One PCG64 generator seeded like numpy's
 * `np.random.default_rng(seed)`; normals by the Box–Muller transform (both values used).
 */
import { PCG64Bank, type PCG64State } from "./pcg64.js";
import type { Seed } from "./seed-sequence.js";

export interface RandomState {
  pcg64: PCG64State;
  /** the second Box–Muller normal, waiting to be returned (null when none) */
  spareNormal: number | null;
}

export class Random {
  private readonly bank = new PCG64Bank(1);
  private spare = 0;
  private hasSpare = false;

  constructor(seed?: Seed) {
    this.bank.seed(0, seed);
  }

  /** A double in [0, 1). */
  random(): number {
    return this.bank.random(0);
  }

  /** An integer in [0, n), n ≤ 2^32 (numpy's Lemire draw). */
  integer(n: number): number {
    return this.bank.integers(0, n);
  }

  /** A standard normal draw. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.random();
    this.spare = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }

  /** Shuffles `values` in place (Fisher–Yates). */
  shuffle(values: { length: number; [i: number]: number }): void {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const t = values[i]!;
      values[i] = values[j]!;
      values[j] = t;
    }
  }

  getState(): RandomState {
    return { pcg64: this.bank.getState(0), spareNormal: this.hasSpare ? this.spare : null };
  }

  setState(state: RandomState): void {
    this.bank.setState(0, state.pcg64);
    this.hasSpare = state.spareNormal !== null;
    this.spare = state.spareNormal ?? 0;
  }
}
