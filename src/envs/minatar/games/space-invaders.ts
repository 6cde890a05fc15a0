/**
 * MinAtar SpaceInvaders (minatar/environments/space_invaders.py @ 1.0.15): a cannon on the bottom
 * row shoots at a 4×6 block of aliens that marches sideways and steps down at the edges (+1 per
 * alien); the nearest alien shoots back every 10 frames; an alien or bullet on the cannon ends the
 * episode. A cleared wave respawns, faster when ramping. Channels 2/3 mark aliens moving left/right.
 */
import type { LegacyRandomState } from "../../../rng/random-state.js";
import { FIRE, GRID, LEFT, MinAtarGame, NOOP, RIGHT } from "./game.js";

const CANNON = 0, ALIEN = 1, ALIEN_LEFT = 2, ALIEN_RIGHT = 3, FRIENDLY_BULLET = 4, ENEMY_BULLET = 5;
const SHOT_COOL_DOWN = 5;
const ENEMY_MOVE_INTERVAL = 12;
const ENEMY_SHOT_INTERVAL = 10;
const CELLS = GRID * GRID;

// scratch for np.roll (games run on one thread)
const rolled = new Uint8Array(CELLS);

export class SpaceInvaders extends MinAtarGame {
  readonly channels = ["cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet"] as const;
  readonly minimalActionSet = [NOOP, LEFT, RIGHT, FIRE];
  pos = 5;
  /** maps indexed y * 10 + x */
  readonly fBulletMap = new Uint8Array(CELLS);
  readonly eBulletMap = new Uint8Array(CELLS);
  readonly alienMap = new Uint8Array(CELLS);
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
    this.fBulletMap.fill(0);
    this.eBulletMap.fill(0);
    this.alienMap.fill(0);
    fillWave(this.alienMap);
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
    const aliens = this.alienMap;

    if (a === FIRE && this.shotTimer === 0) {
      this.fBulletMap[9 * GRID + this.pos] = 1;
      this.shotTimer = SHOT_COOL_DOWN;
    } else if (a === LEFT) this.pos = Math.max(0, this.pos - 1);
    else if (a === RIGHT) this.pos = Math.min(9, this.pos + 1);

    // np.roll(f, -1, axis=0), then the bottom row cleared: bullets move up
    rollRows(this.fBulletMap, -1);
    this.fBulletMap.fill(0, 9 * GRID, CELLS);
    // np.roll(e, 1, axis=0), then the top row cleared: bullets move down
    rollRows(this.eBulletMap, 1);
    this.eBulletMap.fill(0, 0, GRID);
    if (this.eBulletMap[9 * GRID + this.pos]) this.terminal = true;

    if (aliens[9 * GRID + this.pos]) this.terminal = true;
    if (this.alienMoveTimer === 0) {
      this.alienMoveTimer = Math.min(count(aliens), this.enemyMoveInterval);
      if ((columnAny(aliens, 0) && this.alienDir < 0) || (columnAny(aliens, 9) && this.alienDir > 0)) {
        this.alienDir = -this.alienDir;
        if (rowAny(aliens, 9)) this.terminal = true;
        rollRows(aliens, 1);
      } else rollColumns(aliens, this.alienDir);
      if (aliens[9 * GRID + this.pos]) this.terminal = true;
    }
    if (this.alienShotTimer === 0) {
      this.alienShotTimer = ENEMY_SHOT_INTERVAL;
      this.eBulletMap[this.nearestAlien(this.pos)] = 1;
    }

    for (let k = 0; k < CELLS; k++) {
      if (aliens[k] && this.fBulletMap[k]) {
        r += 1;
        aliens[k] = 0;
        this.fBulletMap[k] = 0;
      }
    }

    if (this.shotTimer > 0) this.shotTimer -= 1;
    this.alienMoveTimer -= 1;
    this.alienShotTimer -= 1;
    if (count(aliens) === 0) {
      if (this.enemyMoveInterval > 6 && this.ramping) {
        this.enemyMoveInterval -= 1;
        this.rampIndex += 1;
      }
      fillWave(aliens);
    }
    return r;
  }

  /**
   * `_nearest_alien`: the columns by distance from the cannon (ties: the left one first, a stable
   * sort of 0..9), the first with an alien; returns the cell index of its lowest alien.
   */
  private nearestAlien(pos: number): number {
    for (let d = 0; d < GRID; d++) {
      if (pos - d >= 0) {
        const k = lowestInColumn(this.alienMap, pos - d);
        if (k >= 0) return k;
      }
      if (d > 0 && pos + d <= 9) {
        const k = lowestInColumn(this.alienMap, pos + d);
        if (k >= 0) return k;
      }
    }
    // MinAtar returns None here and then fails; a wave is always refilled before the next shot.
    throw new Error("MinAtar SpaceInvaders: no alien left to shoot");
  }

  difficultyRamp(): number {
    return this.rampIndex;
  }

  writeState(out: Uint8Array): void {
    out.fill(0);
    const c = 6;
    out[(9 * GRID + this.pos) * c + CANNON] = 1;
    const dirChannel = this.alienDir < 0 ? ALIEN_LEFT : ALIEN_RIGHT;
    for (let k = 0; k < CELLS; k++) {
      if (this.alienMap[k]) {
        out[k * c + ALIEN] = 1;
        out[k * c + dirChannel] = 1;
      }
      if (this.fBulletMap[k]) out[k * c + FRIENDLY_BULLET] = 1;
      if (this.eBulletMap[k]) out[k * c + ENEMY_BULLET] = 1;
    }
  }
}

/** The cell index of the lowest alien in column x, or -1. */
function lowestInColumn(map: Uint8Array, x: number): number {
  for (let y = GRID - 1; y >= 0; y--) if (map[y * GRID + x]) return y * GRID + x;
  return -1;
}

function fillWave(map: Uint8Array): void {
  for (let y = 0; y < 4; y++) map.fill(1, y * GRID + 2, y * GRID + 8);
}

function count(map: Uint8Array): number {
  let n = 0;
  for (let k = 0; k < CELLS; k++) n += map[k]!;
  return n;
}

function columnAny(map: Uint8Array, x: number): boolean {
  for (let y = 0; y < GRID; y++) if (map[y * GRID + x]) return true;
  return false;
}

function rowAny(map: Uint8Array, y: number): boolean {
  for (let x = 0; x < GRID; x++) if (map[y * GRID + x]) return true;
  return false;
}

/** np.roll(map, shift, axis=0) for shift ±1: rows move down by `shift`, wrapping around. */
function rollRows(map: Uint8Array, shift: number): void {
  for (let y = 0; y < GRID; y++) {
    const from = (y - shift + GRID) % GRID;
    rolled.set(map.subarray(from * GRID, from * GRID + GRID), y * GRID);
  }
  map.set(rolled);
}

/** np.roll(map, shift, axis=1) for shift ±1: columns move right by `shift`, wrapping around. */
function rollColumns(map: Uint8Array, shift: number): void {
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) rolled[y * GRID + x] = map[y * GRID + ((x - shift + GRID) % GRID)]!;
  }
  map.set(rolled);
}
