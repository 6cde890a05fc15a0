/**
 * Vectorized environments: one kernel stepping `numEnvs` copies in a single loop over
 * struct-of-arrays state, with the time limit and autoreset inside the loop, observations
 * written in place, and nothing allocated per step.
 *
 * Semantics follow Gymnasium's `SyncVectorEnv` (≥ 1.1): env i is seeded with `seed + i`, so its
 * trajectory is exactly that of `make(id).reset({seed: seed + i})` under the same actions.
 * Autoreset modes: "next-step" (default), "same-step", "disabled".
 */

import { type Seed, assertValidSeed } from "../rng/seed-sequence.js";
import type { RgbFrame } from "./env.js";
import { type BatchBuffers, type EnvKernel, type GeneratorBank, type ResetOptions, type StepArrays, type StepOutcome, bankTypeOf, checkResetArgs, parseKernelResetOptions } from "./kernel.js";
import { type Box, Discrete } from "./spaces.js";
import { WASM_MIN_ENVS, WASM_SCRATCH_BYTES, type WasmLoop, bindWasmLoop, wasmEnvStepsUsable } from "./wasm-step.js";

const EMPTY_INFO: VectorInfo = Object.freeze({});

export type AutoresetMode = "next-step" | "same-step" | "disabled";
export const AUTORESET_MODES: readonly AutoresetMode[] = ["next-step", "same-step", "disabled"];

export interface VectorInfo {
  /** same-step mode: the last observation of each env that ended this step (valid where `_final_obs`) */
  final_obs?: Float32Array;
  _final_obs?: Uint8Array;
  [key: string]: unknown;
}

export type VectorStepResult = [
  obs: Float32Array,
  rewards: Float64Array,
  terminations: Uint8Array,
  truncations: Uint8Array,
  info: VectorInfo,
];

export interface VectorResetArgs {
  /** an integer (env i gets seed + i) or one seed per env */
  seed?: Seed | readonly (Seed | undefined)[];
  options?: ResetOptions & { reset_mask?: ArrayLike<boolean | number> };
}

/**
 * Every array a vector env reads or writes while stepping. Allocated on SharedArrayBuffers, the
 * same buffers let several threads step disjoint ranges of envs (see `tsrl/node`). For a kernel
 * with a WASM loop (`EnvKernel.wasmNextStep`) they are views of one WebAssembly.Memory (shared
 * for threads), which also holds the actions the module reads.
 */
export interface VectorBuffers extends StepArrays {
  rngStorage: ArrayBufferLike;
  finalObs: Float32Array;
  finalObsMask: Uint8Array;
  /** the module's memory, the actions it reads, its scratch bytes (`WASM_SCRATCH_BYTES`) and 3 float64 of working space per env */
  wasm?: { memory: WebAssembly.Memory; actions: Float64Array; scratch: Uint8Array; work: Float64Array };
}

/**
 * A vector env's arrays; in a WebAssembly.Memory when the kernel has a WASM loop, `wasm` is true,
 * there are at least `WASM_MIN_ENVS` envs and the engine passes the module's check.
 */
