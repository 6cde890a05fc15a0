/**
 * An environment is a kernel: pure functions over explicit state, gymnax-style. State lives in
 * a Float64Array laid out struct-of-arrays — component k of env i at `s[k * n + i]` — so one
 * kernel serves the single env (n = 1), the vectorized env, checkpoints and exact replay.
 */
import { PCG64Bank } from "../rng/pcg64.js";
import type { Seed } from "../rng/seed-sequence.js";
import type { Box, Discrete } from "./spaces.js";
import type { WasmNextStep } from "./wasm-step.js";

/** Options Gymnasium's classic envs accept in `reset({ options })`. */
export type ResetOptions = Record<string, unknown>;

export interface RenderTarget {
  width: number;
  height: number;
  /** RGB, row-major, top row first */
  data: Uint8Array;
}

/**
 * A bank of random generators, one per env, in one buffer (shareable between threads): numpy's
 * PCG64 (`Generator`, what Gymnasium seeds) by default; a kernel may bring another, e.g. MT19937
 * (numpy's legacy `RandomState`, what MinAtar draws from).
 */
export interface GeneratorBank<S = unknown> {
  /** seeds generator i as numpy seeds from `seed`, or from OS entropy without one */
  seed(i: number, seed?: Seed): void;
  getState(i: number): S;
  setState(i: number, state: S): void;
}

/** How a kernel's generator bank is made: its size in bytes for `numEnvs`, and a bank over a buffer. */
export interface GeneratorBankType<R extends GeneratorBank = GeneratorBank> {
  bytesFor(numEnvs: number): number;
  create(numEnvs: number, storage?: ArrayBufferLike): R;
}

export const PCG64_BANK: GeneratorBankType<PCG64Bank> = {
  bytesFor: (n) => PCG64Bank.bytesFor(n),
  create: (n, storage) => new PCG64Bank(n, storage),
};

/** What one step of one env reports besides its new state; the kernel writes both fields. */
export interface StepOutcome {
  reward: number;
  terminated: boolean;
}

/** A kernel's parameters (gymnax's `EnvParams`): the Gymnasium constructor arguments it takes. */
export type KernelParams = Readonly<Record<string, number | boolean>>;

export interface EnvKernel<R extends GeneratorBank = PCG64Bank> {
  /** Gymnasium class name, e.g. "CartPoleEnv" */
  readonly name: string;
  /** the float64 words of state per env, by name, in layout order (gymnax's `EnvState`) */
  readonly stateFields: readonly string[];
  /** the parameters this kernel was made with (gymnax's `EnvParams`; `make(id, kwargs)` sets them) */
  readonly params: KernelParams;
  /** the generators' kind; PCG64 (numpy's Generator) when omitted */
  readonly rng?: GeneratorBankType<R>;
  readonly actionSpace: Discrete | Box;
  readonly observationSpace: Box;
  /** numbers per action: 1 for Discrete, the Box size otherwise */
  readonly actionSize: number;
  readonly renderSize: { width: number; height: number };
  /** `render_fps` from Gymnasium's metadata */
  readonly renderFps: number;

  /** Checks reset options once, before any env is reset; returns what `reset` takes. */
  parseResetOptions(options: ResetOptions | undefined): unknown;
  /** Draws env i's initial state from generator i of `rng`. */
  reset(s: Float64Array, n: number, i: number, rng: R, parsed: unknown): void;
  /**
   * Advances env i by one step with the action at `actions[a .. a + actionSize)`, drawing any
   * randomness from generator i of `rng`; writes the reward and whether the new state is terminal.
   */
  step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number, rng: R, out: StepOutcome): void;
  /** Writes env i's float32 observation at `obs[o .. o + obsSize)`. */
  observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void;
  /** Draws env i's current state into an RGB frame of `renderSize`. */
  render(s: Float64Array, n: number, i: number, target: RenderTarget): void;
  /**
   * Optional fused loop for the vector env's "next-step" autoreset mode: the same results as the
   * generic per-env calls (tests compare the two), with the kernel's math inlined.
   */
  stepBatchNextStep?(b: BatchBuffers<R>, actions: ArrayLike<number>, from: number, to: number): void;
  /**
   * Built-in kernels only: a bit-identical WASM SIMD version of the vector env's next-step loop
   * over this kernel, in tsrl's env module (wasm/envs.ts), which vector envs of 2 envs or more
   * step through.
   */
  readonly wasmNextStep?: WasmNextStep;
}

/** The generator bank type of a kernel. */
export function bankTypeOf<R extends GeneratorBank>(kernel: EnvKernel<R>): GeneratorBankType<R> {
  return (kernel.rng ?? PCG64_BANK) as GeneratorBankType<R>;
}

