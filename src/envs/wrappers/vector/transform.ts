/** Gymnasium's stateless vector wrappers: `TransformObservation`, `TransformReward`, `ClipAction`. */
import { Box, type BoxValue, type Space } from "../../spaces.js";
import { clipInto } from "../transform.js";
import { type VectorEnvLike, VectorActionWrapper, VectorObservationWrapper, VectorRewardWrapper } from "../vector-wrapper.js";

/**
 * Applies `fn` to the whole numEnvs × obsSize observation batch; pass `singleObservationSpace`
 * when `fn` leaves the wrapped env's per-env space.
 */
export class TransformObservation extends VectorObservationWrapper {
  private readonly space: Space | undefined;

  constructor(
    env: VectorEnvLike,
    readonly fn: (observations: Float32Array) => Float32Array,
    singleObservationSpace?: Space,
  ) {
    super(env);
    this.space = singleObservationSpace;
  }

  override get singleObservationSpace(): Space {
    return this.space ?? this.env.singleObservationSpace;
  }

  observations(observations: Float32Array): Float32Array {
    return this.fn(observations);
  }
}

/** Applies `fn` to the batch of rewards. */
export class TransformReward extends VectorRewardWrapper {
  constructor(
    env: VectorEnvLike,
    readonly fn: (rewards: Float64Array) => Float64Array,
  ) {
    super(env);
  }

  rewards(rewards: Float64Array): Float64Array {
    return this.fn(rewards);
  }
}

/**
 * Clips each env's Box action to the single action space's bounds, into a reused buffer of the
 * space's dtype (Gymnasium concatenates the clipped actions into such an array). The action
 * space stays the wrapped env's Box rather than Gymnasium's (-inf, inf), so sampling still works.
 */
export class ClipAction extends VectorActionWrapper {
  private readonly box: Box;
  private readonly out: BoxValue;

  constructor(env: VectorEnvLike) {
    super(env);
    const space = env.singleActionSpace;
    if (!(space instanceof Box)) throw new TypeError(`ClipAction requires a Box action space, got ${space}`);
    this.box = space;
    const size = this.numEnvs * space.size;
    this.out = space.dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
  }

  actions(actions: ArrayLike<number>): BoxValue {
    if (actions?.length !== this.out.length) {
      throw new RangeError(`ClipAction: expected ${this.out.length} actions (${this.numEnvs} envs × ${this.box.size}), got ${actions?.length}`);
    }
    for (let o = 0; o < this.out.length; o += this.box.size) clipInto(actions, this.box, this.out, o);
    return this.out;
  }
}
