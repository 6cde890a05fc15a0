/**
 * numpy's `Generator` over one PCG64 stream — what Gymnasium's `np_random` is: `random()`,
 * `uniform(low, high)`, `integers(low, high)`, `standardNormal()`, seeded by `SeedSequence` exactly as numpy seeds it
 * and serializable in numpy's own `bit_generator.state` form.
 */
import { PCG64Bank, type PCG64State } from "./pcg64.js";
import { type Seed, assertValidSeed } from "./seed-sequence.js";
import { ZIGGURAT_F as ZIG_F, ZIGGURAT_K as ZIG_K, ZIGGURAT_W as ZIG_W } from "./ziggurat-tables.js";

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

  /**
   * `Generator.standard_normal()`: numpy's 256-layer ziggurat on one 64-bit draw (layer from the low
   * 8 bits, sign from bit 8, a 52-bit magnitude above), the wedge and tail draws as numpy makes them.
   */
  standardNormal(): number {
    const bank = this.bank;
    for (;;) {
      bank.next64(this.index);
      const hi = bank.hi, lo = bank.lo;
      const layer = lo & 0xff;
      const rabs = (hi & 0x1fffffff) * 8388608 + (lo >>> 9);
      let x = rabs * ZIG_W[layer]!;
      if ((lo >>> 8) & 1) x = -x;
      if (rabs < ZIG_K[layer]!) return x;
      if (layer === 0) {
        // the tail beyond R (Marsaglia's method); 1 − U keeps log away from 0
        for (;;) {
          const xx = -ZIG_INV_R * Math.log1p(-this.random());
          const yy = -Math.log1p(-this.random());
          if (yy + yy > xx * xx) return (lo >>> 17) & 1 ? -(ZIG_R + xx) : ZIG_R + xx; // bit 8 of rabs
        }
      }
      if ((ZIG_F[layer - 1]! - ZIG_F[layer]!) * this.random() + ZIG_F[layer]! < Math.exp(-0.5 * x * x)) return x;
    }
  }

  getState(): PCG64State {
    return this.bank.getState(this.index);
  }

  setState(state: PCG64State): void {
    this.bank.setState(this.index, state);
  }
}

/** numpy's ziggurat: the base layer's right edge R and 1/R */
const ZIG_R = 3.6541528853610088;
const ZIG_INV_R = 0.27366123732975828;

