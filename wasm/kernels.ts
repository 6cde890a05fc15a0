// WASM SIMD kernels behind `Kernels` (src/nn/kernels.ts); AssemblyScript, built by
// scripts/build-wasm.mjs into src/nn/wasm/kernels-binary.ts.
//
// Every pointer argument is a float32 *element index* into the imported linear memory (byte
// address = index * 4); matrices are row-major float32. Nothing here allocates, keeps state or
// assumes a memory size or alignment: the host may grow the memory between calls. Booleans
// arrive as i32 (0/1). Sums of products are float32 (the JS reference sums in float64; the
// tests compare with a tolerance).
//
// Matrix products keep a register block of accumulators in locals (V8 on x64 has 15 usable
// xmm registers): linearForward and matmulTN vectorize along n (4 rows × 8 columns),
// matmulNT takes dot products along k (2 rows × 4 columns of f32x4 partial sums, reduced
// horizontally at the end). Narrow shapes (fewer than 4 columns left; k ≤ 4 in matmulNT) switch
// to the other vectorization so that value and policy heads do not fall back to scalar code.
//
// The same source is built twice more with relaxed SIMD enabled (ASC_FEATURE_RELAXED_SIMD is then
// true at compile time): the multiply-adds of the products, attention, layer norm and GELU become
// f32x4.relaxed_madd, a fused multiply-add on CPUs with FMA (one rounding instead of two), so
// those builds are faster and differ from the default in the last bits. They are opt-in
// (setKernelFma in src/nn/wasm-kernels.ts): Node 20 runs relaxed SIMD only behind a flag, and a
// relaxed_madd may round once or twice depending on the CPU.

// ---------------------------------------------------------------------------------------------
// helpers

/** Element index → byte address. */
// @ts-ignore: decorator
@inline function addr(p: i32): usize {
  return (<usize>p) << 2;
}

/** acc + s·w, lane-wise (fused, rounded once, in the relaxed-SIMD builds on CPUs with FMA). */
// @ts-ignore: decorator
@inline function mac(acc: v128, s: v128, w: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(s, w, acc);
  return f32x4.add(acc, f32x4.mul(s, w));
}

/** [Σa0, Σa1, Σa2, Σa3]: the four horizontal sums of four vectors. */
// @ts-ignore: decorator
@inline function reduce4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const t0 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const t1 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
}

/** Σ of the four lanes. */
// @ts-ignore: decorator
@inline function hsum(a: v128): f32 {
  const t = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
}

// ---------------------------------------------------------------------------------------------
// linearForward: Y[m×n] = X[m×k]·W[k×n] + b[n]   (b < 0: no bias)
//
// Blocks of 4 rows × 8 columns: per p, two f32x4 of W's row p and four broadcast X values.
// The p loops are deliberately not unrolled: V8 schedules all loads of an unrolled body first and
// then spills them (measured: 31 → 42 GFLOP/s at 128×64×64 without the unrolling).

