/**
 * CartPoles slow next to the learner, for the distributed benchmark (bench/scale.ts): SlowCartPole
 * spends ~1 ms of CPU per step (a simulator), WaitCartPole waits ~1 ms per step without using the
 * CPU (a remote service or a game over a socket).
 */
import { register } from "../../src/index.js";
import { CartPoleClass } from "./cartpole-class.js";

const STEP_MS = 1;

export class SlowCartPole extends CartPoleClass {
  override step(action: number) {
    const until = performance.now() + STEP_MS;
    while (performance.now() < until); // busy: the CPU a simulator would use
    return super.step(action);
  }
}

const cell = new Int32Array(new SharedArrayBuffer(4));

export class WaitCartPole extends CartPoleClass {
  override step(action: number) {
    Atomics.wait(cell, 0, 0, STEP_MS); // blocks this thread like a synchronous call to a service
    return super.step(action);
  }
}

register({ id: "WaitCartPole-v0", entryPoint: () => new WaitCartPole(), maxEpisodeSteps: 500 });
register({ id: "SlowCartPole-v0", entryPoint: () => new SlowCartPole(), maxEpisodeSteps: 500 });
