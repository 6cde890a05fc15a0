/**
 * MinAtar's Gymnasium ids (`MinAtar/<Game>-v0` / `-v1`, as minatar/gym.py registers them) through
 * tsrl's `make`: the reference trajectories replayed through `reset({seed})` / `step`, spaces,
 * minimal action sets, no time limit, rendering in MinAtar's colours, state round trips and the
 * errors for bad input.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Box, Discrete } from "../src/envs/spaces.js";
import { checkEnv } from "../src/envs/checker.js";
import { listEnvs, make, spec } from "../src/envs/registry.js";
import { MinAtarEnv, minatarPalette, registerMinatarEnvs } from "../src/envs/minatar/index.js";

registerMinatarEnvs();

const DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "refs", "minatar");
const GAMES = { Asterix: 4, Breakout: 4, Freeway: 7, Seaquest: 10, SpaceInvaders: 6 } as const;
/** minimal_action_set() of each game in MinAtar 1.0.15 */
const MINIMAL = { Asterix: [0, 1, 2, 3, 4], Breakout: [0, 1, 3], Freeway: [0, 2, 4], Seaquest: [0, 1, 2, 3, 4, 5], SpaceInvaders: [0, 1, 3, 5] };

interface RefLine {
  seed: number;
  episodes: { reset: number[][]; steps: { a: number; r: number; t: boolean; s: number[][] }[] }[];
}

function sparse(obs: Uint8Array, channels: number): number[][] {
  const out: number[][] = Array.from({ length: channels }, () => []);
  for (let cell = 0; cell < 100; cell++) for (let c = 0; c < channels; c++) if (obs[cell * channels + c]) out[c]!.push(cell);
  return out;
}