export function linearForward(m: i32, k: i32, n: i32, x: i32, w: i32, b: i32, y: i32): void {
  const nb = (<usize>n) << 2;
  const nb2 = nb << 1, nb3 = nb2 + nb, nb4 = nb << 2;
  const kb = (<usize>k) << 2;
  const k4b = (<usize>(k & ~3)) << 2;
  const hasBias = b >= 0;
  const pbias = addr(b);
  const px = addr(x);
  const pw = addr(w);
  const py = addr(y);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const xRow = px + <usize>i * kb;
    const yRow = py + <usize>i * nb;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let c00 = zero, c01 = zero;
      if (hasBias) {
        c00 = v128.load(pbias + ((<usize>j) << 2));
        c01 = v128.load(pbias + ((<usize>j) << 2), 16);
      }
      let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
      let x0 = xRow, x1 = xRow + kb, x2 = x1 + kb, x3 = x2 + kb;
      let q = pw + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const w0 = v128.load(q), w1 = v128.load(q, 16);
        let s = v128.load32_splat(x0); c00 = mac(c00, s, w0); c01 = mac(c01, s, w1);
        s = v128.load32_splat(x1); c10 = mac(c10, s, w0); c11 = mac(c11, s, w1);
        s = v128.load32_splat(x2); c20 = mac(c20, s, w0); c21 = mac(c21, s, w1);
        s = v128.load32_splat(x3); c30 = mac(c30, s, w0); c31 = mac(c31, s, w1);
        q += nb;
        x0 += 4; x1 += 4; x2 += 4; x3 += 4;
      }
      const o = yRow + ((<usize>j) << 2);
      v128.store(o, c00); v128.store(o, c01, 16);
      v128.store(o + nb, c10); v128.store(o + nb, c11, 16);
      v128.store(o + 2 * nb, c20); v128.store(o + 2 * nb, c21, 16);
      v128.store(o + 3 * nb, c30); v128.store(o + 3 * nb, c31, 16);
    }
    if (j + 4 <= n) {
      let c0 = hasBias ? v128.load(pbias + ((<usize>j) << 2)) : zero;
      let c1 = c0, c2 = c0, c3 = c0;
      let x0 = xRow, x1 = xRow + kb, x2 = x1 + kb, x3 = x2 + kb;
      let q = pw + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const w0 = v128.load(q);
        c0 = mac(c0, v128.load32_splat(x0), w0);
        c1 = mac(c1, v128.load32_splat(x1), w0);
        c2 = mac(c2, v128.load32_splat(x2), w0);
        c3 = mac(c3, v128.load32_splat(x3), w0);
        q += nb;
        x0 += 4; x1 += 4; x2 += 4; x3 += 4;
      }
      const o = yRow + ((<usize>j) << 2);
      v128.store(o, c0);
      v128.store(o + nb, c1);
      v128.store(o + 2 * nb, c2);
      v128.store(o + 3 * nb, c3);
      j += 4;
    }
    // Narrow remainder (< 4 columns, e.g. a value or policy head): dot products along k, with
    // W's column gathered four rows at a time and each row's partial sums reduced at the end.
    const x1 = xRow + kb, x2 = x1 + kb, x3 = x2 + kb;
    for (; j < n; j++) {
      let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
      let q = pw + ((<usize>j) << 2);
      let o: usize = 0;
      for (; o < k4b; o += 16) {
        let wv = v128.load32_zero(q);
        wv = v128.load32_lane(q + nb, wv, 1);
        wv = v128.load32_lane(q + nb2, wv, 2);
        wv = v128.load32_lane(q + nb3, wv, 3);
        s0 = mac(s0, v128.load(xRow + o), wv);
        s1 = mac(s1, v128.load(x1 + o), wv);
        s2 = mac(s2, v128.load(x2 + o), wv);
        s3 = mac(s3, v128.load(x3 + o), wv);
        q += nb4;
      }
      for (; o < kb; o += 4) {
        const wv = v128.load32_zero(q);
        s0 = mac(s0, v128.load32_zero(xRow + o), wv);
        s1 = mac(s1, v128.load32_zero(x1 + o), wv);
        s2 = mac(s2, v128.load32_zero(x2 + o), wv);
        s3 = mac(s3, v128.load32_zero(x3 + o), wv);
        q += nb;
      }
      let r = reduce4(s0, s1, s2, s3);
      if (hasBias) r = f32x4.add(r, v128.load32_splat(pbias + ((<usize>j) << 2)));
      const out = yRow + ((<usize>j) << 2);
      v128.store32_lane(out, r, 0);
      v128.store32_lane(out + nb, r, 1);
      v128.store32_lane(out + nb2, r, 2);
      v128.store32_lane(out + nb3, r, 3);
    }
  }
  for (; i < m; i++) {
    const xRow = px + <usize>i * kb;
    const yRow = py + <usize>i * nb;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let c0 = zero, c1 = zero;
      if (hasBias) {
        c0 = v128.load(pbias + ((<usize>j) << 2));
        c1 = v128.load(pbias + ((<usize>j) << 2), 16);
      }
      let x0 = xRow;
      let q = pw + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const s = v128.load32_splat(x0);
        c0 = mac(c0, s, v128.load(q));
        c1 = mac(c1, s, v128.load(q, 16));
        q += nb;
        x0 += 4;
      }
      const o = yRow + ((<usize>j) << 2);
      v128.store(o, c0); v128.store(o, c1, 16);
    }
    if (j + 4 <= n) {
      let c0 = hasBias ? v128.load(pbias + ((<usize>j) << 2)) : zero;
      let x0 = xRow;
      let q = pw + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        c0 = mac(c0, v128.load32_splat(x0), v128.load(q));
        q += nb;
        x0 += 4;
      }
      v128.store(yRow + ((<usize>j) << 2), c0);
      j += 4;
    }
    for (; j < n; j++) {
      let s0 = zero;
      let q = pw + ((<usize>j) << 2);
      let o: usize = 0;
      for (; o < k4b; o += 16) {
        let wv = v128.load32_zero(q);
        wv = v128.load32_lane(q + nb, wv, 1);
        wv = v128.load32_lane(q + nb2, wv, 2);
        wv = v128.load32_lane(q + nb3, wv, 3);
        s0 = mac(s0, v128.load(xRow + o), wv);
        q += nb4;
      }
      for (; o < kb; o += 4) {
        s0 = mac(s0, v128.load32_zero(xRow + o), v128.load32_zero(q));
        q += nb;
      }
      const c0 = hsum(s0);
      store<f32>(yRow + ((<usize>j) << 2), hasBias ? load<f32>(pbias + ((<usize>j) << 2)) + c0 : c0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// matmulTN: C[m×n] (+)= A[k×m]ᵀ·B[k×n]
//
// Like linearForward, but the four row scalars A[p, i..i+3] are adjacent in memory (immediate
// offsets 0, 4, 8, 12 off one pointer that steps one A row per p).

export function matmulTN(m: i32, k: i32, n: i32, a: i32, b: i32, c: i32, accumulate: i32): void {
  matmulTNRows(m, k, n, a, b, c, accumulate, 0, m);
}

// Rows i0 … i1−1 of C only (A keeps its row stride m), for splitting the product across threads:
// with i0 a multiple of 4 and i1 a multiple of 4 or m, every element of C takes the same
// instructions as in the whole product.
export function matmulTNRows(m: i32, k: i32, n: i32, a: i32, b: i32, c: i32, accumulate: i32, i0: i32, i1: i32): void {
  const nb = (<usize>n) << 2;
  const nb2 = nb << 1, nb3 = nb2 + nb, nb4 = nb << 2;
  const mb = (<usize>m) << 2;
  const mb2 = mb << 1, mb3 = mb2 + mb, mb4 = mb << 2;
  const pa = addr(a);
  const pb = addr(b);
  const pc = addr(c);
  const acc = accumulate != 0;
  const zero = f32x4.splat(0);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const aCol = pa + ((<usize>i) << 2);
    const cRow = pc + <usize>i * nb;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const o = cRow + ((<usize>j) << 2);
      let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
      if (acc) {
        c00 = v128.load(o); c01 = v128.load(o, 16);
        c10 = v128.load(o + nb); c11 = v128.load(o + nb, 16);
        c20 = v128.load(o + 2 * nb); c21 = v128.load(o + 2 * nb, 16);
        c30 = v128.load(o + 3 * nb); c31 = v128.load(o + 3 * nb, 16);
      }
      let r = aCol;
      let q = pb + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const w0 = v128.load(q), w1 = v128.load(q, 16);
        let s = v128.load32_splat(r); c00 = mac(c00, s, w0); c01 = mac(c01, s, w1);
        s = v128.load32_splat(r, 4); c10 = mac(c10, s, w0); c11 = mac(c11, s, w1);
        s = v128.load32_splat(r, 8); c20 = mac(c20, s, w0); c21 = mac(c21, s, w1);
        s = v128.load32_splat(r, 12); c30 = mac(c30, s, w0); c31 = mac(c31, s, w1);
        q += nb;
        r += mb;
      }
      v128.store(o, c00); v128.store(o, c01, 16);
      v128.store(o + nb, c10); v128.store(o + nb, c11, 16);
      v128.store(o + 2 * nb, c20); v128.store(o + 2 * nb, c21, 16);
      v128.store(o + 3 * nb, c30); v128.store(o + 3 * nb, c31, 16);
    }
    if (j + 4 <= n) {
      const o = cRow + ((<usize>j) << 2);
      let c0 = zero, c1 = zero, c2 = zero, c3 = zero;
      if (acc) {
        c0 = v128.load(o); c1 = v128.load(o + nb); c2 = v128.load(o + 2 * nb); c3 = v128.load(o + 3 * nb);
      }
      let r = aCol;
      let q = pb + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const w0 = v128.load(q);
        c0 = mac(c0, v128.load32_splat(r), w0);
        c1 = mac(c1, v128.load32_splat(r, 4), w0);
        c2 = mac(c2, v128.load32_splat(r, 8), w0);
        c3 = mac(c3, v128.load32_splat(r, 12), w0);
        q += nb;
        r += mb;
      }
      v128.store(o, c0); v128.store(o + nb, c1); v128.store(o + 2 * nb, c2); v128.store(o + 3 * nb, c3);
      j += 4;
    }
    if (j < n) {
      // Narrow remainder (< 4 columns): vectorize along the 4 rows instead, A[p, i..i+3] is one f32x4.
      // Four accumulators over p (mod 4) keep four independent add chains in flight.
      for (; j < n; j++) {
        let cv = zero, cv1 = zero, cv2 = zero, cv3 = zero;
        let r = aCol;
        let q = pb + ((<usize>j) << 2);
        let p = 0;
        for (; p + 4 <= k; p += 4) {
          cv = mac(cv, v128.load(r), v128.load32_splat(q));
          cv1 = mac(cv1, v128.load(r + mb), v128.load32_splat(q + nb));
          cv2 = mac(cv2, v128.load(r + mb2), v128.load32_splat(q + nb2));
          cv3 = mac(cv3, v128.load(r + mb3), v128.load32_splat(q + nb3));
          q += nb4;
          r += mb4;
        }
        for (; p < k; p++) {
          cv = mac(cv, v128.load(r), v128.load32_splat(q));
          q += nb;
          r += mb;
        }
        cv = f32x4.add(f32x4.add(cv, cv1), f32x4.add(cv2, cv3));
        const o = cRow + ((<usize>j) << 2);
        if (acc) {
          store<f32>(o, load<f32>(o) + f32x4.extract_lane(cv, 0));
          store<f32>(o + nb, load<f32>(o + nb) + f32x4.extract_lane(cv, 1));
          store<f32>(o + 2 * nb, load<f32>(o + 2 * nb) + f32x4.extract_lane(cv, 2));
          store<f32>(o + 3 * nb, load<f32>(o + 3 * nb) + f32x4.extract_lane(cv, 3));
        } else {
          store<f32>(o, f32x4.extract_lane(cv, 0));
          store<f32>(o + nb, f32x4.extract_lane(cv, 1));
          store<f32>(o + 2 * nb, f32x4.extract_lane(cv, 2));
          store<f32>(o + 3 * nb, f32x4.extract_lane(cv, 3));
        }
      }
    }
  }
  for (; i < i1; i++) {
    const aCol = pa + ((<usize>i) << 2);
    const cRow = pc + <usize>i * nb;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const o = cRow + ((<usize>j) << 2);
      let c0 = zero, c1 = zero;
      if (acc) {
        c0 = v128.load(o); c1 = v128.load(o, 16);
      }
      let r = aCol;
      let q = pb + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const s = v128.load32_splat(r);
        c0 = mac(c0, s, v128.load(q));
        c1 = mac(c1, s, v128.load(q, 16));
        q += nb;
        r += mb;
      }
      v128.store(o, c0); v128.store(o, c1, 16);
    }
    if (j + 4 <= n) {
      const o = cRow + ((<usize>j) << 2);
      let c0 = acc ? v128.load(o) : zero;
      let r = aCol;
      let q = pb + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        c0 = mac(c0, v128.load32_splat(r), v128.load(q));
        q += nb;
        r += mb;
      }
      v128.store(o, c0);
      j += 4;
    }
    for (; j < n; j++) {
      let c0: f32 = 0;
      let r = aCol;
      let q = pb + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        c0 += load<f32>(r) * load<f32>(q);
        q += nb;
        r += mb;
      }
      const o = cRow + ((<usize>j) << 2);
      store<f32>(o, acc ? load<f32>(o) + c0 : c0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// matmulNT: C[m×n] (+)= A[m×k]·B[n×k]ᵀ
//
// Dot products along k (both operands contiguous): blocks of 2 rows of A × 4 rows of B hold
// eight f32x4 partial sums; the k % 4 tail goes into lane 0 via load32_zero; each row's four
// sums are reduced into one f32x4 and stored as C[i, j..j+3].

export function matmulNT(m: i32, k: i32, n: i32, a: i32, b: i32, c: i32, accumulate: i32): void {
  const kb = (<usize>k) << 2;
  const nb = (<usize>n) << 2;
  const k4b = (<usize>(k & ~3)) << 2;
  const pa = addr(a);
  const pb = addr(b);
  const pc = addr(c);
  const acc = accumulate != 0;
  const zero = f32x4.splat(0);
  if (k <= 4 && m >= 4) {
    matmulNTShortK(m, k, n, pa, pb, pc, acc);
    return;
  }
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const a0 = pa + <usize>i * kb;
    const a1 = a0 + kb;
    const cRow = pc + <usize>i * nb;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = pb + <usize>j * kb;
      const b1 = b0 + kb, b2 = b1 + kb, b3 = b2 + kb;
      let s00 = zero, s01 = zero, s02 = zero, s03 = zero;
      let s10 = zero, s11 = zero, s12 = zero, s13 = zero;
      let o: usize = 0;
      for (; o < k4b; o += 16) {
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        let y = v128.load(b0 + o); s00 = mac(s00, x0, y); s10 = mac(s10, x1, y);
        y = v128.load(b1 + o); s01 = mac(s01, x0, y); s11 = mac(s11, x1, y);
        y = v128.load(b2 + o); s02 = mac(s02, x0, y); s12 = mac(s12, x1, y);
        y = v128.load(b3 + o); s03 = mac(s03, x0, y); s13 = mac(s13, x1, y);
      }
      for (; o < kb; o += 4) {
        const x0 = v128.load32_zero(a0 + o), x1 = v128.load32_zero(a1 + o);
        let y = v128.load32_zero(b0 + o); s00 = mac(s00, x0, y); s10 = mac(s10, x1, y);
        y = v128.load32_zero(b1 + o); s01 = mac(s01, x0, y); s11 = mac(s11, x1, y);
        y = v128.load32_zero(b2 + o); s02 = mac(s02, x0, y); s12 = mac(s12, x1, y);
        y = v128.load32_zero(b3 + o); s03 = mac(s03, x0, y); s13 = mac(s13, x1, y);
      }
      const c0 = cRow + ((<usize>j) << 2);
      const c1 = c0 + nb;
      let r0 = reduce4(s00, s01, s02, s03);
      let r1 = reduce4(s10, s11, s12, s13);
      if (acc) {
        r0 = f32x4.add(v128.load(c0), r0);
        r1 = f32x4.add(v128.load(c1), r1);
      }
      v128.store(c0, r0);
      v128.store(c1, r1);
    }
    for (; j < n; j++) {
      const b0 = pb + <usize>j * kb;
      let s0 = zero, s1 = zero;
      let o: usize = 0;
      for (; o < k4b; o += 16) {
        const y = v128.load(b0 + o);
        s0 = mac(s0, v128.load(a0 + o), y);
        s1 = mac(s1, v128.load(a1 + o), y);
      }
      for (; o < kb; o += 4) {
        const y = v128.load32_zero(b0 + o);
        s0 = mac(s0, v128.load32_zero(a0 + o), y);
        s1 = mac(s1, v128.load32_zero(a1 + o), y);
      }
      const c0 = cRow + ((<usize>j) << 2);
      const c1 = c0 + nb;
      store<f32>(c0, acc ? load<f32>(c0) + hsum(s0) : hsum(s0));
      store<f32>(c1, acc ? load<f32>(c1) + hsum(s1) : hsum(s1));
    }
  }
  if (i < m) {
    const a0 = pa + <usize>i * kb;
    const cRow = pc + <usize>i * nb;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = pb + <usize>j * kb;
      const b1 = b0 + kb, b2 = b1 + kb, b3 = b2 + kb;
      let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
      let o: usize = 0;
      for (; o < k4b; o += 16) {
        const x0 = v128.load(a0 + o);
        s0 = mac(s0, x0, v128.load(b0 + o));
        s1 = mac(s1, x0, v128.load(b1 + o));
        s2 = mac(s2, x0, v128.load(b2 + o));
        s3 = mac(s3, x0, v128.load(b3 + o));
      }
      for (; o < kb; o += 4) {
        const x0 = v128.load32_zero(a0 + o);
        s0 = mac(s0, x0, v128.load32_zero(b0 + o));
        s1 = mac(s1, x0, v128.load32_zero(b1 + o));
        s2 = mac(s2, x0, v128.load32_zero(b2 + o));
        s3 = mac(s3, x0, v128.load32_zero(b3 + o));
      }
      const c0 = cRow + ((<usize>j) << 2);
      let r0 = reduce4(s0, s1, s2, s3);
      if (acc) r0 = f32x4.add(v128.load(c0), r0);
      v128.store(c0, r0);
    }
    for (; j < n; j++) {
      const b0 = pb + <usize>j * kb;
      let s0 = zero;
      let o: usize = 0;
      for (; o < k4b; o += 16) s0 = mac(s0, v128.load(a0 + o), v128.load(b0 + o));
      for (; o < kb; o += 4) s0 = mac(s0, v128.load32_zero(a0 + o), v128.load32_zero(b0 + o));
      const c0 = cRow + ((<usize>j) << 2);
      store<f32>(c0, acc ? load<f32>(c0) + hsum(s0) : hsum(s0));
    }
  }
}

