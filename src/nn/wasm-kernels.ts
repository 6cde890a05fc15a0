import type { Kernels } from "./kernels.js";
import { type KernelThreads, ProductSplitter, kernelThreads, sharedMemoryAvailable } from "./parallel.js";
import { KERNELS_FMA_SHARED_WASM_BASE64, KERNELS_FMA_WASM_BASE64, KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from "./wasm/kernels-binary.js";

/** The raw exports of wasm/kernels.ts (booleans as 0/1; Adam gets its float64 constants precomputed). */
interface KernelExports {
  linearForward(m: number, k: number, n: number, x: number, w: number, b: number, y: number): void;
  matmulNT(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: number): void;
  matmulTN(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: number): void;
  matmulTNRows(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: number, i0: number, i1: number): void;
  columnSums(m: number, n: number, a: number, out: number, accumulate: number): void;
  tanhForward(length: number, x: number, y: number): void;
  tanhBackward(length: number, y: number, dy: number, dx: number): void;
  reluForward(length: number, x: number, y: number): void;
  reluBackward(length: number, y: number, dy: number, dx: number): void;
  im2col(batch: number, h: number, w: number, c: number, kernel: number, stride: number, padding: number, x: number, cols: number): void;
  col2im(batch: number, h: number, w: number, c: number, kernel: number, stride: number, padding: number, cols: number, dx: number): void;
  sumOfSquares(length: number, x: number): number;
  scale(length: number, x: number, s: number): void;
  adamStep(length: number, p: number, g: number, m: number, v: number, stepSize: number, bias2Sqrt: number, beta1: number, beta2: number, eps: number): void;
  rmspropStep(length: number, p: number, g: number, squareAverage: number, gradAverage: number, lr: number, alpha: number, eps: number): void;
}

/** The four builds of wasm/kernels.ts, indexed by shared + 2·fma; each compiled once per process, on first use. */
const VARIANTS = [KERNELS_WASM_BASE64, KERNELS_SHARED_WASM_BASE64, KERNELS_FMA_WASM_BASE64, KERNELS_FMA_SHARED_WASM_BASE64] as const;
const compiled: (WebAssembly.Module | null)[] = [null, null, null, null];
const variantIndex = (shared: boolean, fma: boolean) => (shared ? 1 : 0) + (fma ? 2 : 0);

let fmaSetting = false;

/** Why FMA kernels cannot be used here, and what to do. */
export const FMA_UNAVAILABLE =
  "fused multiply-add kernels need WebAssembly relaxed SIMD, which this runtime does not enable: use Node >= 22 (or Chrome >= 114), " +
  "or start Node 20 with --experimental-wasm-relaxed-simd (the tsrl command line sets it itself); or leave FMA off";

/**
 * Makes WASM backends and transformer spaces created from now on (the default backend included,
 * if it was not used yet) use the kernels built with relaxed SIMD, whose multiply-adds are fused
 * (f32x4.relaxed_madd): about 1.25× faster matrix products on CPUs with FMA, with results that
 * differ in the last bits from the default kernels, and between CPUs with and without FMA (which
 * round once or twice). Off by default; kernels already created keep their build. Throws
 * FMA_UNAVAILABLE where the runtime lacks relaxed SIMD.
 */
export function setKernelFma(on: boolean): void {
  if (typeof on !== "boolean") throw new TypeError(`setKernelFma: expected true or false, got ${JSON.stringify(on)}`);
  if (on && !relaxedSimdAvailable()) throw new Error(FMA_UNAVAILABLE);
  fmaSetting = on;
}

/** The process-wide setting of `setKernelFma` (false unless turned on). */
export function kernelFma(): boolean {
  return fmaSetting;
}

function kernelsBytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The compiled kernels: the same code built for a plain memory or a shared one (WebAssembly
 * requires the import to say which), each without and with fused multiply-adds (`fma`, default:
 * the `setKernelFma` setting). Helper threads get the module their splitter was made with.
 */
export function kernelsModule(shared = false, fma = kernelFma()): WebAssembly.Module {
  if (fma && !relaxedSimdAvailable()) throw new Error(FMA_UNAVAILABLE);
  const i = variantIndex(shared, fma);
  return (compiled[i] ??= new WebAssembly.Module(kernelsBytes(VARIANTS[i]!)));
}

/** wasm32's largest memory, in 64 KiB pages: a shared memory must declare its maximum. */
const MAX_PAGES = 65536;

/**
 * A memory for kernels on `threads` threads: shared when more than one thread is asked for and
 * the runtime can share memory (else a plain one, and the products stay on one thread).
 */
export function kernelMemory(threads: KernelThreads | null, initialPages = 16): WebAssembly.Memory {
  if (threads && threads.threads > 1 && sharedMemoryAvailable()) return new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
  return new WebAssembly.Memory({ initial: initialPages });
}

/**
 * Instantiates the kernels on `memory`; on a shared memory with `threads` of more than one, the
 * matrix products are split across helper threads (`splitter`), else it is null.
 */
export function instantiateKernels<T>(memory: WebAssembly.Memory, threads: KernelThreads | null, fma = kernelFma()): { exports: T; splitter: ProductSplitter | null } {
  const shared = typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
  const module = kernelsModule(shared, fma);
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const splitter = shared && threads && threads.threads > 1 ? new ProductSplitter(exports as unknown as ConstructorParameters<typeof ProductSplitter>[0], module, memory, threads) : null;
  return { exports: exports as unknown as T, splitter };
}

/**
 * Compiles the kernels asynchronously. Browsers refuse synchronous compilation of modules over
 * 4 KB on the main thread, so call this once before creating WASM backends there; in Node and
 * in workers it is optional.
 */
export async function compileWasmKernels(): Promise<void> {
  const fma = kernelFma();
  const wanted = [false, ...(kernelThreads() ? [true] : [])].map((shared) => variantIndex(shared, fma));
  for (const i of wanted) compiled[i] ??= await WebAssembly.compile(kernelsBytes(VARIANTS[i]!));
}

/**
 * The WASM SIMD kernels (built from wasm/kernels.ts), working in place on `memory`, which the
 * caller may grow at any time. Synchronous: the module is compiled once per process on first use.
 * With `threads` (default: the `setKernelThreads` setting) of more than one and no memory given,
 * the memory is shared and the matrix products are split across helper threads, with results
 * identical to one thread's; a given memory that is not shared keeps them on one thread. `fma`
 * (default: the `setKernelFma` setting) picks the build with fused multiply-adds.
 */
export function createWasmKernels(memory?: WebAssembly.Memory, threads: KernelThreads | null = kernelThreads(), fma = kernelFma()): Kernels {
  const mem = memory ?? kernelMemory(threads);
  const { exports: k, splitter } = instantiateKernels<KernelExports>(mem, threads, fma);
  return {
    name: "wasm",
    memory: mem,
    ...(splitter ? { parallel: splitter } : {}),
    linearForward: splitter ? (m, kk, n, x, w, b, y) => splitter.linearForward(m, kk, n, x, w, b, y) : k.linearForward,
    matmulNT: splitter
      ? (m, kk, n, a, b, c, accumulate) => splitter.matmulNT(m, kk, n, a, b, c, accumulate)
      : (m, kk, n, a, b, c, accumulate) => k.matmulNT(m, kk, n, a, b, c, accumulate ? 1 : 0),
    matmulTN: splitter
      ? (m, kk, n, a, b, c, accumulate) => splitter.matmulTN(m, kk, n, a, b, c, accumulate)
      : (m, kk, n, a, b, c, accumulate) => k.matmulTN(m, kk, n, a, b, c, accumulate ? 1 : 0),
    columnSums: (m, n, a, out, accumulate) => k.columnSums(m, n, a, out, accumulate ? 1 : 0),
    tanhForward: k.tanhForward,
    tanhBackward: k.tanhBackward,
    reluForward: k.reluForward,
    reluBackward: k.reluBackward,
    im2col: k.im2col,
    col2im: k.col2im,
    sumOfSquares: k.sumOfSquares,
    scale: k.scale,
    adamStep(length, p, g, m, v, lr, beta1, beta2, eps, step) {
      // The same float64 expressions as the JS reference.
      const stepSize = lr / (1 - beta1 ** step);
      const bias2Sqrt = Math.sqrt(1 - beta2 ** step);
      k.adamStep(length, p, g, m, v, stepSize, bias2Sqrt, beta1, beta2, eps);
    },
    rmspropStep: k.rmspropStep,
  };
}

/** A minimal module that uses one SIMD instruction: (func (result v128) v128.const 0). */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: v128.const
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x0b, // end
]);

/** Whether this runtime can run the WASM SIMD kernels. */
export function wasmSimdAvailable(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * A minimal module that uses one relaxed-SIMD instruction:
 * (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd).
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: (v128, v128, v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function section
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code section, one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // local.get 0, 1, 2
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (prefix 0xfd, opcode 0x105 as LEB128)
  0x0b, // end
]);

/**
 * Whether this runtime runs relaxed SIMD, which the FMA kernels need: Node >= 22 and Chrome >= 114
 * do by default, Node 20 with --experimental-wasm-relaxed-simd.
 */
export function relaxedSimdAvailable(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}
