/**
 * MinAtar Seaquest (minatar/environments/seaquest.py @ 1.0.15, i.e. after the 1.0.11 oxygen-bar
 * fix): a two-cell submarine shoots fish and enemy subs (+1 each), picks up divers (up to 6) and
 * must surface before its oxygen runs out; surfacing with 6 divers pays oxygen*10//200 at once.
 * Hit by a fish, sub or bullet, out of oxygen, or surfacing with no diver: the episode ends. Each
 * surfacing ramps difficulty.
 *
 * Entities are MinAtar's Python lists and are updated with Python's list semantics, which the
 * rules depend on in rare cases: `list.remove(item)` deletes the first element EQUAL to `item`
 * (not necessarily `item` itself), and `for x in reversed(list)` stops early once the list has
 * shrunk below its position. Booleans are stored as 0/1 (Python's True == 1).
 */
import type { LegacyRandomState } from "../../../rng/random-state.js";
import { MinAtarGame } from "./game.js";

// Local constants: V8 reads imported bindings more slowly in hot loops.
const NOOP = 0, LEFT = 1, UP = 2, RIGHT = 3, DOWN = 4, FIRE = 5;
const GRID = 10;

const SUB_FRONT = 0, SUB_BACK = 1, FRIENDLY_BULLET = 2, TRAIL = 3, ENEMY_BULLET = 4, ENEMY_FISH = 5, ENEMY_SUB = 6,
  OXYGEN_GAUGE = 7, DIVER_GAUGE = 8, DIVER = 9;
const MAX_OXYGEN = 200;
const INIT_SPAWN_SPEED = 20;
const DIVER_SPAWN_SPEED = 30;
const INIT_MOVE_INTERVAL = 5;
const SHOT_COOL_DOWN = 5;
const ENEMY_SHOT_INTERVAL = 10;
const DIVER_MOVE_INTERVAL = 5;

const SCALARS = [
  "oxygen", "diver_count", "sub_x", "sub_y", "sub_or", "e_spawn_speed", "e_spawn_timer", "d_spawn_timer", "move_speed", "ramp_index", "shot_timer", "surface", "terminal",
];
/**
 * The entity lists in a kernel's fixed layout: a count, then `capacity` entries, each packed in
 * one word (5 bits per value, stored + 2: x from -2, timers up to 29) so that a vectorized env
 * touches few words per entity.
 * The capacities exceed what the rules allow at once (at most one enemy spawns per frame and each
 * lives under 40 frames; a sub fires every 11 frames; a diver spawns every 30 frames and lives 60).
 */
const LISTS = [
  { name: "f_bullet", width: 3, capacity: 8 },
  { name: "e_bullet", width: 3, capacity: 64 },
  { name: "e_fish", width: 4, capacity: 64 },
  { name: "e_sub", width: 5, capacity: 64 },
  { name: "diver", width: 4, capacity: 16 },
] as const;
const LIST_OFFSETS: number[] = [];
const FIELDS: string[] = [...SCALARS];
for (const list of LISTS) {
  LIST_OFFSETS.push(FIELDS.length);
  FIELDS.push(`${list.name}_count`);
  for (let k = 0; k < list.capacity; k++) FIELDS.push(`${list.name}_${k}`);
}

/** [x, y, right] */
type Bullet = number[];
/** fish [x, y, right, move_timer]; sub [x, y, right, move_timer, shot_timer]; diver [x, y, right, move_timer] */
type Mover = number[];

