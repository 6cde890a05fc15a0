/** Bring your own environment: Gymnasium-style classes, spaces, register/make, checkers, SyncVectorEnv, and training on them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import "../examples/catch/catch.js";
import {
  Box,
  DQN,
  Dict,
  Discrete,
  Env,
  EnvCheckError,
  type Info,
  MultiBinary,
  MultiDiscrete,
  NotCheckpointableError,
  PPO,
  PassiveEnvChecker,
  type StepResult,
  SyncVectorEnv,
  TimeLimit,
  Tuple,
  checkEnv,
  flatdim,
  flatten,
  kernelOf,
  type KernelEnv,
  make,
  makeVec,
  register,
  unflatten,
} from "../src/index.js";

/** A point that moves by its Box action towards a target on a line; reward −|distance|. */
class Reach extends Env<Float32Array, Float32Array> {
  readonly observationSpace = new Box(-10, 10, [2], "float32");
  readonly actionSpace = new Box(-1, 1, [1], "float32");
  private position = 0;
  private target = 0;
  override reset(args: { seed?: number } = {}): [Float32Array, Info] {
    super.reset(args);
    this.position = this.npRandom.uniform(-2, 2);
    this.target = this.npRandom.uniform(-2, 2);
    return [this.observe(), {}];
  }
  step(action: Float32Array): StepResult<Float32Array> {
    this.position = Math.max(-10, Math.min(10, this.position + Math.max(-1, Math.min(1, action[0]!))));
    return [this.observe(), -Math.abs(this.position - this.target), false, false, {}];
  }
  private observe(): Float32Array {
    return Float32Array.of(this.position, this.target);
  }
  override getState() {
    return { position: this.position, target: this.target };
  }
  override setState(s: unknown) {
    ({ position: this.position, target: this.target } = s as { position: number; target: number });
  }
}

/** Actions -1, 0, 1 (Discrete with start), a Dict observation; ends after 5 steps. */
class Shift extends Env<Record<string, unknown>, number> {
  readonly observationSpace = new Dict({ position: new Box(-5, 5, [1], "int32"), flags: new MultiBinary(2) });
  readonly actionSpace = new Discrete(3, -1);
  private x = 0;
  private t = 0;
  override reset(args = {}): [Record<string, unknown>, Info] {
    super.reset(args);
    this.x = 0;
    this.t = 0;
    return [this.observe(), {}];
  }
  step(action: number): StepResult<Record<string, unknown>> {
    if (!this.actionSpace.contains(action)) throw new RangeError(`bad action ${action}`);
    this.x = Math.max(-5, Math.min(5, this.x + action));
    this.t++;
    return [this.observe(), this.x, false, this.t >= 5, { x: this.x }];
  }
  private observe() {
    return { position: Int32Array.of(this.x), flags: Int8Array.of(this.x > 0 ? 1 : 0, this.x < 0 ? 1 : 0) };
  }
}

register({ id: "TestReach-v0", entryPoint: () => new Reach(), maxEpisodeSteps: 20 });
register({ id: "TestShift-v0", entryPoint: () => new Shift() });

