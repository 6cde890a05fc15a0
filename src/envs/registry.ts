/**
 * Registered environment ids, `register`, `make` and `makeVec`, as in Gymnasium 1.x. An id names
 * an entry point: a factory returning an `Env` (your own class) or an `EnvKernel` (the fast,
 * vectorizable form the built-in envs use), or a kernel itself.
 */
import { acrobot } from "./classic/acrobot.js";
import { makeCartPole } from "./classic/cartpole.js";
import { makeMountainCarContinuous } from "./classic/mountain-car-continuous.js";
import { makeMountainCar } from "./classic/mountain-car.js";
import { makePendulum } from "./classic/pendulum.js";
import { kernelParams } from "./kernel.js";
import { MINATAR_ENVS } from "./minatar/ids.js";
import { PassiveEnvChecker } from "./checker.js";
import { type Action, Env, type EnvEntryPoint, type EnvSpec, KernelEnv, TimeLimit, describe } from "./env.js";
import type { EnvKernel, GeneratorBank } from "./kernel.js";
import { SyncVectorEnv } from "./sync-vector.js";
import { type AutoresetMode, VectorEnv } from "./vector.js";
import { editDistance } from "../util/edit-distance.js";
import { allocating } from "../util/allocation.js";

const registry = new Map<string, EnvSpec>();
/** the module being imported by `loadEnvModule` (tsrl/node), recorded with the ids it registers */
let registeringModule: string | null = null;

export interface RegisterOptions {
  /** "Name-v0", optionally with a namespace: "MyGames/Name-v0" */
  id: string;
  /** `(kwargs) => new MyEnv(kwargs)`, a function returning an `EnvKernel`, or a kernel */
  entryPoint: EnvEntryPoint;
  /**
   * Gymnasium's `vector_entry_point`: a kernel factory equivalent to the entry point's env, used by
   * `makeVec` (and training) for speed while `make` keeps the class
   */
  vectorEntryPoint?: (kwargs: Record<string, unknown>) => EnvKernel<GeneratorBank>;
  /** TimeLimit applied by `make`/`makeVec`; omit or null for none */
  maxEpisodeSteps?: number | null;
  rewardThreshold?: number | null;
  /** default keyword arguments passed to the entry point */
  kwargs?: Record<string, unknown>;
}

const ID_PATTERN = /^(?:[\w.-]+\/)?[\w:.-]+-v\d+$/;

export function register(options: RegisterOptions): void {
  if (!options || typeof options !== "object") {
    throw new TypeError('register({ id, entryPoint, maxEpisodeSteps }) takes one object, e.g. register({ id: "MyEnv-v0", entryPoint: () => new MyEnv() })');
  }
  const { id, entryPoint, vectorEntryPoint = null, maxEpisodeSteps = null, rewardThreshold = null, kwargs = {} } = options;
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new RangeError(`register: env id must look like "Name-v0" (optionally "Namespace/Name-v0"), got ${JSON.stringify(id)}`);
  }
  if (registry.has(id)) {
    throw new Error(`register: env id ${id} is already registered${registry.get(id)!.module ? ` (by ${registry.get(id)!.module})` : ""}; pick another id or version`);
  }
  if (typeof entryPoint !== "function" && !isKernel(entryPoint)) {
    throw new TypeError(
      `register(${id}): entryPoint must be a function returning an Env (e.g. () => new MyEnv()) or an EnvKernel, got ${describe(entryPoint)}`,
    );
  }
  if (vectorEntryPoint !== null && typeof vectorEntryPoint !== "function") {
    throw new TypeError(`register(${id}): vectorEntryPoint must be a function returning an EnvKernel, got ${describe(vectorEntryPoint)}`);
  }
  if (maxEpisodeSteps !== null && (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps < 1)) {
    throw new RangeError(`register(${id}): maxEpisodeSteps must be a positive integer or null, got ${String(maxEpisodeSteps)}`);
  }
  if (rewardThreshold !== null && typeof rewardThreshold !== "number") {
    throw new TypeError(`register(${id}): rewardThreshold must be a number or null, got ${describe(rewardThreshold)}`);
  }
  if (!kwargs || typeof kwargs !== "object" || Array.isArray(kwargs)) throw new TypeError(`register(${id}): kwargs must be an object`);
  registry.set(id, { id, entryPoint, vectorEntryPoint, maxEpisodeSteps, rewardThreshold, kwargs: { ...kwargs }, module: registeringModule });
}

