/** Vector wrappers against per-env accounting of Gymnasium 1.4's semantics. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecordEpisodeStatistics as SingleRecordEpisodeStatistics } from "../src/envs/wrappers/index.js";
import {
  ClipAction,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  TransformObservation,
  TransformReward,
  type VectorEpisodeStatistics,
  VectorWrapper,
} from "../src/envs/wrappers/vector/index.js";
import { type AutoresetMode, type VectorStepResult, make, makeVec } from "../src/index.js";
import { uniforms } from "./random.js";
import { assertClose, expectedRms } from "./running-stats.js";


function randomBinaryActions(rand: () => number, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = rand() < 0.5 ? 0 : 1;
  return out;
}

/** Remembers the actions passed down to the wrapped env. */
class ActionSpy extends VectorWrapper {
  readonly seen: ArrayLike<number>[] = [];
  override step(actions: ArrayLike<number>): VectorStepResult {
    this.seen.push(actions);
    return super.step(actions);
  }
}

const MODES: AutoresetMode[] = ["next-step", "same-step"];

describe("vector RecordEpisodeStatistics", () => {
  for (const mode of MODES) {
    it(`${mode}: matches per-env accounting over 600 CartPole-v1 steps and single-env episodes`, () => {
      const n = 5, maxSteps = 40, seed = 7;
      const env = new RecordEpisodeStatistics(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, autoresetMode: mode, maxEpisodeSteps: maxSteps }), {
        bufferLength: 1000,
      });
      env.reset({ seed });
      const rand = uniforms(3);
      const actions = new Float64Array(n);
      const ret = new Array<number>(n).fill(0), len = new Array<number>(n).fill(0);
      const resetStep = new Array<boolean>(n).fill(false);
      const countedActions: number[][] = Array.from({ length: n }, () => []);
      const perEnvReturns: number[][] = Array.from({ length: n }, () => []);
      const allReturns: number[] = [], allLengths: number[] = [];
      for (let t = 0; t < 600; t++) {
        const [, rewards, terms, truncs, info] = env.step(randomBinaryActions(rand, actions));
        const stats = info.episode as VectorEpisodeStatistics | undefined;
        const mask = info._episode as Uint8Array | undefined;
        let anyDone = false;
        for (let i = 0; i < n; i++) {
          if (resetStep[i]) {
            assert.equal(rewards[i], 0, "the autoreset step has no reward");
            resetStep[i] = false;
            ret[i] = 0;
            len[i] = 0;
          } else {
            ret[i] += rewards[i]!;
            len[i] += 1;
            countedActions[i]!.push(actions[i]!);
          }
          const done = terms[i]! || truncs[i]!;
          assert.equal(mask?.[i] ?? 0, done ? 1 : 0, `_episode[${i}] at step ${t}`);
          if (!done) {
            if (stats) assert.deepEqual([stats.r[i], stats.l[i], stats.t[i]], [0, 0, 0]);
            continue;
          }
          anyDone = true;
          assert.equal(stats!.r[i], ret[i], `return of env ${i} at step ${t}`);
          assert.equal(stats!.l[i], len[i], `length of env ${i} at step ${t}`);
          assert.equal(stats!.l[i], stats!.r[i], "CartPole pays 1 per counted step");
          if (truncs[i]) assert.equal(stats!.l[i], maxSteps, "truncation comes after exactly maxEpisodeSteps steps");
          perEnvReturns[i]!.push(ret[i]!);
          allReturns.push(ret[i]!);
          allLengths.push(len[i]!);
          if (mode === "next-step") resetStep[i] = true;
          else ret[i] = len[i] = 0;
        }
        assert.equal(stats !== undefined, anyDone, `info.episode present iff an episode ended (step ${t})`);
      }
      assert.ok(allReturns.length > 40, "enough episodes to be meaningful");
      assert.deepEqual(env.returnQueue, allReturns);
      assert.deepEqual(env.lengthQueue, allLengths);
      assert.equal(env.episodeCount, allReturns.length);

      // Env i's episodes are those of make(id) seeded with seed + i under the actions it counted.
      for (let i = 0; i < n; i++) {
        const single = new SingleRecordEpisodeStatistics(make("CartPole-v1", { maxEpisodeSteps: maxSteps }));
        single.reset({ seed: seed + i });
        for (const a of countedActions[i]!) {
          const [, , term, trunc] = single.step(a);
          if (term || trunc) single.reset();
        }
        assert.deepEqual(single.returnQueue, perEnvReturns[i], `env ${i}`);
      }
    });
  }

  it("keeps the newest 100 episodes by default and clears masked envs on a partial reset", () => {
    const n = 8;
    const venv = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, autoresetMode: "disabled", maxEpisodeSteps: 5 });
    const env = new RecordEpisodeStatistics(venv);
    env.reset({ seed: 0 });
    const actions = new Float64Array(n);
    for (let round = 0; round < 15; round++) {
      let ended: Uint8Array;
      do {
        const [, , terms, truncs] = env.step(actions);
        ended = Uint8Array.from(terms, (x, i) => x | truncs[i]!);
      } while (!ended.some(Boolean));
      env.reset({ options: { reset_mask: Array.from(ended, Boolean) } });
      ended.forEach((e, i) => e && assert.equal(env.episodeLengths[i], 0));
    }
    assert.equal(env.returnQueue.length, 100);
    assert.ok(env.episodeCount > 100);
  });
});

