/**
 * MinAtar kernels in tsrl's VectorEnv against MinAtar: the vendored reference trajectories played
 * by one vectorized env (next-step autoreset: the step after a terminal one resets), and 6 envs
 * per game against 6 single `Environment`s (the slow, obviously-correct path) seeded seed + i, over
 * many episodes, with state round trips through the vector env's getState/setState.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { VectorEnv } from "../src/envs/vector.js";
import { Environment, GAME_NAMES, type GameName } from "../src/envs/minatar/environment.js";
import { minatarKernel } from "../src/envs/minatar/kernel.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "refs", "minatar");
const FILES: Record<GameName, string> = { asterix: "Asterix", breakout: "Breakout", freeway: "Freeway", seaquest: "Seaquest", space_invaders: "SpaceInvaders" };

interface RefLine {
  seed: number;
  episodes: { reset: number[][]; steps: { a: number; r: number; t: boolean; s: number[][] }[] }[];
}

function sparse(obs: ArrayLike<number>, offset: number, channels: number): number[][] {
  const out: number[][] = Array.from({ length: channels }, () => []);
  for (let cell = 0; cell < 100; cell++) for (let c = 0; c < channels; c++) if (obs[offset + cell * channels + c]) out[c]!.push(cell);
  return out;
}

describe("MinAtar kernels (VectorEnv)", () => {
  // (the tests below use the fused next-step loop; the generic loop is compared with it at the end)
  for (const game of GAME_NAMES) {
    it(`${game}: replays MinAtar's trajectories (${FILES[game]}.jsonl and .lookahead.jsonl) with next-step autoreset`, () => {
      const kernel = minatarKernel(game);
      const channels = kernel.observationSpace.shape[2]!;
      for (const file of [`${FILES[game]}.jsonl`, `${FILES[game]}.lookahead.jsonl`]) {
        for (const line of readFileSync(join(DIR, file), "utf8").split("\n").filter((l) => l.trim())) {
          const ref = JSON.parse(line) as RefLine;
          const vec = new VectorEnv(kernel, { numEnvs: 1 });
          let [obs] = vec.reset({ seed: ref.seed });
          ref.episodes.forEach((episode, e) => {
            if (e > 0) {
              const [o, r, term] = vec.step([0]);
              assert.deepEqual([sparse(o, 0, channels), r[0], term[0]], [episode.reset, 0, 0], `${file} seed ${ref.seed}: autoreset into episode ${e}`);
              obs = o;
            } else assert.deepEqual(sparse(obs, 0, channels), episode.reset);
            episode.steps.forEach((step, k) => {
              const [o, r, term, trunc] = vec.step([step.a]);
              assert.deepEqual([sparse(o, 0, channels), r[0], term[0], trunc[0]], [step.s, step.r, step.t ? 1 : 0, 0], `${file} seed ${ref.seed} episode ${e} step ${k}`);
            });
          });
        }
      }
    });

    it(`${game}: 6 vectorized envs = 6 Environments seeded seed + i, across autoresets and a state round trip`, () => {
      const n = 6;
      const vec = new VectorEnv(minatarKernel(game), { numEnvs: n });
      const single = Array.from({ length: n }, (_, i) => {
        const env = new Environment(game);
        env.seed(40 + i);
        env.reset();
        return env;
      });
      const [obs] = vec.reset({ seed: 40 });
      const od = vec.obsSize;
      single.forEach((env, i) => assert.deepEqual(Array.from(obs.subarray(i * od, (i + 1) * od)), Array.from(env.state())));
      let draw = 12345;
      const actions = new Float64Array(n);
      const pendingReset = new Array<boolean>(n).fill(false);
      let restored: VectorEnv | undefined;
      for (let t = 0; t < 1500; t++) {
        for (let i = 0; i < n; i++) actions[i] = (draw = (Math.imul(draw, 1103515245) + 12345) >>> 0) % 6;
        if (t === 700) {
          restored = new VectorEnv(minatarKernel(game), { numEnvs: n });
          restored.setState(JSON.parse(JSON.stringify(vec.getState())));
        }
        const [o, r, term] = vec.step(actions);
        const again: ReturnType<VectorEnv["step"]> | undefined = restored?.step(actions);
        if (again) assert.deepEqual([Array.from(again[0]), Array.from(again[1]), Array.from(again[2])], [Array.from(o), Array.from(r), Array.from(term)], `restored copy, step ${t}`);
        for (let i = 0; i < n; i++) {
          const env = single[i]!;
          let reward = 0;
          if (pendingReset[i]) {
            env.reset();
            pendingReset[i] = false;
          } else {
            reward = env.act(actions[i]!);
            pendingReset[i] = env.terminal;
          }
          assert.deepEqual(
            [Array.from(o.subarray(i * od, (i + 1) * od)), r[i], term[i]],
            [Array.from(env.state()), reward, pendingReset[i] ? 1 : 0],
            `env ${i} step ${t}`,
          );
        }
      }
    });
  }

  it("the fused next-step loop equals the generic per-env loop (with a time limit)", () => {
    for (const game of GAME_NAMES) {
      const fused = new VectorEnv(minatarKernel(game), { numEnvs: 5, maxEpisodeSteps: 37 });
      const generic = new VectorEnv(minatarKernel(game), { numEnvs: 5, maxEpisodeSteps: 37 });
      generic.slowPath = true;
      assert.deepEqual(Array.from(fused.reset({ seed: 9 })[0]), Array.from(generic.reset({ seed: 9 })[0]));
      const actions = new Float64Array(5);
      for (let t = 0; t < 400; t++) {
        for (let i = 0; i < 5; i++) actions[i] = (t * 5 + i * 3) % 6;
        const a = fused.step(actions).slice(0, 4).map((x) => Array.from(x as ArrayLike<number>));
        const b = generic.step(actions).slice(0, 4).map((x) => Array.from(x as ArrayLike<number>));
        assert.deepEqual(a, b, `${game} step ${t}`);
      }
      assert.deepEqual(fused.getState(), generic.getState());
    }
  });

  it("useMinimalActionSet maps actions as the v1 ids do", () => {
    for (const game of GAME_NAMES) {
      const kernel = minatarKernel(game, { useMinimalActionSet: true });
      const minimal = new Environment(game).minimalActionSet();
      assert.equal((kernel.actionSpace as { n: number }).n, minimal.length);
      const v1 = new VectorEnv(kernel, { numEnvs: 2 });
      const v0 = new VectorEnv(minatarKernel(game), { numEnvs: 2 });
      v1.reset({ seed: 3 });
      v0.reset({ seed: 3 });
      for (let t = 0; t < 300; t++) {
        const a = [t % minimal.length, (t * 7) % minimal.length];
        const one = v1.step(a).slice(0, 3).map((x) => Array.from(x as ArrayLike<number>));
        const all = v0.step(a.map((k) => minimal[k]!)).slice(0, 3).map((x) => Array.from(x as ArrayLike<number>));
        assert.deepEqual(one, all, `${game} step ${t}`);
      }
    }
    assert.throws(() => minatarKernel("breakout", { sticky: 0.2 } as never), /unknown option sticky; the options are useMinimalActionSet, stickyActionProb, difficultyRamping/);
  });

  it("bad input: seeds beyond 2^32 - 1 for RandomState, reset options, unknown games", () => {
    const vec = new VectorEnv(minatarKernel("breakout"), { numEnvs: 2 });
    assert.throws(() => vec.reset({ seed: 2 ** 32 - 1 }), /between 0 and 2\^32 - 1/);
    assert.throws(() => vec.reset({ seed: 0, options: { low: 1 } }), /takes no reset options, got low/);
    assert.throws(() => minatarKernel("pong" as GameName), /unknown MinAtar game "pong"/);
  });
});
