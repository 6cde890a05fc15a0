/** Distributed PPO over Redis Streams: exactness in synchronous mode, bad entries, dead actors and learners, Redis restarts, each segment accounted for. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { PPO } from "../src/algos/ppo.js";
import { allocateSegment } from "../src/algos/acting.js";
import { runActor } from "../src/distributed/actor.js";
import { encodeSegment } from "../src/distributed/codec.js";
import { type LearnerTransport, RedisTransport, learnDistributed, learnFromActors } from "../src/distributed/learner.js";
import { actingSpec } from "../src/distributed/algos.js";
import { GROUP, runKeys } from "../src/distributed/redis.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStore } from "../src/track/store.js";
import { type TestRedis, skipRedis, startRedis } from "./redis-server.js";
import { assertSingleProcessResult, killAfterCheckpoints, tsrl } from "./cli-run.js";

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

  it("an actor killed with kill -9 and Redis restarted mid-run: the run finishes with the expected return, and every segment on the stream is trained on once, dropped, or left unread at the end (a resent copy skipped, none lost)", async () => {
    const iterations = 60;
    const agent = new PPO({ ...config, totalTimesteps: 4 * 128 * iterations });
    const run = "faults";
    const spawnActor = () => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/distributed-actor.ts", redis.url, run, "2"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "", err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const waiting = new Promise<void>((resolve) => child.stderr.on("data", (d: Buffer) => (err += d.toString()).includes("waiting for run") && resolve()));
      return { child, waiting, exited: new Promise<{ signal: string | null; code: number | null; out: string; err: string }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, out, err }))) };
    };
    const [victim, survivor] = [spawnActor(), spawnActor()];
    await Promise.all([victim.waiting, survivor.waiting]);
    // the Redis transport, watched: each segment handed to the learner and each one let go (after
    // the update that trained on it, or dropped), by actor/seq
    const options = { redis: redis.url, run, log: quiet };
    const logs: string[] = [];
    const redisTransport = new RedisTransport(agent, actingSpec(agent), options, (m) => logs.push(m));
    const handed: string[] = [], finished: string[] = [];
    const named = new Map<string, string>();
    const transport: LearnerTransport = {
      get skipped() {
        return redisTransport.skipped;
      },
      start: (a) => redisTransport.start(a),
      publish: (a) => redisTransport.publish(a),
      next: async (version, signal) => {
        const item = await redisTransport.next(version);
        if (item) {
          named.set(item.id, `${item.segment.actor}#${item.segment.seq}`);
          handed.push(named.get(item.id)!);
        }
        return item;
      },
      finish: (items) => {
        finished.push(...items.map((item) => named.get(item.id)!));
        return redisTransport.finish(items);
      },
      end: () => redisTransport.end(),
    };
    let killedAt = -1;
    let restart: Promise<void> | null = null;
    const lagMax: number[] = [];
    let learned: Awaited<ReturnType<typeof learnFromActors>>;
    try {
      learned = await learnFromActors(agent, transport, {}, {
        onMetrics: (_step, m) => {
          lagMax.push(m["distributed/policy_lag_max"]!);
          if (m["distributed/actors"] === 2 && killedAt < 0) {
            killedAt = agent.version;
            victim.child.kill("SIGKILL");
          }
          // three updates later, on the survivor's segments, Redis goes down and comes back (AOF)
          if (killedAt >= 0 && agent.version === killedAt + 3 && !restart) restart = redis.stop().then(() => new Promise((r) => setTimeout(r, 300))).then(() => redis.start());
        },
      });
    } finally {
      redisTransport.close();
    }
    const { result, stats } = learned;
    assert.ok(killedAt > 0 && restart, "an actor was killed and Redis restarted");
    await restart;
    assert.equal((await victim.exited).signal, "SIGKILL");
    const done = await survivor.exited;
    assert.equal(done.code, 0, done.err);
    assert.equal(agent.version, iterations);
    assert.equal(result.total_timesteps, 4 * 128 * iterations);
    // as the single process learns by then (seeds 1-5: 108-150 after 60 iterations; a random policy ~22)
    assert.ok(result.final_mean_return >= 80, `final mean return ${result.final_mean_return}`);
    assert.equal(stats.actors.size, 2, [...stats.actors.keys()].join());
    // asynchronous actors run ahead of the learner: columns of older versions, at most maxPolicyLag behind
    assert.ok(lagMax.every((l) => l >= 0 && l <= 8));

    // what is still on the stream was never handed to the learner (acted after it had enough)
    const client = new Redis(redis.url);
    const keys = runKeys(run);
    const leftIds: string[] = [];
    const left = ((await client.xrange(keys.segments, "-", "+")) as [string, string[]][]).map(([id, fields]) => {
      leftIds.push(id);
      const meta = JSON.parse(fields[fields.indexOf("meta") + 1]!) as { actor: string; seq: number };
      return `${meta.actor}#${meta.seq}`;
    });
    const pendingIds = new Set(((await client.xpending(keys.segments, GROUP, "-", "+", 1000)) as [string, ...unknown[]][]).map(([id]) => id));
    const info = (await client.xinfo("STREAM", keys.segments)) as unknown[];
    const added = info[info.indexOf("entries-added") + 1] as number;
    client.disconnect();
    // an XADD whose reply the restart lost is resent: its second copy is skipped, not trained on
    assert.equal(logs.filter((m) => /skipped stream entry .*: a second copy of actor/.test(m)).length, stats.skipped, logs.join("\n"));
    assert.equal(new Set(handed).size, handed.length, "no segment handed to the learner twice");
    assert.deepEqual([...finished].sort(), [...handed].sort(), "each handed segment let go once: trained on or dropped");
    assert.equal(stats.segments + stats.dropped, finished.length);
    assert.equal(new Set(left).size, left.length);
    // a segment both trained on and left on the stream: an XREADGROUP whose reply the restart lost
    // left the original pending with the learner, and ioredis' resent XADD handed over its copy
    left.forEach((k, i) => handed.includes(k) && assert.ok(pendingIds.has(leftIds[i]!), `${k} trained on and still on the stream, not pending`));
    // every entry added to the stream is accounted for
    assert.equal(handed.length + stats.skipped + left.length, added);
    // each actor's segments are its seq 0, 1, …: none lost, the survivor's as many as it added
    const seqs = (actor: string) => [...new Set([...handed, ...left])].filter((k) => k.startsWith(`${actor}#`)).map((k) => Number(k.split("#")[1])).sort((a, b) => a - b);
    const summary = JSON.parse(done.out) as { actor: string; segments: number };
    assert.deepEqual(seqs(summary.actor), Array.from({ length: summary.segments }, (_, k) => k));
    const killed = [...stats.actors.keys()].find((a) => a !== summary.actor)!;
    const victimSeqs = seqs(killed);
    assert.ok(victimSeqs.length > 0);
    assert.deepEqual(victimSeqs, Array.from({ length: victimSeqs.length }, (_, k) => k));
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

  it("a second copy of an actor's segment (an XADD resent after a reconnection) is skipped, not trained on twice", async () => {
    const agent = new PPO({ ...config, totalTimesteps: 4 * 128 * 3 });
    agent.learn({ shouldStop: () => true }); // version 1: a resumed learner keeps what is on the stream
    const keys = runKeys("copies");
    const client = new Redis(redis.url);
    agent.worker.reset(99);
    for (const seq of [0, 1]) {
      const segment = allocateSegment({ numEnvs: 4, numSteps: 128, obsSize: 4, actionDim: 1 }, "7@elsewhere", seq);
      agent.worker.collect(segment, 1);
      const fields = encodeSegment(segment);
      await client.xadd(keys.segments, "*", ...fields);
      if (seq === 0) await client.xadd(keys.segments, "*", ...fields);
    }
    const remaining = await client.xlen(keys.segments).finally(() => client.disconnect());
    const logs: string[] = [];
    const { stats } = await learnDistributed(agent, { redis: redis.url, run: "copies", log: (m) => logs.push(m) });
    assert.equal(remaining, 3);
    assert.equal(stats.skipped, 1);
    assert.equal(stats.segments, 2);
    assert.equal(agent.version, 3);
    assert.equal(logs.filter((m) => /skipped stream entry \S+: a second copy of actor 7@elsewhere's segment 0 \(an XADD resent after a reconnection\)/.test(m)).length, 1, logs.join("\n"));
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
      assert.equal(JSON.parse(actor.stdout).segments, 3);
      assertSingleProcessResult(learner.stdout, { ...config, totalTimesteps: Number(steps) });
      const runs = new RunStore(store, { create: false });
      const run = runs.getRun("big");
      assert.equal(run.status, "finished");
      assert.deepEqual(runs.metrics(run.id, "distributed/policy_lag_max").map((m) => m.value), [0, 0, 0]);
      const perActor = runs.metricKeys(run.id).filter((k) => /^actors\/0@.+\/samples_per_s$/.test(k));
      assert.equal(perActor.length, 1);
      assert.equal(runs.metrics(run.id, perActor[0]).length, 3);
      const shown = await cli(["runs", "show", "big", "--store", store]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /distributed \(1 actor seen\)\n\s+policy lag\s+0\.00 versions on average, at most 0\n\s+segments\s+3 trained on, 0 skipped \(malformed or a resent copy\), 0 dropped \(too stale\), 0 reclaimed\n\s+actor 0@\S+\s+[\d,]+ samples\/s/);

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
