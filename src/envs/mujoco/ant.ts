/**
 * Ant-v5 (Gymnasium `gymnasium/envs/mujoco/ant_v5.py`): a four-legged ant on a free joint, 8 torques
 * ∈ [−1, 1], frame skip 5 (dt 0.05 s). Observation qpos[2:] ⊕ qvel ⊕ clip(cfrc_ext[1:], −1, 1)
 * (13 + 14 + 78 = 105; 107 with the x, y position, 27 without contact forces). x, y velocity from the
 * main body's (body 1, the torso) world position over the step. Reward x_velocity + 1 while healthy
 * − 0.5 · Σ action² − 5e-4 · Σ clip(cfrc_ext, −1, 1)² (every body, the world's row included), in
 * Gymnasium's order. Healthy: qpos ⊕ qvel finite and 0.2 ≤ z = qpos[2] ≤ 1; terminated when
 * unhealthy. Reset: qpos + U(−0.1, 0.1), then qvel + 0.1 · N(0, 1).
 */
import type { MainModule } from "mujoco-js";
import type { Info, StepResult } from "../env.js";
import { Box } from "../spaces.js";
import { ANT_XML } from "./assets/ant.js";
import { type HealthOptions, MujocoEnv } from "./mujoco-env.js";

export interface AntOptions extends HealthOptions {
  xml?: string;
  frameSkip?: number;
  forwardRewardWeight?: number;
  ctrlCostWeight?: number;
  contactCostWeight?: number;
  /** the body whose world position gives the velocity: an id or a name (default 1, the torso) */
  mainBody?: number | string;
  healthyZRange?: [number, number];
  contactForceRange?: [number, number];
  resetNoiseScale?: number;
  excludeCurrentPositionsFromObservation?: boolean;
  includeCfrcExtInObservation?: boolean;
}

export const ANT_OPTIONS = [
  "xml", "frameSkip", "forwardRewardWeight", "ctrlCostWeight", "contactCostWeight", "healthyReward", "mainBody", "terminateWhenUnhealthy",
  "healthyZRange", "contactForceRange", "resetNoiseScale", "excludeCurrentPositionsFromObservation", "includeCfrcExtInObservation",
] as const;

export class AntEnv extends MujocoEnv {
  readonly observationSpace: Box;
  private readonly forwardRewardWeight: number;
  private readonly ctrlCostWeight: number;
  private readonly contactCostWeight: number;
  private readonly healthyReward: number;
  private readonly terminateWhenUnhealthy: boolean;
  private readonly zRange: [number, number];
  private readonly forceRange: [number, number];
  private readonly resetNoiseScale: number;
  private readonly skippedQpos: number;
  private readonly includeForces: boolean;
  private readonly mainBody: number;

  constructor(mujoco: MainModule, options: AntOptions = {}) {
    super(mujoco, options.xml ? "custom ant XML" : "ant.xml", options.xml ?? ANT_XML, options.frameSkip ?? 5);
    this.forwardRewardWeight = options.forwardRewardWeight ?? 1;
    this.ctrlCostWeight = options.ctrlCostWeight ?? 0.5;
    this.contactCostWeight = options.contactCostWeight ?? 5e-4;
    this.healthyReward = options.healthyReward ?? 1;
    this.terminateWhenUnhealthy = options.terminateWhenUnhealthy ?? true;
    this.zRange = options.healthyZRange ?? [0.2, 1];
    this.forceRange = options.contactForceRange ?? [-1, 1];
    this.resetNoiseScale = options.resetNoiseScale ?? 0.1;
    this.skippedQpos = (options.excludeCurrentPositionsFromObservation ?? true) ? 2 : 0;
    this.includeForces = options.includeCfrcExtInObservation ?? true;
    const main = options.mainBody ?? 1;
    this.mainBody = typeof main === "string" ? this.bodyId(main) : main;
    const size = this.model.nq + this.model.nv - this.skippedQpos + (this.includeForces ? 6 * (this.model.nbody - 1) : 0);
    this.observationSpace = new Box(-Infinity, Infinity, [size], "float64");
    this.camera = { view: "top", scale: 90, center: [0, 0], track: 1 };
  }