describe("vector NormalizeObservation", () => {
  it("keeps the running mean and variance of every observation batch, reset batches included", () => {
    const n = 3;
    const rows: Float32Array[] = [];
    const recorder = new TransformObservation(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, maxEpisodeSteps: 60 }), (obs) => {
      for (let i = 0; i < n; i++) rows.push(obs.slice(i * 4, i * 4 + 4));
      return obs;
    });
    const env = new NormalizeObservation(recorder);
    const rand = uniforms(4);
    const actions = new Float64Array(n);
    let [obs] = env.reset({ seed: 2 });
    for (let t = 0; t < 300; t++) [obs] = env.step(randomBinaryActions(rand, actions));
    const expected = expectedRms(rows);
    assertClose(env.obsRms.mean, expected.mean, 1e-9, "mean");
    assertClose(env.obsRms.var, expected.var, 1e-9, "var");
    assert.ok(Math.abs(env.obsRms.count - expected.count) < 1e-9);
    const last = rows.slice(-n);
    const want = last.flatMap((row) => Array.from(row, (x, k) => Math.fround((x - env.obsRms.mean[k]!) / Math.sqrt(env.obsRms.var[k]! + 1e-8))));
    assert.deepEqual(Array.from(obs), want);
  });

  it("refuses same-step and disabled autoreset and partial resets, as Gymnasium does", () => {
    assert.throws(() => new NormalizeObservation(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2, autoresetMode: "same-step" })));
    assert.throws(() => new NormalizeObservation(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2, autoresetMode: "disabled" })));
    assert.throws(() => new TransformObservation(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2, autoresetMode: "same-step" }), (o) => o));
    const env = new NormalizeObservation(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 }));
    env.reset({ seed: 0 });
    assert.throws(() => env.reset({ options: { reset_mask: [true, false] } }), /partial resets/);
  });
});

