/**
 * The WASM SIMD env loops (wasm/envs.ts) against the JS ones, bit for bit: fdlibm sin/cos against
 * V8's Math.sin/Math.cos, PCG64 draws against PCG64Bank, and CartPole's vector env — WASM, fused
 * JS and generic loops — over long random rollouts with resets and truncations, one and two threads.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VectorEnv, kernelOf, make, makeVec } from "../src/index.js";
import { makeThreadedVec } from "../src/node/index.js";
import { PCG64Bank } from "../src/rng/pcg64.js";
import { WASM_MIN_ENVS, instantiateEnvSteps, wasmEnvStepsUsable } from "../src/envs/wasm-step.js";
import { uniforms } from "./random.js";

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("WASM env module", () => {
  it("computes sin and cos as V8's Math.sin / Math.cos on 4M inputs where it uses its own kernels", () => {
    assert.ok(wasmEnvStepsUsable(), "this engine passes the module's check");
    const count = 1 << 20;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((count * 24 + 256) / 65536) });
    const k = instantiateEnvSteps(memory);
    const x = new Float64Array(memory.buffer, 0, count);
    const s = new Float64Array(memory.buffer, count * 8, count);
    const c = new Float64Array(memory.buffer, count * 16, count);
    const rand = uniforms(5);
    // the kernels serve |x| below fdlibm's 0.3 bound (high word 0x3FD33333); beyond, the loops call Math
    const bound = new Float64Array(new BigUint64Array([0x3fd3333300000000n]).buffer)[0]!;
    let mismatches = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < count; i++) {
        const u = rand() * 2 - 1;
        // the range uniformly, CartPole's angles, magnitudes down to 1e-18 (below 2^-27 fdlibm
        // returns x and 1), and just inside the bound
        const kind = i % 4;
        x[i] = kind === 0 ? u * bound : kind === 1 ? u * 0.21 : kind === 2 ? Math.sign(u) * 0.29 * Math.exp(-40 * rand()) : (u < 0 ? -1 : 1) * bound * (1 - rand() * 1e-9);
      }
      x[0] = 0;
      x[1] = -0;
      x[2] = 2 ** -27;
      x[3] = -(2 ** -27) * (1 - 2 ** -52);
      k.sinCosBatch(count, 0, count * 8, count * 16, count * 24);
      for (let i = 0; i < count; i++) if (!Object.is(s[i], Math.sin(x[i]!)) || !Object.is(c[i], Math.cos(x[i]!))) mismatches++;
    }
    assert.equal(mismatches, 0);
  });

  it("draws PCG64's Generator.random() as PCG64Bank does, from the bank's own storage", () => {
    const memory = new WebAssembly.Memory({ initial: 2 });
    const k = instantiateEnvSteps(memory);
    const bank = new PCG64Bank(3, memory.buffer);
    const reference = new PCG64Bank(3);
    const seeds = [0, 2 ** 32 - 1, 123456789012345];
    seeds.forEach((seed, g) => {
      bank.seed(g, seed);
      reference.seed(g, seed);
    });
    const out = new Float64Array(memory.buffer, 4096, 5000);
    for (let g = 0; g < 3; g++) {
      k.pcgRandomBatch(0, g, out.length, out.byteOffset);
      for (let j = 0; j < out.length; j++) assert.ok(Object.is(out[j], reference.random(g)), `generator ${g}, draw ${j}`);
      assert.deepEqual(bank.getState(g), reference.getState(g));
    }
  });
});

/** CartPole: keeps some poles up long enough to truncate; MountainCar: pushes along the velocity, reaching the goal. */
const POLICIES: Record<string, (obs: Float32Array, i: number) => number> = {
  CartPoleEnv: (obs, i) => (obs[4 * i + 2]! + 0.3 * obs[4 * i + 3]! > 0 ? 1 : 0),
  MountainCarEnv: (obs, i) => (obs[2 * i + 1]! > 0 ? 2 : 0),
  Continuous_MountainCarEnv: (obs, i) => (obs[2 * i + 1]! > 0 ? 1 : -1),
};

