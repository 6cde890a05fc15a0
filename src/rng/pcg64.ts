/**
 * numpy's `PCG64` bit generator (PCG XSL-RR 128/64) and the `Generator` draws Gymnasium uses,
 * reproduced bit for bit. A `PCG64Bank` holds many independent generators in flat typed arrays
 * (one per vectorized env) so that drawing allocates nothing and the whole bank serializes.
 *
 * 128-bit numbers are kept as eight 16-bit limbs (little-endian) so that every partial product
 * of the LCG multiply is exact in float64 — BigInt would cost ~20x more per draw.
 */
import { type Seed, generateState, randomEntropy, seedSequencePool, seedToWords } from "./seed-sequence.js";

const LIMBS = 8;
/** Per generator: 8 limbs of state, then 8 limbs of increment. */
const STRIDE = 2 * LIMBS;

/** PCG_DEFAULT_MULTIPLIER_128 = 0x2360ED051FC65DA44385DF649FCCF645, as 16-bit limbs. */
const MULT = [0xf645, 0x9fcc, 0xdf64, 0x4385, 0x5da4, 0x1fc6, 0xed05, 0x2360] as const;
const M0 = MULT[0], M1 = MULT[1], M2 = MULT[2], M3 = MULT[3];
const M4 = MULT[4], M5 = MULT[5], M6 = MULT[6], M7 = MULT[7];
const TWO16 = 65536;
const TWO32 = 4294967296;
const TWO_POW_MINUS_53 = 1 / 9007199254740992;

/** numpy's serialized PCG64 state: `bit_generator.state` with the 128-bit ints as decimal strings. */
export interface PCG64State {
  bit_generator: "PCG64";
  state: { state: string; inc: string };
  has_uint32: number;
  uinteger: number;
}

