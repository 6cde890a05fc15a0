/**
 * numpy's `Generator` over one PCG64 stream — what Gymnasium's `np_random` is: `random()`,
 * `uniform(low, high)`, `integers(low, high)`, seeded by `SeedSequence` exactly as numpy seeds it
 * and serializable in numpy's own `bit_generator.state` form.
 */
import { PCG64Bank, type PCG64State } from "./pcg64.js";
import { type Seed, assertValidSeed } from "./seed-sequence.js";

export class Generator {
  /** Seeds from `seed`, or from OS entropy when it is undefined (`np.random.default_rng(seed)`). */
  constructor(
    seed?: Seed,
    /** the bank holding the stream, and which of its generators this is */
    readonly bank: PCG64Bank = new PCG64Bank(1),
    readonly index = 0,
  ) {
    if (seed !== undefined) assertValidSeed(seed);
    bank.seed(index, seed);
  }

  /** A double in [0, 1) with 53 random bits. */
  random(): number {
    return this.bank.random(this.index);
  }

  /** `low + (high - low) * random()` */
  uniform(low = 0, high = 1): number {
    return this.bank.uniform(this.index, low, high);
  }

  /** An integer in [low, high) (or [0, low) with one argument), numpy's Lemire rejection; the range must be ≤ 2^32. */
  integers(low: number, high?: number): number {
    const [lo, hi] = high === undefined ? [0, low] : [low, high];
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi <= lo) {
      throw new RangeError(`integers(low, high) needs integers with low < high, got low=${lo}, high=${hi}`);
    }
    return lo + this.bank.integers(this.index, hi - lo);
  }

  getState(): PCG64State {
    return this.bank.getState(this.index);
  }

  setState(state: PCG64State): void {
    this.bank.setState(this.index, state);
  }
}
