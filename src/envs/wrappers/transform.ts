/** Gymnasium's stateless single-env wrappers: `TransformObservation`, `TransformReward`, `ClipAction`. */
import type { Action, Env } from "../env.js";
import { Box, type BoxValue, type Space } from "../spaces.js";
import { flatten, flattenSpace } from "../space-utils.js";
import { ActionWrapper, ObservationWrapper, RewardWrapper } from "./core.js";

/** Applies `fn` to every observation; pass `observationSpace` when `fn` leaves the wrapped env's space. */
export class TransformObservation<O = Float32Array, A = Action, IO = Float32Array> extends ObservationWrapper<O, A, IO> {
  private readonly space: Space | undefined;

  constructor(
    env: Env<IO, A>,
    readonly fn: (observation: IO) => O,
    observationSpace?: Space,
  ) {
    super(env);
    this.space = observationSpace;
  }

  override get observationSpace(): Space {
    return this.space ?? this.env.observationSpace;
  }

  observation(observation: IO): O {
    return this.fn(observation);
  }
}

/** Applies `fn` to every reward. */
export class TransformReward<O = Float32Array, A = Action> extends RewardWrapper<O, A> {
  constructor(
    env: Env<O, A>,
    readonly fn: (reward: number) => number,
  ) {
    super(env);
  }

  reward(reward: number): number {
    return this.fn(reward);
  }
}

export type BoxAction = BoxValue | readonly number[];

/**
 * Clips Box actions to the action space's bounds, element-wise, as `np.clip` does (NaN stays NaN).
 * Gymnasium widens the wrapper's action space to (-inf, inf); this keeps the wrapped env's Box so
 * that `actionSpace.sample()` still works.
 */
export class ClipAction<O = Float32Array> extends ActionWrapper<O, BoxAction, Action> {
  private readonly box: Box;

  constructor(env: Env<O, Action>) {
    super(env);
    const space = env.actionSpace;
    if (!(space instanceof Box)) throw new TypeError(`ClipAction requires a Box action space, got ${space}`);
    this.box = space;
  }

  action(action: BoxAction): BoxValue {
    if (action?.length !== this.box.size) {
      throw new RangeError(`ClipAction: expected an array of ${this.box.size} numbers for ${this.box}, got ${String(action)}`);
    }
    // np.clip keeps a float32 array float32 and makes anything else float64.
    const out = action instanceof Float32Array ? new Float32Array(action.length) : new Float64Array(action.length);
    clipInto(action, this.box, out, 0);
    return out;
  }
}

/** Clips the action at `actions[offset .. offset + box.size)` to `box`, writing it at the same offset of `out`. */
export function clipInto(actions: ArrayLike<number>, box: Box, out: BoxValue, offset: number): void {
  const { low, high } = box;
  const d = box.size;
  for (let k = 0; k < d; k++) {
    const v = actions[offset + k]!;
    out[offset + k] = v < low[k]! ? low[k]! : v > high[k]! ? high[k]! : v;
  }
}

/** Gymnasium's `FlattenObservation`: observations of any space as one float32 vector (`spaces.utils.flatten`). */
export class FlattenObservation<A = Action> extends ObservationWrapper<Float32Array, A, unknown> {
  private readonly space: Box;

  constructor(env: Env<unknown, A>) {
    super(env);
    this.space = flattenSpace(env.observationSpace);
  }

  override get observationSpace(): Box {
    return this.space;
  }

  observation(observation: unknown): Float32Array {
    return flatten(this.env.observationSpace, observation);
  }
}
