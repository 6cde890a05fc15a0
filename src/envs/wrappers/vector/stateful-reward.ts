/** Gymnasium's `wrappers.vector.NormalizeReward`. */
import type { VectorInfo, VectorResetArgs, VectorStepResult } from "../../vector.js";
import { RunningMeanStd, type RunningMeanStdState } from "../running-mean-std.js";
import { checkEpsilon, checkGamma } from "../validate.js";
import { type VectorEnvLike, VectorWrapper } from "../vector-wrapper.js";

export interface VectorNormalizeRewardState {
  returnRms: RunningMeanStdState;
  accumulatedReward: number[];
  prevDones: number[];
}

/**
 * Scales rewards by the running standard deviation of per-env discounted reward accumulators:
 * `reward / sqrt(var + epsilon)`. Each step, every active env's accumulator becomes
 * `acc * gamma * (1 - terminated) + reward` and the active accumulators form one batch of the
 * statistics.
 *
 * In "next-step" and "disabled" modes the step after a done (the reset step) is inactive and
 * its accumulator is kept, so after a truncation the old episode's sum carries into the new one.
 * In "same-step" mode every env is active and a done zeroes the accumulator after the update.
 * `reset()` zeroes every accumulator, even on a partial reset.
 */
export class NormalizeReward extends VectorWrapper {
  readonly returnRms = new RunningMeanStd(1);
  readonly accumulatedReward: Float64Array;
  /** false freezes the statistics, e.g. for evaluation */
  updateRunningMean = true;
  private readonly prevDones: Uint8Array;
  private readonly batch: Float64Array;
  private readonly out: Float64Array;

  constructor(
    env: VectorEnvLike,
    readonly gamma = 0.99,
    readonly epsilon = 1e-8,
  ) {
    super(env);
    checkGamma("NormalizeReward", gamma);
    checkEpsilon("NormalizeReward", epsilon);
    const n = this.numEnvs;
    this.accumulatedReward = new Float64Array(n);
    this.prevDones = new Uint8Array(n);
    this.batch = new Float64Array(n);
    this.out = new Float64Array(n);
  }

  override reset(args?: VectorResetArgs): [Float32Array, VectorInfo] {
    this.accumulatedReward.fill(0);
    this.prevDones.fill(0);
    return super.reset(args);
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    const result = super.step(actions);
    const [, rewards, terminations, truncations] = result;
    const n = this.numEnvs, acc = this.accumulatedReward, prevDones = this.prevDones;
    const sameStep = this.autoresetMode === "same-step";
    let active = 0;
    for (let i = 0; i < n; i++) {
      if (sameStep || !prevDones[i]) {
        acc[i] = acc[i]! * this.gamma * (1 - terminations[i]!) + rewards[i]!;
        this.batch[active++] = acc[i]!;
      }
    }
    if (this.updateRunningMean && active > 0) this.returnRms.update(this.batch, active);
    for (let i = 0; i < n; i++) {
      prevDones[i] = terminations[i]! | truncations[i]! ? 1 : 0;
      // the done env has already reset, so its new return starts from nothing
      if (sameStep && prevDones[i]) acc[i] = 0;
    }
    const scale = Math.sqrt(this.returnRms.var[0]! + this.epsilon);
    for (let i = 0; i < n; i++) this.out[i] = rewards[i]! / scale;
    result[1] = this.out;
    return result;
  }

  getState(): VectorNormalizeRewardState {
    return {
      returnRms: this.returnRms.getState(),
      accumulatedReward: Array.from(this.accumulatedReward),
      prevDones: Array.from(this.prevDones),
    };
  }

  setState(s: VectorNormalizeRewardState): void {
    const n = this.numEnvs;
    if (s?.accumulatedReward?.length !== n || s.prevDones?.length !== n) {
      throw new TypeError(`NormalizeReward: state must hold accumulatedReward and prevDones of ${n} numbers`);
    }
    this.returnRms.setState(s.returnRms);
    this.accumulatedReward.set(s.accumulatedReward);
    this.prevDones.set(s.prevDones);
  }
}
