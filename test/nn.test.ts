import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Adam,
  Network,
  ParameterTensor,
  RMSprop,
  categoricalBackward,
  categoricalEvaluate,
  categoricalSample,
  clipGradientNorm,
  conv2d,
  createBackend,
  decodeTensorFile,
  encodeTensorFile,
  gaussianBackward,
  gaussianEvaluate,
  gradientNorm,
  linear,
  orthogonalMatrix,
  relu,
  tanh,
  TensorFileError,
  loadParameters,
  saveParameters,
  squashedGaussianBackward,
  squashedGaussianForward,
  squashedGaussianMode,
  boundedLogStd,
  LOG_STD_MAX,
  LOG_STD_MIN,
  type LayerSpec,
} from "../src/nn/index.js";
import { Random } from "../src/rng/random.js";

const js = createBackend("js");

/** L = Σ c·output for fixed random c; compares backprop gradients with central differences. */
function checkNetworkGradients(specs: LayerSpec[], inputShape: number[], batch: number, seed: number): void {
  const rng = new Random(seed);
  const net = new Network(specs, { inputShape, maxBatch: batch, rng, backend: js });
  const input = net.inputView(batch);
  for (let i = 0; i < input.length; i++) input[i] = rng.normal();
  const coefficients = Float64Array.from({ length: batch * net.outputSize }, () => rng.normal());
  const loss = () => {
    const out = js.view32(net.forward(batch), batch * net.outputSize);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += coefficients[i]! * out[i]!;
    return s;
  };
  loss();
  net.outputGradView(batch).set(coefficients);
  net.backward();
  const analytic = net.gradientView().slice();
  const params = net.parameterView();
  let worst = 0;
  for (let i = 0; i < params.length; i++) {
    const original = params[i]!;
    const h = 1e-2 * Math.max(1, Math.abs(original));
    params[i] = original + h;
    const up = params[i]!;
    const lPlus = loss();
    params[i] = original - h;
    const down = params[i]!;
    const lMinus = loss();
    params[i] = original;
    const numeric = (lPlus - lMinus) / (up - down);
    const error = Math.abs(numeric - analytic[i]!) / Math.max(1, Math.abs(numeric));
    worst = Math.max(worst, error);
  }
  assert.ok(worst < 5e-3, `worst relative gradient error ${worst}`);
}

test("MLP gradients (tanh and relu) match finite differences", () => {
  checkNetworkGradients([linear(7), tanh(), linear(5), relu(), linear(3)], [4], 6, 1);
  checkNetworkGradients([linear(8, { orthogonal: Math.SQRT2 }), tanh(), linear(2, { orthogonal: 0.01 })], [3], 1, 2);
});

test("Conv2d gradients (stride, padding) match finite differences", () => {
  checkNetworkGradients([conv2d(3, { kernel: 3 }), tanh(), linear(4)], [5, 5, 2], 2, 3);
  checkNetworkGradients([conv2d(2, { kernel: 2, stride: 2, padding: 1 }), tanh(), linear(3)], [4, 3, 3], 3, 4);
});

test("Conv2d computes a hand-checked convolution", () => {
  const net = new Network([conv2d(1, { kernel: 2 })], { inputShape: [2, 3, 1], maxBatch: 1, rng: new Random(0), backend: js });
  net.parameterView().set([1, 2, 3, 4, 0.5]); // weight [(0,0),(0,1),(1,0),(1,1)], bias
  net.inputView(1).set([1, 2, 3, 4, 5, 6]); // rows [1 2 3], [4 5 6]
  const out = js.view32(net.forward(1), 2);
  assert.deepEqual([...out], [1 + 4 + 12 + 20 + 0.5, 2 + 6 + 15 + 24 + 0.5]);
});

