/**
 * MinAtar SpaceInvaders (minatar/environments/space_invaders.py @ 1.0.15): a cannon on the bottom
 * row shoots at a 4×6 block of aliens that marches sideways and steps down at the edges (+1 per
 * alien); the nearest alien shoots back every 10 frames; an alien or bullet on the cannon ends the
 * episode. A cleared wave respawns, faster when ramping. Channels 2/3 mark aliens moving left/right.
 */
import type { LegacyRandomState } from "../../../rng/random-state.js";
import { MinAtarGame } from "./game.js";

// Local constants and helpers: V8 reads imported bindings more slowly in hot loops.
const NOOP = 0, LEFT = 1, RIGHT = 3, FIRE = 5;
const GRID = 10;

const CANNON = 0, ALIEN = 1, ALIEN_LEFT = 2, ALIEN_RIGHT = 3, FRIENDLY_BULLET = 4, ENEMY_BULLET = 5;
const SHOT_COOL_DOWN = 5;
const ENEMY_MOVE_INTERVAL = 12;
const ENEMY_SHOT_INTERVAL = 10;
const WAVE_ROW = 0b0011111100; // columns 2..7
const EDGE_LEFT = 1;
const EDGE_RIGHT = 1 << 9;
const FIELDS = [
  ...["f_bullet_row", "e_bullet_row", "alien_row"].flatMap((name) => Array.from({ length: GRID }, (_, y) => `${name}_${y}`)),
  "pos", "alien_dir", "enemy_move_interval", "alien_move_timer", "alien_shot_timer", "ramp_index", "shot_timer", "terminal",
];

export class SpaceInvaders extends MinAtarGame {
  readonly channels = ["cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"] as const;
  readonly minimalActionSet = [NOOP, LEFT, RIGHT, FIRE];
  pos = 5;
  /** MinAtar's 10×10 maps as one 10-bit mask per row (bit x = column x) */
  readonly fBulletRows = new Int32Array(GRID);
  readonly eBulletRows = new Int32Array(GRID);
  readonly alienRows = new Int32Array(GRID);
  alienDir = -1;
  enemyMoveInterval = ENEMY_MOVE_INTERVAL;
  alienMoveTimer = ENEMY_MOVE_INTERVAL;
  alienShotTimer = ENEMY_SHOT_INTERVAL;
  rampIndex = 0;
  shotTimer = 0;

  constructor(
    readonly ramping = true,
    random?: LegacyRandomState,
  ) {
    super(random);
    this.reset();
  }

  reset(): void {
    this.pos = 5;
    this.fBulletRows.fill(0);
    this.eBulletRows.fill(0);
    this.alienRows.fill(0);
    this.alienRows.fill(WAVE_ROW, 0, 4);
    this.alienDir = -1;
    this.enemyMoveInterval = ENEMY_MOVE_INTERVAL;
    this.alienMoveTimer = this.enemyMoveInterval;
    this.alienShotTimer = ENEMY_SHOT_INTERVAL;
    this.rampIndex = 0;
    this.shotTimer = 0;
    this.terminal = false;
  }

  act(a: number): number {
    let r = 0;
    if (this.terminal) return r;
    const aliens = this.alienRows, f = this.fBulletRows, e = this.eBulletRows;

    if (a === FIRE && this.shotTimer === 0) {
      f[9] |= 1 << this.pos;
      this.shotTimer = SHOT_COOL_DOWN;
    } else if (a === LEFT) this.pos = Math.max(0, this.pos - 1);
    else if (a === RIGHT) this.pos = Math.min(9, this.pos + 1);
    const cannon = 1 << this.pos;

    // np.roll(f, -1, axis=0) then the bottom row cleared: bullets move up (the top row leaves)
    f.copyWithin(0, 1);
    f[9] = 0;
    // np.roll(e, 1, axis=0) then the top row cleared: bullets move down (the bottom row leaves)
    e.copyWithin(1, 0, 9);
    e[0] = 0;
    if (e[9]! & cannon) this.terminal = true;

    if (aliens[9]! & cannon) this.terminal = true;
    if (this.alienMoveTimer === 0) {
      this.alienMoveTimer = Math.min(count(aliens), this.enemyMoveInterval);
      const occupied = union(aliens);
      if ((occupied & EDGE_LEFT && this.alienDir < 0) || (occupied & EDGE_RIGHT && this.alienDir > 0)) {
        this.alienDir = -this.alienDir;
        if (aliens[9]) this.terminal = true;
        // np.roll(aliens, 1, axis=0): rows move down, the bottom row wraps to the top
        const bottom = aliens[9]!;
        aliens.copyWithin(1, 0, 9);
        aliens[0] = bottom;
      } else {
        // np.roll(aliens, dir, axis=1): columns move sideways, wrapping around
        for (let y = 0; y < GRID; y++) {
          const m = aliens[y]!;
          aliens[y] = this.alienDir > 0 ? ((m << 1) | (m >>> 9)) & 0x3ff : (m >>> 1) | ((m & 1) << 9);
        }
      }
      if (aliens[9]! & cannon) this.terminal = true;
    }
    if (this.alienShotTimer === 0) {
      this.alienShotTimer = ENEMY_SHOT_INTERVAL;
      const x = this.nearestAlienColumn(this.pos);
      e[this.lowestInColumn(x)] |= 1 << x;
    }

    for (let y = 0; y < GRID; y++) {
      const kills = aliens[y]! & f[y]!;
      if (kills) {
        r += popcount(kills);
        aliens[y] &= ~kills;
        f[y] &= ~kills;
      }
    }

    if (this.shotTimer > 0) this.shotTimer -= 1;
    this.alienMoveTimer -= 1;
    this.alienShotTimer -= 1;
    if (union(aliens) === 0) {
      if (this.enemyMoveInterval > 6 && this.ramping) {
        this.enemyMoveInterval -= 1;
        this.rampIndex += 1;
      }
      aliens.fill(WAVE_ROW, 0, 4);
    }
    return r;
  }