describe("spaces sample as Gymnasium does (numpy Generator calls)", () => {
  // expected values: numpy 2.4 default_rng(seed) with the calls Gymnasium 1.x's spaces make
  it("MultiBinary: integers(0, 2, size=n, dtype=int8)", () => {
    const s = new MultiBinary(10);
    s.seed(3);
    assert.deepEqual(Array.from(s.sample()), [1, 1, 1, 1, 1, 0, 1, 0, 1, 1]);
    assert.deepEqual(Array.from(s.sample()), [0, 1, 1, 0, 0, 1, 0, 0, 1, 0]);
  });
  it("MultiDiscrete with start: (random(shape) * nvec).astype(int) + start", () => {
    const s = new MultiDiscrete([3, 5, 2], [0, 1, -1]);
    s.seed(4);
    assert.deepEqual(Array.from(s.sample()), [2, 3, 0]);
    assert.deepEqual(Array.from(s.sample()), [0, 4, -1]);
    assert.ok(s.contains([0, 5, 0]) && !s.contains([0, 6, 0]) && !s.contains([0, 1]));
  });
  it("Tuple seeds its sub-spaces from integers(int32 max) draws", () => {
    const s = new Tuple([new Discrete(4), new Discrete(7)]);
    assert.deepEqual(s.seed(5), [5, 1440510675, 1728730614]);
    assert.deepEqual(s.sample(), [2, 1]);
  });
  it("Box of an integer dtype: uniform over [low, high + 1), floored", () => {
    const s = new Box(0, 255, [4], "uint8");
    s.seed(6);
    const v = s.sample();
    assert.ok(v instanceof Uint8Array);
    assert.deepEqual(Array.from(v), [137, 87, 94, 95]);
    assert.equal(s.contains([1.5, 0, 0, 0]), false, "integer dtypes hold integers");
  });
  it("Dict sorts its keys, flattens in that order and round-trips", () => {
    const s = new Dict({ b: new Discrete(3), a: new Box(-1, 1, [2]) });
    assert.deepEqual(s.keys, ["a", "b"]);
    assert.equal(flatdim(s), 5);
    const value = { b: 2, a: Float32Array.of(0.5, -0.25) };
    const flat = flatten(s, value);
    assert.deepEqual(Array.from(flat), [0.5, -0.25, 0, 0, 1]);
    const back = unflatten(s, flat) as { a: Float32Array; b: number };
    assert.equal(back.b, 2);
    assert.deepEqual(Array.from(back.a), [0.5, -0.25]);
    assert.throws(() => flatten(s, { b: 2 }), /missing key "a"/);
  });
  it("bad bounds and dtypes are refused with the field named", () => {
    assert.throws(() => new Box(0, 300, [2], "uint8"), /uint8.*\[0, 255\]/);
    assert.throws(() => new Box(0, 1, [2], "float16" as never), /dtype must be one of/);
    assert.throws(() => new MultiDiscrete([3, 0]), /positive integers/);
  });
});

describe("your own Env class", () => {
  it("registers, makes (PassiveEnvChecker + TimeLimit) and passes checkEnv", () => {
    const env = make("Catch-v0");
    assert.ok(env instanceof TimeLimit);
    assert.ok((env as TimeLimit).env instanceof PassiveEnvChecker);
    checkEnv(env);
    checkEnv(make("TestReach-v0"));
    checkEnv(make("TestShift-v0"));
  });

  it("reset({seed}) seeds npRandom exactly as Gymnasium's np_random (default_rng(seed))", () => {
    const env = make<Float32Array, number>("Catch-v0");
    // numpy: np.random.default_rng(0).integers(5) == 4
    const [obs] = env.reset({ seed: 0 });
    assert.equal(obs[4], 1, "the ball starts in column 4");
  });

  it("make passes keyword arguments to the entry point, over the registered ones", () => {
    const env = make<Float32Array, number>("Catch-v0", { rows: 6, columns: 3 });
    assert.deepEqual((env.observationSpace as Box).shape, [6, 3]);
    assert.equal(env.reset({ seed: 1 })[0].length, 18);
  });

  it("bad envs get errors that name the env and the field", () => {
    class WrongArity extends Env<Float32Array, number> {
      readonly observationSpace = new Box(0, 1, [2]);
      readonly actionSpace = new Discrete(2);
      override reset(): [Float32Array, Info] {
        return [new Float32Array(2), {}];
      }
      step(): StepResult<Float32Array> {
        return [new Float32Array(2), 0, false, {}] as unknown as StepResult<Float32Array>;
      }
    }
    class NaNObs extends WrongArity {
      override reset(): [Float32Array, Info] {
        return [Float32Array.of(0, NaN), {}];
      }
    }
    class Outside extends WrongArity {
      override reset(): [Float32Array, Info] {
        return [Float32Array.of(0, 2), {}];
      }
    }
    class WrongShape extends WrongArity {
      override reset(): [Float32Array, Info] {
        return [new Float32Array(3), {}];
      }
    }
    register({ id: "TestWrongArity-v0", entryPoint: () => new WrongArity() });
    register({ id: "TestNaN-v0", entryPoint: () => new NaNObs() });
    register({ id: "TestOutside-v0", entryPoint: () => new Outside() });
    register({ id: "TestWrongShape-v0", entryPoint: () => new WrongShape() });
    const arity = make("TestWrongArity-v0");
    arity.reset();
    assert.throws(() => arity.step(0), (e: Error) => e instanceof EnvCheckError && /TestWrongArity-v0: step\(\) must return \[observation, reward, terminated, truncated, info\]/.test(e.message));
    assert.throws(() => make("TestNaN-v0").reset(), /TestNaN-v0: reset\(\) observation\[1\] is NaN/);
    assert.throws(() => make("TestOutside-v0").reset(), /TestOutside-v0: reset\(\) observation .* is not in observationSpace Box\(0, 1, \(2,\), float32\)/);
    assert.throws(() => make("TestWrongShape-v0").reset(), /has 3 numbers, but observationSpace .* holds 2/);
    assert.throws(() => new PPO({ envId: "TestNaN-v0", seed: 1, totalTimesteps: 512 }).learn(), /NaN/);
  });

  it("register refuses duplicates and entry points that are not factories", () => {
    assert.throws(() => register({ id: "Catch-v0", entryPoint: () => new Reach() }), /already registered/);
    assert.throws(() => register({ id: "TestBad-v0", entryPoint: {} as never }), /entryPoint must be a function returning an Env/);
    assert.throws(() => register({ id: "no version", entryPoint: () => new Reach() }), /must look like "Name-v0"/);
    register({ id: "TestNotEnv-v0", entryPoint: (() => ({ step() {} })) as never });
    assert.throws(() => make("TestNotEnv-v0"), /must return an Env/);
  });
});