test("orthogonal init: orthonormal columns or rows, scaled by the gain", () => {
  for (const [rows, cols] of [[64, 4], [4, 64], [64, 64], [2, 64]] as const) {
    const q = orthogonalMatrix(rows, cols, 2, new Random(5));
    const [outer, inner, at] = rows >= cols ? [cols, rows, (k: number, j: number) => q[k * cols + j]!] : [rows, cols, (k: number, j: number) => q[j * cols + k]!];
    for (let a = 0; a < outer; a++) {
      for (let b = 0; b < outer; b++) {
        let dot = 0;
        for (let k = 0; k < inner; k++) dot += at(k, a) * at(k, b);
        assert.ok(Math.abs(dot - (a === b ? 4 : 0)) < 1e-9, `${rows}×${cols}: <${a},${b}> = ${dot}`);
      }
    }
  }
  const a = orthogonalMatrix(8, 3, 1, new Random(1));
  assert.deepEqual(a, orthogonalMatrix(8, 3, 1, new Random(1)), "seeded");
  assert.notDeepEqual(a, orthogonalMatrix(8, 3, 1, new Random(2)));
});

test("default init is PyTorch's U(±1/√fan_in) for weights and biases", () => {
  const net = new Network([linear(50)], { inputShape: 16, maxBatch: 1, rng: new Random(3), backend: js });
  const p = net.parameterView();
  assert.ok(p.every((v) => Math.abs(v) <= 0.25));
  assert.ok(Math.max(...p) > 0.24 && Math.min(...p) < -0.24);
});