/** Steps `vecs` side by side with the same random actions; asserts identical outputs every step. */
function lockstep(vecs: VectorEnv[], steps: number, seed: number, bias = false): { resets: number; truncations: number; terminations: number } {
  const [first] = vecs;
  const n = first!.numEnvs;
  // Discrete spaces: uniform integers; MountainCarContinuous's Box: uniform in (-1.2, 1.2), clipped to ±1 by the env
  const numActions = (first!.singleActionSpace as { n?: number }).n;
  const policy = POLICIES[first!.kernel.name]!;
  const rand = uniforms(seed);
  const actions = numActions ? new Int32Array(n) : new Float64Array(n);
  let resets = 0, truncations = 0, terminations = 0;
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) actions[i] = bias && rand() < 0.9 ? policy(first!.obs, i) : numActions ? Math.floor(rand() * numActions) : (rand() * 2 - 1) * 1.2;
    for (let i = 0; i < n; i++) resets += first!.autoreset[i]!;
    const results = vecs.map((v) => v.step(actions));
    for (let k = 1; k < vecs.length; k++) {
      for (let f = 0; f < 4; f++) assert.ok(bytesOf(results[0]![f] as ArrayBufferView).equals(bytesOf(results[k]![f] as ArrayBufferView)), `output ${f} of env set ${k} differs at step ${t}`);
    }
    for (let i = 0; i < n; i++) {
      terminations += results[0]![2][i]!;
      truncations += results[0]![3][i]!;
    }
  }
  for (let k = 1; k < vecs.length; k++) assert.ok(bytesOf(vecs[0]!.state).equals(bytesOf(vecs[k]!.state)), `state of env set ${k}`);
  return { resets, truncations, terminations };
}

describe("CartPole's WASM loop", () => {
  const kernel = kernelOf("CartPole-v1")!;

  it("equals the JS fused and generic loops bit for bit: 4099 envs × 1500 steps with resets", () => {
    const n = 4099; // odd: the last env runs alone in its vector
    const wasm = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 500 });
    const js = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 500, wasm: false });
    const generic = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 500, wasm: false });
    generic.slowPath = true;
    assert.ok(wasm.buffers.wasm && !js.buffers.wasm);
    // the observations handed out are the module's memory, not a copy
    assert.equal(wasm.reset({ seed: 42 })[0].buffer, wasm.buffers.wasm.memory.buffer);
    js.reset({ seed: 42 });
    generic.reset({ seed: 42 });
    const { resets } = lockstep([wasm, js, generic], 1500, 7);
    assert.ok(resets > 100_000, `resets exercised (${resets})`);
  });

  it("truncates as the JS loop does, and continues identically from a saved state", () => {
    const n = WASM_MIN_ENVS + 3;
    const wasm = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 37 });
    const js = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 37, wasm: false });
    wasm.reset({ seed: 9 });
    js.reset({ seed: 9 });
    const { truncations } = lockstep([wasm, js], 3000, 3, true);
    assert.ok(truncations > 50, `truncations exercised (${truncations})`);
    const restored = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 37 });
    restored.setState(js.getState());
    lockstep([restored, wasm, js], 500, 4);
  });

  it("steps envs whose angle lies outside its sin/cos range through Math.sin / Math.cos", () => {
    // reset bounds of ±1 rad start most poles beyond |theta| 0.3; autoresets use the defaults
    const n = 64;
    const wasm = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 500 });
    const js = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 500, wasm: false });
    for (const v of [wasm, js]) v.reset({ seed: 1, options: { low: -1, high: 1 } });
    lockstep([wasm, js], 200, 11);
  });

  it("is used only where it applies", () => {
    assert.ok(makeVec("CartPole-v1", { numEnvs: WASM_MIN_ENVS, vectorizationMode: "kernel" }).buffers.wasm);
    assert.equal(makeVec("CartPole-v1", { numEnvs: WASM_MIN_ENVS - 1, vectorizationMode: "kernel" }).buffers.wasm, undefined);
    assert.equal(makeVec("CartPole-v1", { numEnvs: 64, vectorizationMode: "kernel", sutton_barto_reward: true }).buffers.wasm, undefined);
    assert.equal(makeVec("Acrobot-v1", { numEnvs: 64, vectorizationMode: "kernel" }).buffers.wasm, undefined);
    assert.ok(makeVec("MountainCar-v0", { numEnvs: 64, vectorizationMode: "kernel" }).buffers.wasm);
    // a single env is unchanged
    const env = make("CartPole-v1");
    assert.equal(env.reset({ seed: 3 })[0].length, 4);
  });

  it("refuses bad actions as the JS loop does, naming the first", () => {
    const vec = makeVec("CartPole-v1", { numEnvs: 64, vectorizationMode: "kernel" });
    assert.ok(vec.buffers.wasm);
    vec.reset({ seed: 0 });
    const before = Buffer.from(bytesOf(vec.state));
    for (const [bad, at] of [[2, 37], [0.5, 63], [NaN, 0], [-1, 12]] as const) {
      const actions = new Float64Array(64);
      actions[at] = bad;
      assert.throws(() => vec.step(actions), new RegExp(`action ${bad} for env ${at} is outside Discrete\\(2\\)`));
      if (Number.isInteger(bad)) assert.throws(() => vec.step(Int32Array.from(actions)), /outside Discrete\(2\)/);
    }
    // a plain array holding strings or booleans is refused, not converted
    assert.throws(() => vec.step(Array.from({ length: 64 }, () => "1") as never), /action 1 for env 0/);
    assert.throws(() => vec.step(Array.from({ length: 64 }, () => true) as never), /action true for env 0/);
    assert.throws(() => vec.step(new Int32Array(63)), /expected 64 actions/);
    assert.ok(bytesOf(vec.state).equals(before), "no env stepped");
    vec.step(Array.from({ length: 64 }, (_, i) => i % 2));
  });

  it("gives the same results on two threads as on one", async () => {
    const n = 1001;
    const threaded = await makeThreadedVec("CartPole-v1", { numEnvs: n, threads: 2 });
    try {
      assert.ok(threaded.buffers.wasm, "threads share the module's memory");
      const js = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 500, wasm: false });
      threaded.reset({ seed: 5 });
      js.reset({ seed: 5 });
      lockstep([threaded, js], 600, 8);
    } finally {
      threaded.close();
    }
  });
});

