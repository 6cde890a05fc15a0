/** VectorEnv: fused vs generic loops, the three autoreset modes against single envs, bad input, state. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Action, type AutoresetMode, type Env, VectorEnv, type VectorStepResult, listEnvs, make, makeVec } from "../src/index.js";
import { cartPole } from "../src/envs/classic/cartpole.js";
import { uniforms } from "./random.js";

/** Gymnasium's classic control (namespaced ids such as MinAtar/… are tested in their own files). */
const CLASSIC_IDS = listEnvs()
  .map((s) => s.id)
  .filter((id) => !id.includes("/"));


/** Fills `out` with random valid actions for `vec` (integers for Discrete, values in the Box otherwise). */
function randomActions(vec: VectorEnv, rand: () => number, out = new Float64Array(vec.numEnvs * vec.actionSize)): Float64Array {
  const space = vec.singleActionSpace;
  for (let j = 0; j < out.length; j++) {
    if ("n" in space) out[j] = Math.floor(rand() * space.n);
    else {
      const k = j % vec.actionSize;
      out[j] = space.low[k]! + (space.high[k]! - space.low[k]!) * rand();
    }
  }
  return out;
}

/** Env i's action as the single env takes it. */
function singleAction(vec: VectorEnv, actions: ArrayLike<number>, i: number): number | number[] {
  const ad = vec.actionSize;
  return "n" in vec.singleActionSpace ? actions[i]! : Array.from({ length: ad }, (_, k) => actions[i * ad + k]!);
}

/** A deep copy of a step's outputs (the vector env reuses its buffers). */
function snapshot([obs, rewards, terms, truncs, info]: VectorStepResult) {
  return {
    obs: Array.from(obs),
    rewards: Array.from(rewards),
    terms: Array.from(terms),
    truncs: Array.from(truncs),
    finalObs: info.final_obs ? Array.from(info.final_obs) : null,
    finalMask: info._final_obs ? Array.from(info._final_obs) : null,
  };
}

function obsOf(vec: VectorEnv, i: number): number[] {
  return Array.from(vec.obs.subarray(i * vec.obsSize, (i + 1) * vec.obsSize));
}

describe("fused CartPole next-step loop", () => {
  for (const maxEpisodeSteps of [30, undefined]) {
    it(`equals the generic loop bit for bit: 64 envs × 2000 steps, maxEpisodeSteps ${maxEpisodeSteps ?? "500 (registered)"}`, () => {
      assert.ok(cartPole.stepBatchNextStep, "CartPole has a fused loop");
      const n = 64;
      const fast = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, maxEpisodeSteps });
      const slow = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, maxEpisodeSteps });
      slow.slowPath = true;
      const r1 = fast.reset({ seed: 123 })[0], r2 = slow.reset({ seed: 123 })[0];
      assert.deepEqual(r1, r2);
      const rand = uniforms(2024);
      const actions = new Float64Array(n);
      let terminations = 0, truncations = 0, resets = 0;
      const fastObsBytes = new Uint8Array(fast.obs.buffer, fast.obs.byteOffset, fast.obs.byteLength);
      const slowObsBytes = new Uint8Array(slow.obs.buffer, slow.obs.byteOffset, slow.obs.byteLength);
      for (let t = 0; t < 2000; t++) {
        // a biased policy in the default-limit run so that some episodes last long enough to truncate
        const p = maxEpisodeSteps === undefined ? (i: number) => (fast.obs[4 * i + 2]! + 0.3 * fast.obs[4 * i + 3]! > 0 ? 1 : 0) : null;
        for (let i = 0; i < n; i++) actions[i] = p && rand() < 0.9 ? p(i) : rand() < 0.5 ? 0 : 1;
        for (let i = 0; i < n; i++) if (fast.autoreset[i]) resets++;
        const a = fast.step(actions), b = slow.step(actions);
        assert.ok(Buffer.from(fastObsBytes).equals(Buffer.from(slowObsBytes)), `obs differ at step ${t}`);
        assert.deepEqual(a[1], b[1], `rewards at step ${t}`);
        assert.deepEqual(a[2], b[2], `terminations at step ${t}`);
        assert.deepEqual(a[3], b[3], `truncations at step ${t}`);
        assert.deepEqual(a[4], b[4]);
        for (let i = 0; i < n; i++) {
          terminations += a[2][i]!;
          truncations += a[3][i]!;
        }
      }
      assert.deepEqual(fast.state, slow.state);
      assert.deepEqual(fast.elapsed, slow.elapsed);
      assert.deepEqual(fast.autoreset, slow.autoreset);
      assert.deepEqual(fast.getState(), slow.getState(), "generators advanced identically");
      assert.ok(terminations > 20, `terminations: ${terminations}`);
      assert.ok(truncations > 5, `truncations: ${truncations}`);
      assert.equal(resets > 0, true);
    });
  }
});

