/**
 * Memory estimates made before anything is allocated, so that a size that cannot fit ends in an
 * error naming the config field, not in "Array buffer allocation failed" or "WebAssembly.Memory.grow()"
 * minutes later. Estimates are lower bounds (only what is certain to be allocated is counted),
 * so a refusal is never wrong; browser-safe (the caller says how much memory there is).
 */
import { formatBytes } from "../util/allocation.js";
import { ConfigError } from "./common.js";

export { allocating, formatBytes } from "../util/allocation.js";

/** WebAssembly (wasm32) memory cannot grow past 65536 pages of 64 KiB. */
export const WASM_MAX_BYTES = 2 ** 32;

/** Throws a ConfigError naming `fields` when `bytes` (what `what` needs) exceed `available`. */
export function assertFits(fields: string, bytes: number, available: number, what: string, advice = `lower ${fields}`): void {
  if (bytes <= available) return;
  throw new ConfigError(`${fields}: ${what} needs at least ${formatBytes(bytes)}, more than the ${formatBytes(available)} available; ${advice}`);
}

/** Sizes a config may have (PPO's, DQN's), each optional. */
export interface SizeFields {
  numEnvs?: number;
  numSteps?: number;
  numMinibatches?: number;
  hiddenSizes?: readonly number[];
  bufferSize?: number;
  batchSize?: number;
}

/** The size fields of a config that are numbers (and lists of numbers), so that sizes can be checked before the config is validated. */
export function sizeFields(config: Record<string, unknown>): SizeFields {
  const sizes: Record<string, unknown> = {};
  for (const key of ["numEnvs", "numSteps", "numMinibatches", "bufferSize", "batchSize"] as const) {
    const v = config[key];
    if (typeof v === "number" && Number.isFinite(v) && v > 0) sizes[key] = v;
  }
  const hidden = config.hiddenSizes;
  if (Array.isArray(hidden) && hidden.every((h) => typeof h === "number" && Number.isFinite(h) && h > 0)) sizes.hiddenSizes = hidden;
  return sizes as SizeFields;
}

/**
 * Checks the sizes of a PPO- or DQN-shaped config against the memory there is: `available`
 * bytes in all, `networkAvailable` for the networks' parameters and activations (the wasm
 * kernels' memory). Counted, at their smallest (a 1-wide observation and action): two networks
 * with parameters and two Adam moments in float32; PPO's rollout (an observation in float32 and
 * six float64 values per step per env) and a minibatch's activations (forward and backward);
 * DQN's replay buffer (two observations, an action, a reward, a done) and a batch's activations.
 */
export function checkConfigSizes(c: SizeFields, available: number, networkAvailable = available): void {
  const hidden = c.hiddenSizes ?? [];
  let params = 0;
  for (let i = 0; i + 1 < hidden.length; i++) params += hidden[i]! * hidden[i + 1]!;
  params += 2 * hidden.reduce((a, b) => a + b, 0); // input and output layers of at least 1 unit, biases
  const width = hidden.reduce((a, b) => a + b, 0);
  assertFits("hiddenSizes", 2 * params * 4 * 3, networkAvailable, `two networks of hidden sizes ${hidden.join(",")} with their Adam moments`);
  if (c.numSteps !== undefined && c.numEnvs !== undefined) {
    const batch = c.numEnvs * c.numSteps;
    assertFits("numEnvs × numSteps", batch * (4 + 6 * 8), available, `a rollout of ${c.numEnvs} × ${c.numSteps} steps`, "lower numEnvs or numSteps");
    const minibatch = batch / (c.numMinibatches ?? 1);
    assertFits("numEnvs × numSteps / numMinibatches", minibatch * width * 4 * 2, networkAvailable, `the activations of a minibatch of ${minibatch} (forward and backward)`, "lower numEnvs or numSteps, or raise numMinibatches");
  }
  if (c.bufferSize !== undefined) assertFits("bufferSize", c.bufferSize * (2 * 4 + 4 + 4 + 1), available, `a replay buffer of ${c.bufferSize} transitions`);
  if (c.batchSize !== undefined) assertFits("batchSize", c.batchSize * width * 4 * 2, networkAvailable, `the activations of a batch of ${c.batchSize}`);
  if (c.numEnvs !== undefined) assertFits("numEnvs", c.numEnvs * width * 4, networkAvailable, `the activations of ${c.numEnvs} envs' observations`);
}