describe("MountainCar's and MountainCarContinuous's WASM loops", () => {
  it("computes cos as V8's Math.cos on 8M inputs over (-3.9, 3.9), reduction boundaries included", () => {
    const count = 1 << 20;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((count * 16) / 65536) });
    const k = instantiateEnvSteps(memory);
    const x = new Float64Array(memory.buffer, 0, count);
    const c = new Float64Array(memory.buffer, count * 8, count);
    const rand = uniforms(6);
    // pi/4, 3pi/4, pi/2, pi, 5pi/4, 0.3, 0.78125: fdlibm changes branch at or near them
    const edges = [Math.PI / 4, (3 * Math.PI) / 4, Math.PI / 2, Math.PI, (5 * Math.PI) / 4, 0.3, 0.78125];
    let mismatches = 0;
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < count; i++) {
        const u = rand();
        x[i] = i % 3 === 0 ? (u * 2 - 1) * 3.6 : i % 3 === 1 ? (u * 2 - 1) * 3.9 : edges[i % edges.length]! * (1 + (u - 0.5) * 1e-12) * (rand() < 0.5 ? -1 : 1);
      }
      k.cosBatch(count, 0, count * 8);
      for (let i = 0; i < count; i++) if (!Object.is(c[i], Math.cos(x[i]!))) mismatches++;
    }
    assert.equal(mismatches, 0);
  });

  for (const [id, kwargs] of [["MountainCar-v0", {}], ["MountainCar-v0", { goal_velocity: 0.01 }], ["MountainCarContinuous-v0", {}], ["MountainCarContinuous-v0", { goal_velocity: 0.01 }]] as const) {
    it(`${id} equals the generic JS loop bit for bit: 1001 envs × 1500 steps with goals and truncations${"goal_velocity" in kwargs ? ", goal_velocity 0.01" : ""}`, () => {
      const kernel = kernelOf(id, kwargs)!;
      const n = 1001;
      const wasm = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 200 });
      const js = new VectorEnv(kernel, { numEnvs: n, maxEpisodeSteps: 200, wasm: false });
      assert.ok(wasm.buffers.wasm && !js.buffers.wasm);
      wasm.reset({ seed: 12 });
      js.reset({ seed: 12 });
      // pushing along the velocity reaches the goal; random actions run into the time limit
      const { terminations } = lockstep([wasm, js], 750, 13, true);
      const { truncations } = lockstep([wasm, js], 750, 14);
      assert.ok(terminations > 1000 && truncations > 1000, `goals (${terminations}) and time limits (${truncations}) exercised`);
    });
  }
});