describe("vector NormalizeReward", () => {
  for (const mode of MODES) {
    it(`${mode}: divides by the std of the active envs' discounted accumulators`, () => {
      const n = 4, gamma = 0.95;
      const venv = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, autoresetMode: mode, maxEpisodeSteps: 30 });
      const env = new NormalizeReward(venv, gamma);
      env.reset({ seed: 5 });
      const rand = uniforms(6);
      const actions = new Float64Array(n);
      const acc = new Array<number>(n).fill(0);
      const prevDone = new Array<boolean>(n).fill(false);
      const seen: number[][] = [];
      let truncations = 0;
      for (let t = 0; t < 300; t++) {
        const [, normalized, terms, truncs] = env.step(randomBinaryActions(rand, actions));
        const raw = venv.rewards;
        for (let i = 0; i < n; i++) {
          // next-step: the reset step after a done is skipped and keeps the accumulator
          if (mode === "same-step" || !prevDone[i]) {
            acc[i] = acc[i]! * gamma * (1 - terms[i]!) + raw[i]!;
            seen.push([acc[i]!]);
          }
          prevDone[i] = Boolean(terms[i]! || truncs[i]!);
          truncations += truncs[i]!;
          if (mode === "same-step" && prevDone[i]) acc[i] = 0;
        }
        const { var: v } = expectedRms(seen);
        assertClose(normalized, Array.from(raw, (r) => r / Math.sqrt(v[0]! + 1e-8)), 1e-9, `rewards at step ${t}`);
        assertClose(env.accumulatedReward, acc, 1e-12, `accumulators at step ${t}`);
      }
      assert.ok(truncations > 0, "some episodes were truncated");
      env.reset();
      assert.deepEqual(Array.from(env.accumulatedReward), [0, 0, 0, 0]);
    });
  }
});

describe("vector ClipAction", () => {
  it("clips each env's Pendulum-v1 torque into a float32 buffer", () => {
    const spy = new ActionSpy(makeVec("Pendulum-v1", { vectorizationMode: "kernel", numEnvs: 3 }));
    const env = new ClipAction(spy);
    const reference = makeVec("Pendulum-v1", { vectorizationMode: "kernel", numEnvs: 3 });
    env.reset({ seed: 8 });
    reference.reset({ seed: 8 });
    const [obs] = env.step([5, -3, 0.3]);
    const [refObs] = reference.step([2, -2, Math.fround(0.3)]);
    assert.deepEqual(Array.from(obs), Array.from(refObs));
    assert.ok(spy.seen[0] instanceof Float32Array);
    assert.deepEqual(Array.from(spy.seen[0]!), [2, -2, Math.fround(0.3)]);
    assert.throws(() => env.step([1, 2]), RangeError);
    assert.throws(() => new ClipAction(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 })), TypeError);
  });
});

describe("vector TransformReward", () => {
  it("applies its function to the reward batch", () => {
    const env = new TransformReward(makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 }), (r) => r.map((x) => 3 * x));
    env.reset({ seed: 0 });
    assert.deepEqual(Array.from(env.step([0, 1])[1]), [3, 3]);
  });
});

describe("vector getState / setState", () => {
  for (const mode of MODES) {
    it(`${mode}: a restored wrapper stack continues identically`, () => {
      const n = 4;
      const build = () => {
        const venv = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, autoresetMode: mode, maxEpisodeSteps: 50 });
        const norm = mode === "next-step" ? new NormalizeObservation(venv) : null;
        const reward = new NormalizeReward(norm ?? venv);
        return { venv, norm, reward, stats: new RecordEpisodeStatistics(reward) };
      };
      const rand = uniforms(10);
      const steps = Array.from({ length: 400 }, () => Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1)));
      const run = (s: ReturnType<typeof build>, from: number, to: number) =>
        steps.slice(from, to).map((a) => {
          const [o, r, term, trunc, info] = s.stats.step(a);
          const ep = info.episode as VectorEpisodeStatistics | undefined;
          return [Array.from(o), Array.from(r), Array.from(term), Array.from(trunc), ep && [Array.from(ep.r), Array.from(ep.l)]];
        });
      const a = build();
      a.stats.reset({ seed: 12 });
      run(a, 0, 250);
      const saved = JSON.parse(
        JSON.stringify({
          venv: a.venv.getState(),
          norm: a.norm?.getState(),
          reward: a.reward.getState(),
          stats: a.stats.getState(),
        }),
      );
      const b = build();
      b.venv.setState(saved.venv);
      if (saved.norm) b.norm!.setState(saved.norm);
      b.reward.setState(saved.reward);
      b.stats.setState(saved.stats);
      assert.deepEqual(run(b, 250, 400), run(a, 250, 400));
      assert.deepEqual(b.stats.returnQueue, a.stats.returnQueue);
      assert.deepEqual(b.stats.getState().episodeLengths, a.stats.getState().episodeLengths);
    });
  }
});
