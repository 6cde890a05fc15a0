/** The pieces every algorithm shares: config validation, episode bookkeeping, callbacks, results, errors. */
import { z } from "zod";
import type { Parameterized } from "../nn/network.js";
import { findNonFinite } from "../nn/optim.js";
import { decodeTensorFile } from "../nn/serialize.js";

/** One finished training episode. */
export interface EpisodeRecord {
  /** global env step at which the episode ended */
  step: number;
  return: number;
  length: number;
  /** seconds since training started */
  wallSeconds: number;
}

/** Hooks into a training loop; all optional, all synchronous. */
export interface TrainCallbacks {
  onEpisode?(episode: EpisodeRecord): void;
  /** scalar metrics (losses, entropy, KL, SPS, learning rate, …) at a global step, with the run's wall-clock seconds so far */
  onMetrics?(step: number, metrics: Record<string, number>, wallSeconds: number): void;
  /** called often (every iteration or every few hundred steps) for progress displays */
  onProgress?(progress: TrainProgress): void;
  /**
   * Called at every point where the run can be checkpointed (PPO: after each iteration; DQN:
   * every `checkpointInterval` steps), after every episode and metric up to `step` was reported.
   * `saveCheckpoint()` called from here captures the run exactly; `last` marks the end of training.
   */
  checkpoint?(step: number, last: boolean): void;
  /**
   * Asked at every checkpoint point, after `checkpoint`: true ends training there (early stopping,
   * or a pause: calling `learn` again continues exactly where it stopped).
   */
  shouldStop?(step: number): boolean;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  sps: number;
  episodes: number;
  /** mean return of the last 20 episodes, NaN before the first */
  recentMeanReturn: number;
}

/** What `tsrl train --json` prints. */
export interface TrainResult {
  algo: string;
  env: string;
  seed: number;
  total_timesteps: number;
  wall_s: number;
  sps: number;
  /** mean episodic return of the last 100 finished training episodes (NaN if none finished) */
  final_mean_return: number;
  episodes: number;
}

export function trainResult(algo: string, c: { envId: string; seed: number }, steps: number, wall: number, episodes: EpisodeLog): TrainResult {
  return {
    algo,
    env: c.envId,
    seed: c.seed,
    total_timesteps: steps,
    wall_s: wall,
    sps: steps / wall,
    final_mean_return: episodes.meanReturn(100),
    episodes: episodes.count,
  };
}

/** Thrown when a loss, gradient or parameter becomes NaN or infinite: says which, and when. */
export class NonFiniteError extends Error {
  override name = "NonFiniteError";
}

/** Invalid configuration: lists every bad field with its path and what is allowed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates `input` against `schema`; unknown keys and bad values become one ConfigError naming each field. */
export function parseConfig<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const lines = result.error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") {
      // a few named with suggestions; thousands of keys (a wrong file) must not cost a suggestion each
      const shown = issue.keys.slice(0, MAX_UNKNOWN_SHOWN).map((key) => {
        const close = known.filter((k) => similar(k, key));
        return `unknown field ${JSON.stringify(key)}${close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(", ")}?)` : ""}`;
      });
      if (issue.keys.length > MAX_UNKNOWN_SHOWN) shown.push(`… and ${issue.keys.length - MAX_UNKNOWN_SHOWN} more unknown fields`);
      return shown.join("\n  ");
    }
    const path = issue.path.length ? issue.path.join(".") : "(config)";
    const value = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" && Object.hasOwn(v, k as PropertyKey) ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), input);
    // String, not JSON: NaN and Infinity are not "null"
    const got = typeof value === "number" ? String(value) : JSON.stringify(value);
    return `${path}: ${issue.message}${value === undefined || typeof value === "object" ? "" : ` (got ${got})`}`;
  });
  throw new ConfigError(`invalid ${what} config:\n  ${lines.join("\n  ")}`);
}

const MAX_UNKNOWN_SHOWN = 5;

/** Whether config field `a` is close to the name `b` someone typed. */
export function similar(a: string, b: string): boolean {
  const x = a.toLowerCase(), y = b.toLowerCase().replace(/[-_]/g, "");
  if (x.includes(y) || y.includes(x)) return true;
  let d = 0;
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) d++;
  return d <= 2;
}

/** "learning-rate" and "learning_rate" → "learningRate", so YAML files and flags can use CleanRL's names. */
/** snake_case or kebab-case to camelCase (learning_rate, learning-rate → learningRate); separators between letters or digits only (`__proto__` stays itself). */
export function camelCase(key: string): string {
  return key.replace(/(?<=[A-Za-z0-9])[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Keys to camelCase; two spellings of one field (learning_rate and learningRate) are an error, not a silent choice. */
export function camelCaseKeys(input: Record<string, unknown>, what = "config"): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  const spelled = new Map<string, string>();
  for (const [key, value] of Object.entries(input)) {
    const name = camelCase(key);
    const other = spelled.get(name);
    if (other !== undefined) throw new ConfigError(`${what} gives field ${name} twice ("${other}" and "${key}"); keep one`);
    spelled.set(name, key);
    out[name] = value;
  }
  return { ...out };
}

export const positiveInt = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be an integer`).positive(`${what} must be > 0`);
export const unitInterval = z.number().min(0, "must be in [0, 1]").max(1, "must be in [0, 1]");

