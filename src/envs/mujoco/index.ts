/** MuJoCo environments (Gymnasium's v5 rules and models) over MuJoCo's WebAssembly build: `await loadMujoco()`, then build them, or `await registerMujocoEnvs()` for their ids. */
import type { MainModule } from "mujoco-js";
import type { Env } from "../env.js";
import { listEnvs, register } from "../registry.js";
import { ANT_OPTIONS, AntEnv } from "./ant.js";
import { HALF_CHEETAH_OPTIONS, HalfCheetahEnv } from "./half-cheetah.js";
import { HOPPER_OPTIONS, HopperEnv } from "./hopper.js";
import { INVERTED_DOUBLE_PENDULUM_OPTIONS, InvertedDoublePendulumEnv } from "./inverted-double-pendulum.js";
import { INVERTED_PENDULUM_OPTIONS, InvertedPendulumEnv } from "./inverted-pendulum.js";
import { loadMujoco, mujocoOptions } from "./mujoco-env.js";
import { REACHER_OPTIONS, ReacherEnv } from "./reacher.js";
import { WALKER2D_OPTIONS, Walker2dEnv } from "./walker2d.js";

export { loadMujoco, compileModel, mujocoOptions, MujocoEnv, MujocoModelError, PlanarRunnerEnv } from "./mujoco-env.js";
export type { MujocoState, PlanarRunnerOptions, HealthOptions } from "./mujoco-env.js";
export { InvertedPendulumEnv } from "./inverted-pendulum.js";
export type { InvertedPendulumOptions } from "./inverted-pendulum.js";
export { InvertedDoublePendulumEnv } from "./inverted-double-pendulum.js";
export type { InvertedDoublePendulumOptions } from "./inverted-double-pendulum.js";
export { ReacherEnv } from "./reacher.js";
export type { ReacherOptions } from "./reacher.js";
export { HopperEnv } from "./hopper.js";
export type { HopperOptions } from "./hopper.js";
export { Walker2dEnv } from "./walker2d.js";
export type { Walker2dOptions } from "./walker2d.js";
export { HalfCheetahEnv } from "./half-cheetah.js";
export type { HalfCheetahOptions } from "./half-cheetah.js";
export { AntEnv } from "./ant.js";
export type { AntOptions } from "./ant.js";
export { INVERTED_PENDULUM_XML } from "./assets/inverted-pendulum.js";

type Build = (mujoco: MainModule, kwargs: Record<string, unknown>) => Env;

/** Gymnasium's ids, time limits and reward thresholds (gymnasium/envs/__init__.py) */
const MUJOCO_ENVS: { id: string; build: Build; maxEpisodeSteps: number; rewardThreshold?: number }[] = [
  { id: "InvertedPendulum-v5", build: (m, kw) => new InvertedPendulumEnv(m, mujocoOptions("InvertedPendulum-v5", kw, INVERTED_PENDULUM_OPTIONS)), maxEpisodeSteps: 1000, rewardThreshold: 950 },
  { id: "InvertedDoublePendulum-v5", build: (m, kw) => new InvertedDoublePendulumEnv(m, mujocoOptions("InvertedDoublePendulum-v5", kw, INVERTED_DOUBLE_PENDULUM_OPTIONS)), maxEpisodeSteps: 1000, rewardThreshold: 9100 },
  { id: "Reacher-v5", build: (m, kw) => new ReacherEnv(m, mujocoOptions("Reacher-v5", kw, REACHER_OPTIONS)), maxEpisodeSteps: 50, rewardThreshold: -3.75 },
  { id: "HalfCheetah-v5", build: (m, kw) => new HalfCheetahEnv(m, mujocoOptions("HalfCheetah-v5", kw, HALF_CHEETAH_OPTIONS)), maxEpisodeSteps: 1000, rewardThreshold: 4800 },
  { id: "Hopper-v5", build: (m, kw) => new HopperEnv(m, mujocoOptions("Hopper-v5", kw, HOPPER_OPTIONS)), maxEpisodeSteps: 1000, rewardThreshold: 3800 },
  { id: "Walker2d-v5", build: (m, kw) => new Walker2dEnv(m, mujocoOptions("Walker2d-v5", kw, WALKER2D_OPTIONS)), maxEpisodeSteps: 1000 },
  { id: "Ant-v5", build: (m, kw) => new AntEnv(m, mujocoOptions("Ant-v5", kw, ANT_OPTIONS)), maxEpisodeSteps: 1000, rewardThreshold: 6000 },
];

/** The ids `registerMujocoEnvs` registers (known before MuJoCo loads). */
export const MUJOCO_ENV_IDS: readonly string[] = MUJOCO_ENVS.map((e) => e.id);

/**
 * Loads MuJoCo and registers its envs under Gymnasium's ids, time limits and reward thresholds
 * (`MUJOCO_ENV_IDS`), so `make`, `makeVec` and the algorithms' `envId` find them; `make`'s kwargs
 * are the env's options in Gymnasium's snake_case or camelCase. Safe to call more than once.
 */
export async function registerMujocoEnvs(): Promise<void> {
  const mujoco = await loadMujoco();
  const known = new Set(listEnvs().map((s) => s.id));
  for (const { id, build, maxEpisodeSteps, rewardThreshold } of MUJOCO_ENVS) {
    if (!known.has(id)) register({ id, entryPoint: (kwargs) => build(mujoco, kwargs), maxEpisodeSteps, ...(rewardThreshold === undefined ? {} : { rewardThreshold }) });
  }
}
