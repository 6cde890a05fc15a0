/**
 * MountainCarContinuous-v0 — Gymnasium 1.4 `classic_control/continuous_mountain_car.py`.
 * Gymnasium stores the state as float32 after each step but computes in float64: with numpy 1.x
 * promotion, float32 scalars meet Python numbers and float64 scalars in float64.
 */
import type { PCG64Bank } from "../../rng/pcg64.js";
import { type EnvKernel, type StepOutcome, kernelParams, type RenderTarget, type ResetOptions, parseResetBounds } from "../kernel.js";
import { drawMountainCar } from "../render/classic.js";
import { Box } from "../spaces.js";
import { MAX_POSITION, MIN_POSITION } from "./mountain-car.js";

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const POWER = 0.0015;

/** MountainCarContinuous with Gymnasium's constructor argument `goal_velocity` (default 0). */
export function makeMountainCarContinuous(kwargs: Record<string, unknown> = {}): EnvKernel {
  const params = kernelParams("MountainCarContinuous", { goal_velocity: 0 }, kwargs);
  return { ...mountainCarContinuous, params, step: (s, n, i, actions, a, _rng, out) => continuousStep(s, n, i, actions[a]!, params.goal_velocity, out) };
}

/** The terminated word is decided on float64 values, before the float32 store of the position. */
export const mountainCarContinuous: EnvKernel = {
  name: "Continuous_MountainCarEnv",
  stateFields: ["position", "velocity", "terminated"],
  params: { goal_velocity: 0 },
  actionSize: 1,
  actionSpace: new Box(MIN_ACTION, MAX_ACTION, [1]),
  observationSpace: new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]),
  renderSize: { width: 600, height: 400 },
  renderFps: 30,

  parseResetOptions: (options?: ResetOptions) => parseResetBounds(options, -0.6, -0.4),

  reset(s: Float64Array, n: number, i: number, rng: PCG64Bank, parsed: unknown): void {
    const { low, high } = parsed as { low: number; high: number };
    s[i] = rng.uniform(i, low, high);
    s[n + i] = 0;
    s[2 * n + i] = 0;
  },

  step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number, _rng: PCG64Bank, out: StepOutcome): void {
    continuousStep(s, n, i, actions[a]!, 0, out);
  },


  observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void {
    obs[o] = s[i]!;
    obs[o + 1] = s[n + i]!;
  },

  render(s: Float64Array, _n: number, i: number, target: RenderTarget): void {
    drawMountainCar(target, s[i]!, GOAL_POSITION);
  },

  wasmNextStep: "mountainCarContinuous",
};

/** One step of env i: `continuous_mountain_car.py`'s step, operation for operation. */
function continuousStep(s: Float64Array, n: number, i: number, action: number, goalVelocity: number, out: StepOutcome): void {
  let position = s[i]!;
  let velocity = s[n + i]!;
  const force = Math.min(Math.max(action, MIN_ACTION), MAX_ACTION);
  velocity = velocity + (force * POWER - 0.0025 * Math.cos(3 * position));
  if (velocity > MAX_SPEED) velocity = MAX_SPEED;
  if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
  position = position + velocity;
  if (position > MAX_POSITION) position = MAX_POSITION;
  if (position < MIN_POSITION) position = MIN_POSITION;
  if (position === MIN_POSITION && velocity < 0) velocity = 0;
  // Termination is decided on the float64 values, before the float32 store.
  const terminated = position >= GOAL_POSITION && velocity >= goalVelocity;
  s[i] = Math.fround(position);
  s[n + i] = Math.fround(velocity);
  s[2 * n + i] = terminated ? 1 : 0;
  let reward = terminated ? 100.0 : 0;
  reward -= action * action * 0.1;
  out.reward = reward;
  out.terminated = terminated;
}

