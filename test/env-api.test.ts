/** The single-env API: make(), reset/step ordering, action checking, seeding, reset options, state, render. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Action, Box, Discrete, type Env, KernelEnv, PassiveEnvChecker, TimeLimit, listEnvs, make, spec } from "../src/index.js";
import { uniforms } from "./random.js";

/** Gymnasium's classic control (namespaced ids such as MinAtar/… are tested in their own files). */
const CLASSIC_IDS = listEnvs()
  .map((s) => s.id)
  .filter((id) => !id.includes("/"));

// numpy: g = np.random.default_rng(2024); g.uniform(-0.05, 0.05, size=(4,)).astype(np.float32), twice
const CARTPOLE_RESET_2024 = [0.017583133652806282, -0.028567679226398468, -0.019054796546697617, 0.02994661033153534];
const CARTPOLE_RESET_2024_SECOND = [0.04958020895719528, -0.03577682003378868, -0.042127445340156555, -0.031917620450258255];
// numpy: np.random.default_rng(2024).uniform(0.1, 0.2, size=(4,)).astype(np.float32)
const CARTPOLE_RESET_2024_LOW_HIGH = [0.1675831377506256, 0.12143231928348541, 0.13094520568847656, 0.17994661629199982];


/** A random valid action for `env`'s action space. */
function randomAction(env: Env, rand: () => number): Action {
  const space = env.actionSpace as Discrete | Box;
  if (space instanceof Discrete) return space.start + Math.floor(rand() * space.n);
  return Array.from(space.low, (lo, k) => lo + (space.high[k]! - lo) * rand());
}

function errorMatching(...patterns: (string | RegExp)[]) {
  return (err: unknown) => {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    for (const p of patterns) {
      if (typeof p === "string") assert.ok(err.message.includes(p), `message should contain ${JSON.stringify(p)}: ${err.message}`);
      else assert.match(err.message, p);
    }
    return true;
  };
}