test("Adam reproduces PyTorch's update (hand-computed first two steps)", () => {
  const p = new ParameterTensor("w", [2], { backend: js });
  p.value.set([1, -2]);
  const adam = new Adam([p], { lr: 0.1, eps: 1e-5 });
  p.grad.set([0.5, -3]);
  adam.update();
  // Step 1: m̂ = g, v̂ = g², so Δ = lr·g/(|g| + eps).
  assert.ok(Math.abs(p.value[0]! - (1 - (0.1 * 0.5) / (0.5 + 1e-5))) < 1e-6);
  assert.ok(Math.abs(p.value[1]! - (-2 + (0.1 * 3) / (3 + 1e-5))) < 1e-6);
  p.grad.set([1, 1]);
  adam.update();
  const m = 0.9 * 0.1 * 0.5 + 0.1 * 1;
  const v = 0.999 * 0.001 * 0.25 + 0.001 * 1;
  const expected = 1 - (0.1 * 0.5) / (0.5 + 1e-5) - ((0.1 / (1 - 0.81)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-5);
  assert.ok(Math.abs(p.value[0]! - expected) < 1e-6, `${p.value[0]} vs ${expected}`);
  const state = adam.getState();
  assert.equal(state.step, 2);
  const restored = new Adam([p], { lr: 0.1, eps: 1e-5 });
  restored.setState(state);
  assert.deepEqual(restored.getState(), state);
});

test("RMSprop (plain and centered) follows PyTorch's formulas", () => {
  for (const centered of [false, true]) {
    const p = new ParameterTensor("w", [1], { backend: js });
    p.value[0] = 1;
    const opt = new RMSprop([p], { lr: 0.01, alpha: 0.95, eps: 0.01, centered });
    p.grad[0] = 2;
    opt.update();
    const sq = 0.05 * 4;
    const avg = centered ? Math.sqrt(sq - 0.1 * 0.1) + 0.01 : Math.sqrt(sq) + 0.01;
    assert.ok(Math.abs(p.value[0]! - (1 - (0.01 * 2) / avg)) < 1e-6);
  }
});

test("gradient clipping: torch's clip_grad_norm_ over several networks", () => {
  const a = new ParameterTensor("a", [2], { backend: js });
  const b = new ParameterTensor("b", [1], { backend: js });
  a.grad.set([3, 0]);
  b.grad.set([4]);
  assert.equal(gradientNorm([a, b]), 5);
  assert.equal(clipGradientNorm([a, b], 0.5), 5);
  const c = 0.5 / (5 + 1e-6);
  assert.ok(Math.abs(a.grad[0]! - 3 * c) < 1e-7 && Math.abs(b.grad[0]! - 4 * c) < 1e-7);
  clipGradientNorm([a, b], 10);
  assert.ok(Math.abs(a.grad[0]! - 3 * c) < 1e-7, "no scaling below the max norm");
});

test("categorical: log-prob, entropy and their gradients", () => {
  const rng = new Random(9);
  const batch = 3, n = 4;
  const logits = Float32Array.from({ length: batch * n }, () => rng.normal());
  const actions = [0, 3, 2];
  const lp = new Float64Array(batch), h = new Float64Array(batch);
  categoricalEvaluate(logits, batch, n, actions, lp, h);
  const row = [...logits.subarray(0, n)].map(Number);
  const z = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
  assert.ok(Math.abs(lp[0]! - (row[0]! - z)) < 1e-12);
  assert.ok(Math.abs(h[0]! + row.reduce((s, x) => s + Math.exp(x - z) * (x - z), 0)) < 1e-12);
  const gLp = Float64Array.from([0.3, -1, 2]), gH = Float64Array.from([0.5, 0.1, -0.7]);
  const d = new Float32Array(batch * n);
  categoricalBackward(logits, batch, n, actions, gLp, gH, d);
  const objective = (x: Float32Array) => {
    categoricalEvaluate(x, batch, n, actions, lp, h);
    return gLp.reduce((s, g, b) => s + g * lp[b]! + gH[b]! * h[b]!, 0);
  };
  for (let i = 0; i < logits.length; i++) {
    const x = Float64Array.from(logits);
    const f = (delta: number) => objective(Float32Array.from(x, (v, j) => (j === i ? v + delta : v)));
    const numeric = (f(1e-3) - f(-1e-3)) / 2e-3;
    assert.ok(Math.abs(numeric - d[i]!) < 1e-3, `logit ${i}: ${numeric} vs ${d[i]}`);
  }
});

test("categorical sampling follows the softmax probabilities", () => {
  const logits = Float32Array.from([0, Math.log(3)]); // p = [0.25, 0.75]
  const rng = new Random(1);
  const out = [0];
  let ones = 0;
  for (let i = 0; i < 20000; i++) {
    categoricalSample(logits, 1, 2, rng, out);
    ones += out[0]!;
  }
  assert.ok(Math.abs(ones / 20000 - 0.75) < 0.015, `${ones / 20000}`);
});

test("diagonal Gaussian: log-prob, entropy and their gradients", () => {
  const rng = new Random(4);
  const batch = 2, d = 3;
  const mean = Float32Array.from({ length: batch * d }, () => rng.normal());
  const logStd = Float32Array.from([-0.5, 0, 0.3]);
  const actions = Float64Array.from({ length: batch * d }, () => rng.normal());
  const lp = new Float64Array(batch), h = new Float64Array(batch);
  gaussianEvaluate(mean, logStd, batch, d, actions, lp, h);
  let expected = 0;
  for (let j = 0; j < d; j++) {
    const s = Math.exp(logStd[j]!);
    expected += Math.log(Math.exp(-((actions[j]! - mean[j]!) ** 2) / (2 * s * s)) / (s * Math.sqrt(2 * Math.PI)));
  }
  assert.ok(Math.abs(lp[0]! - expected) < 1e-10);
  assert.ok(Math.abs(h[0]! - [...logStd].reduce((s, l) => s + 0.5 + 0.5 * Math.log(2 * Math.PI) + l, 0)) < 1e-12);
  const gLp = Float64Array.from([0.7, -1.3]), gH = Float64Array.from([0.2, 0.4]);
  const dMean = new Float32Array(batch * d), dLogStd = new Float32Array(d);
  gaussianBackward(mean, logStd, batch, d, actions, gLp, gH, dMean, dLogStd);
  const objective = (m: Float32Array, l: Float32Array) => {
    gaussianEvaluate(m, l, batch, d, actions, lp, h);
    return gLp.reduce((s, g, b) => s + g * lp[b]! + gH[b]! * h[b]!, 0);
  };
  const numeric = (x: Float32Array, i: number, f: (y: Float32Array) => number) => {
    const at = (delta: number) => f(Float32Array.from(x, (v, j) => (j === i ? v + delta : v)));
    return (at(1e-3) - at(-1e-3)) / 2e-3;
  };
  for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(numeric(mean, i, (m) => objective(m, logStd)) - dMean[i]!) < 2e-3);
  for (let j = 0; j < d; j++) assert.ok(Math.abs(numeric(logStd, j, (l) => objective(mean, l)) - dLogStd[j]!) < 2e-3);
});

