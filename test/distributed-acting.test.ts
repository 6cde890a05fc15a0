/** Acting apart from learning (src/algos/acting.ts): segments between a PPO actor worker and the learner. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PPO } from "../src/algos/ppo.js";
import { ppoActorWorker, ppoModules } from "../src/algos/ppo.js";
import { allocateSegment, copyColumns, gaeColumn, sortEpisodes, vtraceColumn } from "../src/algos/acting.js";
import { loadParameters, saveParameters } from "../src/nn/checkpoint.js";
import { now } from "../src/algos/common.js";

const config = { envId: "CartPole-v1", seed: 7, totalTimesteps: 4 * 128 * 4 };

describe("acting and learning apart", () => {
  it("an actor worker on its own networks, fed the learner's parameters each version, gives the single-process run exactly", () => {
    const single = new PPO(config);
    const singleEpisodes: number[] = [];
    single.learn({ onEpisode: (e) => singleEpisodes.push(e.step, e.return, e.length) });

    const learner = new PPO(config);
    const c = learner.config;
    // one actor with the learner's seeds, as actor 0 of a synchronous run
    const worker = ppoActorWorker(c, learner.target, c.numEnvs, c.seed + 1);
    worker.reset(c.seed);
    const shape = { numEnvs: c.numEnvs, numSteps: c.numSteps, obsSize: worker.obsSize, actionDim: 1 };
    const segment = allocateSegment(shape, "a0");
    const batch = allocateSegment(shape);
    const episodes: number[] = [];
    const start = now();
    while (learner.version < learner.numIterations) {
      loadParameters(saveParameters(ppoModules(learner.networks)), ppoModules(worker.nets));
      worker.collect(segment, learner.version);
      // the learner assembles its batch from columns (here the segment's, in two parts)
      batch.episodes.length = 0;
      copyColumns(segment, 2, batch, 2, 2);
      copyColumns(segment, 0, batch, 0, 2);
      sortEpisodes(batch);
      learner.update(batch, { onEpisode: (e) => episodes.push(e.step, e.return, e.length) }, start);
    }
    assert.deepEqual(Buffer.from(learner.savePolicy()), Buffer.from(single.savePolicy()));
    assert.deepEqual(episodes, singleEpisodes);
    assert.ok(episodes.length > 30);
  });

  it("V-trace with the behaviour policy as target gives GAE(λ)'s returns", () => {
    const agent = new PPO(config);
    const c = agent.config;
    agent.worker.reset(c.seed);
    const seg = allocateSegment({ numEnvs: c.numEnvs, numSteps: c.numSteps, obsSize: 4, actionDim: 1 });
    agent.worker.collect(seg, 0);
    const n = c.numEnvs * c.numSteps;
    const [advG, retG, advV, retV] = [0, 1, 2, 3].map(() => new Float64Array(n));
    for (let i = 0; i < c.numEnvs; i++) {
      gaeColumn(seg, i, c.gamma, c.gaeLambda, advG!, retG!);
      vtraceColumn(seg, i, { gamma: c.gamma, lambda: c.gaeLambda, rhoBar: 1, cBar: 1 }, seg.logProbs, seg.values, seg.nextValues[i]!, advV!, retV!);
    }
    for (let k = 0; k < n; k++) assert.ok(Math.abs(retG![k]! - retV![k]!) < 1e-9 * (1 + Math.abs(retG![k]!)), `row ${k}: ${retG![k]} vs ${retV![k]}`);
    // the advantage is V-trace's one-step ρ(r + γ v_{s+1} − V), not GAE's
    assert.ok(advV!.every(Number.isFinite));
  });

  it("V-trace truncates importance weights: a target far from the behaviour policy moves the targets only by ρ̄-clipped steps", () => {
    const seg = allocateSegment({ numEnvs: 1, numSteps: 3, obsSize: 1, actionDim: 1 });
    seg.rewards.set([1, 1, 1]);
    seg.logProbs.set([Math.log(0.5), Math.log(0.5), Math.log(0.5)]);
    const values = new Float64Array([0, 0, 0]);
    const adv = new Float64Array(3), ret = new Float64Array(3);
    // π = 1 > μ = 0.5: ratios 2 truncated to 1; with γ = 1, λ = 1, V = 0 the targets are the plain returns
    vtraceColumn(seg, 0, { gamma: 1, lambda: 1, rhoBar: 1, cBar: 1 }, new Float64Array(3), values, 0, adv, ret);
    assert.deepEqual([...ret], [3, 2, 1]);
    assert.deepEqual([...adv], [3, 2, 1]);
    // π = 0.25 < μ: ρ = c = 0.5 each step
    vtraceColumn(seg, 0, { gamma: 1, lambda: 1, rhoBar: 1, cBar: 1 }, new Float64Array(3).fill(Math.log(0.25)), values, 0, adv, ret);
    assert.deepEqual([...ret], [0.5 + 0.5 * 0.5 + 0.25 * 0.5, 0.5 + 0.5 * 0.5, 0.5]);
    assert.deepEqual([...adv], [0.5 * (1 + ret[1]!), 0.5 * (1 + ret[2]!), 0.5]);
    // an episode end (dones at row t+1) cuts the trace
    seg.dones.set([0, 1, 0]);
    vtraceColumn(seg, 0, { gamma: 1, lambda: 1, rhoBar: 1, cBar: 1 }, new Float64Array(3), values, 0, adv, ret);
    assert.deepEqual([...ret], [1, 2, 1]);
  });

  it("a batch acted by an older policy version trains on V-trace targets: finite, and not the fresh batch's update", () => {
    const run = (stale: boolean) => {
      const agent = new PPO(config);
      agent.worker.reset(agent.config.seed);
      const seg = allocateSegment({ numEnvs: 4, numSteps: 128, obsSize: 4, actionDim: 1 });
      agent.worker.collect(seg, 0);
      agent.update(seg, {}, now());
      agent.worker.collect(seg, stale ? 0 : 1);
      let kl = NaN;
      agent.update(seg, { onMetrics: (_s, m) => (kl = m["losses/approx_kl"]!) }, now());
      return { policy: Buffer.from(agent.savePolicy()), kl };
    };
    const fresh = run(false), stale = run(true);
    assert.ok(Number.isFinite(stale.kl) && Number.isFinite(fresh.kl));
    assert.notDeepEqual(stale.policy, fresh.policy);
  });
});

describe("the learner's memory of the seqs it took from an actor (resent copies skipped)", () => {
  it("refuses every seq taken before, however many came after, and takes out-of-order ones once", async () => {
    const { TakenSeqs } = await import("../src/distributed/learner.js");
    const taken = new TakenSeqs();
    for (let seq = 0; seq < 5000; seq++) assert.equal(taken.add(seq), true);
    assert.equal(taken.add(0), false);
    assert.equal(taken.add(4999), false);
    assert.equal(taken.add(5001), true); // out of order: 5000 pending elsewhere
    assert.equal(taken.add(5001), false);
    assert.equal(taken.add(5000), true); // the pending original, reclaimed late
    assert.equal(taken.add(5000), false);
    assert.equal(taken.add(5002), true);
  });

  it("forgets a gap that never fills only after maxOutOfOrder seqs taken above it", async () => {
    const { TakenSeqs } = await import("../src/distributed/learner.js");
    const taken = new TakenSeqs(4);
    assert.equal(taken.add(0), true);
    for (const seq of [2, 3, 4, 5]) assert.equal(taken.add(seq), true); // 1 never came: held above the gap
    assert.equal(taken.add(1), true);
    for (const seq of [7, 8, 9, 10, 11]) assert.equal(taken.add(seq), true); // the 5th past the gap at 6 moves the mark to 7
    assert.equal(taken.add(6), false);
    for (const seq of [7, 8, 9, 10, 11]) assert.equal(taken.add(seq), false);
    assert.equal(taken.add(12), true);
  });
});

describe("Redis URLs in messages and run records", () => {
  it("hide the whole password, also one with an unencoded @ or :", async () => {
    const { redactUrl } = await import("../src/distributed/redis.js");
    assert.equal(redactUrl("redis://:p@ss@host:6379"), "redis://:***@host:6379");
    assert.equal(redactUrl("redis://user:pa:ss@host:1/0"), "redis://user:***@host:1/0");
    assert.equal(redactUrl("rediss://:PW@10.0.0.7:6380"), "rediss://:***@10.0.0.7:6380");
    assert.equal(redactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
  });
});