describe("make() and spec()", () => {
  it("unknown version names the registered versions", () => {
    assert.throws(() => make("CartPole-v2"), errorMatching("CartPole-v2", "CartPole-v1", "CartPole-v0"));
  });

  it("unknown id suggests close ids", () => {
    assert.throws(() => make("Cartpole"), errorMatching("Cartpole", "CartPole-v1"));
    assert.throws(() => make("cartpole-v1"), errorMatching("CartPole-v1"));
    assert.throws(() => make("Pendulm-v1"), errorMatching("Pendulum-v1"));
    assert.throws(() => make("MountainCar"), errorMatching("MountainCar-v0"));
  });

  it("non-string ids throw a TypeError", () => {
    assert.throws(() => spec(42 as unknown as string), TypeError);
  });

  it("every registered id makes an env wrapped in its TimeLimit", () => {
    const ids = CLASSIC_IDS;
    assert.deepEqual(ids.sort(), ["Acrobot-v1", "CartPole-v0", "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]);
    for (const s of listEnvs().filter((e) => CLASSIC_IDS.includes(e.id))) {
      const env = make(s.id);
      assert.ok(env instanceof TimeLimit, s.id);
      assert.equal((env as TimeLimit).maxEpisodeSteps, s.maxEpisodeSteps);
      assert.equal(env.spec?.id, s.id);
      assert.ok(env.unwrapped instanceof KernelEnv);
    }
    assert.equal((make("CartPole-v1", { maxEpisodeSteps: 7 }) as TimeLimit).maxEpisodeSteps, 7);
    assert.ok(make("CartPole-v1", { maxEpisodeSteps: null, disableEnvChecker: true }) instanceof KernelEnv);
    assert.ok(make("CartPole-v1", { maxEpisodeSteps: null }) instanceof PassiveEnvChecker, "make validates the first reset and step, as gym.make does");
    assert.throws(() => make("CartPole-v1", { maxEpisodeSteps: 0 }), RangeError);
  });
});

describe("episode lifecycle", () => {
  it("step() before reset() throws and mentions reset", () => {
    for (const id of ["CartPole-v1", "Pendulum-v1"]) {
      const env = make(id);
      assert.throws(() => env.step(id === "Pendulum-v1" ? [0] : 0), errorMatching(/reset/));
      assert.throws(() => env.render(), errorMatching(/reset/));
    }
  });

  it("step() after termination throws until reset()", () => {
    const env = make("CartPole-v1");
    env.reset({ seed: 0 });
    let steps = 0, terminated = false;
    while (!terminated) {
      const [, reward, term, trunc] = env.step(1);
      assert.equal(reward, 1);
      assert.equal(trunc, false);
      terminated = term;
      assert.ok(++steps < 100, "pushing right must topple the pole quickly");
    }
    assert.throws(() => env.step(1), errorMatching(/reset/));
    assert.throws(() => env.step(0), errorMatching(/reset/));
    env.reset();
    const [, , term] = env.step(0);
    assert.equal(term, false);
  });

  it("step() after TimeLimit truncation throws until reset()", () => {
    const env = make("CartPole-v1", { maxEpisodeSteps: 5 });
    env.reset({ seed: 1 });
    for (let t = 1; t <= 5; t++) {
      const [, , term, trunc] = env.step(t % 2);
      assert.equal(term, false);
      assert.equal(trunc, t === 5, `step ${t}`);
    }
    assert.throws(() => env.step(0), errorMatching(/reset/));
    env.reset();
    assert.equal(env.step(0)[3], false);
  });
});

describe("action checking", () => {
  it("invalid CartPole actions throw naming the action space, and do not advance the env", () => {
    const env = make("CartPole-v1");
    const twin = make("CartPole-v1");
    env.reset({ seed: 5 });
    twin.reset({ seed: 5 });
    for (const bad of [2, -1, 0.5, "1", NaN, [0], new Float32Array([1]), null, undefined, true]) {
      assert.throws(() => env.step(bad as unknown as Action), errorMatching("Discrete(2)"), `action ${String(bad)}`);
    }
    assert.deepEqual(env.step(1), twin.step(1));
  });

  it("invalid Pendulum actions throw", () => {
    const env = make("Pendulum-v1");
    env.reset({ seed: 0 });
    assert.throws(() => env.step(1 as unknown as Action), errorMatching("Box(-2, 2, (1,), float32)"));
    assert.throws(() => env.step([NaN]), errorMatching(/action/, /NaN/));
    assert.throws(() => env.step(new Float32Array([Infinity])), errorMatching(/action/));
    assert.throws(() => env.step([]), errorMatching("Box(-2, 2, (1,), float32)"));
    assert.throws(() => env.step([0, 0]), errorMatching("Box(-2, 2, (1,), float32)"));
    assert.throws(() => env.step(["1"] as unknown as Action), errorMatching(/action/));
    // valid forms: arrays and typed arrays of one number; out-of-range torques are clipped as in Gymnasium
    const a = make("Pendulum-v1"), b = make("Pendulum-v1");
    a.reset({ seed: 3 });
    b.reset({ seed: 3 });
    assert.deepEqual(a.step([5]), b.step(new Float32Array([2])));
    assert.deepEqual(a.step(new Float64Array([-0.5])), b.step([-0.5]));
  });
});

describe("seeding", () => {
  it("reset({seed}) matches numpy default_rng(seed).uniform(-0.05, 0.05, 4) and later resets continue the generator", () => {
    const env = make("CartPole-v1");
    const [obs, info] = env.reset({ seed: 2024 });
    assert.ok(obs instanceof Float32Array);
    assert.deepEqual(Array.from(obs), CARTPOLE_RESET_2024);
    assert.deepEqual(info, {});
    env.step(0);
    assert.deepEqual(Array.from(env.reset()[0]), CARTPOLE_RESET_2024_SECOND);
  });

  it("reset without seed after a seeded reset: alike-seeded envs agree, a reseed differs", () => {
    for (const id of CLASSIC_IDS) {
      const a = make(id), b = make(id);
      const a0 = a.reset({ seed: 77 })[0], b0 = b.reset({ seed: 77 })[0];
      assert.deepEqual(a0, b0, id);
      const a1 = a.reset()[0], b1 = b.reset()[0];
      assert.deepEqual(a1, b1, id);
      const a2 = a.reset()[0], b2 = b.reset()[0];
      assert.deepEqual(a2, b2, id);
      assert.notDeepEqual(a1, a0, `${id}: the unseeded reset continues the generator`);
      assert.notDeepEqual(a2, a1, id);
      assert.deepEqual(a.reset({ seed: 77 })[0], a0, `${id}: reseeding restarts`);
    }
  });

  it("unseeded fresh envs draw OS entropy", () => {
    const a = make("CartPole-v1").reset()[0], b = make("CartPole-v1").reset()[0];
    assert.notDeepEqual(a, b);
  });

  it("bigint seeds work and equal number seeds give equal resets", () => {
    assert.deepEqual(make("CartPole-v1").reset({ seed: 2024n })[0], make("CartPole-v1").reset({ seed: 2024 })[0]);
  });
});

describe("reset options", () => {
  it("CartPole {low, high} is honoured (numpy default_rng(2024).uniform(0.1, 0.2, 4))", () => {
    const env = make("CartPole-v1");
    assert.deepEqual(Array.from(env.reset({ seed: 2024, options: { low: 0.1, high: 0.2 } })[0]), CARTPOLE_RESET_2024_LOW_HIGH);
    for (let k = 0; k < 20; k++) {
      for (const v of env.reset({ options: { low: -0.3, high: -0.25 } })[0]) assert.ok(v >= Math.fround(-0.3) && v <= -0.25, String(v));
    }
  });

  it("low > high and non-numeric bounds throw", () => {
    const env = make("CartPole-v1");
    assert.throws(() => env.reset({ seed: 0, options: { low: 0.2, high: 0.1 } }), RangeError);
    assert.throws(() => env.reset({ options: { low: "abc" } }), TypeError);
    assert.throws(() => env.reset({ options: { high: NaN } }), TypeError);
    assert.throws(() => env.step(0), errorMatching(/reset/), "a rejected reset leaves the env un-reset");
  });
});

describe("KernelEnv getState/setState", () => {
  for (const id of CLASSIC_IDS) {
    it(`${id}: a restored env replays identically, across unseeded resets`, () => {
      const env = make(id, { maxEpisodeSteps: null, disableEnvChecker: true }) as KernelEnv;
      const rand = uniforms(11);
      env.reset({ seed: 8 });
      for (let t = 0; t < 25; t++) if (env.step(randomAction(env, rand))[2]) env.reset();
      const saved = JSON.parse(JSON.stringify(env.getState()));
      const restored = make(id, { maxEpisodeSteps: null, disableEnvChecker: true }) as KernelEnv;
      restored.setState(saved);
      const actionsRand = uniforms(12);
      let resets = 0;
      for (let t = 0; t < 120; t++) {
        if (t % 40 === 39) {
          resets++;
          assert.deepEqual(restored.reset(), env.reset(), `${id} reset at ${t}`);
          continue;
        }
        const action = randomAction(env, actionsRand);
        const r1 = env.step(action), r2 = restored.step(action);
        assert.deepEqual(r2, r1, `${id} step ${t}`);
        if (r1[2]) {
          resets++;
          assert.deepEqual(restored.reset(), env.reset());
        }
      }
      assert.ok(resets >= 2);
      assert.deepEqual(restored.getState(), env.getState());
    });
  }

  it("the phase is restored too: an ended episode stays ended", () => {
    const env = make("CartPole-v1", { maxEpisodeSteps: null, disableEnvChecker: true }) as KernelEnv;
    env.reset({ seed: 0 });
    while (!env.step(1)[2]);
    const restored = make("CartPole-v1", { maxEpisodeSteps: null, disableEnvChecker: true }) as KernelEnv;
    restored.setState(env.getState());
    assert.throws(() => restored.step(0), errorMatching(/reset/));
    assert.throws(() => restored.setState({ ...env.getState(), state: [1, 2] }), TypeError);
  });
});

describe("render()", () => {
  for (const id of CLASSIC_IDS) {
    it(`${id}: width * height * 3 bytes, not blank, changes as the env moves`, () => {
      const env = make(id);
      env.reset({ seed: 0 });
      const rand = uniforms(1);
      const f1 = env.render()!;
      const { width, height } = (env.unwrapped as KernelEnv).kernel.renderSize;
      assert.equal(f1.width, width);
      assert.equal(f1.height, height);
      assert.ok(f1.data instanceof Uint8Array);
      assert.equal(f1.data.length, width * height * 3);
      assert.ok(new Set(f1.data).size > 1, "a frame is not one flat colour");
      const before = Buffer.from(f1.data);
      for (let t = 0; t < 10; t++) if (env.step(id.startsWith("CartPole") ? 1 : randomAction(env, rand))[2]) break;
      assert.ok(!before.equals(env.render()!.data), "the frame follows the state");
    });
  }
});