test("tensor file: round trip, and clear errors for corruption, truncation and wrong format", () => {
  const net = new Network([linear(3), tanh(), linear(2)], { inputShape: 4, maxBatch: 1, rng: new Random(1), backend: js });
  const bytes = encodeTensorFile({ algo: "ppo", note: "é" }, net.stateTensors("actor."));
  const file = decodeTensorFile(bytes);
  assert.deepEqual(file.meta, { algo: "ppo", note: "é" });
  const copy = new Network([linear(3), tanh(), linear(2)], { inputShape: 4, maxBatch: 1, rng: new Random(2), backend: js });
  copy.loadStateTensors(file.tensors, "actor.");
  assert.deepEqual(copy.parameterView(), net.parameterView());

  const flipped = bytes.slice();
  flipped[flipped.length - 3]! ^= 0x10;
  assert.throws(() => decodeTensorFile(flipped), (e: Error) => e instanceof TensorFileError && /checksum/.test(e.message));
  assert.throws(() => decodeTensorFile(bytes.subarray(0, bytes.length - 4)), /checksum|truncated/);
  assert.throws(() => decodeTensorFile(new TextEncoder().encode("{\"not\": \"ours\"} and more bytes")), /bad magic/);
  const future = bytes.slice();
  future[8] = 9;
  assert.throws(() => decodeTensorFile(future), /version 9 is not supported/);
  const wrong = new Network([linear(5)], { inputShape: 4, maxBatch: 1, rng: new Random(2), backend: js });
  assert.throws(() => wrong.loadStateTensors(file.tensors, "actor."), /0.weight has shape \[4, 3\], the network expects \[4, 5\]/);
});

test("networks reject bad shapes and batches with clear errors", () => {
  assert.throws(() => new Network([linear(0)], { inputShape: 4, maxBatch: 1, rng: new Random(1), backend: js }), /linear output size/);
  assert.throws(() => new Network([conv2d(2, { kernel: 5 })], { inputShape: [3, 3, 1], maxBatch: 1, rng: new Random(1), backend: js }), /does not fit/);
  const net = new Network([linear(2)], { inputShape: 4, maxBatch: 8, rng: new Random(1), backend: js });
  assert.throws(() => net.forward(9), /batch must be an integer in \[1, 8\]/);
});

test("parameters + Adam state round trip: training continues exactly as without the save", () => {
  const build = (seed: number) => {
    const net = new Network([linear(8), tanh(), linear(2)], { inputShape: 3, maxBatch: 4, rng: new Random(seed), backend: js });
    const log = new ParameterTensor("log_std", [2], { backend: js });
    return { net, log, adam: new Adam([net, log], { lr: 0.01, eps: 1e-5 }) };
  };
  const trainSteps = (m: ReturnType<typeof build>, steps: number, from: number) => {
    for (let s = from; s < from + steps; s++) {
      m.net.inputView(4).set(Array.from({ length: 12 }, (_, i) => Math.sin(i + s)));
      m.net.forward(4);
      m.net.outputGradView(4).set(Array.from({ length: 8 }, (_, i) => Math.cos(i * s)));
      m.net.backward();
      m.log.grad.set([0.1 * s, -0.2]);
      m.adam.update();
    }
  };
  const a = build(1);
  trainSteps(a, 5, 0);
  const bytes = saveParameters({ policy: a.net, log: a.log }, a.adam, { note: "x" });
  const b = build(2);
  assert.deepEqual(loadParameters(bytes, { policy: b.net, log: b.log }, b.adam).meta, { note: "x" });
  trainSteps(a, 5, 5);
  trainSteps(b, 5, 5);
  assert.deepEqual(b.net.parameterView(), a.net.parameterView());
  assert.deepEqual(b.log.value, a.log.value);
  assert.equal(b.adam.step, 10);

  const other = new Network([linear(9), tanh(), linear(2)], { inputShape: 3, maxBatch: 4, rng: new Random(3), backend: js });
  const before = other.parameterView().slice();
  assert.throws(() => loadParameters(bytes, { policy: other, log: b.log }), /policy.0.weight has shape \[3, 8\], expected \[3, 9\]/);
  assert.deepEqual(other.parameterView(), before, "a failed load changes nothing");
  assert.throws(() => loadParameters(bytes, { policy: b.net, log: b.log }, new RMSprop([b.net, b.log], { lr: 1 })), /optimizer state is adam, not rmsprop/);
});