// k ≤ 4 (back through a small head, e.g. 2–4 actions): dot products would be mostly reduction,
// so vectorize along n instead. For four columns j..j+3, B's k columns are gathered once into
// f32x4s (B[j..j+3, p]), then every row of C is Σ_p A[i, p]·that.
function matmulNTShortK(m: i32, k: i32, n: i32, pa: usize, pb: usize, pc: usize, acc: bool): void {
  const kb = (<usize>k) << 2;
  const nb = (<usize>n) << 2;
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const b0 = pb + <usize>j * kb;
    const b1 = b0 + kb, b2 = b1 + kb, b3 = b2 + kb;
    let t0 = zero, t1 = zero, t2 = zero, t3 = zero;
    t0 = v128.load32_lane(b3, v128.load32_lane(b2, v128.load32_lane(b1, v128.load32_zero(b0), 1), 2), 3);
    if (k > 1) t1 = v128.load32_lane(b3, v128.load32_lane(b2, v128.load32_lane(b1, v128.load32_zero(b0, 4), 1, 4), 2, 4), 3, 4);
    if (k > 2) t2 = v128.load32_lane(b3, v128.load32_lane(b2, v128.load32_lane(b1, v128.load32_zero(b0, 8), 1, 8), 2, 8), 3, 8);
    if (k > 3) t3 = v128.load32_lane(b3, v128.load32_lane(b2, v128.load32_lane(b1, v128.load32_zero(b0, 12), 1, 12), 2, 12), 3, 12);
    let ar = pa;
    let o = pc + ((<usize>j) << 2);
    if (k == 4) {
      for (let i = 0; i < m; i++) {
        // the same pairing in both builds; the relaxed-SIMD one fuses the second product of each pair
        let r = ASC_FEATURE_RELAXED_SIMD
          ? f32x4.add(
              mac(f32x4.mul(v128.load32_splat(ar), t0), v128.load32_splat(ar, 4), t1),
              mac(f32x4.mul(v128.load32_splat(ar, 8), t2), v128.load32_splat(ar, 12), t3),
            )
          : f32x4.add(
              f32x4.add(f32x4.mul(v128.load32_splat(ar), t0), f32x4.mul(v128.load32_splat(ar, 4), t1)),
              f32x4.add(f32x4.mul(v128.load32_splat(ar, 8), t2), f32x4.mul(v128.load32_splat(ar, 12), t3)),
            );
        if (acc) r = f32x4.add(v128.load(o), r);
        v128.store(o, r);
        ar += kb;
        o += nb;
      }
    } else {
      for (let i = 0; i < m; i++) {
        let r = f32x4.mul(v128.load32_splat(ar), t0);
        if (k > 1) r = mac(r, v128.load32_splat(ar, 4), t1);
        if (k > 2) r = mac(r, v128.load32_splat(ar, 8), t2);
        if (acc) r = f32x4.add(v128.load(o), r);
        v128.store(o, r);
        ar += kb;
        o += nb;
      }
    }
  }
  for (; j < n; j++) {
    const b0 = pb + <usize>j * kb;
    let ar = pa;
    let o = pc + ((<usize>j) << 2);
    for (let i = 0; i < m; i++) {
      let s: f32 = 0;
      for (let p: usize = 0; p < kb; p += 4) s += load<f32>(ar + p) * load<f32>(b0 + p);
      store<f32>(o, acc ? load<f32>(o) + s : s);
      ar += kb;
      o += nb;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// columnSums: out[n] (+)= Σ_i A[i, :]

export function columnSums(m: i32, n: i32, a: i32, out: i32, accumulate: i32): void {
  const nb = (<usize>n) << 2;
  const pa = addr(a);
  const po = addr(out);
  const acc = accumulate != 0;
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const o = po + ((<usize>j) << 2);
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    let r = pa + ((<usize>j) << 2);
    for (let i = 0; i < m; i++) {
      s0 = f32x4.add(s0, v128.load(r));
      s1 = f32x4.add(s1, v128.load(r, 16));
      s2 = f32x4.add(s2, v128.load(r, 32));
      s3 = f32x4.add(s3, v128.load(r, 48));
      r += nb;
    }
    if (acc) {
      s0 = f32x4.add(v128.load(o), s0);
      s1 = f32x4.add(v128.load(o, 16), s1);
      s2 = f32x4.add(v128.load(o, 32), s2);
      s3 = f32x4.add(v128.load(o, 48), s3);
    }
    v128.store(o, s0); v128.store(o, s1, 16); v128.store(o, s2, 32); v128.store(o, s3, 48);
  }
  for (; j + 4 <= n; j += 4) {
    const o = po + ((<usize>j) << 2);
    let s0 = zero;
    let r = pa + ((<usize>j) << 2);
    for (let i = 0; i < m; i++) {
      s0 = f32x4.add(s0, v128.load(r));
      r += nb;
    }
    if (acc) s0 = f32x4.add(v128.load(o), s0);
    v128.store(o, s0);
  }
  for (; j < n; j++) {
    const o = po + ((<usize>j) << 2);
    let s: f32 = 0;
    let r = pa + ((<usize>j) << 2);
    for (let i = 0; i < m; i++) {
      s += load<f32>(r);
      r += nb;
    }
    store<f32>(o, acc ? load<f32>(o) + s : s);
  }
}

// ---------------------------------------------------------------------------------------------
// tanh in float32 lanes through expm1: with a = |x| (clamped at 9.5, where tanh is 1 in float32)
// and em = expm1(−2a), tanh a = −em / (2 + em), which stays accurate for tiny a (no cancellation)
// and near 1. expm1(y) = 2^n·expm1(r) + (2^n − 1) with y = n·ln2 + r, |r| ≤ ln2/2 (Cody–Waite
// reduction, exact for these n) and expm1(r) = r + r²/2 + r³·P(r), P a degree-4 minimax fit
// (relative error 4e-10). Checked against Math.tanh on every float32 in [0, 10]: max error
// 1.49e-7 (at 4.505; the bound is 2e-7), 1 ulp off fround(Math.tanh) on ~7% of them (mostly
// where tanh is near 1: the rounding of 2 + em). The sign is copied back; NaN stays NaN.

// @ts-ignore: decorator
@inline function tanh4(v: v128): v128 {
  const a = f32x4.pmin(f32x4.abs(v), f32x4.splat(9.5));
  const y = f32x4.mul(a, f32x4.splat(-2.0));
  const magic = f32x4.splat(12582912.0); // 1.5·2^23: adding it rounds to an integer in the low bits
  const t = f32x4.add(f32x4.mul(y, f32x4.splat(1.44269504088896341)), magic);
  const nf = f32x4.sub(t, magic); // n ∈ [−28, 0]
  const r = f32x4.sub(
    f32x4.sub(y, f32x4.mul(nf, f32x4.splat(0.693145751953125))),
    f32x4.mul(nf, f32x4.splat(1.428606765330187045e-6)),
  );
  let p = f32x4.splat(0.0001982409303309396);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.0013933333102613688));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.008333420380949974));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.041666481643915176));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.1666666567325592));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  const em1r = f32x4.add(r, f32x4.mul(f32x4.mul(r, r), p));
  // 2^n from n's bits in t: (t << 23) is n << 23, added to the bits of 1.0
  const twoN = i32x4.add(i32x4.shl(t, 23), i32x4.splat(0x3f800000));
  const em = f32x4.add(f32x4.mul(twoN, em1r), f32x4.sub(twoN, f32x4.splat(1.0)));
  const th = f32x4.div(f32x4.neg(em), f32x4.add(em, f32x4.splat(2.0)));
  return v128.bitselect(v, th, i32x4.splat(0x80000000)); // copysign(th, v)
}

