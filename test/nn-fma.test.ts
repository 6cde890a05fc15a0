/**
 * The kernels with fused multiply-adds (relaxed SIMD, `setKernelFma`): the whole kernel suite of
 * nn-kernels.test.ts against the JS reference with its tolerances, bit-identical on one and two
 * threads, a training step within tolerance of the default kernels, and the command line's --fma
 * (recorded with the run, and used again by tsrl resume whatever TSRL_FMA says).
 *
 * Node 20 needs V8's relaxed-SIMD flag, set here for this process before any kernel compiles
 * (the tsrl command line sets it itself).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DQN } from "../src/algos/dqn.js";
import { SAC } from "../src/algos/sac.js";
import { AdamW, clipGlobalNorm } from "../src/nn/adamw.js";
import { Backend, createBackend } from "../src/nn/backend.js";
import type { Kernels } from "../src/nn/kernels.js";
import { conv2d, linear, relu, tanh } from "../src/nn/layers.js";
import { Network } from "../src/nn/network.js";
import { Adam } from "../src/nn/optim.js";
import type { ProductSplitter } from "../src/nn/parallel.js";
import { Transformer, type TransformerConfig } from "../src/nn/transformer.js";
import { wasmSpace } from "../src/nn/transformer-space.js";
import { FMA_UNAVAILABLE, createWasmKernels, kernelFma, kernelsModule, relaxedSimdAvailable, setKernelFma } from "../src/nn/wasm-kernels.js";
import { enableRelaxedSimd, fmaSetting } from "../src/node/kernel-fma.js";
import { nodeKernelThreads } from "../src/node/kernel-threads.js";
import { Random } from "../src/rng/random.js";
import { RunStore } from "../src/track/store.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";

// Node 20 without the flag (Node ≥ 22 has relaxed SIMD on by default): refused with what to do
if (!relaxedSimdAvailable()) assert.throws(() => setKernelFma(true), (err: Error) => err.message === FMA_UNAVAILABLE && /--experimental-wasm-relaxed-simd/.test(err.message));
assert.equal(enableRelaxedSimd(), true, "relaxed SIMD after setting V8's flag");
assert.equal(kernelFma(), false, "off by default");

// The kernel suite once more, on FMA kernels: its `wasm` kernels are made with the process-wide
// setting when the module loads.
setKernelFma(true);
await import("./nn-kernels.test.js");
setKernelFma(false);

const splitters: ProductSplitter[] = [];
after(() => splitters.forEach((s) => s.close()));

function fillRandom(view: Float32Array, seed: number): void {
  const random = new Random(seed);
  for (let i = 0; i < view.length; i++) view[i] = random.normal();
}

const bytes = (view: ArrayLike<number>) => Buffer.from(Float32Array.from(view).buffer).toString("base64");

/** FMA kernels on `threads` threads, once the helper is up. */
async function fmaKernels(threads: number): Promise<Kernels> {
  const kernels = createWasmKernels(undefined, threads > 1 ? nodeKernelThreads(threads) : null, true);
  if (threads > 1) {
    assert.ok(kernels.parallel, "a shared memory and a helper thread");
    splitters.push(kernels.parallel);
    await kernels.parallel.ready();
  }
  return kernels;
}

function worstRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

/** Whether this CPU fuses relaxed_madd (FMA): then the FMA kernels' products differ from the default ones in the last bits. */
function cpuFuses(): boolean {
  const [plain, fma] = [false, true].map((on) => {
    const b = new Backend(createWasmKernels(undefined, null, on));
    const [m, k, n] = [16, 64, 16];
    const x = b.alloc(m * k), w = b.alloc(k * n), y = b.alloc(m * n);
    fillRandom(b.view32(x, m * k), 1);
    fillRandom(b.view32(w, k * n), 2);
    b.kernels.linearForward(m, k, n, x, w, -1, y);
    return bytes(b.view32(y, m * n));
  });
  return plain !== fma;
}