export interface EpisodeLogState {
  returns: number[];
  lengths: number[];
  steps: number[];
}

/** Step counters are float64: exact to 2^53; far below that, and beyond any run (350 years at 100k steps/s). */
export const MAX_TOTAL_TIMESTEPS = 2 ** 50;

/** The config fields every algorithm has. */
export const commonFields = {
  /** the registered id, or the name of the env factory or vector env trained on (checked where the env is built) */
  envId: z.string({ error: "missing: pass an env id, e.g. --env CartPole-v1" }).min(1, "must not be empty").describe("the env to train on: a registered id, or ./module.js:Id for your own"),
  seed: z.number().int().min(0, "must be ≥ 0").describe("seed of everything: envs (env i gets seed + i), weights, sampling, shuffles"),
  totalTimesteps: positiveInt("totalTimesteps").max(MAX_TOTAL_TIMESTEPS, `cannot be counted exactly; at most 2^50 (${MAX_TOTAL_TIMESTEPS})`).describe("env steps to train for"),
  learningRate: z.number().positive("must be > 0").max(1, "must be ≤ 1").describe("optimizer learning rate"),
  numEnvs: positiveInt("numEnvs").describe("parallel envs"),
  envKwargs: z
    .record(z.string(), z.unknown(), { error: "must be an object of keyword arguments, e.g. {\"sticky_action_prob\": 0}" })
    .describe("keyword arguments of the env, as gym.make(id, **kwargs): a JSON object, e.g. '{\"sticky_action_prob\":0}' (registered ids only)"),
  maxEpisodeSteps: positiveInt("maxEpisodeSteps").nullable().describe("truncate episodes after this many steps, as gym.make's max_episode_steps; none: the id's registered limit"),
};

/** Defaults of the env fields of `commonFields`: the id as registered. */
export function envFieldDefaults(): { envKwargs: Record<string, unknown>; maxEpisodeSteps: number | null } {
  return { envKwargs: {}, maxEpisodeSteps: null };
}

/** The env fields fix what is trained on: never changed on resume. */
export const ENV_FIXED_ON_RESUME = ["envId", "envKwargs", "maxEpisodeSteps"] as const;

/** Episode returns in arrival order, with the windows the CLI and results use. */
export class EpisodeLog {
  readonly returns: number[] = [];
  readonly lengths: number[] = [];
  readonly steps: number[] = [];

  getState(): EpisodeLogState {
    return { returns: [...this.returns], lengths: [...this.lengths], steps: [...this.steps] };
  }

  setState(s: EpisodeLogState): void {
    this.returns.splice(0, Infinity, ...s.returns);
    this.lengths.splice(0, Infinity, ...s.lengths);
    this.steps.splice(0, Infinity, ...s.steps);
  }

  add(step: number, ret: number, length: number): void {
    this.steps.push(step);
    this.returns.push(ret);
    this.lengths.push(length);
  }

  get count(): number {
    return this.returns.length;
  }

