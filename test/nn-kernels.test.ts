/**
 * The WASM SIMD kernels against the plain-JS reference: every kernel on identical copies of a
 * seeded random memory, for shapes that hit every block remainder and for the real RL shapes;
 * outputs within float32 rounding, and every float outside the outputs left untouched (guards).
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { createJsKernels } from "../src/nn/js-kernels.js";
import type { Kernels } from "../src/nn/kernels.js";
import { createWasmKernels, kernelFma, wasmSimdAvailable } from "../src/nn/wasm-kernels.js";
import { uniforms } from "./random.js";

const EPS32 = 2 ** -23;
/** Floats of untouched guard space before, between and after the operands. */
const GUARD = 7;

const js = createJsKernels(new WebAssembly.Memory({ initial: 32 }));
// (the suite is skipped where SIMD is missing; the stand-in only keeps module loading from throwing)
const wasm = wasmSimdAvailable() ? createWasmKernels(new WebAssembly.Memory({ initial: 32 })) : createJsKernels();

const f32 = (k: Kernels): Float32Array => new Float32Array(k.memory.buffer);

/** Grows `k`'s memory to hold `floats` floats. */
function ensure(k: Kernels, floats: number): void {
  const have = k.memory.buffer.byteLength / 4;
  if (floats > have) k.memory.grow(Math.ceil((floats - have) / 16384));
}

interface Operand {
  ptr: number;
  length: number;
}

/**
 * Lays out operands of the given lengths with guard gaps and odd offsets (so that rows and
 * vectors are not 16-byte aligned), fills [0, end) of both memories with the same random values
 * in [-1, 1) (`fill` may override an operand's values), and returns the operands and the original.
 */
function setup(seed: number, lengths: number[], fill?: (i: number, values: Float32Array, rand: () => number) => void) {
  const rand = uniforms(seed);
  const ops: Operand[] = [];
  let at = GUARD + Math.floor(rand() * 4);
  for (const length of lengths) {
    ops.push({ ptr: at, length });
    at += length + GUARD + Math.floor(rand() * 4);
  }
  const end = at + GUARD;
  const original = new Float32Array(end);
  for (let i = 0; i < end; i++) original[i] = 2 * rand() - 1;
  if (fill) for (let i = 0; i < ops.length; i++) fill(i, original.subarray(ops[i].ptr, ops[i].ptr + ops[i].length), rand);
  for (const k of [js, wasm]) {
    ensure(k, end);
    f32(k).set(original);
  }
  return { ops, original, end };
}

/** Largest observed error in units of each kernel's own tolerance, and the largest absolute difference. */
const worst = new Map<string, { ratio: number; abs: number }>();

function note(name: string, ratio: number, abs: number): void {
  const w = worst.get(name) ?? { ratio: 0, abs: 0 };
  worst.set(name, { ratio: Math.max(w.ratio, ratio), abs: Math.max(w.abs, abs) });
}

/**
 * Checks the outputs (wasm against js, |Δ| ≤ tol(element offset in the operand, op index)) and that
 * every other float of [0, end) still holds its original value in both memories.
 */
function check(
  name: string,
  setupResult: { ops: Operand[]; original: Float32Array; end: number },
  outputs: number[],
  tol: (op: number, i: number, ref: number) => number,
): void {
  const { ops, original, end } = setupResult;
  const a = f32(js);
  const b = f32(wasm);
  const isOutput = new Uint8Array(end);
  for (const o of outputs) isOutput.fill(1, ops[o].ptr, ops[o].ptr + ops[o].length);
  for (const o of outputs) {
    const { ptr, length } = ops[o];
    for (let i = 0; i < length; i++) {
      const ref = a[ptr + i];
      const got = b[ptr + i];
      if (Object.is(got, ref)) continue; // also ±Infinity and NaN
      const t = tol(o, i, ref);
      const d = Math.abs(got - ref);
      if (!(d <= t)) {
        assert.fail(`${name}: operand ${o} element ${i}: wasm ${got}, js ${ref} (|Δ| ${d} > ${t})`);
      }
      if (t > 0 && Number.isFinite(d)) note(name, d / t, d);
    }
  }
  for (let i = 0; i < end; i++) {
    if (isOutput[i]) continue;
    if (!Object.is(b[i], original[i])) assert.fail(`${name}: wasm wrote float ${i} outside its outputs (${original[i]} → ${b[i]})`);
    if (!Object.is(a[i], original[i])) assert.fail(`${name}: js wrote float ${i} outside its outputs`);
  }
}

