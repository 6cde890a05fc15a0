/** Gymnasium's `ObservationWrapper`, `ActionWrapper` and `RewardWrapper` for single envs. */
import { type Action, type Env, type Info, type ResetArgs, type StepResult, Wrapper } from "../env.js";

/** Applies `observation()` to what `reset` and `step` return. */
export abstract class ObservationWrapper<O = Float32Array, A = Action, IO = Float32Array> extends Wrapper<O, A, IO, A> {
  constructor(env: Env<IO, A>) {
    super(env);
  }

  abstract observation(observation: IO): O;

  override reset(args?: ResetArgs): [O, Info] {
    const [obs, info] = this.env.reset(args);
    return [this.observation(obs), info];
  }

  override step(action: A): StepResult<O> {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    return [this.observation(obs), reward, terminated, truncated, info];
  }
}

/** Applies `action()` to the action before passing it to the wrapped env. */
export abstract class ActionWrapper<O = Float32Array, A = Action, IA = Action> extends Wrapper<O, A, O, IA> {
  constructor(env: Env<O, IA>) {
    super(env);
  }

  abstract action(action: A): IA;

  override step(action: A): StepResult<O> {
    return this.env.step(this.action(action));
  }
}

/** Applies `reward()` to the reward that `step` returns. */
export abstract class RewardWrapper<O = Float32Array, A = Action> extends Wrapper<O, A, O, A> {
  constructor(env: Env<O, A>) {
    super(env);
  }

  abstract reward(reward: number): number;

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    result[1] = this.reward(result[1]);
    return result;
  }
}