const IDS = CLASSIC_IDS;

/** Runs `vec` beside one `make(id)` per env and checks each step against them via `check`. */
function againstSingles(id: string, mode: AutoresetMode, maxEpisodeSteps: number | undefined) {
  const n = 4, seed = 40;
  const vec = makeVec(id, { vectorizationMode: "kernel", numEnvs: n, autoresetMode: mode, maxEpisodeSteps });
  const singles: Env<Float32Array, Action>[] = Array.from({ length: n }, () => make(id, { maxEpisodeSteps }));
  const [obs0] = vec.reset({ seed });
  singles.forEach((env, i) => assert.deepEqual(obsOf(vec, i), Array.from(env.reset({ seed: seed + i })[0]), `${id} env ${i} reset`));
  assert.equal(obs0, vec.obs);
  return { vec, singles, n };
}

describe("next-step autoreset against single envs", () => {
  for (const id of IDS) {
    for (const maxEpisodeSteps of [undefined, 40]) {
      it(`${id} (maxEpisodeSteps ${maxEpisodeSteps ?? "registered"}): env i follows make(id).reset({seed: seed + i}), resets on the step after done`, () => {
        const { vec, singles, n } = againstSingles(id, "next-step", maxEpisodeSteps);
        const rand = uniforms(id.length * 7 + (maxEpisodeSteps ?? 0));
        const prevDone = new Array<boolean>(n).fill(false);
        let autoresets = 0;
        for (let t = 0; t < 300; t++) {
          const actions = randomActions(vec, rand);
          const [obs, rewards, terms, truncs, info] = vec.step(actions);
          assert.equal(obs, vec.obs);
          assert.equal(info.final_obs, undefined, "next-step mode never reports final_obs");
          for (let i = 0; i < n; i++) {
            const where = `${id} env ${i} step ${t}`;
            if (prevDone[i]) {
              autoresets++;
              assert.equal(rewards[i], 0, where);
              assert.equal(terms[i], 0, where);
              assert.equal(truncs[i], 0, where);
              assert.deepEqual(obsOf(vec, i), Array.from(singles[i]!.reset()[0]), `${where}: obs is the (unseeded) reset obs`);
              prevDone[i] = false;
              continue;
            }
            const [sObs, sRew, sTerm, sTrunc] = singles[i]!.step(singleAction(vec, actions, i));
            assert.deepEqual(obsOf(vec, i), Array.from(sObs), where);
            assert.equal(rewards[i], sRew, where);
            assert.equal(terms[i], sTerm ? 1 : 0, where);
            assert.equal(truncs[i], sTrunc ? 1 : 0, where);
            prevDone[i] = sTerm || sTrunc;
          }
        }
        if (maxEpisodeSteps !== undefined || id.startsWith("CartPole") || id === "Pendulum-v1" || id === "MountainCar-v0") {
          assert.ok(autoresets > 0, `${id}: the run must include autoresets`);
        }
      });
    }
  }
});

