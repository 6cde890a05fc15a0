/**
 * InvertedDoublePendulum-v5 (Gymnasium `gymnasium/envs/mujoco/inverted_double_pendulum_v5.py`):
 * a cart with two hinged poles, force ∈ [−1, 1] (gear 500), frame skip 5 (dt 0.05 s). Observation
 * (9): cart x, sin and cos of both hinge angles, clip(qvel, ±10), clip(qfrc_constraint[0], ±10).
 * With (x, y) the tip site's world x and height: terminated when y ≤ 1; reward
 * 10 · [not terminated] − (0.01 x² + (y − 2)²) − (0.001 v1² + 0.005 v2²), v1, v2 the hinge velocities.
 * Reset: qpos + U(−0.1, 0.1), then qvel + 0.1 · N(0, 1).
 */
import type { MainModule } from "mujoco-js";
import type { Info, StepResult } from "../env.js";
import { Box } from "../spaces.js";
import { INVERTED_DOUBLE_PENDULUM_XML } from "./assets/inverted-double-pendulum.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface InvertedDoublePendulumOptions {
  xml?: string;
  frameSkip?: number;
  healthyReward?: number;
  resetNoiseScale?: number;
}

export const INVERTED_DOUBLE_PENDULUM_OPTIONS = ["xml", "frameSkip", "healthyReward", "resetNoiseScale"] as const;

const clip10 = (x: number) => Math.min(10, Math.max(-10, x));

export class InvertedDoublePendulumEnv extends MujocoEnv {
  readonly observationSpace = new Box(-Infinity, Infinity, [9], "float64");
  private readonly healthyReward: number;
  private readonly resetNoiseScale: number;

  constructor(mujoco: MainModule, options: InvertedDoublePendulumOptions = {}) {
    super(mujoco, options.xml ? "custom inverted double pendulum XML" : "inverted_double_pendulum.xml", options.xml ?? INVERTED_DOUBLE_PENDULUM_XML, options.frameSkip ?? 5);
    this.healthyReward = options.healthyReward ?? 10;
    this.resetNoiseScale = options.resetNoiseScale ?? 0.1;
    this.camera = { view: "side", scale: 160, center: [0, 0.6] };
  }

  step(action: Float32Array): StepResult<Float64Array> {
    this.doSimulation(action);
    const tip = this.data.site_xpos as Float64Array;
    const x = tip[0]!, y = tip[2]!;
    const obs = this.observation();
    const terminated = y <= 1;
    const qvel = this.data.qvel as Float64Array;
    const v1 = qvel[1]!, v2 = qvel[2]!;
    const distPenalty = 0.01 * x ** 2 + (y - 2) ** 2;
    const velPenalty = 1e-3 * v1 ** 2 + 5e-3 * v2 ** 2;
    const alive = terminated ? 0 : this.healthyReward;
    const info: Info = { reward_survive: alive, distance_penalty: -distPenalty, velocity_penalty: -velPenalty };
    return [obs, alive - distPenalty - velPenalty, terminated, false, info];
  }

  protected resetModel(): Float64Array {
    const qpos = this.uniformNoise(this.initQpos, this.resetNoiseScale);
    const qvel = this.normalNoise(this.initQvel, this.resetNoiseScale);
    this.setQ(qpos, qvel);
    return this.observation();
  }

  private observation(): Float64Array {
    const qpos = this.data.qpos as Float64Array, qvel = this.data.qvel as Float64Array;
    const obs = new Float64Array(9);
    obs[0] = qpos[0]!;
    obs[1] = Math.sin(qpos[1]!);
    obs[2] = Math.sin(qpos[2]!);
    obs[3] = Math.cos(qpos[1]!);
    obs[4] = Math.cos(qpos[2]!);
    for (let i = 0; i < 3; i++) obs[5 + i] = clip10(qvel[i]!);
    obs[8] = clip10((this.data.qfrc_constraint as Float64Array)[0]!);
    return obs;
  }
}
