// WASM SIMD (f64x2) versions of classic-control vector envs' next-step loops (CartPole's fused
// `stepBatchNextStep`, the generic loop over MountainCar and MountainCarContinuous in
// src/envs/vector.ts), built by scripts/build-wasm.mjs into src/envs/wasm/envs-binary.ts. They
// must give the JS loops' results bit for bit:
// - the same float64 operations in the same order (WASM neither fuses nor reorders them);
// - sin/cos as V8's Math.sin/Math.cos compute them: fdlibm (src/base/ieee754.cc) — its kernels
//   for CartPole's |x| < 0.3, its argument reduction and kernels for MountainCar's |x| < 5pi/4;
//   lanes outside call the host's Math.sin / Math.cos, and the host checks the module against
//   Math.sin/cos before using it;
// - the generators' draws as PCG64Bank (src/rng/pcg64.ts) makes them, on its own storage layout
//   (per generator 6 state limbs then 6 increment limbs of 24 bits, stored as float64).
//
// Every pointer argument is a byte address into the imported memory; nothing here allocates.

@external("env", "sin") declare function hostSin(x: f64): f64;
@external("env", "cos") declare function hostCos(x: f64): f64;

// ---------------------------------------------------------------------------------------------
// fdlibm sin/cos for |x| < 0.3 (fdlibm's first branch of __kernel_cos), two lanes at once

const S1 = -1.66666666666666324348e-01;
const S2 = 8.33333333332248946124e-03;
const S3 = -1.98412698298579493134e-04;
const S4 = 2.75573137070700676789e-06;
const S5 = -2.50507602534068634195e-08;
const S6 = 1.58969099521155010221e-10;
const C1 = 4.16666666666666019037e-02;
const C2 = -1.38888888888741095749e-03;
const C3 = 2.48015872894767294178e-05;
const C4 = -2.75573143513906633035e-07;
const C5 = 2.08757232129817482790e-09;
const C6 = -1.13596475577881948265e-11;
/** |x| below this (high word 0x3E400000, 2^-27): sin x = x, cos x = 1 */
const TINY: f64 = 7.450580596923828e-9;
/** high word 0x3FD33333: the bound of __kernel_cos's first branch */
const COS_BRANCH = reinterpret<f64>(0x3fd3333300000000);

/** Entry `idx` of a constant table, in both lanes. */
// @ts-ignore: decorator
@inline function kv(tb: usize, idx: usize): v128 {
  return v128.load64_splat(tb + (idx << 3));
}

/** Whether both lanes lie where the SIMD sin/cos below are fdlibm's (|x| < 0.3, not NaN). */
// @ts-ignore: decorator
@inline function inKernelRange(x: v128, tb: usize): bool {
  return i64x2.all_true(f64x2.lt(f64x2.abs(x), kv(tb, K_COS_BRANCH)));
}

// fdlibm's __kernel_sin(x, 0, 0) and __kernel_cos(x, 0) (its first branch), with sin x = x and
// cos x = 1 below 2^-27 as fdlibm returns them
// @ts-ignore: decorator
@inline function sin2(x: v128, tb: usize): v128 {
  const z = f64x2.mul(x, x);
  const w = f64x2.mul(z, x);
  // r = S2 + z*(S3 + z*(S4 + z*(S5 + z*S6)))
  let r = f64x2.add(kv(tb, K_S5), f64x2.mul(z, kv(tb, K_S6)));
  r = f64x2.add(kv(tb, K_S4), f64x2.mul(z, r));
  r = f64x2.add(kv(tb, K_S3), f64x2.mul(z, r));
  r = f64x2.add(kv(tb, K_S2), f64x2.mul(z, r));
  // x + v*(S1 + z*r)
  const s = f64x2.add(x, f64x2.mul(w, f64x2.add(kv(tb, K_S1), f64x2.mul(z, r))));
  return v128.bitselect(x, s, f64x2.lt(f64x2.abs(x), kv(tb, K_TINY)));
}

// @ts-ignore: decorator
@inline function cos2(x: v128, tb: usize): v128 {
  const z = f64x2.mul(x, x);
  // r = z*(C1 + z*(C2 + z*(C3 + z*(C4 + z*(C5 + z*C6)))))
  let r = f64x2.add(kv(tb, K_C5), f64x2.mul(z, kv(tb, K_C6)));
  r = f64x2.add(kv(tb, K_C4), f64x2.mul(z, r));
  r = f64x2.add(kv(tb, K_C3), f64x2.mul(z, r));
  r = f64x2.add(kv(tb, K_C2), f64x2.mul(z, r));
  r = f64x2.mul(z, f64x2.add(kv(tb, K_C1), f64x2.mul(z, r)));
  // one - (0.5*z - (z*r - x*y)) with y = 0
  const one = kv(tb, K_ONE);
  const c = f64x2.sub(one, f64x2.sub(f64x2.mul(kv(tb, K_HALF), z), f64x2.sub(f64x2.mul(z, r), f64x2.mul(x, kv(tb, K_ZERO)))));
  return v128.bitselect(one, c, f64x2.lt(f64x2.abs(x), kv(tb, K_TINY)));
}

/** Writes sin and cos of `count` float64 at `x` to `s` and `c` (the host's self-check); `table`: 240 free bytes. */
export function sinCosBatch(count: i32, x: usize, s: usize, c: usize, table: usize): void {
  cartPoleConstants(table);
  for (let i = 0; i < count; i++) {
    const a = v128.load64_splat(x + ((<usize>i) << 3));
    store<f64>(s + ((<usize>i) << 3), f64x2.extract_lane(sin2(a, table), 0));
    store<f64>(c + ((<usize>i) << 3), f64x2.extract_lane(cos2(a, table), 0));
  }
}

