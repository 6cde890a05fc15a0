/**
 * Where a Transformer's numbers live: one growable array addressed by element offsets, and the
 * kernels over it (matrix products, LayerNorm, GELU, causal attention). `wasmSpace` puts the array
 * in a WebAssembly.Memory and runs the kernels of wasm/kernels.ts (SIMD, float32);
 * `referenceSpace` is plain loops over a Float32Array or Float64Array — the obviously-correct path
 * the tests compare with (float64 for gradient checks). Offsets stay valid when the array grows;
 * the array itself is replaced, so read `space.array` again after any `alloc`. Browser-safe (in a
 * browser's main thread, call `compileWasmKernels()` first: the module is compiled synchronously).
 */
import type { Kernels } from "./kernels.js";
import { type KernelThreads, type ProductSplitter, kernelThreads } from "./parallel.js";
import { instantiateKernels, kernelFma, kernelMemory, wasmSimdAvailable } from "./wasm-kernels.js";

export type FloatArray = Float32Array | Float64Array;

/** Every kernel a transformer uses; pointers are element offsets into the space's array. */
export interface TransformerKernels extends Pick<Kernels, "linearForward" | "matmulNT" | "matmulTN" | "columnSums"> {
  /** out = (x − mean)·rstd·w + b per row of c (rstd = 1/√(var + 1e-5)); keeps mean and rstd per row */
  layerNormForward(n: number, c: number, inp: number, weight: number, bias: number, out: number, mean: number, rstd: number): void;
  /** adds ∂/∂inp into dinp and the gain and bias gradients into dweight and dbias */
  layerNormBackward(n: number, c: number, dinp: number, dweight: number, dbias: number, dout: number, inp: number, weight: number, mean: number, rstd: number): void;
  /** GPT-2's tanh GELU; the tanh goes to tanhOut unless it is −1 (inp and out may alias) */
  geluForward(length: number, inp: number, out: number, tanhOut: number): void;
  geluBackward(length: number, inp: number, tanhOf: number, dout: number, dinp: number): void;
  /** causal attention over qkv (B, T, 3C: q | k | v); att (B, NH, T, T) keeps the softmax; out (B, T, C) */
  attentionForward(b: number, t: number, c: number, nh: number, qkv: number, att: number, out: number): void;
  /** dqkv (overwritten) from dout; datt is scratch the size of att */
  attentionBackward(b: number, t: number, c: number, nh: number, dqkv: number, datt: number, dout: number, qkv: number, att: number): void;
  /** one decoding position: appends k, v at `pos` of the caches (rows × ctx × C) and writes y (rows × C); scores: ctx floats of scratch */
  attentionDecode(rows: number, ctx: number, pos: number, c: number, nh: number, qkv: number, keys: number, values: number, y: number, scores: number): void;
}

export interface Space {
  readonly kind: SpaceKind;
  /** the whole backing array (replaced when the space grows) */
  readonly array: FloatArray;
  readonly ops: TransformerKernels;
  /** present when the matrix products are split across threads */
  readonly parallel?: ProductSplitter;
  /** reserves n elements (zeroed) and returns their offset */
  alloc(n: number): number;
}

export type SpaceKind = "wasm" | "js" | "js-float64";

const PAGE_FLOATS = 65536 / 4;

/**
 * A space in a WebAssembly memory with the SIMD kernels. With `threads` (default: the
 * `setKernelThreads` setting) of more than one, the memory is shared and the matrix products are
 * split across helper threads (`parallel`), with results identical to one thread's. `fma`
 * (default: the `setKernelFma` setting) picks the kernels with fused multiply-adds.
 */
export function wasmSpace(threads: KernelThreads | null = kernelThreads(), fma = kernelFma()): Space {
  const memory = kernelMemory(threads);
  const { exports, splitter } = instantiateKernels<TransformerKernels & Pick<ProductSplitter, "matmulTN">>(memory, threads, fma);
  const ops: TransformerKernels = splitter
    ? {
        ...exports,
        linearForward: (m, k, n, x, w, b, y) => splitter.linearForward(m, k, n, x, w, b, y),
        matmulNT: (m, k, n, a, b, c, accumulate) => splitter.matmulNT(m, k, n, a, b, c, accumulate),
        matmulTN: (m, k, n, a, b, c, accumulate) => splitter.matmulTN(m, k, n, a, b, c, accumulate),
      }
    : exports;
  let top = 0;
  let array = new Float32Array(memory.buffer);
  return {
    kind: "wasm",
    ...(splitter ? { parallel: splitter } : {}),
    get array() {
      if (array.buffer !== memory.buffer) array = new Float32Array(memory.buffer);
      return array;
    },
    ops,
    alloc(n: number): number {
      const offset = top;
      // 16-byte alignment for the SIMD loads
      top += Math.ceil(n / 4) * 4;
      const have = memory.buffer.byteLength / 4;
      if (top > have) memory.grow(Math.ceil((top - have) / PAGE_FLOATS) + Math.ceil(have / PAGE_FLOATS / 4));
      return offset;
    },
  };
}