export function tanhForward(length: i32, x: i32, y: i32): void {
  const px = addr(x);
  const py = addr(y);
  const nb = (<usize>length) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  let o: usize = 0;
  for (; o < n4; o += 16) v128.store(py + o, tanh4(v128.load(px + o)));
  if (o < nb) {
    // 1–3 leftover lanes: gather, compute, scatter (same arithmetic as the full vectors).
    let v = v128.load32_zero(px + o);
    if (o + 4 < nb) v = f32x4.replace_lane(v, 1, load<f32>(px + o, 4));
    if (o + 8 < nb) v = f32x4.replace_lane(v, 2, load<f32>(px + o, 8));
    const t = tanh4(v);
    store<f32>(py + o, f32x4.extract_lane(t, 0));
    if (o + 4 < nb) store<f32>(py + o, f32x4.extract_lane(t, 1), 4);
    if (o + 8 < nb) store<f32>(py + o, f32x4.extract_lane(t, 2), 8);
  }
}

// dx = dy·(1 − y²), evaluated as dy·((1 − y)(1 + y)): 1 − y is exact for y near ±1, so the
// result keeps its relative accuracy where 1 − y² cancels.
export function tanhBackward(length: i32, y: i32, dy: i32, dx: i32): void {
  const py = addr(y);
  const pdy = addr(dy);
  const pdx = addr(dx);
  const nb = (<usize>length) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  const one = f32x4.splat(1);
  let o: usize = 0;
  for (; o < n4; o += 16) {
    const t = v128.load(py + o);
    const d = f32x4.mul(f32x4.sub(one, t), f32x4.add(one, t));
    v128.store(pdx + o, f32x4.mul(v128.load(pdy + o), d));
  }
  for (; o < nb; o += 4) {
    const t = load<f32>(py + o);
    store<f32>(pdx + o, load<f32>(pdy + o) * ((1 - t) * (1 + t)));
  }
}

// ---------------------------------------------------------------------------------------------
// relu: pmax(0, x) is `0 < x ? x : 0`, exactly the reference (NaN and −0 give +0).

export function reluForward(length: i32, x: i32, y: i32): void {
  const px = addr(x);
  const py = addr(y);
  const nb = (<usize>length) << 2;
  const n16 = (<usize>(length & ~15)) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  const zero = f32x4.splat(0);
  let o: usize = 0;
  for (; o < n16; o += 64) {
    const v0 = v128.load(px + o), v1 = v128.load(px + o, 16), v2 = v128.load(px + o, 32), v3 = v128.load(px + o, 48);
    v128.store(py + o, f32x4.pmax(zero, v0));
    v128.store(py + o, f32x4.pmax(zero, v1), 16);
    v128.store(py + o, f32x4.pmax(zero, v2), 32);
    v128.store(py + o, f32x4.pmax(zero, v3), 48);
  }
  for (; o < n4; o += 16) v128.store(py + o, f32x4.pmax(zero, v128.load(px + o)));
  for (; o < nb; o += 4) {
    const v = load<f32>(px + o);
    store<f32>(py + o, v > 0 ? v : 0);
  }
}

