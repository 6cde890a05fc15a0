/**
 * Evaluating a policy apart from training: N full episodes of one env with the greedy (or
 * mean) action by default, as SB3's `evaluate_policy` and the rliable / AdaStop papers score
 * agents. Browser-safe (no Node imports).
 */
import { make } from "../envs/registry.js";
import { Random } from "../rng/random.js";

/** tsrl's `Policy` (src/algos/policy.ts): `act(obs, batch, out, rng?)`; greedy without an rng. */
export interface Actor {
  act(obs: Float32Array, batch: number, out: { [i: number]: number }, rng?: Random): void;
}

/** An SB3-style model: `predict(obs, {deterministic})` → an action, or `[action, state]`. */
export interface Predictor {
  predict(obs: Float32Array, options?: { deterministic?: boolean; rng?: Random }): unknown;
}

export type Evaluable = Actor | Predictor;

/** What evaluation needs of an env: tsrl's `Env` (from `make`), or any object with Gymnasium's reset/step. */
export interface EvalEnv {
  readonly actionSpace: unknown;
  reset(args?: { seed?: number }): readonly [Float32Array, ...unknown[]];
  step(action: number | Float32Array): readonly [Float32Array, number, boolean, boolean, ...unknown[]];
}

export interface EvaluateOptions {
  /** episodes to run (default 10) */
  episodes?: number;
  /** seed of the first reset (later resets continue the env's generator, as in Gymnasium) and of sampled actions (default 0) */
  seed?: number;
  /** greedy / mean actions (default); false samples from the policy */
  deterministic?: boolean;
  /** called after every step (e.g. to render a frame) */
  onStep?(env: EvalEnv, step: { episode: number; length: number; return: number; done: boolean }): void;
}

export interface Evaluation {
  returns: number[];
  lengths: number[];
  /** mean and population standard deviation of the returns (SB3's np.mean / np.std) */
  mean: number;
  std: number;
}

/** An env's action space as much of it as acting needs. */
interface SpaceShape {
  n?: number;
  size?: number;
  shape?: readonly number[];
}

/**
 * Returns a function that gives the policy's action for one observation in the form `env.step`
 * takes: an integer for Discrete spaces, a Float32Array for Box ones.
 */
export function actionFor(policy: Evaluable, env: { actionSpace: unknown }, options: { deterministic?: boolean; seed?: number } = {}): (obs: Float32Array) => number | Float32Array {
  const deterministic = options.deterministic ?? true;
  const rng = deterministic ? undefined : new Random(options.seed ?? 0);
  const space = env.actionSpace as SpaceShape;
  const discrete = typeof space.n === "number";
  // predict takes observations in the env's own form (tsrl's Policy flattens Dict, Tuple and image spaces); act only flat rows
  if ("act" in policy && typeof policy.act === "function" && !("predict" in policy && typeof policy.predict === "function")) {
    const out = discrete ? new Int32Array(1) : new Float64Array(space.size ?? 1);
    return (obs) => {
      policy.act(obs, 1, out, rng);
      return discrete ? out[0]! : Float32Array.from(out);
    };
  }
  if ("predict" in policy && typeof policy.predict === "function") {
    return (obs) => {
      let action = policy.predict(obs, { deterministic, rng });
      if (Array.isArray(action) && action.length === 2 && (Array.isArray(action[0]) || ArrayBuffer.isView(action[0]) || typeof action[0] === "number")) action = action[0];
      if (discrete) {
        const value = typeof action === "number" ? action : (action as ArrayLike<number>)[0];
        if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError(`predict() gave ${JSON.stringify(action)}; a Discrete(${space.n}) env needs an integer action`);
        return value;
      }
      return Float32Array.from(typeof action === "number" ? [action] : (action as ArrayLike<number>));
    };
  }
  throw new TypeError("evaluatePolicy: the policy needs an act(obs, batch, out, rng?) method (tsrl's Policy) or predict(obs, {deterministic})");
}

/**
 * Runs `episodes` whole episodes of `policy` in `envOrId` (an id is made with `make`, so
 * Gymnasium's time limit applies) and returns each episode's return and length.
 */
export function evaluatePolicy(policy: Evaluable, envOrId: string | EvalEnv, options: EvaluateOptions = {}): Evaluation {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  if (!(Number.isSafeInteger(episodes) && episodes >= 1)) throw new RangeError(`evaluatePolicy: episodes must be an integer >= 1, got ${episodes}`);
  const env: EvalEnv = typeof envOrId === "string" ? make(envOrId) : envOrId;
  const act = actionFor(policy, env, { deterministic: options.deterministic, seed });
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let episode = 0; episode < episodes; episode++) {
    let [obs] = env.reset(episode === 0 ? { seed } : {});
    let total = 0;
    let length = 0;
    for (;;) {
      const [next, reward, terminated, truncated] = env.step(act(obs));
      obs = next;
      total += reward;
      length++;
      const done = terminated || truncated;
      options.onStep?.(env, { episode, length, return: total, done });
      if (done) break;
    }
    returns.push(total);
    lengths.push(length);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / episodes;
  const std = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / episodes);
  return { returns, lengths, mean, std };
}