/** ∂L/∂input of L = Σ c·output by backprop and by central differences, for `backend`. */
function inputGradients(specs: LayerSpec[], inputShape: number[], batch: number, seed: number, backend = js, inputParts?: number[]) {
  const rng = new Random(seed);
  const net = new Network(specs, { inputShape, maxBatch: batch, rng, backend, ...(inputParts ? { inputParts } : {}) });
  const input = net.inputView(batch);
  for (let i = 0; i < input.length; i++) input[i] = rng.normal();
  const coefficients = Float64Array.from({ length: batch * net.outputSize }, () => rng.normal());
  const loss = () => {
    const out = backend.view32(net.forward(batch), batch * net.outputSize);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += coefficients[i]! * out[i]!;
    return s;
  };
  loss();
  net.outputGradView(batch).set(coefficients);
  net.backward({ inputGradient: true });
  const analytic = net.inputGradView(batch).slice();
  const numeric = new Float64Array(analytic.length);
  const x = net.inputView(batch);
  for (let i = 0; i < x.length; i++) {
    const original = x[i]!;
    const h = 1e-2;
    x[i] = original + h;
    const up = x[i]!;
    const lPlus = loss();
    x[i] = original - h;
    const down = x[i]!;
    const lMinus = loss();
    x[i] = original;
    numeric[i] = (lPlus - lMinus) / (up - down);
  }
  return { net, analytic, numeric };
}

function worstRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

test("input gradients (∂L/∂input) match finite differences for MLPs and convolutions", () => {
  for (const [specs, shape, batch] of [
    [[linear(7), tanh(), linear(5), relu(), linear(3)], [4], 5],
    [[conv2d(3, { kernel: 2, stride: 1, padding: 1 }), relu(), linear(2)], [3, 3, 2], 2],
  ] as [LayerSpec[], number[], number][]) {
    const { analytic, numeric } = inputGradients(specs, shape, batch, 11);
    assert.ok(worstRelativeError(analytic, numeric) < 5e-3, `input gradient error ${worstRelativeError(analytic, numeric)}`);
  }
});

test("input gradients: the WASM and JS kernels agree", () => {
  const wasm = createBackend("wasm");
  const specs = () => [linear(33), relu(), linear(17), tanh(), linear(2)];
  const a = inputGradients(specs(), [9], 7, 5, js);
  const b = inputGradients(specs(), [9], 7, 5, wasm);
  assert.ok(worstRelativeError(b.analytic, a.analytic) < 1e-5, `wasm vs js ${worstRelativeError(b.analytic, a.analytic)}`);
});

test("a network of two inputs (obs ⊕ action): parts are written and their gradients split back", () => {
  const batch = 3;
  const { net, analytic, numeric } = inputGradients([linear(6), tanh(), linear(1)], [5], batch, 7, js, [3, 2]);
  assert.ok(worstRelativeError(analytic, numeric) < 5e-3);
  const obsGrad = new Float64Array(batch * 3), actionGrad = new Float64Array(batch * 2);
  net.inputGradPart(0, batch, obsGrad);
  net.inputGradPart(1, batch, actionGrad);
  for (let b = 0; b < batch; b++) {
    assert.deepEqual(Array.from(obsGrad.subarray(b * 3, b * 3 + 3)), Array.from(analytic.subarray(b * 5, b * 5 + 3)));
    assert.deepEqual(Array.from(actionGrad.subarray(b * 2, b * 2 + 2)), Array.from(analytic.subarray(b * 5 + 3, b * 5 + 5)));
  }
  net.setInputPart(1, [10, 11, 20, 21, 30, 31], batch);
  net.setInputPart(0, [1, 2, 3, 4, 5, 6, 7, 8, 9], batch);
  assert.deepEqual(Array.from(net.inputView(batch)), [1, 2, 3, 10, 11, 4, 5, 6, 20, 21, 7, 8, 9, 30, 31]);
  assert.throws(() => net.setInputPart(2, [], 1), /input part 2 does not exist/);
  assert.throws(() => new Network([linear(2)], { inputShape: 5, inputParts: [3, 3], maxBatch: 1, rng: new Random(1), backend: js }), /adding up to the input size 5/);
  const rebuilt = Network.fromDescription(net.describe(), { maxBatch: 1, rng: new Random(0), backend: js });
  assert.deepEqual(rebuilt.inputParts, [3, 2]);
});

