import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SAC, resolveSACConfig } from "../src/algos/sac.js";
import type { ReplayBatch } from "../src/algos/replay-buffer.js";
import { make } from "../src/envs/registry.js";
import { createBackend } from "../src/nn/backend.js";
import { layerNorm } from "../src/nn/layer-norm.js";
import { linear } from "../src/nn/layers.js";
import { Network } from "../src/nn/network.js";
import { DatasetWriter, FileDatasetSource, recordDataset } from "../src/node/datasets.js";
import { Random } from "../src/rng/random.js";

const js = createBackend("js");

test("LayerNorm: normalized outputs, and gradients that match finite differences (input and γ, β)", () => {
  const net = new Network([linear(5), layerNorm(), linear(1)], { inputShape: 3, maxBatch: 4, rng: new Random(1), backend: js });
  // move γ, β away from 1, 0 so their gradients are tested at a general point
  const p = net.parameterView();
  const rng = new Random(2);
  for (let i = 0; i < p.length; i++) p[i] = p[i]! + 0.3 * rng.normal();
  const x = Float32Array.from({ length: 12 }, () => rng.normal());
  const lossOf = () => {
    net.inputView(4).set(x);
    net.forward(4);
    let l = 0;
    for (let b = 0; b < 4; b++) l += (net.outputView(4)[b]! - b) ** 2 / 2;
    return l;
  };
  lossOf();
  for (let b = 0; b < 4; b++) net.outputGradView(4)[b] = net.outputView(4)[b]! - b;
  net.backward({ inputGradient: true });
  const grads = net.gradientView().slice(), inputGrads = net.inputGradView(4).slice();
  const h = 1e-2;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    p[i] = v + h;
    const up = lossOf();
    p[i] = v - h;
    const down = lossOf();
    p[i] = v;
    assert.ok(Math.abs((up - down) / (2 * h) - grads[i]!) < 2e-2 * Math.max(1, Math.abs(grads[i]!)), `parameter ${i}: ${(up - down) / (2 * h)} vs ${grads[i]}`);
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h;
    const up = lossOf();
    x[i] = v - h;
    const down = lossOf();
    x[i] = v;
    assert.ok(Math.abs((up - down) / (2 * h) - inputGrads[i]!) < 2e-2 * Math.max(1, Math.abs(inputGrads[i]!)), `input ${i}`);
  }
  // without the affine part (γ 1, β 0) each sample's features have mean 0 and variance 1
  const norm = new Network([layerNorm()], { inputShape: 6, maxBatch: 2, rng: new Random(1), backend: js });
  norm.inputView(2).set(Float32Array.from({ length: 12 }, (_, i) => i * i));
  norm.forward(2);
  const y = norm.outputView(2);
  for (let b = 0; b < 2; b++) {
    const row = Array.from(y.subarray(6 * b, 6 * b + 6));
    const mean = row.reduce((a, v) => a + v, 0) / 6;
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(row.reduce((a, v) => a + (v - mean) ** 2, 0) / 6 - 1) < 1e-3);
  }
});

/** Pendulum transitions whose rewards are all 7 (no env gives that): they show where batch rows come from. */
function markedDemos(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "tsrl-rlpd-")), "demos");
  const env = make("Pendulum-v1");
  const w = new DatasetWriter(dir, { envId: "Pendulum-v1", observationSpace: env.observationSpace, actionSpace: env.actionSpace, source: { policy: "marked" } });
  for (let e = 0; e < 3; e++) {
    w.begin([1, 0, 0]);
    for (let t = 0; t < 20; t++) w.step([0.5], 7, false, t === 19, [1, 0, 0]);
  }
  w.finish();
  return dir;
}

const small = { envId: "Pendulum-v1", seed: 3, totalTimesteps: 260, learningStarts: 200, batchSize: 16, bufferSize: 400, hiddenSizes: [16, 16] };

test("--rlpd: RLPD's defaults unless given; symmetric sampling puts half of each batch from the demos", () => {
  const c = resolveSACConfig({ envId: "Pendulum-v1", rlpd: true });
  assert.deepEqual([c.numCritics, c.criticSubset, c.utd, c.criticLayerNorm], [10, 2, 20, true]);
  assert.equal(resolveSACConfig({ envId: "Pendulum-v1", rlpd: true, utd: 4 }).utd, 4);
  assert.deepEqual([resolveSACConfig({ envId: "Pendulum-v1" }).numCritics, resolveSACConfig({ envId: "Pendulum-v1" }).utd], [2, 1]);
  assert.throws(() => resolveSACConfig({ envId: "Pendulum-v1", numCritics: 3, criticSubset: 4 }), /criticSubset: criticSubset must be ≤ numCritics/);

  const sac = new SAC({ ...small, rlpd: true, numCritics: 4, utd: 2, demos: "marked", demoData: new FileDatasetSource(markedDemos()) }, { backend: js });
  assert.equal(sac.critics.length, 4);
  sac.learn();
  const batch = (sac as unknown as { batch: ReplayBatch }).batch;
  const fromDemos = Array.from(batch.rewards).map((r) => r === 7);
  assert.deepEqual(fromDemos, [...Array(8).fill(true), ...Array(8).fill(false)]);
});

test("SAC with demos and RLPD: same seed, same run; exact resume; demos of another env are refused", () => {
  const demos = join(mkdtempSync(join(tmpdir(), "tsrl-rlpd-")), "p");
  recordDataset({ envId: "Pendulum-v1", policy: "random", episodes: 2, out: demos });
  const make = () => new SAC({ ...small, totalTimesteps: 300, rlpd: true, numCritics: 3, utd: 2, demos, demoData: new FileDatasetSource(demos) }, { backend: js });
  const whole = make();
  whole.learn();
  const again = make();
  let saved: Uint8Array | null = null;
  again.learn({ checkpoint: (step) => void (step === 250 && (saved = again.saveCheckpoint())) });
  assert.deepEqual(Array.from(again.actor.parameterView()), Array.from(whole.actor.parameterView()));
  const resumed = make();
  resumed.loadCheckpoint(saved!);
  resumed.learn();
  for (let k = 0; k < 3; k++) assert.deepEqual(Array.from(resumed.criticTargets[k]!.parameterView()), Array.from(whole.criticTargets[k]!.parameterView()));
  assert.deepEqual(Array.from(resumed.actor.parameterView()), Array.from(whole.actor.parameterView()));

  const cartpole = join(mkdtempSync(join(tmpdir(), "tsrl-rlpd-")), "c");
  recordDataset({ envId: "CartPole-v1", policy: "random", episodes: 1, out: cartpole });
  assert.throws(() => new SAC({ ...small, demos: cartpole, demoData: new FileDatasetSource(cartpole) }), /sac --demos: dataset c was recorded on CartPole-v1 .* but Pendulum-v1 has/);
});