describe("SyncVectorEnv over Env classes", () => {
  it("env i is seeded with seed + i and steps exactly as a single env", () => {
    const vec = makeVec("Catch-v0", { numEnvs: 3, autoresetMode: "same-step" });
    assert.ok(vec instanceof SyncVectorEnv);
    const singles = [0, 1, 2].map(() => make<Float32Array, number>("Catch-v0"));
    const [obs] = vec.reset({ seed: 10 });
    singles.forEach((env, i) => assert.deepEqual(Array.from(obs.subarray(i * 50, i * 50 + 50)), Array.from(env.reset({ seed: 10 + i })[0])));
    for (let t = 0; t < 30; t++) {
      const actions = Int32Array.of(t % 3, (t + 1) % 3, 2);
      const [o, r, term, , info] = vec.step(actions);
      singles.forEach((env, i) => {
        let [so, sr, st] = env.step(actions[i]!);
        assert.equal(r[i], sr);
        assert.equal(term[i], st ? 1 : 0);
        if (st) {
          const final = info.final_obs as Float32Array;
          assert.deepEqual(Array.from(final.subarray(i * 50, i * 50 + 50)), Array.from(so));
          [so] = env.reset();
        }
        assert.deepEqual(Array.from(o.subarray(i * 50, i * 50 + 50)), Array.from(so), `env ${i} step ${t}`);
      });
    }
  });

  it("next-step autoreset, Dict observations flattened, Discrete actions with start, infos merged", () => {
    const vec = makeVec("TestShift-v0", { numEnvs: 2 });
    assert.equal(vec.obsSize, 3);
    vec.reset({ seed: 0 });
    let last = vec.step(Int32Array.of(1, -1));
    assert.deepEqual(Array.from(last[0]), [1, 0, 1, 0, 1, -1], "keys in sorted order: flags, then position");
    assert.deepEqual(Array.from(last[4].x as Float64Array), [1, -1]);
    for (let t = 1; t < 5; t++) last = vec.step(Int32Array.of(1, -1));
    assert.deepEqual(Array.from(last[3]), [1, 1], "truncated after 5 steps");
    const after = vec.step(Int32Array.of(1, 1));
    assert.deepEqual(Array.from(after[1]), [0, 0], "the next step resets (reward 0)");
    assert.throws(() => vec.step(Int32Array.of(2, 0)), /action 2 for env 0 is outside Discrete\(3, start=-1\)/);
  });

  it("getState/setState continue exactly; an env without them says how to make it checkpointable", () => {
    const a = makeVec("Catch-v0", { numEnvs: 2 });
    a.reset({ seed: 3 });
    for (let t = 0; t < 13; t++) a.step(Int32Array.of(t % 3, 1));
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const b = makeVec("Catch-v0", { numEnvs: 2 });
    b.setState(saved);
    for (let t = 0; t < 40; t++) {
      const actions = Int32Array.of(t % 3, (t * 7) % 3);
      const [oa, ra] = a.step(actions);
      const [ob, rb] = b.step(actions);
      assert.deepEqual(Array.from(ob), Array.from(oa));
      assert.deepEqual(Array.from(rb), Array.from(ra));
    }
    const shift = makeVec("TestShift-v0", { numEnvs: 1 });
    shift.reset({ seed: 0 });
    assert.throws(() => shift.getState(), (e: Error) => e instanceof NotCheckpointableError && /implement getState\(\)/.test(e.message));
  });
});

