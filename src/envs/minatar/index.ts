/**
 * MinAtar (Young & Tian 2019) in tsrl: the five games with MinAtar 1.0.15's rules and numpy's
 * RandomState, MinAtar's `Environment`, and its Gymnasium env under MinAtar's own ids.
 */
import { listEnvs, register } from "../registry.js";
import { MINATAR_ENVS } from "./ids.js";

export { Environment, GAME_NAMES, type EnvironmentOptions, type EnvironmentState, type GameName } from "./environment.js";
export { MinAtarEnv, type MinAtarEnvOptions, type MinAtarEnvState } from "./minatar-env.js";
export { minatarPalette } from "./render.js";
export { MINATAR_ENVS } from "./ids.js";
export { minatarKernel, LEGACY_RANDOM_STATE_BANK, type MinAtarKernelOptions } from "./kernel.js";

/** Registers the MinAtar ids unless they are registered already. */
export function registerMinatarEnvs(): void {
  const known = new Set(listEnvs().map((s) => s.id));
  for (const options of MINATAR_ENVS) if (!known.has(options.id)) register(options);
}