test("four builds: FMA kernels are a module of their own, picked by the setting; the setting is checked", () => {
  assert.notEqual(kernelsModule(false, true), kernelsModule(false, false));
  assert.notEqual(kernelsModule(true, true), kernelsModule(true, false));
  setKernelFma(true);
  try {
    assert.equal(kernelsModule(), kernelsModule(false, true));
  } finally {
    setKernelFma(false);
  }
  assert.equal(kernelsModule(), kernelsModule(false, false));
  assert.throws(() => setKernelFma("yes" as unknown as boolean), /expected true or false/);
  assert.equal(fmaSetting(undefined, {}), false);
  assert.equal(fmaSetting(undefined, { TSRL_FMA: "1" }), true);
  assert.equal(fmaSetting(false, { TSRL_FMA: "1" }), false);
  assert.equal(fmaSetting(true, {}), true);
  assert.throws(() => fmaSetting(undefined, { TSRL_FMA: "on" }), /TSRL_FMA must be 1 or 0/);
});

test("FMA kernels: products split over 2 threads give the bytes of one thread", async () => {
  const shapes: [number, number, number][] = [[256, 256, 256], [258, 67, 61], [33, 1024, 128], [1024, 72, 15]];
  const outputs = await Promise.all([1, 2].map(async (threads) => {
    const b = new Backend(await fmaKernels(threads));
    const out: string[] = [];
    for (const [m, k, n] of shapes) {
      const x = b.alloc(m * k), w = b.alloc(k * n), bias = b.alloc(n), y = b.alloc(m * n), dy = b.alloc(m * n), dx = b.alloc(m * k), dw = b.alloc(k * n);
      fillRandom(b.view32(x, m * k), 1);
      fillRandom(b.view32(w, k * n), 2);
      fillRandom(b.view32(bias, n), 3);
      fillRandom(b.view32(dy, m * n), 4);
      b.kernels.linearForward(m, k, n, x, w, bias, y);
      b.kernels.matmulNT(m, n, k, dy, w, dx, false);
      b.kernels.matmulTN(k, m, n, x, dy, dw, true);
      out.push(bytes(b.view32(y, m * n)), bytes(b.view32(dx, m * k)), bytes(b.view32(dw, k * n)));
    }
    return out;
  }));
  assert.deepEqual(outputs[1], outputs[0]);
  assert.ok(splitters.at(-1)!.helperChunks > 0, "the helper computed chunks");
});

test("FMA kernels: MLP and conv networks, SAC and DQN updates, a transformer step are bit-identical on 1 and 2 threads", async () => {
  const networks = (kernels: Kernels) => {
    const backend = new Backend(kernels);
    const mlp = new Network([linear(256), tanh(), linear(256), relu(), linear(3)], { inputShape: 17, maxBatch: 256, rng: new Random(1), backend });
    const conv = new Network([conv2d(16, { kernel: 3 }), relu(), linear(128), relu(), linear(6)], { inputShape: [10, 10, 4], maxBatch: 32, rng: new Random(2), backend });
    const out: string[] = [];
    for (const [net, batch] of [[mlp, 256], [conv, 32]] as const) {
      fillRandom(net.inputView(batch), 3);
      net.forward(batch);
      out.push(bytes(net.outputView(batch)));
      fillRandom(net.outputGradView(batch), 4);
      net.backward({ inputGradient: true });
      out.push(bytes(net.gradientView()), bytes(net.inputGradView(batch)));
    }
    return out;
  };
  assert.deepEqual(networks(await fmaKernels(2)), networks(await fmaKernels(1)));
  const sac = (kernels: Kernels) => {
    const agent = new SAC({ envId: "Pendulum-v1", seed: 1, totalTimesteps: 160, learningStarts: 120, batchSize: 64, hiddenSizes: [256, 256], bufferSize: 200 }, { backend: new Backend(kernels) });
    const metrics: string[] = [];
    agent.learn({ onMetrics: (step, { "charts/SPS": _sps, ...m }) => metrics.push(JSON.stringify([step, m])) });
    return [bytes(agent.actor.parameterView()), ...metrics];
  };
  assert.deepEqual(sac(await fmaKernels(2)), sac(await fmaKernels(1)));
  const dqn = (kernels: Kernels) => {
    const agent = new DQN({ envId: "CartPole-v1", seed: 1, totalTimesteps: 400, learningStarts: 200, trainFrequency: 2, batchSize: 128, hiddenSizes: [256, 256], bufferSize: 400 }, { backend: new Backend(kernels) });
    const episodes: number[] = [];
    agent.learn({ onEpisode: (e) => episodes.push(e.step, e.return) });
    return [bytes(agent.qNetwork.parameterView()), ...episodes.map(String)];
  };
  assert.deepEqual(dqn(await fmaKernels(2)), dqn(await fmaKernels(1)));
  const transformer = async (threads: number) => {
    const space = wasmSpace(threads > 1 ? nodeKernelThreads(threads) : null, true);
    if (space.parallel) {
      splitters.push(space.parallel);
      await space.parallel.ready();
    }
    return transformerSteps(space);
  };
  assert.deepEqual(await transformer(2), await transformer(1));
});

