/** Matrix products split across two threads over a shared WebAssembly memory: the same bytes as one thread, everywhere they are used. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DQN } from "../src/algos/dqn.js";
import { SAC } from "../src/algos/sac.js";
import { Backend } from "../src/nn/backend.js";
import { AdamW, clipGlobalNorm } from "../src/nn/adamw.js";
import type { Kernels } from "../src/nn/kernels.js";
import { conv2d, linear, relu, tanh } from "../src/nn/layers.js";
import { Network } from "../src/nn/network.js";
import { MIN_SPLIT_MACS, type ProductSplitter } from "../src/nn/parallel.js";
import { Transformer } from "../src/nn/transformer.js";
import { wasmSpace } from "../src/nn/transformer-space.js";
import { createWasmKernels } from "../src/nn/wasm-kernels.js";
import { nodeKernelThreads, threadsSetting } from "../src/node/kernel-threads.js";
import { Random } from "../src/rng/random.js";
import { tsrl } from "./cli-run.js";

const splitters: ProductSplitter[] = [];
after(() => splitters.forEach((s) => s.close()));

/** Kernels on two threads, once the helper is up (products work before that too, on one thread). */
async function twoThreads(): Promise<Kernels> {
  const kernels = createWasmKernels(undefined, nodeKernelThreads(2));
  assert.ok(kernels.parallel, "a shared memory and a helper thread");
  splitters.push(kernels.parallel);
  await kernels.parallel.ready();
  return kernels;
}

const oneThread = (): Kernels => createWasmKernels(undefined, null);

function fillRandom(view: Float32Array, seed: number): void {
  const random = new Random(seed);
  for (let i = 0; i < view.length; i++) view[i] = random.normal();
}

const bytes = (view: Float32Array) => Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("base64");

test("products split by rows give the bytes of one thread (odd shapes, accumulate, a memory grown after the helper started)", async () => {
  const shapes: [number, number, number][] = [
    [256, 256, 256],
    [258, 67, 61], // rows not a multiple of 4, narrow column remainders
    [33, 1024, 128],
    [1024, 72, 15],
    [9, 300, 400],
    [64, 5, 4096],
  ];
  const kernels = [oneThread(), await twoThreads()];
  const backends = kernels.map((k) => new Backend(k));
  const outputs: string[][] = [[], []];
  for (const [m, k, n] of shapes) {
    assert.ok(m * k * n >= MIN_SPLIT_MACS, `${m}×${k}×${n} is large enough to split`);
    backends.forEach((b, t) => {
      b.alloc(1 << 20); // grow the memory between products: the helper must see the new pages
      const x = b.alloc(m * k), w = b.alloc(k * n), bias = b.alloc(n), y = b.alloc(m * n), dy = b.alloc(m * n), dx = b.alloc(m * k), dw = b.alloc(k * n);
      fillRandom(b.view32(x, m * k), 1);
      fillRandom(b.view32(w, k * n), 2);
      fillRandom(b.view32(bias, n), 3);
      fillRandom(b.view32(dy, m * n), 4);
      fillRandom(b.view32(dw, k * n), 5);
      const K = b.kernels;
      K.linearForward(m, k, n, x, w, bias, y);
      K.matmulNT(m, n, k, dy, w, dx, false);
      K.matmulNT(m, n, k, dy, w, dx, true);
      K.matmulTN(k, m, n, x, dy, dw, true);
      outputs[t]!.push(bytes(b.view32(y, m * n)), bytes(b.view32(dx, m * k)), bytes(b.view32(dw, k * n)));
      K.linearForward(m, k, n, x, w, -1, y);
      K.matmulTN(k, m, n, x, dy, dw, false);
      outputs[t]!.push(bytes(b.view32(y, m * n)), bytes(b.view32(dw, k * n)));
    });
  }
  assert.deepEqual(outputs[1], outputs[0]);
  // the helper really computed chunks (it may lose the first races to the main thread)
  const b = backends[1]!;
  const [m, k, n] = [256, 256, 256];
  const x = b.alloc(m * k), w = b.alloc(k * n), y = b.alloc(m * n);
  for (let i = 0; i < 5000 && kernels[1]!.parallel!.helperChunks === 0; i++) b.kernels.linearForward(m, k, n, x, w, -1, y);
  assert.ok(kernels[1]!.parallel!.helperChunks > 0, "the helper thread took chunks");
});