  /**
   * `_nearest_alien`: the columns by distance from the cannon (ties: the left one first, a stable
   * sort of 0..9), the first holding an alien; the shot starts at its lowest alien.
   */
  private nearestAlienColumn(pos: number): number {
    const occupied = union(this.alienRows);
    for (let d = 0; d < GRID; d++) {
      if (pos - d >= 0 && occupied & (1 << (pos - d))) return pos - d;
      if (d > 0 && pos + d <= 9 && occupied & (1 << (pos + d))) return pos + d;
    }
    // MinAtar returns None here and then fails; a wave is always refilled before the next shot.
    throw new Error("MinAtar SpaceInvaders: no alien left to shoot");
  }

  private lowestInColumn(x: number): number {
    let y = GRID - 1;
    while (!(this.alienRows[y]! & (1 << x))) y--;
    return y;
  }

  get stateFields(): readonly string[] {
    return FIELDS;
  }

  load(s: Float64Array, n: number, i: number): void {
    for (let y = 0; y < GRID; y++) {
      this.fBulletRows[y] = s[y * n + i]! | 0;
      this.eBulletRows[y] = s[(GRID + y) * n + i]! | 0;
      this.alienRows[y] = s[(2 * GRID + y) * n + i]! | 0;
    }
    this.pos = s[30 * n + i]! | 0;
    this.alienDir = s[31 * n + i]! | 0;
    this.enemyMoveInterval = s[32 * n + i]! | 0;
    this.alienMoveTimer = s[33 * n + i]! | 0;
    this.alienShotTimer = s[34 * n + i]! | 0;
    this.rampIndex = s[35 * n + i]! | 0;
    this.shotTimer = s[36 * n + i]! | 0;
    this.terminal = s[37 * n + i] !== 0;
  }

  store(s: Float64Array, n: number, i: number): void {
    for (let y = 0; y < GRID; y++) {
      s[y * n + i] = this.fBulletRows[y]!;
      s[(GRID + y) * n + i] = this.eBulletRows[y]!;
      s[(2 * GRID + y) * n + i] = this.alienRows[y]!;
    }
    s[30 * n + i] = this.pos;
    s[31 * n + i] = this.alienDir;
    s[32 * n + i] = this.enemyMoveInterval;
    s[33 * n + i] = this.alienMoveTimer;
    s[34 * n + i] = this.alienShotTimer;
    s[35 * n + i] = this.rampIndex;
    s[36 * n + i] = this.shotTimer;
    s[37 * n + i] = this.terminal ? 1 : 0;
  }

  difficultyRamp(): number {
    return this.rampIndex;
  }

  writeState(out: Uint8Array | Float32Array, o = 0): void {
    out.fill(0, o, o + 600);
    const c = 6;
    out[o + (9 * GRID + this.pos) * c + CANNON] = 1;
    const dirChannel = this.alienDir < 0 ? ALIEN_LEFT : ALIEN_RIGHT;
    for (let y = 0; y < GRID; y++) {
      const row = y * GRID * c;
      for (let m = this.alienRows[y]!; m; m &= m - 1) {
        const cell = o + row + lowestBit(m) * c;
        out[cell + ALIEN] = 1;
        out[cell + dirChannel] = 1;
      }
      for (let m = this.fBulletRows[y]!; m; m &= m - 1) out[o + row + lowestBit(m) * c + FRIENDLY_BULLET] = 1;
      for (let m = this.eBulletRows[y]!; m; m &= m - 1) out[o + row + lowestBit(m) * c + ENEMY_BULLET] = 1;
    }
  }
}

function union(rows: Int32Array): number {
  let m = 0;
  for (let y = 0; y < GRID; y++) m |= rows[y]!;
  return m;
}

function count(rows: Int32Array): number {
  let n = 0;
  for (let y = 0; y < GRID; y++) n += popcount(rows[y]!);
  return n;
}

function popcount(m: number): number {
  m -= (m >>> 1) & 0x55555555;
  m = (m & 0x33333333) + ((m >>> 2) & 0x33333333);
  return Math.imul((m + (m >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function lowestBit(m: number): number {
  return 31 - Math.clz32(m & -m);
}