describe("same-step autoreset", () => {
  for (const id of ["CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCarContinuous-v0"]) {
    it(`${id}: final_obs holds the terminal obs only where an episode ended; obs holds the reset obs`, () => {
      const { vec, singles, n } = againstSingles(id, "same-step", 25);
      const rand = uniforms(99);
      let ended = 0, quietSteps = 0;
      for (let t = 0; t < 300; t++) {
        const actions = randomActions(vec, rand);
        const [, rewards, terms, truncs, info] = vec.step(actions);
        let anyDone = false;
        for (let i = 0; i < n; i++) {
          const where = `${id} env ${i} step ${t}`;
          const [sObs, sRew, sTerm, sTrunc] = singles[i]!.step(singleAction(vec, actions, i));
          assert.equal(rewards[i], sRew, where);
          assert.equal(terms[i], sTerm ? 1 : 0, where);
          assert.equal(truncs[i], sTrunc ? 1 : 0, where);
          if (sTerm || sTrunc) {
            anyDone = true;
            ended++;
            assert.ok(info.final_obs && info._final_obs, `${where}: info has final_obs`);
            assert.equal(info._final_obs[i], 1, where);
            const od = vec.obsSize;
            assert.deepEqual(Array.from(info.final_obs.subarray(i * od, (i + 1) * od)), Array.from(sObs), `${where}: final_obs`);
            assert.deepEqual(obsOf(vec, i), Array.from(singles[i]!.reset()[0]), `${where}: obs is the reset obs`);
          } else {
            assert.deepEqual(obsOf(vec, i), Array.from(sObs), where);
            if (info._final_obs) assert.equal(info._final_obs[i], 0, `${where}: _final_obs only where ended`);
          }
        }
        if (!anyDone) {
          quietSteps++;
          assert.ok(!("final_obs" in info) && !("_final_obs" in info), `${id} step ${t}: no final_obs when nothing ended`);
        }
      }
      assert.ok(ended >= n * 5, `${id}: episodes ended ${ended} times`);
      assert.ok(quietSteps > 0);
    });
  }
});

describe("disabled autoreset", () => {
  it("stepping a done env throws; reset_mask resets only the masked envs and stepping continues", () => {
    const n = 4, seed = 3;
    const vec = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: n, autoresetMode: "disabled" });
    const singles = Array.from({ length: n }, (_, i) => {
      const env = make("CartPole-v1");
      env.reset({ seed: seed + i });
      return env;
    });
    vec.reset({ seed });
    // push left in envs 0-1 and alternate in envs 2-3: the first two topple, the others stay up
    const actions = new Float64Array(n);
    let done = new Array<boolean>(n).fill(false);
    for (let t = 0; !done.some(Boolean); t++) {
      for (let i = 0; i < n; i++) actions[i] = i < 2 ? 0 : t % 2;
      const [, , terms, truncs] = vec.step(actions);
      done = Array.from({ length: n }, (_, i) => terms[i] === 1 || truncs[i] === 1);
      for (let i = 0; i < n; i++) {
        const [o, , term] = singles[i]!.step(actions[i]!);
        assert.deepEqual(obsOf(vec, i), Array.from(o));
        assert.equal(terms[i], term ? 1 : 0);
      }
      assert.ok(t < 100);
    }
    assert.deepEqual(done.slice(2), [false, false], "the balanced envs are still running");
    assert.throws(() => vec.step(actions), /reset_mask/);
    // resetting a running env (3) is allowed but does not clear the done one
    vec.reset({ options: { reset_mask: [0, 0, 0, 1] } });
    assert.deepEqual(obsOf(vec, 3), Array.from(singles[3]!.reset()[0]), "env 3 reset continues its generator");
    assert.throws(() => vec.step(actions), /reset_mask/);
    const stateBefore = Array.from(vec.state);
    const obsBefore = Array.from(vec.obs);
    vec.reset({ options: { reset_mask: done } });
    for (let i = 0; i < n; i++) {
      if (done[i]) {
        // a masked reset continues env i's generator, as the single env's unseeded reset does
        assert.deepEqual(obsOf(vec, i), Array.from(singles[i]!.reset()[0]), `env ${i} reset`);
      } else {
        assert.deepEqual(obsOf(vec, i), obsBefore.slice(i * 4, i * 4 + 4), `env ${i} untouched`);
        for (let k = 0; k < 4; k++) assert.equal(vec.state[k * n + i], stateBefore[k * n + i], `env ${i} state untouched`);
      }
    }
    // stepping continues, in step with the single envs, until some env ends again
    for (let t = 0; t < 200; t++) {
      for (let i = 0; i < n; i++) actions[i] = (t + i) % 2;
      const [, , terms, truncs] = vec.step(actions);
      let ended = false;
      for (let i = 0; i < n; i++) {
        const [o, , term, trunc] = singles[i]!.step(actions[i]!);
        assert.deepEqual(obsOf(vec, i), Array.from(o), `env ${i} after reset, step ${t}`);
        assert.equal(terms[i], term ? 1 : 0);
        assert.equal(truncs[i], trunc ? 1 : 0);
        ended ||= term || trunc;
      }
      if (ended) {
        assert.throws(() => vec.step(actions), /reset_mask/);
        return;
      }
    }
    assert.fail("some env should end within 200 steps");
  });

  it("reset_mask must have one entry per env and cannot be used on the first reset", () => {
    const vec = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 3, autoresetMode: "disabled" });
    assert.throws(() => vec.reset({ seed: 0, options: { reset_mask: [true, true, true] } }), /first reset/);
    vec.reset({ seed: 0 });
    assert.throws(() => vec.reset({ options: { reset_mask: [true, false] } }), /3 entries/);
    assert.throws(() => vec.reset({ options: { reset_mask: undefined } }), TypeError);
  });
});

