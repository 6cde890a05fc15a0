/**
 * MinAtar (Young & Tian 2019) in tsrl: the five games with MinAtar 1.0.15's rules and numpy's
 * RandomState, and MinAtar's own Gymnasium ids — `MinAtar/<Game>-v0` with all 6 actions and
 * `-v1` with the game's minimal action set, no time limit (MinAtar registers none).
 */
import { type RegisterOptions, listEnvs, register } from "../registry.js";
import { GAME_NAMES } from "./environment.js";
import { MinAtarEnv, type MinAtarEnvOptions } from "./minatar-env.js";

export { Environment, GAME_NAMES, type EnvironmentOptions, type EnvironmentState, type GameName } from "./environment.js";
export { MinAtarEnv, type MinAtarEnvOptions, type MinAtarEnvState } from "./minatar-env.js";
export { minatarPalette } from "./render.js";

/** "space_invaders" → "SpaceInvaders", as minatar/gym.py names the ids. */
function idName(game: string): string {
  return game.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());
}

/** The ids MinAtar's `register_envs()` registers, for the registry to add. */
export const MINATAR_ENVS: RegisterOptions[] = GAME_NAMES.flatMap((game) =>
  [false, true].map((useMinimalActionSet) => ({
    id: `MinAtar/${idName(game)}-v${useMinimalActionSet ? 1 : 0}`,
    entryPoint: (kwargs: Record<string, unknown>) => new MinAtarEnv(kwargs as unknown as MinAtarEnvOptions),
    kwargs: { game, useMinimalActionSet },
  })),
);

/** Registers the MinAtar ids unless they are registered already (the registry does it on import). */
export function registerMinatarEnvs(): void {
  const known = new Set(listEnvs().map((s) => s.id));
  for (const options of MINATAR_ENVS) if (!known.has(options.id)) register(options);
}