/** Runs `load` (an import of `module`) recording `module` as the origin of the ids it registers. */
export async function registeringFrom<T>(module: string, load: () => Promise<T>): Promise<T> {
  const previous = registeringModule;
  registeringModule = module;
  try {
    return await load();
  } finally {
    registeringModule = previous;
  }
}

/** Whether `x` is an `EnvKernel` (the struct-of-arrays form of an env). */
export function isKernel(x: unknown): x is EnvKernel {
  const k = x as EnvKernel;
  return !!k && typeof k === "object" && Array.isArray(k.stateFields) && typeof k.step === "function" && typeof k.observe === "function" && typeof k.reset === "function";
}

// Gymnasium's classic control, with the keyword arguments of its constructors (make(id, kwargs)).
register({ id: "CartPole-v0", entryPoint: makeCartPole, maxEpisodeSteps: 200, rewardThreshold: 195.0 });
register({ id: "CartPole-v1", entryPoint: makeCartPole, maxEpisodeSteps: 500, rewardThreshold: 475.0 });
register({ id: "MountainCar-v0", entryPoint: makeMountainCar, maxEpisodeSteps: 200, rewardThreshold: -110.0 });
register({ id: "MountainCarContinuous-v0", entryPoint: makeMountainCarContinuous, maxEpisodeSteps: 999, rewardThreshold: 90.0 });
register({ id: "Pendulum-v1", entryPoint: makePendulum, maxEpisodeSteps: 200 });
register({ id: "Acrobot-v1", entryPoint: (kwargs) => (kernelParams("Acrobot", {}, kwargs), acrobot), maxEpisodeSteps: 500, rewardThreshold: -100.0 });
// MinAtar's five games as its own register_envs() names them: MinAtar/<Game>-v0 and -v1.
for (const options of MINATAR_ENVS) register(options);

export function listEnvs(): EnvSpec[] {
  return [...registry.values()];
}

/** The spec for `id`; an unknown id throws an error that names the closest registered ids. */
export function spec(id: string): EnvSpec {
  const found = registry.get(id);
  if (found) return found;
  if (typeof id !== "string") throw new TypeError(`env id must be a string, got ${typeof id}`);
  if (id.includes(":") && !registry.has(id)) {
    throw new Error(
      `Unknown environment id ${JSON.stringify(id)}: "module:Id" ids are loaded by the CLI (tsrl train --env ./my-env.js:MyEnv-v0); in code, import your module (it calls register) and pass the id alone`,
    );
  }
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
  throw new Error(`Unknown environment id ${JSON.stringify(id)}. Did you mean ${close.join(", ")}? Run \`tsrl envs\` to list all (register your own with register({ id, entryPoint })).`);
}

/** Options of `make` itself; every other key is a keyword argument of the env's entry point. */
export interface MakeOptions {
  /** override the registered time limit; null removes it */
  maxEpisodeSteps?: number | null;
  /** skip the passive checker that validates the first reset and step */
  disableEnvChecker?: boolean;
  [kwarg: string]: unknown;
}

