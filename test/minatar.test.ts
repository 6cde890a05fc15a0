/**
 * The five MinAtar games against MinAtar 1.0.15's own play (test/fixtures/refs/minatar, see its
 * SOURCE.txt): every recorded trajectory — uniform-random actions for seeds 100–102 and the
 * lookahead policy's for seed 100 — replayed from its actions in a fresh Environment seeded like
 * MinAtar's `env.seed(s)`. Each step must give the same applied action (sticky or not), reward,
 * terminal flag, state, difficulty ramp, and the same RandomState calls with the same results and
 * 32-bit word counts; each reset the same calls and state.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LegacyRandomState } from "../src/rng/random-state.js";
import { Environment, type GameName } from "../src/envs/minatar/environment.js";
import { crc32 } from "../src/util/crc32.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "refs", "minatar");
type RngCall = [method: string, args: number[], result: number | number[], words: number];
type State = number[][];
interface RefStep {
  a: number;
  at: number;
  r: number;
  t: boolean;
  s: State;
  rng: RngCall[];
  d: number | null;
}
interface RefLine {
  game: string;
  module: GameName;
  seed: number;
  policy: string;
  sticky_action_prob: number;
  difficulty_ramping: boolean;
  channels: string[];
  episodes: { reset: State; reset_rng: RngCall[]; steps: RefStep[] }[];
}

/** Records each outer RandomState call as the traces write it: [method, args, result, words]. */
class TracingRandomState extends LegacyRandomState {
  log: RngCall[] = [];
  private depth = 0;
  private words = 0;
  override nextUint32(): number {
    this.words++;
    return super.nextUint32();
  }
  private trace<T>(method: string, args: number[], call: () => T, record: (v: T) => number | number[]): T {
    if (this.depth > 0) return call();
    this.depth++;
    const before = this.words;
    try {
      const value = call();
      this.log.push([method, args, record(value), this.words - before]);
      return value;
    } finally {
      this.depth--;
    }
  }
  override rand(): number {
    return this.trace("rand", [], () => super.rand(), (v) => v);
  }
  override randFill(out: Float64Array): Float64Array {
    return this.trace("rand", [out.length], () => super.randFill(out), (v) => Array.from(v));
  }
  override randint(low: number, high?: number): number {
    const args = high === undefined ? [0, low] : [low, high];
    return this.trace("randint", args, () => super.randint(low, high), (v) => v);
  }
  override randintFill(low: number, high: number, out: Int32Array | Float64Array): Int32Array | Float64Array {
    return this.trace("randint", [low, high, out.length], () => super.randintFill(low, high, out), (v) => Array.from(v));
  }
}

/** MinAtar's state() as the traces write it: per channel, the sorted flat indices y*10+x of set cells. */
function sparse(state: Uint8Array, channels: number): State {
  const out: State = Array.from({ length: channels }, () => []);
  for (let cell = 0; cell < 100; cell++) for (let c = 0; c < channels; c++) if (state[cell * channels + c]) out[c]!.push(cell);
  return out;
}

function loadLines(file: string): RefLine[] {
  return readFileSync(join(DIR, file), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as RefLine);
}

/** Replays one reference line; returns the number of steps checked. */
function replay(ref: RefLine): number {
  const env = new Environment(ref.module, { stickyActionProb: ref.sticky_action_prob, difficultyRamping: ref.difficulty_ramping });
  assert.deepEqual([...env.game.channels], ref.channels);
  env.seed(ref.seed);
  const tracer = new TracingRandomState(0);
  tracer.copyFrom(env.random);
  env.useRandom(tracer);
  const buffer = env.state();
  let checked = 0;
  ref.episodes.forEach((episode, e) => {
    tracer.log = [];
    env.reset();
    const where = `${ref.game} seed ${ref.seed} (${ref.policy}) episode ${e}`;
    assert.deepEqual(tracer.log, episode.reset_rng, `${where}: reset's random calls`);
    assert.deepEqual(sparse(env.state(buffer), ref.channels.length), episode.reset, `${where}: state after reset`);
    episode.steps.forEach((step, k) => {
      tracer.log = [];
      const r = env.act(step.a);
      const got = { at: env.lastAction, r, t: env.terminal, s: sparse(env.state(buffer), ref.channels.length), rng: tracer.log, d: env.difficultyRamp() };
      const want = { at: step.at, r: step.r, t: step.t, s: step.s, rng: step.rng, d: step.d };
      assert.deepEqual(got, want, `${where} step ${k} (action ${step.a})`);
      checked++;
    });
  });
  return checked;
}

const GAMES = ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"];

