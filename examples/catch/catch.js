/**
 * Catch (bsuite's, Osband et al. 2020): a ball falls from a random column of the top row of a
 * 10 × 5 grid; move the paddle on the bottom row left, not at all, or right to catch it. Reward
 * +1 for a catch, −1 for a miss, on the last of the episode's 9 steps. The observation is the grid
 * as an image: 1 where the ball or the paddle is.
 *
 * A plain Gymnasium-style class: this file is all tsrl needs to train on it, e.g.
 *   npx tsrl train ppo --env ./catch.js:Catch-v0
 */
import { Env, register, spaces } from "tsrl";

export class Catch extends Env {
  constructor({ rows = 10, columns = 5 } = {}) {
    super();
    this.rows = rows;
    this.columns = columns;
    this.observationSpace = new spaces.Box(0, 1, [rows, columns], "float32");
    this.actionSpace = new spaces.Discrete(3); // 0: left, 1: stay, 2: right
    this.metadata = { renderModes: ["rgb_array"], renderFps: 8 };
    this.ball = { x: 0, y: 0 };
    this.paddle = 0;
  }

  reset(args = {}) {
    super.reset(args); // seeds this.npRandom when args.seed is given
    this.ball = { x: this.npRandom.integers(this.columns), y: 0 };
    this.paddle = Math.floor(this.columns / 2);
    return [this.observe(), {}];
  }

  step(action) {
    this.paddle = Math.min(this.columns - 1, Math.max(0, this.paddle + action - 1));
    this.ball.y += 1;
    const terminated = this.ball.y === this.rows - 1;
    const reward = terminated ? (this.ball.x === this.paddle ? 1 : -1) : 0;
    return [this.observe(), reward, terminated, false, {}];
  }

  observe() {
    const grid = new Float32Array(this.rows * this.columns);
    grid[this.ball.y * this.columns + this.ball.x] = 1;
    grid[(this.rows - 1) * this.columns + this.paddle] = 1;
    return grid;
  }

  /** An RGB frame, 24 pixels per cell: the ball red, the paddle blue. */
  render() {
    const cell = 24, width = this.columns * cell, height = this.rows * cell;
    const data = new Uint8Array(width * height * 3).fill(245);
    const paint = (col, row, [r, g, b]) => {
      for (let y = row * cell + 2; y < (row + 1) * cell - 2; y++) {
        for (let x = col * cell + 2; x < (col + 1) * cell - 2; x++) data.set([r, g, b], (y * width + x) * 3);
      }
    };
    paint(this.ball.x, this.ball.y, [220, 50, 47]);
    paint(this.paddle, this.rows - 1, [38, 139, 210]);
    return { width, height, data };
  }

  // For checkpoints and exact resume: everything step depends on besides this.npRandom.
  getState() {
    return { ball: { ...this.ball }, paddle: this.paddle };
  }

  setState(state) {
    this.ball = { ...state.ball };
    this.paddle = state.paddle;
  }
}

register({ id: "Catch-v0", entryPoint: (kwargs) => new Catch(kwargs), maxEpisodeSteps: 200 });