describe("MinAtar Gymnasium ids", () => {
  it("registers the ten ids of minatar/gym.py, with no time limit", () => {
    const ids = listEnvs().map((s) => s.id).filter((id) => id.startsWith("MinAtar/"));
    assert.deepEqual(ids.sort(), Object.keys(GAMES).flatMap((g) => [`MinAtar/${g}-v0`, `MinAtar/${g}-v1`]).sort());
    for (const id of ids) assert.equal(spec(id).maxEpisodeSteps, null, id);
  });

  for (const [game, channels] of Object.entries(GAMES) as [keyof typeof GAMES, number][]) {
    it(`${game}: spaces and action sets (v0 all 6 actions, v1 the minimal set)`, () => {
      const v0 = make<Uint8Array, number>(`MinAtar/${game}-v0`);
      const v1 = make<Uint8Array, number>(`MinAtar/${game}-v1`);
      for (const env of [v0, v1]) {
        const box = env.observationSpace as Box;
        assert.ok(box instanceof Box);
        assert.deepEqual([box.shape, box.dtype, box.low[0], box.high[0]], [[10, 10, channels], "bool", 0, 1]);
        const [obs] = env.reset({ seed: 5 });
        assert.ok(obs instanceof Uint8Array && box.contains(obs));
      }
      assert.equal((v0.actionSpace as Discrete).n, 6);
      assert.equal((v1.actionSpace as Discrete).n, MINIMAL[game].length);
      assert.deepEqual((v1.unwrapped as MinAtarEnv).actionSet, MINIMAL[game]);
    });

    it(`${game}: reset({seed}) and step replay MinAtar's trajectories (v0), reset() alone continuing the stream`, () => {
      const line = readFileSync(join(DIR, `${game}.jsonl`), "utf8").split("\n")[0]!;
      const ref = JSON.parse(line) as RefLine;
      const env = make<Uint8Array, number>(`MinAtar/${game}-v0`);
      ref.episodes.forEach((episode, e) => {
        const [obs] = e === 0 ? env.reset({ seed: ref.seed }) : env.reset();
        assert.deepEqual(sparse(obs, channels), episode.reset, `episode ${e} reset`);
        episode.steps.forEach((step, k) => {
          const [o, r, terminated, truncated] = env.step(step.a);
          assert.deepEqual([sparse(o, channels), r, terminated, truncated], [step.s, step.r, step.t, false], `episode ${e} step ${k}`);
        });
      });
    });

    it(`${game}: v1 actions map to MinAtar's actions`, () => {
      const v0 = make<Uint8Array, number>(`MinAtar/${game}-v0`);
      const v1 = make<Uint8Array, number>(`MinAtar/${game}-v1`);
      assert.deepEqual(v1.reset({ seed: 11 })[0], v0.reset({ seed: 11 })[0]);
      for (let k = 0; k < 300; k++) {
        const a = k % MINIMAL[game].length;
        const [o1, r1, t1] = v1.step(a);
        const [o0, r0, t0] = v0.step(MINIMAL[game][a]!);
        assert.deepEqual([o1, r1, t1], [o0, r0, t0], `step ${k}`);
        if (t0) {
          v0.reset();
          v1.reset();
        }
      }
    });
  }

  it("Freeway ends itself on its 2501st step (no TimeLimit)", () => {
    const env = make<Uint8Array, number>("MinAtar/Freeway-v1");
    env.reset({ seed: 1 });
    let steps = 0;
    let terminated = false;
    while (!terminated) [, , terminated] = (steps++, env.step(0));
    assert.equal(steps, 2501);
  });

  it("after the terminal step MinAtar answers reward 0 and terminated, unchanged", () => {
    const env = make<Uint8Array, number>("MinAtar/Breakout-v0");
    env.reset({ seed: 2 });
    let last: Uint8Array;
    for (;;) {
      const [o, , t] = env.step(0);
      last = o;
      if (t) break;
    }
    const [o, r, t] = env.step(3);
    assert.deepEqual([o, r, t], [last, 0, true]);
  });

  it("passes checkEnv, and getState/setState continue exactly", () => {
    for (const game of Object.keys(GAMES)) {
      checkEnv(make(`MinAtar/${game}-v0`, { disableEnvChecker: true }), { steps: 50 });
      const env = make<Uint8Array, number>(`MinAtar/${game}-v0`);
      env.reset({ seed: 9 });
      for (let k = 0; k < 40; k++) if (env.step(k % 6)[2]) env.reset();
      const saved = JSON.parse(JSON.stringify(env.unwrapped.getState!()));
      const copy = make<Uint8Array, number>(`MinAtar/${game}-v0`);
      copy.unwrapped.setState!(saved);
      for (let k = 0; k < 100; k++) {
        const a = (k * 5) % 6;
        const mine = env.step(a), theirs = copy.step(a);
        assert.deepEqual(theirs, mine, `${game} step ${k}`);
        if (mine[2]) {
          assert.deepEqual(copy.reset(), env.reset());
        }
      }
    }
  });

  it("kwargs: stickyActionProb and difficultyRamping (or MinAtar's Python names) reach MinAtar's Environment; unknown ones are named", () => {
    for (const kwargs of [{ stickyActionProb: 0, difficultyRamping: false }, { sticky_action_prob: 0, difficulty_ramping: false }]) {
      const env = make("MinAtar/Seaquest-v0", kwargs).unwrapped as MinAtarEnv;
      assert.equal(env.environment.stickyActionProb, 0);
      assert.equal((env.environment.game as unknown as { ramping: boolean }).ramping, false);
    }
    assert.equal((make("MinAtar/Seaquest-v1", { use_minimal_action_set: false }).unwrapped as MinAtarEnv).actionSpace.n, 6);
    assert.throws(() => make("MinAtar/Seaquest-v0", { sticky: 0 }), /MinAtar\/Seaquest-v0 has no keyword argument "sticky"; it takes sticky_action_prob \(or stickyActionProb\), difficulty_ramping/);
    assert.throws(() => make("MinAtar/Seaquest-v0", { sticky_action_prob: 0, stickyActionProb: 0 }), /sticky_action_prob and stickyActionProb name one option/);
  });

  it("render draws each cell in MinAtar's colour for its highest channel (seaborn's cubehelix palette)", () => {
    // seaborn 0.12.2 color_palette("cubehelix", n) × 255, rounded
    const SEABORN = {
      4: [[22, 61, 78], [84, 121, 47], [208, 126, 147], [193, 202, 243]],
      6: [[26, 36, 65], [27, 97, 69], [105, 123, 48], [200, 123, 124], [205, 162, 224], [198, 225, 241]],
      7: [[27, 30, 59], [22, 83, 76], [68, 119, 49], [161, 121, 74], [212, 132, 169], [198, 180, 238], [203, 232, 240]],
      10: [[25, 18, 43], [23, 52, 76], [24, 91, 72], [60, 118, 50], [126, 122, 54], [188, 121, 103], [212, 134, 175], [202, 169, 231], [194, 210, 243], [214, 240, 239]],
    };
    for (const [n, colours] of Object.entries(SEABORN)) {
      const palette = minatarPalette(Number(n));
      assert.deepEqual(Array.from(palette.slice(0, 3)), [0, 0, 0]);
      assert.deepEqual(colours.map((_, k) => Array.from(palette.slice((k + 1) * 3, (k + 2) * 3))), colours, `${n} channels`);
    }
    const env = make<Uint8Array, number>("MinAtar/Breakout-v0");
    const [obs] = env.reset({ seed: 0 });
    const frame = env.render()!;
    assert.deepEqual([frame.width, frame.height, frame.data.length], [160, 160, 160 * 160 * 3]);
    const palette = minatarPalette(4);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) {
        let colour = 0;
        for (let c = 0; c < 4; c++) if (obs[(y * 10 + x) * 4 + c]) colour = c + 1;
        for (const [py, px] of [[y * 16, x * 16], [y * 16 + 15, x * 16 + 15]]) {
          const p = (py! * 160 + px!) * 3;
          assert.deepEqual(Array.from(frame.data.slice(p, p + 3)), Array.from(palette.slice(colour * 3, colour * 3 + 3)), `cell ${y},${x}`);
        }
      }
    }
  });

  it("bad input: actions outside the set, stepping or rendering before reset, seeds outside [0, 2^32)", () => {
    const env = make<Uint8Array, number>("MinAtar/Breakout-v1");
    assert.throws(() => env.step(0), /step\(\) called before reset\(\); call env\.reset\(\) first/);
    assert.throws(() => env.render(), /render\(\) called before reset\(\)/);
    env.reset({ seed: 0 });
    assert.throws(() => env.step(3), /invalid action 3; the action space is Discrete\(3\), so pass an integer in \[0, 3\) \(0 n, 1 l, 2 r\)/);
    assert.throws(() => env.step(-1), /invalid action -1/);
    assert.throws(() => env.step(1.5), /invalid action 1\.5/);
    const v0 = make<Uint8Array, number>("MinAtar/Breakout-v0");
    v0.reset({ seed: 0 });
    assert.throws(() => v0.step(6), /invalid action 6.*\[0, 6\)/);
    for (const seed of [-1, 2 ** 32, 1.5, 2n ** 40n]) {
      assert.throws(() => v0.reset({ seed: seed as number }), /seed must be an integer in \[0, 2\^32\) \(MinAtar seeds numpy's RandomState with it\)/);
    }
    assert.throws(() => make("MinAtar/Pong-v0"), /Unknown environment id/);
    assert.throws(() => new MinAtarEnv({ game: "pong" as "breakout" }), /game must be one of asterix, breakout, freeway, seaquest, space_invaders/);
  });
});
