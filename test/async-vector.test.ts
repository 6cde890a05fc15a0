/** AsyncVectorEnv: Env classes in worker threads, identical to SyncVectorEnv. */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { makeVec, SyncVectorEnv } from "../src/index.js";
import { type AsyncVectorEnv, makeAsyncVec } from "../src/node/index.js";
import "../examples/catch/catch.js";

const CATCH = pathToFileURL("examples/catch/catch.js").href;

describe("AsyncVectorEnv", () => {
  const opened: AsyncVectorEnv[] = [];
  after(() => opened.forEach((v) => v.close()));

  for (const mode of ["next-step", "same-step"] as const) {
    it(`gives exactly SyncVectorEnv's observations, rewards and flags (${mode})`, async () => {
      const asyncVec = await makeAsyncVec("Catch-v0", { numEnvs: 5, workers: 2, autoresetMode: mode, module: CATCH });
      opened.push(asyncVec);
      const syncVec = makeVec("Catch-v0", { numEnvs: 5, autoresetMode: mode }) as SyncVectorEnv;
      assert.deepEqual(Array.from(asyncVec.reset({ seed: 21 })[0]), Array.from(syncVec.reset({ seed: 21 })[0]));
      for (let t = 0; t < 60; t++) {
        const actions = Int32Array.from({ length: 5 }, (_, i) => (t * 7 + i * 3) % 3);
        const a = asyncVec.step(actions), s = syncVec.step(actions);
        for (let k = 0; k < 4; k++) assert.deepEqual(Array.from(a[k] as ArrayLike<number>), Array.from(s[k] as ArrayLike<number>), `step ${t} output ${k}`);
        assert.equal(a[4].final_obs !== undefined, s[4].final_obs !== undefined);
        if (s[4].final_obs) assert.deepEqual(Array.from(a[4].final_obs as Float32Array), Array.from(s[4].final_obs as Float32Array));
      }
    });
  }

  it("a worker's error reaches the caller with the env's message; an unknown module is named", async () => {
    const vec = await makeAsyncVec("Catch-v0", { numEnvs: 2, module: CATCH });
    opened.push(vec);
    vec.reset({ seed: 0 });
    assert.throws(() => vec.step(Int32Array.of(0, 7)), /action 7 for env 1 is outside Discrete\(3\)/);
    await assert.rejects(makeAsyncVec("Catch-v0", { numEnvs: 2, module: null }), /Catch-v0 is not registered in the worker: pass makeAsyncVec\(id, \{ module \}\)/);
    assert.throws(() => vec.getState(), /cannot be checkpointed; use SyncVectorEnv/);
  });
});