// ---------------------------------------------------------------------------------------------
// fdlibm cos for |x| < 5pi/4 (V8's Math.cos there: __ieee754_rem_pio2's first two cases with
// n <= 2, then __kernel_cos or __kernel_sin with the reduced argument's tail), two lanes at once.
// cos(-x) and cos(x) come out identical in fdlibm (every step is symmetric), so lanes work on |x|.

const INVPIO2 = 6.36619772367581382433e-01;
const PIO2_1 = 1.57079632673412561417e+00;
const PIO2_1T = 6.07710050650619224932e-11;

/** Whether every lane is one the SIMD cos below computes as fdlibm: finite, |x| < 5pi/4, and not at fdlibm's special cases. */
// @ts-ignore: decorator
@inline function cosInRange(ax: v128, hi: v128): bool {
  // n from the medium case must be 2 where that case applies; high words 0x3FF921FB and
  // 0x400921FB take fdlibm's more precise reductions
  const medium = i64x2.ge_s(hi, i64x2.splat(0x4002d97c));
  const v = f64x2.add(f64x2.mul(ax, f64x2.splat(INVPIO2)), f64x2.splat(0.5));
  const n2 = v128.and(f64x2.ge(v, f64x2.splat(2.0)), f64x2.lt(v, f64x2.splat(3.0)));
  const ok = v128.and(v128.or(v128.not(medium), n2), v128.and(i64x2.ne(hi, i64x2.splat(0x3ff921fb)), i64x2.ne(hi, i64x2.splat(0x400921fb))));
  return i64x2.all_true(ok);
}

/** fdlibm's __kernel_cos(x, y), all branches, lane-wise. */
// @ts-ignore: decorator
@inline function kernelCos2(x: v128, y: v128): v128 {
  const hi = i64x2.shr_u(v128.and(x, i64x2.splat(0x7fffffffffffffff)), 32);
  const z = f64x2.mul(x, x);
  let r = f64x2.add(f64x2.splat(C5), f64x2.mul(z, f64x2.splat(C6)));
  r = f64x2.add(f64x2.splat(C4), f64x2.mul(z, r));
  r = f64x2.add(f64x2.splat(C3), f64x2.mul(z, r));
  r = f64x2.add(f64x2.splat(C2), f64x2.mul(z, r));
  r = f64x2.mul(z, f64x2.add(f64x2.splat(C1), f64x2.mul(z, r)));
  const tail = f64x2.sub(f64x2.mul(z, r), f64x2.mul(x, y));
  const one = f64x2.splat(1.0), half = f64x2.splat(0.5);
  // |x| < 0.3: one - (0.5*z - (z*r - x*y))
  const near = f64x2.sub(one, f64x2.sub(f64x2.mul(half, z), tail));
  // else qx = 0.28125 above 0.78125, |x|/4 with its low word cleared below
  const quarter = i64x2.shl(i64x2.sub(hi, i64x2.splat(0x00200000)), 32);
  const qx = v128.bitselect(f64x2.splat(0.28125), quarter, i64x2.gt_s(hi, i64x2.splat(0x3fe90000)));
  const far = f64x2.sub(f64x2.sub(one, qx), f64x2.sub(f64x2.sub(f64x2.mul(half, z), qx), tail));
  const c = v128.bitselect(near, far, i64x2.lt_s(hi, i64x2.splat(0x3fd33333)));
  return v128.bitselect(one, c, i64x2.lt_s(hi, i64x2.splat(0x3e400000)));
}

/** fdlibm's __kernel_sin(x, y, 1), lane-wise. */
// @ts-ignore: decorator
@inline function kernelSinTail2(x: v128, y: v128): v128 {
  const hi = i64x2.shr_u(v128.and(x, i64x2.splat(0x7fffffffffffffff)), 32);
  const z = f64x2.mul(x, x);
  const w = f64x2.mul(z, x);
  let r = f64x2.add(f64x2.splat(S5), f64x2.mul(z, f64x2.splat(S6)));
  r = f64x2.add(f64x2.splat(S4), f64x2.mul(z, r));
  r = f64x2.add(f64x2.splat(S3), f64x2.mul(z, r));
  r = f64x2.add(f64x2.splat(S2), f64x2.mul(z, r));
  // x - ((z*(half*y - v*r) - y) - v*S1)
  const s = f64x2.sub(x, f64x2.sub(f64x2.sub(f64x2.mul(z, f64x2.sub(f64x2.mul(f64x2.splat(0.5), y), f64x2.mul(w, r))), y), f64x2.mul(w, f64x2.splat(S1))));
  return v128.bitselect(x, s, i64x2.lt_s(hi, i64x2.splat(0x3e400000)));
}

