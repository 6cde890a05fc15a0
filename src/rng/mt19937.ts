/**
 * The MT19937 Mersenne Twister as numpy's legacy `RandomState` runs it (numpy/random/src/mt19937):
 * `init_genrand` for an integer seed, `init_by_array` for an array seed, the standard twist and
 * tempering. Bit for bit, so streams seeded here match numpy's.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** The generator's state, as numpy's `get_state()` gives it (`key` of 624 uint32, `pos`). */
export interface MT19937State {
  key: number[];
  pos: number;
}

/** Words of storage per generator: the 624-word key, then `pos`. */
export const MT19937_WORDS = N + 1;

export class MT19937 {
  /** key[0..624) then pos at [624]: one block, so that banks of generators can share one buffer */
  protected readonly key: Uint32Array;

  /** A generator over `storage` (MT19937_WORDS words, e.g. a view into a bank's buffer), or its own. */
  constructor(storage?: Uint32Array) {
    if (storage !== undefined && (!(storage instanceof Uint32Array) || storage.length !== MT19937_WORDS)) {
      throw new RangeError(`MT19937 storage must be a Uint32Array of ${MT19937_WORDS} words`);
    }
    this.key = storage ?? new Uint32Array(MT19937_WORDS);
    if (storage === undefined) this.key[N] = N;
  }

  /** numpy's `mt19937_seed` (Matsumoto–Nishimura `init_genrand`). */
  seed(seed: number): void {
    const key = this.key;
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      key[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
    key[N] = N;
  }

  /** numpy's `mt19937_init_by_array`: the seed for `RandomState([w0, w1, ...])`. */
  seedByArray(words: ArrayLike<number>): void {
    const mt = this.key;
    const length = words.length;
    this.seed(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + words[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000; // MSB is 1: a non-zero initial array
    mt[N] = N;
  }

  /** The next raw 32-bit output (numpy's `mt19937_next32`). */
  nextUint32(): number {
    const key = this.key;
    let pos = key[N]!;
    if (pos === N) {
      regenerate(key);
      pos = 0;
    }
    let y = key[pos]!;
    key[N] = pos + 1;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  getState(): MT19937State {
    return { key: Array.from(this.key.subarray(0, N)), pos: this.key[N]! };
  }

  setState(state: MT19937State): void {
    if (!state || !Array.isArray(state.key) || state.key.length !== N || !state.key.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw new RangeError(`MT19937 state key must be ${N} integers in [0, 2^32)`);
    }
    if (!Number.isInteger(state.pos) || state.pos < 0 || state.pos > N) {
      throw new RangeError(`MT19937 state pos must be an integer in [0, ${N}], got ${String(state.pos)}`);
    }
    this.key.set(state.key);
    this.key[N] = state.pos;
  }

  /** Copies another generator's state (no allocation). */
  copyFrom(other: MT19937): void {
    this.key.set(other.key);
  }
}

/** The twist: the next 624 words of the key, from the current ones. */
function regenerate(key: Uint32Array): void {
  let i = 0;
  for (; i < N - M; i++) {
    const y = (key[i]! & UPPER_MASK) | (key[i + 1]! & LOWER_MASK);
    key[i] = key[i + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
  }
  for (; i < N - 1; i++) {
    const y = (key[i]! & UPPER_MASK) | (key[i + 1]! & LOWER_MASK);
    key[i] = key[i + M - N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
  }
  const y = (key[N - 1]! & UPPER_MASK) | (key[0]! & LOWER_MASK);
  key[N - 1] = key[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
}