export function allocateVectorBuffers(kernel: EnvKernel<GeneratorBank>, numEnvs: number, shared = false, wasm = true): VectorBuffers {
  const od = kernel.observationSpace.size;
  const rngBytes = bankTypeOf(kernel).bytesFor(numEnvs);
  const sizes = [kernel.stateFields.length * numEnvs * 8, numEnvs * 4, numEnvs, numEnvs * od * 4, numEnvs * 8, numEnvs, numEnvs, numEnvs * od * 4, numEnvs];
  const memory = wasm && kernel.wasmNextStep && numEnvs >= WASM_MIN_ENVS && wasmEnvStepsUsable() ? wasmLayout(kernel, numEnvs, rngBytes, sizes, shared) : null;
  if (memory) {
    const { buffer, at } = memory;
    return {
      rngStorage: buffer,
      state: new Float64Array(buffer, at[0], kernel.stateFields.length * numEnvs),
      elapsed: new Int32Array(buffer, at[1], numEnvs),
      autoreset: new Uint8Array(buffer, at[2], numEnvs),
      obs: new Float32Array(buffer, at[3], numEnvs * od),
      rewards: new Float64Array(buffer, at[4], numEnvs),
      terminations: new Uint8Array(buffer, at[5], numEnvs),
      truncations: new Uint8Array(buffer, at[6], numEnvs),
      finalObs: new Float32Array(buffer, at[7], numEnvs * od),
      finalObsMask: new Uint8Array(buffer, at[8], numEnvs),
      wasm: {
        memory: memory.memory,
        actions: new Float64Array(buffer, at[9], numEnvs * kernel.actionSize),
        scratch: new Uint8Array(buffer, at[10], WASM_SCRATCH_BYTES),
        work: new Float64Array(buffer, at[11], numEnvs * 3),
      },
    };
  }
  const Buffer = shared ? SharedArrayBuffer : ArrayBuffer;
  const f64 = (len: number) => new Float64Array(new Buffer(len * 8));
  const f32 = (len: number) => new Float32Array(new Buffer(len * 4));
  const u8 = (len: number) => new Uint8Array(new Buffer(len));
  return {
    state: f64(kernel.stateFields.length * numEnvs),
    rngStorage: new Buffer(rngBytes),
    elapsed: new Int32Array(new Buffer(numEnvs * 4)),
    autoreset: u8(numEnvs),
    obs: f32(numEnvs * od),
    rewards: f64(numEnvs),
    terminations: u8(numEnvs),
    truncations: u8(numEnvs),
    finalObs: f32(numEnvs * od),
    finalObsMask: u8(numEnvs),
  };
}

/**
 * One WebAssembly.Memory for a vector env's arrays: the generator bank at 0 (banks view their
 * storage from its start), then each array 16-byte aligned, then the actions and the module's
 * scratch and working space. Null past WebAssembly's 4 GiB or when the memory cannot be had (the
 * env then keeps plain buffers and the JS loop).
 */
function wasmLayout(kernel: EnvKernel<GeneratorBank>, numEnvs: number, rngBytes: number, sizes: number[], shared: boolean) {
  const at: number[] = [];
  let end = rngBytes;
  for (const size of [...sizes, numEnvs * kernel.actionSize * 8, WASM_SCRATCH_BYTES, numEnvs * 24]) {
    end = Math.ceil(end / 16) * 16;
    at.push(end);
    end += size;
  }
  const pages = Math.ceil(end / 65536);
  if (pages > 65536) return null;
  try {
    const memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
    return { memory, buffer: memory.buffer, at };
  } catch {
    return null;
  }
}

export interface VectorEnvOptions {
  numEnvs: number;
  autoresetMode?: AutoresetMode;
  /** steps after which an episode is truncated; null for none */
  maxEpisodeSteps?: number | null;
  id?: string;
  /** step through the kernel's WASM loop when it has one (default true; false: the JS loop) */
  wasm?: boolean;
}

/** Serializable state of a vector env: enough to continue exactly. */
export interface VectorEnvState {
  numEnvs: number;
  state: number[];
  /** each env's generator state, in its bank's own form (numpy's `bit_generator.state` for PCG64) */
  rngs: unknown[];
  elapsed: number[];
  autoreset: number[];
  started: boolean;
}

export class VectorEnv {
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly maxEpisodeSteps: number;
  readonly singleActionSpace: Discrete | Box;
  readonly singleObservationSpace: Box;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly id: string;

  /** struct-of-arrays state: component k of env i at `state[k * numEnvs + i]` */
  readonly state: Float64Array;
  readonly rngs: GeneratorBank;
  private readonly outcome: StepOutcome = { reward: 0, terminated: false };
  /** steps taken in the current episode, per env */
  readonly elapsed: Int32Array;
  /** envs that ended on the previous step and reset on the next one (next-step mode), or must be reset (disabled) */
  readonly autoreset: Uint8Array;

  // Output buffers, reused every step: copy them if you keep them past the next call.
  readonly obs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminations: Uint8Array;
  readonly truncations: Uint8Array;
  readonly finalObs: Float32Array;
  readonly finalObsMask: Uint8Array;
  readonly buffers: VectorBuffers;
  private readonly defaultReset: unknown;
  private readonly nActions: number;
  protected started = false;
  private readonly batch: BatchBuffers<GeneratorBank>;
  /** Forces the generic per-env loop even where the kernel has a fused one (tests compare them). */
  slowPath = false;
  /** the kernel's WASM loop over this env's buffers, when they are laid out for it */
  private readonly wasmLoop: WasmLoop | null;

