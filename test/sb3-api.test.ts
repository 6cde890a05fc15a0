/** What SB3 users expect: predict, evaluatePolicy on the agent itself, an evaluation callback with early stopping, learnAsync. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import "../examples/catch/catch.js";
import { DQN, PPO, evalCallback, evaluatePolicy, learnAsync, make, mergeCallbacks } from "../src/index.js";

describe("SB3-style API", () => {
  it("predict gives the env's own action form, and follows the weights as they train", () => {
    const agent = new PPO({ envId: "Catch-v0", seed: 3, totalTimesteps: 2048 });
    const env = make<Float32Array, number>("Catch-v0");
    const [obs] = env.reset({ seed: 1 });
    const before = agent.predict(obs);
    assert.ok(typeof before === "number" && before >= 0 && before < 3);
    const pendulum = new PPO({ envId: "Pendulum-v1", seed: 1, totalTimesteps: 2048, numSteps: 1024 });
    const action = pendulum.predict(make<Float32Array, number[]>("Pendulum-v1").reset({ seed: 0 })[0]);
    assert.ok(action instanceof Float32Array && action.length === 1 && action[0]! >= -2 && action[0]! <= 2, "Box actions clipped to the bounds");
  });

  it("evaluatePolicy takes the agent without a save-and-reload round trip", () => {
    const agent = new PPO({ envId: "Catch-v0", seed: 1, totalTimesteps: 100_000 });
    const untrained = evaluatePolicy(agent, "Catch-v0", { episodes: 20, seed: 5 }).mean;
    agent.learn();
    const trained = evaluatePolicy(agent, "Catch-v0", { episodes: 20, seed: 5 });
    assert.equal(trained.returns.length, 20);
    assert.ok(trained.mean > untrained && trained.mean >= 0.8, `Catch greedy return ${untrained} → ${trained.mean}`);
  });

  it("evalCallback stops training at a return threshold, and after `patience` evaluations without improvement", () => {
    const agent = new PPO({ envId: "Catch-v0", seed: 1, totalTimesteps: 300_000 });
    const seen: number[] = [];
    const stopAt = evalCallback(agent, { env: "Catch-v0", every: 10_000, episodes: 10, stopAtReturn: 0.9, onEvaluation: (step) => seen.push(step) });
    const result = agent.learn(mergeCallbacks({ onEpisode: () => {} }, stopAt));
    assert.ok(result.total_timesteps < 300_000, `stopped early at ${result.total_timesteps}`);
    assert.ok(stopAt.evaluations.at(-1)!.mean >= 0.9);
    assert.deepEqual(stopAt.evaluations.map((e) => e.step), seen);
    const stale = new DQN({ envId: "CartPole-v1", seed: 1, totalTimesteps: 50_000, learningRate: 1e-9, learningStarts: 1000 });
    const patience = evalCallback(stale, { env: "CartPole-v1", every: 2_000, episodes: 2, patience: 3 });
    const r = stale.learn(patience);
    assert.ok(r.total_timesteps < 50_000 && patience.evaluations.length >= 4, `stopped after ${patience.evaluations.length} evaluations`);
  });

  it("learnAsync yields to the event loop and trains exactly as learn does", async () => {
    const sync = new PPO({ envId: "CartPole-v1", seed: 4, totalTimesteps: 16_384 }).learn();
    const agent = new PPO({ envId: "CartPole-v1", seed: 4, totalTimesteps: 16_384 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const episodes: number[] = [];
    const result = await learnAsync(agent, { onEpisode: (e) => episodes.push(e.return) }, { sliceMs: 5 });
    clearInterval(timer);
    assert.ok(ticks > 0, "the event loop ran during training");
    assert.equal(result.episodes, sync.episodes);
    assert.equal(result.final_mean_return, sync.final_mean_return);
    const dqnSync = new DQN({ envId: "CartPole-v1", seed: 2, totalTimesteps: 6000, learningStarts: 1000 }).learn();
    const dqnAsync = await learnAsync(new DQN({ envId: "CartPole-v1", seed: 2, totalTimesteps: 6000, learningStarts: 1000 }), {}, { sliceMs: 2 });
    assert.equal(dqnAsync.final_mean_return, dqnSync.final_mean_return);
  });
});
