/**
 * InvertedPendulum-v5 (Gymnasium `gymnasium/envs/mujoco/inverted_pendulum_v5.py`): a cart on a
 * rail with a hinged pole, force ∈ [−3, 3] (gear 100), frame skip 2 (dt 0.04 s). Observation
 * qpos ⊕ qvel = [cart position, pole angle, cart velocity, pole angular velocity] (float64).
 * Reward 1 while healthy, 0 on the terminating step; terminated when an observation is not finite
 * or |angle| > 0.2; reset: qpos and qvel each + U(−0.01, 0.01) (qpos's draws first), from
 * `np_random` as Gymnasium draws them; 1000-step limit where registered.
 */
import type { MainModule } from "mujoco-js";
import type { Info, StepResult } from "../env.js";
import { Box } from "../spaces.js";
import { INVERTED_PENDULUM_XML } from "./assets/inverted-pendulum.js";
import { MujocoEnv } from "./mujoco-env.js";

export interface InvertedPendulumOptions {
  resetNoiseScale?: number;
  frameSkip?: number;
  /** an MJCF string replacing Gymnasium's inverted_pendulum.xml (Gymnasium's `xml_file`) */
  xml?: string;
}

export const INVERTED_PENDULUM_OPTIONS = ["resetNoiseScale", "frameSkip", "xml"] as const;

export class InvertedPendulumEnv extends MujocoEnv {
  readonly observationSpace = new Box(-Infinity, Infinity, [4], "float64");
  private readonly resetNoiseScale: number;

  constructor(mujoco: MainModule, options: InvertedPendulumOptions = {}) {
    super(mujoco, options.xml ? "custom inverted pendulum XML" : "inverted_pendulum.xml", options.xml ?? INVERTED_PENDULUM_XML, options.frameSkip ?? 2);
    this.resetNoiseScale = options.resetNoiseScale ?? 0.01;
    this.camera = { view: "side", scale: 160, center: [0, 0.2] };
  }

  step(action: Float32Array): StepResult<Float64Array> {
    this.doSimulation(action);
    const obs = this.observation();
    const terminated = !obs.every(Number.isFinite) || Math.abs(obs[1]!) > 0.2;
    const reward = terminated ? 0 : 1;
    const info: Info = { reward_survive: reward };
    return [obs, reward, terminated, false, info];
  }

  protected resetModel(): Float64Array {
    const s = this.resetNoiseScale;
    const qpos = this.initQpos.map((q) => q + this.npRandom.uniform(-s, s));
    const qvel = this.initQvel.map((q) => q + this.npRandom.uniform(-s, s));
    this.setQ(qpos, qvel);
    return this.observation();
  }

  private observation(): Float64Array {
    const nq = this.model.nq, nv = this.model.nv;
    const obs = new Float64Array(nq + nv);
    obs.set(this.data.qpos as Float64Array);
    obs.set(this.data.qvel as Float64Array, nq);
    return obs;
  }
}