describe("PPO and DQN train on your env", () => {
  it("PPO learns Catch (image observation) from a registered id, and from a factory", () => {
    const ppo = new PPO({ envId: "Catch-v0", seed: 1, totalTimesteps: 120_000 });
    const result = ppo.learn();
    assert.ok(result.final_mean_return > 0.8, `PPO on Catch: ${result.final_mean_return}`);
    const policy = ppo.savePolicy();
    assert.ok(policy.length > 0);
    const fromFactory = new PPO({ env: () => make("Catch-v0"), seed: 1, totalTimesteps: 4096 });
    assert.equal(fromFactory.config.envId, "Catch-v0");
  });

  it("DQN learns Catch; PPO learns a Box-action env", () => {
    const dqn = new DQN({ envId: "Catch-v0", seed: 1, totalTimesteps: 30_000, learningStarts: 1000, explorationFraction: 0.3, targetNetworkFrequency: 250 });
    const d = dqn.learn();
    assert.ok(d.final_mean_return > 0.5, `DQN on Catch: ${d.final_mean_return}`);
    const first = new PPO({ envId: "TestReach-v0", seed: 2, totalTimesteps: 4096, numSteps: 512, numEnvs: 4 });
    const early = first.learn().final_mean_return;
    const trained = new PPO({ envId: "TestReach-v0", seed: 2, totalTimesteps: 60_000, numSteps: 512, numEnvs: 4 }).learn().final_mean_return;
    assert.ok(trained > early + 5, `PPO on Reach: ${early} → ${trained}`);
  });

  it("spaces an algorithm cannot handle are refused with what to do", () => {
    assert.throws(() => new DQN({ envId: "TestReach-v0" }), /DQN needs a Discrete action space; TestReach-v0 has Box.*Use PPO/);
    class DictAction extends Reach {
      override readonly actionSpace = new Dict({ move: new Box(-1, 1, [1]) }) as never;
    }
    assert.throws(() => new PPO({ env: () => new DictAction() }), /PPO needs a Discrete or Box action space/);
    assert.throws(() => new PPO({}), /say what to train on: envId .* or env/);
    assert.throws(() => new PPO({ env: (() => 42) as never }), /not an Env/);
  });
});

