/** Distributed PPO on one host without Redis: actor threads over shared memory (src/distributed/shared-memory.ts). */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type Segment, allocateSegment } from "../src/algos/acting.js";
import { ConfigError } from "../src/algos/common.js";
import { PPO } from "../src/algos/ppo.js";
import { learnOnThreads } from "../src/distributed/actor-threads.js";
import { SharedMemoryTransport, runSharedActor } from "../src/distributed/shared-memory.js";
import { RunStore } from "../src/track/store.js";
import { assertSingleProcessResult, killAfterCheckpoints } from "./cli-run.js";

const config = { envId: "CartPole-v1", seed: 5, totalTimesteps: 4 * 128 * 5 };
const quiet = () => {};

function cli(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("distributed PPO on actor threads over shared memory", () => {
  it("synchronous mode with one actor thread equals the single-process run exactly", async () => {
    const single = new PPO(config);
    const singleEpisodes: number[] = [];
    single.learn({ onEpisode: (e) => singleEpisodes.push(e.step, e.return, e.length) });

    const agent = new PPO(config);
    const episodes: number[] = [];
    const lags: number[] = [];
    const { result, stats, actors } = await learnOnThreads(agent, { actors: 1, sync: true, log: quiet }, {
      onEpisode: (e) => episodes.push(e.step, e.return, e.length),
      onMetrics: (_s, m) => lags.push(m["distributed/policy_lag_max"]!),
    });
    assert.equal(result.total_timesteps, config.totalTimesteps);
    assert.deepEqual(episodes, singleEpisodes);
    assert.deepEqual(Buffer.from(agent.savePolicy()), Buffer.from(single.savePolicy()));
    assert.deepEqual(lags, [0, 0, 0, 0, 0]);
    assert.equal(stats.segments, 5);
    assert.equal(actors[0]!.actor, "0@thread");
  });

  it("each actor's stream is reproducible: actor k's segments from the same parameters are the same bytes in every run, actor 0's the single-process rollout", async () => {
    const bytes = (s: Segment) => Buffer.concat([s.obs, s.actions, s.rewards, s.nextObs].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
    const firstSegments = async (actor: number) => {
      const agent = new PPO(config);
      const transport = new SharedMemoryTransport(agent, 2, 4, false);
      await transport.publish(agent);
      // the actor fills both of its slots with version 0 and stops; run here, on this thread
      assert.equal(runSharedActor(transport.actorInit(actor), 2).segments, 2);
      const taken: Buffer[] = [];
      for (let k = 0; k < 2; k++) {
        const item = (await transport.next(0))!;
        assert.equal(item.segment.actor, `${actor}@thread`);
        assert.equal(item.segment.seq, k);
        taken.push(bytes(item.segment));
      }
      return taken;
    };
    const a0 = await firstSegments(0), a1 = await firstSegments(1), a1Again = await firstSegments(1);
    assert.deepEqual(a1Again, a1);
    assert.notDeepEqual(a1[0], a0[0]);
    // the single process's first two rollouts with its initial parameters
    const single = new PPO(config);
    single.worker.reset(config.seed);
    const seg = allocateSegment({ numEnvs: 4, numSteps: 128, obsSize: 4, actionDim: 1 });
    for (let k = 0; k < 2; k++) {
      single.worker.collect(seg, 0);
      assert.deepEqual(bytes(seg), a0[k]);
    }
  });

  it("the learner takes the actors' segments in turns, each actor's in the order made", async () => {
    const agent = new PPO(config);
    const transport = new SharedMemoryTransport(agent, 2, 4, false);
    await transport.publish(agent);
    for (const actor of [1, 0]) runSharedActor(transport.actorInit(actor), 2);
    const order: string[] = [];
    for (let k = 0; k < 4; k++) {
      const { segment } = (await transport.next(0))!;
      order.push(`${segment.actor}#${segment.seq}`);
    }
    assert.deepEqual(order, ["0@thread#0", "1@thread#0", "0@thread#1", "1@thread#1"]);
    // nothing more (a held slot is not handed over twice) until a slot is emptied and filled again;
    // Atomics.waitAsync does not keep the event loop alive (the learner's threads do), a timer here does
    const alive = setInterval(() => {}, 100);
    assert.equal(await transport.next(0), null);
    clearInterval(alive);
  });

  it("asynchronous: two actor threads, policy lag within bounds, every step counted", async () => {
    const agent = new PPO({ ...config, totalTimesteps: 4 * 128 * 12 });
    const lags: number[] = [];
    let episodes = 0;
    const { result, stats, actors } = await learnOnThreads(agent, { actors: 2, maxPolicyLag: 3, log: quiet }, {
      onEpisode: () => episodes++,
      onMetrics: (_s, m) => lags.push(m["distributed/policy_lag_max"]!),
    });
    assert.equal(agent.version, 12);
    assert.equal(result.total_timesteps, 4 * 128 * 12);
    assert.equal(result.episodes, episodes);
    // which thread's segments were trained on depends on timing (a thread may start late on a loaded machine)
    assert.deepEqual(actors.map((a) => a.actor), ["0@thread", "1@thread"]);
    assert.ok([...stats.actors.keys()].every((k) => k === "0@thread" || k === "1@thread"));
    assert.ok(lags.every((l) => l >= 0 && l <= 3), lags.join());
    assert.equal(stats.skipped, 0);
    // every segment an actor made was trained on, dropped, or still in its ring (at most 2) when the run ended
    const made = actors.reduce((n, a) => n + a.segments, 0);
    assert.ok(made - stats.segments - stats.dropped >= 0 && made - stats.segments - stats.dropped <= 4, `${made} made, ${stats.segments} trained on, ${stats.dropped} dropped`);
  });

  it("without SharedArrayBuffer the run is refused with what to do; so are no actors", async () => {
    await assert.rejects(learnOnThreads(new PPO(config), { actors: 0, log: quiet }), /actors must be an integer in \[1, 256\], got 0/);
    const saved = globalThis.SharedArrayBuffer;
    try {
      (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer = undefined;
      await assert.rejects(learnOnThreads(new PPO(config), { actors: 2, log: quiet }), (err: Error) => err instanceof ConfigError && /SharedArrayBuffer/.test(err.message) && /--redis/.test(err.message));
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
  });

  it("tsrl train ppo --actors 1 --sync equals the single-process run and is recorded with its distributed metrics; killed with kill -9, tsrl resume continues it on new threads; a failing thread ends the run with its error", async () => {
    const store = mkdtempSync(join(tmpdir(), "tsrl-threads-cli-"));
    try {
      const steps = 4 * 128 * 3;
      const out = await cli(["train", "ppo", "--env", "CartPole-v1", "--seed", "5", "--total-timesteps", String(steps), "--actors", "1", "--sync", "--name", "t1", "--store", store, "--json"]);
      assert.equal(out.code, 0, out.stderr);
      assertSingleProcessResult(out.stdout, { ...config, totalTimesteps: steps });
      const runs = new RunStore(store, { create: false });
      const run = runs.getRun("t1");
      assert.equal(run.status, "finished");
      assert.deepEqual(runs.metrics(run.id, "distributed/policy_lag_max").map((m) => m.value), [0, 0, 0]);
      assert.deepEqual(runs.metricKeys(run.id).filter((k) => k.startsWith("actors/")), ["actors/0@thread/samples_per_s"]);
      runs.close();
      // a learner of actor threads killed with kill -9 resumes with new threads from its checkpoint
      const total = 4 * 128 * 10;
      await killAfterCheckpoints(["train", "ppo", "--env", "CartPole-v1", "--total-timesteps", String(total), "--actors", "2", "--name", "t2", "--store", store, "--checkpoint-every", "1024", "--quiet"], store, "t2", 2);
      const wrong = await cli(["resume", "t2", "--store", store, "--redis", "redis://127.0.0.1:1"]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /--redis: run \S+ learned from 2 actor threads over shared memory; resume it without --redis/);
      const resumed = await cli(["resume", "t2", "--store", store, "--json"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(JSON.parse(resumed.stdout.trim().split("\n").at(-1)!).total_timesteps, total);
      const after = new RunStore(store, { create: false });
      const t2 = after.getRun("t2");
      assert.equal(t2.status, "finished");
      assert.equal((t2.versions as { distributed?: { transport: string; actors: number } }).distributed?.actors, 2);
      after.close();
      const hostile = await cli(["train", "ppo", "--env", "test/fixtures/thread-hostile-env.ts:ThreadHostile-v0", "--actors", "1", "--no-track"]);
      assert.equal(hostile.code, 1);
      assert.match(hostile.stderr, /this env cannot run in a worker thread/);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});
