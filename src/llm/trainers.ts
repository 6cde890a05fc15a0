/**
 * The text-model trainers `tsrl train sft` and `tsrl train grpo` describe themselves here: defaults,
 * help per field and allowed values; `resolveTextConfig` checks a partial config against them
 * (unknown fields with a suggestion, wrong types, ranges). Browser-safe.
 */
import { editDistance } from "../util/edit-distance.js";
import { GRPO_DEFAULTS, GRPO_HELP, type GrpoConfig } from "./grpo.js";
import { GRPO_LOSS_TYPES } from "./grpo-loss.js";
import { SFT_DEFAULTS, SFT_HELP, type SftConfig } from "./sft.js";
import { MODEL_PRESETS } from "./text-model.js";

export class TextConfigError extends Error {
  override name = "ConfigError";
}

interface FieldRule {
  min?: number;
  max?: number;
  integer?: boolean;
  choices?: readonly string[];
}

export interface TextTrainerSpec<C> {
  description: string;
  defaults: C;
  help: Record<keyof C, string>;
  rules: Partial<Record<keyof C, FieldRule>>;
}

const positiveInt = { integer: true, min: 1 };
const nonNegativeInt = { integer: true, min: 0 };

export const SFT_SPEC: TextTrainerSpec<SftConfig> = {
  description: "Supervised training of a small transformer from scratch on a text task's answers (teacher-forced cross-entropy on answer tokens)",
  defaults: SFT_DEFAULTS,
  help: SFT_HELP,
  rules: {
    model: { choices: Object.keys(MODEL_PRESETS) },
    contextLength: nonNegativeInt,
    seed: nonNegativeInt,
    steps: positiveInt,
    examples: positiveInt,
    batchSize: positiveInt,
    lr: { min: 0 },
    warmup: nonNegativeInt,
    minLr: { min: 0 },
    weightDecay: { min: 0 },
    gradClip: { min: 0 },
    evalEvery: positiveInt,
    evalProblems: positiveInt,
    stopAtAccuracy: { min: 0, max: 1 },
    testProblems: positiveInt,
  },
};

export const GRPO_SPEC: TextTrainerSpec<GrpoConfig> = {
  description: "GRPO / Dr. GRPO / DAPO on a text task with its verifiable reward, from an SFT model (--init) or an SFT stage in the same run (--sft-steps)",
  defaults: GRPO_DEFAULTS,
  help: GRPO_HELP,
  rules: {
    seed: nonNegativeInt,
    steps: positiveInt,
    promptsPerStep: positiveInt,
    groupSize: { integer: true, min: 2 },
    temperature: { min: 0 },
    topK: nonNegativeInt,
    topP: { min: 0, max: 1 },
    maxCompletionLength: nonNegativeInt,
    overlongCache: nonNegativeInt,
    loss: { choices: GRPO_LOSS_TYPES },
    epsilonLow: { min: 0, max: 1 },
    epsilonHigh: { min: 0 },
    beta: { min: 0 },
    scaleRewards: { choices: ["group", "batch", "none"] },
    numIterations: positiveInt,
    lr: { min: 0 },
    weightDecay: { min: 0 },
    gradClip: { min: 0 },
    evalEvery: positiveInt,
    testProblems: positiveInt,
  },
};

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Defaults overridden by `given`; every value checked against the field's type and rule. */
export function resolveTextConfig<C extends object>(spec: TextTrainerSpec<C>, given: Record<string, unknown>): C {
  const out = { ...spec.defaults } as Record<string, unknown>;
  const defaults = spec.defaults as Record<string, unknown>;
  const rules = spec.rules as Record<string, FieldRule | undefined>;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!(key in defaults)) {
      const near = Object.keys(defaults).sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
      throw new TextConfigError(`unknown field ${key}${near ? ` (did you mean ${near}?)` : ""}`);
    }
    const example = defaults[key];
    const flag = `--${kebab(key)}`;
    if (typeof example === "number") {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new TextConfigError(`${flag}: expected a number, got ${JSON.stringify(value)}`);
      const rule = rules[key];
      if (rule?.integer && !Number.isInteger(value)) throw new TextConfigError(`${flag}: expected an integer, got ${value}`);
      if (rule?.min !== undefined && value < rule.min) throw new TextConfigError(`${flag}: must be >= ${rule.min}, got ${value}`);
      if (rule?.max !== undefined && value > rule.max) throw new TextConfigError(`${flag}: must be <= ${rule.max}, got ${value}`);
    } else if (typeof example === "boolean") {
      if (typeof value !== "boolean") throw new TextConfigError(`${flag}: expected true or false, got ${JSON.stringify(value)}`);
    } else if (typeof example === "string") {
      if (typeof value !== "string") throw new TextConfigError(`${flag}: expected a string, got ${JSON.stringify(value)}`);
      const choices = rules[key]?.choices;
      if (choices && !choices.includes(value)) throw new TextConfigError(`${flag}: must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
    } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TextConfigError(`${flag}: expected a JSON object, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out as C;
}
