/**
 * Walker2d-v5 (Gymnasium `gymnasium/envs/mujoco/walker2d_v5.py`, model walker2d_v5.xml, whose two
 * feet have the same friction): a planar biped, 6 torques ∈ [−1, 1], frame skip 4 (dt 0.008 s).
 * Observation qpos[1:] ⊕ clip(qvel, ±10), 17 values (18 with the x position). Reward x_velocity +
 * 1 while healthy − 0.001 · Σ action². Healthy: z = qpos[1] in (0.8, 2) and angle = qpos[2] in
 * (−1, 1); terminated when unhealthy. Reset: qpos and qvel each + U(−0.005, 0.005).
 */
import type { MainModule } from "mujoco-js";
import { WALKER2D_XML } from "./assets/walker2d.js";
import { type HealthOptions, PLANAR_RUNNER_OPTIONS, PlanarRunnerEnv, type PlanarRunnerOptions } from "./mujoco-env.js";

export interface Walker2dOptions extends PlanarRunnerOptions, HealthOptions {
  healthyZRange?: [number, number];
  healthyAngleRange?: [number, number];
}

export const WALKER2D_OPTIONS = [...PLANAR_RUNNER_OPTIONS, "healthyReward", "terminateWhenUnhealthy", "healthyZRange", "healthyAngleRange"] as const;

export class Walker2dEnv extends PlanarRunnerEnv {
  private readonly zRange: [number, number];
  private readonly angleRange: [number, number];

  constructor(mujoco: MainModule, options: Walker2dOptions = {}) {
    super(
      mujoco,
      "walker2d_v5.xml",
      WALKER2D_XML,
      { ...options, frameSkip: options.frameSkip ?? 4, ctrlCostWeight: options.ctrlCostWeight ?? 1e-3, resetNoiseScale: options.resetNoiseScale ?? 5e-3 },
      { healthyReward: options.healthyReward ?? 1, terminateWhenUnhealthy: options.terminateWhenUnhealthy ?? true },
      10,
      false,
    );
    this.zRange = options.healthyZRange ?? [0.8, 2];
    this.angleRange = options.healthyAngleRange ?? [-1, 1];
    this.camera = { view: "side", scale: 140, center: [0, 1], track: 1 };
  }

  override get isHealthy(): boolean {
    const qpos = this.data.qpos as Float64Array;
    const z = qpos[1]!, angle = qpos[2]!;
    return this.zRange[0] < z && z < this.zRange[1] && this.angleRange[0] < angle && angle < this.angleRange[1];
  }
}
