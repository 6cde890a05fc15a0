/**
 * Gymnasium's `SyncVectorEnv` over any `Env`: `numEnvs` envs stepped one after another in this
 * thread, with the three autoreset modes of Gymnasium ≥ 1.1. Observations are batched flattened
 * into one float32 buffer (numEnvs × flatdim), actions are taken as flat numbers (numEnvs ×
 * actionSize), so every algorithm and vector wrapper treats it exactly like the kernel `VectorEnv`.
 */
import type { Seed } from "../rng/seed-sequence.js";
import { EnvCheckError, checkObservation } from "./checker.js";
import { Env, type Info, KernelEnv, type RgbFrame, type StepResult, Wrapper, describe } from "./env.js";
import { flatdim, flatten } from "./space-utils.js";
import { type ActionSpace, Box, Discrete, MultiBinary, MultiDiscrete, type Space, allocDType } from "./spaces.js";
import { AUTORESET_MODES, type AutoresetMode, type VectorInfo, type VectorResetArgs, type VectorStepResult, expandSeeds, readVectorResetArgs } from "./vector.js";

/** Thrown when a run asks for a checkpoint of an env that cannot save its state. */
export class NotCheckpointableError extends Error {
  override name = "NotCheckpointableError";
}

/** Serializable state of a `SyncVectorEnv`. */
export interface SyncVectorEnvState {
  numEnvs: number;
  envs: unknown[];
  autoreset: number[];
  obs: number[];
  started: boolean;
}

export interface SyncVectorEnvOptions {
  autoresetMode?: AutoresetMode;
  /** a name for messages (default: the first env's spec id or class name) */
  id?: string;
  /** output arrays to write into (e.g. views of shared memory for worker threads); allocated when omitted */
  buffers?: SyncVectorBuffers;
  /** the index of env 0 in messages, when these envs are a share of a larger vector env */
  firstIndex?: number;
}

/** The arrays a SyncVectorEnv writes every step. */
export interface SyncVectorBuffers {
  obs: Float32Array;
  finalObs: Float32Array;
  rewards: Float64Array;
  terminations: Uint8Array;
  truncations: Uint8Array;
  finalObsMask: Uint8Array;
}

export class SyncVectorEnv {
  readonly envs: Env[];
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: ActionSpace;
  /** numbers per env in the observation buffer (flatdim of the observation space) */
  readonly obsSize: number;
  /** numbers per env in the actions passed to `step` */
  readonly actionSize: number;
  readonly id: string;

  // Output buffers, reused every step: copy them if you keep them past the next call.
  readonly obs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminations: Uint8Array;
  readonly truncations: Uint8Array;
  readonly finalObs: Float32Array;
  readonly finalObsMask: Uint8Array;
  readonly autoreset: Uint8Array;
  private readonly actionBuffers: unknown[];
  private readonly firstIndex: number;
  private started = false;

