/**
 * Where tensors live: a bump allocator over the kernels' linear memory. Networks, gradients and
 * optimizer moments are allocated once, up front, so training allocates nothing per step.
 */
import { createJsKernels } from "./js-kernels.js";
import type { Kernels } from "./kernels.js";
import { compileWasmKernels, createWasmKernels, wasmSimdAvailable } from "./wasm-kernels.js";

const PAGE_FLOATS = 65536 / 4;
/** wasm32 memory: at most 65536 pages of 64 KiB. */
const MAX_FLOATS = 2 ** 30;
/** 16-byte alignment keeps f32x4 loads aligned. */
const ALIGN_FLOATS = 4;

export type BackendKind = "js" | "wasm";

export class Backend {
  private top = ALIGN_FLOATS; // pointer 0 is reserved so that -1/0 never alias a real tensor
  private view: Float32Array;

  constructor(readonly kernels: Kernels) {
    this.view = new Float32Array(kernels.memory.buffer);
  }

  get kind(): BackendKind {
    return this.kernels.name;
  }

  /** The whole memory as float32 (re-created after the memory grows). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.kernels.memory.buffer) this.view = new Float32Array(this.kernels.memory.buffer);
    return this.view;
  }

  /** Floats that can still be allocated: WebAssembly (wasm32) memory, which both kernels use, ends at 4 GiB. */
  get available(): number {
    return MAX_FLOATS - this.top;
  }

  /** Reserves `length` zeroed floats and returns their pointer. */
  alloc(length: number): number {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`cannot allocate ${length} floats`);
    const end = this.top + (Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS || ALIGN_FLOATS);
    if (end > MAX_FLOATS) throw new RangeError(`${outOfMemory(length, this.top)}: WebAssembly memory ends at 4 GiB`);
    const capacity = this.kernels.memory.buffer.byteLength / 4;
    if (end > capacity) {
      try {
        this.kernels.memory.grow(Math.ceil((end - capacity) / PAGE_FLOATS));
      } catch {
        throw new RangeError(`${outOfMemory(length, this.top)}: the runtime would not grow WebAssembly memory (not enough memory?)`);
      }
    }
    const ptr = this.top;
    this.top = end;
    return ptr;
  }

  /** A view of `length` floats at `ptr`; invalid after the memory grows, so do not keep it across allocations. */
  view32(ptr: number, length: number): Float32Array {
    return this.f32.subarray(ptr, ptr + length);
  }

  /** Floats allocated so far. */
  get allocated(): number {
    return this.top;
  }
}

function outOfMemory(length: number, used: number): string {
  const gib = (floats: number) => `${((floats * 4) / 2 ** 30).toFixed(2)} GiB`;
  return `nn backend: cannot allocate ${gib(length)} of tensors (${gib(used)} in use)`;
}

/** A backend on the requested kernels: "wasm" (SIMD) or "js" (plain loops, the reference). */
export function createBackend(kind: BackendKind = wasmSimdAvailable() ? "wasm" : "js"): Backend {
  if (kind === "wasm") {
    if (!wasmSimdAvailable()) throw new Error("WebAssembly SIMD is not available in this runtime; use the \"js\" backend");
    return new Backend(createWasmKernels());
  }
  if (kind === "js") return new Backend(createJsKernels());
  throw new RangeError(`unknown nn backend ${JSON.stringify(kind)}: expected "wasm" or "js"`);
}

let shared: Backend | null = null;

/**
 * The process-wide default backend, created on first use: WASM SIMD where it is available and
 * compiles, else the plain-TS kernels (in a browser's main thread, `await initBackend()` first to
 * get WASM).
 */
export function defaultBackend(): Backend {
  if (!shared) {
    try {
      shared = createBackend("wasm");
    } catch {
      shared = createBackend("js");
    }
  }
  return shared;
}

/** Compiles the WASM kernels asynchronously (needed on a browser's main thread) and returns the default backend. */
export async function initBackend(): Promise<Backend> {
  if (wasmSimdAvailable()) await compileWasmKernels();
  shared = null;
  return defaultBackend();
}

/** Replaces the default backend, e.g. `setDefaultBackend(createBackend("js"))`. */
export function setDefaultBackend(backend: Backend): void {
  shared = backend;
}