  constructor(
    readonly kernel: EnvKernel<GeneratorBank>,
    options: VectorEnvOptions,
    buffers?: VectorBuffers,
  ) {
    const { numEnvs, autoresetMode = "next-step", maxEpisodeSteps = null } = options;
    if (!Number.isSafeInteger(numEnvs) || numEnvs < 1) throw new RangeError(`numEnvs must be a positive integer, got ${numEnvs}`);
    if (!AUTORESET_MODES.includes(autoresetMode)) {
      throw new RangeError(`autoresetMode must be one of ${AUTORESET_MODES.join(", ")}, got ${String(autoresetMode)}`);
    }
    if (maxEpisodeSteps !== null && (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps < 1)) {
      throw new RangeError(`maxEpisodeSteps must be a positive integer or null, got ${maxEpisodeSteps}`);
    }
    this.id = options.id ?? kernel.name;
    this.numEnvs = numEnvs;
    this.autoresetMode = autoresetMode;
    this.maxEpisodeSteps = maxEpisodeSteps ?? Infinity;
    this.singleActionSpace = kernel.actionSpace;
    this.singleObservationSpace = kernel.observationSpace;
    this.obsSize = kernel.observationSpace.size;
    this.actionSize = kernel.actionSize;
    this.nActions = kernel.actionSpace instanceof Discrete ? kernel.actionSpace.n : 0;
    this.buffers = buffers ?? allocateVectorBuffers(kernel, numEnvs, false, options.wasm ?? true);
    ({
      state: this.state,
      elapsed: this.elapsed,
      autoreset: this.autoreset,
      obs: this.obs,
      rewards: this.rewards,
      terminations: this.terminations,
      truncations: this.truncations,
      finalObs: this.finalObs,
      finalObsMask: this.finalObsMask,
    } = this.buffers);
    this.rngs = bankTypeOf(kernel).create(numEnvs, this.buffers.rngStorage);
    this.defaultReset = kernel.parseResetOptions(undefined);
    const { rngStorage: _, finalObs: __, finalObsMask: ___, wasm, ...stepArrays } = this.buffers;
    this.batch = { ...stepArrays, n: numEnvs, rng: this.rngs, resetParams: this.defaultReset, maxEpisodeSteps: this.maxEpisodeSteps };
    this.wasmLoop = wasm && kernel.wasmNextStep && options.wasm !== false ? bindWasmLoop(kernel.wasmNextStep, wasm, this.batch, this.actionSize, kernel.params) : null;
  }

  /**
   * Resets every env (or those in `options.reset_mask`) and returns `[obs, info]`.
   * Env i is seeded with `seed + i`; without a seed, envs never seeded draw OS entropy and the
   * others continue their generators.
   */
  reset(args: VectorResetArgs = {}): [Float32Array, VectorInfo] {
    const n = this.numEnvs;
    const { mask, options } = readVectorResetArgs(this.id, n, args, this.started);
    const seeds = expandSeeds(this.id, n, args.seed);
    const parsed = parseKernelResetOptions(this.id, this.kernel, options);
    for (let i = 0; i < n; i++) {
      if (mask && !mask[i]) continue;
      const seed = seeds[i];
      if (seed !== undefined) this.rngs.seed(i, seed);
      else if (!this.started) this.rngs.seed(i);
      this.kernel.reset(this.state, n, i, this.rngs, parsed);
      this.kernel.observe(this.state, n, i, this.obs, i * this.obsSize);
      this.elapsed[i] = 0;
      this.autoreset[i] = 0;
    }
    this.started = true;
    return [this.obs, EMPTY_INFO];
  }

  /**
   * Steps every env with `actions` (numEnvs × actionSize numbers: integers for Discrete spaces).
   * Returned arrays are this env's buffers, overwritten by the next call.
   */
  step(actions: ArrayLike<number>): VectorStepResult {
    const anyFinal = this.stepRange(this.checkStep(actions), 0, this.numEnvs);
    return this.result(anyFinal);
  }