export function reluBackward(length: i32, y: i32, dy: i32, dx: i32): void {
  const py = addr(y);
  const pdy = addr(dy);
  const pdx = addr(dx);
  const nb = (<usize>length) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  const zero = f32x4.splat(0);
  let o: usize = 0;
  for (; o < n4; o += 16) {
    v128.store(pdx + o, v128.and(v128.load(pdy + o), f32x4.gt(v128.load(py + o), zero)));
  }
  for (; o < nb; o += 4) {
    store<f32>(pdx + o, load<f32>(py + o) > 0 ? load<f32>(pdy + o) : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im for NHWC images (the JS reference spells out every element). For a kernel row
// ky inside the image, the pixels kx0 … kx1−1 it reads are adjacent in memory, so each patch row
// is one contiguous run of (kx1 − kx0)·c floats: copied with memory.copy (im2col) or added with
// f32x4 (col2im); the columns outside the image are zeros.

// @ts-ignore: decorator
@inline function outputSize(size: i32, kernel: i32, stride: i32, padding: i32): i32 {
  return (size + 2 * padding - kernel) / stride + 1;
}

export function im2col(batch: i32, h: i32, w: i32, c: i32, kernel: i32, stride: i32, padding: i32, x: i32, cols: i32): void {
  const oh = outputSize(h, kernel, stride, padding);
  const ow = outputSize(w, kernel, stride, padding);
  const pixel = (<usize>c) << 2;
  const kernelRow = (<usize>kernel) * pixel;
  let out = addr(cols);
  for (let b = 0; b < batch; b++) {
    const image = addr(x) + (<usize>(b * h * w)) * pixel;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const left = ox * stride - padding;
        const kx0 = left < 0 ? -left : 0;
        const kx1 = left + kernel > w ? w - left : kernel;
        for (let ky = 0; ky < kernel; ky++, out += kernelRow) {
          const iy = oy * stride - padding + ky;
          if (iy < 0 || iy >= h || kx1 <= kx0) {
            memory.fill(out, 0, kernelRow);
            continue;
          }
          const before = (<usize>kx0) * pixel;
          const inside = (<usize>(kx1 - kx0)) * pixel;
          if (before) memory.fill(out, 0, before);
          memory.copy(out + before, image + (<usize>(iy * w + left + kx0)) * pixel, inside);
          if (before + inside < kernelRow) memory.fill(out + before + inside, 0, kernelRow - before - inside);
        }
      }
    }
  }
}

export function col2im(batch: i32, h: i32, w: i32, c: i32, kernel: i32, stride: i32, padding: i32, cols: i32, dx: i32): void {
  const oh = outputSize(h, kernel, stride, padding);
  const ow = outputSize(w, kernel, stride, padding);
  const pixel = (<usize>c) << 2;
  const kernelRow = (<usize>kernel) * pixel;
  memory.fill(addr(dx), 0, (<usize>(batch * h * w)) * pixel);
  let at = addr(cols);
  for (let b = 0; b < batch; b++) {
    const image = addr(dx) + (<usize>(b * h * w)) * pixel;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const left = ox * stride - padding;
        const kx0 = left < 0 ? -left : 0;
        const kx1 = left + kernel > w ? w - left : kernel;
        for (let ky = 0; ky < kernel; ky++, at += kernelRow) {
          const iy = oy * stride - padding + ky;
          if (iy < 0 || iy >= h || kx1 <= kx0) continue;
          const src = at + (<usize>kx0) * pixel;
          const dst = image + (<usize>(iy * w + left + kx0)) * pixel;
          const nb = (<usize>(kx1 - kx0)) * pixel;
          const n4 = nb & ~(<usize>15);
          let o: usize = 0;
          for (; o < n4; o += 16) v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
          for (; o < nb; o += 4) store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// sumOfSquares: Σ x² in float64 (each square is exact in float64, as in the reference).

export function sumOfSquares(length: i32, x: i32): f64 {
  const px = addr(x);
  const nb = (<usize>length) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let o: usize = 0;
  for (; o < n4; o += 16) {
    const v = v128.load(px + o);
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    s0 = f64x2.add(s0, f64x2.mul(lo, lo));
    s1 = f64x2.add(s1, f64x2.mul(hi, hi));
  }
  const s = f64x2.add(s0, s1);
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; o < nb; o += 4) {
    const v = <f64>load<f32>(px + o);
    total += v * v;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// scale: x *= s

export function scale(length: i32, x: i32, s: f64): void {
  const px = addr(x);
  const nb = (<usize>length) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  const sf = <f32>s;
  const sv = f32x4.splat(sf);
  let o: usize = 0;
  for (; o < n4; o += 16) v128.store(px + o, f32x4.mul(v128.load(px + o), sv));
  for (; o < nb; o += 4) store<f32>(px + o, load<f32>(px + o) * sf);
}

// ---------------------------------------------------------------------------------------------
// Optimizers, in float32 lanes; the scalar constants are computed once in float64.

// stepSize = lr / (1 − β1^step) and bias2Sqrt = sqrt(1 − β2^step) come from the host, computed
// in float64 exactly as the JS reference does (and no pow here: its tables would be a data segment
// written into the shared memory).
export function adamStep(
  length: i32, p: i32, g: i32, m: i32, v: i32,
  stepSize: f64, bias2Sqrt: f64, beta1: f64, beta2: f64, eps: f64,
): void {
  const pp = addr(p), pg = addr(g), pm = addr(m), pv = addr(v);
  const b1 = f32x4.splat(<f32>beta1), ob1 = f32x4.splat(<f32>(1 - beta1));
  const b2 = f32x4.splat(<f32>beta2), ob2 = f32x4.splat(<f32>(1 - beta2));
  const ss = f32x4.splat(<f32>stepSize);
  const ib = f32x4.splat(<f32>(1 / bias2Sqrt));
  const ep = f32x4.splat(<f32>eps);
  const nb = (<usize>length) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  let o: usize = 0;
  for (; o < n4; o += 16) {
    const gr = v128.load(pg + o);
    const mm = f32x4.add(f32x4.mul(b1, v128.load(pm + o)), f32x4.mul(ob1, gr));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(pv + o)), f32x4.mul(f32x4.mul(ob2, gr), gr));
    v128.store(pm + o, mm);
    v128.store(pv + o, vv);
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vv), ib), ep);
    v128.store(pp + o, f32x4.sub(v128.load(pp + o), f32x4.div(f32x4.mul(ss, mm), den)));
  }
  if (o < nb) {
    const b1s = <f32>beta1, ob1s = <f32>(1 - beta1), b2s = <f32>beta2, ob2s = <f32>(1 - beta2);
    const sss = <f32>stepSize, ibs = <f32>(1 / bias2Sqrt), eps32 = <f32>eps;
    for (; o < nb; o += 4) {
      const gr = load<f32>(pg + o);
      const mm = b1s * load<f32>(pm + o) + ob1s * gr;
      const vv = b2s * load<f32>(pv + o) + ob2s * gr * gr;
      store<f32>(pm + o, mm);
      store<f32>(pv + o, vv);
      store<f32>(pp + o, load<f32>(pp + o) - (sss * mm) / (Mathf.sqrt(vv) * ibs + eps32));
    }
  }
}

