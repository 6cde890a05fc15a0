/**
 * The ids MinAtar's `register_envs()` (minatar/gym.py) registers: `MinAtar/<Game>-v0` with all 6
 * actions and `-v1` with the game's minimal action set, no time limit. Kept apart from the
 * registry (type import only) so that the registry can import it without an import cycle.
 */
import type { RegisterOptions } from "../registry.js";
import { GAME_NAMES, type GameName } from "./environment.js";
import { type MinAtarKernelOptions, minatarKernel } from "./kernel.js";
import { MinAtarEnv, type MinAtarEnvOptions } from "./minatar-env.js";

/** "space_invaders" → "SpaceInvaders", as minatar/gym.py names the ids. */
function idName(game: string): string {
  return game.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());
}

/** MinAtar's Python names (`Environment(sticky_action_prob=…)`, gym.py's `use_minimal_action_set`) → the options' names. */
const PYTHON_NAMES: Record<string, string> = { sticky_action_prob: "stickyActionProb", difficulty_ramping: "difficultyRamping", use_minimal_action_set: "useMinimalActionSet" };

/** The kwargs with MinAtar's Python names accepted too (make(id, { sticky_action_prob: 0 }), as gym.make takes them). */
function options(id: string, kwargs: Record<string, unknown>): Record<string, unknown> {
  const names = Object.values(PYTHON_NAMES);
  const unknown = Object.keys(kwargs).filter((k) => k !== "game" && !Object.hasOwn(PYTHON_NAMES, k) && !names.includes(k));
  if (unknown.length) {
    throw new TypeError(`${id} has no keyword argument ${unknown.map((k) => JSON.stringify(k)).join(", ")}; it takes ${Object.entries(PYTHON_NAMES).map(([python, name]) => `${python} (or ${name})`).join(", ")}`);
  }
  const out: Record<string, unknown> = { ...kwargs };
  for (const [python, name] of Object.entries(PYTHON_NAMES)) {
    if (!Object.hasOwn(kwargs, python)) continue;
    // the registered useMinimalActionSet is a default that the Python name overrides
    if (Object.hasOwn(kwargs, name) && name !== "useMinimalActionSet") throw new TypeError(`${id}: ${python} and ${name} name one option; give one`);
    out[name] = kwargs[python];
    delete out[python];
  }
  return out;
}

export const MINATAR_ENVS: RegisterOptions[] = GAME_NAMES.flatMap((game) =>
  [false, true].map((useMinimalActionSet) => {
    const id = `MinAtar/${idName(game)}-v${useMinimalActionSet ? 1 : 0}`;
    return {
      id,
      entryPoint: (kwargs: Record<string, unknown>) => new MinAtarEnv(options(id, kwargs) as unknown as MinAtarEnvOptions),
      // the same game as a kernel: makeVec and training step it in one loop
      vectorEntryPoint: (kwargs: Record<string, unknown>) => minatarKernel(kwargs.game as GameName, options(id, kwargs) as MinAtarKernelOptions),
      kwargs: { game, useMinimalActionSet },
    };
  }),
);