/** Tolerance for a float32 sum of `terms` terms whose absolute values add up to `absSum`. */
function sumTol(terms: number, absSum: number): number {
  return 4 * EPS32 * Math.sqrt(terms + 1) * absSum + 1e-30;
}

type Product = "linearForward" | "matmulNT" | "matmulTN";

/** Σ|terms| of output (i, j) of each product, from the original values. */
function productAbsSum(kind: Product, m: number, k: number, n: number, v: Float32Array, pa: number, pb: number, pc: number, init: boolean, i: number, j: number): number {
  let s = init ? Math.abs(v[pc]) : 0;
  for (let p = 0; p < k; p++) {
    const x = kind === "matmulTN" ? v[pa + p * m + i] : v[pa + i * k + p];
    const y = kind === "matmulNT" ? v[pb + j * k + p] : v[pb + p * n + j];
    s += Math.abs(x * y);
  }
  return s;
}

let seed = 1;

function runProduct(kind: Product, m: number, k: number, n: number, flag: boolean): void {
  const name = `${kind}(${m},${k},${n}${kind === "linearForward" ? (flag ? ",bias" : "") : flag ? ",acc" : ""})`;
  const aLen = m * k;
  const bLen = k * n;
  const s = setup(seed++, kind === "linearForward" ? [aLen, bLen, n, m * n] : [aLen, bLen, m * n]);
  const [A, B] = s.ops;
  const C = s.ops[s.ops.length - 1];
  const bias = kind === "linearForward" ? s.ops[2] : null;
  for (const kern of [js, wasm]) {
    if (kind === "linearForward") kern.linearForward(m, k, n, A.ptr, B.ptr, flag ? bias!.ptr : -1, C.ptr);
    else kern[kind](m, k, n, A.ptr, B.ptr, C.ptr, flag);
  }
  check(name, s, [s.ops.length - 1], (_o, idx, ref) => {
    const i = Math.floor(idx / n);
    const j = idx % n;
    const initPtr = kind === "linearForward" ? bias!.ptr + j : C.ptr + idx;
    const abs = productAbsSum(kind, m, k, n, s.original, A.ptr, B.ptr, initPtr, flag, i, j);
    return sumTol(k, Math.max(abs, Math.abs(ref)));
  });
}

const EDGE = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const RL_SHAPES: [number, number, number][] = [
  [4, 4, 64], [128, 4, 64], [128, 64, 64], [128, 64, 2], [128, 64, 1], [128, 4, 120],
  [128, 120, 84], [128, 84, 2], [1, 4, 120], [512, 64, 64],
];