export function rmspropStep(
  length: i32, p: i32, g: i32, squareAverage: i32, gradAverage: i32,
  lr: f64, alpha: f64, eps: f64,
): void {
  const pp = addr(p), pg = addr(g), ps = addr(squareAverage), pa = addr(gradAverage);
  const centered = gradAverage >= 0;
  const al = f32x4.splat(<f32>alpha), oal = f32x4.splat(<f32>(1 - alpha));
  const lrv = f32x4.splat(<f32>lr), ep = f32x4.splat(<f32>eps);
  const als = <f32>alpha, oals = <f32>(1 - alpha), lrs = <f32>lr, eps32 = <f32>eps;
  const nb = (<usize>length) << 2;
  const n4 = (<usize>(length & ~3)) << 2;
  let o: usize = 0;
  if (centered) {
    for (; o < n4; o += 16) {
      const gr = v128.load(pg + o);
      const sq = f32x4.add(f32x4.mul(al, v128.load(ps + o)), f32x4.mul(f32x4.mul(oal, gr), gr));
      const ga = f32x4.add(f32x4.mul(al, v128.load(pa + o)), f32x4.mul(oal, gr));
      v128.store(ps + o, sq);
      v128.store(pa + o, ga);
      const den = f32x4.add(f32x4.sqrt(f32x4.sub(sq, f32x4.mul(ga, ga))), ep);
      v128.store(pp + o, f32x4.sub(v128.load(pp + o), f32x4.div(f32x4.mul(lrv, gr), den)));
    }
    for (; o < nb; o += 4) {
      const gr = load<f32>(pg + o);
      const sq = als * load<f32>(ps + o) + oals * gr * gr;
      const ga = als * load<f32>(pa + o) + oals * gr;
      store<f32>(ps + o, sq);
      store<f32>(pa + o, ga);
      store<f32>(pp + o, load<f32>(pp + o) - (lrs * gr) / (Mathf.sqrt(sq - ga * ga) + eps32));
    }
  } else {
    for (; o < n4; o += 16) {
      const gr = v128.load(pg + o);
      const sq = f32x4.add(f32x4.mul(al, v128.load(ps + o)), f32x4.mul(f32x4.mul(oal, gr), gr));
      v128.store(ps + o, sq);
      const den = f32x4.add(f32x4.sqrt(sq), ep);
      v128.store(pp + o, f32x4.sub(v128.load(pp + o), f32x4.div(f32x4.mul(lrv, gr), den)));
    }
    for (; o < nb; o += 4) {
      const gr = load<f32>(pg + o);
      const sq = als * load<f32>(ps + o) + oals * gr * gr;
      store<f32>(ps + o, sq);
      store<f32>(pp + o, load<f32>(pp + o) - (lrs * gr) / (Mathf.sqrt(sq) + eps32));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Transformer kernels (src/nn/transformer.ts; the plain-loop reference is in that file):
// LayerNorm, GELU (tanh form, with tanh4 above) and causal multi-head attention over a packed
// qkv (rows of q | k | v, head h at columns h·hs…). Sums are float32.

/** exp(y) in float32 lanes for y ≤ 0 (softmax after subtracting the max), clamped at −87 (then ~1e-38):
 * y = n·ln2 + r as in tanh4, exp(y) = 2^n·(1 + expm1(r)) with tanh4's expm1 polynomial. */
// @ts-ignore: decorator
@inline function exp4(v: v128): v128 {
  const y = f32x4.pmax(v, f32x4.splat(-87.0));
  const magic = f32x4.splat(12582912.0);
  const t = f32x4.add(f32x4.mul(y, f32x4.splat(1.44269504088896341)), magic);
  const nf = f32x4.sub(t, magic);
  const r = f32x4.sub(
    f32x4.sub(y, f32x4.mul(nf, f32x4.splat(0.693145751953125))),
    f32x4.mul(nf, f32x4.splat(1.428606765330187045e-6)),
  );
  let p = f32x4.splat(0.0001982409303309396);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.0013933333102613688));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.008333420380949974));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.041666481643915176));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.1666666567325592));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  const em1r = f32x4.add(r, f32x4.mul(f32x4.mul(r, r), p));
  const twoN = i32x4.add(i32x4.shl(t, 23), i32x4.splat(0x3f800000));
  return f32x4.mul(twoN, f32x4.add(f32x4.splat(1.0), em1r));
}

/** Scalar exp(y), y ≤ 0, through exp4 (the std Mathf.exp carries a lookup table, which these kernels cannot). */
// @ts-ignore: decorator
@inline function expNeg(y: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(y)), 0);
}

/** Σ over `len` floats from byte address p (f32x4 partial sums, scalar tail). */
// @ts-ignore: decorator
@inline function sumRow(p: usize, len: i32): f32 {
  const n4 = (<usize>(len & ~3)) << 2;
  const nb = (<usize>len) << 2;
  let acc = f32x4.splat(0);
  let o: usize = 0;
  for (; o < n4; o += 16) acc = f32x4.add(acc, v128.load(p + o));
  let s = hsum(acc);
  for (; o < nb; o += 4) s += load<f32>(p + o);
  return s;
}

/** Σ a[i]·b[i] over `len` floats. */
// @ts-ignore: decorator
@inline function dotRow(a: usize, b: usize, len: i32): f32 {
  const n4 = (<usize>(len & ~3)) << 2;
  const nb = (<usize>len) << 2;
  let acc = f32x4.splat(0);
  let o: usize = 0;
  for (; o < n4; o += 16) acc = mac(acc, v128.load(a + o), v128.load(b + o));
  let s = hsum(acc);
  for (; o < nb; o += 4) s += load<f32>(a + o) * load<f32>(b + o);
  return s;
}

/** y[i] += s·x[i] over `len` floats. */
// @ts-ignore: decorator
@inline function axpyRow(y: usize, s: f32, x: usize, len: i32): void {
  const n4 = (<usize>(len & ~3)) << 2;
  const nb = (<usize>len) << 2;
  const sv = f32x4.splat(s);
  let o: usize = 0;
  for (; o < n4; o += 16) v128.store(y + o, mac(v128.load(y + o), sv, v128.load(x + o)));
  for (; o < nb; o += 4) store<f32>(y + o, load<f32>(y + o) + s * load<f32>(x + o));
}

// out = (x − mean)·rstd·w + b per row of c; mean and rstd (1/√(var + 1e-5)) kept per row.
export function layerNormForward(n: i32, c: i32, inp: i32, weight: i32, bias: i32, out: i32, mean: i32, rstd: i32): void {
  const pw = addr(weight), pb = addr(bias);
  const n4 = (<usize>(c & ~3)) << 2;
  const cb = (<usize>c) << 2;
  const invC: f32 = 1 / <f32>c;
  for (let r = 0; r < n; r++) {
    const px = addr(inp) + (<usize>r) * cb;
    const py = addr(out) + (<usize>r) * cb;
    const m = sumRow(px, c) * invC;
    const mv = f32x4.splat(m);
    let acc = f32x4.splat(0);
    let o: usize = 0;
    for (; o < n4; o += 16) {
      const d = f32x4.sub(v128.load(px + o), mv);
      acc = mac(acc, d, d);
    }
    let v = hsum(acc);
    for (; o < cb; o += 4) {
      const d = load<f32>(px + o) - m;
      v += d * d;
    }
    const s: f32 = 1 / Mathf.sqrt(v * invC + 1e-5);
    const sv = f32x4.splat(s);
    o = 0;
    for (; o < n4; o += 16) {
      const norm = f32x4.mul(f32x4.sub(v128.load(px + o), mv), sv);
      v128.store(py + o, mac(v128.load(pb + o), norm, v128.load(pw + o)));
    }
    for (; o < cb; o += 4) store<f32>(py + o, (load<f32>(px + o) - m) * s * load<f32>(pw + o) + load<f32>(pb + o));
    store<f32>(addr(mean + r), m);
    store<f32>(addr(rstd + r), s);
  }
}

