/**
 * MinAtar's Gymnasium env (minatar/gym.py `BaseEnv` @ 1.0.15) as a tsrl `Env`: observations are
 * `state()` as Box(0, 1, [10, 10, C], bool) bytes in numpy's row-major HWC layout; actions index
 * all 6 MinAtar actions (v0) or the game's minimal set (v1); `reset({seed})` is MinAtar's
 * `seed(s)` then `reset()`, and `reset()` alone only resets (the RandomState and the last action
 * carry on). No time limit: Freeway ends itself after 2500 frames, the others on losing.
 */
import { Env, type Info, type ResetArgs, type RgbFrame, type StepResult, describe } from "../env.js";
import { checkResetArgs } from "../kernel.js";
import { Box, Discrete } from "../spaces.js";
import { Environment, type EnvironmentState, GAME_NAMES, type GameName } from "./environment.js";
import { ACTION_NAMES } from "./games/game.js";
import { FRAME_SIZE, renderMinatarState } from "./render.js";

export interface MinAtarEnvOptions {
  /** MinAtar's module name: asterix, breakout, freeway, seaquest or space_invaders */
  game: GameName;
  /** the game's minimal action set (the v1 ids) instead of all 6 actions */
  useMinimalActionSet?: boolean;
  /** probability that the previous action repeats (default 0.1) */
  stickyActionProb?: number;
  /** speed up Asterix, Seaquest and SpaceInvaders during an episode (default true) */
  difficultyRamping?: boolean;
}

const OPTION_KEYS = ["game", "useMinimalActionSet", "stickyActionProb", "difficultyRamping"];

export interface MinAtarEnvState {
  environment: EnvironmentState;
  started: boolean;
}

export class MinAtarEnv extends Env<Uint8Array, number> {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete;
  /** MinAtar's `Environment` (game, sticky actions, RandomState) */
  readonly environment: Environment;
  /** the MinAtar action index of each action of `actionSpace` */
  readonly actionSet: readonly number[];
  private started = false;

  constructor(options: MinAtarEnvOptions) {
    super();
    if (!options || typeof options !== "object") throw new TypeError(`MinAtarEnv needs options {game: ${GAME_NAMES.join(" | ")}}`);
    const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.includes(k));
    if (unknown.length) throw new TypeError(`MinAtarEnv: unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; the options are ${OPTION_KEYS.join(", ")}`);
    if (!GAME_NAMES.includes(options.game)) throw new RangeError(`MinAtarEnv: game must be one of ${GAME_NAMES.join(", ")}, got ${describe(options.game)}`);
    for (const key of ["useMinimalActionSet", "difficultyRamping"] as const) {
      if (options[key] !== undefined && typeof options[key] !== "boolean") throw new TypeError(`MinAtarEnv: ${key} must be true or false, got ${describe(options[key])}`);
    }
    this.environment = new Environment(options.game, { stickyActionProb: options.stickyActionProb, difficultyRamping: options.difficultyRamping });
    this.actionSet = options.useMinimalActionSet ? this.environment.minimalActionSet() : [0, 1, 2, 3, 4, 5];
    this.actionSpace = new Discrete(this.actionSet.length);
    this.observationSpace = new Box(0, 1, this.environment.stateShape(), "bool");
    // MinAtar's display shows a frame for display_time = 50 ms
    this.metadata = { renderModes: ["rgb_array"], renderFps: 20 };
  }

  private get label(): string {
    return this.spec?.id ?? `MinAtar ${this.environment.gameName}`;
  }

  override reset(args: ResetArgs = {}): [Uint8Array, Info] {
    checkResetArgs(this.label, args);
    if (args.options && Object.keys(args.options).length) throw new TypeError(`${this.label}: MinAtar takes no reset options, got ${Object.keys(args.options).join(", ")}`);
    const seed = args.seed;
    if (seed !== undefined) {
      if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new RangeError(`${this.label}.reset: seed must be an integer in [0, 2^32) (MinAtar seeds numpy's RandomState with it), got ${describe(seed)}`);
      }
      this.environment.seed(seed);
    }
    super.reset(args);
    this.environment.reset();
    this.started = true;
    return [this.environment.state(), {}];
  }

  /** After the terminal step MinAtar keeps answering reward 0, terminated, with an unchanged state. */
  step(action: number): StepResult<Uint8Array> {
    if (!this.started) throw new Error(`${this.label}: step() called before reset(); call env.reset() first`);
    if (!Number.isInteger(action) || action < 0 || action >= this.actionSet.length) {
      const names = this.actionSet.map((a, k) => `${k} ${ACTION_NAMES[a]}`).join(", ");
      throw new RangeError(`${this.label}: invalid action ${describe(action)}; the action space is ${this.actionSpace}, so pass an integer in [0, ${this.actionSet.length}) (${names})`);
    }
    const reward = this.environment.act(this.actionSet[action]!);
    return [this.environment.state(), reward, this.environment.terminal, false, {}];
  }

  /** The grid in MinAtar's colours, 16 pixels per cell. */
  override render(): RgbFrame {
    if (!this.started) throw new Error(`${this.label}: render() called before reset(); call env.reset() first`);
    const frame = { width: FRAME_SIZE, height: FRAME_SIZE, data: new Uint8Array(FRAME_SIZE * FRAME_SIZE * 3) };
    renderMinatarState(this.environment.state(), this.environment.game.numChannels, frame);
    return frame;
  }

  override getState(): MinAtarEnvState {
    return { environment: this.environment.getState(), started: this.started };
  }

  override setState(state: unknown): void {
    const s = state as MinAtarEnvState;
    if (!s || typeof s !== "object" || typeof s.started !== "boolean") throw new TypeError(`${this.label}: setState needs {environment, started} from getState()`);
    this.environment.setState(s.environment);
    this.started = s.started;
  }
}