describe("bad input", () => {
  it("step() before reset() throws", () => {
    assert.throws(() => makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 }).step([0, 0]), /reset/);
  });

  it("wrong action count throws with the expected count", () => {
    const vec = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 3 });
    vec.reset({ seed: 0 });
    assert.throws(() => vec.step([0, 1]), /expected 3 actions/);
    assert.throws(() => vec.step([0, 1, 0, 1]), /expected 3 actions/);
    assert.throws(() => vec.step(1 as unknown as number[]), /expected 3 actions/);
    assert.throws(() => vec.step(null as unknown as number[]), /expected 3 actions/);
    const pend = makeVec("Pendulum-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    pend.reset({ seed: 0 });
    assert.throws(() => pend.step([0]), /expected 2 actions/);
  });

  it("out-of-range, NaN and non-integer discrete actions throw naming the space", () => {
    const vec = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 3 });
    vec.reset({ seed: 0 });
    const before = vec.getState();
    for (const bad of [2, -1, NaN, 0.5, Infinity]) {
      assert.throws(() => vec.step([0, bad, 1]), (e: Error) => e instanceof RangeError && e.message.includes("Discrete(2)") && e.message.includes(String(bad)));
    }
    assert.throws(() => vec.step(["1", 0, 0] as unknown as number[]), RangeError);
    assert.deepEqual(vec.getState(), before, "rejected steps change nothing");
  });

  it("NaN and infinite continuous actions throw", () => {
    const vec = makeVec("Pendulum-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    vec.reset({ seed: 0 });
    assert.throws(() => vec.step([0, NaN]), /env 1 is not a finite number/);
    assert.throws(() => vec.step(new Float32Array([-Infinity, 0])), /env 0 is not a finite number/);
    vec.step([5, -5]); // out-of-range torques are clipped, not refused
  });

  it("numEnvs, autoresetMode, maxEpisodeSteps and seeds are validated", () => {
    for (const numEnvs of [0, -1, 1.5, NaN]) assert.throws(() => makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs }), /numEnvs/);
    assert.throws(() => makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2, autoresetMode: "sometimes" as AutoresetMode }), /autoresetMode.*sometimes/);
    assert.throws(() => makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2, maxEpisodeSteps: 0 }), /maxEpisodeSteps/);
    const vec = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    assert.throws(() => vec.reset({ seed: -1 }), RangeError);
    assert.throws(() => vec.reset({ seed: [1, 2, 3] }), /3 seeds for 2 envs/);
    assert.throws(() => vec.reset({ seed: [1, 1.5] }), /seed\[1\]/);
    assert.throws(() => vec.reset({ options: { low: 1, high: 0 } }), RangeError);
    assert.throws(() => makeVec("Nope-v0", { vectorizationMode: "kernel" }), /Unknown environment/);
  });

  it("per-env seed arrays and bigint seeds seed env i as given", () => {
    const a = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 3 });
    a.reset({ seed: [5, 9, 2n ** 70n] });
    assert.deepEqual(obsOf(a, 1), Array.from(make("CartPole-v1").reset({ seed: 9 })[0]));
    assert.deepEqual(obsOf(a, 2), Array.from(make("CartPole-v1").reset({ seed: 2n ** 70n })[0]));
    const b = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    b.reset({ seed: 2n ** 64n });
    assert.deepEqual(obsOf(b, 1), Array.from(make("CartPole-v1").reset({ seed: 2n ** 64n + 1n })[0]));
  });
});