export class PCG64Bank {
  readonly size: number;
  /** state and increment limbs, `STRIDE` per generator */
  readonly limbs: Float64Array;
  /** numpy's buffered half of a 64-bit draw, used by 32-bit draws (`integers`) */
  readonly hasUint32: Uint8Array;
  readonly uinteger: Uint32Array;
  /** output of the last `next64`: high and low 32 bits */
  hi = 0;
  lo = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`bank size must be a positive integer, got ${size}`);
    this.size = size;
    this.limbs = new Float64Array(size * STRIDE);
    this.hasUint32 = new Uint8Array(size);
    this.uinteger = new Uint32Array(size);
  }

  /** Seeds generator `i` as `np.random.Generator(PCG64(SeedSequence(seed)))`; no seed draws OS entropy. */
  seed(i: number, seed?: Seed): void {
    const pool = seedSequencePool(seedToWords(seed ?? randomEntropy()));
    const w = generateState(pool, 8);
    // generate_state(4, uint64) -> [s0, s1, i0, i1]; initstate = s0:s1 (high:low), initseq = i0:i1.
    const initState = [w[2]!, w[3]!, w[0]!, w[1]!];
    const initSeq = [w[6]!, w[7]!, w[4]!, w[5]!];
    const o = i * STRIDE;
    const L = this.limbs;
    // inc = (initseq << 1) | 1
    let carry = 1;
    for (let k = 0; k < 4; k++) {
      const word = initSeq[k]!;
      const shifted = word * 2 + carry;
      carry = shifted >= TWO32 ? 1 : 0;
      const v = shifted - carry * TWO32;
      L[o + LIMBS + 2 * k] = v % TWO16;
      L[o + LIMBS + 2 * k + 1] = Math.floor(v / TWO16);
    }
    for (let k = 0; k < LIMBS; k++) L[o + k] = 0;
    this.step(i);
    // state += initstate
    carry = 0;
    for (let k = 0; k < LIMBS; k++) {
      const word = initState[k >> 1]!;
      const part = k & 1 ? Math.floor(word / TWO16) : word % TWO16;
      const s = L[o + k]! + part + carry;
      carry = s >= TWO16 ? 1 : 0;
      L[o + k] = s - carry * TWO16;
    }
    this.step(i);
    this.hasUint32[i] = 0;
    this.uinteger[i] = 0;
  }

  /** state = state * MULT + inc (mod 2^128) */
  step(i: number): void {
    const L = this.limbs;
    const o = i * STRIDE;
    const a0 = L[o]!, a1 = L[o + 1]!, a2 = L[o + 2]!, a3 = L[o + 3]!;
    const a4 = L[o + 4]!, a5 = L[o + 5]!, a6 = L[o + 6]!, a7 = L[o + 7]!;
    let acc = a0 * M0 + L[o + 8]!;
    let carry = Math.floor(acc / TWO16);
    L[o] = acc - carry * TWO16;
    acc = carry + a0 * M1 + a1 * M0 + L[o + 9]!;
    carry = Math.floor(acc / TWO16);
    L[o + 1] = acc - carry * TWO16;
    acc = carry + a0 * M2 + a1 * M1 + a2 * M0 + L[o + 10]!;
    carry = Math.floor(acc / TWO16);
    L[o + 2] = acc - carry * TWO16;
    acc = carry + a0 * M3 + a1 * M2 + a2 * M1 + a3 * M0 + L[o + 11]!;
    carry = Math.floor(acc / TWO16);
    L[o + 3] = acc - carry * TWO16;
    acc = carry + a0 * M4 + a1 * M3 + a2 * M2 + a3 * M1 + a4 * M0 + L[o + 12]!;
    carry = Math.floor(acc / TWO16);
    L[o + 4] = acc - carry * TWO16;
    acc = carry + a0 * M5 + a1 * M4 + a2 * M3 + a3 * M2 + a4 * M1 + a5 * M0 + L[o + 13]!;
    carry = Math.floor(acc / TWO16);
    L[o + 5] = acc - carry * TWO16;
    acc = carry + a0 * M6 + a1 * M5 + a2 * M4 + a3 * M3 + a4 * M2 + a5 * M1 + a6 * M0 + L[o + 14]!;
    carry = Math.floor(acc / TWO16);
    L[o + 6] = acc - carry * TWO16;
    acc = carry + a0 * M7 + a1 * M6 + a2 * M5 + a3 * M4 + a4 * M3 + a5 * M2 + a6 * M1 + a7 * M0 + L[o + 15]!;
    L[o + 7] = acc % TWO16;
  }

  /** Advances generator `i` and leaves the 64-bit XSL-RR output in `this.hi` / `this.lo`. */
  next64(i: number): void {
    this.step(i);
    const L = this.limbs;
    const o = i * STRIDE;
    // xor of the high and low 64-bit halves
    let vlo = ((L[o]! + L[o + 1]! * TWO16) ^ (L[o + 4]! + L[o + 5]! * TWO16)) >>> 0;
    let vhi = ((L[o + 2]! + L[o + 3]! * TWO16) ^ (L[o + 6]! + L[o + 7]! * TWO16)) >>> 0;
    let rot = L[o + 7]! >>> 10; // state >> 122
    if (rot >= 32) {
      const t = vlo;
      vlo = vhi;
      vhi = t;
      rot -= 32;
    }
    if (rot > 0) {
      const nlo = ((vlo >>> rot) | (vhi << (32 - rot))) >>> 0;
      vhi = ((vhi >>> rot) | (vlo << (32 - rot))) >>> 0;
      vlo = nlo;
    }
    this.hi = vhi;
    this.lo = vlo;
  }

  /** `Generator.random()`: a double in [0, 1) with 53 random bits. */
  random(i: number): number {
    this.next64(i);
    return (this.hi * 2097152 + (this.lo >>> 11)) * TWO_POW_MINUS_53;
  }

  /** `Generator.uniform(low, high)` for one scalar: `low + (high - low) * random()`. */
  uniform(i: number, low: number, high: number): number {
    return low + (high - low) * this.random(i);
  }

  /** numpy `next_uint32`: half of a 64-bit draw, the other half buffered. */
  nextUint32(i: number): number {
    if (this.hasUint32[i]) {
      this.hasUint32[i] = 0;
      return this.uinteger[i]!;
    }
    this.next64(i);
    this.hasUint32[i] = 1;
    this.uinteger[i] = this.hi;
    return this.lo;
  }

  /**
   * `Generator.integers(n)` (int64, endpoint false) for 1 <= n <= 2^32: numpy's Lemire
   * rejection on 32-bit draws.
   */
  integers(i: number, n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO32) throw new RangeError(`integers(n) needs 1 <= n <= 2^32, got ${n}`);
    const rng = n - 1;
    if (rng === 0) return 0;
    if (rng === 0xffffffff) return this.nextUint32(i);
    const rngExcl = n;
    let x = this.nextUint32(i);
    let leftover = Math.imul(x, rngExcl) >>> 0;
    if (leftover < rngExcl) {
      const threshold = (0xffffffff - rng) % rngExcl;
      while (leftover < threshold) {
        x = this.nextUint32(i);
        leftover = Math.imul(x, rngExcl) >>> 0;
      }
    }
    return mulHigh32(x, rngExcl);
  }

  /** numpy-compatible state of generator `i` (JSON-friendly). */
  getState(i: number): PCG64State {
    const o = i * STRIDE;
    return {
      bit_generator: "PCG64",
      state: { state: limbsToBigInt(this.limbs, o).toString(), inc: limbsToBigInt(this.limbs, o + LIMBS).toString() },
      has_uint32: this.hasUint32[i]!,
      uinteger: this.uinteger[i]!,
    };
  }

  setState(i: number, s: PCG64State): void {
    if (!s || s.bit_generator !== "PCG64" || typeof s.state?.state !== "string" || typeof s.state?.inc !== "string") {
      throw new TypeError("not a PCG64 state: expected {bit_generator: 'PCG64', state: {state, inc}, has_uint32, uinteger}");
    }
    const o = i * STRIDE;
    bigIntToLimbs(BigInt(s.state.state), this.limbs, o);
    bigIntToLimbs(BigInt(s.state.inc), this.limbs, o + LIMBS);
    this.hasUint32[i] = s.has_uint32 ? 1 : 0;
    this.uinteger[i] = s.uinteger >>> 0;
  }

  /** Copies generator `from` of `src` into generator `to` of this bank. */
  copyFrom(to: number, src: PCG64Bank, from: number): void {
    this.limbs.set(src.limbs.subarray(from * STRIDE, (from + 1) * STRIDE), to * STRIDE);
    this.hasUint32[to] = src.hasUint32[from]!;
    this.uinteger[to] = src.uinteger[from]!;
  }
}

/** High 32 bits of the 64-bit product of two uint32 values, exact. */
function mulHigh32(x: number, y: number): number {
  const xl = x & 0xffff, xh = x >>> 16, yl = y & 0xffff, yh = y >>> 16;
  const mid = xh * yl + xl * yh;
  return xh * yh + Math.floor((mid * TWO16 + xl * yl) / TWO32);
}

function limbsToBigInt(L: Float64Array, o: number): bigint {
  let n = 0n;
  for (let k = LIMBS - 1; k >= 0; k--) n = (n << 16n) | BigInt(L[o + k]!);
  return n;
}

function bigIntToLimbs(n: bigint, L: Float64Array, o: number): void {
  if (n < 0n || n >= 1n << 128n) throw new RangeError("PCG64 state words must be 128-bit unsigned integers");
  for (let k = 0; k < LIMBS; k++) {
    L[o + k] = Number(n & 0xffffn);
    n >>= 16n;
  }
}
