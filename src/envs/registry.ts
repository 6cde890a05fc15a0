/** Registered environment ids, `make` and `makeVec`, as in Gymnasium 1.x. */
import { acrobot } from "./classic/acrobot.js";
import { cartPole } from "./classic/cartpole.js";
import { mountainCarContinuous } from "./classic/mountain-car-continuous.js";
import { mountainCar } from "./classic/mountain-car.js";
import { pendulum } from "./classic/pendulum.js";
import { type Action, type Env, type EnvSpec, KernelEnv, TimeLimit } from "./env.js";
import type { EnvKernel } from "./kernel.js";
import { type AutoresetMode, VectorEnv } from "./vector.js";
import { editDistance } from "../util/edit-distance.js";

const registry = new Map<string, EnvSpec>();

export function register(id: string, kernel: EnvKernel, opts: { maxEpisodeSteps?: number | null; rewardThreshold?: number | null } = {}): void {
  if (!/^[\w:.-]+-v\d+$/.test(id)) throw new RangeError(`env id must look like "Name-v0", got ${JSON.stringify(id)}`);
  if (registry.has(id)) throw new Error(`env id ${id} is already registered`);
  registry.set(id, { id, kernel, maxEpisodeSteps: opts.maxEpisodeSteps ?? null, rewardThreshold: opts.rewardThreshold ?? null });
}

register("CartPole-v0", cartPole, { maxEpisodeSteps: 200, rewardThreshold: 195.0 });
register("CartPole-v1", cartPole, { maxEpisodeSteps: 500, rewardThreshold: 475.0 });
register("MountainCar-v0", mountainCar, { maxEpisodeSteps: 200, rewardThreshold: -110.0 });
register("MountainCarContinuous-v0", mountainCarContinuous, { maxEpisodeSteps: 999, rewardThreshold: 90.0 });
register("Pendulum-v1", pendulum, { maxEpisodeSteps: 200 });
register("Acrobot-v1", acrobot, { maxEpisodeSteps: 500, rewardThreshold: -100.0 });

export function listEnvs(): EnvSpec[] {
  return [...registry.values()];
}

/** The spec for `id`; an unknown id throws an error that names the closest registered ids. */
export function spec(id: string): EnvSpec {
  const found = registry.get(id);
  if (found) return found;
  if (typeof id !== "string") throw new TypeError(`env id must be a string, got ${typeof id}`);
  const base = id.replace(/-v\d+$/, "");
  const versions = [...registry.keys()].filter((k) => k.replace(/-v\d+$/, "") === base);
  if (versions.length) {
    throw new Error(`Environment version ${id} does not exist; registered versions of ${base}: ${versions.join(", ")}`);
  }
  const close = [...registry.keys()]
    .map((k) => [k, editDistance(k.toLowerCase(), id.toLowerCase())] as const)
    .sort((a, b) => a[1] - b[1])
    .slice(0, 3)
    .map(([k]) => k);
  throw new Error(`Unknown environment id ${JSON.stringify(id)}. Did you mean ${close.join(", ")}? Run \`tsrl envs\` to list all.`);
}

export interface MakeOptions {
  /** override the registered time limit; null removes it */
  maxEpisodeSteps?: number | null;
}

/** `gym.make(id)`: the raw env wrapped in TimeLimit with the registered max_episode_steps. */
export function make(id: string, options: MakeOptions = {}): Env<Float32Array, Action> {
  const s = spec(id);
  const env = new KernelEnv(s.kernel, s);
  const limit = options.maxEpisodeSteps === undefined ? s.maxEpisodeSteps : options.maxEpisodeSteps;
  return limit === null ? env : new TimeLimit(env, limit);
}

export interface MakeVecOptions extends MakeOptions {
  numEnvs?: number;
  autoresetMode?: AutoresetMode;
}

/** A vectorized env of `numEnvs` copies (default 1), with the registered time limit inside the kernel loop. */
export function makeVec(id: string, options: MakeVecOptions = {}): VectorEnv {
  const s = spec(id);
  return new VectorEnv(s.kernel, {
    id,
    numEnvs: options.numEnvs ?? 1,
    autoresetMode: options.autoresetMode ?? "next-step",
    maxEpisodeSteps: options.maxEpisodeSteps === undefined ? s.maxEpisodeSteps : options.maxEpisodeSteps,
  });
}
