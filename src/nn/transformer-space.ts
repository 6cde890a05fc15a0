/**
 * Where a Transformer's numbers live: one growable array addressed by element offsets, and the
 * four matrix products over it. `wasmSpace` puts the array in a WebAssembly.Memory and runs the
 * products with the WASM SIMD kernels of wasm/kernels.ts (float32); `referenceSpace` is plain
 * loops over a Float32Array or Float64Array (the obviously-correct path the tests compare with,
 * and float64 for gradient checks). Offsets stay valid when the array grows; the array itself is
 * replaced, so read `space.array` again after any `alloc`. Browser-safe.
 */
import type { Kernels } from "./kernels.js";
import { createWasmKernels, wasmSimdAvailable } from "./wasm-kernels.js";

export type FloatArray = Float32Array | Float64Array;

/** The products a transformer needs (the subset of `Kernels`; pointers are element offsets). */
export type MatmulKernels = Pick<Kernels, "linearForward" | "matmulNT" | "matmulTN" | "columnSums">;

export interface Space {
  readonly kind: "wasm" | "js" | "js-float64";
  /** the whole backing array (replaced when the space grows) */
  readonly array: FloatArray;
  readonly ops: MatmulKernels;
  /** reserves n elements (zeroed) and returns their offset */
  alloc(n: number): number;
}

const PAGE_FLOATS = 65536 / 4;

export function wasmSpace(): Space {
  const memory = new WebAssembly.Memory({ initial: 16 });
  const kernels = createWasmKernels(memory);
  let top = 0;
  let array = new Float32Array(memory.buffer);
  return {
    kind: "wasm",
    get array() {
      if (array.buffer !== memory.buffer) array = new Float32Array(memory.buffer);
      return array;
    },
    ops: kernels,
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
  let array: FloatArray = float64 ? new Float64Array(1024) : new Float32Array(1024);
  let top = 0;
  const ops: MatmulKernels = {
    linearForward(m, k, n, x, w, b, y) {
      const a = array;
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
      const a = array;
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[pa + i * k + p]! * a[pb + j * k + p]!;
          a[c + i * n + j] = accumulate ? a[c + i * n + j]! + s : s;
        }
    },
    matmulTN(m, k, n, pa, pb, c, accumulate) {
      const a = array;
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
      const a = array;
      if (!accumulate) a.fill(0, out, out + n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[out + j] = a[out + j]! + a[pa + i * n + j]!;
    },
  };
  return {
    kind: float64 ? "js-float64" : "js",
    get array() {
      return array;
    },
    ops,
    alloc(n: number): number {
      const offset = top;
      top += Math.ceil(n / 4) * 4;
      if (top > array.length) {
        const bigger: FloatArray = float64 ? new Float64Array(Math.max(top, 2 * array.length)) : new Float32Array(Math.max(top, 2 * array.length));
        bigger.set(array);
        array = bigger;
      }
      return offset;
    },
  };
}

export type SpaceKind = "wasm" | "js" | "js-float64";

/** wasm when the runtime has WebAssembly SIMD, else the plain-loop float32 path. */
export function createSpace(kind?: SpaceKind): Space {
  const chosen = kind ?? (wasmSimdAvailable() ? "wasm" : "js");
  if (chosen === "wasm") return wasmSpace();
  return referenceSpace(chosen === "js-float64");
}
