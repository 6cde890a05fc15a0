/**
 * numpy's legacy `np.random.RandomState(seed)` (MT19937 seeded by `init_genrand`) and the draws
 * AdaStop's reference implementation makes from it (`permutation`, i.e. the legacy shuffle with
 * masked-rejection bounded integers), reproduced bit for bit so that tsrl's AdaStop samples the
 * same random permutations as the reference for the same seed.
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

export class LegacyRandomState {
  private readonly key = new Uint32Array(N);
  private pos = N;

  /** `np.random.RandomState(seed)` for an integer seed in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.key[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
  }

  /** The next raw 32-bit output (numpy's `next_uint32`). */
  nextUint32(): number {
    if (this.pos === N) this.regenerate();
    let y = this.key[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** An integer in [0, max], max < 2^32, by masked rejection (numpy's `random_interval`). */
  interval(max: number): number {
    if (max === 0) return 0;
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

  /** `RandomState.permutation(n)`: a shuffled `arange(n)`, written into `out` (length ≥ n). */
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

  getState(): MT19937State {
    return { key: Array.from(this.key), pos: this.pos };
  }

  setState(state: MT19937State): void {
    if (!Array.isArray(state.key) || state.key.length !== N || !state.key.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw new RangeError(`MT19937 state key must be ${N} integers in [0, 2^32)`);
    }
    if (!Number.isInteger(state.pos) || state.pos < 0 || state.pos > N) throw new RangeError(`MT19937 state pos must be an integer in [0, ${N}], got ${state.pos}`);
    this.key.set(state.key);
    this.pos = state.pos;
  }

  private regenerate(): void {
    const key = this.key;
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
    this.pos = 0;
  }
}