export class Seaquest extends MinAtarGame {
  readonly channels = [
    "sub_front", "sub_back", "friendly_bullet", "trail", "enemy_bullet", "enemy_fish", "enemy_sub", "oxygen_guage", "diver_guage", "diver",
  ] as const;
  readonly minimalActionSet = [NOOP, LEFT, UP, RIGHT, DOWN, FIRE];
  oxygen = MAX_OXYGEN;
  diverCount = 0;
  subX = 5;
  subY = 0;
  /** sub_or: 1 facing right, 0 facing left */
  subOr = 0;
  fBullets: Bullet[] = [];
  eBullets: Bullet[] = [];
  eFish: Mover[] = [];
  eSubs: Mover[] = [];
  divers: Mover[] = [];
  eSpawnSpeed = INIT_SPAWN_SPEED;
  eSpawnTimer = INIT_SPAWN_SPEED;
  dSpawnTimer = DIVER_SPAWN_SPEED;
  moveSpeed = INIT_MOVE_INTERVAL;
  rampIndex = 0;
  shotTimer = 0;
  surface = true;
  /** reusable entries for `load`, one pool per list */
  readonly #pools = LISTS.map((list) => Array.from({ length: list.capacity }, () => new Array<number>(list.width).fill(0)));

  constructor(
    readonly ramping = true,
    random?: LegacyRandomState,
  ) {
    super(random);
    this.reset();
  }

  reset(): void {
    this.oxygen = MAX_OXYGEN;
    this.diverCount = 0;
    this.subX = 5;
    this.subY = 0;
    this.subOr = 0;
    this.fBullets = [];
    this.eBullets = [];
    this.eFish = [];
    this.eSubs = [];
    this.divers = [];
    this.eSpawnSpeed = INIT_SPAWN_SPEED;
    this.eSpawnTimer = this.eSpawnSpeed;
    this.dSpawnTimer = DIVER_SPAWN_SPEED;
    this.moveSpeed = INIT_MOVE_INTERVAL;
    this.rampIndex = 0;
    this.shotTimer = 0;
    this.surface = true;
    this.terminal = false;
  }