/** What the entry point of `id` builds with `kwargs` over the registered defaults: an Env or a kernel. */
export function instantiate(s: EnvSpec, kwargs: Record<string, unknown> = {}): Env | EnvKernel {
  const args = { ...s.kwargs, ...kwargs };
  if (isKernel(s.entryPoint)) {
    const extra = Object.keys(args);
    if (extra.length) throw new TypeError(`${s.id} takes no keyword arguments, got ${extra.join(", ")}`);
    return s.entryPoint;
  }
  let made: unknown;
  try {
    made = s.entryPoint(args);
  } catch (err) {
    throw new Error(`${s.id}: its entry point threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (made instanceof Env || isKernel(made)) return made;
  throw new TypeError(`${s.id}: the entry point returned ${describe(made)}; it must return an Env (a class extending tsrl's Env) or an EnvKernel`);
}

/** The kernel behind `id` with `kwargs` (its vector entry point, or an entry point that is a kernel), or null when there is none. */
export function kernelOf(id: string, kwargs: Record<string, unknown> = {}): EnvKernel<GeneratorBank> | null {
  const s = spec(id);
  if (s.vectorEntryPoint) {
    const kernel = s.vectorEntryPoint({ ...s.kwargs, ...kwargs });
    if (!isKernel(kernel)) throw new TypeError(`${id}: the vector entry point returned ${describe(kernel)}, not an EnvKernel`);
    return kernel;
  }
  const made = instantiate(s, kwargs);
  if (isKernel(made)) return made;
  made.close();
  return null;
}

/**
 * `gym.make(id, **kwargs)`: the env from the entry point (kwargs over the registered ones), under
 * the passive env checker and a TimeLimit of the registered `maxEpisodeSteps`.
 */
export function make<O = Float32Array, A = Action>(id: string, options: MakeOptions = {}): Env<O, A> {
  const { maxEpisodeSteps, disableEnvChecker = false, ...kwargs } = options;
  const s = spec(id);
  const made = instantiate(s, kwargs);
  let env: Env = isKernel(made) ? new KernelEnv(made) : made;
  env.spec = s;
  if (!disableEnvChecker) env = new PassiveEnvChecker(env);
  const limit = maxEpisodeSteps === undefined ? s.maxEpisodeSteps : maxEpisodeSteps;
  return (limit === null ? env : new TimeLimit(env, limit)) as Env<O, A>;
}

export type VectorizationMode = "kernel" | "sync";

export interface MakeVecOptions extends MakeOptions {
  numEnvs?: number;
  autoresetMode?: AutoresetMode;
  /**
   * "kernel": one struct-of-arrays kernel loop (needs a kernel env; the default for them), "sync":
   * `SyncVectorEnv` over `numEnvs` envs from `make` (the default for Env classes). For worker
   * threads use `makeAsyncVec` from "tsrl/node".
   */
  vectorizationMode?: VectorizationMode;
}

/** A vectorized env of `numEnvs` copies (default 1), as `gym.make_vec`. */
export function makeVec(id: string, options: MakeVecOptions & { vectorizationMode: "kernel" }): VectorEnv;
export function makeVec(id: string, options: MakeVecOptions & { vectorizationMode: "sync" }): SyncVectorEnv;
export function makeVec(id: string, options?: MakeVecOptions): VectorEnv | SyncVectorEnv;
export function makeVec(id: string, options: MakeVecOptions = {}): VectorEnv | SyncVectorEnv {
  const { numEnvs = 1, autoresetMode = "next-step", vectorizationMode, ...makeOptions } = options;
  if (!Number.isSafeInteger(numEnvs) || numEnvs < 1) throw new RangeError(`makeVec(${id}): numEnvs must be a positive integer, got ${String(numEnvs)}`);
  const s = spec(id);
  const { maxEpisodeSteps, disableEnvChecker: _, ...kwargs } = makeOptions;
  const kernel = vectorizationMode === "sync" ? null : kernelOf(id, kwargs);
  const mode = vectorizationMode ?? (kernel ? "kernel" : "sync");
  if (mode === "kernel") {
    if (!kernel) throw new Error(`makeVec(${id}): vectorizationMode "kernel" needs an env registered as an EnvKernel or with a vectorEntryPoint; ${id} builds a plain Env, so use "sync"`);
    // per env: its state, step counter and flags, observation and final observation, reward
    const bytes = numEnvs * (kernel.stateFields.length * 8 + 8 * kernel.observationSpace.size + 16);
    return allocating("numEnvs", `makeVec(${id}) of ${numEnvs} envs`, bytes, () => new VectorEnv(kernel, { id, numEnvs, autoresetMode, maxEpisodeSteps: maxEpisodeSteps === undefined ? s.maxEpisodeSteps : maxEpisodeSteps }));
  }
  if (mode !== "sync") throw new RangeError(`makeVec(${id}): vectorizationMode must be "kernel" or "sync" (worker threads: makeAsyncVec from "tsrl/node"), got ${JSON.stringify(mode)}`);
  return new SyncVectorEnv(
    Array.from({ length: numEnvs }, () => () => make(id, makeOptions)),
    { id, autoresetMode },
  );
}
