/**
 * Gymnasium's `VectorWrapper` and its observation, action and reward specializations. A wrapper
 * wraps a `VectorEnv` or another wrapper and forwards everything it does not change.
 */
import type { RgbFrame } from "../env.js";
import type { ActionSpace, Space } from "../spaces.js";
import type { AutoresetMode, VectorInfo, VectorResetArgs, VectorStepResult } from "../vector.js";

/**
 * A vector env at the bottom of a wrapper stack: the kernel loop (`VectorEnv`), `SyncVectorEnv`
 * over Env classes, or the worker-thread ones of "tsrl/node". Observations are flat float32 rows
 * (numEnvs × obsSize), actions flat numbers (numEnvs × actionSize); returned arrays are reused.
 */
export interface BaseVectorEnv {
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly singleActionSpace: ActionSpace;
  readonly singleObservationSpace: Space;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly id: string;
  readonly obs: Float32Array;
  /** same-step mode: the last observation of each env that ended this step (valid where `finalObsMask`) */
  readonly finalObs: Float32Array;
  readonly finalObsMask: Uint8Array;
  reset(args?: VectorResetArgs): [Float32Array, VectorInfo];
  step(actions: ArrayLike<number>): VectorStepResult;
  render(index?: number): RgbFrame | null;
  close(): void;
  /** everything needed to continue exactly (throws NotCheckpointableError where that is impossible) */
  getState(): unknown;
  setState(state: unknown): void;
}
export type VectorEnvLike = BaseVectorEnv | VectorWrapper;

/** Whether `x` is a vector env (not a wrapper of one). */
export function isBaseVectorEnv(x: unknown): x is BaseVectorEnv {
  const v = x as BaseVectorEnv;
  return !!v && typeof v === "object" && !(v instanceof VectorWrapper) && typeof v.numEnvs === "number" && typeof v.step === "function" && v.obs instanceof Float32Array;
}

export class VectorWrapper {
  constructor(readonly env: VectorEnvLike) {}

  get numEnvs(): number {
    return this.env.numEnvs;
  }
  get autoresetMode(): AutoresetMode {
    return this.env.autoresetMode;
  }
  get singleActionSpace(): ActionSpace {
    return this.env.singleActionSpace;
  }
  get singleObservationSpace(): Space {
    return this.env.singleObservationSpace;
  }
  /** numbers per env in the observation buffer */
  get obsSize(): number {
    return this.env.obsSize;
  }
  /** numbers per env in the actions passed to `step` */
  get actionSize(): number {
    return this.env.actionSize;
  }
  get id(): string {
    return this.env.id;
  }
  /** The vector env below every wrapper. */
  get unwrapped(): BaseVectorEnv {
    return this.env instanceof VectorWrapper ? this.env.unwrapped : this.env;
  }

  reset(args?: VectorResetArgs): [Float32Array, VectorInfo] {
    return this.env.reset(args);
  }
  step(actions: ArrayLike<number>): VectorStepResult {
    return this.env.step(actions);
  }
  render(index?: number): RgbFrame | null {
    return this.env.render(index);
  }
  close(): void {
    this.env.close();
  }
  toString(): string {
    const inner = this.env instanceof VectorWrapper ? this.env.toString() : `<${(this.env as object).constructor.name} ${this.env.id} × ${this.env.numEnvs}>`;
    return `<${this.constructor.name}, ${inner}>`;
  }
}

/**
 * Applies `observations()` to the batch that `reset` and `step` return. Refuses "same-step"
 * autoreset, as Gymnasium does: the final observations in `info.final_obs` would stay untransformed.
 */
export abstract class VectorObservationWrapper extends VectorWrapper {
  constructor(env: VectorEnvLike, allowedModes: readonly AutoresetMode[] = ["next-step", "disabled"]) {
    super(env);
    if (!allowedModes.includes(env.autoresetMode)) {
      throw new Error(
        `${this.constructor.name} supports autoreset mode ${allowedModes.map((m) => `"${m}"`).join(" or ")}, got "${env.autoresetMode}"`,
      );
    }
  }

  /** Transforms numEnvs × obsSize observations (the batch is the wrapped env's buffer, overwritten next step). */
  abstract observations(observations: Float32Array): Float32Array;

  override reset(args?: VectorResetArgs): [Float32Array, VectorInfo] {
    const [obs, info] = this.env.reset(args);
    return [this.observations(obs), info];
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    const result = this.env.step(actions);
    result[0] = this.observations(result[0]);
    return result;
  }
}

/** Applies `actions()` to the batch of actions before passing it to the wrapped env. */
export abstract class VectorActionWrapper extends VectorWrapper {
  abstract actions(actions: ArrayLike<number>): ArrayLike<number>;

  override step(actions: ArrayLike<number>): VectorStepResult {
    return this.env.step(this.actions(actions));
  }
}

/** Applies `rewards()` to the batch of rewards that `step` returns. */
export abstract class VectorRewardWrapper extends VectorWrapper {
  abstract rewards(rewards: Float64Array): Float64Array;

  override step(actions: ArrayLike<number>): VectorStepResult {
    const result = this.env.step(actions);
    result[1] = this.rewards(result[1]);
    return result;
  }
}