describe("the kernel contract: named state and parameters, Gymnasium's constructor arguments", () => {
  it("make passes kwargs to built-in kernels as Gymnasium's constructors take them", () => {
    const env = make<Float32Array, number[]>("Pendulum-v1", { g: 0, disableEnvChecker: true, maxEpisodeSteps: null }) as unknown as KernelEnv;
    assert.equal(env.kernel.params.g, 0);
    env.reset({ seed: 1 });
    const [, thetaDot] = env.state;
    env.step([0]);
    assert.equal(env.state[1], Math.min(8, Math.max(-8, thetaDot!)), "no gravity, no torque: theta_dot is unchanged");
    const sb = make<Float32Array, number>("CartPole-v1", { sutton_barto_reward: true });
    sb.reset({ seed: 0 });
    let last: StepResult<Float32Array>;
    do last = sb.step(1);
    while (!last[2]);
    assert.equal(last[1], -1, "Sutton & Barto's reward: −1 on failure");
    assert.throws(() => make("CartPole-v1", { gravity: 3 }), /CartPole has no keyword argument "gravity"; it takes sutton_barto_reward/);
    assert.throws(() => make("Pendulum-v1", { g: "strong" }), /g must be a finite number/);
    assert.doesNotThrow(() => make("Acrobot-v1", { render_mode: "rgb_array" }));
  });

  it("kernels name their state fields and parameters (gymnax's EnvState / EnvParams)", () => {
    const cartpole = kernelOf("CartPole-v1")!;
    assert.deepEqual(cartpole.stateFields, ["x", "x_dot", "theta", "theta_dot"]);
    assert.deepEqual(cartpole.params, { sutton_barto_reward: false });
    assert.equal(kernelOf("Catch-v0"), null, "a plain Env class is not a kernel");
  });
});

describe("FlattenObservation", () => {
  it("turns a Dict observation into one float32 vector in a flat Box", async () => {
    const { wrappers } = await import("../src/index.js");
    const env = new wrappers.FlattenObservation(make("TestShift-v0"));
    assert.equal(String(env.observationSpace), "Box([0, 0, -5], [1, 1, 5], (3,), float32)");
    env.reset({ seed: 0 });
    const [obs] = env.step(-1);
    assert.deepEqual(Array.from(obs), [0, 1, -1]);
  });
});

describe("convolutional bodies for image observations", () => {
  it("PPO and DQN put convChannels convolutions before the dense layers; non-image envs are refused", () => {
    // MinAtar's DQN (examples/minatar/dqn.yaml): smooth-L1 loss, centered RMSprop, an update per frame
    const dqn = new DQN({ envId: "MinAtar/Breakout-v1", seed: 1, totalTimesteps: 1200, learningStarts: 600, convChannels: [16], hiddenSizes: [128], bufferSize: 2000, loss: "huber", optimizer: "rmsprop-centered", learningRate: 2.5e-4, trainFrequency: 1, batchSize: 32 });
    assert.deepEqual(dqn.qNetwork.inputShape, [10, 10, 4]);
    assert.deepEqual(dqn.qNetwork.describe().layers.map((l) => l.kind), ["conv2d", "relu", "linear", "relu", "linear"]);
    const losses: number[] = [];
    dqn.learn({ onMetrics: (_, m) => losses.push(m["losses/td_loss"]!) });
    assert.ok(losses.length > 0 && losses.every(Number.isFinite));
    const ppo = new PPO({ envId: "MinAtar/Breakout-v1", seed: 1, totalTimesteps: 512, convChannels: [16], hiddenSizes: [128] });
    assert.equal(ppo.actor.describe().layers[0]!.kind, "conv2d");
    assert.throws(() => new PPO({ envId: "CartPole-v1", convChannels: [16] }), /convChannels needs image observations shaped \[height, width, channels\]/);
  });
});

describe("vector entry points (Gymnasium's vector_entry_point)", () => {
  it("MinAtar ids make the class with make and the kernel loop with makeVec, with the same observations", () => {
    const vec = makeVec("MinAtar/Breakout-v1", { numEnvs: 2 });
    assert.equal(vec.constructor.name, "VectorEnv");
    const [batch] = vec.reset({ seed: 9 });
    const single = make<Uint8Array, number>("MinAtar/Breakout-v1");
    assert.deepEqual(Array.from(batch.subarray(0, 400)), Array.from(single.reset({ seed: 9 })[0]));
    assert.equal(kernelOf("MinAtar/Breakout-v1")!.actionSpace.toString(), "Discrete(3)");
    assert.throws(() => register({ id: "TestVecBad-v0", entryPoint: () => new Reach(), vectorEntryPoint: 5 as never }), /vectorEntryPoint must be a function/);
  });
});