  act(a: number): number {
    let r = 0;
    if (this.terminal) return r;

    if (this.eSpawnTimer === 0) {
      this.spawnEnemy();
      this.eSpawnTimer = this.eSpawnSpeed;
    }
    if (this.dSpawnTimer === 0) {
      this.spawnDiver();
      this.dSpawnTimer = DIVER_SPAWN_SPEED;
    }

    if (a === FIRE && this.shotTimer === 0) {
      this.fBullets.push([this.subX, this.subY, this.subOr]);
      this.shotTimer = SHOT_COOL_DOWN;
    } else if (a === LEFT) {
      this.subX = Math.max(0, this.subX - 1);
      this.subOr = 0;
    } else if (a === RIGHT) {
      this.subX = Math.min(9, this.subX + 1);
      this.subOr = 1;
    } else if (a === UP) this.subY = Math.max(0, this.subY - 1);
    else if (a === DOWN) this.subY = Math.min(8, this.subY + 1);

    // Friendly bullets
    const fBullets = this.fBullets;
    for (let it = fBullets.length - 1; it >= 0 && it < fBullets.length; ) {
      const bullet = fBullets[it--]!;
      bullet[0] += bullet[2] ? 1 : -1;
      if (bullet[0] < 0 || bullet[0] > 9) {
        pyRemove(fBullets, bullet);
        continue;
      }
      let removed = false;
      for (const fish of this.eFish) {
        if (samePosition(bullet, fish)) {
          pyRemove(this.eFish, fish);
          pyRemove(fBullets, bullet);
          r += 1;
          removed = true;
          break;
        }
      }
      if (!removed) {
        for (const sub of this.eSubs) {
          if (samePosition(bullet, sub)) {
            pyRemove(this.eSubs, sub);
            pyRemove(fBullets, bullet);
            r += 1;
            break;
          }
        }
      }
    }

    // Divers
    const divers = this.divers;
    for (let it = divers.length - 1; it >= 0 && it < divers.length; ) {
      const diver = divers[it--]!;
      if (this.atSub(diver) && this.diverCount < 6) {
        pyRemove(divers, diver);
        this.diverCount += 1;
      } else if (diver[3] === 0) {
        diver[3] = DIVER_MOVE_INTERVAL;
        diver[0] += diver[2] ? 1 : -1;
        if (diver[0] < 0 || diver[0] > 9) pyRemove(divers, diver);
        else if (this.atSub(diver) && this.diverCount < 6) {
          pyRemove(divers, diver);
          this.diverCount += 1;
        }
      } else diver[3] -= 1;
    }

    // Enemy subs
    const eSubs = this.eSubs;
    for (let it = eSubs.length - 1; it >= 0 && it < eSubs.length; ) {
      const sub = eSubs[it--]!;
      if (this.atSub(sub)) this.terminal = true;
      if (sub[3] === 0) {
        sub[3] = this.moveSpeed;
        sub[0] += sub[2] ? 1 : -1;
        if (sub[0] < 0 || sub[0] > 9) pyRemove(eSubs, sub);
        else if (this.atSub(sub)) this.terminal = true;
        else r += this.shotBy(sub, eSubs);
      } else sub[3] -= 1;
      // (a sub removed just above still fires, as in MinAtar; its bullet leaves the grid below)
      if (sub[4] === 0) {
        sub[4] = ENEMY_SHOT_INTERVAL;
        this.eBullets.push([sub[0], sub[1], sub[2]]);
      } else sub[4] -= 1;
    }

    // Enemy bullets
    const eBullets = this.eBullets;
    for (let it = eBullets.length - 1; it >= 0 && it < eBullets.length; ) {
      const bullet = eBullets[it--]!;
      if (this.atSub(bullet)) this.terminal = true;
      bullet[0] += bullet[2] ? 1 : -1;
      if (bullet[0] < 0 || bullet[0] > 9) pyRemove(eBullets, bullet);
      else if (this.atSub(bullet)) this.terminal = true;
    }

    // Enemy fish
    const eFish = this.eFish;
    for (let it = eFish.length - 1; it >= 0 && it < eFish.length; ) {
      const fish = eFish[it--]!;
      if (this.atSub(fish)) this.terminal = true;
      if (fish[3] === 0) {
        fish[3] = this.moveSpeed;
        fish[0] += fish[2] ? 1 : -1;
        if (fish[0] < 0 || fish[0] > 9) pyRemove(eFish, fish);
        else if (this.atSub(fish)) this.terminal = true;
        else r += this.shotBy(fish, eFish);
      } else fish[3] -= 1;
    }

    if (this.eSpawnTimer > 0) this.eSpawnTimer -= 1;
    if (this.dSpawnTimer > 0) this.dSpawnTimer -= 1;
    if (this.shotTimer > 0) this.shotTimer -= 1;
    if (this.oxygen <= 0) this.terminal = true;
    if (this.subY > 0) {
      this.oxygen -= 1;
      this.surface = false;
    } else if (!this.surface) {
      if (this.diverCount === 0) this.terminal = true;
      else r += this.surfaceSub();
    }
    return r;
  }

  private atSub(entity: number[]): boolean {
    return entity[0] === this.subX && entity[1] === this.subY;
  }

  /** An enemy that moved onto a friendly bullet: both removed, returns the reward (0 or 1). */
  private shotBy(enemy: Mover, list: Mover[]): number {
    for (const bullet of this.fBullets) {
      if (samePosition(enemy, bullet)) {
        pyRemove(list, enemy);
        pyRemove(this.fBullets, bullet);
        return 1;
      }
    }
    return 0;
  }

  /**
   * `_surface`: refills oxygen; with 6 divers pays oxygen*10//200 and empties the count, which the
   * following decrement then takes to -1 (MinAtar's rule, kept: the diver gauge shows nothing).
   */
  private surfaceSub(): number {
    this.surface = true;
    let r = 0;
    if (this.diverCount === 6) {
      this.diverCount = 0;
      r = Math.floor((this.oxygen * 10) / MAX_OXYGEN);
    }
    this.oxygen = MAX_OXYGEN;
    this.diverCount -= 1;
    if (this.ramping && (this.eSpawnSpeed > 1 || this.moveSpeed > 2)) {
      if (this.moveSpeed > 2 && this.rampIndex % 2) this.moveSpeed -= 1;
      if (this.eSpawnSpeed > 1) this.eSpawnSpeed -= 1;
      this.rampIndex += 1;
    }
    return r;
  }