/** cos of both lanes as V8's Math.cos: the SIMD fdlibm where `cosInRange`, the host's otherwise. */
// @ts-ignore: decorator
@inline function cos2Wide(x: v128): v128 {
  const ax = f64x2.abs(x);
  const hi = i64x2.shr_u(ax, 32);
  if (!cosInRange(ax, hi)) {
    return f64x2.replace_lane(f64x2.splat(hostCos(f64x2.extract_lane(x, 0))), 1, hostCos(f64x2.extract_lane(x, 1)));
  }
  // n = 0 up to pi/4, 1 below 3pi/4, 2 beyond; y = |x| - n*pio2_1 - n*pio2_1t in two parts
  const n1 = i64x2.gt_s(hi, i64x2.splat(0x3fe921fb));
  const n2 = i64x2.ge_s(hi, i64x2.splat(0x4002d97c));
  const fn = v128.bitselect(f64x2.splat(2.0), v128.and(f64x2.splat(1.0), n1), n2);
  const r = f64x2.sub(ax, f64x2.mul(fn, f64x2.splat(PIO2_1)));
  const w = f64x2.mul(fn, f64x2.splat(PIO2_1T));
  const y0 = f64x2.sub(r, w);
  const y1 = f64x2.sub(f64x2.sub(r, y0), w);
  // n = 0: kernel_cos; 1: -kernel_sin; 2: -kernel_cos
  const kc = kernelCos2(y0, y1);
  const odd = v128.andnot(n1, n2);
  const v = v128.bitselect(f64x2.neg(kernelSinTail2(y0, y1)), kc, odd);
  return v128.bitselect(f64x2.neg(kc), v, n2);
}

/** Math.cos as the module computes it, for `count` float64 at `x` into `c` (the host's self-check). */
export function cosBatch(count: i32, x: usize, c: usize): void {
  for (let i = 0; i + 2 <= count; i += 2) v128.store(c + ((<usize>i) << 3), cos2Wide(v128.load(x + ((<usize>i) << 3))));
  if (count & 1) {
    const j = <usize>(count - 1) << 3;
    store<f64>(c + j, f64x2.extract_lane(cos2Wide(v128.load64_splat(x + j)), 0));
  }
}

// ---------------------------------------------------------------------------------------------
// actions

