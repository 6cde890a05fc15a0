import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { IQL } from "../src/algos/iql.js";
import { Policy } from "../src/algos/policy.js";
import { make } from "../src/envs/registry.js";
import { DatasetWriter, FileDatasetSource } from "../src/node/datasets.js";

/**
 * One-step episodes from one state on Pendulum's spaces: action −1.5 earns 1, action +1.5 earns 0,
 * equally often. Q(s, a) = r, so V(s) is the τ-expectile of {0, 1} with equal weights: τ itself;
 * AWR weights the good action by exp(β(1 − τ)) and the bad one by exp(−βτ).
 */
function bandit(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "tsrl-iql-")), "bandit");
  const env = make("Pendulum-v1");
  const w = new DatasetWriter(dir, { envId: "Pendulum-v1", observationSpace: env.observationSpace, actionSpace: env.actionSpace, source: { policy: "bandit" } });
  for (let e = 0; e < 200; e++) {
    const good = e % 2 === 0;
    w.begin([1, 0, 0]);
    w.step([good ? -1.5 : 1.5], good ? 1 : 0, true, false, [1, 0, 0]);
  }
  w.finish();
  return dir;
}

const small = { envId: "Pendulum-v1", hiddenSizes: [32], batchSize: 64, qLr: 3e-3, vLr: 3e-3, actorLr: 3e-3, normalizeObservations: false, normalizeReward: false, evalEpisodes: 1 };

test("IQL: V is the expectile of Q over the data's actions; AWR moves the policy to the better action", () => {
  const iql = new IQL({ ...small, data: new FileDatasetSource(bandit()), totalTimesteps: 1500, evalFrequency: 1500 });
  iql.learn();
  iql.vf.inputView(1).set([1, 0, 0]);
  iql.vf.forward(1);
  const v = iql.vf.outputView(1)[0]!;
  assert.ok(Math.abs(v - 0.7) < 0.06, `V(s) = ${v}, the 0.7-expectile of {0, 1} is 0.7`);
  for (const [a, r] of [[-1.5, 1], [1.5, 0]] as const) {
    iql.qf1.setInputPart(0, [1, 0, 0], 1);
    iql.qf1.setInputPart(1, [a], 1);
    iql.qf1.forward(1);
    assert.ok(Math.abs(iql.qf1.outputView(1)[0]! - r) < 0.06, `Q(s, ${a}) = ${iql.qf1.outputView(1)[0]}, expected ${r}`);
  }
  // the weighted mean of the data's actions: (e^{0.9}·(−1.5) + e^{−2.1}·1.5)/(e^{0.9} + e^{−2.1})
  const want = (Math.exp(0.9) * -1.5 + Math.exp(-2.1) * 1.5) / (Math.exp(0.9) + Math.exp(-2.1));
  const action = (new Policy(iql.savePolicy()).predict(new Float32Array([1, 0, 0])) as Float32Array)[0]!;
  assert.ok(Math.abs(action - want) < 0.12, `policy action ${action}, AWR's weighted mean ${want.toFixed(3)} (BC: 0)`);
});

test("IQL: temperature 0 is behaviour cloning of the mean action; the actor's learning rate decays to 0 (cosine)", () => {
  const iql = new IQL({ ...small, data: new FileDatasetSource(bandit()), totalTimesteps: 800, evalFrequency: 800, temperature: 0 });
  iql.learn();
  const action = (new Policy(iql.savePolicy()).predict(new Float32Array([1, 0, 0])) as Float32Array)[0]!;
  assert.ok(Math.abs(action) < 0.15, `policy action ${action}, the data's mean is 0`);
  assert.ok(iql.actorOptimizer.lr < 3e-3 * 1e-4, `last learning rate ${iql.actorOptimizer.lr}`);
});

test("IQL resumes exactly from a checkpoint", () => {
  const dir = bandit();
  const config = { ...small, totalTimesteps: 120, evalFrequency: 60 };
  const whole = new IQL({ ...config, data: new FileDatasetSource(dir) });
  whole.learn();
  const first = new IQL({ ...config, data: new FileDatasetSource(dir) });
  let saved: Uint8Array | null = null;
  first.learn({ checkpoint: (step) => void (step === 70 && (saved = first.saveCheckpoint())), shouldStop: (step) => step === 70 });
  const resumed = new IQL({ ...config, data: new FileDatasetSource(dir) });
  resumed.loadCheckpoint(saved!);
  resumed.learn();
  for (const net of ["actor", "qf1", "qf2Target", "vf"] as const) assert.deepEqual(Array.from(resumed[net].parameterView()), Array.from(whole[net].parameterView()), net);
  assert.deepEqual(resumed.episodes.returns, whole.episodes.returns);
  assert.throws(() => new IQL({ ...config, envId: "CartPole-v1", data: new FileDatasetSource(dir) }), /IQL learns continuous \(Box\) actions only; CartPole-v1 has Discrete\(2\)\. For a dataset of discrete actions use BC \(tsrl train bc --dataset .+ --env CartPole-v1\), or learn online with DQN/);
});
