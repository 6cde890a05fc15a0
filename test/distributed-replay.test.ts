/** Distributed DQN and SAC (Ape-X style): actors send transitions, the learner's replay buffer takes them; threads and Redis. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { allocateSegment } from "../src/algos/acting.js";
import { DQN } from "../src/algos/dqn.js";
import { SAC } from "../src/algos/sac.js";
import { runActor } from "../src/distributed/actor.js";
import { learnOnThreads } from "../src/distributed/actor-threads.js";
import { actingSpec, seededActorWorker } from "../src/distributed/algos.js";
import { SegmentError, decodeSegment, encodeSegment } from "../src/distributed/codec.js";
import { learnDistributed } from "../src/distributed/learner.js";
import { runKeys } from "../src/distributed/redis.js";
import { RunStore } from "../src/track/store.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";
import { type TestRedis, skipRedis, startRedis } from "./redis-server.js";

const quiet = () => {};
const dqnSmall = { envId: "CartPole-v1", seed: 3, totalTimesteps: 3000, learningStarts: 500, targetNetworkFrequency: 100, bufferSize: 2000 };
const sacSmall = { envId: "Pendulum-v1", seed: 2, totalTimesteps: 1000, learningStarts: 200, hiddenSizes: [32, 32], batchSize: 32 };
function cli(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A transitions segment made by actor 0 of a DQN run on CartPole, with its initial parameters. */
function dqnSegment() {
  const spec = actingSpec(new DQN(dqnSmall), { segmentSteps: 40 });
  const worker = seededActorWorker(spec, 0, 2);
  const seg = allocateSegment({ kind: "transitions", numEnvs: 2, numSteps: 40, obsSize: 4, actionDim: 1 }, "a0");
  worker.collect(seg, 0);
  return seg;
}

