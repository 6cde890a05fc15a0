/**
 * WASM SIMD versions of built-in kernels' next-step loops (wasm/envs.ts: CartPole, MountainCar,
 * MountainCarContinuous), bit-identical to the JS loops (tests compare them over long random
 * rollouts with resets). A vector env of a
 * kernel naming one (`EnvKernel.wasmNextStep`) keeps its arrays in a WebAssembly.Memory — the
 * observations it returns are views of that memory, not copies — and steps through the module.
 * The JS loop stays the reference and the fallback: without WASM SIMD, or where the engine's
 * Math.sin/Math.cos are not fdlibm's (the module computes fdlibm's), vector envs use it.
 */
import type { PCG64Bank } from "../rng/pcg64.js";
import type { BatchBuffers, GeneratorBank, KernelParams } from "./kernel.js";
import { ENVS_SHARED_WASM_BASE64, ENVS_WASM_BASE64 } from "./wasm/envs-binary.js";

/** The loops the module has (its exports without the `NextStep` suffix). */
export type WasmNextStep = "cartPole" | "mountainCar" | "mountainCarContinuous";

/** Bytes of memory a vector env sets aside for the module (its loops' constant tables). */
export const WASM_SCRATCH_BYTES = 256;

/** A single env gains nothing from the WASM loop (about even; 2.2× faster at 4 envs), so it keeps the JS loop and needs no memory of its own. */
export const WASM_MIN_ENVS = 2;

interface EnvExports {
  cartPoleNextStep(
    n: number, from: number, to: number, state: number, bank: number, elapsed: number, autoreset: number, actions: number,
    obs: number, rewards: number, terms: number, truncs: number, maxSteps: number, low: number, high: number, table: number, work: number,
  ): void;
  mountainCarNextStep(
    n: number, from: number, to: number, state: number, bank: number, elapsed: number, autoreset: number, actions: number,
    obs: number, rewards: number, terms: number, truncs: number, maxSteps: number, low: number, high: number, goalVelocity: number, work: number,
  ): void;
  mountainCarContinuousNextStep(
    n: number, from: number, to: number, state: number, bank: number, elapsed: number, autoreset: number, actions: number,
    obs: number, rewards: number, terms: number, truncs: number, maxSteps: number, low: number, high: number, goalVelocity: number, work: number,
  ): void;
  cartPoleConstants(table: number): void;
  cosBatch(count: number, x: number, c: number): void;
  invalidDiscrete(actions: number, count: number, n: number): number;
  sinCosBatch(count: number, x: number, s: number, c: number, table: number): void;
  pcgRandomBatch(bank: number, g: number, count: number, out: number): void;
}

const modules: { plain?: WebAssembly.Module; shared?: WebAssembly.Module } = {};

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The module's exports over `memory` (shared memories need the module built for them). */
export function instantiateEnvSteps(memory: WebAssembly.Memory): EnvExports {
  const shared = memory.buffer instanceof ArrayBuffer ? "plain" : "shared";
  const module = (modules[shared] ??= new WebAssembly.Module(decode(shared === "plain" ? ENVS_WASM_BASE64 : ENVS_SHARED_WASM_BASE64)));
  return new WebAssembly.Instance(module, { env: { memory, sin: Math.sin, cos: Math.cos } }).exports as unknown as EnvExports;
}

let usable: boolean | undefined;

/**
 * Whether this engine runs the module and computes Math.sin/Math.cos as it does (checked once per
 * thread on 2^16 inputs over CartPole's range, tiny ones included, and 2^16 over MountainCar's).
 * An engine whose sin/cos differ (not fdlibm), or that refuses to compile the module
 * synchronously (a browser's main thread may), gets the JS loops.
 */
