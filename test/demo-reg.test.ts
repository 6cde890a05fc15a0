import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { categoricalKlTerm, demoKlTerm, demoRegCoefAt, gaussianKlTerm } from "../src/algos/demo-reg.js";
import { PPO } from "../src/algos/ppo.js";
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
  // the KL takes the entropy bonus's place unless α is asked for
  const c = resolveSACConfig({ envId: "Pendulum-v1", demos: "x", demoRegCoef: 0.1 });
  assert.deepEqual([c.autotune, c.alpha], [false, 0]);
  assert.equal(resolveSACConfig({ envId: "Pendulum-v1", demos: "x", demoRegCoef: 0.1, autotune: true }).autotune, true);
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

test("PPO's KL terms: closed forms (0 against itself) and gradients that match finite differences", () => {
  const rng = new Random(11);
  const B = 3, d = 2, n = 3, lambda = 0.6;
  const mean = Float64Array.from({ length: B * d }, () => rng.normal());
  const logStd = Float64Array.from([0.2, -0.5]);
  const bcMeans = Float64Array.from({ length: B * d }, () => rng.normal());
  const bcLogStd = Float32Array.from([-0.3, 0.1]);
  const gauss = () => gaussianKlTerm(mean, logStd, bcMeans, bcLogStd, B, d, lambda, null, null);
  assert.ok(Math.abs(gaussianKlTerm(bcMeans, bcLogStd, bcMeans, bcLogStd, B, d, lambda, null, null)) < 1e-12);
  // one dimension by hand: log σ₂/σ₁ + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½
  const one = gaussianKlTerm([1], [Math.log(2)], [0], [0], 1, 1, 1, null, null);
  assert.ok(Math.abs(one - (-Math.log(2) + (4 + 1) / 2 - 0.5)) < 1e-12);
  const dMean = new Float32Array(B * d), dLogStd = new Float32Array(d);
  const kl = gaussianKlTerm(mean, logStd, bcMeans, bcLogStd, B, d, lambda, dMean, dLogStd);
  assert.ok(Math.abs(kl - gauss()) < 1e-12);
  const h = 1e-6;
  const fd = (x: Float64Array, i: number, f: () => number) => {
    const v = x[i]!;
    x[i] = v + h;
    const up = f();
    x[i] = v - h;
    const down = f();
    x[i] = v;
    return (lambda * (up - down)) / (2 * h);
  };
  for (let i = 0; i < B * d; i++) assert.ok(Math.abs(fd(mean, i, gauss) - dMean[i]!) < 1e-5, `∂/∂μ ${i}`);
  for (let j = 0; j < d; j++) assert.ok(Math.abs(fd(logStd, j, gauss) - dLogStd[j]!) < 1e-5, `∂/∂log σ ${j}`);

  const logits = Float64Array.from({ length: B * n }, () => rng.normal());
  const bcLogits = Float64Array.from({ length: B * n }, () => 2 * rng.normal());
  const cat = () => categoricalKlTerm(logits, bcLogits, B, n, lambda, null);
  assert.ok(Math.abs(categoricalKlTerm(bcLogits, bcLogits.map((x) => x + 5), B, n, 1, null)) < 1e-12); // logits up to a constant
  const dLogits = new Float32Array(B * n);
  categoricalKlTerm(logits, bcLogits, B, n, lambda, dLogits);
  for (let i = 0; i < B * n; i++) assert.ok(Math.abs(fd(logits, i, cat) - dLogits[i]!) < 1e-5, `∂/∂z ${i}`);
});

/** CartPole demonstrations that always push right (action 1). */
function pushRightDemos(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "tsrl-demoreg-")), "right");
  const env = make("CartPole-v1");
  const w = new DatasetWriter(dir, { envId: "CartPole-v1", observationSpace: env.observationSpace, actionSpace: env.actionSpace, source: { policy: "right" } });
  const rng = new Random(12);
  const obs = () => Array.from({ length: 4 }, () => 0.1 * rng.normal());
  for (let e = 0; e < 4; e++) {
    w.begin(obs());
    for (let t = 0; t < 30; t++) w.step([0, 1], 1, t === 29, false, obs());
  }
  w.finish();
  return dir;
}

