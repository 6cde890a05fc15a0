/** evaluatePolicy: whole episodes of a policy apart from training, as SB3's evaluate_policy runs them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicy } from "../src/algos/evaluate.js";
import { PPO } from "../src/algos/ppo.js";
import { Policy } from "../src/algos/policy.js";
import { make } from "../src/envs/registry.js";

/** Push the cart toward where the pole leans: a decent CartPole controller. */
const lean = (obs: Float32Array) => (obs[2]! + 0.5 * obs[3]! > 0 ? 1 : 0);

describe("evaluatePolicy", () => {
  it("runs N episodes seeded like Gymnasium (first reset seeded, later ones continuing) and reports their returns", () => {
    const result = evaluatePolicy({ predict: lean }, "CartPole-v1", { episodes: 4, seed: 7 });
    // the same episodes by hand
    const env = make("CartPole-v1");
    const returns: number[] = [];
    const lengths: number[] = [];
    for (let e = 0; e < 4; e++) {
      let [obs] = env.reset(e === 0 ? { seed: 7 } : {});
      let total = 0, length = 0;
      for (;;) {
        const [next, reward, terminated, truncated] = env.step(lean(obs));
        obs = next;
        total += reward;
        length++;
        if (terminated || truncated) break;
      }
      returns.push(total);
      lengths.push(length);
    }
    assert.deepEqual(result.returns, returns);
    assert.deepEqual(result.lengths, lengths);
    const mean = returns.reduce((a, b) => a + b) / 4;
    assert.equal(result.mean, mean);
    assert.equal(result.std, Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / 4));
    assert.ok(result.mean > 100, `the lean controller balances (mean ${result.mean})`);
    // an SB3-style [action, state] pair is taken too, and an env object instead of an id
    assert.deepEqual(evaluatePolicy({ predict: (o: Float32Array) => [lean(o), null] }, make("CartPole-v1"), { episodes: 4, seed: 7 }).returns, returns);
  });

  it("a saved Policy: greedy by default (repeatable), sampled when deterministic is false (seeded)", () => {
    const agent = new PPO({ envId: "CartPole-v1", seed: 3, totalTimesteps: 2048 });
    agent.learn();
    const policy = new Policy(agent.savePolicy());
    const greedy = evaluatePolicy(policy, "CartPole-v1", { episodes: 5, seed: 1 });
    assert.deepEqual(evaluatePolicy(policy, "CartPole-v1", { episodes: 5, seed: 1 }), greedy);
    const sampled = evaluatePolicy(policy, "CartPole-v1", { episodes: 5, seed: 1, deterministic: false });
    assert.deepEqual(evaluatePolicy(policy, "CartPole-v1", { episodes: 5, seed: 1, deterministic: false }), sampled);
    assert.notDeepEqual(sampled.returns, greedy.returns);
  });

  it("continuous actions, and clear errors", () => {
    const pendulum = evaluatePolicy({ predict: () => [0.5] }, "Pendulum-v1", { episodes: 2, seed: 0 });
    assert.deepEqual(pendulum.lengths, [200, 200]);
    assert.ok(pendulum.returns.every((r) => r < 0));
    assert.throws(() => evaluatePolicy({ predict: lean }, "CartPole-v1", { episodes: 0 }), /episodes must be an integer >= 1/);
    assert.throws(() => evaluatePolicy({} as never, "CartPole-v1"), /act\(obs, batch, out, rng\?\).*or predict/);
    assert.throws(() => evaluatePolicy({ predict: () => 0.5 }, "CartPole-v1"), /Discrete\(2\) env needs an integer action/);
  });
});