describe("MinAtar games replay MinAtar 1.0.15's trajectories exactly", () => {
  for (const game of GAMES) {
    for (const suffix of ["", ".lookahead"]) {
      it(`${game}${suffix}.jsonl`, () => {
        const lines = loadLines(`${game}${suffix}.jsonl`);
        assert.ok(lines.length >= 1);
        let steps = 0;
        for (const line of lines) steps += replay(line);
        assert.ok(steps >= 1000, `${steps} steps checked`);
      });
    }
  }
});

/** The compacted runs of test/fixtures/minatar-extra (see its SOURCE.txt). */
interface DeepLine {
  module: GameName;
  seed: number;
  policy: string;
  sticky_action_prob: number;
  difficulty_ramping: boolean;
  final_key: [number, number];
  episodes: { reset: number; reset_pos: number; steps: [a: number, at: number, r: number, t: number, crc: number, d: number | null, pos: number][] }[];
}

describe("MinAtar games replay MinAtar's play in deeper states (ramp 9 Asterix with full rows, other settings)", () => {
  const file = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "minatar-extra", "deep.jsonl");
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as DeepLine);
  const encoder = new TextEncoder();
  for (const ref of lines) {
    it(`${ref.module} seed ${ref.seed} (${ref.policy}, sticky ${ref.sticky_action_prob}, ramping ${ref.difficulty_ramping})`, () => {
      const env = new Environment(ref.module, { stickyActionProb: ref.sticky_action_prob, difficultyRamping: ref.difficulty_ramping });
      env.seed(ref.seed);
      const channels = env.game.numChannels;
      const digest = () => crc32(encoder.encode(JSON.stringify(sparse(env.state(), channels))));
      let steps = 0;
      ref.episodes.forEach((episode, e) => {
        env.reset();
        assert.deepEqual([digest(), env.random.getState().pos], [episode.reset, episode.reset_pos], `episode ${e} reset`);
        episode.steps.forEach(([a, at, r, t, crc, d, pos], k) => {
          const reward = env.act(a);
          const got = [env.lastAction, reward, env.terminal ? 1 : 0, digest(), env.difficultyRamp(), env.random.getState().pos];
          assert.deepEqual(got, [at, r, t, crc, d, pos], `episode ${e} step ${k} (action ${a})`);
          steps++;
        });
      });
      const { key } = env.random.getState();
      assert.deepEqual([key[0], key[623]], ref.final_key);
      assert.ok(steps >= 1500);
    });
  }
});

describe("MinAtar Environment rules", () => {
  it("act always draws once, also after the terminal frame, and then changes nothing", () => {
    const env = new Environment("breakout");
    env.seed(100);
    env.reset();
    while (!env.terminal) env.act(0);
    const before = JSON.stringify(env.game.getState());
    const rng = env.random.clone();
    assert.equal(env.act(3), 0);
    assert.equal(env.terminal, true);
    assert.equal(JSON.stringify(env.game.getState()), before);
    rng.rand();
    assert.deepEqual(env.random.getState(), rng.getState());
  });

  it("sticky probability 0 still draws; reset keeps the last action", () => {
    const env = new Environment("space_invaders", { stickyActionProb: 0 });
    env.seed(7);
    env.reset();
    const rng = env.random.clone();
    env.act(5);
    rng.rand();
    assert.deepEqual(env.random.getState(), rng.getState());
    env.reset();
    assert.equal(env.lastAction, 5);
  });

  it("seed() redraws nothing; getState/setState continue the same game", () => {
    for (const name of ["asterix", "breakout", "freeway", "seaquest", "space_invaders"] as const) {
      const env = new Environment(name);
      env.seed(3);
      env.reset();
      for (let k = 0; k < 150 && !env.terminal; k++) env.act(k % 6);
      const saved = JSON.parse(JSON.stringify(env.getState()));
      const copy = new Environment(name);
      copy.setState(saved);
      for (let k = 0; k < 200; k++) {
        if (env.terminal) {
          env.reset();
          copy.reset();
        }
        assert.equal(copy.act((k * 7) % 6), env.act((k * 7) % 6), `${name} step ${k}`);
        assert.deepEqual(copy.state(), env.state(), `${name} step ${k}`);
      }
    }
  });

  it("bad actions and seeds say what is allowed", () => {
    const env = new Environment("seaquest");
    assert.throws(() => env.act(6), /action must be an integer in 0\.\.5.*got 6/);
    assert.throws(() => env.act(-1), /got -1/);
    assert.throws(() => env.act(1.5), /got 1\.5/);
    assert.throws(() => env.seed(2 ** 32), /between 0 and 2\^32 - 1/);
    assert.throws(() => new Environment("pong" as GameName), /unknown MinAtar game "pong"/);
    assert.throws(() => new Environment("breakout", { stickyActionProb: 2 }), /stickyActionProb must be a number in \[0, 1\]/);
  });
});
