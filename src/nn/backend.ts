/**
 * Where tensors live: a bump allocator over the kernels' linear memory. Networks, gradients and
 * optimizer moments are allocated once, up front, so training allocates nothing per step.
 */
import { createJsKernels } from "./js-kernels.js";
import type { Kernels } from "./kernels.js";
import { compileWasmKernels, createWasmKernels, wasmSimdAvailable } from "./wasm-kernels.js";

const PAGE_FLOATS = 65536 / 4;
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

  /** Reserves `length` zeroed floats and returns their pointer. */
  alloc(length: number): number {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`cannot allocate ${length} floats`);
    const ptr = this.top;
    this.top += Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS || ALIGN_FLOATS;
    const capacity = this.kernels.memory.buffer.byteLength / 4;
    if (this.top > capacity) this.kernels.memory.grow(Math.ceil((this.top - capacity) / PAGE_FLOATS));
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