export function wasmEnvStepsUsable(): boolean {
  if (usable !== undefined) return usable;
  try {
    const count = 1 << 16;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((count * 24 + WASM_SCRATCH_BYTES) / 65536) });
    const k = instantiateEnvSteps(memory);
    const x = new Float64Array(memory.buffer, 0, count);
    const s = new Float64Array(memory.buffer, count * 8, count);
    const c = new Float64Array(memory.buffer, count * 16, count);
    for (let i = 0; i < count; i++) {
      const u = ((i * 0.6180339887498949) % 1) * 2 - 1; // golden-ratio sequence over (-1, 1)
      x[i] = i % 8 === 0 ? u * 1e-6 * 2 ** -(i % 40) : u * 0.2999;
    }
    k.sinCosBatch(count, 0, count * 8, count * 16, count * 24);
    usable = true;
    for (let i = 0; i < count && usable; i++) usable = Object.is(s[i], Math.sin(x[i]!)) && Object.is(c[i], Math.cos(x[i]!));
    // the wide cos (MountainCar's angles) over (-3.9, 3.9)
    for (let i = 0; i < count; i++) x[i] = (((i * 0.6180339887498949) % 1) * 2 - 1) * 3.9;
    k.cosBatch(count, 0, count * 16);
    for (let i = 0; i < count && usable; i++) usable = Object.is(c[i], Math.cos(x[i]!));
  } catch {
    usable = false;
  }
  return usable;
}

/** A kernel's WASM loop bound to a vector env's buffers. */
export interface WasmLoop {
  /** the actions the module reads, in its memory */
  readonly actions: Float64Array;
  /**
   * Copies a whole step's actions (a typed array) into `actions`; false when one of them is not an
   * integer in [0, n) or they are not in a typed array (the caller then checks them in JS and
   * reports the first bad one) — checked in the module, faster than in JS.
   */
  stage(actions: ArrayLike<number>, n: number): boolean;
  /** Steps envs [from, to), copying their actions into `actions` first unless they are `actions`. */
  step(actions: ArrayLike<number>, from: number, to: number): void;
}

/** The kernel's loop `name` over the buffers `allocateVectorBuffers` laid out in the module's memory. */
export function bindWasmLoop(
  name: WasmNextStep,
  wasm: { memory: WebAssembly.Memory; actions: Float64Array; scratch: Uint8Array; work: Float64Array },
  b: BatchBuffers<GeneratorBank>,
  actionSize: number,
  params: KernelParams,
): WasmLoop {
  const k = instantiateEnvSteps(wasm.memory);
  const wasmActions = wasm.actions;
  const table = wasm.scratch.byteOffset, work = wasm.work.byteOffset;
  const n = b.n;
  const bank = (b.rng as PCG64Bank).limbs.byteOffset;
  const state = b.state.byteOffset, elapsed = b.elapsed.byteOffset, autoreset = b.autoreset.byteOffset;
  const obs = b.obs.byteOffset, rewards = b.rewards.byteOffset, terms = b.terminations.byteOffset, truncs = b.truncations.byteOffset;
  const acts = wasmActions.byteOffset;
  const maxSteps = b.maxEpisodeSteps;
  const copy = (actions: ArrayLike<number>, from: number, to: number) => {
    const lo = from * actionSize, hi = to * actionSize;
    if (ArrayBuffer.isView(actions)) wasmActions.set((actions as Float64Array).subarray(lo, hi), lo);
    else for (let j = lo; j < hi; j++) wasmActions[j] = actions[j]!;
  };
  const stage = (actions: ArrayLike<number>, numActions: number) => {
    // typed arrays only: they hold numbers, where a plain array may hold "1" or true, which the
    // copy would turn into valid actions
    if (!ArrayBuffer.isView(actions) || actions instanceof BigInt64Array || actions instanceof BigUint64Array) return false;
    copy(actions, 0, n);
    return k.invalidDiscrete(acts, wasmActions.length, numActions) < 0;
  };
  switch (name) {
    case "cartPole": {
      const { low, high } = b.resetParams as { low: number; high: number };
      // every thread of a threaded env writes the same table before its first step
      k.cartPoleConstants(table);
      return {
        actions: wasmActions,
        stage,
        step: (actions, from, to) => {
          if (actions !== wasmActions) copy(actions, from, to);
          k.cartPoleNextStep(n, from, to, state, bank, elapsed, autoreset, acts, obs, rewards, terms, truncs, maxSteps, low, high, table, work);
        },
      };
    }
    case "mountainCar":
    case "mountainCarContinuous": {
      const { low, high } = b.resetParams as { low: number; high: number };
      const goalVelocity = params.goal_velocity as number;
      const loop = name === "mountainCar" ? k.mountainCarNextStep : k.mountainCarContinuousNextStep;
      return {
        actions: wasmActions,
        stage,
        step: (actions, from, to) => {
          if (actions !== wasmActions) copy(actions, from, to);
          loop(n, from, to, state, bank, elapsed, autoreset, acts, obs, rewards, terms, truncs, maxSteps, low, high, goalVelocity, work);
        },
      };
    }
  }
}
