/**
 * Distributed PPO throughput (issue 17): env steps per second trained on, with 1 and 2 actor
 * processes sending segments over Redis Streams to one learner, for CartPole (acting is cheap,
 * the learner bounds it), SlowCartPole (~1 ms of CPU per step: acting bounds it) and WaitCartPole
 * (~1 ms of waiting per step, no CPU: a remote simulator or service), beside the
 * single-process run; scaling efficiency = sps(2 actors) / (2 × sps(1 actor)); and Redis' cost
 * per segment (XADD + XREADGROUP + XACK/XDEL of one CartPole segment, measured alone).
 * Actors run as processes (`tsrl actor`), as threads on the same Redis (`--redis … --actors N`) and
 * as threads over shared memory, no Redis (`--actors N`). Each actor steps 4 envs; the learner
 * trains PPO's CartPole config (4 envs × 128 steps per batch).
 * `--shared [--repeats R]`: only the single process and 1 and 2 shared-memory threads, each the
 * best of R runs (default 3) taken in turns (about a minute per repeat at 16 iterations), then
 * the shared-memory transport's own cost per segment (`--overhead-only`: that alone).
 * `--returns [--seeds S]`: instead, PPO CartPole-v1 (CleanRL's config, 500k steps) for seeds 1…S (5)
 * in one process, with 2 asynchronous actor threads over shared memory (`--actors 2`) and with 2
 * asynchronous `tsrl actor` processes over Redis, each actor with the run's 4 envs (the CLI's
 * defaults): the final mean returns per seed, then per mode mean ± std and, against the single
 * process, an exact permutation test of the difference of means and rliable's probability of
 * improvement with its bootstrap interval.
 * Run: nice -n 10 node --import tsx bench/scale.ts [--iterations N] [--returns [--seeds S] | --shared [--repeats R] [--overhead-only]]
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { PPO, ppoActorWorker, ppoModules } from "../src/algos/ppo.js";
import { allocateSegment, copyColumns } from "../src/algos/acting.js";
import { SharedMemoryTransport, takeParameters } from "../src/distributed/shared-memory.js";
import { now } from "../src/algos/common.js";
import { learnDistributed } from "../src/distributed/learner.js";
import { decodeSegment, encodeSegment } from "../src/distributed/codec.js";
import { GROUP } from "../src/distributed/redis.js";
import { Redis } from "ioredis";
import { startRedis } from "../test/redis-server.js";
import { meanStd, probabilityOfImprovementInterval } from "../src/stats/index.js";
import { learnOnThreads, startActorThreads } from "../src/distributed/actor-threads.js";
import "./envs/slow-cartpole.js";

const arg = process.argv.indexOf("--iterations");
const iterations = arg > 0 ? Number(process.argv[arg + 1]) : 12;
const redis = await startRedis();
const rows: Record<string, unknown>[] = [];

/** steps/s over iterations 2..n (the first waits for actors to start), and the final mean return; actors in processes or threads */
async function distributed(envId: string, actors: number, iters: number, seed = 1, envsPerActor = 4, threads = false): Promise<{ sps: number; finalMeanReturn: number }> {
  const run = `scale-${envId}-${actors}-${seed}-${threads ? "t" : "p"}`;
  const agent = new PPO({ envId, seed, totalTimesteps: 512 * iters });
  const module = envId === "CartPole-v1" ? [] : ["--env", `bench/envs/slow-cartpole.ts:${envId}`];
  const children = threads
    ? []
    : Array.from({ length: actors }, () =>
        spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "actor", "--redis", redis.url, "--run", run, "--envs", String(envsPerActor), "--json", ...module], { stdio: ["ignore", "ignore", "inherit"] }),
      );
  const actorThreads = threads ? startActorThreads(Array.from({ length: actors }, () => ({ redis: { url: redis.url, run }, envs: envsPerActor, envId, envModule: envId === "CartPole-v1" ? null : "./bench/envs/slow-cartpole.ts" })), () => {}) : null;
  const failed = new AbortController();
  actorThreads?.finished.catch((err: unknown) => failed.abort(err));
  let t1 = 0;
  const { result } = await learnDistributed(agent, { redis: redis.url, run, log: () => {}, signal: failed.signal }, { onMetrics: () => void (agent.version === 1 && (t1 = now())) });
  const seconds = now() - t1;
  await actorThreads?.finished;
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once("exit", resolve)))));
  return { sps: (512 * (iters - 1)) / seconds, finalMeanReturn: result.final_mean_return };
}

function single(envId: string, iters: number): number {
  const agent = new PPO({ envId, seed: 1, totalTimesteps: 512 * iters });
  return agent.learn().sps;
}

/**
 * steps/s over iterations 2..n with `actors` threads over shared memory, and the cores the process
 * obtained meanwhile (CPU seconds of all its threads per second): on a shared machine, what 2
 * threads can give is bounded by the cores they get
 */
