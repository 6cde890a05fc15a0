/** MuJoCo environments (Gymnasium's v5 rules and models) over MuJoCo's WebAssembly build: `await loadMujoco()`, then build them. */
export { loadMujoco, compileModel, MujocoEnv, MujocoModelError } from "./mujoco-env.js";
export type { MujocoState } from "./mujoco-env.js";
export { InvertedPendulumEnv } from "./inverted-pendulum.js";
export type { InvertedPendulumOptions } from "./inverted-pendulum.js";
export { INVERTED_PENDULUM_XML } from "./assets/inverted-pendulum.js";
