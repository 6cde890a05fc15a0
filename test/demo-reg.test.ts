import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { demoKlTerm, demoRegCoefAt } from "../src/algos/demo-reg.js";
import { SAC, resolveSACConfig } from "../src/algos/sac.js";
import { make } from "../src/envs/registry.js";
import { createBackend } from "../src/nn/backend.js";
import { squashedGaussianBackward, squashedGaussianForward } from "../src/nn/distributions.js";
import { linear, relu } from "../src/nn/layers.js";
import { Network } from "../src/nn/network.js";
import { DatasetWriter, FileDatasetSource } from "../src/node/datasets.js";
import { Random } from "../src/rng/random.js";

const js = createBackend("js");

test("demonstration term: λ·mean(log π − log π_BC) through the squashed Gaussian matches finite differences in the actor's parameters", () => {
  const B = 3, d = 2, obsSize = 3, lambda = 0.7;
  const actor = new Network([linear(6), relu(), linear(2 * d)], { inputShape: obsSize, maxBatch: B, rng: new Random(4), backend: js });
  const rng = new Random(5);
  const obs = Float32Array.from({ length: B * obsSize }, () => rng.normal());
  const noise = Float64Array.from({ length: B * d }, () => rng.normal());
  const means = Float64Array.from({ length: B * d }, () => 0.5 * rng.normal());
  const logStd = Float32Array.from([-0.3, 0.4]);
  const scale = [2, 0.5], bias = [0.1, -0.2];
  const actions = new Float64Array(B * d), logProb = new Float64Array(B), squashed = new Float64Array(B * d), kl = new Float64Array(B);
  const lossOf = () => {
    actor.inputView(B).set(obs);
    actor.forward(B);
    squashedGaussianForward(actor.outputView(B), B, d, noise, scale, bias, actions, logProb, squashed);
    return lambda * demoKlTerm(actions, logProb, means, logStd, B, d, lambda, kl, null, null);
  };
  lossOf();
  const gradAction = new Float64Array(B * d), gradLogProb = new Float64Array(B);
  const klMean = demoKlTerm(actions, logProb, means, logStd, B, d, lambda, kl, gradAction, gradLogProb);
  // the per-row estimate is log π(a|s) − log N(a; μ, σ)
  let logQ = 0;
  for (let j = 0; j < d; j++) logQ += -0.5 * ((actions[j]! - means[j]!) / Math.exp(logStd[j]!)) ** 2 - logStd[j]! - 0.5 * Math.log(2 * Math.PI);
  assert.ok(Math.abs(kl[0]! - (logProb[0]! - logQ)) < 1e-9);
  assert.ok(Math.abs(klMean - kl.reduce((a, v) => a + v, 0) / B) < 1e-12);
  squashedGaussianBackward(actor.outputView(B), B, d, noise, scale, squashed, gradAction, gradLogProb, actor.outputGradView(B));
  actor.backward();
  const grads = actor.gradientView().slice();
  const p = actor.parameterView();
  const h = 1e-2;
  let checked = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    p[i] = v + h;
    const up = lossOf();
    p[i] = v - h;
    const down = lossOf();
    p[i] = v;
    const fd = (up - down) / (2 * h);
    assert.ok(Math.abs(fd - grads[i]!) < 2e-2 * Math.max(1, Math.abs(grads[i]!)), `parameter ${i}: finite difference ${fd} vs gradient ${grads[i]}`);
    if (Math.abs(grads[i]!) > 1e-3) checked++;
  }
  assert.ok(checked > p.length / 3, "most parameters have a gradient to check");
});

test("demoRegCoefAt: constant, or linear decay to 0", () => {
  assert.equal(demoRegCoefAt({ demoRegCoef: 0.4, demoRegDecay: 0 }, 1e6), 0.4);
  assert.ok(Math.abs(demoRegCoefAt({ demoRegCoef: 0.4, demoRegDecay: 1000 }, 250) - 0.3) < 1e-12);
  assert.equal(demoRegCoefAt({ demoRegCoef: 0.4, demoRegDecay: 1000 }, 5000), 0);
});

