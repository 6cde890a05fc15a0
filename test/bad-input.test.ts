/**
 * Bad input found by issue 19's hostile-user pass, refused with an error that names it (or
 * warned about) instead of silently ignored or crashing later: reset arguments and masks, sizes
 * that cannot fit (through the API, where the machine's memory is unknown), non-finite policies,
 * options that would be ignored.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { DQN } from "../src/algos/dqn.js";
import { Policy } from "../src/algos/policy.js";
import { PPO } from "../src/algos/ppo.js";
import { make, makeVec } from "../src/envs/registry.js";
import { linear } from "../src/nn/layers.js";
import { Network } from "../src/nn/network.js";
import { decodeTensorFile, encodeTensorFile } from "../src/nn/serialize.js";
import { Random } from "../src/rng/random.js";

describe("reset arguments are checked, not ignored", () => {
  const vecs = () => [makeVec("CartPole-v1", { numEnvs: 3 }), makeVec("CartPole-v1", { numEnvs: 3, vectorizationMode: "sync" })];

  it("a non-object argument, a misspelt key or unknown options are refused by envs and vector envs", () => {
    for (const env of [make("CartPole-v1"), ...vecs()]) {
      assert.throws(() => env.reset(5 as never), /^TypeError: CartPole-v1: reset\(\) takes \{seed\?, options\?\}, got 5 \(to seed, pass reset\(\{seed: 5\}\)\)$/);
      assert.throws(() => env.reset({ seeed: 1 } as never), /unknown key "seeed"/);
      assert.throws(() => env.reset({ options: 5 as never }), /reset options must be an object, got 5/);
      assert.throws(() => env.reset({ options: { lwo: -0.1 } }), /^TypeError: CartPole-v1: unknown reset option "lwo"; this env takes "low", "high"$/);
    }
    assert.throws(() => make("Pendulum-v1").reset({ options: { low: 1 } }), /unknown reset option "low"; this env takes "x_init", "y_init"/);
    assert.throws(() => make("MinAtar/Breakout-v1").reset({ options: { low: 1 } }), /MinAtar takes no reset options, got low/);
    // what the envs do take still works
    const [obs] = make("CartPole-v1").reset({ seed: 1, options: { low: 0.2, high: 0.2 } });
    assert.ok(Array.from(obs).every((x) => Math.abs(x - 0.2) < 1e-6));
  });

  it("reset_mask must be one boolean (or 0/1) per env", () => {
    for (const vec of vecs()) {
      vec.reset({ seed: 0 });
      assert.throws(() => vec.reset({ options: { reset_mask: "abc" as never } }), /reset_mask must have 3 entries \(one boolean per env\), got "abc"/);
      assert.throws(() => vec.reset({ options: { reset_mask: 5 as never } }), /got 5$/);
      assert.throws(() => vec.reset({ options: { reset_mask: [true, "x", false] as never } }), /reset_mask\[1\] must be true or false \(or 1 or 0\), got "x"/);
      assert.throws(() => vec.reset({ options: { reset_mask: [2, 0, 0] } }), /reset_mask\[0\] .* got 2/);
      vec.reset({ options: { reset_mask: new Uint8Array([1, 0, 1]) } });
      vec.reset({ options: { reset_mask: [false, true, false] } });
    }
  });
});

describe("sizes that cannot fit are named before anything is allocated", () => {
  it("PPO, DQN, makeVec and networks name the field or layer (not WebAssembly.Memory.grow or Array buffer allocation failed)", () => {
    assert.throws(() => new PPO({ envId: "CartPole-v1", hiddenSizes: [100_000, 100_000] }), /^ConfigError: hiddenSizes: two networks of hidden sizes 100000,100000 .* more than the 4.0 GiB available; lower hiddenSizes$/);
    assert.throws(() => new DQN({ envId: "CartPole-v1", hiddenSizes: [100_000, 100_000] }), /^ConfigError: hiddenSizes: /);
    // a size, not the rule between fields it breaks (a run shorter than one rollout)
    assert.throws(() => new PPO({ envId: "CartPole-v1", numSteps: 1e8 }), /^ConfigError: numEnvs × numSteps \/ numMinibatches: the activations of a minibatch of 100000000/);
    assert.throws(() => new PPO({ envId: "CartPole-v1", numEnvs: 200_000 }), /^ConfigError: numEnvs × numSteps \/ numMinibatches: /);
    assert.throws(() => new DQN({ envId: "CartPole-v1", bufferSize: 1e11 }), /^ConfigError: bufferSize: a replay buffer of 100000000000 transitions needs at least .*, which could not be allocated .*; lower bufferSize$/);
    assert.throws(() => makeVec("CartPole-v1", { numEnvs: 1e9 }), /^RangeError: numEnvs: makeVec\(CartPole-v1\) of 1000000000 envs needs at least 74.5 GiB, which could not be allocated/);
    assert.throws(() => new Network([linear(2e9)], { inputShape: 4, maxBatch: 1, rng: new Random(0) }), /^RangeError: network: layer 0 \(linear of 2000000000 outputs\) is too wide: the network needs 89.41 GiB .* more than the .* its backend has left/);
  });
});

describe("policies that cannot act well are refused on load", () => {
  const bytes = new PPO({ envId: "CartPole-v1", numEnvs: 1, numSteps: 16, totalTimesteps: 16 }).savePolicy();
  const file = decodeTensorFile(bytes);
  const tensors = () => [...file.tensors.values()].map((t) => ({ ...t, data: t.data.slice() }));

  it("NaN or Infinity in a weight (with a valid checksum) names the tensor", () => {
    for (const bad of [NaN, -Infinity]) {
      const t = tensors();
      t[2]!.data[3] = bad;
      assert.throws(() => new Policy(encodeTensorFile(file.meta, t)), new RegExp(`^TensorFileError: policy file: ${t[2]!.name} holds ${bad} \\(entry 3 of ${t[2]!.data.length}\\): the policy cannot act on non-finite weights`));
    }
    const policy = new Policy(bytes);
    const t = tensors();
    t[0]!.data[0] = NaN;
    assert.throws(() => policy.update(encodeTensorFile(file.meta, t)), /^TensorFileError: policy.update: .* holds NaN/);
  });

  it("non-finite or negative observation statistics are refused naming the entry", () => {
    const continuous = new PPO({ envId: "Pendulum-v1", numSteps: 64, numMinibatches: 2, totalTimesteps: 64 }).savePolicy();
    const f = decodeTensorFile(continuous);
    for (const [key, value, shown] of [["mean", NaN, "null"], ["var", -1, "-1"]] as const) {
      const meta = structuredClone(f.meta) as { observationNormalization: Record<string, number[]> };
      meta.observationNormalization[key]![1] = value;
      assert.throws(() => new Policy(encodeTensorFile(meta, [...f.tensors.values()])), new RegExp(`^TensorFileError: policy file: observationNormalization.${key}\\[1\\] is ${shown}, not a finite number`));
    }
  });

  it("a layer declared 2e9 wide is refused naming the layer", () => {
    const meta = structuredClone(file.meta) as { network: { layers: { out?: number }[] } };
    meta.network.layers[0]!.out = 2e9;
    assert.throws(() => new Policy(encodeTensorFile(meta, tensors())), /^TensorFileError: policy file: network: layer 0 \(linear of 2000000000 outputs\) is too wide/);
  });
});

describe("options that would be silently ignored", () => {
  it("a step count past 2^50 (not counted exactly) is refused by every algorithm's config", () => {
    assert.throws(() => new PPO({ envId: "CartPole-v1", totalTimesteps: Number.MAX_SAFE_INTEGER }), /totalTimesteps: cannot be counted exactly; at most 2\^50 \(1125899906842624\) \(got 9007199254740991\)/);
    assert.throws(() => new DQN({ envId: "CartPole-v1", totalTimesteps: 2 ** 51 }), /totalTimesteps: cannot be counted exactly/);
  });

  it("normalize on a discrete-action env is refused (ppo.py has no normalization)", () => {
    assert.throws(() => new PPO({ envId: "CartPole-v1", normalize: true }), /^ConfigError: normalize: PPO normalizes observations and rewards for continuous \(Box\) actions only.*CartPole-v1 has Discrete\(2\) actions/);
    new PPO({ envId: "Pendulum-v1", normalize: true, numSteps: 64, numMinibatches: 2, totalTimesteps: 64 });
  });

  it("tsrl rollout with more envs than steps is refused before any env is made", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "rollout", "-e", "CartPole-v1", "-n", "100000000", "-q"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "tsrl: --num-envs 100000000 is more than --steps 100000 (the steps of all envs together); lower --num-envs or raise --steps\n");
  });
});