test("squashed Gaussian: CleanRL's log-prob with the tanh correction, bounded log-std, and its gradients", () => {
  const batch = 4, d = 2;
  const rng = new Random(3);
  const head = Float32Array.from({ length: batch * 2 * d }, () => rng.normal());
  head[2 * d + d] = 40; // a saturated raw log-std: log σ = LOG_STD_MAX
  const noise = Float64Array.from({ length: batch * d }, () => rng.normal());
  const scale = [2, 0.5], bias = [0, 1];
  const actions = new Float64Array(batch * d), logProb = new Float64Array(batch), squashed = new Float64Array(batch * d);
  squashedGaussianForward(head, batch, d, noise, scale, bias, actions, logProb, squashed);
  assert.equal(boundedLogStd(40), LOG_STD_MAX);
  assert.equal(boundedLogStd(-40), LOG_STD_MIN);
  // Written out as torch does: Normal(μ, σ).log_prob(x) − log(scale(1 − tanh(x)²) + 1e-6), summed.
  for (let b = 0; b < batch; b++) {
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const mu = head[b * 2 * d + j]!, logStd = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (Math.tanh(head[b * 2 * d + d + j]!) + 1);
      const sigma = Math.exp(logStd), x = mu + sigma * noise[b * d + j]!;
      lp += -((x - mu) ** 2) / (2 * sigma * sigma) - logStd - 0.5 * Math.log(2 * Math.PI) - Math.log(scale[j]! * (1 - Math.tanh(x) ** 2) + 1e-6);
      assert.ok(Math.abs(actions[b * d + j]! - (Math.tanh(x) * scale[j]! + bias[j]!)) < 1e-12);
    }
    assert.ok(Math.abs(logProb[b]! - lp) < 1e-9, `row ${b}: ${logProb[b]} vs ${lp}`);
  }
  const mode = new Float64Array(batch * d);
  squashedGaussianMode(head, batch, d, scale, bias, mode);
  assert.ok(Math.abs(mode[0]! - (Math.tanh(head[0]!) * 2 + 0)) < 1e-12);

  // L = Σ cₐ·action + Σ c_lp·log π; analytic vs central differences in every head entry.
  const cA = Float64Array.from({ length: batch * d }, () => rng.normal());
  const cLp = Float64Array.from({ length: batch }, () => rng.normal());
  const loss = (h: Float32Array) => {
    const a = new Float64Array(batch * d), lp = new Float64Array(batch), y = new Float64Array(batch * d);
    squashedGaussianForward(h, batch, d, noise, scale, bias, a, lp, y);
    let s = 0;
    for (let i = 0; i < a.length; i++) s += cA[i]! * a[i]!;
    for (let b = 0; b < batch; b++) s += cLp[b]! * lp[b]!;
    return s;
  };
  const dHead = new Float32Array(head.length);
  squashedGaussianBackward(head, batch, d, noise, scale, squashed, cA, cLp, dHead);
  const h64 = Float32Array.from(head);
  let worst = 0;
  for (let i = 0; i < head.length; i++) {
    const eps = 1e-3;
    h64[i] = head[i]! + eps;
    const up = loss(h64);
    h64[i] = head[i]! - eps;
    const down = loss(h64);
    h64[i] = head[i]!;
    const numeric = (up - down) / (2 * eps);
    worst = Math.max(worst, Math.abs(numeric - dHead[i]!) / Math.max(1, Math.abs(numeric)));
  }
  assert.ok(worst < 2e-3, `worst relative gradient error ${worst}`);
  // Without an action gradient only log π's terms remain.
  const onlyLp = new Float32Array(head.length);
  squashedGaussianBackward(head, batch, d, noise, scale, squashed, null, cLp, onlyLp);
  assert.notDeepEqual(onlyLp, dHead);
});