test("PPO --demo-reg-coef: Box (normalized observations) and Discrete; pulls the policy towards π_BC; same seed, same run; exact resume", () => {
  assert.throws(() => new PPO({ envId: "CartPole-v1", demoRegCoef: 0.1 }), /demoRegCoef: .*--demos <dataset>/);
  assert.throws(() => new PPO({ envId: "CartPole-v1", demos: "x" }), /demos: PPO uses demonstrations only through demonstration regularization/);
  const box = constantDemos(), discrete = pushRightDemos();
  const pendulum = (demoRegCoef: number) =>
    new PPO({ envId: "Pendulum-v1", seed: 2, learningRate: 0.02, annealLr: false, numSteps: 64, numMinibatches: 2, updateEpochs: 2, totalTimesteps: 512, hiddenSizes: [16], ...(demoRegCoef ? { demos: box, demoData: new FileDatasetSource(box), demoRegCoef, demoRegBcSteps: 2000 } : {}) }, { backend: js });
  const cartpole = (demoRegCoef: number) =>
    new PPO({ envId: "CartPole-v1", seed: 2, learningRate: 0.02, annealLr: false, numEnvs: 2, numSteps: 32, numMinibatches: 2, updateEpochs: 2, totalTimesteps: 256, hiddenSizes: [16], ...(demoRegCoef ? { demos: discrete, demoData: new FileDatasetSource(discrete), demoRegCoef, demoRegBcSteps: 1000 } : {}) }, { backend: js });
  const states = [[0, 0, 0], [1, 0, 0.5], [0, 1, -1]];
  const pendulumMean = (ppo: PPO) => states.reduce((sum, s) => sum + (ppo.predict(Float32Array.from(s)) as Float32Array)[0]!, 0) / states.length;
  const nearDemos = [[0, 0, 0, 0], [0.05, -0.05, 0.02, 0], [-0.1, 0.1, 0, 0.05]];
  const pushRight = (ppo: PPO) => nearDemos.reduce((sum, s) => sum + (ppo.predict(Float32Array.from(s)) as number), 0);

  const metrics: Record<string, number>[] = [];
  const regularized = pendulum(20);
  regularized.learn({ onMetrics: (_step, m) => void metrics.push(m) });
  assert.ok(Number.isFinite(metrics[0]!["losses/demo_bc_loss"]!));
  assert.ok(metrics.slice(1).every((m) => m["losses/demo_kl"]! >= 0 && m["losses/demo_reg_coef"] === 20));
  const plain = pendulum(0);
  plain.learn();
  assert.ok(pendulumMean(regularized) - pendulumMean(plain) > 0.3, `regularized ${pendulumMean(regularized)} vs plain ${pendulumMean(plain)}: towards the demos' 1.5`);
  const right = cartpole(20);
  right.learn();
  const free = cartpole(0);
  free.learn();
  assert.equal(pushRight(right), 3, "the regularized policy pushes right where the demos do");
  assert.ok(pushRight(free) < 3);

  for (const build of [pendulum, cartpole]) {
    const whole = build(5);
    whole.learn();
    const again = build(5);
    let saved: Uint8Array | null = null;
    again.learn({ checkpoint: (step) => void (step === 128 && (saved = again.saveCheckpoint())) });
    assert.deepEqual(Array.from(again.actor.parameterView()), Array.from(whole.actor.parameterView()));
    const resumed = build(5);
    resumed.loadCheckpoint(saved!);
    resumed.learn();
    assert.deepEqual(Array.from(resumed.actor.parameterView()), Array.from(whole.actor.parameterView()));
    assert.deepEqual(Array.from(resumed.critic.parameterView()), Array.from(whole.critic.parameterView()));
  }
});
