/**
 * numpy's `SeedSequence` (numpy/random/bit_generator.pyx), reproduced bit for bit so that
 * `reset({ seed })` starts from exactly the state Gymnasium starts from.
 * All arithmetic is on uint32 words, as in numpy.
 */
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const XSHIFT = 16;
const POOL_SIZE = 4;

export type Seed = number | bigint;

/** Checks a user seed the way Gymnasium's `seeding.np_random` does: a non-negative integer. */
export function assertValidSeed(seed: unknown, what = "seed"): asserts seed is Seed {
  if (typeof seed === "bigint") {
    if (seed < 0n) throw new RangeError(`${what} must be >= 0, got ${seed}`);
    return;
  }
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(
      `${what} must be a non-negative integer (a safe integer or a bigint), got ${String(seed)}`,
    );
  }
}

/** The little-endian uint32 words of a non-negative integer (numpy `_int_to_uint32_array`). */
export function seedToWords(seed: Seed): number[] {
  assertValidSeed(seed);
  let n = BigInt(seed);
  if (n === 0n) return [0];
  const words: number[] = [];
  while (n > 0n) {
    words.push(Number(n & 0xffffffffn));
    n >>= 32n;
  }
  return words;
}

function hashmix(value: number, hashConst: { v: number }): number {
  value = (value ^ hashConst.v) >>> 0;
  hashConst.v = Math.imul(hashConst.v, MULT_A) >>> 0;
  value = Math.imul(value, hashConst.v) >>> 0;
  return (value ^ (value >>> XSHIFT)) >>> 0;
}

function mix(x: number, y: number): number {
  const result = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
  return (result ^ (result >>> XSHIFT)) >>> 0;
}

/** The 4-word entropy pool numpy derives from `entropy` (no spawn key). */
export function seedSequencePool(entropy: readonly number[]): Uint32Array {
  const pool = new Uint32Array(POOL_SIZE);
  const hashConst = { v: INIT_A };
  for (let i = 0; i < POOL_SIZE; i++) {
    pool[i] = hashmix(i < entropy.length ? entropy[i]! : 0, hashConst);
  }
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) {
      if (src !== dst) pool[dst] = mix(pool[dst]!, hashmix(pool[src]!, hashConst));
    }
  }
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) {
      pool[dst] = mix(pool[dst]!, hashmix(entropy[src]!, hashConst));
    }
  }
  return pool;
}

/** `SeedSequence(entropy).generate_state(nWords, np.uint32)`. */
export function generateState(pool: Uint32Array, nWords: number): Uint32Array {
  const out = new Uint32Array(nWords);
  let hashConst = INIT_B;
  for (let i = 0; i < nWords; i++) {
    let v = (pool[i % POOL_SIZE]! ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_B) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    out[i] = (v ^ (v >>> XSHIFT)) >>> 0;
  }
  return out;
}

/** 128 bits of OS entropy, as numpy's `SeedSequence(None)` draws; works in Node and browsers. */
export function randomEntropy(): bigint {
  const words = new Uint32Array(4);
  globalThis.crypto.getRandomValues(words);
  let n = 0n;
  for (let i = 3; i >= 0; i--) n = (n << 32n) | BigInt(words[i]!);
  return n;
}