/** Three training steps of the GRPO benchmark's transformer (forward, backward, clipping, AdamW): logits and gradients of each. */
function transformerSteps(space: ReturnType<typeof wasmSpace>): string[] {
  const model = new Transformer({ vocabSize: 14, contextLength: 16, layers: 2, dModel: 64, heads: 4, mlpHidden: 256 }, { seed: 1, space });
  const optimizer = new AdamW(model.numParameters, model.layout, { lr: 1e-3 });
  const random = new Random(0);
  const [B, T] = [64, 16];
  const tokens = Int32Array.from({ length: B * T }, () => random.integer(14));
  const targets = Int32Array.from({ length: B * T }, () => random.integer(14));
  const grad = new Float64Array(B * T).fill(-1 / (B * T));
  const out: string[] = [];
  for (let step = 0; step < 3; step++) {
    out.push(bytes(model.forward(tokens, B, T)));
    model.zeroGrad();
    model.backward(targets, grad);
    out.push(bytes(model.grads));
    clipGlobalNorm(model.grads, 1);
    optimizer.update(model.params, model.grads);
  }
  return out;
}

test("a training step through MLP and conv networks with FMA kernels is within the WASM-vs-JS tolerance of the default kernels and of JS", (t) => {
  const step = (backend: Backend) => {
    const mlp = new Network([linear(64), tanh(), linear(64), relu(), linear(3)], { inputShape: 17, maxBatch: 128, rng: new Random(1), backend });
    const conv = new Network([conv2d(16, { kernel: 3 }), relu(), linear(64), relu(), linear(6)], { inputShape: [10, 10, 4], maxBatch: 32, rng: new Random(2), backend });
    const adam = new Adam([mlp, conv], { lr: 1e-3 });
    const out: Float32Array[] = [];
    for (const [net, batch] of [[mlp, 128], [conv, 32]] as const) {
      fillRandom(net.inputView(batch), 3);
      net.forward(batch);
      out.push(Float32Array.from(net.outputView(batch)));
      fillRandom(net.outputGradView(batch), 4);
      net.backward({ inputGradient: true });
      out.push(Float32Array.from(net.gradientView()), Float32Array.from(net.inputGradView(batch)));
    }
    adam.update();
    out.push(Float32Array.from(mlp.parameterView()), Float32Array.from(conv.parameterView()));
    return out;
  };
  const fma = step(new Backend(createWasmKernels(undefined, null, true)));
  const plain = step(createBackend("wasm"));
  const js = step(createBackend("js"));
  let differing = 0;
  fma.forEach((values, i) => {
    // 1e-5: the bound test/nn.test.ts holds the default WASM kernels to against JS
    assert.ok(worstRelativeError(values, plain[i]!) < 1e-5, `array ${i}: FMA vs default WASM ${worstRelativeError(values, plain[i]!)}`);
    assert.ok(worstRelativeError(values, js[i]!) < 1e-5, `array ${i}: FMA vs JS ${worstRelativeError(values, js[i]!)}`);
    for (let j = 0; j < values.length; j++) if (!Object.is(values[j], plain[i]![j])) differing++;
  });
  t.diagnostic(`${differing} floats differ from the default WASM kernels' (CPU fuses: ${cpuFuses()})`);
  if (cpuFuses()) assert.ok(differing > 0, "the FMA kernels are in use");
});