  /** mean of the last `window` returns, NaN when there are none */
  meanReturn(window: number): number {
    const n = Math.min(window, this.returns.length);
    if (n === 0) return NaN;
    let s = 0;
    for (let i = this.returns.length - n; i < this.returns.length; i++) s += this.returns[i]!;
    return s / n;
  }
}

/** CleanRL's `linear_schedule`: from `start` to `end` over `duration` steps, then `end`. */
export function linearSchedule(start: number, end: number, duration: number, t: number): number {
  const slope = (end - start) / duration;
  return Math.max(slope * t + start, end);
}

/** Throws NonFiniteError naming the quantity unless `value` is finite. */
export function assertFinite(value: number, what: string, update: number, step: number, detail?: () => string): void {
  if (!Number.isFinite(value)) {
    throw new NonFiniteError(
      `${what} became ${value} at update ${update} (global step ${step})${detail ? ` — ${detail()}` : ""}; training stopped. ` +
        "Try a lower learning rate or enable gradient clipping; the run's metrics up to here are valid.",
    );
  }
}

export const CHECKPOINT_KIND = "tsrl.checkpoint";

/** Checks a checkpoint's metadata belongs to `algo` with the same config; returns its algorithm state. */
export function checkCheckpointMeta(meta: Record<string, unknown>, algo: string, config: unknown, source: string): unknown {
  if (meta.kind !== CHECKPOINT_KIND || meta.algo !== algo) {
    throw new ConfigError(`${source}: not a ${algo} checkpoint (kind ${JSON.stringify(meta.kind)}, algo ${JSON.stringify(meta.algo)})`);
  }
  const saved = meta.config && typeof meta.config === "object" ? withPredatedFields(meta.config as Record<string, unknown>, algo) : meta.config;
  if (configKey(saved) !== configKey(config)) {
    throw new ConfigError(`${source}: the checkpoint was made with a different config; build the agent from the checkpoint's config`);
  }
  return meta.state;
}

/** A config as JSON with the keys of every object sorted (nested ones too, e.g. env kwargs), so that comparisons do not depend on key order. */
function configKey(config: unknown): string {
  return JSON.stringify(config, (_key, value: unknown) =>
    value && typeof value === "object" && !Array.isArray(value) && !ArrayBuffer.isView(value)
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]))
      : value,
  );
}

/**
 * Config fields added after checkpoints existed, with the value each had implicitly before it
 * (what a checkpoint that lacks it was made with): under "*" the fields of every algorithm, else
 * under the algorithm's name. Fixed values, not today's defaults nor the loading agent's config:
 * a ReLU agent must refuse a checkpoint from before `activation`, whose weights are a tanh
 * network's. A new field needs its entry here, or checkpoints from before it are refused.
 */
const VALUES_BEFORE_FIELDS_EXISTED: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  "*": { envKwargs: {}, maxEpisodeSteps: null },
  ppo: { activation: "tanh" },
};

/** A checkpoint's config (of `algo`) with the fields it predates at the values they had before they existed. */
export function withPredatedFields(saved: Record<string, unknown>, algo: string): Record<string, unknown> {
  return { ...structuredClone({ ...VALUES_BEFORE_FIELDS_EXISTED["*"], ...VALUES_BEFORE_FIELDS_EXISTED[algo] }), ...saved };
}

/** The config a checkpoint was made with, fields it predates included (null if the file holds none). */
export function checkpointConfig(bytes: Uint8Array, source = "checkpoint"): Record<string, unknown> | null {
  const meta = decodeTensorFile(bytes, source).meta;
  const config = meta.config;
  if (!config || typeof config !== "object") return null;
  return typeof meta.algo === "string" ? withPredatedFields(config as Record<string, unknown>, meta.algo) : (config as Record<string, unknown>);
}

/** Says which parameter first holds NaN/Inf, or that the parameters are all finite (so the data is not). */
export function describeNonFinite(groups: readonly { name: string; network: Parameterized }[]): string {
  const bad = findNonFinite(groups, "value");
  return bad ? `first non-finite parameter: ${bad}` : "all parameters are finite, so an input (observation, reward or return) is not";
}

/** Wall-clock seconds, in browsers and Node. */
export function now(): number {
  return performance.now() / 1000;
}