  /** Checks a step's input; returns the actions to step with (the WASM loop's copy of them, where it runs). */
  protected checkStep(actions: ArrayLike<number>): ArrayLike<number> {
    if (!this.started) throw new Error(`${this.id}: step() called before reset(); call reset() first`);
    const staged = this.checkActions(actions);
    if (this.autoresetMode === "disabled") {
      const i = this.autoreset.indexOf(1);
      if (i >= 0) {
        throw new Error(`${this.id}: env ${i} ended its episode and autoreset is disabled; reset it with reset({options: {reset_mask}})`);
      }
    }
    return staged;
  }

  protected result(anyFinal: boolean): VectorStepResult {
    const info = anyFinal ? { final_obs: this.finalObs, _final_obs: this.finalObsMask } : EMPTY_INFO;
    return [this.obs, this.rewards, this.terminations, this.truncations, info];
  }

  /** Steps envs [from, to); returns whether any of them autoreset in same-step mode. */
  stepRange(actions: ArrayLike<number>, from: number, to: number): boolean {
    const k = this.kernel;
    if (this.autoresetMode === "next-step" && !this.slowPath) {
      if (this.wasmLoop) {
        this.wasmLoop.step(actions, from, to);
        return false;
      }
      if (k.stepBatchNextStep) {
        k.stepBatchNextStep(this.batch, actions, from, to);
        return false;
      }
    }
    const n = this.numEnvs;
    const s = this.state;
    const obs = this.obs;
    const od = this.obsSize;
    const ad = this.actionSize;
    const maxSteps = this.maxEpisodeSteps;
    const sameStep = this.autoresetMode === "same-step";
    const rewards = this.rewards, terms = this.terminations, truncs = this.truncations;
    const elapsed = this.elapsed, autoreset = this.autoreset;
    const finalObsMask = this.finalObsMask;
    let anyFinal = false;
    for (let i = from; i < to; i++) {
      finalObsMask[i] = 0;
      if (autoreset[i]) {
        k.reset(s, n, i, this.rngs, this.defaultReset);
        k.observe(s, n, i, obs, i * od);
        elapsed[i] = 0;
        autoreset[i] = 0;
        rewards[i] = 0;
        terms[i] = 0;
        truncs[i] = 0;
        continue;
      }
      const out = this.outcome;
      k.step(s, n, i, actions, i * ad, this.rngs, out);
      rewards[i] = out.reward;
      const term = out.terminated;
      const trunc = ++elapsed[i]! >= maxSteps;
      terms[i] = term ? 1 : 0;
      truncs[i] = trunc ? 1 : 0;
      k.observe(s, n, i, obs, i * od);
      if (term || trunc) {
        if (sameStep) {
          this.finalObs.set(obs.subarray(i * od, i * od + od), i * od);
          finalObsMask[i] = 1;
          anyFinal = true;
          k.reset(s, n, i, this.rngs, this.defaultReset);
          k.observe(s, n, i, obs, i * od);
          elapsed[i] = 0;
        } else {
          autoreset[i] = 1;
        }
      }
    }
    return anyFinal;
  }

  private checkActions(actions: ArrayLike<number>): ArrayLike<number> {
    const expected = this.numEnvs * this.actionSize;
    if (actions == null || typeof actions.length !== "number" || actions.length !== expected) {
      throw new RangeError(
        `${this.id}: expected ${expected} actions (${this.numEnvs} envs × ${this.actionSize}), got ${actions == null ? String(actions) : actions.length}`,
      );
    }
    const nA = this.nActions;
    if (this.wasmLoop && nA > 0 && this.wasmLoop.stage(actions, nA)) return this.wasmLoop.actions;
    if (nA > 0) {
      for (let j = 0; j < expected; j++) {
        const a = actions[j]!;
        if (!(a >= 0 && a < nA && a === Math.floor(a))) {
          throw new RangeError(`${this.id}: action ${a} for env ${j} is outside ${this.singleActionSpace}; pass integers in [0, ${nA})`);
        }
      }
    } else {
      for (let j = 0; j < expected; j++) {
        const a = actions[j]!;
        if (!Number.isFinite(a)) {
          throw new RangeError(`${this.id}: action ${a} for env ${Math.floor(j / this.actionSize)} is not a finite number`);
        }
      }
    }
    return actions;
  }