/** Pendulum demonstrations that always push with torque 1.5 (what π_BC should learn). */
function constantDemos(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "tsrl-demoreg-")), "push");
  const env = make("Pendulum-v1");
  const w = new DatasetWriter(dir, { envId: "Pendulum-v1", observationSpace: env.observationSpace, actionSpace: env.actionSpace, source: { policy: "constant" } });
  const rng = new Random(9);
  for (let e = 0; e < 4; e++) {
    const obs = () => {
      const th = 2 * Math.PI * rng.random();
      return [Math.cos(th), Math.sin(th), 2 * rng.normal()];
    };
    w.begin(obs());
    for (let t = 0; t < 50; t++) w.step([1.5], -1, false, t === 49, obs());
  }
  w.finish();
  return dir;
}

const small = { envId: "Pendulum-v1", seed: 3, totalTimesteps: 300, learningStarts: 150, batchSize: 16, bufferSize: 400, hiddenSizes: [16, 16], demoRegBcSteps: 2000, demoSampling: false };

test("SAC --demo-reg-coef: needs demos; π_BC fitted on them; pulls the actor towards it; same seed, same run; exact resume", () => {
  assert.throws(() => resolveSACConfig({ envId: "Pendulum-v1", demoRegCoef: 0.1 }), /demoRegCoef: .*--demos <dataset>/);
  assert.throws(() => resolveSACConfig({ envId: "Pendulum-v1", demos: "x", demoRegCoef: -1 }), /demoRegCoef: must be ≥ 0/);
  const dir = constantDemos();
  const build = (demoRegCoef: number) => new SAC({ ...small, demos: dir, demoData: new FileDatasetSource(dir), demoRegCoef }, { backend: js });
  const meanAction = (sac: SAC) => {
    // the actor's deterministic action tanh(μ)·2 over a few states
    let sum = 0;
    for (let k = 0; k < 8; k++) {
      sac.actor.inputView(1).set([Math.cos(k), Math.sin(k), 0]);
      sac.actor.forward(1);
      sum += 2 * Math.tanh(sac.actor.outputView(1)[0]!);
    }
    return sum / 8;
  };

  const whole = build(5);
  const metrics: Record<string, number>[] = [];
  whole.learn({ onMetrics: (_step, m) => void metrics.push(m) });
  // π_BC learned the demos' torque
  const means = new Float64Array(16);
  whole.prior!.means(Float32Array.from({ length: 48 }, (_, i) => Math.sin(i)), 16, means);
  for (const m of means) assert.ok(Math.abs(m - 1.5) < 0.2, `π_BC mean ${m}, the demos push 1.5`);
  assert.ok(Number.isFinite(metrics[0]!["losses/demo_bc_loss"]!));
  assert.ok(metrics.some((m) => Number.isFinite(m["losses/demo_kl"]!) && m["losses/demo_reg_coef"] === 5));
  const plain = build(0);
  assert.equal(plain.prior, null);
  plain.learn();
  assert.ok(meanAction(whole) - meanAction(plain) > 0.3, `regularized ${meanAction(whole)} vs plain ${meanAction(plain)}: the actor moves towards the demos' 1.5`);

  const again = build(5);
  let saved: Uint8Array | null = null;
  again.learn({ checkpoint: (step) => void (step === 250 && (saved = again.saveCheckpoint())) });
  assert.deepEqual(Array.from(again.actor.parameterView()), Array.from(whole.actor.parameterView()));
  const resumed = build(5);
  resumed.loadCheckpoint(saved!);
  resumed.learn();
  assert.deepEqual(Array.from(resumed.actor.parameterView()), Array.from(whole.actor.parameterView()));
  assert.deepEqual(Array.from(resumed.qf1Target.parameterView()), Array.from(whole.qf1Target.parameterView()));
  assert.deepEqual(Array.from(resumed.prior!.actor.parameterView()), Array.from(whole.prior!.actor.parameterView()));
});