test("several optimizers in one checkpoint (critics, actor, α): training continues exactly", () => {
  const build = (seed: number) => {
    const actor = new Network([linear(8), relu(), linear(2)], { inputShape: 3, maxBatch: 4, rng: new Random(seed), backend: js });
    const critic = new Network([linear(8), relu(), linear(1)], { inputShape: 5, inputParts: [3, 2], maxBatch: 4, rng: new Random(seed + 1), backend: js });
    const logAlpha = new ParameterTensor("log_alpha", [1], { backend: js });
    return {
      actor, critic, logAlpha,
      optimizers: { q: new Adam([critic], { lr: 1e-3 }), actor: new Adam([actor], { lr: 3e-4 }), alpha: new Adam([logAlpha], { lr: 1e-3 }) },
    };
  };
  const steps = (m: ReturnType<typeof build>, n: number, from: number) => {
    for (let s = from; s < from + n; s++) {
      m.critic.inputView(4).set(Array.from({ length: 20 }, (_, i) => Math.sin(i * s)));
      m.critic.forward(4);
      m.critic.outputGradView(4).set([1, -1, 0.5, s]);
      m.critic.backward({ inputGradient: true });
      m.optimizers.q.update();
      m.actor.inputView(4).set(Array.from({ length: 12 }, (_, i) => Math.cos(i + s)));
      m.actor.forward(4);
      m.actor.outputGradView(4).set(m.critic.inputGradView(4).subarray(0, 8));
      m.actor.backward();
      m.optimizers.actor.update();
      m.logAlpha.grad[0] = 0.3 - s * 0.01;
      m.optimizers.alpha.update();
    }
  };
  const a = build(1);
  steps(a, 4, 0);
  const bytes = saveParameters({ actor: a.actor, qf1: a.critic, log_alpha: a.logAlpha }, a.optimizers, { note: "sac" });
  const b = build(7);
  assert.deepEqual(loadParameters(bytes, { actor: b.actor, qf1: b.critic, log_alpha: b.logAlpha }, b.optimizers).meta, { note: "sac" });
  steps(a, 3, 4);
  steps(b, 3, 4);
  assert.deepEqual(b.actor.parameterView(), a.actor.parameterView());
  assert.deepEqual(b.critic.parameterView(), a.critic.parameterView());
  assert.deepEqual(b.logAlpha.value, a.logAlpha.value);
  assert.equal(b.optimizers.alpha.step, 7);
  const c = build(9);
  assert.throws(() => loadParameters(bytes, { actor: c.actor }, { policy: c.optimizers.actor }), /holds no optimizer policy state/);
  assert.throws(() => loadParameters(bytes, { actor: c.actor }, c.optimizers.actor), /holds no optimizer state/);
});

test("backward({ parameterGradients: false }) gives the same input gradients and leaves parameter gradients alone", () => {
  for (const specs of [[linear(6), tanh(), linear(2)], [conv2d(2, { kernel: 2 }), relu(), linear(3)]] as LayerSpec[][]) {
    const shape = specs[0]!.kind === "conv2d" ? [3, 3, 2] : [4];
    const net = new Network(specs, { inputShape: shape, maxBatch: 3, rng: new Random(2), backend: js });
    net.inputView(3).set(Array.from({ length: 3 * net.inputSize }, (_, i) => Math.sin(i)));
    net.forward(3);
    net.outputGradView(3).set(Array.from({ length: 3 * net.outputSize }, (_, i) => Math.cos(i)));
    net.backward({ inputGradient: true });
    const full = net.inputGradView(3).slice();
    net.gradientView().fill(7);
    net.inputGradView(3).fill(0);
    net.backward({ inputGradient: true, parameterGradients: false });
    assert.deepEqual(net.inputGradView(3), full);
    assert.ok(net.gradientView().every((g) => g === 7));
  }
});
