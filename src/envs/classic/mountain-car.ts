/** MountainCar-v0 — Gymnasium 1.4 `classic_control/mountain_car.py`. */
import type { PCG64Bank } from "../../rng/pcg64.js";
import { type EnvKernel, type RenderTarget, type ResetOptions, type StepOutcome, kernelParams, parseResetBounds } from "../kernel.js";
import { drawMountainCar } from "../render/classic.js";
import { Box, Discrete } from "../spaces.js";

export const MIN_POSITION = -1.2;
export const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
export const GOAL_POSITION = 0.5;
const FORCE = 0.001;
const GRAVITY = 0.0025;

/** MountainCar with Gymnasium's constructor argument `goal_velocity` (default 0). */
export function makeMountainCar(kwargs: Record<string, unknown> = {}): EnvKernel {
  const params = kernelParams("MountainCar", { goal_velocity: 0 }, kwargs);
  return {
    ...mountainCar,
    params,
    step(s, n, i, actions, a, rng, out) {
      mountainCar.step(s, n, i, actions, a, rng, out);
      out.terminated = s[i]! >= GOAL_POSITION && s[n + i]! >= params.goal_velocity;
    },
  };
}

export const mountainCar: EnvKernel = {
  name: "MountainCarEnv",
  stateFields: ["position", "velocity"],
  params: { goal_velocity: 0 },
  actionSize: 1,
  actionSpace: new Discrete(3),
  observationSpace: new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]),
  renderSize: { width: 600, height: 400 },
  renderFps: 30,

  parseResetOptions: (options?: ResetOptions) => parseResetBounds(options, -0.6, -0.4),

  reset(s: Float64Array, n: number, i: number, rng: PCG64Bank, parsed: unknown): void {
    const { low, high } = parsed as { low: number; high: number };
    s[i] = rng.uniform(i, low, high);
    s[n + i] = 0;
  },

  step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number, _rng: PCG64Bank, out: StepOutcome): void {
    let position = s[i]!;
    let velocity = s[n + i]!;
    // Python evaluates the whole right-hand side of `velocity += ...` first.
    velocity = velocity + ((actions[a]! - 1) * FORCE + Math.cos(3 * position) * -GRAVITY);
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    position = position + velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    s[i] = position;
    s[n + i] = velocity;
    out.reward = -1.0;
    out.terminated = position >= GOAL_POSITION && velocity >= 0;
  },

  observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void {
    obs[o] = s[i]!;
    obs[o + 1] = s[n + i]!;
  },

  render(s: Float64Array, _n: number, i: number, target: RenderTarget): void {
    drawMountainCar(target, s[i]!, GOAL_POSITION);
  },

  wasmNextStep: "mountainCar",
};
