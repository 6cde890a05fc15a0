/**
 * What an algorithm trains on: a registered id (built-in or yours), a factory of envs, or a vector
 * env you built. Every source becomes one vector env with flat float32 observation rows, so the
 * algorithms read the same buffers whatever the env is: the kernel loop for kernel envs, a
 * `SyncVectorEnv` for Env classes.
 */
import { PassiveEnvChecker } from "../envs/checker.js";
import { type Action, Env } from "../envs/env.js";
import { instantiate, kernelOf, make, spec } from "../envs/registry.js";
import { SyncVectorEnv } from "../envs/sync-vector.js";
import { Box, Discrete, type Space } from "../envs/spaces.js";
import { type AutoresetMode, VectorEnv } from "../envs/vector.js";
import { type BaseVectorEnv, VectorWrapper, isBaseVectorEnv } from "../envs/wrappers/vector-wrapper.js";
import { ConfigError } from "./common.js";

/** An env factory (`() => new MyEnv()`) or a vector env (`makeVec(...)`, `new SyncVectorEnv(...)`). */
export type EnvSource = (() => Env) | BaseVectorEnv;

/** A registered id with the keyword arguments and time limit to make it with (a config's env fields). */
export interface RegisteredEnv {
  envId: string;
  /** keyword arguments of a registered id's entry point, as `gym.make(id, **kwargs)` */
  envKwargs?: Record<string, unknown>;
  /** a time limit replacing the registered one (undefined or null: the registered one) */
  maxEpisodeSteps?: number | null;
}

/** The env part of an algorithm's constructor argument: `envId`, or `env` (then `envId` only names it). */
export interface EnvInput extends Partial<RegisteredEnv> {
  env?: EnvSource;
}

/** The spaces of what will be trained on, and how to build `numEnvs` copies of it. */
export interface TrainingTarget {
  /** the registered id, or a name for a factory or vector env (recorded with runs and policies) */
  envId: string;
  /** the module that registered the id, for tools that must import it again (null for built-ins and factories) */
  envModule: string | null;
  actionSpace: Space;
  observationSpace: Space;
  /** whether the env came as a registered id (so a run can be rebuilt from its config alone) */
  registered: boolean;
  build(numEnvs: number, autoresetMode: AutoresetMode): BaseVectorEnv;
}


/** Resolves `{ envId }` or `{ env }` into a training target; bad input becomes a ConfigError that says what to pass. */
export function trainingTarget(input: EnvInput, algo: string): TrainingTarget {
  const { envId, env, envKwargs = {}, maxEpisodeSteps = null } = input;
  if (env !== undefined) {
    if (Object.keys(envKwargs).length || maxEpisodeSteps !== null) {
      throw new ConfigError(`${algo}: envKwargs and maxEpisodeSteps apply to a registered id; build your env or vector env with them instead (e.g. make(id, { maxEpisodeSteps, ...kwargs }))`);
    }
    if (env instanceof VectorWrapper) {
      throw new ConfigError(`${algo}: pass the vector env itself, not a wrapper of it (${env}); ${algo} adds the wrappers it needs`);
    }
    if (isBaseVectorEnv(env)) {
      return {
        envId: envId ?? env.id,
        envModule: null,
        actionSpace: env.singleActionSpace,
        observationSpace: env.singleObservationSpace,
        registered: false,
        build: (numEnvs, mode) => {
          if (env.numEnvs !== numEnvs) throw new ConfigError(`${algo}: the vector env has ${env.numEnvs} envs but numEnvs is ${numEnvs}; make them agree`);
          if (env.autoresetMode !== mode) {
            throw new ConfigError(`${algo}: the vector env must use autoresetMode "${mode}" (as CleanRL's training loop does), got "${env.autoresetMode}"`);
          }
          return env;
        },
      };
    }
    if (typeof env !== "function") {
      throw new ConfigError(`${algo}: env must be a function that creates an env (e.g. env: () => new MyEnv()) or a vector env, got ${typeof env}`);
    }
    const probe = createChecked(env, algo);
    const target: TrainingTarget = {
      envId: envId ?? probe.spec?.id ?? probe.unwrapped.constructor.name,
      envModule: null,
      actionSpace: probe.actionSpace,
      observationSpace: probe.observationSpace,
      registered: false,
      build: (numEnvs, mode) => {
        const fns = Array.from({ length: numEnvs }, (_, i) => (i === 0 ? () => probe : () => new PassiveEnvChecker(createChecked(env, algo))));
        return new SyncVectorEnv(fns, { id: target.envId, autoresetMode: mode });
      },
    };
    return target;
  }
  if (typeof envId !== "string" || !envId) {
    throw new ConfigError(`${algo}: say what to train on: envId (a registered id, e.g. { envId: "CartPole-v1" }) or env (e.g. { env: () => new MyEnv() }); on the command line --env CartPole-v1`);
  }
  const { s, limit, withKwargs, makeOne } = registeredEnv({ envId, envKwargs, maxEpisodeSteps }, algo);
  // the kernel loop where the id has one (a kernel entry point, or a vector entry point such as MinAtar's)
  const kernel = withKwargs(() => kernelOf(envId, envKwargs));
  if (kernel) {
    return {
      envId,
      envModule: s.module,
      actionSpace: kernel.actionSpace,
      observationSpace: kernel.observationSpace,
      registered: true,
      build: (numEnvs, mode) => new VectorEnv(kernel, { id: envId, numEnvs, autoresetMode: mode, maxEpisodeSteps: limit }),
    };
  }
  const made = withKwargs(() => instantiate(s, envKwargs)) as Env;
  const target: TrainingTarget = {
    envId,
    envModule: s.module,
    actionSpace: made.actionSpace,
    observationSpace: made.observationSpace,
    registered: true,
    build: (numEnvs, mode) => {
      made.close();
      return new SyncVectorEnv(Array.from({ length: numEnvs }, () => makeOne), { id: envId, autoresetMode: mode });
    },
  };
  return target;
}