// test/nn-fma.test.ts runs this suite again on the kernels with fused multiply-adds (setKernelFma)
describe(`nn kernels: wasm SIMD${kernelFma() ? " with FMA (relaxed SIMD)" : ""} against the JS reference`, { skip: !wasmSimdAvailable() && "no WebAssembly SIMD" }, () => {
  it("probes SIMD support and names itself", () => {
    assert.equal(wasmSimdAvailable(), true);
    assert.equal(wasm.name, "wasm");
    assert.equal(js.name, "js");
  });

  for (const kind of ["linearForward", "matmulNT", "matmulTN"] as const) {
    it(`${kind}: every m, k, n remainder, ${kind === "linearForward" ? "with and without bias" : "set and accumulate"}`, () => {
      for (const m of EDGE) for (const k of EDGE) for (const n of EDGE) for (const flag of [false, true]) runProduct(kind, m, k, n, flag);
    });
    it(`${kind}: the RL shapes`, () => {
      for (const [m, k, n] of RL_SHAPES) for (const flag of [false, true]) runProduct(kind, m, k, n, flag);
    });
  }

  it("columnSums: set and accumulate", () => {
    for (const m of [...EDGE, 128, 512]) {
      for (const n of [...EDGE, 64, 84, 120]) {
        for (const acc of [false, true]) {
          const s = setup(seed++, [m * n, n]);
          const [A, out] = s.ops;
          for (const kern of [js, wasm]) kern.columnSums(m, n, A.ptr, out.ptr, acc);
          check(`columnSums(${m},${n})`, s, [1], (_o, j) => {
            let abs = acc ? Math.abs(s.original[out.ptr + j]) : 0;
            for (let i = 0; i < m; i++) abs += Math.abs(s.original[A.ptr + i * n + j]);
            return sumTol(m, abs);
          });
        }
      }
    }
  });

  const LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 1000, 8192, 8195];
  /** Mostly-random values with the special ones sprinkled in. */
  const SPECIAL = [0, -0, 1e-30, -1e-30, 1e-8, 2 ** -12, -(2 ** -12), 2 ** -12 * 0.999, 0.5, 9, 9.02, -9.02, 10, 20, 100, -100, Infinity, -Infinity, NaN];
  const spread = (scale: number) => (_i: number, v: Float32Array, rand: () => number) => {
    for (let j = 0; j < v.length; j++) v[j] = rand() < 0.1 ? SPECIAL[Math.floor(rand() * SPECIAL.length)] : scale * (2 * rand() - 1);
  };

  it("tanhForward: within 2e-7 of Math.tanh, separate and in place", () => {
    for (const length of LENGTHS) {
      for (const scale of [0.01, 1, 4, 12]) {
        for (const inPlace of [false, true]) {
          const s = setup(seed++, inPlace ? [length] : [length, length], spread(scale));
          const [x, y] = inPlace ? [s.ops[0], s.ops[0]] : s.ops;
          for (const kern of [js, wasm]) kern.tanhForward(length, x.ptr, y.ptr);
          check("tanhForward", s, [inPlace ? 0 : 1], () => 2e-7);
        }
      }
    }
  });

  it("tanhForward: a dense sweep of inputs stays within 2e-7 of Math.tanh (float64)", (t: TestContext) => {
    const count = 1 << 18;
    const s = setup(seed++, [count], (_i, v) => {
      for (let j = 0; j < count; j++) {
        const u = j / count;
        // half logarithmic from 1e-9 to 30, half linear over [-10, 10]
        v[j] = j % 2 === 0 ? Math.exp(Math.log(1e-9) + u * (Math.log(30) - Math.log(1e-9))) : -10 + 20 * u;
      }
    });
    const x = s.ops[0];
    wasm.tanhForward(count, x.ptr, x.ptr);
    const got = f32(wasm);
    let maxErr = 0;
    let differing = 0;
    for (let j = 0; j < count; j++) {
      const ref = Math.tanh(s.original[x.ptr + j]);
      const err = Math.abs(got[x.ptr + j] - ref);
      maxErr = Math.max(maxErr, err);
      if (got[x.ptr + j] !== Math.fround(ref)) differing++;
    }
    t.diagnostic(`tanh sweep: max |wasm − Math.tanh| = ${maxErr.toExponential(3)}, ${differing} of ${count} differ from fround(Math.tanh)`);
    assert.ok(maxErr <= 2e-7, `max error ${maxErr}`);
  });

  it("tanhForward: every float32 in [4, 8), where the error peaks, is within 2e-7 of Math.tanh", () => {
    const chunk = 1 << 20;
    const x = 64;
    ensure(wasm, x + chunk + 64);
    let maxErr = 0;
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    for (let start = 0x40800000; start < 0x41000000; start += chunk) {
      const u = new Uint32Array(wasm.memory.buffer);
      for (let i = 0; i < chunk; i++) u[x + i] = start + i;
      wasm.tanhForward(chunk, x, x);
      const v = f32(wasm);
      for (let i = 0; i < chunk; i++) {
        bits[0] = start + i;
        maxErr = Math.max(maxErr, Math.abs(v[x + i] - Math.tanh(asFloat[0])));
      }
    }
    assert.ok(maxErr <= 2e-7, `max error ${maxErr}`);
  });

  it("tanhBackward: separate and with dx aliasing dy", () => {
    for (const length of LENGTHS) {
      for (const alias of [false, true]) {
        const s = setup(seed++, alias ? [length, length] : [length, length, length], (i, v, rand) => {
          if (i === 0) for (let j = 0; j < v.length; j++) v[j] = Math.tanh(6 * (2 * rand() - 1)); // y = tanh(x), some near ±1
        });
        const [y, dy] = s.ops;
        const dx = alias ? dy : s.ops[2];
        for (const kern of [js, wasm]) kern.tanhBackward(length, y.ptr, dy.ptr, dx.ptr);
        check("tanhBackward", s, [alias ? 1 : 2], (_o, _i, ref) => 4 * EPS32 * Math.abs(ref) + 1e-38);
      }
    }
  });

  it("reluForward and reluBackward: bit-identical, separate and in place / aliased", () => {
    for (const length of LENGTHS) {
      for (const alias of [false, true]) {
        let s = setup(seed++, alias ? [length] : [length, length], spread(1));
        let [x, y] = alias ? [s.ops[0], s.ops[0]] : s.ops;
        for (const kern of [js, wasm]) kern.reluForward(length, x.ptr, y.ptr);
        check("reluForward", s, [alias ? 0 : 1], () => 0);
        for (let i = 0; i < length; i++) assert.ok(Object.is(f32(wasm)[y.ptr + i], f32(js)[y.ptr + i]), "reluForward sign of zero");

        s = setup(seed++, alias ? [length, length] : [length, length, length], spread(1));
        [y] = s.ops;
        const dy = s.ops[1];
        const dx = alias ? dy : s.ops[2];
        for (const kern of [js, wasm]) kern.reluBackward(length, y.ptr, dy.ptr, dx.ptr);
        check("reluBackward", s, [alias ? 1 : 2], () => 0);
        for (let i = 0; i < length; i++) assert.ok(Object.is(f32(wasm)[dx.ptr + i], f32(js)[dx.ptr + i]), "reluBackward sign of zero");
      }
    }
  });

  it("im2col and col2im: bit-identical for every padding, stride and border case, and adjoint", () => {
    // [batch, h, w, c, kernel, stride, padding]: MinAtar's 10×10×4 with 3×3, odd channel counts,
    // kernels wider than the image with padding, strides that skip the last column
    const shapes = [[2, 10, 10, 4, 3, 1, 0], [1, 5, 7, 3, 3, 2, 1], [3, 4, 3, 1, 2, 1, 2], [1, 3, 3, 5, 4, 1, 1], [2, 6, 5, 2, 3, 3, 0], [1, 2, 2, 7, 5, 1, 2]];
    for (const [batch, h, w, c, kernel, stride, padding] of shapes as [number, number, number, number, number, number, number][]) {
      const oh = Math.floor((h + 2 * padding - kernel) / stride) + 1;
      const ow = Math.floor((w + 2 * padding - kernel) / stride) + 1;
      const inSize = batch * h * w * c, colSize = batch * oh * ow * kernel * kernel * c;
      let st = setup(seed++, [inSize, colSize]);
      const [x, cols] = st.ops;
      for (const kern of [js, wasm]) kern.im2col(batch, h, w, c, kernel, stride, padding, x.ptr, cols.ptr);
      check("im2col", st, [1], () => 0);
      // every column entry is an input pixel or a zero outside the image
      const image = new Set(Array.from(f32(js).subarray(x.ptr, x.ptr + inSize)));
      for (const v of f32(js).subarray(cols.ptr, cols.ptr + colSize)) assert.ok(v === 0 || image.has(v));

      st = setup(seed++, [colSize, inSize]);
      const [dcols, dx] = st.ops;
      for (const kern of [js, wasm]) kern.col2im(batch, h, w, c, kernel, stride, padding, dcols.ptr, dx.ptr);
      check("col2im", st, [1], () => 0);
      // adjoint: <im2col(x), g> = <x, col2im(g)>, in a memory of its own
      const ref = createJsKernels(new WebAssembly.Memory({ initial: 32 }));
      const a = f32(ref), rand = uniforms(seed++);
      const [X, C, G, D] = [0, inSize, inSize + colSize, inSize + 2 * colSize];
      for (let i = 0; i < inSize; i++) a[X + i] = 2 * rand() - 1;
      for (let i = 0; i < colSize; i++) a[G + i] = 2 * rand() - 1;
      ref.im2col(batch, h, w, c, kernel, stride, padding, X, C);
      ref.col2im(batch, h, w, c, kernel, stride, padding, G, D);
      let left = 0, right = 0;
      for (let i = 0; i < colSize; i++) left += a[C + i]! * a[G + i]!;
      for (let i = 0; i < inSize; i++) right += a[X + i]! * a[D + i]!;
      assert.ok(Math.abs(left - right) <= 1e-4 * (1 + Math.abs(left)), `adjoint ${left} vs ${right}`);
    }
  });

  it("sumOfSquares (float64) and scale", () => {
    for (const length of LENGTHS) {
      let s = setup(seed++, [length], (_i, v, rand) => {
        for (let j = 0; j < v.length; j++) v[j] = (2 * rand() - 1) * 10 ** (6 * rand() - 3);
      });
      const a = js.sumOfSquares(length, s.ops[0].ptr);
      const b = wasm.sumOfSquares(length, s.ops[0].ptr);
      assert.ok(Math.abs(a - b) <= 1e-14 * a + 1e-300, `sumOfSquares(${length}): ${b} vs ${a}`);
      note("sumOfSquares", a === 0 ? 0 : Math.abs(a - b) / (1e-14 * a), Math.abs(a - b));
      check("sumOfSquares", s, [], () => 0);

      for (const factor of [0.5, -3.25, 1 / 3, 1e-3]) {
        s = setup(seed++, [length]);
        for (const kern of [js, wasm]) kern.scale(length, s.ops[0].ptr, factor);
        check("scale", s, [0], (_o, _i, ref) => 2 * EPS32 * Math.abs(ref));
      }
    }
  });

  it("adamStep over several steps, from zero and from random moments", () => {
    for (const length of [1, 3, 4, 5, 17, 64, 1000, 4099]) {
      for (const fromZero of [true, false]) {
        const s = setup(seed++, [length, length, length, length], (i, v, rand) => {
          if (i === 2) for (let j = 0; j < v.length; j++) v[j] = fromZero ? 0 : 0.1 * (2 * rand() - 1); // m
          if (i === 3) for (let j = 0; j < v.length; j++) v[j] = fromZero ? 0 : 0.01 * rand(); // v ≥ 0
        });
        const [p, g, m, v] = s.ops;
        const rand = uniforms(seed++);
        const steps = 6;
        for (let step = 1; step <= steps; step++) {
          // a fresh gradient each step, the same in both memories
          const grads = Float32Array.from({ length }, () => (2 * rand() - 1) * (rand() < 0.5 ? 1 : 1e-3));
          f32(js).set(grads, g.ptr);
          f32(wasm).set(grads, g.ptr);
          s.original.set(grads, g.ptr);
          for (const kern of [js, wasm]) kern.adamStep(length, p.ptr, g.ptr, m.ptr, v.ptr, 1e-2, 0.9, 0.999, 1e-8, step);
        }
        check("adamStep", s, [0, 2, 3], (o, _i, ref) => (o === 0 ? 2e-6 * steps * (Math.abs(ref) + 1e-2) : 1e-6 * steps * (Math.abs(ref) + (o === 2 ? 0.1 : 1e-9))));
      }
    }
  });

  it("rmspropStep over several steps, centered and not", () => {
    for (const length of [1, 3, 4, 5, 17, 64, 1000, 4099]) {
      for (const centered of [false, true]) {
        const s = setup(seed++, [length, length, length, length], (i, v) => {
          if (i >= 2) v.fill(0); // square and gradient averages start at zero, as in PyTorch
        });
        const [p, g, sq, ga] = s.ops;
        const rand = uniforms(seed++);
        const steps = 6;
        for (let step = 1; step <= steps; step++) {
          const grads = Float32Array.from({ length }, () => (2 * rand() - 1) * (rand() < 0.5 ? 1 : 1e-3));
          f32(js).set(grads, g.ptr);
          f32(wasm).set(grads, g.ptr);
          s.original.set(grads, g.ptr);
          for (const kern of [js, wasm]) kern.rmspropStep(length, p.ptr, g.ptr, sq.ptr, centered ? ga.ptr : -1, 1e-3, 0.99, 1e-8);
        }
        check(
          centered ? "rmspropStep(centered)" : "rmspropStep",
          s,
          centered ? [0, 2, 3] : [0, 2],
          (o, _i, ref) => (o === 0 ? 2e-6 * steps * (Math.abs(ref) + 1e-2) : 1e-6 * steps * (Math.abs(ref) + (o === 3 ? 1e-3 : 1e-12))),
        );
      }
    }
  });

  it("keeps working after the memory grows (detached views)", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = createWasmKernels(memory);
    assert.equal(k.memory, memory);
    const rand = uniforms(99);
    const fill = (from: number, to: number) => {
      const v = new Float32Array(memory.buffer);
      for (let i = from; i < to; i++) v[i] = 2 * rand() - 1;
    };
    const m = 16, kk = 24, n = 20;
    const run = (base: number) => {
      k.linearForward(m, kk, n, base, base + m * kk, base + m * kk + kk * n, base + 4096);
      k.tanhForward(m * n, base + 4096, base + 4096);
      const v = new Float32Array(memory.buffer);
      const ref = createJsKernels(new WebAssembly.Memory({ initial: memory.buffer.byteLength / 65536 }));
      new Float32Array(ref.memory.buffer).set(v);
      ref.linearForward(m, kk, n, base, base + m * kk, base + m * kk + kk * n, base + 4096 + 8192);
      ref.tanhForward(m * n, base + 4096 + 8192, base + 4096 + 8192);
      const r = new Float32Array(ref.memory.buffer);
      for (let i = 0; i < m * n; i++) assert.ok(Math.abs(v[base + 4096 + i] - r[base + 4096 + 8192 + i]) < 1e-5);
    };
    fill(0, 1200);
    run(0);
    const before = memory.buffer;
    memory.grow(3);
    assert.notEqual(memory.buffer, before); // the old buffer is detached
    fill(16384 * 3, 16384 * 3 + 1200);
    run(16384 * 3); // operands only in the grown part
    run(0);
    assert.equal(memory.buffer.byteLength, 4 * 65536);
  });

  it("reports the largest differences", (t: TestContext) => {
    const byKernel = new Map<string, { ratio: number; abs: number }>();
    for (const [name, w] of worst) {
      const key = name.replace(/\(\d.*\)$/, ""); // drop the shape, keep e.g. "(centered)"
      const b = byKernel.get(key) ?? { ratio: 0, abs: 0 };
      byKernel.set(key, { ratio: Math.max(b.ratio, w.ratio), abs: Math.max(b.abs, w.abs) });
    }
    for (const [name, w] of [...byKernel].sort()) {
      t.diagnostic(`${name}: max |Δ| ${w.abs.toExponential(2)} (${(100 * w.ratio).toFixed(1)}% of tolerance)`);
    }
  });
});