export function referenceSpace(float64 = false): Space {
  const make = (n: number): FloatArray => (float64 ? new Float64Array(n) : new Float32Array(n));
  let array = make(1024);
  let top = 0;
  return {
    kind: float64 ? "js-float64" : "js",
    get array() {
      return array;
    },
    ops: referenceKernels(() => array),
    alloc(n: number): number {
      const offset = top;
      top += Math.ceil(n / 4) * 4;
      if (top > array.length) {
        const bigger = make(Math.max(top, 2 * array.length));
        bigger.set(array);
        array = bigger;
      }
      return offset;
    },
  };
}

/** wasm when the runtime has WebAssembly SIMD, else the plain-loop float32 path. */
export function createSpace(kind?: SpaceKind): Space {
  const chosen = kind ?? (wasmSimdAvailable() ? "wasm" : "js");
  if (chosen === "wasm") return wasmSpace();
  return referenceSpace(chosen === "js-float64");
}

const LN_EPS = 1e-5;
const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** The plain loops (sums in the array's precision or float64 locals), in llm.c's formulation. */
function referenceKernels(arrayOf: () => FloatArray): TransformerKernels {
  return {
    linearForward(m, k, n, x, w, b, y) {
      const a = arrayOf();
      for (let i = 0; i < m; i++) {
        const yo = y + i * n;
        for (let j = 0; j < n; j++) a[yo + j] = b >= 0 ? a[b + j]! : 0;
        for (let p = 0; p < k; p++) {
          const s = a[x + i * k + p]!;
          const wo = w + p * n;
          for (let j = 0; j < n; j++) a[yo + j] = a[yo + j]! + s * a[wo + j]!;
        }
      }
    },
    matmulNT(m, k, n, pa, pb, c, accumulate) {
      const a = arrayOf();
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[pa + i * k + p]! * a[pb + j * k + p]!;
          a[c + i * n + j] = accumulate ? a[c + i * n + j]! + s : s;
        }
    },
    matmulTN(m, k, n, pa, pb, c, accumulate) {
      const a = arrayOf();
      if (!accumulate) a.fill(0, c, c + m * n);
      for (let p = 0; p < k; p++)
        for (let i = 0; i < m; i++) {
          const s = a[pa + p * m + i]!;
          if (s === 0) continue;
          const co = c + i * n;
          const bo = pb + p * n;
          for (let j = 0; j < n; j++) a[co + j] = a[co + j]! + s * a[bo + j]!;
        }
    },
    columnSums(m, n, pa, out, accumulate) {
      const a = arrayOf();
      if (!accumulate) a.fill(0, out, out + n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[out + j] = a[out + j]! + a[pa + i * n + j]!;
    },
    layerNormForward(N, C, inp, weight, bias, out, mean, rstd) {
      const M = arrayOf();
      for (let n = 0; n < N; n++) {
        const o = inp + n * C;
        let m = 0;
        for (let i = 0; i < C; i++) m += M[o + i]!;
        m /= C;
        let v = 0;
        for (let i = 0; i < C; i++) {
          const d = M[o + i]! - m;
          v += d * d;
        }
        v /= C;
        const s = 1 / Math.sqrt(v + LN_EPS);
        const y = out + n * C;
        for (let i = 0; i < C; i++) M[y + i] = (M[o + i]! - m) * s * M[weight + i]! + M[bias + i]!;
        M[mean + n] = m;
        M[rstd + n] = s;
      }
    },
    layerNormBackward(N, C, dinp, dweight, dbias, dout, inp, weight, mean, rstd) {
      const M = arrayOf();
      for (let n = 0; n < N; n++) {
        const o = n * C;
        const m = M[mean + n]!;
        const s = M[rstd + n]!;
        let dnormMean = 0;
        let dnormNormMean = 0;
        for (let i = 0; i < C; i++) {
          const norm = (M[inp + o + i]! - m) * s;
          const dnorm = M[weight + i]! * M[dout + o + i]!;
          dnormMean += dnorm;
          dnormNormMean += dnorm * norm;
        }
        dnormMean /= C;
        dnormNormMean /= C;
        for (let i = 0; i < C; i++) {
          const d = M[dout + o + i]!;
          const norm = (M[inp + o + i]! - m) * s;
          M[dbias + i] = M[dbias + i]! + d;
          M[dweight + i] = M[dweight + i]! + norm * d;
          M[dinp + o + i] = M[dinp + o + i]! + (M[weight + i]! * d - dnormMean - norm * dnormNormMean) * s;
        }
      }
    },
    geluForward(n, inp, out, tanhOut) {
      const M = arrayOf();
      for (let i = 0; i < n; i++) {
        const x = M[inp + i]!;
        const th = Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x));
        if (tanhOut >= 0) M[tanhOut + i] = th;
        M[out + i] = 0.5 * x * (1 + th);
      }
    },
    geluBackward(n, inp, tanhOf, dout, dinp) {
      const M = arrayOf();
      for (let i = 0; i < n; i++) {
        const x = M[inp + i]!;
        const th = M[tanhOf + i]!;
        const grad = 0.5 * (1 + th) + x * 0.5 * (1 - th * th) * GELU_SCALE * (1 + 3 * 0.044715 * x * x);
        M[dinp + i] = grad * M[dout + i]!;
      }
    },
    attentionForward(B, T, C, NH, qkv, att, out) {
      const M = arrayOf();
      const hs = C / NH;
      const scale = 1 / Math.sqrt(hs);
      const C3 = 3 * C;
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          for (let h = 0; h < NH; h++) {
            const q = qkv + (b * T + t) * C3 + h * hs;
            const a = att + ((b * NH + h) * T + t) * T;
            let max = -Infinity;
            for (let t2 = 0; t2 <= t; t2++) {
              const k = qkv + (b * T + t2) * C3 + C + h * hs;
              let s = 0;
              for (let i = 0; i < hs; i++) s += M[q + i]! * M[k + i]!;
              s *= scale;
              M[a + t2] = s;
              if (s > max) max = s;
            }
            let sum = 0;
            for (let t2 = 0; t2 <= t; t2++) {
              const e = Math.exp(M[a + t2]! - max);
              M[a + t2] = e;
              sum += e;
            }
            for (let t2 = 0; t2 <= t; t2++) M[a + t2] = M[a + t2]! / sum;
            for (let t2 = t + 1; t2 < T; t2++) M[a + t2] = 0;
            const o = out + (b * T + t) * C + h * hs;
            for (let i = 0; i < hs; i++) M[o + i] = 0;
            for (let t2 = 0; t2 <= t; t2++) {
              const v = qkv + (b * T + t2) * C3 + 2 * C + h * hs;
              const w = M[a + t2]!;
              for (let i = 0; i < hs; i++) M[o + i] = M[o + i]! + w * M[v + i]!;
            }
          }
    },
    attentionBackward(B, T, C, NH, dqkv, datt, dout, qkv, att) {
      const M = arrayOf();
      const hs = C / NH;
      const scale = 1 / Math.sqrt(hs);
      const C3 = 3 * C;
      M.fill(0, dqkv, dqkv + B * T * C3);
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          for (let h = 0; h < NH; h++) {
            const a = ((b * NH + h) * T + t) * T;
            const o = dout + (b * T + t) * C + h * hs;
            const q = (b * T + t) * C3 + h * hs;
            // through the weighted sum of values
            for (let t2 = 0; t2 <= t; t2++) {
              const v = (b * T + t2) * C3 + 2 * C + h * hs;
              const w = M[att + a + t2]!;
              let d = 0;
              for (let i = 0; i < hs; i++) {
                d += M[qkv + v + i]! * M[o + i]!;
                M[dqkv + v + i] = M[dqkv + v + i]! + w * M[o + i]!;
              }
              M[datt + a + t2] = d;
            }
            // through the softmax: dpre = att ⊙ (datt − Σ att·datt)
            let dot = 0;
            for (let t2 = 0; t2 <= t; t2++) dot += M[att + a + t2]! * M[datt + a + t2]!;
            for (let t2 = 0; t2 <= t; t2++) {
              const dpre = M[att + a + t2]! * (M[datt + a + t2]! - dot) * scale;
              const k = (b * T + t2) * C3 + C + h * hs;
              for (let i = 0; i < hs; i++) {
                M[dqkv + q + i] = M[dqkv + q + i]! + M[qkv + k + i]! * dpre;
                M[dqkv + k + i] = M[dqkv + k + i]! + M[qkv + q + i]! * dpre;
              }
            }
          }
    },
    attentionDecode(rows, ctx, pos, C, NH, qkv, keys, values, y, scores) {
      const M = arrayOf();
      const hs = C / NH;
      const scale = 1 / Math.sqrt(hs);
      for (let r = 0; r < rows; r++) {
        const q0 = qkv + r * 3 * C;
        const base = (r * ctx + pos) * C;
        for (let i = 0; i < C; i++) {
          M[keys + base + i] = M[q0 + C + i]!;
          M[values + base + i] = M[q0 + 2 * C + i]!;
        }
        for (let h = 0; h < NH; h++) {
          const q = q0 + h * hs;
          let max = -Infinity;
          for (let t2 = 0; t2 <= pos; t2++) {
            const k = keys + (r * ctx + t2) * C + h * hs;
            let s = 0;
            for (let i = 0; i < hs; i++) s += M[q + i]! * M[k + i]!;
            s *= scale;
            M[scores + t2] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let t2 = 0; t2 <= pos; t2++) {
            const e = Math.exp(M[scores + t2]! - max);
            M[scores + t2] = e;
            sum += e;
          }
          const yo = y + r * C + h * hs;
          for (let i = 0; i < hs; i++) M[yo + i] = 0;
          for (let t2 = 0; t2 <= pos; t2++) {
            const w = M[scores + t2]! / sum;
            const v = values + (r * ctx + t2) * C + h * hs;
            for (let i = 0; i < hs; i++) M[yo + i] = M[yo + i]! + w * M[v + i]!;
          }
        }
      }
    },
  };
}
