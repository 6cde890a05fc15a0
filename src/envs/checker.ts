/**
 * Gymnasium's env checks: `PassiveEnvChecker` (validates what the first `reset` and `step`
 * return; `make` wraps every env in it) and `checkEnv` (Gymnasium's `env_checker.check_env`:
 * spaces, reset and step outputs, seeding determinism, state round trips). Where Gymnasium only
 * warns, tsrl throws: a wrong observation is a wrong run.
 */
import { Env, type Info, type ResetArgs, type StepResult, Wrapper, describe } from "./env.js";
import { Box, Dict, Space, Tuple, isFloatDType, isNumericArray } from "./spaces.js";

export class EnvCheckError extends Error {
  override name = "EnvCheckError";
}

function label(env: Env): string {
  return env.spec?.id ?? env.unwrapped.constructor.name;
}

/** Throws unless `obs` belongs to `space`, naming the env, the call and what is wrong. */
export function checkObservation(env: Env, obs: unknown, space: Space, where: string): void {
  const id = label(env);
  if (obs === undefined) {
    throw new EnvCheckError(`${id}: ${where} returned no observation; return [observation, info] from reset and [observation, reward, terminated, truncated, info] from step`);
  }
  if (space instanceof Box) {
    const v = typeof obs === "number" ? [obs] : obs;
    if (!isNumericArray(v)) throw new EnvCheckError(`${id}: ${where} observation is ${describe(obs).slice(0, 60)}, expected a typed array of ${space.size} numbers for ${space}`);
    if (v.length !== space.size) {
      throw new EnvCheckError(`${id}: ${where} observation has ${v.length} numbers, but observationSpace ${space} holds ${space.size} (shape [${space.shape.join(", ")}])`);
    }
    for (let k = 0; k < v.length; k++) {
      if (Number.isNaN(v[k])) throw new EnvCheckError(`${id}: ${where} observation[${k}] is NaN`);
    }
    if (!isFloatDType(space.dtype) && isFloatArray(v)) {
      throw new EnvCheckError(`${id}: ${where} observation is a ${v.constructor.name} but observationSpace has dtype ${space.dtype}; return the dtype's typed array`);
    }
  }
  if (!space.contains(obs)) {
    throw new EnvCheckError(`${id}: ${where} observation ${describe(obs).slice(0, 80)} is not in observationSpace ${space}; fix the observation or widen the space`);
  }
}

function isFloatArray(x: unknown): boolean {
  return x instanceof Float32Array || x instanceof Float64Array;
}

function checkInfo(env: Env, info: unknown, where: string): void {
  if (!info || typeof info !== "object" || Array.isArray(info)) {
    throw new EnvCheckError(`${label(env)}: ${where} info must be an object (return {} when there is nothing to report), got ${describe(info)}`);
  }
}

function checkResetResult(env: Env, result: unknown): [unknown, Info] {
  if (!Array.isArray(result) || result.length !== 2) {
    throw new EnvCheckError(
      `${label(env)}: reset() must return [observation, info] (2 entries), got ${Array.isArray(result) ? `${result.length} entries` : describe(result)}`,
    );
  }
  checkObservation(env, result[0], env.observationSpace, "reset()");
  checkInfo(env, result[1], "reset()");
  return result as [unknown, Info];
}

function checkStepResult(env: Env, result: unknown): StepResult<unknown> {
  const id = label(env);
  if (!Array.isArray(result) || result.length !== 5) {
    throw new EnvCheckError(
      `${id}: step() must return [observation, reward, terminated, truncated, info] (5 entries, Gymnasium ≥ 0.26), got ${Array.isArray(result) ? `${result.length} entries` : describe(result)}`,
    );
  }
  const [obs, reward, terminated, truncated, info] = result;
  checkObservation(env, obs, env.observationSpace, "step()");
  if (typeof reward !== "number" || !Number.isFinite(reward)) throw new EnvCheckError(`${id}: step() reward must be a finite number, got ${describe(reward)}`);
  if (typeof terminated !== "boolean") throw new EnvCheckError(`${id}: step() terminated must be a boolean, got ${describe(terminated)}`);
  if (typeof truncated !== "boolean") throw new EnvCheckError(`${id}: step() truncated must be a boolean, got ${describe(truncated)}`);
  checkInfo(env, info, "step()");
  return result as StepResult<unknown>;
}