  constructor(envFns: readonly (() => Env)[], options: SyncVectorEnvOptions = {}) {
    if (!Array.isArray(envFns) || envFns.length === 0 || envFns.some((f) => typeof f !== "function")) {
      throw new TypeError("SyncVectorEnv(envFns): pass a non-empty array of functions that each create an env, e.g. Array.from({length: 8}, () => () => new MyEnv())");
    }
    const { autoresetMode = "next-step" } = options;
    if (!AUTORESET_MODES.includes(autoresetMode)) {
      throw new RangeError(`autoresetMode must be one of ${AUTORESET_MODES.join(", ")}, got ${String(autoresetMode)}`);
    }
    this.envs = envFns.map((fn, i) => {
      const env = fn();
      if (!(env instanceof Env)) throw new TypeError(`SyncVectorEnv: envFns[${i}] returned ${describe(env)}, not an Env`);
      return env;
    });
    const first = this.envs[0]!;
    this.id = options.id ?? first.spec?.id ?? first.unwrapped.constructor.name;
    const obsJson = JSON.stringify(first.observationSpace), actJson = JSON.stringify(first.actionSpace);
    this.envs.forEach((env, i) => {
      if (JSON.stringify(env.observationSpace) !== obsJson || JSON.stringify(env.actionSpace) !== actJson) {
        throw new TypeError(`${this.id}: env ${i} has other spaces than env 0 (${env.observationSpace}, ${env.actionSpace}); every env of a vector env must share its spaces`);
      }
    });
    const space = first.actionSpace;
    if (!(space instanceof Discrete || space instanceof Box || space instanceof MultiDiscrete || space instanceof MultiBinary)) {
      throw new TypeError(
        `${this.id}: vector envs batch actions as flat numbers, which needs a Discrete, Box, MultiDiscrete or MultiBinary action space; ${space} is not one (wrap the env with an ActionWrapper that takes one)`,
      );
    }
    this.singleActionSpace = space;
    this.singleObservationSpace = first.observationSpace;
    this.numEnvs = this.envs.length;
    this.autoresetMode = autoresetMode;
    this.obsSize = flatdim(first.observationSpace);
    this.actionSize = actionSizeOf(space);
    const n = this.numEnvs, od = this.obsSize;
    const b = options.buffers;
    if (b && (b.obs.length !== n * od || b.finalObs.length !== n * od || b.rewards.length !== n)) {
      throw new RangeError(`${this.id}: the given buffers do not fit ${n} envs of ${od} observation numbers`);
    }
    this.obs = b?.obs ?? new Float32Array(n * od);
    this.finalObs = b?.finalObs ?? new Float32Array(n * od);
    this.rewards = b?.rewards ?? new Float64Array(n);
    this.terminations = b?.terminations ?? new Uint8Array(n);
    this.truncations = b?.truncations ?? new Uint8Array(n);
    this.finalObsMask = b?.finalObsMask ?? new Uint8Array(n);
    this.autoreset = new Uint8Array(n);
    this.actionBuffers = this.envs.map(() => actionBufferFor(space));
    this.firstIndex = options.firstIndex ?? 0;
  }

  reset(args: VectorResetArgs = {}): [Float32Array, VectorInfo] {
    const n = this.numEnvs;
    const { mask, options } = readVectorResetArgs(this.id, n, args, this.started);
    const seeds = expandSeeds(this.id, n, args.seed);
    const infos: (Info | null)[] = new Array(n).fill(null);
    for (let i = 0; i < n; i++) {
      if (mask && !mask[i]) continue;
      infos[i] = this.resetEnv(i, seeds[i], options);
      this.autoreset[i] = 0;
    }
    this.started = true;
    return [this.obs, mergeInfos(infos)];
  }

  private resetEnv(i: number, seed: Seed | undefined, options: Record<string, unknown> | undefined): Info {
    const env = this.envs[i]!;
    const result = env.reset(seed === undefined ? (options ? { options } : {}) : { seed, ...(options ? { options } : {}) });
    if (!Array.isArray(result) || result.length !== 2) {
      throw new EnvCheckError(`${this.id}: env ${this.firstIndex + i} reset() must return [observation, info], got ${describe(result)}`);
    }
    this.write(i, result[0], this.obs);
    return (result[1] ?? {}) as Info;
  }