async function sharedThreads(envId: string, actors: number, iters: number): Promise<{ sps: number; cores: number }> {
  const agent = new PPO({ envId, seed: 1, totalTimesteps: 512 * iters });
  let t1 = 0;
  let cpu = process.cpuUsage();
  await learnOnThreads(agent, { actors, envModule: envId === "CartPole-v1" ? null : "./bench/envs/slow-cartpole.ts", log: () => {} }, {
    onMetrics: () => {
      if (agent.version !== 1) return;
      t1 = now();
      cpu = process.cpuUsage();
    },
  });
  const seconds = now() - t1;
  const used = process.cpuUsage(cpu);
  return { sps: (512 * (iters - 1)) / seconds, cores: (used.user + used.system) / 1e6 / seconds };
}

const ENVS = process.argv.includes("--overhead-only") ? [] : [["CartPole-v1", iterations * 4], ["SlowCartPole-v0", iterations], ["WaitCartPole-v0", iterations]] as const;

if (process.argv.includes("--shared")) {
  // the best of `repeats` runs of each, taken in turns: on a shared machine the other loads only slow a run down
  const r = process.argv.indexOf("--repeats");
  const repeats = r > 0 ? Number(process.argv[r + 1]) : 3;
  for (const [envId, iters] of ENVS) {
    let sps1Process = 0;
    let best1 = { sps: 0, cores: 0 }, best2 = { sps: 0, cores: 0 };
    for (let k = 0; k < repeats; k++) {
      sps1Process = Math.max(sps1Process, single(envId, iters));
      const one = await sharedThreads(envId, 1, iters);
      if (one.sps > best1.sps) best1 = one;
      const two = await sharedThreads(envId, 2, iters);
      if (two.sps > best2.sps) best2 = two;
    }
    const [shared1, shared2] = [best1.sps, best2.sps];
    console.log(JSON.stringify({ env: envId, iterations: iters, single_process_sps: Math.round(sps1Process), shared1_sps: Math.round(shared1), shared2_sps: Math.round(shared2), shared_scaling_efficiency: +(shared2 / (2 * shared1)).toFixed(2), shared2_vs_single: +(shared2 / sps1Process).toFixed(2), shared1_cores: +best1.cores.toFixed(2), shared2_cores: +best2.cores.toFixed(2), repeats, load_average: +loadavg()[0]!.toFixed(1) }));
  }
  // the shared-memory transport's own cost per CartPole segment, alone: the learner publishes a
  // version (float32 parameters into the shared buffer), an actor copies them in, a full slot is
  // taken, its columns copied into the batch, the slot released
  {
    const agent = new PPO({ envId: "CartPole-v1", seed: 1 });
    const transport = new SharedMemoryTransport(agent, 1, 4, false);
    const init = transport.actorInit(0);
    const ring = new Int32Array(init.ring, 0, 2 * 3);
    const actorNets = ppoModules(ppoActorWorker(agent.config, agent.target, 4, 1).nets);
    const batch = allocateSegment({ numEnvs: 4, numSteps: 128, obsSize: 4, actionDim: 1 });
    const n = 2000;
    const start = now();
    for (let k = 0; k < n; k++) {
      await transport.publish(agent);
      takeParameters(init, actorNets, -1); // an actor behind by a version: it copies them all
      Atomics.store(ring, (k % 2) * 3, 1); // the actor marks its slot full (the slot's first word)
      const item = (await transport.next(0))!;
      copyColumns(item.segment, 0, batch, 0, 4);
      await transport.finish([item]);
    }
    console.log(JSON.stringify({ shared_memory_ms_per_segment: +(((now() - start) * 1000) / n).toFixed(4), parameter_bytes: init.parameters.byteLength, steps_per_segment: 512, load_average: +loadavg()[0]!.toFixed(1) }));
  }
  await redis.close();
  process.exit(0);
}

/**
 * Two-sided exact permutation test of the difference of means of `a` and `b`: the share of the
 * C(n, |a|) ways to split the pooled values whose |difference| is at least the observed one
 * (no normality assumed: 5 final returns near CartPole's 500 cap are not normal)
 */
function permutationP(a: readonly number[], b: readonly number[]): number {
  const pooled = [...a, ...b];
  const total = pooled.reduce((x, y) => x + y, 0);
  const observed = Math.abs(meanStd(a).mean - meanStd(b).mean);
  let extreme = 0, splits = 0;
  const visit = (from: number, left: number, sum: number): void => {
    if (left === 0) {
      splits++;
      if (Math.abs(sum / a.length - (total - sum) / b.length) >= observed - 1e-9) extreme++;
      return;
    }
    for (let i = from; i <= pooled.length - left; i++) visit(i + 1, left - 1, sum + pooled[i]!);
  };
  visit(0, a.length, 0);
  return extreme / splits;
}