  /** Gymnasium's `is_healthy`: a finite state and the torso's height within the range (ends included). */
  get isHealthy(): boolean {
    const qpos = this.data.qpos as Float64Array, qvel = this.data.qvel as Float64Array;
    for (let i = 0; i < qpos.length; i++) if (!Number.isFinite(qpos[i]!)) return false;
    for (let i = 0; i < qvel.length; i++) if (!Number.isFinite(qvel[i]!)) return false;
    return this.zRange[0] <= qpos[2]! && qpos[2]! <= this.zRange[1];
  }

  step(action: Float32Array): StepResult<Float64Array> {
    const b = 3 * this.mainBody;
    let xpos = this.data.xpos as Float64Array;
    const xBefore = xpos[b]!, yBefore = xpos[b + 1]!;
    this.doSimulation(action);
    xpos = this.data.xpos as Float64Array;
    const xVelocity = (xpos[b]! - xBefore) / this.dt, yVelocity = (xpos[b + 1]! - yBefore) / this.dt;
    const obs = this.observation();
    const healthy = this.isHealthy;
    const forward = xVelocity * this.forwardRewardWeight;
    const survive = healthy ? this.healthyReward : 0;
    let squares = 0;
    for (let i = 0; i < action.length; i++) squares += action[i]! * action[i]!;
    const ctrlCost = this.ctrlCostWeight * squares;
    const contactCost = this.contactCostWeight * this.contactForceSquares();
    const qpos = this.data.qpos as Float64Array;
    const info: Info = {
      x_position: qpos[0]!, y_position: qpos[1]!, distance_from_origin: Math.sqrt(qpos[0]! ** 2 + qpos[1]! ** 2), x_velocity: xVelocity, y_velocity: yVelocity,
      reward_forward: forward, reward_ctrl: -ctrlCost, reward_contact: -contactCost, reward_survive: survive,
    };
    return [obs, forward + survive - (ctrlCost + contactCost), !healthy && this.terminateWhenUnhealthy, false, info];
  }

  protected resetModel(): Float64Array {
    const qpos = this.uniformNoise(this.initQpos, this.resetNoiseScale);
    const qvel = this.normalNoise(this.initQvel, this.resetNoiseScale);
    this.setQ(qpos, qvel);
    return this.observation();
  }

  protected override resetInfo(): Info {
    const qpos = this.data.qpos as Float64Array;
    return { x_position: qpos[0]!, y_position: qpos[1]!, distance_from_origin: Math.sqrt(qpos[0]! ** 2 + qpos[1]! ** 2) };
  }

  /** Σ clip(cfrc_ext, range)² over every body */
  private contactForceSquares(): number {
    const f = this.data.cfrc_ext as Float64Array;
    const [lo, hi] = this.forceRange;
    let s = 0;
    for (let i = 0; i < f.length; i++) {
      const c = Math.min(hi, Math.max(lo, f[i]!));
      s += c * c;
    }
    return s;
  }

  private observation(): Float64Array {
    const qpos = this.data.qpos as Float64Array, qvel = this.data.qvel as Float64Array;
    const obs = new Float64Array(this.observationSpace.shape[0]!);
    obs.set(qpos.subarray(this.skippedQpos));
    obs.set(qvel, qpos.length - this.skippedQpos);
    if (this.includeForces) {
      const f = this.data.cfrc_ext as Float64Array, [lo, hi] = this.forceRange;
      const o = qpos.length - this.skippedQpos + qvel.length;
      for (let i = 6; i < f.length; i++) obs[o + i - 6] = Math.min(hi, Math.max(lo, f[i]!));
    }
    return obs;
  }
}
