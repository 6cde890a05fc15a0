/**
 * Gymnasium's `Discrete` and `Box` spaces, with `sample()` drawn exactly as Gymnasium draws it
 * (same PCG64 stream, same numpy calls), `contains()` and `seed()`.
 */
import { PCG64Bank } from "../rng/pcg64.js";
import { type Seed, assertValidSeed } from "../rng/seed-sequence.js";

export type DType = "float32" | "float64";

abstract class Space<T> {
  private rng: PCG64Bank | undefined;

  /** Seeds the space's own generator (`space.seed(seed)`); no seed draws OS entropy. Returns the seed used. */
  seed(seed?: Seed): Seed | undefined {
    if (seed !== undefined) assertValidSeed(seed);
    this.rng = new PCG64Bank(1);
    this.rng.seed(0, seed);
    return seed;
  }

  /** The generator, created unseeded on first use as in Gymnasium. */
  protected get npRandom(): PCG64Bank {
    if (!this.rng) this.seed();
    return this.rng!;
  }

  abstract sample(): T;
  abstract contains(x: unknown): boolean;
  abstract toString(): string;
  abstract toJSON(): object;
}

export class Discrete extends Space<number> {
  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    super();
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Discrete(n): n must be a positive integer, got ${n}`);
    if (!Number.isSafeInteger(start)) throw new RangeError(`Discrete start must be an integer, got ${start}`);
  }

  /** `start + np_random.integers(n)` */
  sample(): number {
    return this.start + this.npRandom.integers(0, this.n);
  }

  contains(x: unknown): boolean {
    return typeof x === "number" && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }

  toJSON(): object {
    return { type: "Discrete", n: this.n, start: this.start };
  }
}

export type BoxValue = Float32Array | Float64Array;

export class Box extends Space<BoxValue> {
  readonly low: BoxValue;
  readonly high: BoxValue;
  readonly shape: readonly number[];
  readonly size: number;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    shape?: readonly number[],
    readonly dtype: DType = "float32",
  ) {
    super();
    const size =
      shape?.reduce((a, b) => a * b, 1) ??
      (typeof low !== "number" ? low.length : typeof high !== "number" ? high.length : 1);
    this.shape = shape ?? [size];
    this.size = size;
    this.low = this.alloc(size);
    this.high = this.alloc(size);
    for (let k = 0; k < size; k++) {
      this.low[k] = typeof low === "number" ? low : low[k]!;
      this.high[k] = typeof high === "number" ? high : high[k]!;
      if (Number.isNaN(this.low[k]) || Number.isNaN(this.high[k]) || this.low[k]! > this.high[k]!) {
        throw new RangeError(`Box bounds invalid at index ${k}: low=${this.low[k]}, high=${this.high[k]}`);
      }
    }
  }

  private alloc(size: number): BoxValue {
    return this.dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
  }

  /**
   * Uniform in [low, high) per element, as `np_random.uniform(low, high)` then cast to dtype.
   * Gymnasium draws unbounded dimensions from normal/exponential distributions; no classic env
   * has one, so they are refused rather than drawn differently.
   */
  sample(): BoxValue {
    const out = this.alloc(this.size);
    const rng = this.npRandom;
    for (let k = 0; k < this.size; k++) {
      const lo = this.low[k]!, hi = this.high[k]!;
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
        throw new Error(`${this}: sampling unbounded dimensions is not supported yet (index ${k})`);
      }
      out[k] = rng.uniform(0, lo, hi);
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumericArray(x) || x.length !== this.size) return false;
    for (let k = 0; k < this.size; k++) {
      const v = this.dtype === "float32" ? Math.fround(x[k]!) : x[k]!;
      if (!(v >= this.low[k]! && v <= this.high[k]!)) return false;
    }
    return true;
  }

  toString(): string {
    const fmt = (a: BoxValue) => {
      const first = a[0]!;
      return a.every((v) => v === first) ? String(first) : `[${Array.from(a).map((v) => +v.toPrecision(6)).join(", ")}]`;
    };
    return `Box(${fmt(this.low)}, ${fmt(this.high)}, (${this.shape.join(",")}${this.shape.length === 1 ? "," : ""}), ${this.dtype})`;
  }

  toJSON(): object {
    return { type: "Box", low: Array.from(this.low), high: Array.from(this.high), shape: this.shape, dtype: this.dtype };
  }
}

export type ActionSpace = Discrete | Box;

export function isNumericArray(x: unknown): x is ArrayLike<number> {
  if (x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array) return true;
  return Array.isArray(x) && x.every((v) => typeof v === "number");
}