if (process.argv.includes("--returns")) {
  const s = process.argv.indexOf("--seeds");
  const seeds = s > 0 ? Number(process.argv[s + 1]) : 5;
  const iters = Math.floor(500_000 / 512);
  const modes = { single: [] as number[], threads2: [] as number[], redis2: [] as number[] };
  for (let seed = 1; seed <= seeds; seed++) {
    let t = now();
    const single = new PPO({ envId: "CartPole-v1", seed, totalTimesteps: 512 * iters }).learn().final_mean_return;
    const singleSeconds = now() - t;
    t = now();
    const threads = (await learnOnThreads(new PPO({ envId: "CartPole-v1", seed, totalTimesteps: 512 * iters }), { actors: 2, log: () => {} })).result.final_mean_return;
    const threadsSeconds = now() - t;
    t = now();
    const redis2 = (await distributed("CartPole-v1", 2, iters, seed)).finalMeanReturn;
    const redisSeconds = now() - t;
    modes.single.push(single);
    modes.threads2.push(threads);
    modes.redis2.push(redis2);
    console.log(JSON.stringify({ seed, steps: 512 * iters, single_process_final_mean_return: +single.toFixed(1), threads2_async_final_mean_return: +threads.toFixed(1), redis2_async_final_mean_return: +redis2.toFixed(1), seconds: [+singleSeconds.toFixed(1), +threadsSeconds.toFixed(1), +redisSeconds.toFixed(1)], load_average: +loadavg()[0]!.toFixed(1) }));
  }
  for (const [mode, returns] of Object.entries(modes)) {
    const { mean, std } = meanStd(returns);
    const row: Record<string, unknown> = { mode, seeds, final_mean_return_mean: +mean.toFixed(1), final_mean_return_std: +std.toFixed(1) };
    if (mode !== "single") {
      // P(a run of this mode ends above a single-process run), 0.5 = no difference
      const poi = probabilityOfImprovementInterval(returns.map((r) => [r]), modes.single.map((r) => [r]), { reps: 20_000, seed: 1 });
      Object.assign(row, { difference_vs_single: +(mean - meanStd(modes.single).mean).toFixed(1), permutation_p: +permutationP(returns, modes.single).toFixed(3), probability_of_improvement: [+poi.estimate.toFixed(2), +poi.lower.toFixed(2), +poi.upper.toFixed(2)] });
    }
    console.log(JSON.stringify(row));
  }
  await redis.close();
  process.exit(0);
}

for (const [envId, iters] of ENVS) {
  const sps1Process = single(envId, iters);
  const sps1 = (await distributed(envId, 1, iters)).sps;
  const sps2 = (await distributed(envId, 2, iters)).sps;
  const threads1 = (await distributed(envId, 1, iters, 1, 4, true)).sps;
  const threads2 = (await distributed(envId, 2, iters, 1, 4, true)).sps;
  const shared1 = (await sharedThreads(envId, 1, iters)).sps;
  const shared2 = (await sharedThreads(envId, 2, iters)).sps;
  const row = {
    env: envId,
    iterations: iters,
    single_process_sps: Math.round(sps1Process),
    actors1_sps: Math.round(sps1),
    actors2_sps: Math.round(sps2),
    scaling_efficiency: +(sps2 / (2 * sps1)).toFixed(2),
    threads1_sps: Math.round(threads1),
    threads2_sps: Math.round(threads2),
    threads_scaling_efficiency: +(threads2 / (2 * threads1)).toFixed(2),
    shared1_sps: Math.round(shared1),
    shared2_sps: Math.round(shared2),
    shared_scaling_efficiency: +(shared2 / (2 * shared1)).toFixed(2),
    load_average: +loadavg()[0]!.toFixed(1),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

// Redis' cost per segment, alone: add, read through the group, acknowledge and delete
{
  const client = new Redis(redis.url);
  const key = "tsrl:overhead:segments";
  await client.xgroup("CREATE", key, GROUP, "0", "MKSTREAM");
  const segment = allocateSegment({ numEnvs: 4, numSteps: 128, obsSize: 4, actionDim: 1 }, "bench");
  const n = 200;
  const start = now();
  for (let k = 0; k < n; k++) {
    await client.xadd(key, "*", ...encodeSegment(segment));
    const reply = (await client.xreadgroupBuffer("GROUP", GROUP, "c", "COUNT", 1, "STREAMS", key, ">")) as [Buffer, [Buffer, Buffer[]][]][];
    const [id, fields] = reply[0]![1][0]!;
    decodeSegment(fields, { numSteps: 128, obsSize: 4, actionDim: 1 }, 0, 2);
    await client.xack(key, GROUP, id);
    await client.xdel(key, id);
  }
  const ms = ((now() - start) * 1000) / n;
  const bytes = encodeSegment(segment)[5].length;
  console.log(JSON.stringify({ redis_ms_per_segment: +ms.toFixed(3), segment_bytes: bytes, steps_per_segment: 512 }));
  client.disconnect();
}
await redis.close();