test("network forward/backward (MLP and conv) are bit-identical on 1 and 2 threads", async () => {
  const build = (kernels: Kernels) => {
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
  assert.deepEqual(build(await twoThreads()), build(oneThread()));
});

test("SAC and DQN updates are bit-identical on 1 and 2 threads", async () => {
  const sac = (kernels: Kernels) => {
    const agent = new SAC({ envId: "Pendulum-v1", seed: 1, totalTimesteps: 160, learningStarts: 120, batchSize: 64, hiddenSizes: [256, 256], bufferSize: 200 }, { backend: new Backend(kernels) });
    const metrics: string[] = [];
    agent.learn({ onMetrics: (step, { "charts/SPS": _sps, ...m }) => metrics.push(JSON.stringify([step, m])) });
    return [bytes(agent.actor.parameterView()), ...metrics];
  };
  assert.deepEqual(sac(await twoThreads()), sac(oneThread()));
  const dqn = (kernels: Kernels) => {
    const agent = new DQN({ envId: "CartPole-v1", seed: 1, totalTimesteps: 400, learningStarts: 200, trainFrequency: 2, batchSize: 128, hiddenSizes: [256, 256], bufferSize: 400 }, { backend: new Backend(kernels) });
    const episodes: number[] = [];
    agent.learn({ onEpisode: (e) => episodes.push(e.step, e.return) });
    return [bytes(agent.qNetwork.parameterView()), ...episodes.map(String)];
  };
  assert.deepEqual(dqn(await twoThreads()), dqn(oneThread()));
});

test("a transformer training step is bit-identical on 1 and 2 threads", async () => {
  const config = { vocabSize: 14, contextLength: 16, layers: 2, dModel: 64, heads: 4, mlpHidden: 256 };
  const run = async (threads: number) => {
    const space = wasmSpace(threads > 1 ? nodeKernelThreads(threads) : null);
    if (space.parallel) {
      splitters.push(space.parallel);
      await space.parallel.ready();
    }
    const model = new Transformer(config, { seed: 1, space });
    const optimizer = new AdamW(model.numParameters, model.layout, { lr: 1e-3 });
    const random = new Random(0);
    const [B, T] = [64, 16];
    const tokens = Int32Array.from({ length: B * T }, () => random.integer(14));
    const targets = Int32Array.from({ length: B * T }, () => random.integer(14));
    const grad = new Float64Array(B * T).fill(-1 / (B * T));
    const out: string[] = [];
    for (let step = 0; step < 3; step++) {
      out.push(bytes(Float32Array.from(model.forward(tokens, B, T))));
      model.zeroGrad();
      model.backward(targets, grad);
      out.push(bytes(Float32Array.from(model.grads)));
      clipGlobalNorm(model.grads, 1);
      optimizer.update(model.params, model.grads);
    }
    return out;
  };
  assert.deepEqual(await run(2), await run(1));
});

test("a helper that never starts: the calling thread computes every chunk, and splitting backs off", () => {
  const kernels = createWasmKernels(undefined, { threads: 2, launch: () => ({ terminate() {} }) });
  const reference = new Backend(oneThread());
  const outputs = [new Backend(kernels), reference].map((b) => {
    const [m, k, n] = [64, 128, 256];
    const x = b.alloc(m * k), w = b.alloc(k * n), y = b.alloc(m * n);
    fillRandom(b.view32(x, m * k), 1);
    fillRandom(b.view32(w, k * n), 2);
    for (let i = 0; i < 300; i++) b.kernels.linearForward(m, k, n, x, w, -1, y);
    return bytes(b.view32(y, m * n));
  });
  assert.equal(outputs[0], outputs[1]);
  assert.equal(kernels.parallel!.helperChunks, 0);
  // a split that never pays (the calling thread did all of it) stops being tried for a while
  assert.ok(kernels.parallel!.backedOff > 0);
});

test("a memory that is not shared keeps the products on one thread; TSRL_THREADS is checked", () => {
  const kernels = createWasmKernels(new WebAssembly.Memory({ initial: 16 }), nodeKernelThreads(2));
  assert.equal(kernels.parallel, undefined);
  const b = new Backend(kernels);
  const x = b.alloc(64 * 64), w = b.alloc(64 * 256), y = b.alloc(64 * 256);
  b.view32(x, 64 * 64).fill(1);
  b.view32(w, 64 * 256).fill(0.5);
  kernels.linearForward(64, 64, 256, x, w, -1, y);
  assert.equal(b.view32(y, 64 * 256)[100], 32);
  assert.equal(threadsSetting(undefined, {}), 1);
  assert.equal(threadsSetting(undefined, { TSRL_THREADS: "2" }), 2);
  assert.equal(threadsSetting("1", { TSRL_THREADS: "2" }), 1);
  assert.throws(() => threadsSetting(undefined, { TSRL_THREADS: "two" }), /TSRL_THREADS must be a positive integer/);
  assert.throws(() => threadsSetting("0", {}), /--threads must be a positive integer/);
});

test("tsrl train --threads 2 trains the same policy as one thread; a bad --threads or TSRL_THREADS is named", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-threads-"));
  try {
    const policies = ["1", "2"].map((threads) => {
      const file = join(dir, `sac-${threads}.tsrlpolicy`);
      const r = tsrl("train", "sac", "--env", "Pendulum-v1", "--total-timesteps", "1100", "--learning-starts", "1000", "--threads", threads, "--no-track", "--quiet", "--save", file);
      assert.equal(r.code, 0, r.stderr);
      return readFileSync(file);
    });
    assert.ok(policies[0]!.equals(policies[1]!));
    const bad = tsrl("train", "sac", "--env", "Pendulum-v1", "--threads", "0");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--threads must be a positive integer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