// dinp += (w·dout − mean(w·dout) − norm·mean(w·dout·norm))·rstd; dweight += norm·dout; dbias += dout.
export function layerNormBackward(n: i32, c: i32, dinp: i32, dweight: i32, dbias: i32, dout: i32, inp: i32, weight: i32, mean: i32, rstd: i32): void {
  const pw = addr(weight), pdw = addr(dweight), pdb = addr(dbias);
  const cb = (<usize>c) << 2;
  const invC: f32 = 1 / <f32>c;
  for (let r = 0; r < n; r++) {
    const px = addr(inp) + (<usize>r) * cb;
    const pd = addr(dout) + (<usize>r) * cb;
    const pdx = addr(dinp) + (<usize>r) * cb;
    const m = load<f32>(addr(mean + r));
    const s = load<f32>(addr(rstd + r));
    let dnormMean: f32 = 0;
    let dnormNormMean: f32 = 0;
    for (let o: usize = 0; o < cb; o += 4) {
      const norm = (load<f32>(px + o) - m) * s;
      const dnorm = load<f32>(pw + o) * load<f32>(pd + o);
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean *= invC;
    dnormNormMean *= invC;
    for (let o: usize = 0; o < cb; o += 4) {
      const d = load<f32>(pd + o);
      const norm = (load<f32>(px + o) - m) * s;
      store<f32>(pdb + o, load<f32>(pdb + o) + d);
      store<f32>(pdw + o, load<f32>(pdw + o) + norm * d);
      store<f32>(pdx + o, load<f32>(pdx + o) + (load<f32>(pw + o) * d - dnormMean - norm * dnormNormMean) * s);
    }
  }
}

// out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); the tanh goes to tanhOut unless it is < 0.
export function geluForward(length: i32, inp: i32, out: i32, tanhOut: i32): void {
  const px = addr(inp), py = addr(out), pt = addr(tanhOut);
  const keep = tanhOut >= 0;
  const n4 = (<usize>(length & ~3)) << 2;
  const nb = (<usize>length) << 2;
  const k = f32x4.splat(0.7978845608028654);
  const c3 = f32x4.splat(0.044715);
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  let o: usize = 0;
  for (; o < n4; o += 16) {
    const x = v128.load(px + o);
    const th = tanh4(f32x4.mul(k, mac(x, c3, f32x4.mul(x, f32x4.mul(x, x)))));
    if (keep) v128.store(pt + o, th);
    v128.store(py + o, f32x4.mul(f32x4.mul(half, x), f32x4.add(one, th)));
  }
  for (; o < nb; o += 4) {
    const x = load<f32>(px + o);
    const th = f32x4.extract_lane(tanh4(f32x4.splat(0.7978845608028654 * (x + 0.044715 * x * x * x))), 0);
    if (keep) store<f32>(pt + o, th);
    store<f32>(py + o, 0.5 * x * (1 + th));
  }
}

// dinp = dout·(0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)), t the kept tanh.
export function geluBackward(length: i32, inp: i32, tanhOf: i32, dout: i32, dinp: i32): void {
  const px = addr(inp), pt = addr(tanhOf), pd = addr(dout), pdx = addr(dinp);
  const n4 = (<usize>(length & ~3)) << 2;
  const nb = (<usize>length) << 2;
  const k = f32x4.splat(0.7978845608028654);
  const c3 = f32x4.splat(3 * 0.044715);
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  let o: usize = 0;
  for (; o < n4; o += 16) {
    const x = v128.load(px + o);
    const t = v128.load(pt + o);
    const sech2 = f32x4.mul(f32x4.sub(one, t), f32x4.add(one, t));
    const inner = f32x4.mul(k, mac(one, c3, f32x4.mul(x, x)));
    const grad = f32x4.add(f32x4.mul(half, f32x4.add(one, t)), f32x4.mul(f32x4.mul(half, x), f32x4.mul(sech2, inner)));
    v128.store(pdx + o, f32x4.mul(grad, v128.load(pd + o)));
  }
  for (; o < nb; o += 4) {
    const x = load<f32>(px + o);
    const t = load<f32>(pt + o);
    const grad: f32 = 0.5 * (1 + t) + 0.5 * x * (1 - t) * (1 + t) * 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
    store<f32>(pdx + o, grad * load<f32>(pd + o));
  }
}

// Causal attention, B sequences of T positions: att (B, NH, T, T) keeps the softmax (zero above
// the diagonal); out (B, T, C) = att · v per head.
export function attentionForward(b: i32, t: i32, c: i32, nh: i32, qkv: i32, att: i32, out: i32): void {
  const hs = c / nh;
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs);
  const c3 = 3 * c;
  for (let bi = 0; bi < b; bi++)
    for (let ti = 0; ti < t; ti++)
      for (let h = 0; h < nh; h++) {
        const q = addr(qkv + (bi * t + ti) * c3 + h * hs);
        const a = addr(att + ((bi * nh + h) * t + ti) * t);
        let max: f32 = -Infinity;
        for (let t2 = 0; t2 <= ti; t2++) {
          const s = dotRow(q, addr(qkv + (bi * t + t2) * c3 + c + h * hs), hs) * scale;
          store<f32>(a + ((<usize>t2) << 2), s);
          if (s > max) max = s;
        }
        let sum: f32 = 0;
        for (let t2 = 0; t2 <= ti; t2++) {
          const e = expNeg(load<f32>(a + ((<usize>t2) << 2)) - max);
          store<f32>(a + ((<usize>t2) << 2), e);
          sum += e;
        }
        const inv: f32 = 1 / sum;
        const o = addr(out + (bi * t + ti) * c + h * hs);
        memory.fill(o, 0, (<usize>hs) << 2);
        for (let t2 = 0; t2 <= ti; t2++) {
          const w = load<f32>(a + ((<usize>t2) << 2)) * inv;
          store<f32>(a + ((<usize>t2) << 2), w);
          axpyRow(o, w, addr(qkv + (bi * t + t2) * c3 + 2 * c + h * hs), hs);
        }
        for (let t2 = ti + 1; t2 < t; t2++) store<f32>(a + ((<usize>t2) << 2), 0);
      }
}

// dqkv (overwritten) from dout through the weighted sum of values and the softmax; datt is scratch
// the size of att.
export function attentionBackward(b: i32, t: i32, c: i32, nh: i32, dqkv: i32, datt: i32, dout: i32, qkv: i32, att: i32): void {
  const hs = c / nh;
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs);
  const c3 = 3 * c;
  memory.fill(addr(dqkv), 0, (<usize>(b * t * c3)) << 2);
  for (let bi = 0; bi < b; bi++)
    for (let ti = 0; ti < t; ti++)
      for (let h = 0; h < nh; h++) {
        const a = addr(att + ((bi * nh + h) * t + ti) * t);
        const da = addr(datt + ((bi * nh + h) * t + ti) * t);
        const o = addr(dout + (bi * t + ti) * c + h * hs);
        const q = (bi * t + ti) * c3 + h * hs;
        let dot: f32 = 0;
        for (let t2 = 0; t2 <= ti; t2++) {
          const v = (bi * t + t2) * c3 + 2 * c + h * hs;
          const w = load<f32>(a + ((<usize>t2) << 2));
          const d = dotRow(addr(qkv + v), o, hs);
          axpyRow(addr(dqkv + v), w, o, hs);
          store<f32>(da + ((<usize>t2) << 2), d);
          dot += w * d;
        }
        for (let t2 = 0; t2 <= ti; t2++) {
          const dpre = load<f32>(a + ((<usize>t2) << 2)) * (load<f32>(da + ((<usize>t2) << 2)) - dot) * scale;
          const k = (bi * t + t2) * c3 + c + h * hs;
          axpyRow(addr(dqkv + q), dpre, addr(qkv + k), hs);
          axpyRow(addr(dqkv + k), dpre, addr(qkv + q), hs);
        }
      }
}

