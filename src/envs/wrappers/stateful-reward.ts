/** Gymnasium's `NormalizeReward` for single envs. */
import { type Action, type Env, type StepResult, Wrapper } from "../env.js";
import { RunningMeanStd, type RunningMeanStdState } from "./running-mean-std.js";
import { checkEpsilon, checkGamma } from "./validate.js";

export interface NormalizeRewardState {
  returnRms: RunningMeanStdState;
  discountedReward: number;
}

/**
 * Scales rewards by the running standard deviation of a discounted reward accumulator:
 * `reward / sqrt(var + epsilon)`, the mean not subtracted.
 *
 * As in Gymnasium the accumulator is `acc * gamma * (1 - terminated) + reward`: termination
 * zeroes it before the terminal reward is added, truncation does not touch it, and `reset()`
 * leaves it alone, so it carries across episode boundaries.
 */
export class NormalizeReward<O = Float32Array, A = Action> extends Wrapper<O, A, O, A> {
  readonly returnRms = new RunningMeanStd(1);
  discountedReward = 0;
  /** false freezes the statistics, e.g. for evaluation */
  updateRunningMean = true;
  private readonly sample = new Float64Array(1);

  constructor(
    env: Env<O, A>,
    readonly gamma = 0.99,
    readonly epsilon = 1e-8,
  ) {
    super(env);
    checkGamma("NormalizeReward", gamma);
    checkEpsilon("NormalizeReward", epsilon);
  }

  override step(action: A): StepResult<O> {
    const result = super.step(action);
    const reward = result[1];
    this.discountedReward = this.discountedReward * this.gamma * (1 - Number(result[2])) + reward;
    if (this.updateRunningMean) {
      this.sample[0] = this.discountedReward;
      this.returnRms.update(this.sample, 1);
    }
    result[1] = reward / Math.sqrt(this.returnRms.var[0]! + this.epsilon);
    return result;
  }

  override getState(): NormalizeRewardState {
    return { returnRms: this.returnRms.getState(), discountedReward: this.discountedReward };
  }

  override setState(s: NormalizeRewardState): void {
    if (typeof s?.discountedReward !== "number") throw new TypeError("NormalizeReward: state must hold a numeric discountedReward");
    this.returnRms.setState(s.returnRms);
    this.discountedReward = s.discountedReward;
  }
}
