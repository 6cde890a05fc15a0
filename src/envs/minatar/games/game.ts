/**
 * What every MinAtar game provides (MinAtar 1.0.15, minatar/environments/*.py): the 10×10×C
 * boolean state, `act` by action index, `reset`, the difficulty ramp, the minimal action set,
 * and one numpy `RandomState` the game draws from (shared with sticky actions once seeded).
 */
import { LegacyRandomState } from "../../../rng/random-state.js";

export const GRID = 10;
/** MinAtar's action names by index: no-op, left, up, right, down, fire. */
export const ACTION_NAMES = ["n", "l", "u", "r", "d", "f"] as const;

export abstract class MinAtarGame {
  /** channel names in index order (MinAtar's `channels` dict) */
  abstract readonly channels: readonly string[];
  /** action indices that have a distinct effect, in MinAtar's order */
  abstract readonly minimalActionSet: readonly number[];
  terminal = false;

  /**
   * MinAtar games make their own unseeded `RandomState()` and call `reset()` in `__init__`;
   * `Environment.seed` later replaces it with the shared, seeded one.
   */
  constructor(public random: LegacyRandomState = new LegacyRandomState()) {}

  /** Starts a new episode (draws from `random` in Breakout and Freeway). */
  abstract reset(): void;
  /** One frame with action index `a` in 0..5; returns the reward (after the terminal frame: 0, no change). */
  abstract act(a: number): number;
  /** Writes the state at `out[o ..)` (10 × 10 × C, row-major HWC, 0/1), as MinAtar's `state()`. */
  abstract writeState(out: Uint8Array | Float32Array, o?: number): void;
  /** The difficulty level reached (null for games without a ramp). */
  abstract difficultyRamp(): number | null;

  /** Names of the float64 words `store` writes per env: the game's state as a kernel lays it out. */
  abstract get stateFields(): readonly string[];
  /** Takes env i's state from a struct-of-arrays buffer (word k of env i at `s[k * n + i]`). */
  abstract load(s: Float64Array, n: number, i: number): void;
  /** Writes the state as env i of a struct-of-arrays buffer. */
  abstract store(s: Float64Array, n: number, i: number): void;

  get numChannels(): number {
    return this.channels.length;
  }

  /** Everything but the generator, as JSON data (checkpoints, exact replay). */
  getState(): Record<string, unknown> {
    const state: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) {
      if (key === "random" || key === "channels" || key === "minimalActionSet") continue;
      state[key] = toJson(value);
    }
    return state;
  }

  setState(state: Record<string, unknown>): void {
    if (!state || typeof state !== "object") throw new TypeError(`${this.constructor.name}.setState: expected an object from getState()`);
    const self = this as unknown as Record<string, unknown>;
    for (const [key, current] of Object.entries(this)) {
      if (key === "random" || key === "channels" || key === "minimalActionSet") continue;
      if (!(key in state)) throw new TypeError(`${this.constructor.name}.setState: field "${key}" is missing`);
      const value = state[key];
      if (ArrayBuffer.isView(current)) {
        const typed = current as unknown as Uint8Array;
        if (!Array.isArray(value) || value.length !== typed.length) throw new TypeError(`${this.constructor.name}.setState: "${key}" must be ${typed.length} numbers`);
        typed.set(value as number[]);
      } else self[key] = toJson(value);
    }
  }
}

/** A deep copy as plain JSON data (typed arrays become arrays). */
function toJson(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}
