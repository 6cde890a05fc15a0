/** ThreadedVectorEnv (tsrl/node): the same outputs as the single-threaded VectorEnv, step for step. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AutoresetMode, type VectorEnv, type VectorStepResult, makeVec } from "../src/index.js";
import { makeThreadedVec } from "../src/node/index.js";
import { uniforms } from "./random.js";


function randomActions(vec: VectorEnv, rand: () => number): Float64Array {
  const space = vec.singleActionSpace;
  const out = new Float64Array(vec.numEnvs * vec.actionSize);
  for (let j = 0; j < out.length; j++) {
    if ("n" in space) out[j] = Math.floor(rand() * space.n);
    else out[j] = space.low[0]! + (space.high[0]! - space.low[0]!) * rand();
  }
  return out;
}

function assertSameStep(a: VectorStepResult, b: VectorStepResult, where: string): { ended: number } {
  assert.deepEqual(Array.from(a[0]), Array.from(b[0]), `${where}: obs`);
  assert.deepEqual(Array.from(a[1]), Array.from(b[1]), `${where}: rewards`);
  assert.deepEqual(Array.from(a[2]), Array.from(b[2]), `${where}: terminations`);
  assert.deepEqual(Array.from(a[3]), Array.from(b[3]), `${where}: truncations`);
  const [ia, ib] = [a[4], b[4]];
  assert.equal("final_obs" in ia, "final_obs" in ib, `${where}: final_obs present in both or neither`);
  if (ib._final_obs) {
    assert.deepEqual(Array.from(ia._final_obs!), Array.from(ib._final_obs), `${where}: _final_obs`);
    const od = a[0].length / ib._final_obs.length;
    for (let i = 0; i < ib._final_obs.length; i++) {
      if (!ib._final_obs[i]) continue;
      assert.deepEqual(Array.from(ia.final_obs!.subarray(i * od, (i + 1) * od)), Array.from(ib.final_obs!.subarray(i * od, (i + 1) * od)), `${where}: final_obs of env ${i}`);
    }
  }
  let ended = 0;
  for (let i = 0; i < b[2].length; i++) if (b[2][i] || b[3][i]) ended++;
  return { ended };
}

const CASES: { id: string; mode: AutoresetMode; maxEpisodeSteps?: number }[] = [
  { id: "CartPole-v1", mode: "next-step", maxEpisodeSteps: 60 },
  { id: "Acrobot-v1", mode: "same-step", maxEpisodeSteps: 45 },
  { id: "Pendulum-v1", mode: "next-step" },
];

describe("makeThreadedVec", () => {
  for (const { id, mode, maxEpisodeSteps } of CASES) {
    it(`${id} ${mode}, 2 threads: identical to makeVec over 500 steps`, async () => {
      const numEnvs = 7, seed = 31;
      const threaded = await makeThreadedVec(id, { numEnvs, threads: 2, autoresetMode: mode, maxEpisodeSteps });
      try {
        assert.equal(threaded.threads, 2);
        const plain = makeVec(id, { vectorizationMode: "kernel", numEnvs, autoresetMode: mode, maxEpisodeSteps });
        assert.deepEqual(Array.from(threaded.reset({ seed })[0]), Array.from(plain.reset({ seed })[0]));
        const rand = uniforms(17);
        let ended = 0;
        for (let t = 0; t < 500; t++) {
          const actions = randomActions(plain, rand);
          ended += assertSameStep(threaded.step(actions), plain.step(actions), `${id} step ${t}`).ended;
        }
        assert.ok(ended >= numEnvs, `${id}: episodes must end during the run (${ended})`);
        assert.deepEqual(threaded.getState(), plain.getState());
      } finally {
        threaded.close();
      }
      assert.throws(() => threaded.step(new Float64Array(numEnvs * threaded.actionSize)), /close/);
    });
  }

  it("validates its input like VectorEnv", async () => {
    assert.throws(() => makeThreadedVec("CartPole-v1", { numEnvs: 2, threads: 0 }), /threads/);
    const vec = await makeThreadedVec("CartPole-v1", { numEnvs: 3, threads: 3 });
    try {
      assert.throws(() => vec.step([0, 0, 0]), /reset/);
      vec.reset({ seed: 0 });
      assert.throws(() => vec.step([0, 2, 0]), /Discrete\(2\)/);
      assert.throws(() => vec.step([0, 0]), /expected 3 actions/);
      vec.step([0, 1, 0]);
    } finally {
      vec.close();
    }
  });
});
