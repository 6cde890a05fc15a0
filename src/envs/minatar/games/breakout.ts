/**
 * MinAtar Breakout (minatar/environments/breakout.py @ 1.0.15): a paddle on the bottom row, a ball
 * moving on diagonals, three rows of bricks (+1 each, refilled when cleared); the episode ends
 * when the ball reaches the bottom row past the paddle. The trail channel shows the ball's last cell.
 */
import type { LegacyRandomState } from "../../../rng/random-state.js";
import { MinAtarGame } from "./game.js";

// Local constants: V8 reads imported bindings more slowly in hot loops.
const NOOP = 0, LEFT = 1, RIGHT = 3;
const GRID = 10;

const PADDLE = 0, BALL = 1, TRAIL = 2, BRICK = 3;
/** ball_dir: 0 up-left, 1 up-right, 2 down-right, 3 down-left */
const DX = [-1, 1, 1, -1];
const DY = [-1, -1, 1, 1];
const BOUNCE_X = [1, 0, 3, 2];
const BOUNCE_Y = [3, 2, 1, 0];
const PADDLE_EDGE = [2, 3, 0, 1];
const FULL_ROW = 0x3ff;
const FIELDS = ["ball_x", "ball_y", "ball_dir", "pos", ...Array.from({ length: 10 }, (_, y) => `brick_row_${y}`), "bricks", "strike", "last_x", "last_y", "terminal"];

export class Breakout extends MinAtarGame {
  readonly channels = ["paddle", "ball", "trail", "brick"] as const;
  readonly minimalActionSet = [NOOP, LEFT, RIGHT];
  ballX = 0;
  ballY = 3;
  ballDir = 2;
  pos = 4;
  /** brick_map as one 10-bit mask per row (bit x = column x) */
  readonly brickRows = new Int32Array(GRID);
  bricks = 0;
  strike = false;
  lastX = 0;
  lastY = 3;

  constructor(random?: LegacyRandomState) {
    super(random);
    this.reset();
  }

  reset(): void {
    this.ballY = 3;
    const start = this.random.randint(2);
    this.ballX = start === 0 ? 0 : 9;
    this.ballDir = start === 0 ? 2 : 3;
    this.pos = 4;
    this.brickRows.fill(0);
    this.brickRows.fill(FULL_ROW, 1, 4);
    this.bricks = 3 * GRID;
    this.strike = false;
    this.lastX = this.ballX;
    this.lastY = this.ballY;
    this.terminal = false;
  }

  act(a: number): number {
    let r = 0;
    if (this.terminal) return r;
    if (a === LEFT) this.pos = Math.max(0, this.pos - 1);
    else if (a === RIGHT) this.pos = Math.min(9, this.pos + 1);

    this.lastX = this.ballX;
    this.lastY = this.ballY;
    let newX = this.ballX + DX[this.ballDir]!;
    let newY = this.ballY + DY[this.ballDir]!;

    let strikeToggle = false;
    if (newX < 0 || newX > 9) {
      newX = newX < 0 ? 0 : 9;
      this.ballDir = BOUNCE_X[this.ballDir]!;
    }
    if (newY < 0) {
      newY = 0;
      this.ballDir = BOUNCE_Y[this.ballDir]!;
    } else if (this.brickRows[newY]! & (1 << newX)) {
      strikeToggle = true;
      if (!this.strike) {
        r += 1;
        this.strike = true;
        this.brickRows[newY] &= ~(1 << newX);
        this.bricks--;
        newY = this.lastY;
        this.ballDir = BOUNCE_Y[this.ballDir]!;
      }
    } else if (newY === 9) {
      if (this.bricks === 0) {
        this.brickRows.fill(FULL_ROW, 1, 4);
        this.bricks = 3 * GRID;
      }
      if (this.ballX === this.pos) {
        this.ballDir = BOUNCE_Y[this.ballDir]!;
        newY = this.lastY;
      } else if (newX === this.pos) {
        this.ballDir = PADDLE_EDGE[this.ballDir]!;
        newY = this.lastY;
      } else {
        this.terminal = true;
      }
    }
    if (!strikeToggle) this.strike = false;
    this.ballX = newX;
    this.ballY = newY;
    return r;
  }

  get stateFields(): readonly string[] {
    return FIELDS;
  }

  load(s: Float64Array, n: number, i: number): void {
    this.ballX = s[i]! | 0;
    this.ballY = s[n + i]! | 0;
    this.ballDir = s[2 * n + i]! | 0;
    this.pos = s[3 * n + i]! | 0;
    for (let y = 0; y < GRID; y++) this.brickRows[y] = s[(4 + y) * n + i]!;
    this.bricks = s[14 * n + i]! | 0;
    this.strike = s[15 * n + i] !== 0;
    this.lastX = s[16 * n + i]! | 0;
    this.lastY = s[17 * n + i]! | 0;
    this.terminal = s[18 * n + i] !== 0;
  }

  store(s: Float64Array, n: number, i: number): void {
    s[i] = this.ballX;
    s[n + i] = this.ballY;
    s[2 * n + i] = this.ballDir;
    s[3 * n + i] = this.pos;
    for (let y = 0; y < GRID; y++) s[(4 + y) * n + i] = this.brickRows[y]!;
    s[14 * n + i] = this.bricks;
    s[15 * n + i] = this.strike ? 1 : 0;
    s[16 * n + i] = this.lastX;
    s[17 * n + i] = this.lastY;
    s[18 * n + i] = this.terminal ? 1 : 0;
  }

  difficultyRamp(): null {
    return null;
  }

  writeState(out: Uint8Array | Float32Array, o = 0): void {
    out.fill(0, o, o + 400);
    out[o + (this.ballY * 10 + this.ballX) * 4 + BALL] = 1;
    out[o + (90 + this.pos) * 4 + PADDLE] = 1;
    out[o + (this.lastY * 10 + this.lastX) * 4 + TRAIL] = 1;
    const bricks = this.brickRows;
    for (let y = 0; y < 10; y++) {
      for (let m = bricks[y]!; m !== 0; m &= m - 1) out[o + (y * 10 + 31 - Math.clz32(m & -m)) * 4 + BRICK] = 1;
    }
  }

}
