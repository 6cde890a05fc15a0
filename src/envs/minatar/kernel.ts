/**
 * MinAtar games as tsrl kernels, for vector envs: the state of env i lives in the struct-of-arrays
 * buffer (the game's fields, then the last action), its RandomState in generator i of a
 * `LegacyRandomStateBank`. Each call loads env i into one game object, runs MinAtar's own rules
 * (the same code as `Environment`), and stores it back: no allocation per step (Seaquest
 * allocates an entity when one spawns). Observations are the 0/1 grid as float32, HWC.
 *
 * Semantics are MinAtar's `Environment` with sticky actions: one `rand()` per step, the last
 * action kept across (auto)resets; a reset draws what the game's reset draws (Breakout, Freeway).
 */
import { LegacyRandomState, LegacyRandomStateBank } from "../../rng/random-state.js";
import type { BatchBuffers, EnvKernel, GeneratorBankType, RenderTarget, ResetOptions, StepOutcome } from "../kernel.js";
import { Box, Discrete } from "../spaces.js";
import { GAME_NAMES, type GameName, makeGame } from "./environment.js";
import { FRAME_SIZE, renderMinatarState } from "./render.js";

export const LEGACY_RANDOM_STATE_BANK: GeneratorBankType<LegacyRandomStateBank> = {
  bytesFor: (n) => LegacyRandomStateBank.bytesFor(n),
  create: (n, storage) => new LegacyRandomStateBank(n, storage),
};

export interface MinAtarKernelOptions {
  /** the game's minimal action set (as the v1 ids) instead of all 6 actions */
  useMinimalActionSet?: boolean;
  /** probability that the previous action repeats (default 0.1) */
  stickyActionProb?: number;
  /** speed up Asterix, Seaquest and SpaceInvaders during an episode (default true) */
  difficultyRamping?: boolean;
}

const OPTION_KEYS = ["game", "useMinimalActionSet", "stickyActionProb", "difficultyRamping"];

/**
 * A kernel playing MinAtar's `game`. Options are those of `MinAtarEnv` (a registered id's kwargs
 * can be passed as they are: `minatarKernel(kwargs.game, kwargs)`).
 */
export function minatarKernel(game: GameName, options: MinAtarKernelOptions = {}): EnvKernel<LegacyRandomStateBank> {
  if (!GAME_NAMES.includes(game)) throw new RangeError(`unknown MinAtar game ${JSON.stringify(game)}; the games are ${GAME_NAMES.join(", ")}`);
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.includes(k));
  if (unknown.length) throw new TypeError(`minatarKernel: unknown option ${unknown.join(", ")}; the options are ${OPTION_KEYS.slice(1).join(", ")}`);
  const sticky = options.stickyActionProb ?? 0.1;
  if (typeof sticky !== "number" || !(sticky >= 0 && sticky <= 1)) throw new RangeError(`MinAtar stickyActionProb must be a number in [0, 1], got ${String(sticky)}`);
  const ramping = options.difficultyRamping ?? true;
  // one game object that every env is loaded into in turn (kernels run on one thread each)
  const scratch = makeGame(game, ramping, new LegacyRandomState(0));
  const channels = scratch.numChannels;
  const lastAction = scratch.stateFields.length;
  const minimal = options.useMinimalActionSet ?? false;
  // MinAtar's action for each action of the kernel's space (gym.py maps before Environment.act)
  const actionSet = minimal ? [...scratch.minimalActionSet] : [0, 1, 2, 3, 4, 5];
  const cells = new Uint8Array(100 * channels);

  return {
    name: `MinAtar ${game}`,
    stateFields: [...scratch.stateFields, "last_action"],
    params: { use_minimal_action_set: minimal, sticky_action_prob: sticky, difficulty_ramping: ramping },
    rng: LEGACY_RANDOM_STATE_BANK,
    actionSize: 1,
    actionSpace: new Discrete(actionSet.length),
    observationSpace: new Box(0, 1, [10, 10, channels], "float32"),
    renderSize: { width: FRAME_SIZE, height: FRAME_SIZE },
    renderFps: 20,

    parseResetOptions(options: ResetOptions | undefined): undefined {
      if (options && Object.keys(options).length) throw new TypeError(`MinAtar ${game} takes no reset options, got ${Object.keys(options).join(", ")}`);
      return undefined;
    },

    reset(s: Float64Array, n: number, i: number, rng: LegacyRandomStateBank): void {
      scratch.random = rng.get(i);
      scratch.reset();
      scratch.store(s, n, i);
    },

    step(s: Float64Array, n: number, i: number, actions: ArrayLike<number>, a: number, rng: LegacyRandomStateBank, out: StepOutcome): void {
      const random = rng.get(i);
      scratch.load(s, n, i);
      scratch.random = random;
      let action = actionSet[actions[a]!]!;
      if (random.rand() < sticky) action = s[lastAction * n + i]!;
      s[lastAction * n + i] = action;
      out.reward = scratch.act(action);
      out.terminated = scratch.terminal;
      scratch.store(s, n, i);
    },

    observe(s: Float64Array, n: number, i: number, obs: Float32Array, o: number): void {
      scratch.load(s, n, i);
      scratch.writeState(obs, o);
    },

    render(s: Float64Array, n: number, i: number, target: RenderTarget): void {
      scratch.load(s, n, i);
      scratch.writeState(cells);
      renderMinatarState(cells, channels, target);
    },

    /** The vector env's next-step loop: each env loaded once per step, observed straight into the batch. */
    stepBatchNextStep(b: BatchBuffers<LegacyRandomStateBank>, actions: ArrayLike<number>, from: number, to: number): void {
      const { n, rng, state: s, maxEpisodeSteps, elapsed, autoreset, obs, rewards, terminations, truncations } = b;
      const od = 100 * channels;
      for (let i = from; i < to; i++) {
        const random = rng.get(i);
        scratch.random = random;
        if (autoreset[i] !== 0) {
          scratch.reset();
          elapsed[i] = 0;
          autoreset[i] = 0;
          rewards[i] = 0;
          terminations[i] = 0;
          truncations[i] = 0;
        } else {
          scratch.load(s, n, i);
          let action = actionSet[actions[i]!]!;
          if (random.rand() < sticky) action = s[lastAction * n + i]!;
          s[lastAction * n + i] = action;
          rewards[i] = scratch.act(action);
          const terminated = scratch.terminal;
          const truncated = ++elapsed[i]! >= maxEpisodeSteps;
          terminations[i] = terminated ? 1 : 0;
          truncations[i] = truncated ? 1 : 0;
          autoreset[i] = terminated || truncated ? 1 : 0;
        }
        scratch.store(s, n, i);
        scratch.writeState(obs, i * od);
      }
    },
  };
}