  private write(i: number, obs: unknown, into: Float32Array): void {
    const od = this.obsSize;
    try {
      flatten(this.singleObservationSpace, obs, into, i * od);
    } catch (err) {
      checkObservation(this.envs[i]!, obs, this.singleObservationSpace, `env ${this.firstIndex + i}`);
      throw err;
    }
    for (let k = i * od; k < i * od + od; k++) {
      if (Number.isNaN(into[k])) throw new EnvCheckError(`${this.id}: env ${this.firstIndex + i} returned an observation with NaN at index ${k - i * od}`);
    }
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    if (!this.started) throw new Error(`${this.id}: step() called before reset(); call reset() first`);
    const n = this.numEnvs, ad = this.actionSize, od = this.obsSize;
    if (actions == null || actions.length !== n * ad) {
      throw new RangeError(`${this.id}: expected ${n * ad} actions (${n} envs × ${ad}), got ${actions == null ? String(actions) : actions.length}`);
    }
    if (this.autoresetMode === "disabled") {
      const i = this.autoreset.indexOf(1);
      if (i >= 0) throw new Error(`${this.id}: env ${this.firstIndex + i} ended its episode and autoreset is disabled; reset it with reset({options: {reset_mask}})`);
    }
    const sameStep = this.autoresetMode === "same-step";
    const infos: (Info | null)[] = new Array(n).fill(null);
    let anyFinal = false;
    for (let i = 0; i < n; i++) {
      this.finalObsMask[i] = 0;
      if (this.autoreset[i]) {
        infos[i] = this.resetEnv(i, undefined, undefined);
        this.autoreset[i] = 0;
        this.rewards[i] = 0;
        this.terminations[i] = 0;
        this.truncations[i] = 0;
        continue;
      }
      const result = this.envs[i]!.step(this.actionFor(i, actions, i * ad));
      const [obs, reward, terminated, truncated, info] = this.checkStep(i, result);
      this.rewards[i] = reward;
      this.terminations[i] = terminated ? 1 : 0;
      this.truncations[i] = truncated ? 1 : 0;
      this.write(i, obs, this.obs);
      infos[i] = info;
      if (terminated || truncated) {
        if (sameStep) {
          this.finalObs.set(this.obs.subarray(i * od, i * od + od), i * od);
          this.finalObsMask[i] = 1;
          anyFinal = true;
          infos[i] = { ...info, ...this.resetEnv(i, undefined, undefined) };
        } else {
          this.autoreset[i] = 1;
        }
      }
    }
    const info = mergeInfos(infos);
    if (anyFinal) Object.assign(info, { final_obs: this.finalObs, _final_obs: this.finalObsMask });
    return [this.obs, this.rewards, this.terminations, this.truncations, info];
  }

  private checkStep(i: number, result: unknown): StepResult<unknown> {
    if (!Array.isArray(result) || result.length !== 5) {
      throw new EnvCheckError(`${this.id}: env ${this.firstIndex + i} step() must return [observation, reward, terminated, truncated, info], got ${Array.isArray(result) ? `${result.length} entries` : describe(result)}`);
    }
    const [, reward, terminated, truncated] = result;
    if (typeof reward !== "number" || !Number.isFinite(reward)) throw new EnvCheckError(`${this.id}: env ${this.firstIndex + i} step() returned reward ${describe(reward)}; rewards must be finite numbers`);
    if (typeof terminated !== "boolean" || typeof truncated !== "boolean") {
      throw new EnvCheckError(`${this.id}: env ${this.firstIndex + i} step() must return booleans for terminated and truncated, got ${describe(terminated)}, ${describe(truncated)}`);
    }
    return result as StepResult<unknown>;
  }

  /** The action of env i in its space's own form, from the flat batch. */
  private actionFor(i: number, actions: ArrayLike<number>, a: number): unknown {
    const space = this.singleActionSpace;
    if (space instanceof Discrete) {
      const v = actions[a]!;
      if (!space.contains(v)) throw new RangeError(`${this.id}: action ${v} for env ${this.firstIndex + i} is outside ${space}; pass integers in [${space.start}, ${space.start + space.n})`);
      return v;
    }
    const out = this.actionBuffers[i] as { [k: number]: number; length: number };
    for (let k = 0; k < this.actionSize; k++) {
      const v = actions[a + k]!;
      if (!Number.isFinite(v)) throw new RangeError(`${this.id}: action[${k}] for env ${this.firstIndex + i} is ${v}; actions must be finite numbers`);
      out[k] = v;
    }
    if (!(space instanceof Box) && !space.contains(out)) throw new RangeError(`${this.id}: action ${describe(out)} for env ${this.firstIndex + i} is outside ${space}`);
    return out;
  }

  render(index = 0): RgbFrame | null {
    if (!Number.isInteger(index) || index < 0 || index >= this.numEnvs) throw new RangeError(`${this.id}: render index must be in [0, ${this.numEnvs}), got ${index}`);
    return this.envs[index]!.render();
  }

