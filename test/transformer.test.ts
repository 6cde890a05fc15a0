/** The hand-written transformer: gradients against finite differences, KV-cache decoding against the full forward, seeded sampling, AdamW. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../src/rng/random.js";
import { AdamW, clipGlobalNorm, scheduledLr } from "../src/nn/adamw.js";
import { Transformer, type TransformerConfig } from "../src/nn/transformer.js";
import { sampleCompletions } from "../src/nn/transformer-sample.js";

const small: TransformerConfig = { vocabSize: 7, contextLength: 6, layers: 2, dModel: 8, heads: 2, mlpHidden: 12 };

function randomTokens(n: number, V: number, seed: number): Int32Array {
  const r = new Random(seed);
  return Int32Array.from({ length: n }, () => r.integer(V));
}

test("backward matches central finite differences for every parameter (float64)", () => {
  const model = new Transformer(small, { seed: 3, space: "js-float64" });
  // larger weights than GPT-2's init so every path carries a visible gradient
  const r = new Random(9);
  for (let i = 0; i < model.params.length; i++) model.params[i] = model.params[i]! + 0.3 * r.normal();
  const B = 2;
  const T = 5;
  const tokens = randomTokens(B * T, small.vocabSize, 1);
  const targets = randomTokens(B * T, small.vocabSize, 2);
  const weights = Float64Array.from({ length: B * T }, (_, i) => (i % 4 === 3 ? 0 : Math.sin(i + 1)));
  const logp = new Float64Array(B * T);
  const objective = () => {
    model.forward(tokens, B, T);
    model.tokenLogProbs(targets, logp);
    let s = 0;
    for (let i = 0; i < B * T; i++) s += weights[i]! * logp[i]!;
    return s;
  };
  objective();
  model.zeroGrad();
  model.backward(targets, weights);
  const analytic = model.grads.slice();
  let worst = 0;
  for (let p = 0; p < model.params.length; p++) {
    const saved = model.params[p]!;
    // h balances truncation (h²) against float64 round-off of a loss of size ~10 (1e-15/h)
    const h = 1e-5;
    model.params[p] = saved + h;
    const plus = objective();
    model.params[p] = saved - h;
    const minus = objective();
    model.params[p] = saved;
    const numeric = (plus - minus) / (2 * h);
    const error = Math.abs(numeric - analytic[p]!) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic[p]!));
    if (error > worst) worst = error;
    const entry = model.layout.find((e) => p >= e.offset && p < e.offset + e.length)!;
    assert.ok(error < 1e-6, `${entry.name}[${p - entry.offset}]: analytic ${analytic[p]}, numeric ${numeric}`);
  }
  // every tensor received some gradient (no silently dead path)
  for (const e of model.layout) {
    if (e.name === "wpe") continue;
    let any = 0;
    for (let i = e.offset; i < e.offset + e.length; i++) any += Math.abs(analytic[i]!);
    assert.ok(any > 0, `${e.name} got no gradient`);
  }
});

test("KV-cache decoding gives the full forward's logits at every position", () => {
  const model = new Transformer(small, { seed: 5 });
  const r = new Random(4);
  for (let i = 0; i < model.params.length; i++) model.params[i] = model.params[i]! + 0.2 * r.normal();
  const B = 3;
  const T = 6;
  const tokens = randomTokens(B * T, small.vocabSize, 7);
  const full = model.forward(tokens, B, T).slice();
  const cache = model.cacheFor(B);
  const column = new Int32Array(B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) column[b] = tokens[b * T + t]!;
    const logits = model.step(cache, column);
    for (let b = 0; b < B; b++)
      for (let v = 0; v < small.vocabSize; v++) {
        const want = full[(b * T + t) * small.vocabSize + v]!;
        assert.ok(Math.abs(logits[b * small.vocabSize + v]! - want) < 1e-5, `b ${b} t ${t} v ${v}: ${logits[b * small.vocabSize + v]} vs ${want}`);
      }
  }
  assert.throws(() => model.step(cache, column), /context 6/);
});

test("sampling is seeded, stops at the stop token, and greedy picks the argmax", () => {
  const model = new Transformer({ ...small, contextLength: 12 }, { seed: 2 });
  const prompts = [Int32Array.of(1, 2, 3), Int32Array.of(4, 5), Int32Array.of(6, 1, 2)];
  const options = { maxNewTokens: 6, temperature: 1, topK: 4, topP: 0.9, stopToken: 0 };
  const a = sampleCompletions(model, prompts, { ...options, random: new Random(11) });
  const b = sampleCompletions(model, prompts, { ...options, random: new Random(11) });
  assert.deepEqual(a.completions, b.completions);
  for (const [r, c] of a.completions.entries()) {
    const stop = c.indexOf(0);
    assert.ok(stop === -1 || stop === c.length - 1, "nothing after the stop token");
    assert.equal(a.truncated[r], stop === -1);
    assert.ok(c.length <= 6);
  }
  // greedy decoding equals repeated argmax of the full forward
  const greedy = sampleCompletions(model, [prompts[1]!], { maxNewTokens: 4, temperature: 0 });
  const seq = Array.from(prompts[1]!);
  for (let k = 0; k < greedy.completions[0]!.length; k++) {
    const logits = model.forward(seq, 1, seq.length);
    const V = small.vocabSize;
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[(seq.length - 1) * V + v]! > logits[(seq.length - 1) * V + best]!) best = v;
    assert.equal(greedy.completions[0]![k], best);
    seq.push(best);
  }
  assert.throws(() => sampleCompletions(model, [new Int32Array(12)], { maxNewTokens: 1, temperature: 0 }), /context is 12/);
});

test("top-k 1 is greedy; sampled log-probs are those of the filtered distribution", () => {
  const model = new Transformer({ ...small, contextLength: 12 }, { seed: 8 });
  const prompts = [Int32Array.of(1, 2), Int32Array.of(3, 4)];
  const k1 = sampleCompletions(model, prompts, { maxNewTokens: 5, topK: 1, random: new Random(1) });
  const greedy = sampleCompletions(model, prompts, { maxNewTokens: 5, temperature: 0 });
  assert.deepEqual(k1.completions, greedy.completions);
  for (const l of k1.logProbs) for (const x of l) assert.equal(x, 0);
});

test("AdamW matches torch's update; schedule and clipping", () => {
  const layout = [{ name: "w", shape: [2, 1], offset: 0, length: 2, decay: true }, { name: "b", shape: [1], offset: 2, length: 1, decay: false }];
  const opt = new AdamW(3, layout, { lr: 0.1, weightDecay: 0.5 });
  const params = Float64Array.of(1, -2, 3);
  const grads = Float64Array.of(0.5, 0.25, -1);
  opt.update(params, grads);
  // first step: m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps) = ±lr, after decay p·(1 − lr·wd) on matrices
  assert.ok(Math.abs(params[0]! - (1 * 0.95 - 0.1)) < 1e-6);
  assert.ok(Math.abs(params[1]! - (-2 * 0.95 - 0.1)) < 1e-6);
  assert.ok(Math.abs(params[2]! - (3 + 0.1)) < 1e-6);
  const s = { lr: 1e-3, warmup: 50, decaySteps: 2000, minLr: 1e-4 };
  assert.equal(scheduledLr(s, 0), 1e-3 / 51);
  assert.ok(Math.abs(scheduledLr(s, 50) - 1e-3) < 1e-12);
  assert.ok(Math.abs(scheduledLr(s, 2000) - 1e-4) < 1e-12);
  assert.equal(scheduledLr({ ...s, decaySteps: 0 }, 500), 1e-3);
  const g = Float64Array.of(3, 4);
  assert.equal(clipGlobalNorm(g, 1), 5);
  assert.ok(Math.abs(Math.hypot(g[0]!, g[1]!) - 1) < 1e-6);
});

test("the WASM SIMD path gives the plain-loop float64 path's logits, log-probs and gradients", () => {
  const config: TransformerConfig = { vocabSize: 14, contextLength: 16, layers: 2, dModel: 32, heads: 4, mlpHidden: 64 };
  const wasm = new Transformer(config, { seed: 1, space: "wasm" });
  const reference = new Transformer(config, { seed: 1, space: "js-float64" });
  const r = new Random(3);
  const params = wasm.params;
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.05 * r.normal();
  reference.params.set(wasm.params);
  const B = 5;
  const T = 13;
  const tokens = randomTokens(B * T, 14, 5);
  const targets = randomTokens(B * T, 14, 6);
  const weights = Float64Array.from({ length: B * T }, (_, i) => Math.cos(i));
  const logpWasm = wasm.tokenLogProbs(targets, (wasm.forward(tokens, B, T), new Float64Array(B * T)));
  const logpRef = reference.tokenLogProbs(targets, (reference.forward(tokens, B, T), new Float64Array(B * T)));
  for (let i = 0; i < B * T; i++) assert.ok(Math.abs(logpWasm[i]! - logpRef[i]!) < 1e-4, `log-prob ${i}: ${logpWasm[i]} vs ${logpRef[i]}`);
  wasm.zeroGrad();
  reference.zeroGrad();
  wasm.backward(targets, weights);
  reference.backward(targets, weights);
  let scale = 0;
  for (const v of reference.grads) scale = Math.max(scale, Math.abs(v));
  const gw = wasm.grads;
  const gr = reference.grads;
  for (let i = 0; i < gr.length; i++) assert.ok(Math.abs(gw[i]! - gr[i]!) <= 1e-4 * scale, `gradient ${i}: ${gw[i]} vs ${gr[i]} (largest ${scale})`);
  // decoding with the cache in WASM memory, after the space has grown
  const cache = wasm.cacheFor(B);
  const column = new Int32Array(B);
  const full = reference.forward(tokens, B, T).slice();
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) column[b] = tokens[b * T + t]!;
    const logits = wasm.step(cache, column, B);
    for (let b = 0; b < B; b++) for (let v = 0; v < 14; v++) assert.ok(Math.abs(logits[b * 14 + v]! - full[(b * T + t) * 14 + v]!) < 1e-4);
  }
});
