/**
 * HalfCheetah-v5 (Gymnasium `gymnasium/envs/mujoco/half_cheetah_v5.py`): a planar cheetah, 6 torques
 * ∈ [−1, 1], frame skip 5 (dt 0.05 s). Observation qpos[1:] ⊕ qvel (not clipped), 17 values (18 with
 * the x position). Reward x_velocity − 0.1 · Σ action²; never terminates. Reset: qpos +
 * U(−0.1, 0.1), then qvel + 0.1 · N(0, 1) (numpy's standard_normal).
 */
import type { MainModule } from "mujoco-js";
import { HALF_CHEETAH_XML } from "./assets/half-cheetah.js";
import { PLANAR_RUNNER_OPTIONS, PlanarRunnerEnv, type PlanarRunnerOptions } from "./mujoco-env.js";

export type HalfCheetahOptions = PlanarRunnerOptions;

export const HALF_CHEETAH_OPTIONS = PLANAR_RUNNER_OPTIONS;

export class HalfCheetahEnv extends PlanarRunnerEnv {
  constructor(mujoco: MainModule, options: HalfCheetahOptions = {}) {
    super(
      mujoco,
      "half_cheetah.xml",
      HALF_CHEETAH_XML,
      { ...options, frameSkip: options.frameSkip ?? 5, ctrlCostWeight: options.ctrlCostWeight ?? 0.1, resetNoiseScale: options.resetNoiseScale ?? 0.1 },
      null,
      Infinity,
      true,
    );
    this.camera = { view: "side", scale: 100, center: [0, 0.5], track: 1 };
  }
}
