/**
 * CartPole written the way a user writes an env: a plain Gymnasium-style class (no kernel), same
 * dynamics as Gymnasium's cartpole.py. The vector-env benchmark steps it through SyncVectorEnv
 * and AsyncVectorEnv to show what an Env class costs next to the kernel path.
 */
import { Box, Discrete, Env, type Info, type StepResult, register } from "../../src/index.js";

const GRAVITY = 9.8, MASSCART = 1.0, MASSPOLE = 0.1, TOTAL_MASS = MASSPOLE + MASSCART;
const LENGTH = 0.5, POLEMASS_LENGTH = MASSPOLE * LENGTH, FORCE_MAG = 10.0, TAU = 0.02;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360, X_THRESHOLD = 2.4;

export class CartPoleClass extends Env<Float32Array, number> {
  readonly observationSpace = new Box([-4.8, -3.4e38, -0.42, -3.4e38], [4.8, 3.4e38, 0.42, 3.4e38], [4]);
  readonly actionSpace = new Discrete(2);
  private s = [0, 0, 0, 0];

  override reset(args: { seed?: number } = {}): [Float32Array, Info] {
    super.reset(args);
    this.s = [0, 1, 2, 3].map(() => this.npRandom.uniform(-0.05, 0.05));
    return [Float32Array.from(this.s), {}];
  }

  step(action: number): StepResult<Float32Array> {
    const [x, xDot, theta, thetaDot] = this.s as [number, number, number, number];
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cos = Math.cos(theta), sin = Math.sin(theta);
    const temp = (force + POLEMASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (LENGTH * (4 / 3 - (MASSPOLE * cos * cos) / TOTAL_MASS));
    const xAcc = temp - (POLEMASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    this.s = [x + TAU * xDot, xDot + TAU * xAcc, theta + TAU * thetaDot, thetaDot + TAU * thetaAcc];
    const terminated = this.s[0]! < -X_THRESHOLD || this.s[0]! > X_THRESHOLD || this.s[2]! < -THETA_THRESHOLD || this.s[2]! > THETA_THRESHOLD;
    return [Float32Array.from(this.s), 1, terminated, false, {}];
  }
}

register({ id: "CartPoleClass-v1", entryPoint: () => new CartPoleClass(), maxEpisodeSteps: 500 });
