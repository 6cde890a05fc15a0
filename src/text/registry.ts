/** Registered text tasks: `makeText(id, options)`, `listTextTasks()`, `registerText(spec)`. Browser-safe. */
import { editDistance } from "../util/edit-distance.js";
import { additionSpec, multiplicationSpec } from "./tasks/arithmetic.js";
import { countdownSpec } from "./tasks/countdown.js";
import { sortSpec } from "./tasks/sort.js";
import { TextEnv, type TextEnvOptions, type TextProblem, type TextTask, type TextSplit } from "./env.js";
import type { Seed } from "../rng/seed-sequence.js";

export interface TaskOptionSpec {
  type: "integer" | "boolean" | "string";
  default: number | boolean | string;
  help: string;
  min?: number;
  max?: number;
  /** allowed values of a string option */
  choices?: readonly string[];
}

export interface TextTaskSpec {
  id: string;
  description: string;
  /** how a response is rewarded, in one or two sentences (shown by `tsrl tasks`) */
  rewardRule: string;
  options: Record<string, TaskOptionSpec>;
  create(options: Record<string, number | boolean | string>): TextTask;
}

const registry = new Map<string, TextTaskSpec>();

export function registerText(spec: TextTaskSpec): void {
  if (!/^[a-z][\w-]*$/.test(spec.id)) throw new RangeError(`text task id must be lower-case letters, digits, _ or -, got ${JSON.stringify(spec.id)}`);
  if (registry.has(spec.id)) throw new Error(`text task ${spec.id} is already registered`);
  registry.set(spec.id, spec);
}

for (const spec of [additionSpec, multiplicationSpec, countdownSpec, sortSpec]) registerText(spec);

export function listTextTasks(): TextTaskSpec[] {
  return [...registry.values()];
}

export function textTaskSpec(id: string): TextTaskSpec {
  const found = registry.get(id);
  if (found) return found;
  const near = [...registry.keys()].sort((a, b) => editDistance(id, a) - editDistance(id, b)).slice(0, 3);
  throw new Error(`no text task ${JSON.stringify(id)}; registered tasks: ${[...registry.keys()].join(", ")}${near.length ? ` (did you mean ${near[0]}?)` : ""}`);
}

const ENV_OPTIONS = new Set(["split", "seed", "maxTurns"]);

/** Resolves task options against the spec: defaults filled in; unknown names, wrong types and ranges are errors that say what is allowed. */
export function resolveTaskOptions(spec: TextTaskSpec, given: Record<string, unknown>): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (ENV_OPTIONS.has(name) || value === undefined) continue;
    const option = spec.options[name];
    if (!option) {
      const names = Object.keys(spec.options);
      throw new RangeError(`text task ${spec.id} has no option ${JSON.stringify(name)}; its options: ${names.length ? names.join(", ") : "(none)"}`);
    }
    out[name] = checkOption(spec.id, name, option, value);
  }
  for (const [name, option] of Object.entries(spec.options)) if (!(name in out)) out[name] = option.default;
  return out;
}

function checkOption(taskId: string, name: string, option: TaskOptionSpec, value: unknown): number | boolean | string {
  const where = `text task ${taskId}: option ${name}`;
  if (option.type === "integer") {
    if (typeof value !== "number" || !Number.isInteger(value)) throw new TypeError(`${where} must be an integer, got ${JSON.stringify(value)}`);
    if ((option.min !== undefined && value < option.min) || (option.max !== undefined && value > option.max)) {
      throw new RangeError(`${where} must be in [${option.min ?? "-inf"}, ${option.max ?? "inf"}], got ${value}`);
    }
    return value;
  }
  if (option.type === "boolean") {
    if (typeof value !== "boolean") throw new TypeError(`${where} must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  if (typeof value !== "string") throw new TypeError(`${where} must be a string, got ${JSON.stringify(value)}`);
  if (option.choices && !option.choices.includes(value)) throw new RangeError(`${where} must be one of ${option.choices.join(", ")}, got ${JSON.stringify(value)}`);
  return value;
}

export type MakeTextOptions = TextEnvOptions & Record<string, unknown>;

/** The task `id` with its options resolved (no env around it). */
export function makeTextTask(id: string, options: Record<string, unknown> = {}): TextTask {
  const spec = textTaskSpec(id);
  return spec.create(resolveTaskOptions(spec, options));
}

/** A text environment for task `id`: env options (split, seed, maxTurns) and the task's own options in one object. */
export function makeText(id: string, options: MakeTextOptions = {}): TextEnv {
  const { split, seed, maxTurns } = options;
  return new TextEnv(makeTextTask(id, options), { split, seed, maxTurns });
}

/**
 * `count` problems of one split as (prompt, answer) pairs for supervised data: deterministic in
 * (id, options, split, seed), drawn from the same generator as `makeText(...).reset()`.
 */
export function sampleProblems(id: string, options: MakeTextOptions & { count: number; split?: TextSplit; seed?: Seed }): TextProblem[] {
  const { count, ...rest } = options;
  return makeText(id, rest).sample(count);
}
