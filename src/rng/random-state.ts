/**
 * numpy's legacy `np.random.RandomState` (numpy/random/mtrand.pyx over MT19937), for the calls
 * tsrl's references make: `rand` (`random_sample`: 53 bits from two words), `randint` (masked
 * rejection, as the default int64 dtype draws), `permutation` (the legacy shuffle), and the
 * raw words. Bit for bit, so a stream seeded here gives the same draws as numpy's.
 */
import { MT19937, MT19937_WORDS } from "./mt19937.js";
import type { Seed } from "./seed-sequence.js";

import type { MT19937State } from "./mt19937.js";
export type { MT19937State } from "./mt19937.js";

/** `RandomState(seed)`: an integer, or an array of integers (seeded by `init_by_array`), each in [0, 2^32). */
export type LegacySeed = number | readonly number[];

const TWO_POW_32 = 4294967296;

export class LegacyRandomState extends MT19937 {
  /**
   * `np.random.RandomState(seed)`; no seed draws OS entropy, as numpy does. Over `storage` (a
   * bank's block of MT19937_WORDS words) and without a seed, it continues the stored state.
   */
  constructor(seed?: LegacySeed, storage?: Uint32Array) {
    super(storage);
    if (storage === undefined || seed !== undefined) this.reseed(seed);
  }

  /** Re-seeds in place, exactly as `np.random.RandomState(seed)` would start. */
  reseed(seed?: LegacySeed): void {
    if (seed === undefined) {
      // numpy: key[0] = 0x80000000, the other 623 words from the OS's entropy.
      const words = new Uint32Array(624);
      globalThis.crypto.getRandomValues(words);
      words[0] = 0x80000000;
      this.setState({ key: Array.from(words), pos: 624 });
      return;
    }
    if (typeof seed === "number") {
      assertLegacySeedWord(seed, "RandomState seed");
      this.seed(seed);
      return;
    }
    if (!Array.isArray(seed) || seed.length === 0) {
      throw new RangeError(`RandomState seed must be an integer in [0, 2^32) or a non-empty array of them, got ${describe(seed)}`);
    }
    seed.forEach((w, k) => assertLegacySeedWord(w, `RandomState seed[${k}]`));
    // numpy squeezes a one-element array to a scalar seed.
    if (seed.length === 1) this.seed(seed[0]!);
    else this.seedByArray(seed);
  }

  /** `rand()` / `random_sample()`: a double in [0, 1) from two words (high 27 bits, then low 26). */
  rand(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `rand(n)`: `out.length` doubles in order. */
  randFill(out: Float64Array): Float64Array {
    for (let k = 0; k < out.length; k++) out[k] = this.rand();
    return out;
  }

  /**
   * `randint(low, high)` with numpy's default int64 dtype, or `randint(high)` for [0, high).
   * A range of one value draws nothing; ranges up to 2^32 use 32-bit words, wider ones (up to
   * 2^53) 64-bit ones, each with numpy's masked rejection.
   */
  randint(low: number, high?: number): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    return low + this.interval(checkedRange(low, high));
  }

  /** `randint(low, high, size)`: `out.length` values, element by element in order. */
  randintFill(low: number, high: number, out: Int32Array | Float64Array): typeof out {
    const max = checkedRange(low, high);
    for (let k = 0; k < out.length; k++) out[k] = low + this.interval(max);
    return out;
  }

  /** An integer in [0, max] by masked rejection (numpy's `random_bounded_uint64` with `use_masked`). */
  interval(max: number): number {
    if (max === 0) return 0;
    if (max === 0xffffffff) return this.nextUint32();
    if (max < 0xffffffff) {
      let mask = max;
      mask |= mask >>> 1;
      mask |= mask >>> 2;
      mask |= mask >>> 4;
      mask |= mask >>> 8;
      mask |= mask >>> 16;
      let value: number;
      do value = (this.nextUint32() & mask) >>> 0;
      while (value > max);
      return value;
    }
    // 64-bit words, high word first (numpy's mt19937_next64); the mask's high part fits 21 bits.
    const maskHigh = smallestMaskAtLeast(Math.floor(max / TWO_POW_32));
    let value: number;
    do {
      const high = (this.nextUint32() & maskHigh) >>> 0;
      value = high * TWO_POW_32 + this.nextUint32();
    } while (value > max);
    return value;
  }

  /** `permutation(n)`: a shuffled `arange(n)` (the legacy Fisher–Yates), written into `out`. */
  permutation(n: number, out: Int32Array = new Int32Array(n)): Int32Array {
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** A copy with the same state, continuing the same stream independently. */
  clone(): LegacyRandomState {
    const copy = new LegacyRandomState(0);
    copy.copyFrom(this);
    return copy;
  }
}

/**
 * `numEnvs` RandomStates in one buffer (shareable between threads): generator i is
 * `get(i)`, seeded as `RandomState(seed)`. A kernel's generator bank for MinAtar-style envs.
 */
export class LegacyRandomStateBank {
  private readonly generators: LegacyRandomState[];

  static bytesFor(size: number): number {
    return size * MT19937_WORDS * 4;
  }

  constructor(
    readonly size: number,
    storage: ArrayBufferLike = new ArrayBuffer(LegacyRandomStateBank.bytesFor(size)),
  ) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`LegacyRandomStateBank size must be a positive integer, got ${size}`);
    if (storage.byteLength < LegacyRandomStateBank.bytesFor(size)) {
      throw new RangeError(`LegacyRandomStateBank: ${size} generators need ${LegacyRandomStateBank.bytesFor(size)} bytes, the buffer has ${storage.byteLength}`);
    }
    const words = new Uint32Array(storage, 0, size * MT19937_WORDS);
    // views keep what the buffer holds: seed each generator before drawing from a fresh bank
    this.generators = Array.from({ length: size }, (_, i) => new LegacyRandomState(undefined, words.subarray(i * MT19937_WORDS, (i + 1) * MT19937_WORDS)));
  }

  /** Generator i (a view into the bank's buffer). */
  get(i: number): LegacyRandomState {
    return this.generators[i]!;
  }

  /** Seeds generator i as `RandomState(seed)` (seed in [0, 2^32)); no seed draws OS entropy. */
  seed(i: number, seed?: Seed): void {
    if (typeof seed === "bigint") {
      if (seed < 0n || seed > 0xffffffffn) assertLegacySeedWord(seed, "RandomState seed");
      seed = Number(seed);
    }
    this.get(i).reseed(seed);
  }

  getState(i: number): MT19937State {
    return this.get(i).getState();
  }

  setState(i: number, state: MT19937State): void {
    this.get(i).setState(state);
  }
}

function assertLegacySeedWord(seed: unknown, what: string): asserts seed is number {
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`${what} must be an integer between 0 and 2^32 - 1 (numpy's RandomState accepts no other), got ${describe(seed)}`);
  }
}

function checkedRange(low: number, high: number): number {
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
    throw new RangeError(`randint: low and high must be safe integers, got low=${low}, high=${high}`);
  }
  if (low >= high) throw new RangeError(`randint: low >= high (low=${low}, high=${high}); the range [low, high) must not be empty`);
  const max = high - 1 - low;
  if (max > Number.MAX_SAFE_INTEGER) throw new RangeError(`randint: the range [${low}, ${high}) is wider than 2^53`);
  return max;
}

function smallestMaskAtLeast(v: number): number {
  let mask = v;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

function describe(x: unknown): string {
  return Array.isArray(x) ? `[${x.map(String).join(", ")}]` : typeof x === "string" ? JSON.stringify(x) : String(x);
}
