/**
 * MinAtar Asterix (minatar/environments/asterix.py @ 1.0.15): the player moves in four directions;
 * enemies and gold spawn from the sides in rows 1–8 (+1 per gold picked up, touching an enemy
 * ends the episode); spawns and movement speed up every 100 frames when ramping.
 */
import type { LegacyRandomState } from "../../../rng/random-state.js";
import { DOWN, GRID, LEFT, MinAtarGame, NOOP, RIGHT, UP, setCell } from "./game.js";

const PLAYER = 0, ENEMY = 1, TRAIL = 2, GOLD = 3;
const RAMP_INTERVAL = 100;
const INIT_SPAWN_SPEED = 10;
const INIT_MOVE_INTERVAL = 5;
const SLOTS = 8;
/** scratch for `_spawn_entity`'s free rows (games run on one thread) */
const freeSlots: number[] = [];

/** One entity, as MinAtar's list [x, y, lr (moving right), is_gold]. */
type Entity = [x: number, y: number, lr: boolean, gold: boolean];

export class Asterix extends MinAtarGame {
  readonly channels = ["player", "enemy", "trail", "gold"] as const;
  readonly minimalActionSet = [NOOP, LEFT, UP, RIGHT, DOWN];
  playerX = 5;
  playerY = 5;
  /** one slot per row 1..8 */
  entities: (Entity | null)[] = [];
  spawnSpeed = INIT_SPAWN_SPEED;
  spawnTimer = INIT_SPAWN_SPEED;
  moveSpeed = INIT_MOVE_INTERVAL;
  moveTimer = INIT_MOVE_INTERVAL;
  rampTimer = RAMP_INTERVAL;
  rampIndex = 0;

  constructor(
    readonly ramping = true,
    random?: LegacyRandomState,
  ) {
    super(random);
    this.reset();
  }

  reset(): void {
    this.playerX = 5;
    this.playerY = 5;
    this.entities = new Array<Entity | null>(SLOTS).fill(null);
    this.spawnSpeed = INIT_SPAWN_SPEED;
    this.spawnTimer = this.spawnSpeed;
    this.moveSpeed = INIT_MOVE_INTERVAL;
    this.moveTimer = this.moveSpeed;
    this.rampTimer = RAMP_INTERVAL;
    this.rampIndex = 0;
    this.terminal = false;
  }

  act(a: number): number {
    let r = 0;
    if (this.terminal) return r;

    if (this.spawnTimer === 0) {
      this.spawnEntity();
      this.spawnTimer = this.spawnSpeed;
    }

    if (a === LEFT) this.playerX = Math.max(0, this.playerX - 1);
    else if (a === RIGHT) this.playerX = Math.min(9, this.playerX + 1);
    else if (a === UP) this.playerY = Math.max(1, this.playerY - 1);
    else if (a === DOWN) this.playerY = Math.min(8, this.playerY + 1);

    const entities = this.entities;
    for (let i = 0; i < SLOTS; i++) {
      const e = entities[i];
      if (e && e[0] === this.playerX && e[1] === this.playerY) {
        if (e[3]) {
          entities[i] = null;
          r += 1;
        } else this.terminal = true;
      }
    }
    if (this.moveTimer === 0) {
      this.moveTimer = this.moveSpeed;
      for (let i = 0; i < SLOTS; i++) {
        const e = entities[i];
        if (!e) continue;
        e[0] += e[2] ? 1 : -1;
        if (e[0] < 0 || e[0] > 9) entities[i] = null;
        // (an entity off the grid cannot be on the player's cell)
        if (e[0] === this.playerX && e[1] === this.playerY) {
          if (e[3]) {
            entities[i] = null;
            r += 1;
          } else this.terminal = true;
        }
      }
    }

    this.spawnTimer -= 1;
    this.moveTimer -= 1;

    if (this.ramping && (this.spawnSpeed > 1 || this.moveSpeed > 1)) {
      if (this.rampTimer >= 0) this.rampTimer -= 1;
      else {
        if (this.moveSpeed > 1 && this.rampIndex % 2) this.moveSpeed -= 1;
        if (this.spawnSpeed > 1) this.spawnSpeed -= 1;
        this.rampIndex += 1;
        this.rampTimer = RAMP_INTERVAL;
      }
    }
    return r;
  }

  /** `_spawn_entity`: direction and kind are drawn even when every row is taken. */
  private spawnEntity(): void {
    const lr = this.random.rand() < 1 / 2;
    const gold = this.random.rand() < 1 / 3;
    const free = freeSlots;
    free.length = 0;
    for (let i = 0; i < SLOTS; i++) if (this.entities[i] === null) free.push(i);
    if (free.length === 0) return;
    const slot = free[this.random.randint(free.length)]!;
    this.entities[slot] = [lr ? 0 : 9, slot + 1, lr, gold];
  }

  difficultyRamp(): number {
    return this.rampIndex;
  }

  writeState(out: Uint8Array): void {
    out.fill(0);
    const c = 4;
    setCell(out, c, this.playerY, this.playerX, PLAYER);
    for (const e of this.entities) {
      if (!e) continue;
      setCell(out, c, e[1], e[0], e[3] ? GOLD : ENEMY);
      const backX = e[2] ? e[0] - 1 : e[0] + 1;
      if (backX >= 0 && backX <= GRID - 1) setCell(out, c, e[1], backX, TRAIL);
    }
  }
}
