/**
 * Replays Gymnasium 1.4's recorded trajectories through make(id): reset by seed, then the
 * recorded actions. Reset observations and flags must be identical; observations identical
 * (float32) for CartPole and both MountainCars, within 1e-6 for Pendulum and 1e-3 for Acrobot
 * (sin/cos last bits differ between numpy's SVML, glibc and V8; Acrobot is chaotic).
 *
 * Rewards are identical except in two envs whose rewards are computed from squares in float64:
 * - Pendulum: the reward is a function of the float64 state, which picks up last-bit
 *   differences from sin (numpy's SVML sin vs V8's); measured at most 6.4e-14 (71 ulp).
 * - MountainCarContinuous: Gymnasium squares the action with glibc's `math.pow(a, 2)`, which is
 *   not always the correctly rounded `a * a` (1 of the 3000 reference steps): 1 ulp of the
 *   square, 2 ulp of the reward.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { make, makeVec } from "../src/index.js";
import { loadRefs } from "./refs.js";

const OBS_TOLERANCE: Record<string, number> = {
  "CartPole-v1": 0,
  "MountainCar-v0": 0,
  "MountainCarContinuous-v0": 0,
  "Pendulum-v1": 1e-6,
  "Acrobot-v1": 1e-3,
};

/** How far a reward may be from Gymnasium's, and why (see the header). */
const REWARD_TOLERANCE: Record<string, (ref: number) => number> = {
  "Pendulum-v1": () => 1e-12,
  "MountainCarContinuous-v0": (ref) => 2 * ulp(ref),
};

function ulp(x: number): number {
  return x === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}

function assertReward(envId: string, actual: number, expected: number, where: string): void {
  const tol = REWARD_TOLERANCE[envId];
  if (!tol) return assert.equal(actual, expected, where);
  assert.ok(Math.abs(actual - expected) <= tol(expected), `${where}: ${actual} vs ${expected}`);
}

function maxAbsDiff(a: ArrayLike<number>, b: readonly number[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let k = 0; k < b.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

for (const [envId, tol] of Object.entries(OBS_TOLERANCE)) {
  describe(`${envId} matches Gymnasium 1.4`, () => {
    for (const ep of loadRefs(envId)) {
      it(`seed ${ep.seed}: ${ep.steps.length} steps`, () => {
        const env = make(envId);
        const [obs] = env.reset({ seed: ep.seed });
        assert.deepEqual(Array.from(obs), ep.reset_obs, "reset obs must be bit-identical");
        ep.steps.forEach((st, t) => {
          const [o, r, term, trunc] = env.step(st.a);
          assertReward(envId, r, st.r, `reward at step ${t}`);
          assert.equal(term, st.term, `terminated at step ${t}`);
          assert.equal(trunc, st.trunc, `truncated at step ${t}`);
          const d = maxAbsDiff(o, st.obs);
          assert.ok(d <= tol, `obs at step ${t} differs by ${d} (tolerance ${tol})`);
        });
      });
    }

    it("the vector env reproduces the same episodes (env i seeded with seed + i)", () => {
      const eps = loadRefs(envId);
      const seeds = eps.map((e) => e.seed);
      const base = Math.min(...seeds);
      const n = Math.max(...seeds) - base + 1;
      const vec = makeVec(envId, { vectorizationMode: "kernel", numEnvs: n });
      const [obs0] = vec.reset({ seed: base });
      const od = vec.obsSize;
      for (const ep of eps) {
        const i = ep.seed - base;
        assert.deepEqual(Array.from(obs0.subarray(i * od, (i + 1) * od)), ep.reset_obs);
      }
      const longest = Math.max(...eps.map((e) => e.steps.length));
      const actions = new Float64Array(n * vec.actionSize);
      for (let t = 0; t < longest; t++) {
        for (const ep of eps) {
          const st = ep.steps[t];
          const a = st ? st.a : 0;
          actions[ep.seed - base] = Array.isArray(a) ? a[0]! : a;
        }
        const [obs, rew, term, trunc] = vec.step(actions);
        for (const ep of eps) {
          const st = ep.steps[t];
          if (!st) continue;
          const i = ep.seed - base;
          assertReward(envId, rew[i]!, st.r, `env ${i} reward at step ${t}`);
          assert.equal(term[i], st.term ? 1 : 0, `env ${i} terminated at step ${t}`);
          assert.equal(trunc[i], st.trunc ? 1 : 0, `env ${i} truncated at step ${t}`);
          const d = maxAbsDiff(obs.subarray(i * od, (i + 1) * od), st.obs);
          assert.ok(d <= tol, `env ${i} obs at step ${t} differs by ${d}`);
        }
      }
    });
  });
}
