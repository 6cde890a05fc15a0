/**
 * numpy's `PCG64` bit generator (PCG XSL-RR 128/64) and the `Generator` draws Gymnasium uses,
 * reproduced bit for bit. A `PCG64Bank` holds many independent generators in flat typed arrays
 * (one per vectorized env) so that drawing allocates nothing and the whole bank serializes.
 *
 * 128-bit numbers are kept as six 24-bit limbs (little-endian; the top limb uses 8 bits) so that
 * every partial product of the LCG multiply is exact in float64 and the carry chain runs on
 * int32 — BigInt would cost ~20x more per draw. Seeding and (de)serialization use BigInt.
 */
import { type Seed, generateState, randomEntropy, seedSequencePool, seedToWords } from "./seed-sequence.js";

const LIMBS = 6;
/** Per generator: 6 limbs of state, then 6 limbs of increment. */
const STRIDE = 2 * LIMBS;
const MASK128 = (1n << 128n) - 1n;
/** PCG_DEFAULT_MULTIPLIER_128 */
const MULTIPLIER = 0x2360ed051fc65da44385df649fccf645n;
const [M0, M1, M2, M3, M4, M5] = Array.from({ length: LIMBS }, (_, k) => Number((MULTIPLIER >> BigInt(24 * k)) & 0xffffffn));
const TWO24 = 16777216;
const INV_TWO24 = 1 / TWO24;
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

  /** `storage` lets several threads share one bank (see `PCG64Bank.bytesFor`). */
  constructor(size: number, storage?: ArrayBufferLike) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`bank size must be a positive integer, got ${size}`);
    this.size = size;
    const buffer = storage ?? new ArrayBuffer(PCG64Bank.bytesFor(size));
    if (buffer.byteLength < PCG64Bank.bytesFor(size)) throw new RangeError(`PCG64Bank storage too small for ${size} generators`);
    this.limbs = new Float64Array(buffer, 0, size * STRIDE);
    this.uinteger = new Uint32Array(buffer, size * STRIDE * 8, size);
    this.hasUint32 = new Uint8Array(buffer, size * (STRIDE * 8 + 4), size);
  }

  static bytesFor(size: number): number {
    return size * (STRIDE * 8 + 4 + 1);
  }

  /** Seeds generator `i` as `np.random.Generator(PCG64(SeedSequence(seed)))`; no seed draws OS entropy. */
  seed(i: number, seed?: Seed): void {
    const w = generateState(seedSequencePool(seedToWords(seed ?? randomEntropy())), 8);
    // generate_state(4, uint64) = [s0, s1, i0, i1]; pcg64_set_seed takes initstate = s0:s1, initseq = i0:i1
    const u64 = (lo: number, hi: number) => (BigInt(hi) << 32n) | BigInt(lo);
    const initState = (u64(w[0]!, w[1]!) << 64n) | u64(w[2]!, w[3]!);
    const initSeq = (u64(w[4]!, w[5]!) << 64n) | u64(w[6]!, w[7]!);
    // pcg_setseq_128_srandom_r: state = 0; step; state += initstate; step
    const inc = ((initSeq << 1n) | 1n) & MASK128;
    const state = ((((inc + initState) & MASK128) * MULTIPLIER + inc) & MASK128);
    const o = i * STRIDE;
    bigIntToLimbs(state, this.limbs, o);
    bigIntToLimbs(inc, this.limbs, o + LIMBS);
    this.hasUint32[i] = 0;
    this.uinteger[i] = 0;
  }

  /**
   * Advances generator `i` (state = state * MULTIPLIER + inc mod 2^128) and leaves the 64-bit
   * XSL-RR output of the new state in `this.hi` / `this.lo`.
   */
  next64(i: number): void {
    const L = this.limbs;
    const o = i * STRIDE;
    const a0 = L[o]!, a1 = L[o + 1]!, a2 = L[o + 2]!, a3 = L[o + 3]!, a4 = L[o + 4]!, a5 = L[o + 5]!;
    // Column sums (< 2^51, exact), split into independent high/low parts so that only the
    // small carries are serial.
    const c0 = a0 * M0! + L[o + 6]!;
    const c1 = a0 * M1! + a1 * M0! + L[o + 7]!;
    const c2 = a0 * M2! + a1 * M1! + a2 * M0! + L[o + 8]!;
    const c3 = a0 * M3! + a1 * M2! + a2 * M1! + a3 * M0! + L[o + 9]!;
    const c4 = a0 * M4! + a1 * M3! + a2 * M2! + a3 * M1! + a4 * M0! + L[o + 10]!;
    const c5 = a0 * M5! + a1 * M4! + a2 * M3! + a3 * M2! + a4 * M1! + a5 * M0! + L[o + 11]!;
    const h0 = Math.floor(c0 * INV_TWO24), h1 = Math.floor(c1 * INV_TWO24), h2 = Math.floor(c2 * INV_TWO24);
    const h3 = Math.floor(c3 * INV_TWO24), h4 = Math.floor(c4 * INV_TWO24);
    const r0 = c0 - h0 * TWO24;
    let t = c1 - h1 * TWO24 + h0;
    const r1 = t & 0xffffff;
    t = c2 - h2 * TWO24 + h1 + (t >>> 24);
    const r2 = t & 0xffffff;
    t = c3 - h3 * TWO24 + h2 + (t >>> 24);
    const r3 = t & 0xffffff;
    t = c4 - h4 * TWO24 + h3 + (t >>> 24);
    const r4 = t & 0xffffff;
    const r5 = ((c5 % 256) + h4 + (t >>> 24)) & 0xff;
    L[o] = r0;
    L[o + 1] = r1;
    L[o + 2] = r2;
    L[o + 3] = r3;
    L[o + 4] = r4;
    L[o + 5] = r5;
    // XSL-RR: rotate (high64 ^ low64) right by the top 6 bits of the state.
    const w0 = (r0 | (r1 << 24)) >>> 0, w1 = ((r1 >>> 8) | (r2 << 16)) >>> 0;
    const w2 = ((r2 >>> 16) | (r3 << 8)) >>> 0, w3 = (r4 | (r5 << 24)) >>> 0;
    let vlo = (w0 ^ w2) >>> 0;
    let vhi = (w1 ^ w3) >>> 0;
    let rot = r5 >>> 2;
    if (rot >= 32) {
      const tmp = vlo;
      vlo = vhi;
      vhi = tmp;
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
  return xh * yh + Math.floor((mid * 65536 + xl * yl) / TWO32);
}

function limbsToBigInt(L: Float64Array, o: number): bigint {
  let n = 0n;
  for (let k = LIMBS - 1; k >= 0; k--) n = (n << 24n) | BigInt(L[o + k]!);
  return n;
}

function bigIntToLimbs(n: bigint, L: Float64Array, o: number): void {
  if (n < 0n || n >= 1n << 128n) throw new RangeError("PCG64 state words must be 128-bit unsigned integers");
  for (let k = 0; k < LIMBS; k++) {
    L[o + k] = Number(n & 0xffffffn);
    n >>= 24n;
  }
}