  /** `_spawn_enemy`: three draws, then no spawn if a row-mate moves the other way. */
  private spawnEnemy(): void {
    const lr = this.random.rand() < 1 / 2 ? 1 : 0;
    const isSub = this.random.rand() < 1 / 3;
    const x = lr ? 0 : 9;
    const y = this.random.randint(1, 9);
    for (const z of this.eSubs) if (z[1] === y && z[2] !== lr) return;
    for (const z of this.eFish) if (z[1] === y && z[2] !== lr) return;
    if (isSub) this.eSubs.push([x, y, lr, this.moveSpeed, ENEMY_SHOT_INTERVAL]);
    else this.eFish.push([x, y, lr, this.moveSpeed]);
  }

  private spawnDiver(): void {
    const lr = this.random.rand() < 1 / 2 ? 1 : 0;
    const x = lr ? 0 : 9;
    const y = this.random.randint(1, 9);
    this.divers.push([x, y, lr, DIVER_MOVE_INTERVAL]);
  }

  difficultyRamp(): number {
    return this.rampIndex;
  }

  get stateFields(): readonly string[] {
    return FIELDS;
  }

  load(s: Float64Array, n: number, i: number): void {
    this.oxygen = s[i]! | 0;
    this.diverCount = s[n + i]! | 0;
    this.subX = s[2 * n + i]! | 0;
    this.subY = s[3 * n + i]! | 0;
    this.subOr = s[4 * n + i]! | 0;
    this.eSpawnSpeed = s[5 * n + i]! | 0;
    this.eSpawnTimer = s[6 * n + i]! | 0;
    this.dSpawnTimer = s[7 * n + i]! | 0;
    this.moveSpeed = s[8 * n + i]! | 0;
    this.rampIndex = s[9 * n + i]! | 0;
    this.shotTimer = s[10 * n + i]! | 0;
    this.surface = s[11 * n + i] !== 0;
    this.terminal = s[12 * n + i] !== 0;
    this.loadList(this.fBullets, 0, s, n, i);
    this.loadList(this.eBullets, 1, s, n, i);
    this.loadList(this.eFish, 2, s, n, i);
    this.loadList(this.eSubs, 3, s, n, i);
    this.loadList(this.divers, 4, s, n, i);
  }

  store(s: Float64Array, n: number, i: number): void {
    s[i] = this.oxygen;
    s[n + i] = this.diverCount;
    s[2 * n + i] = this.subX;
    s[3 * n + i] = this.subY;
    s[4 * n + i] = this.subOr;
    s[5 * n + i] = this.eSpawnSpeed;
    s[6 * n + i] = this.eSpawnTimer;
    s[7 * n + i] = this.dSpawnTimer;
    s[8 * n + i] = this.moveSpeed;
    s[9 * n + i] = this.rampIndex;
    s[10 * n + i] = this.shotTimer;
    s[11 * n + i] = this.surface ? 1 : 0;
    s[12 * n + i] = this.terminal ? 1 : 0;
    storeList(this.fBullets, 0, s, n, i);
    storeList(this.eBullets, 1, s, n, i);
    storeList(this.eFish, 2, s, n, i);
    storeList(this.eSubs, 3, s, n, i);
    storeList(this.divers, 4, s, n, i);
  }

  /** Refills `list` in place with entries of its pool holding env i's list `l`. */
  private loadList(list: number[][], l: number, s: Float64Array, n: number, i: number): void {
    const width = LISTS[l]!.width;
    const pool = this.#pools[l]!;
    const w = LIST_OFFSETS[l]!;
    const count = s[w * n + i]!;
    while (list.length > count) list.pop();
    for (let k = 0; k < count; k++) {
      const entry = pool[k]!;
      const packed = s[(w + 1 + k) * n + i]! | 0;
      for (let j = 0; j < width; j++) entry[j] = ((packed >>> (5 * j)) & 31) - 2;
      if (k < list.length) list[k] = entry;
      else list.push(entry);
    }
  }