  /** Everything needed to continue exactly; every env must implement `getState`/`setState`. */
  getState(): SyncVectorEnvState {
    return {
      numEnvs: this.numEnvs,
      envs: this.envs.map((env, i) => captureEnvState(env, `${this.id} env ${this.firstIndex + i}`)),
      autoreset: Array.from(this.autoreset),
      obs: Array.from(this.obs),
      started: this.started,
    };
  }

  setState(st: SyncVectorEnvState): void {
    if (!st || st.numEnvs !== this.numEnvs || !Array.isArray(st.envs) || st.obs?.length !== this.obs.length) {
      throw new TypeError(`${this.id}: saved state is for ${st?.numEnvs} envs of another shape; expected ${this.numEnvs}`);
    }
    this.envs.forEach((env, i) => restoreEnvState(env, st.envs[i], `${this.id} env ${this.firstIndex + i}`));
    this.autoreset.set(st.autoreset);
    this.obs.set(st.obs);
    this.started = st.started;
  }

  close(): void {
    for (const env of this.envs) env.close();
  }
}

export function actionSizeOf(space: ActionSpace): number {
  if (space instanceof Discrete) return 1;
  if (space instanceof Box) return space.size;
  if (space instanceof MultiDiscrete) return space.nvec.length;
  return space.n;
}

function actionBufferFor(space: ActionSpace): unknown {
  if (space instanceof Box) return allocDType(space.dtype, space.size);
  if (space instanceof MultiDiscrete) return new Int32Array(space.nvec.length);
  if (space instanceof MultiBinary) return new Int8Array(space.n);
  return null;
}

/** Gymnasium's vector infos: each key becomes an array over envs, with a `_key` mask of who set it. */
function mergeInfos(infos: readonly (Info | null)[]): VectorInfo {
  let merged: VectorInfo | null = null;
  const n = infos.length;
  infos.forEach((info, i) => {
    if (!info) return;
    for (const [key, value] of Object.entries(info)) {
      merged ??= {};
      if (!(key in merged)) {
        merged[key] = typeof value === "number" ? new Float64Array(n) : new Array(n).fill(null);
        merged[`_${key}`] = new Uint8Array(n);
      }
      (merged[key] as unknown[])[i] = value;
      (merged[`_${key}`] as Uint8Array)[i] = 1;
    }
  });
  return merged ?? {};
}

/** The state of every layer of a wrapped env, outermost first, plus the raw env's generator. */
export function captureEnvState(env: Env, what: string): unknown {
  const layers: unknown[] = [];
  let layer: Env = env;
  for (;;) {
    if (layer instanceof Wrapper) {
      layers.push(layer.getState ? layer.getState() : null);
      layer = layer.env as Env;
      continue;
    }
    if (!layer.getState || !layer.setState) {
      throw new NotCheckpointableError(
        `${what} (${layer.constructor.name}) cannot be checkpointed: implement getState() (everything step depends on besides this.npRandom, as JSON-serializable data) and setState(state), or train without checkpoints (--checkpoint-every 0 / no resume)`,
      );
    }
    layers.push({ state: layer.getState(), rng: layer instanceof KernelEnv ? null : layer.npRandom.getState() });
    return layers;
  }
}

export function restoreEnvState(env: Env, saved: unknown, what: string): void {
  const layers = saved as unknown[];
  if (!Array.isArray(layers)) throw new TypeError(`${what}: saved env state is malformed`);
  let layer: Env = env;
  for (let k = 0; ; k++) {
    if (layer instanceof Wrapper) {
      if (layers[k] !== null && layer.setState) layer.setState(layers[k]);
      layer = layer.env as Env;
      continue;
    }
    const last = layers[k] as { state: unknown; rng: ReturnType<Env["npRandom"]["getState"]> | null } | undefined;
    if (!last || !layer.setState) throw new NotCheckpointableError(`${what} (${layer.constructor.name}) cannot restore its state: it has no setState`);
    layer.setState(last.state);
    if (last.rng) layer.npRandom.setState(last.rng);
    return;
  }
}