test("the transformer on FMA kernels gives the plain-loop float64 path's logits and gradients (the default kernels' tolerances)", () => {
  const config: TransformerConfig = { vocabSize: 14, contextLength: 16, layers: 2, dModel: 32, heads: 4, mlpHidden: 64 };
  const wasm = new Transformer(config, { seed: 1, space: wasmSpace(null, true) });
  const reference = new Transformer(config, { seed: 1, space: "js-float64" });
  const r = new Random(3);
  const params = wasm.params;
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.05 * r.normal();
  reference.params.set(wasm.params);
  const [B, T] = [5, 13];
  const tokens = Int32Array.from({ length: B * T }, () => r.integer(14));
  const targets = Int32Array.from({ length: B * T }, () => r.integer(14));
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
  for (let i = 0; i < reference.grads.length; i++) assert.ok(Math.abs(wasm.grads[i]! - reference.grads[i]!) <= 1e-4 * scale, `gradient ${i}: ${wasm.grads[i]} vs ${reference.grads[i]}`);
  // decoding with the cache (the fused decoding step) on FMA kernels too
  const cache = wasm.cacheFor(B);
  const column = new Int32Array(B);
  const full = reference.forward(tokens, B, T).slice();
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) column[b] = tokens[b * T + t]!;
    const logits = wasm.step(cache, column, B);
    for (let b = 0; b < B; b++) for (let v = 0; v < 14; v++) assert.ok(Math.abs(logits[b * 14 + v]! - full[(b * T + t) * 14 + v]!) < 1e-4);
  }
});

test("tsrl train --fma: recorded with the run; kill -9 and tsrl resume under TSRL_FMA=0 still ends as the uninterrupted --fma run; --fma --backend js is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-fma-"));
  try {
    const common = ["train", "ppo", "--env", "CartPole-v1", "--seed", "3", "--total-timesteps", "24576", "--checkpoint-every", "4096", "--store", dir, "--quiet"];
    for (const [name, extra] of [["fma", ["--fma"]], ["plain", []]] as const) assert.equal(tsrl(...common, "--name", name, ...extra).code, 0);
    await killAfterCheckpoints([...common, "--name", "killed", "--fma"], dir, "killed", 2);
    const resumed = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "resume", "killed", "--store", dir, "--quiet"], { encoding: "utf8", env: { ...process.env, TSRL_FMA: "0" } });
    assert.equal(resumed.status, 0, resumed.stderr);
    const store = new RunStore(dir, { create: false });
    const policy = (name: string) => store.readArtifact(store.artifacts(store.getRun(name).id, "policy").at(-1)!);
    const versions = (name: string) => store.getRun(name).versions as { fma?: boolean; resumes?: { fma?: boolean }[] };
    assert.equal(versions("fma").fma, true);
    assert.equal(versions("plain").fma, false);
    assert.equal(versions("killed").fma, true);
    assert.equal(versions("killed").resumes?.[0]?.fma, true);
    assert.ok(Buffer.from(policy("killed")).equals(Buffer.from(policy("fma"))), "the resumed run's policy is the uninterrupted --fma run's");
    if (cpuFuses()) assert.ok(!Buffer.from(policy("fma")).equals(Buffer.from(policy("plain"))), "FMA kernels change the policy's last bits");
    store.close();
    const js = tsrl("train", "ppo", "--env", "CartPole-v1", "--fma", "--backend", "js", "--no-track");
    assert.notEqual(js.code, 0);
    assert.match(js.stderr, /--fma: the js backend has no FMA kernels/);
    const badEnv = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "ppo", "--env", "CartPole-v1", "--no-track"], { encoding: "utf8", env: { ...process.env, TSRL_FMA: "yes" } });
    assert.notEqual(badEnv.status, 0);
    assert.match(badEnv.stderr, /TSRL_FMA must be 1 or 0/);
    assert.match(tsrl("train", "ppo", "--help").stdout, /--fma\s+fused multiply-add \(relaxed SIMD\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
