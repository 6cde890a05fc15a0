/**
 * Acrobot-v1 — Gymnasium 1.4 `classic_control/acrobot.py` ("book" dynamics, one RK4 step of
 * dt = 0.2). The reset state is cast to float32, as Gymnasium does; everything after is float64.
 */
import type { PCG64Bank } from "../../rng/pcg64.js";
import { type EnvKernel, type RenderTarget, type ResetOptions, type StepOutcome, parseResetBounds } from "../kernel.js";
import { drawAcrobot } from "../render/classic.js";
import { Box, Discrete } from "../spaces.js";

const DT = 0.2;
const M1 = 1.0, M2 = 1.0;
const L1 = 1.0;
const LC1 = 0.5, LC2 = 0.5;
const I1 = 1.0, I2 = 1.0;
const G = 9.8;
const PI = Math.PI;
const MAX_VEL_1 = 4 * PI;
const MAX_VEL_2 = 9 * PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1] as const;

// Scratch for the RK4 stages: the kernel runs one env at a time, so one buffer serves all.
const y = new Float64Array(4);
const k1 = new Float64Array(4), k2 = new Float64Array(4), k3 = new Float64Array(4), k4 = new Float64Array(4);
const tmp = new Float64Array(4);

/** `_dsdt` without the constant torque component; writes d/dt [θ1, θ2, θ̇1, θ̇2] to `out`. */
function dsdt(s: Float64Array, a: number, out: Float64Array): void {
  const theta1 = s[0]!, theta2 = s[1]!, dtheta1 = s[2]!, dtheta2 = s[3]!;
  const d1 = M1 * LC1 ** 2 + M2 * (L1 ** 2 + LC2 ** 2 + 2 * L1 * LC2 * Math.cos(theta2)) + I1 + I2;
  const d2 = M2 * (LC2 ** 2 + L1 * LC2 * Math.cos(theta2)) + I2;
  const phi2 = M2 * LC2 * G * Math.cos(theta1 + theta2 - PI / 2.0);
  const phi1 =
    -M2 * L1 * LC2 * (dtheta2 * dtheta2) * Math.sin(theta2) -
    2 * M2 * L1 * LC2 * dtheta2 * dtheta1 * Math.sin(theta2) +
    (M1 * LC1 + M2 * L1) * G * Math.cos(theta1 - PI / 2) +
    phi2;
  const ddtheta2 =
    (a + (d2 / d1) * phi1 - M2 * L1 * LC2 * (dtheta1 * dtheta1) * Math.sin(theta2) - phi2) /
    (M2 * LC2 ** 2 + I2 - (d2 * d2) / d1);
  const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
  out[0] = dtheta1;
  out[1] = dtheta2;
  out[2] = ddtheta1;
  out[3] = ddtheta2;
}

function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

function bound(x: number, m: number, M: number): number {
  return Math.min(Math.max(x, m), M);
}

/** State components: θ1, θ2, θ̇1, θ̇2. */
export const acrobot: EnvKernel = {
  name: "AcrobotEnv",
  stateFields: ["theta1", "theta2", "theta1_dot", "theta2_dot"],
  params: {},
  actionSize: 1,
  actionSpace: new Discrete(3),
  observationSpace: new Box([-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2], [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2]),
  renderSize: { width: 500, height: 500 },
  renderFps: 15,

  parseResetOptions: (options?: ResetOptions) => parseResetBounds(options, -0.1, 0.1),

  reset(s: Float64Array, n: number, i: number, rng: PCG64Bank, parsed: unknown): void {
    const { low, high } = parsed as { low: number; high: number };
    for (let k = 0; k < 4; k++) s[k * n + i] = Math.fround(rng.uniform(i, low, high));
  },

  step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number, _rng: PCG64Bank, out: StepOutcome): void {
    const torque = AVAIL_TORQUE[actions[a]!]!;
    for (let k = 0; k < 4; k++) y[k] = s[k * n + i]!;
    // rk4(derivs, y0, [0, dt]): the torque component has zero derivative and stays constant.
    const dt = DT - 0;
    const dt2 = dt / 2.0;
    dsdt(y, torque, k1);
    for (let k = 0; k < 4; k++) tmp[k] = y[k]! + dt2 * k1[k]!;
    dsdt(tmp, torque, k2);
    for (let k = 0; k < 4; k++) tmp[k] = y[k]! + dt2 * k2[k]!;
    dsdt(tmp, torque, k3);
    for (let k = 0; k < 4; k++) tmp[k] = y[k]! + dt * k3[k]!;
    dsdt(tmp, torque, k4);
    const h = dt / 6.0;
    for (let k = 0; k < 4; k++) tmp[k] = y[k]! + h * (k1[k]! + 2 * k2[k]! + 2 * k3[k]! + k4[k]!);
    s[i] = wrap(tmp[0]!, -PI, PI);
    s[n + i] = wrap(tmp[1]!, -PI, PI);
    s[2 * n + i] = bound(tmp[2]!, -MAX_VEL_1, MAX_VEL_1);
    s[3 * n + i] = bound(tmp[3]!, -MAX_VEL_2, MAX_VEL_2);
    out.terminated = acrobotTerminal(s[i]!, s[n + i]!);
    out.reward = out.terminated ? 0.0 : -1.0;
  },

  observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void {
    const t1 = s[i]!, t2 = s[n + i]!;
    obs[o] = Math.cos(t1);
    obs[o + 1] = Math.sin(t1);
    obs[o + 2] = Math.cos(t2);
    obs[o + 3] = Math.sin(t2);
    obs[o + 4] = s[2 * n + i]!;
    obs[o + 5] = s[3 * n + i]!;
  },

  render(s: Float64Array, n: number, i: number, target: RenderTarget): void {
    drawAcrobot(target, s[i]!, s[n + i]!);
  },
};

function acrobotTerminal(theta1: number, theta2: number): boolean {
  return -Math.cos(theta1) - Math.cos(theta2 + theta1) > 1.0;
}
