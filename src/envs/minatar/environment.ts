/**
 * MinAtar's `Environment` (minatar/environment.py @ 1.0.15): one game with sticky actions.
 *
 * Seeding as MinAtar does it: `seed(s)` makes ONE `RandomState(s)` shared by sticky actions and
 * the game, and changes nothing else (call `reset()` after it). `act(a)` always draws `rand()`
 * first (also after the terminal frame, also when the sticky probability is 0); below 0.1 the
 * previous action repeats. `reset()` keeps `lastAction`, so an episode's first frame can stick
 * to the last action of the one before.
 */
import { LegacyRandomState, type LegacySeed, type MT19937State } from "../../rng/random-state.js";
import { Asterix } from "./games/asterix.js";
import { Breakout } from "./games/breakout.js";
import { Freeway } from "./games/freeway.js";
import { GRID, type MinAtarGame } from "./games/game.js";
import { Seaquest } from "./games/seaquest.js";
import { SpaceInvaders } from "./games/space-invaders.js";

/** MinAtar's module names. */
export const GAME_NAMES = ["asterix", "breakout", "freeway", "seaquest", "space_invaders"] as const;
export type GameName = (typeof GAME_NAMES)[number];
export const NUM_ACTIONS = 6;

export interface EnvironmentOptions {
  /** probability that the previous action repeats (MinAtar's default 0.1) */
  stickyActionProb?: number;
  /** speed up Asterix, Seaquest and SpaceInvaders as the episode goes on (default true) */
  difficultyRamping?: boolean;
}

export interface EnvironmentState {
  game: Record<string, unknown>;
  random: MT19937State;
  lastAction: number;
}

export function makeGame(name: GameName, ramping: boolean, random: LegacyRandomState): MinAtarGame {
  switch (name) {
    case "asterix":
      return new Asterix(ramping, random);
    case "breakout":
      return new Breakout(random);
    case "freeway":
      return new Freeway(random);
    case "seaquest":
      return new Seaquest(ramping, random);
    case "space_invaders":
      return new SpaceInvaders(ramping, random);
  }
  throw new RangeError(`unknown MinAtar game ${JSON.stringify(name)}; the games are ${GAME_NAMES.join(", ")}`);
}

export class Environment {
  readonly game: MinAtarGame;
  readonly stickyActionProb: number;
  /**
   * The generator for sticky actions and the game. Unseeded, MinAtar gives the wrapper and the
   * game two OS-entropy streams; here they share one from the start, which no seed can tell apart.
   */
  random: LegacyRandomState;
  lastAction = 0;

  constructor(
    readonly gameName: GameName,
    options: EnvironmentOptions = {},
  ) {
    const sticky = options.stickyActionProb ?? 0.1;
    if (typeof sticky !== "number" || !(sticky >= 0 && sticky <= 1)) {
      throw new RangeError(`MinAtar stickyActionProb must be a number in [0, 1], got ${String(sticky)}`);
    }
    this.stickyActionProb = sticky;
    this.random = new LegacyRandomState();
    this.game = makeGame(gameName, options.difficultyRamping ?? true, this.random);
  }

  /** `seed(s)`: a fresh `RandomState(s)` for sticky actions and the game; no seed does nothing. */
  seed(seed?: LegacySeed): void {
    if (seed === undefined) return;
    this.useRandom(new LegacyRandomState(seed));
  }

  /** Makes `random` the one generator of sticky actions and the game. */
  useRandom(random: LegacyRandomState): void {
    this.random = random;
    this.game.random = random;
  }

  /** One frame: returns the reward; `terminal` tells whether the episode has ended. */
  act(a: number): number {
    if (!Number.isInteger(a) || a < 0 || a >= NUM_ACTIONS) {
      throw new RangeError(`MinAtar ${this.gameName}: action must be an integer in 0..5 (n, l, u, r, d, f), got ${String(a)}`);
    }
    if (this.random.rand() < this.stickyActionProb) a = this.lastAction;
    this.lastAction = a;
    return this.game.act(a);
  }

  get terminal(): boolean {
    return this.game.terminal;
  }

  /** The 10 × 10 × C state as 0/1 bytes, row-major HWC (numpy's `state()` layout). */
  state(out: Uint8Array = new Uint8Array(GRID * GRID * this.game.numChannels)): Uint8Array {
    if (out.length !== GRID * GRID * this.game.numChannels) {
      throw new RangeError(`MinAtar ${this.gameName}: state buffer must hold ${GRID * GRID * this.game.numChannels} bytes, got ${out.length}`);
    }
    this.game.writeState(out);
    return out;
  }

  reset(): void {
    this.game.reset();
  }

  stateShape(): [number, number, number] {
    return [GRID, GRID, this.game.numChannels];
  }

  numActions(): number {
    return NUM_ACTIONS;
  }

  minimalActionSet(): number[] {
    return [...this.game.minimalActionSet];
  }

  difficultyRamp(): number | null {
    return this.game.difficultyRamp();
  }

  getState(): EnvironmentState {
    return { game: this.game.getState(), random: this.random.getState(), lastAction: this.lastAction };
  }

  setState(state: EnvironmentState): void {
    if (!state || typeof state !== "object" || !Number.isInteger(state.lastAction) || state.lastAction < 0 || state.lastAction >= NUM_ACTIONS) {
      throw new TypeError(`MinAtar ${this.gameName}: setState needs {game, random, lastAction} from getState()`);
    }
    this.game.setState(state.game);
    this.random.setState(state.random);
    this.lastAction = state.lastAction;
  }
}
