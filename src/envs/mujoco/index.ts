/** MuJoCo environments (Gymnasium's v5 rules and models) over MuJoCo's WebAssembly build: `await loadMujoco()`, then build them, or `await registerMujocoEnvs()` for their ids. */
import { listEnvs, register } from "../registry.js";
import { InvertedPendulumEnv } from "./inverted-pendulum.js";
import { loadMujoco } from "./mujoco-env.js";

export { loadMujoco, compileModel, MujocoEnv, MujocoModelError } from "./mujoco-env.js";
export type { MujocoState } from "./mujoco-env.js";
export { InvertedPendulumEnv } from "./inverted-pendulum.js";
export type { InvertedPendulumOptions } from "./inverted-pendulum.js";
export { INVERTED_PENDULUM_XML } from "./assets/inverted-pendulum.js";

/**
 * Loads MuJoCo and registers its envs under Gymnasium's ids and time limits
 * (InvertedPendulum-v5: 1000 steps, reward threshold 950), so `make`, `makeVec` and the
 * algorithms' `envId` find them. Safe to call more than once.
 */
export async function registerMujocoEnvs(): Promise<void> {
  const mujoco = await loadMujoco();
  if (!listEnvs().some((s) => s.id === "InvertedPendulum-v5")) {
    register({ id: "InvertedPendulum-v5", entryPoint: (kwargs) => new InvertedPendulumEnv(mujoco, kwargs), maxEpisodeSteps: 1000, rewardThreshold: 950 });
  }
}
