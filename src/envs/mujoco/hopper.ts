/**
 * Hopper-v5 (Gymnasium `gymnasium/envs/mujoco/hopper_v5.py`): a one-legged planar hopper, 3 torques
 * ∈ [−1, 1] (gear 200), frame skip 4 (dt 0.008 s). Observation qpos[1:] ⊕ clip(qvel, ±10), 11 values
 * (12 with the x position). Reward x_velocity + 1 while healthy − 0.001 · Σ action². Healthy: every
 * entry of qpos[2:] ⊕ qvel in (−100, 100), z = qpos[1] in (0.7, ∞) and angle = qpos[2] in (−0.2, 0.2);
 * terminated when unhealthy. Reset: qpos and qvel each + U(−0.005, 0.005) (qpos's draws first).
 */
import type { MainModule } from "mujoco-js";
import { HOPPER_XML } from "./assets/hopper.js";
import { type HealthOptions, PLANAR_RUNNER_OPTIONS, PlanarRunnerEnv, type PlanarRunnerOptions } from "./mujoco-env.js";

export interface HopperOptions extends PlanarRunnerOptions, HealthOptions {
  healthyStateRange?: [number, number];
  healthyZRange?: [number, number];
  healthyAngleRange?: [number, number];
}

export const HOPPER_OPTIONS = [...PLANAR_RUNNER_OPTIONS, "healthyReward", "terminateWhenUnhealthy", "healthyStateRange", "healthyZRange", "healthyAngleRange"] as const;

export class HopperEnv extends PlanarRunnerEnv {
  private readonly stateRange: [number, number];
  private readonly zRange: [number, number];
  private readonly angleRange: [number, number];

  constructor(mujoco: MainModule, options: HopperOptions = {}) {
    super(
      mujoco,
      "hopper.xml",
      HOPPER_XML,
      { ...options, frameSkip: options.frameSkip ?? 4, ctrlCostWeight: options.ctrlCostWeight ?? 1e-3, resetNoiseScale: options.resetNoiseScale ?? 5e-3 },
      { healthyReward: options.healthyReward ?? 1, terminateWhenUnhealthy: options.terminateWhenUnhealthy ?? true },
      10,
      false,
    );
    this.stateRange = options.healthyStateRange ?? [-100, 100];
    this.zRange = options.healthyZRange ?? [0.7, Infinity];
    this.angleRange = options.healthyAngleRange ?? [-0.2, 0.2];
    this.camera = { view: "side", scale: 140, center: [0, 1], track: 1 };
  }

  override get isHealthy(): boolean {
    const qpos = this.data.qpos as Float64Array, qvel = this.data.qvel as Float64Array;
    const [lo, hi] = this.stateRange;
    for (let i = 2; i < qpos.length; i++) if (!(lo < qpos[i]! && qpos[i]! < hi)) return false;
    for (let i = 0; i < qvel.length; i++) if (!(lo < qvel[i]! && qvel[i]! < hi)) return false;
    const z = qpos[1]!, angle = qpos[2]!;
    return this.zRange[0] < z && z < this.zRange[1] && this.angleRange[0] < angle && angle < this.angleRange[1];
  }
}
