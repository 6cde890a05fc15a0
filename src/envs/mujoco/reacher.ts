/**
 * Reacher-v5 (Gymnasium `gymnasium/envs/mujoco/reacher_v5.py`): a two-joint planar arm reaching a
 * target, 2 torques ∈ [−1, 1], frame skip 2 (dt 0.02 s). Observation (10): cos and sin of both arm
 * angles, the target's x, y (qpos[2:4]), the arm's angular velocities, and (fingertip − target)'s
 * x, y. Reward −‖fingertip − target‖ (body positions, 3-D) − Σ action², each times its weight
 * (1), computed after the step; never terminates; 50-step limit where registered. Reset: qpos +
 * U(−0.1, 0.1); the goal drawn U(−0.2, 0.2)² until its norm is < 0.2 and put in qpos[2:4]; qvel +
 * U(−0.005, 0.005), the target's velocities 0.
 */
import type { MainModule } from "mujoco-js";
import type { Info, StepResult } from "../env.js";
import { Box } from "../spaces.js";
import { REACHER_XML } from "./assets/reacher.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface ReacherOptions {
  xml?: string;
  frameSkip?: number;
  rewardDistWeight?: number;
  rewardControlWeight?: number;
}

export const REACHER_OPTIONS = ["xml", "frameSkip", "rewardDistWeight", "rewardControlWeight"] as const;

export class ReacherEnv extends MujocoEnv {
  readonly observationSpace = new Box(-Infinity, Infinity, [10], "float64");
  private readonly distWeight: number;
  private readonly controlWeight: number;
  private readonly fingertip: number;
  private readonly target: number;

  constructor(mujoco: MainModule, options: ReacherOptions = {}) {
    super(mujoco, options.xml ? "custom reacher XML" : "reacher.xml", options.xml ?? REACHER_XML, options.frameSkip ?? 2);
    this.distWeight = options.rewardDistWeight ?? 1;
    this.controlWeight = options.rewardControlWeight ?? 1;
    this.fingertip = this.bodyId("fingertip");
    this.target = this.bodyId("target");
    this.camera = { view: "top", scale: 800, center: [0, 0] };
  }

  step(action: Float32Array): StepResult<Float64Array> {
    this.doSimulation(action);
    const obs = this.observation();
    const xpos = this.data.xpos as Float64Array;
    const f = 3 * this.fingertip, t = 3 * this.target;
    const dx = xpos[f]! - xpos[t]!, dy = xpos[f + 1]! - xpos[t + 1]!, dz = xpos[f + 2]! - xpos[t + 2]!;
    const rewardDist = -Math.sqrt(dx * dx + dy * dy + dz * dz) * this.distWeight;
    let squares = 0;
    for (let i = 0; i < action.length; i++) squares += action[i]! * action[i]!;
    const rewardCtrl = -squares * this.controlWeight;
    const info: Info = { reward_dist: rewardDist, reward_ctrl: rewardCtrl };
    return [obs, rewardDist + rewardCtrl, false, false, info];
  }

  protected resetModel(): Float64Array {
    const qpos = this.uniformNoise(this.initQpos, 0.1);
    let g0: number, g1: number;
    do {
      g0 = this.npRandom.uniform(-0.2, 0.2);
      g1 = this.npRandom.uniform(-0.2, 0.2);
    } while (!(Math.sqrt(g0 * g0 + g1 * g1) < 0.2));
    const nq = qpos.length;
    qpos[nq - 2] = g0;
    qpos[nq - 1] = g1;
    const qvel = this.uniformNoise(this.initQvel, 0.005);
    qvel[qvel.length - 2] = 0;
    qvel[qvel.length - 1] = 0;
    this.setQ(qpos, qvel);
    return this.observation();
  }

  private observation(): Float64Array {
    const qpos = this.data.qpos as Float64Array, qvel = this.data.qvel as Float64Array, xpos = this.data.xpos as Float64Array;
    const f = 3 * this.fingertip, t = 3 * this.target;
    const obs = new Float64Array(10);
    obs[0] = Math.cos(qpos[0]!);
    obs[1] = Math.cos(qpos[1]!);
    obs[2] = Math.sin(qpos[0]!);
    obs[3] = Math.sin(qpos[1]!);
    obs[4] = qpos[2]!;
    obs[5] = qpos[3]!;
    obs[6] = qvel[0]!;
    obs[7] = qvel[1]!;
    obs[8] = xpos[f]! - xpos[t]!;
    obs[9] = xpos[f + 1]! - xpos[t + 1]!;
    return obs;
  }
}
