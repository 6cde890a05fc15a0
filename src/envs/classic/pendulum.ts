/** Pendulum-v1 — Gymnasium 1.4 `classic_control/pendulum.py` (g = 10). */
import type { PCG64Bank } from "../../rng/pcg64.js";
import { type EnvKernel, type RenderTarget, type ResetOptions, type StepOutcome, assertResetOptionKeys, kernelParams, toNumberOption } from "../kernel.js";
import { drawPendulum } from "../render/classic.js";
import { Box } from "../spaces.js";

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const G = 10.0;
const M = 1.0;
const L = 1.0;
const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;

/** numpy's floor-mod `(x + pi) % (2 pi) - pi` (Python `%` takes the divisor's sign, JS `%` the dividend's). */
export function angleNormalize(x: number): number {
  const m = 2 * Math.PI;
  let r = (x + Math.PI) % m;
  if (r !== 0 && r < 0) r += m;
  return r - Math.PI;
}

/** Pendulum with Gymnasium's constructor argument `g` (gravity, default 10). */
export function makePendulum(kwargs: Record<string, unknown> = {}): EnvKernel {
  const params = kernelParams("Pendulum", { g: G }, kwargs);
  return { ...pendulum, params, step: (s, n, i, actions, a, _rng, out) => pendulumStep(s, n, i, actions[a]!, params.g, out) };
}

export const pendulum: EnvKernel = {
  name: "PendulumEnv",
  stateFields: ["theta", "theta_dot", "last_u", "has_last_u"],
  params: { g: G },
  actionSize: 1,
  actionSpace: new Box(-MAX_TORQUE, MAX_TORQUE, [1]),
  observationSpace: new Box([-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED]),
  renderSize: { width: 500, height: 500 },
  renderFps: 30,

  parseResetOptions(options?: ResetOptions) {
    if (!options) return { x: DEFAULT_X, y: DEFAULT_Y };
    assertResetOptionKeys(options, ["x_init", "y_init"]);
    return { x: toNumberOption(options, "x_init", DEFAULT_X), y: toNumberOption(options, "y_init", DEFAULT_Y) };
  },

  reset(s: Float64Array, n: number, i: number, rng: PCG64Bank, parsed: unknown): void {
    const { x, y } = parsed as { x: number; y: number };
    // one uniform(low=-high, high=high) call over [theta, theta_dot]
    s[i] = rng.uniform(i, -x, x);
    s[n + i] = rng.uniform(i, -y, y);
    s[2 * n + i] = 0;
    s[3 * n + i] = 0;
  },

  step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number, _rng: PCG64Bank, out: StepOutcome): void {
    pendulumStep(s, n, i, actions[a]!, G, out);
  },

  observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void {
    const theta = s[i]!;
    obs[o] = Math.cos(theta);
    obs[o + 1] = Math.sin(theta);
    obs[o + 2] = s[n + i]!;
  },

  render(s: Float64Array, n: number, i: number, target: RenderTarget): void {
    drawPendulum(target, s[i]!, s[3 * n + i] ? s[2 * n + i]! : null);
  },
};

/** One step of env i with gravity `g`: `pendulum.py`'s step, operation for operation. */
function pendulumStep(s: Float64Array, n: number, i: number, action: number, g: number, out: StepOutcome): void {
  const th = s[i]!, thdot = s[n + i]!;
  const u = Math.min(Math.max(action, -MAX_TORQUE), MAX_TORQUE);
  const an = angleNormalize(th);
  const costs = an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u);
  let newthdot = thdot + (((3 * g) / (2 * L)) * Math.sin(th) + (3.0 / (M * L * L)) * u) * DT;
  newthdot = Math.min(Math.max(newthdot, -MAX_SPEED), MAX_SPEED);
  s[i] = th + newthdot * DT;
  s[n + i] = newthdot;
  s[2 * n + i] = u;
  s[3 * n + i] = 1;
  out.reward = -costs;
  out.terminated = false;
}
