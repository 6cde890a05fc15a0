/** CartPole-v1 — Gymnasium 1.4 `classic_control/cartpole.py`, same operations in the same order. */
import type { PCG64Bank } from "../../rng/pcg64.js";
import { type BatchBuffers, type EnvKernel, type RenderTarget, type ResetOptions, type StepOutcome, kernelParams, parseResetBounds } from "../kernel.js";
import { drawCartPole } from "../render/classic.js";
import { Box, Discrete } from "../spaces.js";

const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
const LENGTH = 0.5; // half the pole's length
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
export const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
export const X_THRESHOLD = 2.4;
const F32_MAX = 3.4028234663852886e38;

/** CartPole with Gymnasium's constructor arguments: `sutton_barto_reward` (0 per step, −1 on failure). */
export function makeCartPole(kwargs: Record<string, unknown> = {}): EnvKernel {
  const params = kernelParams("CartPole", { sutton_barto_reward: false }, kwargs);
  if (!params.sutton_barto_reward) return { ...cartPole, params };
  // the fused loops (JS and WASM) pay 1 per step
  const { stepBatchNextStep: _, wasmNextStep: __, ...generic } = cartPole;
  return {
    ...generic,
    params,
    step: (s, n, i, actions, a, _rng, out) => {
      cartPoleStep(s, n, i, actions[a]!);
      out.terminated = cartPoleTerminal(s[i]!, s[2 * n + i]!);
      out.reward = out.terminated ? -1.0 : 0.0;
    },
  };
}

export const cartPole: EnvKernel = {
  name: "CartPoleEnv",
  stateFields: ["x", "x_dot", "theta", "theta_dot"],
  params: { sutton_barto_reward: false },
  actionSize: 1,
  actionSpace: new Discrete(2),
  observationSpace: new Box([-X_THRESHOLD * 2, -F32_MAX, -THETA_THRESHOLD * 2, -F32_MAX], [X_THRESHOLD * 2, F32_MAX, THETA_THRESHOLD * 2, F32_MAX]),
  renderSize: { width: 600, height: 400 },
  renderFps: 50,

  parseResetOptions: (options?: ResetOptions) => parseResetBounds(options, -0.05, 0.05),

  reset(s: Float64Array, n: number, i: number, rng: PCG64Bank, parsed: unknown): void {
    const { low, high } = parsed as { low: number; high: number };
    for (let k = 0; k < 4; k++) s[k * n + i] = rng.uniform(i, low, high);
  },

  step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number, _rng: PCG64Bank, out: StepOutcome): void {
    cartPoleStep(s, n, i, actions[a]!);
    out.reward = 1.0;
    out.terminated = cartPoleTerminal(s[i]!, s[2 * n + i]!);
  },

  observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void {
    obs[o] = s[i]!;
    obs[o + 1] = s[n + i]!;
    obs[o + 2] = s[2 * n + i]!;
    obs[o + 3] = s[3 * n + i]!;
  },

  render(s: Float64Array, n: number, i: number, target: RenderTarget): void {
    drawCartPole(target, s[i]!, s[2 * n + i]!);
  },

  stepBatchNextStep,
  wasmNextStep: "cartPole",
};

/** The vector env's next-step loop with reset, step, time limit and observation inlined. */
function stepBatchNextStep(b: BatchBuffers, actions: ArrayLike<number>, from: number, to: number): void {
  const { n, rng, maxEpisodeSteps, elapsed, autoreset, obs, rewards, terminations, truncations } = b;
  const { low, high } = b.resetParams as { low: number; high: number };
  const X = b.state.subarray(0, n), XD = b.state.subarray(n, 2 * n);
  const TH = b.state.subarray(2 * n, 3 * n), THD = b.state.subarray(3 * n, 4 * n);
  for (let i = from; i < to; i++) {
    let x: number, xDot: number, theta: number, thetaDot: number;
    if (autoreset[i] !== 0) {
      x = rng.uniform(i, low, high);
      xDot = rng.uniform(i, low, high);
      theta = rng.uniform(i, low, high);
      thetaDot = rng.uniform(i, low, high);
      elapsed[i] = 0;
      autoreset[i] = 0;
      rewards[i] = 0;
      terminations[i] = 0;
      truncations[i] = 0;
    } else {
      const x0 = X[i]!, xDot0 = XD[i]!, theta0 = TH[i]!, thetaDot0 = THD[i]!;
      const force = actions[i] === 1 ? FORCE_MAG : -FORCE_MAG;
      const costheta = Math.cos(theta0);
      const sintheta = Math.sin(theta0);
      const temp = (force + POLEMASS_LENGTH * (thetaDot0 * thetaDot0) * sintheta) / TOTAL_MASS;
      const thetaacc =
        (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - (MASSPOLE * (costheta * costheta)) / TOTAL_MASS));
      const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;
      x = x0 + TAU * xDot0;
      xDot = xDot0 + TAU * xacc;
      theta = theta0 + TAU * thetaDot0;
      thetaDot = thetaDot0 + TAU * thetaacc;
      const terminated = cartPoleTerminal(x, theta);
      const truncated = ++elapsed[i]! >= maxEpisodeSteps;
      rewards[i] = 1.0;
      terminations[i] = terminated ? 1 : 0;
      truncations[i] = truncated ? 1 : 0;
      autoreset[i] = terminated || truncated ? 1 : 0;
    }
    X[i] = x;
    XD[i] = xDot;
    TH[i] = theta;
    THD[i] = thetaDot;
    const o = 4 * i;
    obs[o] = x;
    obs[o + 1] = xDot;
    obs[o + 2] = theta;
    obs[o + 3] = thetaDot;
  }
}

/** One Euler step of env i (exported for the fused vectorized loop). */
export function cartPoleStep(s: Float64Array, n: number, i: number, action: number): void {
  const x = s[i]!, xDot = s[n + i]!, theta = s[2 * n + i]!, thetaDot = s[3 * n + i]!;
  const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
  const costheta = Math.cos(theta);
  const sintheta = Math.sin(theta);
  const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
  const thetaacc =
    (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - (MASSPOLE * (costheta * costheta)) / TOTAL_MASS));
  const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;
  s[i] = x + TAU * xDot;
  s[n + i] = xDot + TAU * xacc;
  s[2 * n + i] = theta + TAU * thetaDot;
  s[3 * n + i] = thetaDot + TAU * thetaacc;
}

export function cartPoleTerminal(x: number, theta: number): boolean {
  return x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
}