describe("getState/setState", () => {
  const cases: [string, AutoresetMode][] = [
    ["CartPole-v1", "next-step"],
    ["Acrobot-v1", "same-step"],
    ["Pendulum-v1", "next-step"],
    ["MountainCar-v0", "same-step"],
  ];
  for (const [id, mode] of cases) {
    it(`${id} ${mode}: a JSON snapshot restored into a new vector env continues identically`, () => {
      const n = 6;
      const vec = makeVec(id, { vectorizationMode: "kernel", numEnvs: n, autoresetMode: mode, maxEpisodeSteps: 17 });
      vec.reset({ seed: 1000 });
      const rand = uniforms(5);
      // stop right after some env finished, so a pending autoreset is part of the snapshot
      let t = 0;
      do {
        vec.step(randomActions(vec, rand));
      } while (++t < 30 || !Array.from(vec.terminations).some((x, i) => x || vec.truncations[i]));
      const json = JSON.stringify(vec.getState());
      const copy = makeVec(id, { vectorizationMode: "kernel", numEnvs: n, autoresetMode: mode, maxEpisodeSteps: 17 });
      copy.setState(JSON.parse(json));
      assert.deepEqual(Array.from(copy.obs), Array.from(vec.obs), "setState restores the observations");
      if (mode === "next-step") assert.ok(Array.from(copy.autoreset).some(Boolean), "a pending autoreset is restored");
      const original: unknown[] = [], restored: unknown[] = [];
      for (let k = 0; k < 100; k++) {
        const actions = randomActions(vec, rand);
        original.push(snapshot(vec.step(actions)));
        restored.push(snapshot(copy.step(actions)));
      }
      assert.deepEqual(restored, original);
      assert.deepEqual(copy.getState(), vec.getState());
    });
  }

  it("setState refuses a state of a different shape", () => {
    const a = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    a.reset({ seed: 0 });
    const b = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 3 });
    assert.throws(() => b.setState(a.getState()), TypeError);
    const c = makeVec("Pendulum-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    assert.throws(() => c.setState({ ...a.getState(), state: [1, 2, 3] }), TypeError);
  });

  it("a snapshot taken before reset restores an un-reset env", () => {
    const a = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    const b = makeVec("CartPole-v1", { vectorizationMode: "kernel", numEnvs: 2 });
    b.reset({ seed: 0 });
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    assert.throws(() => b.step([0, 0]), /reset/);
  });
});

describe("outputs", () => {
  it("step returns the env's own reused buffers and reset returns obs of numEnvs × obsSize", () => {
    const vec = makeVec("Acrobot-v1", { vectorizationMode: "kernel", numEnvs: 3 });
    const [obs] = vec.reset({ seed: 0 });
    assert.equal(obs.length, 3 * 6);
    const r = vec.step([0, 1, 2]);
    assert.equal(r[0], vec.obs);
    assert.equal(r[1], vec.rewards);
    assert.equal(r[2], vec.terminations);
    assert.equal(r[3], vec.truncations);
    assert.ok(vec instanceof VectorEnv);
    const frame = vec.render(2);
    assert.equal(frame.data.length, frame.width * frame.height * 3);
    assert.throws(() => vec.render(3), RangeError);
  });
});