  render(index = 0): RgbFrame {
    if (!this.started) throw new Error(`${this.id}: render() called before reset(); call reset() first`);
    if (!Number.isInteger(index) || index < 0 || index >= this.numEnvs) {
      throw new RangeError(`${this.id}: render index must be in [0, ${this.numEnvs}), got ${index}`);
    }
    const { width, height } = this.kernel.renderSize;
    const frame = { width, height, data: new Uint8Array(width * height * 3) };
    this.kernel.render(this.state, this.numEnvs, index, frame);
    return frame;
  }

  getState(): VectorEnvState {
    return {
      numEnvs: this.numEnvs,
      state: Array.from(this.state),
      rngs: Array.from({ length: this.numEnvs }, (_, i) => this.rngs.getState(i)),
      elapsed: Array.from(this.elapsed),
      autoreset: Array.from(this.autoreset),
      started: this.started,
    };
  }

  setState(st: VectorEnvState): void {
    const n = this.numEnvs;
    if (!st || st.numEnvs !== n || st.state?.length !== this.state.length) {
      throw new TypeError(`${this.id}: saved state is for ${st?.numEnvs} envs of a different shape; expected ${n}`);
    }
    for (const key of ["rngs", "elapsed", "autoreset"] as const) {
      if (!Array.isArray(st[key]) || st[key].length !== n) throw new TypeError(`${this.id}: saved state field "${key}" must have ${n} entries`);
    }
    this.state.set(st.state);
    st.rngs.forEach((r, i) => this.rngs.setState(i, r));
    this.elapsed.set(st.elapsed);
    this.autoreset.set(st.autoreset);
    this.started = st.started;
    for (let i = 0; i < this.numEnvs; i++) this.kernel.observe(this.state, this.numEnvs, i, this.obs, i * this.obsSize);
  }

  close(): void {}
}

/**
 * A vector env's reset argument, checked before any env is reset (shared by every vector env):
 * `{seed?, options?}`, `options.reset_mask` one boolean (or 0/1) per env, the first reset of every
 * env. Returns the mask (null: every env) and the options left for the envs (undefined: none).
 */
export function readVectorResetArgs(id: string, n: number, args: unknown, started: boolean): { mask: ArrayLike<boolean | number> | null; options: ResetOptions | undefined } {
  checkResetArgs(id, args);
  const { reset_mask: mask, ...rest } = args.options ?? {};
  const given = args.options !== undefined && "reset_mask" in args.options;
  if (given) {
    const list = Array.isArray(mask) || (ArrayBuffer.isView(mask) && !(mask instanceof DataView)) ? (mask as ArrayLike<unknown>) : null;
    if (!list || list.length !== n) {
      throw new TypeError(`${id}: options.reset_mask must have ${n} entries (one boolean per env), got ${list ? `${list.length} entries` : typeof mask === "string" ? JSON.stringify(mask) : mask !== null && typeof mask === "object" ? "an object" : String(mask)}`);
    }
    for (let i = 0; i < n; i++) {
      const v = list[i];
      if (!(v === true || v === false || v === 0 || v === 1)) throw new TypeError(`${id}: options.reset_mask[${i}] must be true or false (or 1 or 0), got ${typeof v === "string" ? JSON.stringify(v) : String(v)}`);
    }
    if (!started) throw new Error(`${id}: the first reset must reset every env; call reset() without reset_mask first`);
  }
  return { mask: given ? (mask as ArrayLike<boolean | number>) : null, options: Object.keys(rest).length ? rest : undefined };
}

/** Per-env seeds from a vector reset's `seed`: env i gets seed + i, or its own entry of an array. */
export function expandSeeds(id: string, n: number, seed: VectorResetArgs["seed"]): (Seed | undefined)[] {
  if (seed === undefined) return new Array(n).fill(undefined);
  if (Array.isArray(seed)) {
    if (seed.length !== n) throw new RangeError(`${id}: got ${seed.length} seeds for ${n} envs`);
    seed.forEach((s, i) => s !== undefined && assertValidSeed(s, `seed[${i}]`));
    return seed.slice();
  }
  assertValidSeed(seed);
  const base = seed as Seed;
  // env i gets seed + i; past 2^53 that sum needs BigInt to stay exact
  const exact = typeof base === "bigint" || base + n - 1 > Number.MAX_SAFE_INTEGER;
  return Array.from({ length: n }, (_, i) => (exact ? BigInt(base) + BigInt(i) : (base as number) + i));
}
