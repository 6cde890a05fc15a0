/** Gymnasium's `NormalizeObservation` for single envs. */
import type { Action, Env } from "../env.js";
import { Box } from "../spaces.js";
import { ObservationWrapper } from "./core.js";
import { RunningMeanStd, type RunningMeanStdState } from "./running-mean-std.js";
import { checkEpsilon } from "./validate.js";

export interface NormalizeObservationState {
  obsRms: RunningMeanStdState;
}

/**
 * Centres each observation component on its running mean and scales it to unit variance:
 * `(obs - mean) / sqrt(var + epsilon)`, cast to float32. Every observation (reset ones
 * included) updates the statistics unless `updateRunningMean` is false.
 */
export class NormalizeObservation<A = Action> extends ObservationWrapper<Float32Array, A, ArrayLike<number>> {
  readonly obsRms: RunningMeanStd;
  /** false freezes the statistics, e.g. for evaluation */
  updateRunningMean = true;
  private readonly space: Box;

  constructor(
    env: Env<ArrayLike<number>, A>,
    readonly epsilon = 1e-8,
  ) {
    super(env);
    checkEpsilon("NormalizeObservation", epsilon);
    const inner = env.observationSpace;
    if (!(inner instanceof Box)) throw new TypeError(`NormalizeObservation needs a Box observation space, got ${inner}; wrap the env in FlattenObservation first`);
    this.space = new Box(-Infinity, Infinity, inner.shape, "float32");
    this.obsRms = new RunningMeanStd(inner.size);
  }

  override get observationSpace(): Box {
    return this.space;
  }

  observation(observation: ArrayLike<number>): Float32Array {
    const rms = this.obsRms;
    if (this.updateRunningMean) rms.update(observation, 1);
    const out = new Float32Array(rms.size);
    for (let k = 0; k < rms.size; k++) out[k] = (observation[k]! - rms.mean[k]!) / Math.sqrt(rms.var[k]! + this.epsilon);
    return out;
  }

  override getState(): NormalizeObservationState {
    return { obsRms: this.obsRms.getState() };
  }

  override setState(s: NormalizeObservationState): void {
    this.obsRms.setState(s?.obsRms);
  }
}
