/**
 * An environment is a kernel: pure functions over explicit state, gymnax-style. State lives in
 * a Float64Array laid out struct-of-arrays — component k of env i at `s[k * n + i]` — so one
 * kernel serves the single env (n = 1), the vectorized env, checkpoints and exact replay.
 */
import type { PCG64Bank } from "../rng/pcg64.js";
import type { Box, Discrete } from "./spaces.js";

/** Options Gymnasium's classic envs accept in `reset({ options })`. */
export type ResetOptions = Record<string, unknown>;

export interface RenderTarget {
  width: number;
  height: number;
  /** RGB, row-major, top row first */
  data: Uint8Array;
}

export interface EnvKernel {
  /** Gymnasium class name, e.g. "CartPoleEnv" */
  readonly name: string;
  /** float64 words of state per env */
  readonly stateSize: number;
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
  reset(s: Float64Array, n: number, i: number, rng: PCG64Bank, parsed: unknown): void;
  /** Advances env i by one step with the action at `actions[a .. a + actionSize)`; returns the reward. */
  step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number): number;
  /** Whether env i's current state is terminal (called right after `step`). */
  terminal(s: Float64Array, n: number, i: number): boolean;
  /** Writes env i's float32 observation at `obs[o .. o + obsSize)`. */
  observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void;
  /** Draws env i's current state into an RGB frame of `renderSize`. */
  render(s: Float64Array, n: number, i: number, target: RenderTarget): void;
  /**
   * Optional fused loop for the vector env's "next-step" autoreset mode: the same results as the
   * generic per-env calls (tests compare the two), with the kernel's math inlined.
   */
  stepBatchNextStep?(b: BatchBuffers, actions: ArrayLike<number>, from: number, to: number): void;
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
export interface BatchBuffers extends StepArrays {
  n: number;
  rng: PCG64Bank;
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
