/** Distributed PPO over Redis Streams: exactness in synchronous mode, bad entries, dead actors and learners, Redis restarts. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { PPO } from "../src/algos/ppo.js";
import { allocateSegment } from "../src/algos/acting.js";
import { runActor } from "../src/distributed/actor.js";
import { encodeSegment } from "../src/distributed/codec.js";
import { learnDistributed } from "../src/distributed/learner.js";
import { GROUP, runKeys } from "../src/distributed/redis.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStore } from "../src/track/store.js";
import { type TestRedis, skipRedis, startRedis } from "./redis-server.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";

const config = { envId: "CartPole-v1", seed: 4, totalTimesteps: 4 * 128 * 6 };
const quiet = () => {};

describe("distributed PPO on Redis Streams", { skip: skipRedis }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.close();
  });

  it("synchronous mode with one actor equals the single-process run exactly; malformed and foreign entries are skipped", async () => {
    const single = new PPO(config);
    const singleEpisodes: number[] = [];
    single.learn({ onEpisode: (e) => singleEpisodes.push(e.step, e.return, e.length) });

    const agent = new PPO(config);
    const episodes: number[] = [];
    const logs: string[] = [];
    const learning = learnDistributed(agent, { redis: redis.url, run: "sync", sync: true, log: (m) => logs.push(m) }, { onEpisode: (e) => episodes.push(e.step, e.return, e.length) });
    // bad entries reach the stream before any segment
    const client = new Redis(redis.url);
    const keys = runKeys("sync");
    while ((await client.exists(keys.params)) === 0) await new Promise((r) => setTimeout(r, 20));
    const good = allocateSegment({ numEnvs: 4, numSteps: 128, obsSize: 4, actionDim: 1 }, "evil");
    const fields = encodeSegment(good);
    const bad: (string | Buffer)[][] = [
      ["hello", "world"],
      ["kind", "other/1", "meta", "{}", "data", ""],
      ["kind", "tsrl.segment/1", "meta", "process.exit(1)", "data", ""],
      [...fields.slice(0, 5), fields[5].subarray(8)], // truncated data
      [...fields.slice(0, 3), fields[3].replace('"obsSize":4', '"obsSize":5'), ...fields.slice(4)], // another env's shape
      [...fields.slice(0, 3), fields[3].replace('"version":0', '"version":99'), ...fields.slice(4)], // from the future
      [...fields.slice(0, 5), Buffer.concat([fields[5].subarray(0, fields[5].length - 8), Buffer.from(new Float64Array([NaN]).buffer)])],
    ];
    // an action outside Discrete(2)
    good.actions[0] = 7;
    bad.push(encodeSegment(good));
    for (const entry of bad) await client.xadd(keys.segments, "*", ...entry);
    client.disconnect();

    const [{ result, stats }, summary] = await Promise.all([learning, runActor({ redis: redis.url, run: "sync", log: quiet })]);
    assert.equal(stats.skipped, bad.length, logs.join("\n"));
    assert.equal(logs.filter((m) => /skipped stream entry/.test(m)).length, bad.length);
    assert.ok(logs.some((m) => /kind "other\/1"/.test(m)) && logs.some((m) => /meta is not JSON/.test(m)) && logs.some((m) => /outside \[0, 2\)/.test(m)), logs.join("\n"));
    assert.equal(summary.index, 0);
    assert.equal(summary.segments, 6);
    assert.equal(result.total_timesteps, config.totalTimesteps);
    assert.deepEqual(episodes, singleEpisodes);
    assert.deepEqual(Buffer.from(agent.savePolicy()), Buffer.from(single.savePolicy()));
  });

  it("an actor killed with kill -9 leaves the learner training on the others' segments", async () => {
    const agent = new PPO({ ...config, totalTimesteps: 4 * 128 * 1000 });
    const spawnActor = () => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/distributed-actor.ts", redis.url, "kill", "2"], { stdio: ["ignore", "pipe", "pipe"] });
      let err = "";
      const waiting = new Promise<void>((resolve) => child.stderr.on("data", (d: Buffer) => (err += d.toString()).includes("waiting for run") && resolve()));
      return { child, waiting, exited: new Promise<{ signal: string | null; code: number | null; err: string }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, err }))) };
    };
    const [victim, survivor] = [spawnActor(), spawnActor()];
    await Promise.all([victim.waiting, survivor.waiting]);
    let killedAt = -1;
    const lagMax: number[] = [];
    const { stats } = await learnDistributed(agent, { redis: redis.url, run: "kill", log: quiet }, {
      onMetrics: (_step, m) => {
        lagMax.push(m["distributed/policy_lag_max"]!);
        if (m["distributed/actors"] === 2 && killedAt < 0) {
          killedAt = agent.version;
          victim.child.kill("SIGKILL");
        }
      },
      // ten more updates after the kill, on the survivor's segments
      shouldStop: () => killedAt >= 0 && agent.version >= killedAt + 10,
    });
    assert.ok(killedAt > 0);
    assert.equal((await victim.exited).signal, "SIGKILL");
    const done = await survivor.exited;
    assert.equal(done.code, 0, done.err);
    assert.equal(agent.version, killedAt + 10);
    assert.equal(stats.actors.size, 2, [...stats.actors.keys()].join());
    // asynchronous actors run ahead of the learner: columns of older versions, at most maxPolicyLag behind
    assert.ok(lagMax.every((l) => l >= 0 && l <= 8));
  });

  it("a dead learner's unacknowledged segments are reclaimed (XAUTOCLAIM) by the next learner and trained on once", async () => {
    const agent = new PPO({ ...config, totalTimesteps: 4 * 128 * 3 });
    agent.learn({ shouldStop: () => true }); // one iteration done: version 1, a resumed learner
    const keys = runKeys("claim");
    const client = new Redis(redis.url);
    await client.del(keys.segments);
    await client.xgroup("CREATE", keys.segments, GROUP, "0", "MKSTREAM");
    agent.worker.reset(99);
    for (let k = 0; k < 2; k++) {
      const segment = allocateSegment({ numEnvs: 4, numSteps: 128, obsSize: 4, actionDim: 1 }, "gone", k);
      agent.worker.collect(segment, 1);
      await client.xadd(keys.segments, "*", ...encodeSegment(segment));
    }
    // the dead learner read both and never acknowledged them
    const read = (await client.xreadgroup("GROUP", GROUP, "dead", "COUNT", 10, "STREAMS", keys.segments, ">")) as [string, unknown[]][];
    assert.equal(read[0]![1].length, 2);
    const { stats } = await learnDistributed(agent, { redis: redis.url, run: "claim", claimIdleMs: 100, log: quiet });
    assert.equal(stats.reclaimed, 2);
    assert.equal(stats.segments, 2);
    assert.equal(agent.version, 3);
    const pending = (await client.xpending(keys.segments, GROUP)) as [number, ...unknown[]];
    assert.equal(pending[0], 0);
    client.disconnect();
  });

  it("Redis restarted mid-run (AOF): learner and actor reconnect and finish", async () => {
    const agent = new PPO({ ...config, totalTimesteps: 4 * 128 * 8 });
    let restart: Promise<void> | null = null;
    const learning = learnDistributed(agent, { redis: redis.url, run: "restart", log: quiet }, {
      onMetrics: () => {
        if (agent.version === 3 && !restart) restart = redis.stop().then(() => new Promise((r) => setTimeout(r, 300))).then(() => redis.start());
      },
    });
    const [{ result }, summary] = await Promise.all([learning, runActor({ redis: redis.url, run: "restart", log: quiet })]);
    assert.ok(restart, "Redis was restarted");
    await restart;
    assert.equal(agent.version, 8);
    assert.equal(result.total_timesteps, 4 * 128 * 8);
    assert.ok(summary.segments >= 8);
  });

  it("a learner killed with kill -9 is continued by tsrl resume from its checkpoint while its remote actor keeps running and takes the resumed parameters", async () => {
    const store = mkdtempSync(join(tmpdir(), "tsrl-dist-resume-"));
    try {
      const actor = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "actor", "--redis", redis.url, "--run", "again", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
      let actorOut = "", actorErr = "";
      actor.stdout.on("data", (d: Buffer) => (actorOut += d.toString()));
      actor.stderr.on("data", (d: Buffer) => (actorErr += d.toString()));
      const actorExit = new Promise<number | null>((resolve) => actor.once("exit", (code) => resolve(code)));
      const total = 4 * 128 * 16;
      await killAfterCheckpoints(["train", "ppo", "--env", "CartPole-v1", "--seed", "4", "--total-timesteps", String(total), "--redis", redis.url, "--name", "again", "--store", store, "--checkpoint-every", "1024", "--quiet"], store, "again", 2);
      assert.equal(actor.exitCode, null, `the actor outlives its learner: ${actorErr}`);
      const runs = new RunStore(store, { create: false });
      const run = runs.getRun("again");
      const killedAt = runs.artifacts(run.id, "checkpoint").at(-1)!.step;
      runs.close();
      const noPassword = tsrl("resume", "again", "--store", store);
      assert.equal(noPassword.code, 1);
      assert.match(noPassword.stderr, /over Redis \(redis:\/\/:\*\*\*@127\.0\.0\.1:\d+, run again\); its password is not recorded: pass --redis/);
      const resumed = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "resume", "again", "--store", store, "--redis", redis.url, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("exit", (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(JSON.parse(resumed.stdout.trim().split("\n").at(-1)!).total_timesteps, total);
      // the same actor process, never restarted, acted for the resumed learner and stopped with it
      assert.equal(await actorExit, 0, actorErr);
      assert.equal(JSON.parse(actorOut).index, 0);
      const client = new Redis(redis.url);
      assert.equal(await client.get(runKeys("again").actors), "1");
      client.disconnect();
      const after = new RunStore(store, { create: false });
      const done = after.getRun("again");
      assert.equal(done.status, "finished");
      const key = after.metricKeys(done.id).find((k) => /^actors\/0@.+\/samples_per_s$/.test(k))!;
      assert.ok(after.metrics(done.id, key).some((m) => m.step > killedAt), "segments of actor 0 trained on after the resume");
      const lags = after.metrics(done.id, "distributed/policy_lag_max").filter((m) => m.step > killedAt);
      assert.equal(lags.length, (total - killedAt) / 512);
      assert.ok(lags.every((m) => m.value! >= 0 && m.value! <= 8));
      after.close();
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });

  it("tsrl train ppo --redis … --actors 0 --sync and tsrl actor: the run is recorded with its policy lag and samples/s per actor, and equals the single-process one; --actors 2 acts in threads", async () => {
    const store = mkdtempSync(join(tmpdir(), "tsrl-dist-cli-"));
    try {
      const cli = (args: string[]) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
      };
      const steps = String(4 * 128 * 3);
      const [learner, actor] = await Promise.all([
        cli(["train", "ppo", "--env", "CartPole-v1", "--seed", "4", "--total-timesteps", steps, "--redis", redis.url, "--actors", "0", "--sync", "--name", "big", "--store", store, "--json"]),
        cli(["actor", "--redis", redis.url, "--run", "big", "--json"]),
      ]);
      assert.equal(learner.code, 0, learner.stderr);
      assert.equal(actor.code, 0, actor.stderr);
      assert.ok(!learner.stderr.includes("s3cret"), "the password is not shown");
      const result = JSON.parse(learner.stdout.trim().split("\n").at(-1)!) as { final_mean_return: number; episodes: number };
      assert.equal(JSON.parse(actor.stdout).segments, 3);
      const single = new PPO({ ...config, totalTimesteps: Number(steps) });
      const expected = single.learn();
      assert.equal(result.final_mean_return, expected.final_mean_return);
      assert.equal(result.episodes, expected.episodes);
      const runs = new RunStore(store, { create: false });
      const run = runs.getRun("big");
      assert.equal(run.status, "finished");
      assert.deepEqual(runs.metrics(run.id, "distributed/policy_lag_max").map((m) => m.value), [0, 0, 0]);
      const perActor = runs.metricKeys(run.id).filter((k) => /^actors\/0@.+\/samples_per_s$/.test(k));
      assert.equal(perActor.length, 1);
      assert.equal(runs.metrics(run.id, perActor[0]).length, 3);
      const shown = await cli(["runs", "show", "big", "--store", store]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /distributed \(1 actor seen\)\n\s+policy lag\s+0\.00 versions on average, at most 0\n\s+segments\s+3 trained on, 0 skipped \(malformed\), 0 dropped \(too stale\), 0 reclaimed\n\s+actor 0@\S+\s+[\d,]+ samples\/s/);

      // --actors 2: two actor threads in the learner's process
      const threaded = await cli(["train", "ppo", "--env", "CartPole-v1", "--total-timesteps", String(4 * 128 * 6), "--redis", redis.url, "--actors", "2", "--name", "threads", "--store", store, "--json"]);
      assert.equal(threaded.code, 0, threaded.stderr);
      const threadedRun = runs.getRun("threads");
      assert.equal(threadedRun.status, "finished");
      const actorKeys = runs.metricKeys(threadedRun.id).filter((k) => /^actors\/.+\/samples_per_s$/.test(k));
      assert.ok(actorKeys.length >= 1);
      // both threads joined (which one's segments were trained on depends on timing)
      const client = new Redis(redis.url);
      assert.equal(await client.get(runKeys("threads").actors), "2");
      client.disconnect();
      runs.close();
      // an actor thread that fails ends the run with its error instead of a learner waiting forever
      const hostile = await cli(["train", "ppo", "--env", "test/fixtures/thread-hostile-env.ts:ThreadHostile-v0", "--redis", redis.url, "--actors", "1", "--name", "hostile", "--no-track", "--checkpoint-every", "0"]);
      assert.equal(hostile.code, 1);
      assert.match(hostile.stderr, /this env cannot run in a worker thread/);
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});
