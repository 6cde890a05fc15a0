/** PPO's MinAtar configuration (examples/minatar/ppo.yaml, gymnax-blines' PPO) and the ReLU option it can use. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { ConfigError, camelCaseKeys } from "../src/algos/common.js";
import { PPO, resolvePPOConfig } from "../src/algos/ppo.js";
import { Policy } from "../src/algos/policy.js";
import { decodeTensorFile } from "../src/nn/serialize.js";

test("examples/minatar/ppo.yaml resolves to gymnax-blines' settings on gymnax's game", () => {
  const file = camelCaseKeys(parse(readFileSync("examples/minatar/ppo.yaml", "utf8")) as Record<string, unknown>);
  const c = resolvePPOConfig({ ...file, envId: "MinAtar/Breakout-v1" });
  assert.deepEqual(
    [c.numEnvs, c.numSteps, c.numMinibatches, c.updateEpochs, c.learningRate, c.annealLr, c.gamma, c.hiddenSizes, c.activation, c.envKwargs, c.maxEpisodeSteps],
    [64, 128, 8, 4, 5e-4, false, 0.999, [256, 256], "relu", { sticky_action_prob: 0 }, 1000],
  );
});

test("activation: relu hidden layers in actor and critic, kept in the saved policy; other values are refused", () => {
  const activations = (layers: { kind?: string; type?: string; fn?: string; activation?: string }[]) => JSON.stringify(layers).match(/relu|tanh/g);
  const relu = new PPO({ envId: "MinAtar/Breakout-v1", activation: "relu", hiddenSizes: [8, 8], numEnvs: 2, numSteps: 8, numMinibatches: 2, totalTimesteps: 16 });
  assert.deepEqual(activations(relu.actor.describe().layers as never), ["relu", "relu"]);
  assert.deepEqual(activations(relu.critic.describe().layers as never), ["relu", "relu"]);
  relu.learn();
  // the saved policy describes (and so rebuilds) the ReLU actor
  const saved = relu.savePolicy();
  assert.deepEqual(activations((decodeTensorFile(saved, "policy").meta.network as { layers: never }).layers), ["relu", "relu"]);
  assert.ok(Number.isInteger(new Policy(saved).predict(new Float32Array(400))));
  const tanh = new PPO({ envId: "CartPole-v1", hiddenSizes: [8] });
  assert.deepEqual(activations(tanh.actor.describe().layers as never), ["tanh"]);
  assert.throws(() => resolvePPOConfig({ envId: "CartPole-v1", activation: "gelu" as never }), (err: Error) => err instanceof ConfigError && /activation/.test(err.message) && /relu/.test(err.message));
});
