/** Gymnasium's `wrappers.vector.NormalizeObservation`. */
import { Box } from "../../spaces.js";
import type { VectorInfo, VectorResetArgs } from "../../vector.js";
import { RunningMeanStd } from "../running-mean-std.js";
import type { NormalizeObservationState } from "../stateful-observation.js";
import { checkEpsilon } from "../validate.js";
import { type VectorEnvLike, VectorObservationWrapper } from "../vector-wrapper.js";

/**
 * Normalizes each observation component across envs and time: every batch (reset batches
 * included) updates the running mean and variance, then each env's observation becomes
 * `(obs - mean) / sqrt(var + epsilon)` in float32. Only "next-step" autoreset and full resets
 * are supported, as in Gymnasium.
 */
export class NormalizeObservation extends VectorObservationWrapper {
  readonly obsRms: RunningMeanStd;
  /** false freezes the statistics, e.g. for evaluation */
  updateRunningMean = true;
  private readonly space: Box;
  private readonly out: Float32Array;
  private readonly scale: Float64Array;

  constructor(
    env: VectorEnvLike,
    readonly epsilon = 1e-8,
  ) {
    super(env, ["next-step"]);
    checkEpsilon("NormalizeObservation", epsilon);
    // observations arrive flattened (vector envs batch any space as float32 rows)
    const inner = env.singleObservationSpace;
    const size = env.obsSize;
    this.space = new Box(-Infinity, Infinity, inner instanceof Box ? inner.shape : [size], "float32");
    this.obsRms = new RunningMeanStd(size);
    this.out = new Float32Array(this.numEnvs * size);
    this.scale = new Float64Array(size);
  }

  override get singleObservationSpace(): Box {
    return this.space;
  }

  override reset(args?: VectorResetArgs): [Float32Array, VectorInfo] {
    const mask = args?.options?.reset_mask;
    if (mask && Array.prototype.some.call(mask, (m) => !m)) {
      throw new Error("NormalizeObservation does not support partial resets; reset_mask must be all true");
    }
    return super.reset(args);
  }

  observations(observations: Float32Array): Float32Array {
    const rms = this.obsRms, d = rms.size, out = this.out, scale = this.scale;
    if (this.updateRunningMean) rms.update(observations, this.numEnvs);
    for (let k = 0; k < d; k++) scale[k] = Math.sqrt(rms.var[k]! + this.epsilon);
    for (let i = 0, j = 0; i < this.numEnvs; i++) {
      for (let k = 0; k < d; k++, j++) out[j] = (observations[j]! - rms.mean[k]!) / scale[k]!;
    }
    return out;
  }

  getState(): NormalizeObservationState {
    return { obsRms: this.obsRms.getState() };
  }

  setState(s: NormalizeObservationState): void {
    this.obsRms.setState(s?.obsRms);
  }
}