/** Validates the first `reset` and the first `step` of the env it wraps, then gets out of the way. */
export class PassiveEnvChecker<O = unknown, A = unknown> extends Wrapper<O, A> {
  private checkedReset = false;
  private checkedStep = false;

  constructor(env: Env<O, A>) {
    super(env);
    checkSpaces(env);
  }

  override reset(args?: ResetArgs): [O, Info] {
    const result = super.reset(args);
    if (!this.checkedReset) {
      checkResetResult(this.env as Env, result);
      this.checkedReset = true;
    }
    return result;
  }

  override step(action: A): StepResult<O> {
    const result = super.step(action);
    if (!this.checkedStep) {
      checkStepResult(this.env as Env, result);
      this.checkedStep = true;
    }
    return result;
  }
}

function checkSpaces(env: Env): void {
  const id = label(env);
  for (const key of ["observationSpace", "actionSpace"] as const) {
    const space = (env as unknown as Record<string, unknown>)[key];
    if (!(space instanceof Space)) {
      throw new EnvCheckError(`${id}: ${key} must be a space (e.g. new spaces.Box(0, 1, [4]) or new spaces.Discrete(3)), got ${describe(space)}`);
    }
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (isNumericArray(a) && isNumericArray(b)) return a.length === b.length && Array.from(a).every((v, k) => Object.is(v, b[k]));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, k) => sameValue(v, b[k]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    return sameValue(ka, kb) && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

/**
 * Gymnasium's `check_env`: spaces are spaces, `reset` and `step` return what Gymnasium's API
 * says, observations lie in the observation space, `reset({seed})` is deterministic (and seeds
 * `npRandom`), the same seed and actions give the same steps, and `setState(getState())` is a
 * faithful round trip when the env implements them. Throws an EnvCheckError naming the problem.
 */
export function checkEnv(env: Env, options: { steps?: number } = {}): void {
  if (!(env instanceof Env)) throw new EnvCheckError(`checkEnv: expected an Env (a class extending tsrl's Env), got ${describe(env)}`);
  const id = label(env);
  checkSpaces(env);
  for (const space of [env.observationSpace, env.actionSpace]) {
    if ((space instanceof Tuple && !space.spaces.length) || (space instanceof Dict && !space.keys.length)) {
      throw new EnvCheckError(`${id}: ${space} is empty`);
    }
  }
  const steps = options.steps ?? 10;
  const run = () => {
    const [first] = checkResetResult(env, env.reset({ seed: 123 }));
    const rngAfterReset = JSON.stringify(env.unwrapped.npRandom.getState());
    env.actionSpace.seed(123);
    const trace: unknown[] = [first];
    for (let t = 0; t < steps; t++) {
      const [obs, reward, terminated, truncated] = checkStepResult(env, env.step(env.actionSpace.sample()));
      trace.push([obs, reward, terminated, truncated]);
      if (terminated || truncated) trace.push(checkResetResult(env, env.reset())[0]);
    }
    return { first, rngAfterReset, trace };
  };
  const a = run();
  const b = run();
  if (!sameValue(a.first, b.first)) throw new EnvCheckError(`${id}: reset({seed: 123}) gave different observations on two calls; draw the initial state from this.npRandom after super.reset(args)`);
  if (a.rngAfterReset !== b.rngAfterReset) {
    throw new EnvCheckError(`${id}: npRandom is not reseeded by reset({seed}); call super.reset(args) at the start of reset`);
  }
  if (!sameValue(a.trace, b.trace)) {
    throw new EnvCheckError(`${id}: the same seed and actions gave different steps; take all randomness from this.npRandom (not Math.random)`);
  }
  const raw = env.unwrapped;
  if (raw.getState && raw.setState) {
    env.reset({ seed: 7 });
    const action = env.actionSpace.sample();
    env.step(action);
    const saved = JSON.stringify({ state: raw.getState(), rng: raw.npRandom.getState() });
    const [expected] = env.step(action);
    const restored = JSON.parse(saved) as { state: unknown; rng: ReturnType<typeof raw.npRandom.getState> };
    raw.setState(restored.state);
    raw.npRandom.setState(restored.rng);
    const [again] = env.step(action);
    if (!sameValue(expected, again)) {
      throw new EnvCheckError(`${id}: setState(getState()) did not restore the env: the next step differs; getState must return everything step depends on (as JSON-serializable data)`);
    }
  }
}
