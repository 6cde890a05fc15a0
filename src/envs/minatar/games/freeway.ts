/**
 * MinAtar Freeway (minatar/environments/freeway.py @ 1.0.15): a chicken in column 4 crosses eight
 * lanes of cars (+1 at the top, then back to the bottom with new car speeds); a car sends it back
 * to the bottom; the chicken moves at most every 3 frames; the episode ends after 2500 frames
 * (terminal on the 2501st act). Trail channels 2–6 give each car's speed (1 = every frame).
 */
import type { LegacyRandomState } from "../../../rng/random-state.js";
import { MinAtarGame } from "./game.js";

// Local constants: V8 reads imported bindings more slowly in hot loops.
const NOOP = 0, UP = 2, DOWN = 4;

const CHICKEN = 0, CAR = 1, SPEED1 = 2;
const PLAYER_SPEED = 3;
const TIME_LIMIT = 2500;
const LANES = 8;

const FIELDS = [
  ...["car_x", "car_timer", "car_speed"].flatMap((name) => Array.from({ length: LANES }, (_, k) => `${name}_${k}`)),
  "pos", "move_timer", "terminate_timer", "terminal",
];

// scratch for `_randomize_cars` (games run on one thread)
const speeds = new Int32Array(LANES);
const directions = new Float64Array(LANES);

export class Freeway extends MinAtarGame {
  readonly channels = ["chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5"] as const;
  readonly minimalActionSet = [NOOP, UP, DOWN];
  /** per lane (y = lane + 1): x, frames until the next move, signed speed v (|v| frames per move, sign = direction) */
  readonly carX = new Int32Array(LANES);
  readonly carTimer = new Int32Array(LANES);
  readonly carSpeed = new Int32Array(LANES);
  pos = 9;
  moveTimer = PLAYER_SPEED;
  terminateTimer = TIME_LIMIT;

  constructor(random?: LegacyRandomState) {
    super(random);
    this.reset();
  }

  reset(): void {
    this.randomizeCars(true);
    this.pos = 9;
    this.moveTimer = PLAYER_SPEED;
    this.terminateTimer = TIME_LIMIT;
    this.terminal = false;
  }

  act(a: number): number {
    let r = 0;
    if (this.terminal) return r;

    if (a === UP && this.moveTimer === 0) {
      this.moveTimer = PLAYER_SPEED;
      this.pos = Math.max(0, this.pos - 1);
    } else if (a === DOWN && this.moveTimer === 0) {
      this.moveTimer = PLAYER_SPEED;
      this.pos = Math.min(9, this.pos + 1);
    }

    if (this.pos === 0) {
      r += 1;
      this.randomizeCars(false);
      this.pos = 9;
    }

    for (let i = 0; i < LANES; i++) {
      const y = i + 1;
      if (this.carX[i] === 4 && y === this.pos) this.pos = 9;
      if (this.carTimer[i] === 0) {
        const v = this.carSpeed[i]!;
        this.carTimer[i] = Math.abs(v);
        let x = this.carX[i]! + (v > 0 ? 1 : -1);
        if (x < 0) x = 9;
        else if (x > 9) x = 0;
        this.carX[i] = x;
        if (x === 4 && y === this.pos) this.pos = 9;
      } else this.carTimer[i] -= 1;
    }

    if (this.moveTimer > 0) this.moveTimer -= 1;
    this.terminateTimer -= 1;
    if (this.terminateTimer < 0) this.terminal = true;
    return r;
  }

  /** `_randomize_cars`: eight speeds `randint(1, 6, 8)`, then eight directions `sign(rand(8) - 0.5)`. */
  private randomizeCars(initialize: boolean): void {
    this.random.randintFill(1, 6, speeds);
    this.random.randFill(directions);
    for (let i = 0; i < LANES; i++) {
      const v = speeds[i]! * Math.sign(directions[i]! - 0.5);
      if (initialize) this.carX[i] = 0;
      this.carTimer[i] = Math.abs(v);
      this.carSpeed[i] = v;
    }
  }

  get stateFields(): readonly string[] {
    return FIELDS;
  }

  load(s: Float64Array, n: number, i: number): void {
    for (let k = 0; k < LANES; k++) {
      this.carX[k] = s[k * n + i]! | 0;
      this.carTimer[k] = s[(LANES + k) * n + i]! | 0;
      this.carSpeed[k] = s[(2 * LANES + k) * n + i]! | 0;
    }
    this.pos = s[24 * n + i]! | 0;
    this.moveTimer = s[25 * n + i]! | 0;
    this.terminateTimer = s[26 * n + i]! | 0;
    this.terminal = s[27 * n + i] !== 0;
  }

  store(s: Float64Array, n: number, i: number): void {
    for (let k = 0; k < LANES; k++) {
      s[k * n + i] = this.carX[k]!;
      s[(LANES + k) * n + i] = this.carTimer[k]!;
      s[(2 * LANES + k) * n + i] = this.carSpeed[k]!;
    }
    s[24 * n + i] = this.pos;
    s[25 * n + i] = this.moveTimer;
    s[26 * n + i] = this.terminateTimer;
    s[27 * n + i] = this.terminal ? 1 : 0;
  }

  difficultyRamp(): null {
    return null;
  }

  writeState(out: Uint8Array | Float32Array, o = 0): void {
    out.fill(0, o, o + 700);
    out[o + (this.pos * 10 + 4) * 7 + CHICKEN] = 1;
    for (let i = 0; i < LANES; i++) {
      const row = (i + 1) * 10;
      const x = this.carX[i]!;
      const v = this.carSpeed[i]!;
      out[o + (row + x) * 7 + CAR] = 1;
      let backX = v > 0 ? x - 1 : x + 1;
      if (backX < 0) backX = 9;
      else if (backX > 9) backX = 0;
      // A direction draw of exactly 0.5 (probability 2^-53) gives speed 0, for which MinAtar has no trail channel.
      if (v === 0) throw new Error("MinAtar Freeway: a car has speed 0 (a direction draw of exactly 0.5); MinAtar's state() fails here too");
      out[o + (row + backX) * 7 + SPEED1 + Math.abs(v) - 1] = 1;
    }
  }

}