  writeState(out: Uint8Array | Float32Array, o = 0): void {
    out.fill(0, o, o + 1000);
    const c = 10;
    out[o + (this.subY * GRID + this.subX) * c + SUB_FRONT] = 1;
    out[o + (this.subY * GRID + wrapIndex(this.subOr ? this.subX - 1 : this.subX + 1)) * c + SUB_BACK] = 1;
    // state[9, 0:max(0, oxygen)*10//200] and state[9, 9-diver_count:9] (Python slices)
    const oxygenCells = Math.min(GRID, Math.floor((Math.max(0, this.oxygen) * 10) / MAX_OXYGEN));
    for (let x = 0; x < oxygenCells; x++) out[o + (90 + x) * c + OXYGEN_GAUGE] = 1;
    for (let x = Math.max(0, 9 - this.diverCount); x < 9; x++) out[o + (90 + x) * c + DIVER_GAUGE] = 1;
    // (numpy indexing: an x of -1 would draw in column 9)
    for (const b of this.fBullets) out[o + (b[1]! * GRID + wrapIndex(b[0]!)) * c + FRIENDLY_BULLET] = 1;
    for (const b of this.eBullets) out[o + (b[1]! * GRID + wrapIndex(b[0]!)) * c + ENEMY_BULLET] = 1;
    writeMovers(out, o, this.eFish, ENEMY_FISH);
    writeMovers(out, o, this.eSubs, ENEMY_SUB);
    writeMovers(out, o, this.divers, DIVER);
  }
}

/** Entities with their trail cell behind them (state() for fish, subs and divers). */
function writeMovers(out: Uint8Array | Float32Array, o: number, movers: Mover[], channel: number): void {
  for (const m of movers) {
    const row = m[1]! * GRID;
    out[o + (row + wrapIndex(m[0]!)) * 10 + channel] = 1;
    const backX = m[2] ? m[0]! - 1 : m[0]! + 1;
    if (backX >= 0 && backX <= 9) out[o + (row + backX) * 10 + TRAIL] = 1;
  }
}

/** numpy's negative-index wrap for a column index (MinAtar writes `state[y, -1]` into column 9). */
function wrapIndex(i: number): number {
  if (i < -GRID || i >= GRID) throw new RangeError(`index ${i} is out of bounds for axis 1 with size ${GRID} (MinAtar raises IndexError here too)`);
  return i < 0 ? i + GRID : i;
}

function storeList(list: number[][], l: number, s: Float64Array, n: number, i: number): void {
  const { name, width, capacity } = LISTS[l]!;
  if (list.length > capacity) throw new Error(`MinAtar Seaquest kernel: ${list.length} ${name} entries exceed the layout's ${capacity}`);
  const w = LIST_OFFSETS[l]!;
  s[w * n + i] = list.length;
  for (let k = 0; k < list.length; k++) {
    const entry = list[k]!;
    let packed = 0;
    for (let j = 0; j < width; j++) {
      const v = entry[j]! + 2;
      if (!(v >= 0 && v < 32)) throw new Error(`MinAtar Seaquest kernel: ${name} value ${entry[j]} does not fit the packed layout`);
      packed |= v << (5 * j);
    }
    s[(w + 1 + k) * n + i] = packed;
  }
}

function sameEntry(a: number[], b: number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

function samePosition(a: number[], b: number[]): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** Python's `list.remove(item)`: deletes the first element equal to `item` element by element. */
function pyRemove(list: number[][], item: number[]): void {
  for (let k = 0; k < list.length; k++) {
    if (sameEntry(list[k]!, item)) {
      // (list.splice would allocate the removed part)
      for (let j = k; j < list.length - 1; j++) list[j] = list[j + 1]!;
      list.pop();
      return;
    }
  }
  throw new Error("list.remove(x): x not in list");
}