// One decoding position for `rows` sequences: appends each row's k and v (from qkv, rows × 3C) at
// position pos of the caches (rows × ctx × C) and writes the attention output y (rows × C);
// scores is scratch of ctx floats.
export function attentionDecode(rows: i32, ctx: i32, pos: i32, c: i32, nh: i32, qkv: i32, keys: i32, values: i32, y: i32, scores: i32): void {
  const hs = c / nh;
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs);
  const ps = addr(scores);
  for (let r = 0; r < rows; r++) {
    const q0 = qkv + r * 3 * c;
    const base = (r * ctx + pos) * c;
    memory.copy(addr(keys + base), addr(q0 + c), (<usize>c) << 2);
    memory.copy(addr(values + base), addr(q0 + 2 * c), (<usize>c) << 2);
    for (let h = 0; h < nh; h++) {
      const q = addr(q0 + h * hs);
      let max: f32 = -Infinity;
      for (let t2 = 0; t2 <= pos; t2++) {
        const s = dotRow(q, addr(keys + (r * ctx + t2) * c + h * hs), hs) * scale;
        store<f32>(ps + ((<usize>t2) << 2), s);
        if (s > max) max = s;
      }
      let sum: f32 = 0;
      for (let t2 = 0; t2 <= pos; t2++) {
        const e = expNeg(load<f32>(ps + ((<usize>t2) << 2)) - max);
        store<f32>(ps + ((<usize>t2) << 2), e);
        sum += e;
      }
      const inv: f32 = 1 / sum;
      const o = addr(y + r * c + h * hs);
      memory.fill(o, 0, (<usize>hs) << 2);
      for (let t2 = 0; t2 <= pos; t2++) axpyRow(o, load<f32>(ps + ((<usize>t2) << 2)) * inv, addr(values + (r * ctx + t2) * c + h * hs), hs);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// decodeStep: one decoding position of a transformer for n rows in one call — the sampler's fast
// path (src/nn/transformer-decode.ts). Transformer.step calls the kernels above one by one over
// every row; this calls the same kernels in the same order per row, on tiles of rows whose
// activations stay in the L1 cache, with the residual adds and the embedding done here. Every
// product computes each output element the same way whatever the row count, so the logits are
// bit-identical to the plain path's. Compact row i (from ≤ i < to) reads its token from tokens[i]
// and its cache from cache row rows[i], so the caller computes only the rows it needs (one per
// distinct prefix); its logits go to logits + i·V.
// full = 0: only the keys and values are needed (a prompt position before the last), so the last
// layer stops after its k, v and no logits are made. `plan` holds the shapes and offsets (i32):
// C, NH, H, V, ctx, layers, tile, wte, wpe, lnfw, lnfb, tokens, rows, logits, and scratch for
// every compact row x, ln, qkv, y, h, tmp, mean, scores (ctx + 4 per row), rstd — a tile uses the
// rows of its own compact rows, so threads running disjoint rows share the plan; then per layer
// ln1w, ln1b, qkvw, qkvb, projw, projb, ln2w, ln2b, fcw, fcb, fcprojw, fcprojb, keys, values.
// C, H and C/NH must be multiples of 4.

// @ts-ignore: decorator
@inline function planAt(plan: i32, i: i32): i32 {
  return load<i32>(addr(plan + i));
}

export function decodeStep(plan: i32, from: i32, to: i32, pos: i32, full: i32): void {
  const c = planAt(plan, 0), nh = planAt(plan, 1), hid = planAt(plan, 2), vocab = planAt(plan, 3);
  const ctx = planAt(plan, 4), layers = planAt(plan, 5), tile = planAt(plan, 6);
  const wte = planAt(plan, 7), wpe = planAt(plan, 8), lnfw = planAt(plan, 9), lnfb = planAt(plan, 10);
  const tokens = planAt(plan, 11), rows = planAt(plan, 12), logits = planAt(plan, 13);
  const pe = addr(wpe + pos * c);
  const cb = (<usize>c) << 2;
  for (let t0 = from; t0 < to; t0 += tile) {
    const m = min(tile, to - t0);
    const x = planAt(plan, 14) + t0 * c, ln = planAt(plan, 15) + t0 * c, qkv = planAt(plan, 16) + t0 * 3 * c;
    const y = planAt(plan, 17) + t0 * c, h = planAt(plan, 18) + t0 * hid, tmp = planAt(plan, 19) + t0 * c;
    const mean = planAt(plan, 20) + t0, scores = planAt(plan, 21) + t0 * (ctx + 4), rstd = planAt(plan, 22) + t0;
    for (let i = 0; i < m; i++) {
      const te = addr(wte + load<i32>(addr(tokens + t0 + i)) * c);
      const px = addr(x + i * c);
      for (let o: usize = 0; o < cb; o += 16) v128.store(px + o, f32x4.add(v128.load(te + o), v128.load(pe + o)));
    }
    for (let l = 0; l < layers; l++) {
      const p = plan + 23 + l * 14;
      layerNormForward(m, c, x, planAt(p, 0), planAt(p, 1), ln, mean, rstd);
      linearForward(m, c, 3 * c, ln, planAt(p, 2), planAt(p, 3), qkv);
      const kvOnly = full == 0 && l == layers - 1;
      decodeAttention(m, c, nh, ctx, pos, qkv, y, rows + t0, planAt(p, 12), planAt(p, 13), scores, kvOnly);
      if (kvOnly) break;
      linearForward(m, c, c, y, planAt(p, 4), planAt(p, 5), tmp);
      addRows(m * c, x, tmp);
      layerNormForward(m, c, x, planAt(p, 6), planAt(p, 7), ln, mean, rstd);
      linearForward(m, c, hid, ln, planAt(p, 8), planAt(p, 9), h);
      geluForward(m * hid, h, h, -1);
      linearForward(m, hid, c, h, planAt(p, 10), planAt(p, 11), tmp);
      addRows(m * c, x, tmp);
    }
    if (full != 0) {
      layerNormForward(m, c, x, lnfw, lnfb, ln, mean, rstd);
      matmulNT(m, c, vocab, ln, wte, logits + t0 * vocab, 0);
    }
  }
}

/** x += d over `length` floats (a multiple of 4). */
// @ts-ignore: decorator
@inline function addRows(length: i32, x: i32, d: i32): void {
  const px = addr(x), pd = addr(d);
  const nb = (<usize>length) << 2;
  for (let o: usize = 0; o < nb; o += 16) v128.store(px + o, f32x4.add(v128.load(px + o), v128.load(pd + o)));
}

// attentionDecode's arithmetic, per lane in the same order, with the scores of four positions
// at a time (reduce4 of four dot products is their four hsums) and each head's output held in
// registers across positions; compact row i appends to and reads cache row rows[i].
function decodeAttention(m: i32, c: i32, nh: i32, ctx: i32, pos: i32, qkv: i32, y: i32, rows: i32, keys: i32, values: i32, scores: i32, kvOnly: bool): void {
  const hs = c / nh;
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs);
  const scaleV = f32x4.splat(scale);
  const ps = addr(scores);
  const cb = (<usize>c) << 2;
  const hsb = (<usize>hs) << 2;
  const zero = f32x4.splat(0);
  const count = pos + 1;
  for (let i = 0; i < m; i++) {
    const r = load<i32>(addr(rows + i));
    const q0 = addr(qkv + i * 3 * c);
    const rowK = addr(keys + r * ctx * c);
    const rowV = addr(values + r * ctx * c);
    memory.copy(rowK + <usize>pos * cb, q0 + cb, cb);
    memory.copy(rowV + <usize>pos * cb, q0 + 2 * cb, cb);
    if (kvOnly) continue;
    for (let hd = 0; hd < nh; hd++) {
      const hOff = <usize>hd * hsb;
      const q = q0 + hOff;
      let max: f32 = -Infinity;
      let t2 = 0;
      for (; t2 + 4 <= count; t2 += 4) {
        const k0 = rowK + <usize>t2 * cb + hOff;
        const k1 = k0 + cb, k2 = k1 + cb, k3 = k2 + cb;
        let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (let o: usize = 0; o < hsb; o += 16) {
          const qv = v128.load(q + o);
          a0 = mac(a0, qv, v128.load(k0 + o));
          a1 = mac(a1, qv, v128.load(k1 + o));
          a2 = mac(a2, qv, v128.load(k2 + o));
          a3 = mac(a3, qv, v128.load(k3 + o));
        }
        const s = f32x4.mul(reduce4(a0, a1, a2, a3), scaleV);
        v128.store(ps + ((<usize>t2) << 2), s);
        const s0 = f32x4.extract_lane(s, 0), s1 = f32x4.extract_lane(s, 1), s2 = f32x4.extract_lane(s, 2), s3 = f32x4.extract_lane(s, 3);
        if (s0 > max) max = s0;
        if (s1 > max) max = s1;
        if (s2 > max) max = s2;
        if (s3 > max) max = s3;
      }
      for (; t2 < count; t2++) {
        const s = dotRow(q, rowK + <usize>t2 * cb + hOff, hs) * scale;
        store<f32>(ps + ((<usize>t2) << 2), s);
        if (s > max) max = s;
      }
      let sum: f32 = 0;
      const maxV = f32x4.splat(max);
      t2 = 0;
      for (; t2 + 4 <= count; t2 += 4) {
        const e = exp4(f32x4.sub(v128.load(ps + ((<usize>t2) << 2)), maxV));
        v128.store(ps + ((<usize>t2) << 2), e);
        sum += f32x4.extract_lane(e, 0);
        sum += f32x4.extract_lane(e, 1);
        sum += f32x4.extract_lane(e, 2);
        sum += f32x4.extract_lane(e, 3);
      }
      for (; t2 < count; t2++) {
        const e = expNeg(load<f32>(ps + ((<usize>t2) << 2)) - max);
        store<f32>(ps + ((<usize>t2) << 2), e);
        sum += e;
      }
      const inv: f32 = 1 / sum;
      const out = addr(y + i * c) + hOff;
      // four vectors of the head's output at a time stay in registers over all positions
      let o: usize = 0;
      for (; o + 64 <= hsb; o += 64) {
        let o0 = zero, o1 = zero, o2 = zero, o3 = zero;
        let v = rowV + hOff + o;
        for (let t = 0; t < count; t++) {
          const w = f32x4.splat(load<f32>(ps + ((<usize>t) << 2)) * inv);
          o0 = mac(o0, w, v128.load(v));
          o1 = mac(o1, w, v128.load(v, 16));
          o2 = mac(o2, w, v128.load(v, 32));
          o3 = mac(o3, w, v128.load(v, 48));
          v += cb;
        }
        v128.store(out + o, o0);
        v128.store(out + o, o1, 16);
        v128.store(out + o, o2, 32);
        v128.store(out + o, o3, 48);
      }
      for (; o < hsb; o += 16) {
        let o0 = zero;
        let v = rowV + hOff + o;
        for (let t = 0; t < count; t++) {
          o0 = mac(o0, f32x4.splat(load<f32>(ps + ((<usize>t) << 2)) * inv), v128.load(v));
          v += cb;
        }
        v128.store(out + o, o0);
      }
    }
  }
}
