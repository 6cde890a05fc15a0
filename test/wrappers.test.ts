/** Single-env wrappers against hand computations of Gymnasium 1.4's semantics. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ClipAction,
  NormalizeObservation,
  NormalizeReward,
  RecordEpisodeStatistics,
  TransformObservation,
  TransformReward,
} from "../src/envs/wrappers/index.js";
import { Box, Discrete, Env, type Action, type Info, type ResetArgs, type StepResult, Wrapper, make } from "../src/index.js";
import { uniforms } from "./random.js";
import { assertClose, expectedRms } from "./running-stats.js";


/** Passes steps through, remembering what went in and came out. */
class Recorder<O, A> extends Wrapper<O, A, O, A> {
  readonly actions: A[] = [];
  readonly observations: O[] = [];
  override reset(args?: ResetArgs): [O, Info] {
    const result = super.reset(args);
    this.observations.push(result[0]);
    return result;
  }
  override step(action: A): StepResult<O> {
    this.actions.push(action);
    const result = super.step(action);
    this.observations.push(result[0]);
    return result;
  }
}

/** Plays back fixed rewards and end flags. */
class ScriptedEnv extends Env<Float32Array, number> {
  readonly actionSpace = new Discrete(2);
  readonly observationSpace = new Box(-1, 1, [1]);
  private t = 0;
  constructor(private readonly script: readonly [reward: number, terminated: boolean, truncated: boolean][]) {
    super();
  }
  override reset(): [Float32Array, Info] {
    return [new Float32Array(1), {}];
  }
  step(): StepResult {
    const [r, term, trunc] = this.script[this.t++]!;
    return [new Float32Array(1), r, term, trunc, {}];
  }
  override render(): never {
    throw new Error("not renderable");
  }
}

describe("RecordEpisodeStatistics", () => {
  it("reports each CartPole-v1 episode's return and length on its last step, and queues them", () => {
    const env = new RecordEpisodeStatistics(make("CartPole-v1"));
    const rand = uniforms(1);
    const returns: number[] = [];
    const lengths: number[] = [];
    env.reset({ seed: 3 });
    for (let ep = 0; ep < 6; ep++) {
      let sum = 0, steps = 0;
      for (;;) {
        const [, r, term, trunc, info] = env.step(rand() < 0.5 ? 0 : 1);
        sum += r;
        steps += 1;
        if (!(term || trunc)) {
          assert.equal(info.episode, undefined, "no statistics mid-episode");
          continue;
        }
        const stats = info.episode as { r: number; l: number; t: number };
        assert.equal(stats.r, sum);
        assert.equal(stats.l, steps);
        assert.ok(stats.t >= 0 && stats.t === Math.round(stats.t * 1e6) / 1e6, `t = ${stats.t}`);
        returns.push(sum);
        lengths.push(steps);
        break;
      }
      env.reset();
    }
    assert.deepEqual(env.returnQueue, returns);
    assert.deepEqual(env.lengthQueue, lengths);
    assert.equal(env.episodeCount, 6);
    assert.equal(env.timeQueue.length, 6);
  });

  it("ends an episode on truncation and keeps only the newest bufferLength episodes", () => {
    const env = new RecordEpisodeStatistics(make("CartPole-v1", { maxEpisodeSteps: 4 }), { bufferLength: 3 });
    const lengths: number[] = [];
    env.reset({ seed: 0 });
    for (let ep = 0; ep < 5; ep++) {
      let info: Info = {}, done = false, steps = 0;
      while (!done) {
        const out = env.step(steps % 2);
        done = out[2] || out[3];
        info = out[4];
        steps++;
      }
      lengths.push((info.episode as { l: number }).l);
      env.reset();
    }
    assert.deepEqual(lengths, [4, 4, 4, 4, 4]);
    assert.deepEqual(env.lengthQueue, [4, 4, 4]);
    assert.equal(env.episodeCount, 5);
  });
});

describe("NormalizeObservation", () => {
  it("keeps the running mean and variance of every observation seen, prior count 1e-4 included", () => {
    const recorder = new Recorder(make("CartPole-v1"));
    const env = new NormalizeObservation(recorder);
    const rand = uniforms(2);
    let [obs] = env.reset({ seed: 11 });
    for (let t = 0; t < 400; t++) {
      const [o, , term, trunc] = env.step(rand() < 0.5 ? 0 : 1);
      obs = o;
      if (term || trunc) [obs] = env.reset();
    }
    const seen = recorder.observations;
    const expected = expectedRms(seen);
    assertClose(env.obsRms.mean, expected.mean, 1e-9, "mean");
    assertClose(env.obsRms.var, expected.var, 1e-9, "var");
    assert.ok(Math.abs(env.obsRms.count - expected.count) < 1e-9);
    const last = seen[seen.length - 1]!;
    const normalized = Array.from(last, (x, k) => Math.fround((x - env.obsRms.mean[k]!) / Math.sqrt(env.obsRms.var[k]! + 1e-8)));
    assert.deepEqual(Array.from(obs), normalized);
    assert.equal(env.observationSpace.low[0], -Infinity);
  });

  it("freezes the statistics when updateRunningMean is false", () => {
    const env = new NormalizeObservation(make("CartPole-v1"));
    env.reset({ seed: 0 });
    env.step(0);
    const frozen = env.getState();
    env.updateRunningMean = false;
    env.step(1);
    env.step(1);
    assert.deepEqual(env.getState(), frozen);
  });
});

