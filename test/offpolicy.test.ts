import assert from "node:assert/strict";
import { test } from "node:test";
import { DDPG } from "../src/algos/ddpg.js";
import { ConfigError, NonFiniteError } from "../src/algos/common.js";
import { Policy } from "../src/algos/policy.js";
import { SAC } from "../src/algos/sac.js";
import { TD3 } from "../src/algos/td3.js";
import { Env, type Info, type StepResult } from "../src/envs/env.js";
import { Box } from "../src/envs/spaces.js";
import { createBackend } from "../src/nn/backend.js";
import { Random } from "../src/rng/random.js";

const js = createBackend("js");
const small = { envId: "Pendulum-v1", seed: 3, totalTimesteps: 500, learningStarts: 200, batchSize: 16, bufferSize: 400, hiddenSizes: [16, 16] };
type Agent = SAC | TD3 | DDPG;
const algorithms: [string, (config: Record<string, unknown>) => Agent][] = [
  ["sac", (c) => new SAC({ ...small, ...c }, { backend: js })],
  ["td3", (c) => new TD3({ ...small, ...c }, { backend: js })],
  ["ddpg", (c) => new DDPG({ ...small, ...c }, { backend: js })],
];

function record(agent: Agent, checkpointAt?: number) {
  const episodes: number[] = [];
  const metrics: string[] = [];
  let saved: Uint8Array | null = null;
  agent.learn({
    onEpisode: (e) => episodes.push(e.step, e.return),
    onMetrics: (step, { "charts/SPS": _sps, ...m }) => metrics.push(JSON.stringify([step, m])), // SPS is wall-clock
    checkpoint: (step) => {
      if (step === checkpointAt) saved = agent.saveCheckpoint();
    },
  });
  return { episodes, metrics, saved: saved as Uint8Array | null, params: agent.actor.parameterView().slice() };
}

for (const [name, make] of algorithms) {
  test(`${name}: the same seed gives the same run; exact resume from a checkpoint (networks, optimizers, α, buffer, RNGs, env)`, () => {
    const a = record(make({}), 350);
    const b = record(make({}));
    assert.ok(a.episodes.length >= 4 && a.metrics.length >= 2);
    assert.deepEqual(b.episodes, a.episodes);
    assert.deepEqual(b.params, a.params);
    const other = record(make({ seed: 4 }));
    assert.notDeepEqual(other.params, a.params);

    const resumed = make({});
    resumed.loadCheckpoint(a.saved!);
    const rest = record(resumed);
    const tail = (xs: number[]) => xs.slice(xs.findIndex((_, i) => i % 2 === 0 && xs[i]! > 350));
    assert.deepEqual(rest.episodes, tail(a.episodes));
    assert.deepEqual(rest.metrics, a.metrics.filter((m) => (JSON.parse(m) as [number])[0] > 350));
    assert.deepEqual(rest.params, a.params);
  });
}

test("saved policies act deterministically through the existing Policy class (tanh(μ)·scale + bias), within the bounds", () => {
  for (const [name, make] of algorithms) {
    const agent = make({ totalTimesteps: 260 });
    agent.learn();
    const policy = new Policy(agent.savePolicy(), { backend: js, maxBatch: 2 });
    assert.equal(policy.saved.algo, name);
    const obs = Float32Array.of(0.3, -0.9, 1.5, -1, 0, -7);
    const out = new Float64Array(2);
    policy.act(obs, 2, out);
    agent.actor.inputView(2).set(obs);
    const head = agent.actor.outputView(2);
    agent.actor.forward(2);
    for (let b = 0; b < 2; b++) {
      const expected = name === "sac" ? Math.tanh(head[2 * b]!) * 2 : head[b]! * 2; // Pendulum: scale 2, bias 0; SAC rows [μ, log-std]
      assert.ok(Math.abs(out[b]! - expected) < 1e-6, `${name}: ${out[b]} vs ${expected}`);
    }
    const action = policy.predict(Float32Array.of(1, 0, 0)) as Float32Array;
    assert.ok(action.length === 1 && action[0]! >= -2 && action[0]! <= 2);
    if (name === "sac") {
      const sampled = new Float64Array(2);
      policy.act(obs, 2, sampled, new Random(5));
      assert.ok(sampled.every((x) => Math.abs(x) <= 2) && sampled.some((x, i) => x !== out[i]));
    }
  }
});


class Unbounded extends Env<Float32Array, Float32Array> {
  readonly observationSpace = new Box(-1, 1, [1], "float32");
  readonly actionSpace = new Box(-Infinity, Infinity, [1], "float32");
  step(): StepResult<Float32Array> {
    return [Float32Array.of(0), 0, false, false, {}];
  }
  override reset(args: { seed?: number } = {}): [Float32Array, Info] {
    super.reset(args);
    return [Float32Array.of(0), {}];
  }
}

/** Observations jump to 3e38 after 300 steps: float32 overflows to Inf/NaN in the critics, which must stop training with the update number. */
class PoisonedReward extends Env<Float32Array, Float32Array> {
  readonly observationSpace = new Box(-Infinity, Infinity, [1], "float32");
  readonly actionSpace = new Box(-1, 1, [1], "float32");
  private t = 0;
  step(): StepResult<Float32Array> {
    this.t++;
    return [Float32Array.of(this.t > 300 ? 3e38 : 0.5), 1, false, this.t % 50 === 0, {}];
  }
  override reset(args: { seed?: number } = {}): [Float32Array, Info] {
    super.reset(args);
    return [Float32Array.of(0), {}];
  }
  override getState() {
    return { t: this.t };
  }
  override setState(s: unknown) {
    this.t = (s as { t: number }).t;
  }
}

test("bad input: Discrete actions say to use DQN or PPO; unbounded Box actions need bounds; NaN stops with the update and the tensor", () => {
  for (const [name, make] of algorithms) {
    assert.throws(() => make({ envId: "CartPole-v1" }), (e: Error) => e instanceof ConfigError && /Discrete/.test(e.message) && /use DQN or PPO/.test(e.message), name);
    assert.throws(() => make({ envId: undefined, env: () => new Unbounded() }), (e: Error) => e instanceof ConfigError && /unbounded/.test(e.message) && /finite low and high bounds/.test(e.message), name);
    assert.throws(() => make({ envId: undefined, env: () => new PoisonedReward(), learningStarts: 100 }).learn(), (e: Error) => e instanceof NonFiniteError && /at update \d+ \(global step \d+\)/.test(e.message) && /critics' loss|qf1 values/.test(e.message), name);
  }
  assert.throws(() => new SAC({ ...small, batchSize: 0 }), /batchSize/);
});