/** The index of the first of `count` float64 actions at `actions` that is not an integer in [0, n), or -1. */
export function invalidDiscrete(actions: usize, count: i32, n: f64): i32 {
  const zero = f64x2.splat(0), nv = f64x2.splat(n);
  let i = 0;
  for (; i + 2 <= count; i += 2) {
    const a = v128.load(actions + ((<usize>i) << 3));
    const ok = v128.and(v128.and(f64x2.ge(a, zero), f64x2.lt(a, nv)), f64x2.eq(f64x2.floor(a), a));
    if (!i64x2.all_true(ok)) break;
  }
  for (; i < count; i++) {
    const a = load<f64>(actions + ((<usize>i) << 3));
    if (!(a >= 0 && a < n && Math.floor(a) == a)) return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// PCG64 (numpy's PCG XSL-RR 128/64) on PCG64Bank's limb layout

/** PCG_DEFAULT_MULTIPLIER_128, high and low 64 bits */
const MUL_HI: u64 = 0x2360ed051fc65da4, MUL_LO: u64 = 0x4385df649fccf645;

/** The high 64 bits of the 128-bit product a * b. */
// @ts-ignore: decorator
@inline function mulHigh64(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  return a1 * b1 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/**
 * `count` draws of `Generator.uniform(low, high)` (`low + (high - low) * random()`) from generator
 * `g`, written to `out`, `out + stride`, …: the state read from the bank's limbs into two 64-bit
 * words once, advanced in registers, written back once.
 */
function pcgUniforms(bank: usize, g: i32, count: i32, low: f64, high: f64, out: usize, stride: usize): void {
  const p = bank + <usize>g * 96;
  let lo = <u64>load<f64>(p) | (<u64>load<f64>(p, 8) << 24) | (<u64>load<f64>(p, 16) << 48);
  let hi = (<u64>load<f64>(p, 16) >> 16) | (<u64>load<f64>(p, 24) << 8) | (<u64>load<f64>(p, 32) << 32) | (<u64>load<f64>(p, 40) << 56);
  const incLo = <u64>load<f64>(p, 48) | (<u64>load<f64>(p, 56) << 24) | (<u64>load<f64>(p, 64) << 48);
  const incHi = (<u64>load<f64>(p, 64) >> 16) | (<u64>load<f64>(p, 72) << 8) | (<u64>load<f64>(p, 80) << 32) | (<u64>load<f64>(p, 88) << 56);
  const span = high - low;
  for (let k = 0; k < count; k++) {
    // state = state * MULTIPLIER + inc (mod 2^128)
    const prodLo = lo * MUL_LO;
    const newLo = prodLo + incLo;
    hi = mulHigh64(lo, MUL_LO) + lo * MUL_HI + hi * MUL_LO + incHi + <u64>(newLo < prodLo);
    lo = newLo;
    // XSL-RR output; random() keeps its top 53 bits
    const bits = rotr<u64>(hi ^ lo, hi >> 58);
    store<f64>(out + <usize>k * stride, low + span * (<f64>(bits >> 11) * 1.1102230246251565e-16)); // 2^-53
  }
  store<f64>(p, <f64>(lo & 0xffffff));
  store<f64>(p, <f64>((lo >> 24) & 0xffffff), 8);
  store<f64>(p, <f64>((lo >> 48) | ((hi & 0xff) << 16)), 16);
  store<f64>(p, <f64>((hi >> 8) & 0xffffff), 24);
  store<f64>(p, <f64>((hi >> 32) & 0xffffff), 32);
  store<f64>(p, <f64>(hi >> 56), 40);
}

/** `count` draws of `Generator.random()` from generator `g` into `out` (tests compare with PCG64Bank). */
export function pcgRandomBatch(bank: usize, g: i32, count: i32, out: usize): void {
  pcgUniforms(bank, g, count, 0.0, 1.0, out, 8);
}

// ---------------------------------------------------------------------------------------------
// CartPole-v1 (src/envs/classic/cartpole.ts)

const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
const LENGTH = 0.5;
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

// The loop reads its constant vectors from a table in memory (written once by
// `cartPoleConstants`): V8 builds each v128 constant from integer registers, three instructions
// per use, where a table entry is one load; the loop is bound by how many of its iterations the
// CPU keeps in flight, so fewer instructions per iteration are faster.
const K_S1 = 0, K_S2 = 1, K_S3 = 2, K_S4 = 3, K_S5 = 4, K_S6 = 5;
const K_C1 = 6, K_C2 = 7, K_C3 = 8, K_C4 = 9, K_C5 = 10, K_C6 = 11;
const K_TINY = 12, K_ONE = 13, K_HALF = 14, K_ZERO = 15, K_COS_BRANCH = 16, K_FORCE = 17, K_NFORCE = 18;
const K_PML = 19, K_TOTAL_MASS = 20, K_GRAVITY = 21, K_LENGTH = 22, K_FOUR_THIRDS = 23, K_MASSPOLE = 24, K_TAU = 25;
const K_X_LOW = 26, K_X_HIGH = 27, K_TH_LOW = 28, K_TH_HIGH = 29;

/** Writes the CartPole loop's constant table at `table`. */
export function cartPoleConstants(table: usize): void {
  // one store each: an array literal would be a data segment, which the host's memory cannot take
  store<f64>(table + (K_S1 << 3), S1);
  store<f64>(table + (K_S2 << 3), S2);
  store<f64>(table + (K_S3 << 3), S3);
  store<f64>(table + (K_S4 << 3), S4);
  store<f64>(table + (K_S5 << 3), S5);
  store<f64>(table + (K_S6 << 3), S6);
  store<f64>(table + (K_C1 << 3), C1);
  store<f64>(table + (K_C2 << 3), C2);
  store<f64>(table + (K_C3 << 3), C3);
  store<f64>(table + (K_C4 << 3), C4);
  store<f64>(table + (K_C5 << 3), C5);
  store<f64>(table + (K_C6 << 3), C6);
  store<f64>(table + (K_TINY << 3), TINY);
  store<f64>(table + (K_ONE << 3), 1.0);
  store<f64>(table + (K_HALF << 3), 0.5);
  store<f64>(table + (K_ZERO << 3), 0.0);
  store<f64>(table + (K_COS_BRANCH << 3), COS_BRANCH);
  store<f64>(table + (K_FORCE << 3), FORCE_MAG);
  store<f64>(table + (K_NFORCE << 3), -FORCE_MAG);
  store<f64>(table + (K_PML << 3), POLEMASS_LENGTH);
  store<f64>(table + (K_TOTAL_MASS << 3), TOTAL_MASS);
  store<f64>(table + (K_GRAVITY << 3), GRAVITY);
  store<f64>(table + (K_LENGTH << 3), LENGTH);
  store<f64>(table + (K_FOUR_THIRDS << 3), 4.0 / 3.0);
  store<f64>(table + (K_MASSPOLE << 3), MASSPOLE);
  store<f64>(table + (K_TAU << 3), TAU);
  store<f64>(table + (K_X_LOW << 3), -X_THRESHOLD);
  store<f64>(table + (K_X_HIGH << 3), X_THRESHOLD);
  store<f64>(table + (K_TH_LOW << 3), -THETA_THRESHOLD);
  store<f64>(table + (K_TH_HIGH << 3), THETA_THRESHOLD);
}

/** Envs per block: the loop runs its passes over a block at a time, so the block stays in L1. */
const BLOCK = 256;

/**
 * The CartPole vector env's next-step loop over envs [from, to): reset the envs flagged in
 * `autoreset`, step the others, write state, observations (float32, 4 per env), rewards,
 * terminations, truncations, elapsed steps and the new autoreset flags. Envs i and i + 1 go
 * through the lanes of one vector; the last env of an odd range goes alone (lane 1 computes a
 * copy of it, discarded). Three passes per block, with `work` (3 float64 per env) between them:
 * sin and cos of every angle, and the list of envs to reset; a step of every env; the resets,
 * written over the step of those envs. Short dependency chains and no branch on resets in the
 * step let the CPU overlap many envs.
 */
export function cartPoleNextStep(
  n: i32, from: i32, to: i32, state: usize, bank: usize, elapsed: usize, autoreset: usize, actions: usize,
  obs: usize, rewards: usize, terms: usize, truncs: usize, maxSteps: f64, low: f64, high: f64, tb: usize, work: usize,
): void {
  const nb = (<usize>n) << 3;
  for (let b = from; b < to; b += BLOCK) {
    const e = min(to, b + BLOCK);
    const list = work + 2 * nb + ((<usize>b) << 2);
    let resets = 0;
    let i = b;
    for (; i + 2 <= e; i += 2) resets = cartPoleSinCos(true, n, i, state, autoreset, tb, work, list, resets);
    if (i < e) resets = cartPoleSinCos(false, n, i, state, autoreset, tb, work, list, resets);
    i = b;
    for (; i + 2 <= e; i += 2) cartPoleStep(true, n, i, state, elapsed, autoreset, actions, obs, rewards, terms, truncs, maxSteps, tb, work);
    if (i < e) cartPoleStep(false, n, i, state, elapsed, autoreset, actions, obs, rewards, terms, truncs, maxSteps, tb, work);
    for (let k = 0; k < resets; k++) {
      // the envs that ended last step start anew (4 draws: x, x_dot, theta, theta_dot) and report 0
      const j = <usize>load<i32>(list + (<usize>k << 2));
      const px = state + (j << 3);
      pcgUniforms(bank, <i32>j, 4, low, high, px, nb);
      const po = obs + (j << 4);
      store<f32>(po, <f32>load<f64>(px));
      store<f32>(po, <f32>load<f64>(px + nb), 4);
      store<f32>(po, <f32>load<f64>(px + 2 * nb), 8);
      store<f32>(po, <f32>load<f64>(px + 3 * nb), 12);
      store<i32>(elapsed + (j << 2), 0);
      store<u8>(autoreset + j, 0);
      store<f64>(rewards + (j << 3), 0.0);
      store<u8>(terms + j, 0);
      store<u8>(truncs + j, 0);
    }
  }
}

/**
 * The first pass: sin and cos of env i's (and i + 1's) angle into `work` (sines, then n cosines);
 * appends the envs flagged for reset to `list` (without a branch: the slot is written either way)
 * and returns the list's new length.
 */
// @ts-ignore: decorator
@inline function cartPoleSinCos(pair: bool, n: i32, i: i32, state: usize, autoreset: usize, tb: usize, work: usize, list: usize, count: i32): i32 {
  const nb = (<usize>n) << 3;
  const pTH = state + ((<usize>i) << 3) + 2 * nb;
  // an env flagged for reset gets the sin and cos of its last angle too, unused
  const th0 = pair ? v128.load(pTH) : v128.load64_splat(pTH);
  let sintheta: v128, costheta: v128;
  if (inKernelRange(th0, tb)) {
    sintheta = sin2(th0, tb);
    costheta = cos2(th0, tb);
  } else {
    const t0 = f64x2.extract_lane(th0, 0), t1 = f64x2.extract_lane(th0, 1);
    sintheta = f64x2.replace_lane(f64x2.splat(hostSin(t0)), 1, hostSin(t1));
    costheta = f64x2.replace_lane(f64x2.splat(hostCos(t0)), 1, hostCos(t1));
  }
  const ps = work + ((<usize>i) << 3);
  const pr = autoreset + <usize>i;
  store<i32>(list + (<usize>count << 2), i);
  if (pair) {
    v128.store(ps, sintheta);
    v128.store(ps + nb, costheta);
    const flags = <i32>load<u16>(pr);
    count += <i32>((flags & 0xff) != 0);
    store<i32>(list + (<usize>count << 2), i + 1);
    count += <i32>(flags > 0xff);
  } else {
    v128.store64_lane(ps, sintheta, 0);
    v128.store64_lane(ps + nb, costheta, 0);
    count += <i32>(load<u8>(pr) != 0);
  }
  return count;
}

/** Two bools (bits 0 and 1 of an i64x2 bitmask) as two bytes 0/1, lane 0 first. */
// @ts-ignore: decorator
@inline function bytes2(bits: i32): u16 {
  return <u16>((bits & 1) | ((bits & 2) << 7));
}


// @ts-ignore: decorator
@inline function cartPoleStep(
  pair: bool, n: i32, i: i32, state: usize, elapsed: usize, autoreset: usize, actions: usize,
  obs: usize, rewards: usize, terms: usize, truncs: usize, maxSteps: f64, tb: usize, work: usize,
): void {
  const nb = (<usize>n) << 3;
  const pX = state + ((<usize>i) << 3), pXD = pX + nb, pTH = pXD + nb, pTHD = pTH + nb;
  const pa = actions + ((<usize>i) << 3);
  let x0: v128, xd0: v128, th0: v128, thd0: v128, act: v128;
  if (pair) {
    x0 = v128.load(pX);
    xd0 = v128.load(pXD);
    th0 = v128.load(pTH);
    thd0 = v128.load(pTHD);
    act = v128.load(pa);
  } else {
    x0 = v128.load64_splat(pX);
    xd0 = v128.load64_splat(pXD);
    th0 = v128.load64_splat(pTH);
    thd0 = v128.load64_splat(pTHD);
    act = v128.load64_splat(pa);
  }
  const force = v128.bitselect(kv(tb, K_FORCE), kv(tb, K_NFORCE), f64x2.eq(act, kv(tb, K_ONE)));
  const pr = autoreset + <usize>i;
  const ps = work + ((<usize>i) << 3);
  const sintheta = pair ? v128.load(ps) : v128.load64_splat(ps);
  const costheta = pair ? v128.load(ps + nb) : v128.load64_splat(ps + nb);
  const temp = f64x2.div(f64x2.add(force, f64x2.mul(f64x2.mul(kv(tb, K_PML), f64x2.mul(thd0, thd0)), sintheta)), kv(tb, K_TOTAL_MASS));
  const thetaacc = f64x2.div(
    f64x2.sub(f64x2.mul(kv(tb, K_GRAVITY), sintheta), f64x2.mul(costheta, temp)),
    f64x2.mul(kv(tb, K_LENGTH), f64x2.sub(kv(tb, K_FOUR_THIRDS), f64x2.div(f64x2.mul(kv(tb, K_MASSPOLE), f64x2.mul(costheta, costheta)), kv(tb, K_TOTAL_MASS)))),
  );
  const xacc = f64x2.sub(temp, f64x2.div(f64x2.mul(f64x2.mul(kv(tb, K_PML), thetaacc), costheta), kv(tb, K_TOTAL_MASS)));
  const x = f64x2.add(x0, f64x2.mul(kv(tb, K_TAU), xd0));
  const xd = f64x2.add(xd0, f64x2.mul(kv(tb, K_TAU), xacc));
  const th = f64x2.add(th0, f64x2.mul(kv(tb, K_TAU), thd0));
  const thd = f64x2.add(thd0, f64x2.mul(kv(tb, K_TAU), thetaacc));
  const terminal = v128.or(
    v128.or(f64x2.lt(x, kv(tb, K_X_LOW)), f64x2.gt(x, kv(tb, K_X_HIGH))),
    v128.or(f64x2.lt(th, kv(tb, K_TH_LOW)), f64x2.gt(th, kv(tb, K_TH_HIGH))),
  );
  // elapsed + 1, and truncation as JS's `++elapsed[i] >= max` on an Int32Array decides it: the
  // unwrapped count compared, the wrapped one stored
  const pe = elapsed + ((<usize>i) << 2);
  const e = pair ? v128.load64_zero(pe) : v128.load32_zero(pe);
  const truncated = f64x2.ge(f64x2.add(f64x2.convert_low_i32x4_s(e), kv(tb, K_ONE)), f64x2.splat(maxSteps));
  const e1 = i32x4.add(e, i32x4.splat(1));
  const termBits = i64x2.bitmask(terminal), truncBits = i64x2.bitmask(truncated);
  if (pair) {
    v128.store64_lane(pe, e1, 0);
    v128.store(rewards + ((<usize>i) << 3), kv(tb, K_ONE));
    store<u16>(terms + <usize>i, bytes2(termBits));
    store<u16>(truncs + <usize>i, bytes2(truncBits));
    store<u16>(pr, bytes2(termBits | truncBits));
  } else {
    v128.store32_lane(pe, e1, 0);
    store<f64>(rewards + ((<usize>i) << 3), 1.0);
    store<u8>(terms + <usize>i, <u8>(termBits & 1));
    store<u8>(truncs + <usize>i, <u8>(truncBits & 1));
    store<u8>(pr, <u8>((termBits | truncBits) & 1));
  }
  // observations: float32 rows [x, x_dot, theta, theta_dot] of env i and env i + 1
  const a = v128.shuffle<f32>(f32x4.demote_f64x2_zero(x), f32x4.demote_f64x2_zero(xd), 0, 4, 1, 5);
  const b = v128.shuffle<f32>(f32x4.demote_f64x2_zero(th), f32x4.demote_f64x2_zero(thd), 0, 4, 1, 5);
  const po = obs + ((<usize>i) << 4);
  v128.store(po, v128.shuffle<f32>(a, b, 0, 1, 4, 5));
  if (pair) {
    v128.store(po, v128.shuffle<f32>(a, b, 2, 3, 6, 7), 16);
    v128.store(pX, x);
    v128.store(pXD, xd);
    v128.store(pTH, th);
    v128.store(pTHD, thd);
  } else {
    store<f64>(pX, f64x2.extract_lane(x, 0));
    store<f64>(pXD, f64x2.extract_lane(xd, 0));
    store<f64>(pTH, f64x2.extract_lane(th, 0));
    store<f64>(pTHD, f64x2.extract_lane(thd, 0));
  }
}

// ---------------------------------------------------------------------------------------------
// MountainCar-v0 (src/envs/classic/mountain-car.ts, stepped by the vector env's generic loop)

const MC_MIN_POSITION = -1.2;
const MC_MAX_POSITION = 0.6;
const MC_MAX_SPEED = 0.07;
const MC_GOAL_POSITION = 0.5;
const MC_FORCE = 0.001;
const MC_GRAVITY = 0.0025;

/**
 * The MountainCar vector env's next-step loop over envs [from, to), as the generic loop runs the
 * kernel: reset the envs flagged in `autoreset` (position from uniform(low, high), velocity 0),
 * step the others. Envs i and i + 1 go through the lanes of one vector. Two passes per block: the
 * cosines into `work` (n float64), then the rest.
 */
export function mountainCarNextStep(
  n: i32, from: i32, to: i32, state: usize, bank: usize, elapsed: usize, autoreset: usize, actions: usize,
  obs: usize, rewards: usize, terms: usize, truncs: usize, maxSteps: f64, low: f64, high: f64, goalVelocity: f64, work: usize,
): void {
  for (let b = from; b < to; b += BLOCK) {
    const end = min(to, b + BLOCK);
    for (let i = b; i < end; i += 2) {
      const p = state + ((<usize>i) << 3);
      const w = work + ((<usize>i) << 3);
      if (i + 1 < end) v128.store(w, cos2Wide(f64x2.mul(f64x2.splat(3.0), v128.load(p))));
      else store<f64>(w, f64x2.extract_lane(cos2Wide(f64x2.mul(f64x2.splat(3.0), v128.load64_splat(p))), 0));
    }
    mountainCarBlock(n, b, end, state, bank, elapsed, autoreset, actions, obs, rewards, terms, truncs, maxSteps, low, high, goalVelocity, work);
  }
}

// @ts-ignore: decorator
@inline function mountainCarBlock(
  n: i32, from: i32, to: i32, state: usize, bank: usize, elapsed: usize, autoreset: usize, actions: usize,
  obs: usize, rewards: usize, terms: usize, truncs: usize, maxSteps: f64, low: f64, high: f64, goalVelocity: f64, work: usize,
): void {
  for (let i = from; i < to; i += 2) {
    const pair = i + 1 < to;
    const pw = work + ((<usize>i) << 3);
    const cosine = pair ? v128.load(pw) : v128.load64_splat(pw);
    const pP = state + ((<usize>i) << 3), pV = pP + ((<usize>n) << 3);
    const pa = actions + ((<usize>i) << 3);
    const position0 = pair ? v128.load(pP) : v128.load64_splat(pP);
    const velocity0 = pair ? v128.load(pV) : v128.load64_splat(pV);
    const act = pair ? v128.load(pa) : v128.load64_splat(pa);
    // Python evaluates the whole right-hand side of `velocity += ...` first
    const push = f64x2.add(
      f64x2.mul(f64x2.sub(act, f64x2.splat(1.0)), f64x2.splat(MC_FORCE)),
      f64x2.mul(cosine, f64x2.splat(-MC_GRAVITY)),
    );
    let velocity = f64x2.min(f64x2.max(f64x2.add(velocity0, push), f64x2.splat(-MC_MAX_SPEED)), f64x2.splat(MC_MAX_SPEED));
    let position = f64x2.min(f64x2.max(f64x2.add(position0, velocity), f64x2.splat(MC_MIN_POSITION)), f64x2.splat(MC_MAX_POSITION));
    velocity = v128.bitselect(f64x2.splat(0.0), velocity, v128.and(f64x2.eq(position, f64x2.splat(MC_MIN_POSITION)), f64x2.lt(velocity, f64x2.splat(0.0))));
    const terminal = v128.and(f64x2.ge(position, f64x2.splat(MC_GOAL_POSITION)), f64x2.ge(velocity, f64x2.splat(goalVelocity)));
    const pe = elapsed + ((<usize>i) << 2);
    const e = pair ? v128.load64_zero(pe) : v128.load32_zero(pe);
    const truncated = f64x2.ge(f64x2.add(f64x2.convert_low_i32x4_s(e), f64x2.splat(1.0)), f64x2.splat(maxSteps));
    const e1 = i32x4.add(e, i32x4.splat(1));
    const termBits = i64x2.bitmask(terminal), truncBits = i64x2.bitmask(truncated);
    const pr = autoreset + <usize>i;
    const resets: i32 = pair ? <i32>load<u16>(pr) : <i32>load<u8>(pr);
    if (pair) {
      v128.store64_lane(pe, e1, 0);
      v128.store(rewards + ((<usize>i) << 3), f64x2.splat(-1.0));
      store<u16>(terms + <usize>i, bytes2(termBits));
      store<u16>(truncs + <usize>i, bytes2(truncBits));
      store<u16>(pr, bytes2(termBits | truncBits));
    } else {
      v128.store32_lane(pe, e1, 0);
      store<f64>(rewards + ((<usize>i) << 3), -1.0);
      store<u8>(terms + <usize>i, <u8>(termBits & 1));
      store<u8>(truncs + <usize>i, <u8>(truncBits & 1));
      store<u8>(pr, <u8>((termBits | truncBits) & 1));
    }
    if (resets != 0) {
      // the envs that ended last step start anew (one draw: the position) and report 0
      for (let l = 0; l < 2; l++) {
        if (((resets >> (l << 3)) & 0xff) == 0) continue;
        const j = <usize>(i + l);
        pcgUniforms(bank, <i32>j, 1, low, high, state + (j << 3), 8);
        if (l == 0) {
          position = f64x2.replace_lane(position, 0, load<f64>(state + (j << 3)));
          velocity = f64x2.replace_lane(velocity, 0, 0.0);
        } else {
          position = f64x2.replace_lane(position, 1, load<f64>(state + (j << 3)));
          velocity = f64x2.replace_lane(velocity, 1, 0.0);
        }
        store<i32>(elapsed + (j << 2), 0);
        store<u8>(autoreset + j, 0);
        store<f64>(rewards + (j << 3), 0.0);
        store<u8>(terms + j, 0);
        store<u8>(truncs + j, 0);
      }
    }
    // observations: float32 rows [position, velocity] of env i and env i + 1
    const row = v128.shuffle<f32>(f32x4.demote_f64x2_zero(position), f32x4.demote_f64x2_zero(velocity), 0, 4, 1, 5);
    const po = obs + ((<usize>i) << 3);
    if (pair) {
      v128.store(po, row);
      v128.store(pP, position);
      v128.store(pV, velocity);
    } else {
      v128.store64_lane(po, row, 0);
      store<f64>(pP, f64x2.extract_lane(position, 0));
      store<f64>(pV, f64x2.extract_lane(velocity, 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MountainCarContinuous-v0 (src/envs/classic/mountain-car-continuous.ts): float64 arithmetic,
// the state stored as float32 after each step, termination decided before that store

const MCC_GOAL_POSITION = 0.45;
const MCC_POWER = 0.0015;

/**
 * The MountainCarContinuous vector env's next-step loop over envs [from, to), as the generic loop
 * runs the kernel (state: position, velocity, terminated word). Two passes per block: the cosines
 * into `work` (n float64), then the rest.
 */
export function mountainCarContinuousNextStep(
  n: i32, from: i32, to: i32, state: usize, bank: usize, elapsed: usize, autoreset: usize, actions: usize,
  obs: usize, rewards: usize, terms: usize, truncs: usize, maxSteps: f64, low: f64, high: f64, goalVelocity: f64, work: usize,
): void {
  const nb = (<usize>n) << 3;
  for (let b = from; b < to; b += BLOCK) {
    const end = min(to, b + BLOCK);
    for (let i = b; i < end; i += 2) {
      const p = state + ((<usize>i) << 3);
      const w = work + ((<usize>i) << 3);
      if (i + 1 < end) v128.store(w, cos2Wide(f64x2.mul(f64x2.splat(3.0), v128.load(p))));
      else store<f64>(w, f64x2.extract_lane(cos2Wide(f64x2.mul(f64x2.splat(3.0), v128.load64_splat(p))), 0));
    }
    for (let i = b; i < end; i += 2) {
      const pair = i + 1 < end;
      const pP = state + ((<usize>i) << 3), pV = pP + nb, pT = pV + nb;
      const pw = work + ((<usize>i) << 3);
      const pa = actions + ((<usize>i) << 3);
      const cosine = pair ? v128.load(pw) : v128.load64_splat(pw);
      const position0 = pair ? v128.load(pP) : v128.load64_splat(pP);
      const velocity0 = pair ? v128.load(pV) : v128.load64_splat(pV);
      const action = pair ? v128.load(pa) : v128.load64_splat(pa);
      const force = f64x2.min(f64x2.max(action, f64x2.splat(-1.0)), f64x2.splat(1.0));
      let velocity = f64x2.add(velocity0, f64x2.sub(f64x2.mul(force, f64x2.splat(MCC_POWER)), f64x2.mul(f64x2.splat(MC_GRAVITY), cosine)));
      // the kernel's comparisons, not min/max, as it writes them
      velocity = v128.bitselect(f64x2.splat(MC_MAX_SPEED), velocity, f64x2.gt(velocity, f64x2.splat(MC_MAX_SPEED)));
      velocity = v128.bitselect(f64x2.splat(-MC_MAX_SPEED), velocity, f64x2.lt(velocity, f64x2.splat(-MC_MAX_SPEED)));
      let position = f64x2.add(position0, velocity);
      position = v128.bitselect(f64x2.splat(MC_MAX_POSITION), position, f64x2.gt(position, f64x2.splat(MC_MAX_POSITION)));
      position = v128.bitselect(f64x2.splat(MC_MIN_POSITION), position, f64x2.lt(position, f64x2.splat(MC_MIN_POSITION)));
      velocity = v128.bitselect(f64x2.splat(0.0), velocity, v128.and(f64x2.eq(position, f64x2.splat(MC_MIN_POSITION)), f64x2.lt(velocity, f64x2.splat(0.0))));
      const terminal = v128.and(f64x2.ge(position, f64x2.splat(MCC_GOAL_POSITION)), f64x2.ge(velocity, f64x2.splat(goalVelocity)));
      position = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(position));
      velocity = f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(velocity));
      let word = v128.and(terminal, f64x2.splat(1.0));
      // (terminated ? 100 : 0) - action * action * 0.1
      const reward = f64x2.sub(v128.and(terminal, f64x2.splat(100.0)), f64x2.mul(f64x2.mul(action, action), f64x2.splat(0.1)));
      const pe = elapsed + ((<usize>i) << 2);
      const e = pair ? v128.load64_zero(pe) : v128.load32_zero(pe);
      const truncated = f64x2.ge(f64x2.add(f64x2.convert_low_i32x4_s(e), f64x2.splat(1.0)), f64x2.splat(maxSteps));
      const e1 = i32x4.add(e, i32x4.splat(1));
      const termBits = i64x2.bitmask(terminal), truncBits = i64x2.bitmask(truncated);
      const pr = autoreset + <usize>i;
      const resets: i32 = pair ? <i32>load<u16>(pr) : <i32>load<u8>(pr);
      if (pair) {
        v128.store64_lane(pe, e1, 0);
        v128.store(rewards + ((<usize>i) << 3), reward);
        store<u16>(terms + <usize>i, bytes2(termBits));
        store<u16>(truncs + <usize>i, bytes2(truncBits));
        store<u16>(pr, bytes2(termBits | truncBits));
      } else {
        v128.store32_lane(pe, e1, 0);
        store<f64>(rewards + ((<usize>i) << 3), f64x2.extract_lane(reward, 0));
        store<u8>(terms + <usize>i, <u8>(termBits & 1));
        store<u8>(truncs + <usize>i, <u8>(truncBits & 1));
        store<u8>(pr, <u8>((termBits | truncBits) & 1));
      }
      if (resets != 0) {
        // the envs that ended last step start anew (one draw: the position) and report 0
        for (let l = 0; l < 2; l++) {
          if (((resets >> (l << 3)) & 0xff) == 0) continue;
          const j = <usize>(i + l);
          pcgUniforms(bank, <i32>j, 1, low, high, state + (j << 3), 8);
          if (l == 0) {
            position = f64x2.replace_lane(position, 0, load<f64>(state + (j << 3)));
            velocity = f64x2.replace_lane(velocity, 0, 0.0);
            word = f64x2.replace_lane(word, 0, 0.0);
          } else {
            position = f64x2.replace_lane(position, 1, load<f64>(state + (j << 3)));
            velocity = f64x2.replace_lane(velocity, 1, 0.0);
            word = f64x2.replace_lane(word, 1, 0.0);
          }
          store<i32>(elapsed + (j << 2), 0);
          store<u8>(autoreset + j, 0);
          store<f64>(rewards + (j << 3), 0.0);
          store<u8>(terms + j, 0);
          store<u8>(truncs + j, 0);
        }
      }
      const row = v128.shuffle<f32>(f32x4.demote_f64x2_zero(position), f32x4.demote_f64x2_zero(velocity), 0, 4, 1, 5);
      const po = obs + ((<usize>i) << 3);
      if (pair) {
        v128.store(po, row);
        v128.store(pP, position);
        v128.store(pV, velocity);
        v128.store(pT, word);
      } else {
        v128.store64_lane(po, row, 0);
        store<f64>(pP, f64x2.extract_lane(position, 0));
        store<f64>(pV, f64x2.extract_lane(velocity, 0));
        store<f64>(pT, f64x2.extract_lane(word, 0));
      }
    }
  }
}
