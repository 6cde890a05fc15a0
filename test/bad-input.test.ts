/**
 * Bad input found by issue 19's hostile-user pass, refused with an error that names it (or
 * warned about) instead of silently ignored or crashing later: reset arguments, reset masks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { make, makeVec } from "../src/envs/registry.js";

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