/**
 * A kernel's parameters from `make(id, kwargs)`: the defaults overridden by kwargs of the same
 * names and types. `render_mode` is accepted (kernels always render RGB frames) and ignored.
 */
export function kernelParams<P extends KernelParams>(env: string, defaults: P, kwargs: Record<string, unknown> = {}): P {
  const out: Record<string, number | boolean> = { ...defaults };
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === "render_mode" || key === "renderMode") {
      if (value !== null && value !== undefined && value !== "rgb_array" && value !== "ansi") {
        throw new RangeError(`${env}: render_mode must be "rgb_array" or "ansi", got ${JSON.stringify(value)}`);
      }
      continue;
    }
    if (!(key in defaults)) {
      const accepted = Object.keys(defaults);
      throw new TypeError(`${env} has no keyword argument "${key}"; it takes ${accepted.length ? accepted.join(", ") : "none"} (and render_mode)`);
    }
    const expected = typeof defaults[key];
    if (typeof value !== expected || (expected === "number" && !Number.isFinite(value))) {
      throw new TypeError(`${env}: ${key} must be a ${expected === "number" ? "finite number" : expected}, got ${JSON.stringify(value)}`);
    }
    out[key] = value as number | boolean;
  }
  return Object.freeze(out) as P;
}

/** The arrays one vector-env step reads and writes, per env. */
export interface StepArrays {
  /** struct-of-arrays state: component k of env i at `state[k * n + i]` */
  state: Float64Array;
  elapsed: Int32Array;
  autoreset: Uint8Array;
  obs: Float32Array;
  rewards: Float64Array;
  terminations: Uint8Array;
  truncations: Uint8Array;
}

/** The vector env's buffers, as a fused kernel loop sees them. */
export interface BatchBuffers<R extends GeneratorBank = PCG64Bank> extends StepArrays {
  n: number;
  rng: R;
  /** the parsed default reset options */
  resetParams: unknown;
  maxEpisodeSteps: number;
}

/** Gymnasium's `utils.maybe_parse_reset_bounds`: `{low, high}` options with defaults. */
export function parseResetBounds(
  options: ResetOptions | undefined,
  defaultLow: number,
  defaultHigh: number,
): { low: number; high: number } {
  if (!options) return { low: defaultLow, high: defaultHigh };
  assertResetOptionKeys(options, ["low", "high"]);
  const low = toNumberOption(options, "low", defaultLow);
  const high = toNumberOption(options, "high", defaultHigh);
  if (low > high) throw new RangeError(`reset options: low (${low}) must not exceed high (${high})`);
  return { low, high };
}

export function toNumberOption(options: ResetOptions, key: string, fallback: number): number {
  if (!(key in options)) return fallback;
  const v = Number(options[key]);
  if (!Number.isFinite(v)) throw new TypeError(`reset option "${key}" must be a finite number, got ${String(options[key])}`);
  return v;
}

/**
 * Refuses reset options an env does not take (Gymnasium ignores them, so a misspelt `lwo` would
 * silently reset from the defaults); `known` are the options the env reads.
 */
export function assertResetOptionKeys(options: ResetOptions, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new TypeError(`unknown reset option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; this env takes ${known.length ? known.map((k) => JSON.stringify(k)).join(", ") : "none"}`);
  }
}

/**
 * Checks `reset`'s argument before anything is reset: an object holding only `seed`, `options`
 * (an object) and, for vector envs, nothing else. `reset(5)` or `{seeed: 5}` are refused, not
 * read as an unseeded reset.
 */
export function checkResetArgs(label: string, args: unknown): asserts args is { seed?: Seed; options?: ResetOptions } {
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    const hint = typeof args === "number" || typeof args === "bigint" ? ` (to seed, pass reset({seed: ${String(args)}}))` : "";
    throw new TypeError(`${label}: reset() takes {seed?, options?}, got ${describeValue(args)}${hint}`);
  }
  const extra = Object.keys(args).filter((k) => k !== "seed" && k !== "options");
  if (extra.length) throw new TypeError(`${label}: reset() takes {seed?, options?}; unknown key${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k)).join(", ")}`);
  const options = (args as { options?: unknown }).options;
  if (options !== undefined && (options === null || typeof options !== "object" || Array.isArray(options))) {
    throw new TypeError(`${label}: reset options must be an object, got ${describeValue(options)}`);
  }
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return "an array";
  return v === null ? "null" : typeof v === "object" || typeof v === "function" ? `a ${typeof v}` : String(v);
}

/** The kernel's reading of reset options, its errors prefixed with the env's name. */
export function parseKernelResetOptions(label: string, kernel: Pick<EnvKernel<GeneratorBank>, "parseResetOptions">, options: ResetOptions | undefined): unknown {
  try {
    return kernel.parseResetOptions(options);
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new (err.constructor as ErrorConstructor)(`${label}: ${err.message}`);
    throw err;
  }
}
