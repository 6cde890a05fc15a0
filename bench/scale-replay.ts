/**
 * Distributed DQN throughput (issue 17, Ape-X style): env steps per second of DQN CartPole-v1
 * (CleanRL's config, `--steps` env steps, default 100k) in one process and with 1 and 2 actor
 * threads over shared memory (asynchronous, 32-step segments), each the best of `--rounds` (3)
 * runs taken in turns, with the final mean return (last 20 episodes) and the cores the process
 * obtained (CPU seconds of all its threads per wall second). `--env WaitCartPole-v0` (or
 * SlowCartPole-v0, bench/envs/slow-cartpole.ts): CartPole whose step waits (or computes) ~1 ms.
 *
 *   /work/team/quiet.sh node --import tsx bench/scale-replay.ts [--steps 100000] [--rounds 3] [--env CartPole-v1]
 */
import { DQN } from "../src/algos/dqn.js";
import { learnOnThreads } from "../src/distributed/actor-threads.js";
import { ensureEnvRegistered } from "../src/node/env-module.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const steps = arg("steps", 100_000), rounds = arg("rounds", 3);
const envAt = process.argv.indexOf("--env");
const envId = envAt < 0 ? "CartPole-v1" : process.argv[envAt + 1]!;
const envModule = envId === "CartPole-v1" ? null : "./bench/envs/slow-cartpole.ts";
await ensureEnvRegistered(envId, envModule);
const config = { envId, seed: 1, totalTimesteps: steps, ...(envModule ? { learningStarts: Math.min(10_000, steps / 5) } : {}) };

async function run(actors: number): Promise<{ sps: number; cores: number; ret: number }> {
  const agent = new DQN(config);
  const cpu = process.cpuUsage(), start = performance.now();
  if (actors === 0) agent.learn();
  else await learnOnThreads(agent, { actors, envModule, log: () => {} });
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { sps: steps / wall, cores: (used.user + used.system) / 1e6 / wall, ret: agent.episodes.meanReturn(20) };
}

const best = new Map<number, { sps: number; cores: number; ret: number }>();
for (let r = 0; r < rounds; r++) {
  for (const actors of [0, 1, 2]) {
    const m = await run(actors);
    console.log(JSON.stringify({ env: envId, round: r, actors, ...m }));
    if (!best.has(actors) || m.sps > best.get(actors)!.sps) best.set(actors, m);
  }
}
const single = best.get(0)!.sps;
for (const [actors, m] of best) console.log(`${actors === 0 ? "single process" : `${actors} actor thread${actors > 1 ? "s" : ""}`}: ${Math.round(m.sps)} env steps/s (${(m.sps / single).toFixed(2)}x), ${m.cores.toFixed(2)} cores, return ${m.ret.toFixed(1)}`);
