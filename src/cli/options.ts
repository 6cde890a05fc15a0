/** Option parsers shared by the commands. */
import { InvalidArgumentError } from "commander";

export function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got "${value}"`);
    }
    return n;
  };
}

/** `--env-kwargs`: a JSON object of the env's keyword arguments (as train's). */
export function envKwargsArg(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new InvalidArgumentError(`--env-kwargs: expected a JSON object, e.g. '{"sticky_action_prob":0}', got ${value}`);
  return parsed as Record<string, unknown>;
}

/** `--max-episode-steps`: a step count ≥ 1, or none (the id's registered limit), as train's. */
export function maxEpisodeStepsArg(value: string): number | null {
  return value === "none" || value === "null" ? null : integer("--max-episode-steps", 1)(value);
}