/**
 * One env of a config's env fields, made as training makes each of its envs (`make(id, {
 * maxEpisodeSteps, ...kwargs })`, with the same checks and errors): to play, evaluate or record a
 * policy on the env it trained on. `what` names the command or algorithm in errors.
 */
export function makeEnv<O = Float32Array, A = Action>(fields: RegisteredEnv, what: string): Env<O, A> {
  const { withKwargs, makeOne } = registeredEnv(fields, what);
  return withKwargs(makeOne) as Env<O, A>;
}

/** A registered id's spec and time limit, its kwargs checked, and how to make one env of it. */
function registeredEnv(fields: RegisteredEnv, algo: string) {
  const { envId, envKwargs = {}, maxEpisodeSteps = null } = fields;
  let s;
  try {
    s = spec(envId);
  } catch (err) {
    throw new ConfigError(`invalid ${algo} config:\n  envId: ${(err as Error).message}`);
  }
  for (const reserved of ["maxEpisodeSteps", "max_episode_steps", "disableEnvChecker", "disable_env_checker"]) {
    if (Object.hasOwn(envKwargs, reserved)) throw new ConfigError(`invalid ${algo} config:\n  envKwargs: ${reserved} is an option of make, not of ${envId}; use maxEpisodeSteps (--max-episode-steps) for a time limit`);
  }
  const limit = maxEpisodeSteps ?? s.maxEpisodeSteps;
  // an env refusing the kwargs says which it takes; the error names the id and the field they came from
  const withKwargs = <T>(build: () => T): T => {
    if (!Object.keys(envKwargs).length) return build();
    try {
      return build();
    } catch (err) {
      throw new ConfigError(`invalid ${algo} config:\n  envKwargs: ${envId} refused ${JSON.stringify(envKwargs)}: ${(err as Error).message}`);
    }
  };
  const makeOne = (): Env => make(envId, { ...envKwargs, maxEpisodeSteps: limit });
  return { s, limit, withKwargs, makeOne };
}

function createChecked(factory: () => Env, algo: string): Env {
  let env: unknown;
  try {
    env = factory();
  } catch (err) {
    throw new ConfigError(`${algo}: the env factory threw: ${(err as Error).message}`);
  }
  if (!(env instanceof Env)) {
    throw new ConfigError(`${algo}: the env factory returned ${Object.prototype.toString.call(env)}, not an Env (a class extending tsrl's Env)`);
  }
  return env;
}

/** Throws a ConfigError unless the action space is Discrete (or, with `box`, a Box); says what to use instead. */
export function requireActionSpace(target: TrainingTarget, algo: string, allowed: { discrete: boolean; box: boolean }, otherwise: string): void {
  const space = target.actionSpace;
  if ((allowed.discrete && space instanceof Discrete) || (allowed.box && space instanceof Box)) return;
  const kinds = [allowed.discrete && "Discrete", allowed.box && "Box"].filter(Boolean).join(" or ");
  throw new ConfigError(`${algo} needs a ${kinds} action space; ${target.envId} has ${space}. ${otherwise}`);
}
