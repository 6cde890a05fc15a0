import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BC } from "../src/algos/bc.js";
import { ALGORITHMS } from "../src/algos/index.js";
import { Policy } from "../src/algos/policy.js";
import { evaluatePolicy } from "../src/algos/evaluate.js";
import { make } from "../src/envs/registry.js";
import { DatasetWriter, FileDatasetSource, recordDataset } from "../src/node/datasets.js";

/** Episodes of a scripted controller written through the dataset API (not `tsrl record`, which needs a policy file). */
function scripted(envId: string, episodes: number, controller: (obs: Float32Array) => number | Float32Array, flatAction: (a: number | Float32Array) => number[]): string {
  const dir = join(mkdtempSync(join(tmpdir(), "tsrl-bc-")), "datasets", "scripted");
  const env = make(envId);
  const w = new DatasetWriter(dir, { envId, observationSpace: env.observationSpace, actionSpace: env.actionSpace, source: { policy: "scripted" } });
  for (let e = 0; e < episodes; e++) {
    let [obs] = env.reset(e === 0 ? { seed: 5 } : {});
    w.begin(obs);
    for (;;) {
      const a = controller(obs);
      const [next, r, term, trunc] = env.step(a as never);
      w.step(flatAction(a), r, term, trunc, next);
      obs = next;
      if (term || trunc) break;
    }
  }
  w.finish();
  return dir;
}

// CartPole's classic hand controller: push towards where the pole falls (reaches the 500-step limit).
const cartpoleController = (obs: Float32Array) => (obs[2]! + 0.5 * obs[3]! > 0 ? 1 : 0);

test("BC (categorical) clones a CartPole controller from its dataset; evaluations are the run's episodes", () => {
  const dir = scripted("CartPole-v1", 4, cartpoleController, (a) => (a === 1 ? [0, 1] : [1, 0]));
  const source = new FileDatasetSource(dir);
  assert.ok(source.manifest.returns.mean > 400, `the controller scores ${source.manifest.returns.mean}`);
  const bc = new BC({ envId: "CartPole-v1", data: source, totalTimesteps: 600, batchSize: 64, hiddenSizes: [32], learningRate: 3e-3, evalFrequency: 300, evalEpisodes: 2 });
  const result = bc.learn();
  assert.equal(result.episodes, 4);
  assert.deepEqual(bc.episodes.steps, [300, 300, 600, 600]);
  const policy = new Policy(bc.savePolicy());
  const score = evaluatePolicy(policy, "CartPole-v1", { episodes: 3, seed: 11 }).mean;
  assert.ok(score > 300, `the clone scores ${score} (random: ~22)`);
});

test("BC (MSE and Gaussian) fits a Box controller's actions, with normalized observations saved in the policy", () => {
  // Pendulum with a = clip(−2·θ̇ − 3·sin θ): a smooth function of the observation
  const controller = (obs: Float32Array) => Float32Array.of(Math.max(-2, Math.min(2, -2 * (obs[2]! / 8) * 8 * 0.25 - 3 * obs[1]!)));
  const dir = scripted("Pendulum-v1", 5, controller, (a) => Array.from(a as Float32Array));
  for (const loss of ["mse", "gaussian"] as const) {
    const bc = new BC({ envId: "Pendulum-v1", data: new FileDatasetSource(dir), loss, totalTimesteps: 1500, batchSize: 64, hiddenSizes: [64, 64], learningRate: 1e-3, evalFrequency: 1500, evalEpisodes: 1 });
    bc.learn();
    const policy = new Policy(bc.savePolicy());
    assert.ok(policy.saved.observationNormalization, "normalization saved");
    const env = make("Pendulum-v1");
    let [obs] = env.reset({ seed: 9 });
    let err = 0;
    for (let t = 0; t < 50; t++) {
      const a = policy.predict(obs) as Float32Array;
      err += Math.abs(a[0]! - controller(obs)[0]!) / 50;
      [obs] = env.step(a);
    }
    assert.ok(err < 0.25, `${loss}: mean |action error| ${err}`);
  }
});

test("BC resumes exactly from a checkpoint; refuses another dataset under the same name, and a dataset of another env", () => {
  const dir = scripted("CartPole-v1", 2, cartpoleController, (a) => (a === 1 ? [0, 1] : [1, 0]));
  const config = { envId: "CartPole-v1", totalTimesteps: 200, batchSize: 32, hiddenSizes: [16], evalFrequency: 100, evalEpisodes: 1 };
  const whole = new BC({ ...config, data: new FileDatasetSource(dir) });
  whole.learn();
  const first = new BC({ ...config, data: new FileDatasetSource(dir) });
  let saved: Uint8Array | null = null;
  first.learn({ checkpoint: (step) => void (step === 120 && (saved = first.saveCheckpoint())), shouldStop: (step) => step === 120 });
  const resumed = new BC({ ...config, data: new FileDatasetSource(dir) });
  resumed.loadCheckpoint(saved!);
  resumed.learn();
  assert.deepEqual(Array.from(resumed.actor.parameterView()), Array.from(whole.actor.parameterView()));
  assert.deepEqual(resumed.episodes.returns, whole.episodes.returns);

  const other = scripted("CartPole-v1", 3, cartpoleController, (a) => (a === 1 ? [0, 1] : [1, 0]));
  const wrong = new BC({ ...config, data: new FileDatasetSource(other) });
  wrong.loadCheckpoint(saved!);
  assert.throws(() => wrong.learn(), /not the one this run was trained on/);

  const pendulum = join(mkdtempSync(join(tmpdir(), "tsrl-bc-")), "p");
  recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 1, out: pendulum });
  assert.throws(() => new BC({ ...config, data: new FileDatasetSource(pendulum) }), /recorded on Pendulum-v1 .* but CartPole-v1 has/);
  assert.throws(() => ALGORITHMS.bc!.resolve({ envId: "CartPole-v1" }), /dataset: name the dataset: --dataset <name>/);
});