describe("distributed DQN and SAC on actor threads", () => {
  it("actors make their envs as the learner's config says: maxEpisodeSteps and envKwargs reach them", () => {
    for (const [algo, agent] of [["dqn", new DQN({ ...dqnSmall, maxEpisodeSteps: 7 })], ["sac", new SAC({ ...sacSmall, maxEpisodeSteps: 7, envKwargs: { g: 10.0 } })]] as const) {
      const spec = actingSpec(agent, { segmentSteps: 20 });
      const worker = seededActorWorker(spec, 1, 2);
      const seg = allocateSegment({ kind: "transitions", numEnvs: 2, numSteps: 20, obsSize: worker.obsSize, actionDim: worker.actionDim }, "a1");
      worker.collect(seg, 0);
      assert.ok(seg.episodes.length >= 4, `${algo}: ${seg.episodes.length} episodes in 20 steps of 2 envs`);
      assert.ok(seg.episodes.every((e) => e.length <= 7), `${algo}: ${JSON.stringify(seg.episodes)}`);
    }
  });

  it("DQN: synchronous mode with one actor thread equals the single-process run exactly", async () => {
    const single = new DQN(dqnSmall);
    const singleEpisodes: number[] = [];
    single.learn({ onEpisode: (e) => singleEpisodes.push(e.step, e.return, e.length) });

    const agent = new DQN(dqnSmall);
    const episodes: number[] = [];
    const { result, stats } = await learnOnThreads(agent, { actors: 1, sync: true, log: quiet }, { onEpisode: (e) => episodes.push(e.step, e.return, e.length) });
    assert.equal(result.total_timesteps, 3000);
    assert.ok(episodes.length > 3 * 40);
    assert.deepEqual(episodes, singleEpisodes);
    assert.deepEqual(bytes(agent.qNetwork.parameterView()), bytes(single.qNetwork.parameterView()));
    assert.equal(agent.updates, single.updates);
    assert.equal(stats.segments, 3000);
    assert.equal(stats.dropped, 0);
  });

  it("DQN on CartPole learns from two asynchronous actor threads (mean of the last 20 episodes above 100 after 40k steps, as the single process in algos.test.ts; a random policy scores ~22)", async () => {
    const agent = new DQN({ envId: "CartPole-v1", seed: 1, totalTimesteps: 40_000, learningStarts: 1000, explorationFraction: 0.25 });
    const lags: number[] = [];
    const { result, stats, actors } = await learnOnThreads(agent, { actors: 2, log: quiet }, { onMetrics: (_s, m) => lags.push(m["distributed/policy_lag_max"]!) });
    assert.equal(result.total_timesteps, 40_000);
    assert.equal(agent.buffer.size, 10_000);
    assert.ok(agent.episodes.meanReturn(20) > 100, `mean return ${agent.episodes.meanReturn(20)}`);
    assert.deepEqual(actors.map((a) => a.actor), ["0@thread", "1@thread"]);
    // every step received was trained on once: the actors' counts add up to the run's
    assert.equal([...stats.actors.values()].reduce((n, a) => n + a.steps, 0), 40_000);
    // no bound on the lag: nothing is dropped, and an actor descheduled mid-segment on a loaded machine falls far behind
    assert.ok(lags.length > 0 && lags.every((l) => Number.isSafeInteger(l) && l >= 0), lags.join());
  });

  it("SAC on Pendulum with two actor threads: every transition in the replay buffer once", async () => {
    const agent = new SAC(sacSmall);
    let episodes = 0;
    const { result, stats, actors } = await learnOnThreads(agent, { actors: 2, segmentSteps: 25, log: quiet }, { onEpisode: () => episodes++ });
    assert.equal(result.total_timesteps, 1000);
    assert.equal(agent.globalStep, 1000);
    assert.equal(agent.buffer.size, 1000);
    assert.equal([...stats.actors.values()].reduce((n, a) => n + a.steps, 0), 1000);
    // Pendulum's episodes are 200 steps: each actor's stream ends one every 200 of its steps
    assert.equal(episodes, [...stats.actors.values()].reduce((n, a) => n + Math.floor(a.steps / 200), 0));
    assert.equal(stats.segments, 40);
    // both actors' envs differ (seeds per actor), so a transition added twice is a repeated row
    const rows = new Set<string>();
    for (let r = 0; r < 1000; r++) rows.add(bytes(agent.buffer.obs.subarray(r * 3, r * 3 + 3)).toString("hex") + bytes(agent.buffer.actions.subarray(r, r + 1)).toString("hex"));
    assert.equal(rows.size, 1000);
    const made = actors.reduce((n, a) => n + a.steps, 0);
    // trained on, or in a ring (2 slots of 25 steps per actor, refilled once as the run ended)
    assert.ok(made >= 1000 && made <= 1000 + 2 * 3 * 25, `${made} steps made`);
  });

  it("SAC: synchronous mode with one actor thread equals the single-process run exactly", async () => {
    const config = { ...sacSmall, totalTimesteps: 400 };
    const single = new SAC(config);
    single.learn();
    const agent = new SAC(config);
    await learnOnThreads(agent, { actors: 1, sync: true, log: quiet });
    assert.deepEqual(bytes(agent.actor.parameterView()), bytes(single.actor.parameterView()));
    assert.deepEqual(agent.episodes.getState(), single.episodes.getState());
  });

  it("tsrl train dqn --actors 2: recorded with its distributed metrics; killed with kill -9, tsrl resume continues it on new threads", async () => {
    const store = mkdtempSync(join(tmpdir(), "tsrl-replay-cli-"));
    try {
      await killAfterCheckpoints(["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", "8000", "--learning-starts", "500", "--actors", "2", "--name", "d2", "--store", store, "--checkpoint-every", "1000", "--quiet"], store, "d2", 2);
      const resumed = tsrl("resume", "d2", "--store", store, "--json");
      assert.equal(resumed.code, 0, resumed.stderr);
      const result = JSON.parse(resumed.stdout.trim().split("\n").at(-1)!) as { total_timesteps: number };
      assert.equal(result.total_timesteps, 8000);
      const runs = new RunStore(store, { create: false });
      const run = runs.getRun("d2");
      assert.equal(run.status, "finished");
      assert.ok(runs.metricKeys(run.id).includes("distributed/policy_lag_mean"));
      assert.ok(runs.metricKeys(run.id).includes("actors/1@thread/samples_per_s"));
      runs.close();
      const wrong = tsrl("train", "dqn", "--env", "CartPole-v1", "--actors", "1", "--segment-steps", "0", "--no-track");
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /--segment-steps/);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});

describe("actors' streams", () => {
  it("actor k's transitions from the same parameters are the same bytes in every run; actor 0 acts as the single process", () => {
    const spec = actingSpec(new SAC(sacSmall), { segmentSteps: 30 });
    const segment = (index: number) => {
      const seg = allocateSegment({ kind: "transitions", numEnvs: 2, numSteps: 30, obsSize: 3, actionDim: 1 });
      const worker = seededActorWorker(spec, index, 2);
      worker.collect(seg, 250); // past learning starts: the actor's Gaussian, not uniform actions
      return Buffer.concat([seg.obs, seg.actions, seg.rewards, seg.nextObs].map(bytes));
    };
    assert.deepEqual(segment(1), segment(1));
    assert.notDeepEqual(segment(1), segment(0));
    const single = new SAC({ ...sacSmall, numEnvs: 2 });
    single.worker.reset(sacSmall.seed);
    const seg = allocateSegment({ kind: "transitions", numEnvs: 2, numSteps: 30, obsSize: 3, actionDim: 1 });
    single.worker.collect(seg, 250);
    assert.deepEqual(Buffer.concat([seg.obs, seg.actions, seg.rewards, seg.nextObs].map(bytes)), segment(0));
  });
});

describe("transition segments on the wire", () => {
  const shape = { kind: "transitions" as const, numSteps: 40, obsSize: 4, actionDim: 1 };
  it("round-trip: only the final observations of the rows that ended are sent", () => {
    const seg = dqnSegment();
    const fields = encodeSegment(seg);
    assert.equal(fields[1], "tsrl.transitions/1");
    const finals = (JSON.parse(fields[3]) as { finals: number }).finals;
    assert.ok(finals >= 1);
    const back = decodeSegment(fields.map((f) => Buffer.from(f)), shape, 0, 2);
    for (const key of ["obs", "actions", "rewards", "terminated", "truncated", "nextObs"] as const) assert.deepEqual(back[key], seg[key], key);
    assert.deepEqual(back.finalObs.subarray(0, finals * 4), seg.finalObs.subarray(0, finals * 4));
    assert.deepEqual(back.episodes, seg.episodes);
  });

  it("a malformed or foreign transitions segment is refused with the reason", () => {
    const seg = dqnSegment();
    const decode = (f: (string | Buffer)[], s: Parameters<typeof decodeSegment>[1] = shape) => () => decodeSegment(f.map((x) => Buffer.from(x)), s, 0, 2);
    const fields = encodeSegment(seg);
    assert.throws(decode(fields, { ...shape, kind: "rollout" }), (e: Error) => e instanceof SegmentError && /not tsrl.segment\/1 \(this run's actors send rollout\)/.test(e.message));
    assert.throws(decode([...fields.slice(0, 3), fields[3].replace(/"finals":\d+/, '"finals":0'), ...fields.slice(4)]), /data of \d+ bytes|meta.finals is 0/);
    const flagged = dqnSegment();
    flagged.terminated[0] = 2;
    assert.throws(decode(encodeSegment(flagged)), /episode flag/);
    const action = dqnSegment();
    action.actions[3] = 2;
    assert.throws(decode(encodeSegment(action)), /an action \(2\) outside \[0, 2\)/);
    const ended = dqnSegment();
    // one more ended row than final observations sent
    const row = [...ended.terminated].findIndex((v, r) => v === 0 && ended.truncated[r] === 0);
    ended.truncated[row] = 1;
    const lying = encodeSegment(ended);
    assert.throws(decode([...lying.slice(0, 3), lying[3].replace(/"finals":(\d+)/, (_m, n: string) => `"finals":${Number(n) - 1}`), lying[4], lying[5].subarray(0, lying[5].length - 16)]), /meta.finals is \d+, but \d+ rows ended an episode/);
  });
});

describe("distributed DQN and SAC on Redis Streams", { skip: skipRedis }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.close();
  });

  it("DQN: synchronous mode with one actor equals the single-process run exactly; a malformed segment is logged and skipped", async () => {
    const config = { ...dqnSmall, totalTimesteps: 800, learningStarts: 300 };
    const single = new DQN(config);
    single.learn();
    const agent = new DQN(config);
    const logs: string[] = [];
    const learning = learnDistributed(agent, { redis: redis.url, run: "dqn-sync", sync: true, log: (m) => logs.push(m) });
    const client = new Redis(redis.url);
    const keys = runKeys("dqn-sync");
    while ((await client.exists(keys.params)) === 0) await new Promise((r) => setTimeout(r, 20));
    const bad = dqnSegment();
    bad.actions[0] = 9;
    await client.xadd(keys.segments, "*", ...encodeSegment(bad));
    client.disconnect();
    const [{ result, stats }, summary] = await Promise.all([learning, runActor({ redis: redis.url, run: "dqn-sync", log: quiet })]);
    assert.equal(result.total_timesteps, 800);
    assert.equal(stats.skipped, 1);
    assert.ok(logs.some((m) => /skipped stream entry .*: meta.numSteps is 40; this run's is 1/.test(m)), logs.join("\n"));
    assert.equal(summary.steps, 800);
    assert.deepEqual(bytes(agent.qNetwork.parameterView()), bytes(single.qNetwork.parameterView()));
    assert.deepEqual(agent.episodes.getState(), single.episodes.getState());
  });

  it("SAC: a learner and two actor processes' worth of actors over Redis; every transition once", async () => {
    const agent = new SAC({ ...sacSmall, totalTimesteps: 600 });
    const learning = learnDistributed(agent, { redis: redis.url, run: "sac", segmentSteps: 20, log: quiet });
    const [{ result, stats }, a, b] = await Promise.all([learning, runActor({ redis: redis.url, run: "sac", log: quiet }), runActor({ redis: redis.url, run: "sac", envs: 2, log: quiet })]);
    assert.equal(result.total_timesteps, 600);
    assert.equal(agent.buffer.size, 600);
    assert.equal([...stats.actors.values()].reduce((n, x) => n + x.steps, 0), 600);
    assert.ok(a.steps > 0 && b.steps > 0 && a.steps + b.steps >= 600);
    assert.equal(stats.skipped, 0);
  });

  it("tsrl train dqn --redis URL --name … learns from a tsrl actor process; killed with kill -9, tsrl resume continues it while the actor keeps running", async () => {
    const store = mkdtempSync(join(tmpdir(), "tsrl-replay-redis-"));
    try {
      const actor = cli(["actor", "--redis", redis.url, "--run", "cli-dqn", "--envs", "2", "--json"]);
      const total = 6000;
      await killAfterCheckpoints(["train", "dqn", "--env", "CartPole-v1", "--total-timesteps", String(total), "--learning-starts", "300", "--redis", redis.url, "--name", "cli-dqn", "--store", store, "--checkpoint-every", "1500", "--quiet"], store, "cli-dqn", 2);
      const resumed = await cli(["resume", "cli-dqn", "--store", store, "--redis", redis.url, "--json"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal((JSON.parse(resumed.stdout.trim().split("\n").at(-1)!) as { total_timesteps: number }).total_timesteps, total);
      // the same actor process acted for both learners and stopped with the second
      const a = await actor;
      assert.equal(a.code, 0, a.stderr);
      const summary = JSON.parse(a.stdout.trim()) as { actor: string; steps: number };
      assert.match(summary.actor, /^0@/);
      assert.match(a.stderr, /2 × CartPole-v1 for dqn run cli-dqn \(asynchronous\)/);
      const runs = new RunStore(store, { create: false });
      const run = runs.getRun("cli-dqn");
      assert.equal(run.status, "finished");
      assert.ok(runs.metricKeys(run.id).some((k) => /^actors\/0@.+\/samples_per_s$/.test(k)));
      runs.close();
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});

describe("synchronous DQN/SAC takes one actor of num-envs envs", () => {
  it("several actor threads, or another envs count, are refused with what to do (they would stall or waste the run)", async () => {
    await assert.rejects(learnOnThreads(new DQN(dqnSmall), { actors: 2, sync: true, log: quiet }), /--sync with DQN\/SAC takes one actor of num-envs \(1\) envs.*got 2 actor\(s\) of 1: drop --sync/);
    await assert.rejects(learnOnThreads(new SAC(sacSmall), { actors: 1, envs: 3, sync: true, log: quiet }), /got 1 actor\(s\) of 3/);
  });
});
