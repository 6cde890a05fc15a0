/**
 * MinAtar Asterix (minatar/environments/asterix.py @ 1.0.15): the player moves in four directions;
 * enemies and gold spawn from the sides in rows 1–8 (+1 per gold picked up, touching an enemy
 * ends the episode); spawns and movement speed up every 100 frames when ramping.
 */
import type { LegacyRandomState } from "../../../rng/random-state.js";
import { MinAtarGame } from "./game.js";

// Local constants: V8 reads imported bindings more slowly in hot loops.
const NOOP = 0, LEFT = 1, UP = 2, RIGHT = 3, DOWN = 4;

const PLAYER = 0, ENEMY = 1, TRAIL = 2, GOLD = 3;
const RAMP_INTERVAL = 100;
const INIT_SPAWN_SPEED = 10;
const INIT_MOVE_INTERVAL = 5;
const SLOTS = 8;
const FIELDS = [
  ...["present", "entity_x", "moving_right", "gold"].flatMap((name) => Array.from({ length: SLOTS }, (_, k) => `${name}_${k}`)),
  "player_x", "player_y", "spawn_speed", "spawn_timer", "move_speed", "move_timer", "ramp_timer", "ramp_index", "terminal",
];
/** scratch for `_spawn_entity`'s free rows (games run on one thread) */
const freeSlots = new Int32Array(SLOTS);

export class Asterix extends MinAtarGame {
  readonly channels = ["player", "enemy", "trail", "gold"] as const;
  readonly minimalActionSet = [NOOP, LEFT, UP, RIGHT, DOWN];
  playerX = 5;
  playerY = 5;
  /** MinAtar's entities[i] = [x, i + 1, lr, is_gold] or None, one slot per row 1..8 */
  readonly present = new Uint8Array(SLOTS);
  readonly entityX = new Int32Array(SLOTS);
  readonly movingRight = new Uint8Array(SLOTS);
  readonly gold = new Uint8Array(SLOTS);
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
    this.present.fill(0);
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

    const { present, entityX } = this;
    // the player's row holds one slot: only that entity can touch the player
    const slot = this.playerY - 1;
    if (present[slot] && entityX[slot] === this.playerX) r += this.touch(slot);
    if (this.moveTimer === 0) {
      this.moveTimer = this.moveSpeed;
      for (let i = 0; i < SLOTS; i++) {
        if (!present[i]) continue;
        const x = entityX[i]! + (this.movingRight[i] ? 1 : -1);
        entityX[i] = x;
        if (x < 0 || x > 9) present[i] = 0;
        else if (x === this.playerX && i === slot) r += this.touch(i);
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

  /** The player meets entity i: gold is collected (+1), an enemy ends the episode (and stays). */
  private touch(i: number): number {
    if (this.gold[i]) {
      this.present[i] = 0;
      return 1;
    }
    this.terminal = true;
    return 0;
  }

  /** `_spawn_entity`: direction and kind are drawn even when every row is taken. */
  private spawnEntity(): void {
    const lr = this.random.rand() < 1 / 2;
    const gold = this.random.rand() < 1 / 3;
    let free = 0;
    for (let i = 0; i < SLOTS; i++) if (!this.present[i]) freeSlots[free++] = i;
    if (free === 0) return;
    const slot = freeSlots[this.random.randint(free)]!;
    this.present[slot] = 1;
    this.entityX[slot] = lr ? 0 : 9;
    this.movingRight[slot] = lr ? 1 : 0;
    this.gold[slot] = gold ? 1 : 0;
  }

  get stateFields(): readonly string[] {
    return FIELDS;
  }

  load(s: Float64Array, n: number, i: number): void {
    for (let k = 0; k < SLOTS; k++) {
      this.present[k] = s[k * n + i]! | 0;
      this.entityX[k] = s[(SLOTS + k) * n + i]! | 0;
      this.movingRight[k] = s[(2 * SLOTS + k) * n + i]! | 0;
      this.gold[k] = s[(3 * SLOTS + k) * n + i]! | 0;
    }
    this.playerX = s[32 * n + i]! | 0;
    this.playerY = s[33 * n + i]! | 0;
    this.spawnSpeed = s[34 * n + i]! | 0;
    this.spawnTimer = s[35 * n + i]! | 0;
    this.moveSpeed = s[36 * n + i]! | 0;
    this.moveTimer = s[37 * n + i]! | 0;
    this.rampTimer = s[38 * n + i]! | 0;
    this.rampIndex = s[39 * n + i]! | 0;
    this.terminal = s[40 * n + i] !== 0;
  }

  store(s: Float64Array, n: number, i: number): void {
    for (let k = 0; k < SLOTS; k++) {
      s[k * n + i] = this.present[k]!;
      s[(SLOTS + k) * n + i] = this.entityX[k]!;
      s[(2 * SLOTS + k) * n + i] = this.movingRight[k]!;
      s[(3 * SLOTS + k) * n + i] = this.gold[k]!;
    }
    s[32 * n + i] = this.playerX;
    s[33 * n + i] = this.playerY;
    s[34 * n + i] = this.spawnSpeed;
    s[35 * n + i] = this.spawnTimer;
    s[36 * n + i] = this.moveSpeed;
    s[37 * n + i] = this.moveTimer;
    s[38 * n + i] = this.rampTimer;
    s[39 * n + i] = this.rampIndex;
    s[40 * n + i] = this.terminal ? 1 : 0;
  }

  difficultyRamp(): number {
    return this.rampIndex;
  }

  writeState(out: Uint8Array | Float32Array, o = 0): void {
    out.fill(0, o, o + 400);
    const { present, entityX, gold, movingRight } = this;
    out[o + (this.playerY * 10 + this.playerX) * 4 + PLAYER] = 1;
    for (let i = 0; i < SLOTS; i++) {
      if (!present[i]) continue;
      const x = entityX[i]!, row = (i + 1) * 10;
      out[o + (row + x) * 4 + (gold[i] ? GOLD : ENEMY)] = 1;
      const backX = movingRight[i] ? x - 1 : x + 1;
      if (backX >= 0 && backX <= 9) out[o + (row + backX) * 4 + TRAIL] = 1;
    }
  }

}