describe("NormalizeReward", () => {
  it("divides by the std of acc * gamma * (1 - terminated) + reward, which truncation and reset leave running", () => {
    const gamma = 0.9;
    const script: [number, boolean, boolean][] = [
      [1, false, false],
      [2, false, false],
      [-1, false, false],
      [3, true, false],
      [0.5, false, false],
      [2, false, true],
      [1, false, false],
    ];
    // acc by hand: termination zeroes it before adding its reward; truncation and reset do not
    const acc = [1, 0.9 * 1 + 2, 0.9 * 2.9 - 1, 3, 0.9 * 3 + 0.5, 0.9 * 3.2 + 2, 0.9 * 4.88 + 1];
    const env = new NormalizeReward(new ScriptedEnv(script), gamma);
    env.reset();
    script.forEach(([r, term, trunc], t) => {
      const [, normalized] = env.step(0);
      assert.ok(Math.abs(env.discountedReward - acc[t]!) < 1e-12, `acc at ${t}: ${env.discountedReward}`);
      const { var: v } = expectedRms(acc.slice(0, t + 1).map((a) => [a]));
      assertClose([normalized], [r / Math.sqrt(v[0]! + 1e-8)], 1e-9, `reward at ${t}`);
      if (term || trunc) env.reset();
    });
  });

  it("rejects gamma outside [0, 1] and epsilon <= 0", () => {
    assert.throws(() => new NormalizeReward(make("CartPole-v1"), 1.5), RangeError);
    assert.throws(() => new NormalizeReward(make("CartPole-v1"), 0.99, 0), RangeError);
    assert.throws(() => new NormalizeObservation(make("CartPole-v1"), -1), RangeError);
  });
});

describe("ClipAction", () => {
  it("clips Pendulum-v1 torques to [-2, 2] before the env sees them", () => {
    const recorder = new Recorder(make("Pendulum-v1"));
    const env = new ClipAction(recorder);
    const reference = make("Pendulum-v1");
    env.reset({ seed: 5 });
    reference.reset({ seed: 5 });
    const cases: [number, number][] = [[5, 2], [-3, -2], [0.5, 0.5], [2, 2], [-7.25, -2]];
    for (const [raw, clipped] of cases) {
      const [obs, reward] = env.step(new Float32Array([raw]));
      const [refObs, refReward] = reference.step(new Float32Array([clipped]));
      assert.deepEqual(Array.from(obs), Array.from(refObs));
      assert.equal(reward, refReward);
    }
    assert.deepEqual(recorder.actions.map((a) => Array.from(a as Float32Array)), cases.map(([, c]) => [c]));
    assert.ok(recorder.actions[0] instanceof Float32Array, "a float32 action stays float32");
    assert.ok(env.action([9]) instanceof Float64Array, "a plain array becomes float64, as np.clip makes it");
    assert.ok(Number.isNaN(env.action([Number.NaN])[0]!), "NaN passes through as in np.clip");
  });

  it("refuses Discrete action spaces", () => {
    assert.throws(() => new ClipAction(make("CartPole-v1")), TypeError);
  });
});

describe("TransformObservation and TransformReward", () => {
  it("apply their functions to reset and step results", () => {
    const space = new Box(-10, 10, [4]);
    const env = new TransformReward(
      new TransformObservation(make("CartPole-v1"), (obs: Float32Array) => Array.from(obs, (x) => 2 * x), space),
      (r) => r - 0.5,
    );
    const raw = make("CartPole-v1");
    const [obs] = env.reset({ seed: 4 });
    const [rawObs] = raw.reset({ seed: 4 });
    assert.deepEqual(obs, Array.from(rawObs, (x) => 2 * x));
    const [o, r] = env.step(1);
    const [ro, rr] = raw.step(1);
    assert.deepEqual(o, Array.from(ro, (x) => 2 * x));
    assert.equal(r, rr - 0.5);
    assert.equal(env.observationSpace, space);
  });
});

describe("getState / setState", () => {
  it("restores the whole wrapper stack mid-episode so it continues identically", () => {
    type Stack = {
      top: NormalizeReward<Float32Array, Action>;
      norm: NormalizeObservation;
      stats: RecordEpisodeStatistics;
    };
    const build = (): Stack => {
      const stats = new RecordEpisodeStatistics(make("CartPole-v1", { maxEpisodeSteps: null }));
      const norm = new NormalizeObservation(stats);
      return { top: new NormalizeReward(norm), norm, stats };
    };
    const rand = uniforms(9);
    const actions = Array.from({ length: 300 }, () => (rand() < 0.5 ? 0 : 1));
    const run = (s: Stack, from: number) => {
      const trace: unknown[] = [];
      for (let t = from; t < actions.length; t++) {
        const [o, r, term, trunc, info] = s.top.step(actions[t]!);
        const ep = info.episode as { r: number; l: number } | undefined;
        trace.push([Array.from(o), r, term, trunc, ep && [ep.r, ep.l]]);
        if (term || trunc) trace.push(Array.from(s.top.reset()[0]));
      }
      return trace;
    };
    const a = build();
    a.top.reset({ seed: 21 });
    for (let t = 0; t < 137; t++) {
      const [, , term, trunc] = a.top.step(actions[t]!);
      if (term || trunc) a.top.reset();
    }
    const saved = JSON.parse(
      JSON.stringify({ kernel: a.top.unwrapped.getState!(), top: a.top.getState(), norm: a.norm.getState(), stats: a.stats.getState() }),
    );
    const b = build();
    b.top.unwrapped.setState!(saved.kernel);
    b.top.setState(saved.top);
    b.norm.setState(saved.norm);
    b.stats.setState(saved.stats);
    assert.ok(a.stats.episodeCount > 2, "the snapshot spans several episodes");
    assert.deepEqual(run(b, 137), run(a, 137));
    assert.deepEqual(b.stats.returnQueue, a.stats.returnQueue);
    assert.deepEqual(b.norm.getState(), a.norm.getState());
  });
});
