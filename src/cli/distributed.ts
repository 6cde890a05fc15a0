/**
 * `tsrl train ppo --redis URL --name <run>` (the learner) and `tsrl actor --redis URL --run <run>`
 * (actors, on any number of hosts): PPO with acting and learning apart, over Redis Streams.
 */
import type { Command } from "commander";
import { ConfigError, type TrainCallbacks, type TrainResult } from "../algos/common.js";
import type { Trainer } from "../algos/index.js";
import { PPO } from "../algos/ppo.js";
import { runActor } from "../distributed/actor.js";
import { startActorThreads } from "../distributed/actor-threads.js";
import { learnDistributed } from "../distributed/learner.js";
import { writeFileAtomic } from "../node/atomic-write.js";
import { loadEnvArg } from "../node/env-module.js";
import { startRun } from "../track/tracker.js";
import { integer } from "./options.js";
import { type TrainFlags, report } from "./train.js";

/** A URL as it may be shown: the password hidden. */
export const redactUrl = (url: string) => url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, "$1***@");

/** The `--redis`, `--actors`, `--sync`, `--max-policy-lag` options of `tsrl train ppo`. */
export function addLearnerOptions(sub: Command): void {
  sub
    .option("--redis <url>", "learn from actors over Redis Streams (redis://[:password@]host:port, rediss:// for TLS); needs --name, the run actors join")
    .option("--actors <n>", "with --redis: actor threads in this process (each steps num-envs envs) besides remote `tsrl actor`s (default 0)")
    .option("--sync", "with --redis: train only on segments of the current policy (actors wait for each version); one actor with --envs = num-envs gives the single-process run exactly")
    .option("--max-policy-lag <n>", "with --redis: drop segments more than this many versions behind (default 8)");
}

/** The learner's side of `tsrl train ppo --redis`: tracked like any run (without checkpoints), reported as `train` does. */
export async function trainDistributed(algo: string, agent: Trainer, config: Record<string, unknown> & { envId: string; seed: number }, flags: TrainFlags, versions: Record<string, unknown>): Promise<void> {
  if (!(agent instanceof PPO)) throw new ConfigError(`--redis: ${algo} does not learn from remote actors yet; PPO does`);
  const actors = integer("--actors", 0, 256)(String(flags.actors ?? 0));
  if (typeof flags.redis !== "string") throw new ConfigError(`--actors ${actors}: actors send their trajectories through Redis Streams; start one (redis-server --port 6379) and add --redis redis://127.0.0.1:6379 (actors over shared memory alone are not available yet)`);
  if (typeof flags.name !== "string") throw new ConfigError("--redis needs --name <run>: actors join the run by that name (tsrl actor --run <name>)");
  const maxPolicyLag = flags.maxPolicyLag === undefined ? undefined : integer("--max-policy-lag", 0)(String(flags.maxPolicyLag));
  const url = String(flags.redis);
  const run = flags.name;
  const tracker = flags.track === false ? null : startRun({ store: flags.store, name: run, algo, env: config.envId, seed: config.seed, config, agent, checkpointEvery: 0, versions: { ...versions, redis: redactUrl(url) } });
  if (!flags.quiet && !flags.json) console.error(`learner of run ${run} on ${redactUrl(url)}: start actors with  npx tsrl actor --redis <url> --run ${run}${flags.sync ? ` --envs ${String(config.numEnvs)}` : ""}`);
  let reported = 0;
  const progress: TrainCallbacks = {
    onProgress: (p) => {
      // a line per tenth of the run: the learner's output is usually a log
      if (flags.quiet || flags.json || p.step < ((reported + 1) / 10) * p.totalSteps) return;
      reported = Math.floor((10 * p.step) / p.totalSteps);
      console.error(`${p.step}/${p.totalSteps} steps | ${Math.round(p.sps)} steps/s | episodes ${p.episodes} | return (last 20) ${Number.isNaN(p.recentMeanReturn) ? "-" : p.recentMeanReturn.toFixed(1)}`);
    },
  };
  const log = (m: string) => console.error(m);
  const threads = actors > 0 ? startActorThreads(actors, { redis: url, run, envs: config.numEnvs as number, envId: config.envId, envModule: (versions.envModule as string | undefined) ?? null }, flags.quiet || flags.json ? () => {} : log) : null;
  // an actor thread that fails (its env, its Redis) ends the run instead of leaving the learner waiting
  const failed = new AbortController();
  threads?.finished.catch((err: unknown) => failed.abort(err));
  let result: TrainResult;
  try {
    ({ result } = await learnDistributed(agent, { redis: url, run, sync: flags.sync === true, maxPolicyLag, log, signal: failed.signal }, tracker ? tracker.callbacks(progress) : progress));
    // the threads stop when they see the learner's "done"
    await threads?.finished;
  } catch (err) {
    await threads?.terminate();
    tracker?.fail(err);
    tracker?.store.close();
    throw err;
  }
  const policy = tracker?.finish({ ...result }) ?? null;
  if (typeof flags.save === "string") writeFileAtomic(flags.save, agent.savePolicy());
  report(algo, result, flags, typeof flags.save === "string" ? flags.save : (policy?.path ?? null), tracker?.run ?? null);
  tracker?.store.close();
}

export function registerActor(program: Command): void {
  program
    .command("actor")
    .description("Act for a distributed PPO run: step envs with the learner's newest policy and send the trajectories over Redis (join and leave at will)")
    .requiredOption("--redis <url>", "the run's Redis (redis://[:password@]host:port, rediss:// for TLS)")
    .requiredOption("--run <name>", "the run's name (the learner's --name)")
    .option("--envs <n>", "envs stepped together (default: the run's num-envs)", integer("--envs", 1, 1 << 16))
    .option("-e, --env <module:id>", "import the module that registers the run's env (\"./sim.js:Sim-v0\"); nothing is imported from Redis")
    .option("--segments <n>", "stop after sending this many segments (default: when the learner finishes)", integer("--segments", 1))
    .option("--json", "print one JSON line at the end: {actor, index, segments, steps}")
    .action(async (flags: { redis: string; run: string; envs?: number; env?: string; segments?: number; json?: boolean }) => {
      if (flags.env) await loadEnvArg(flags.env);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const summary = await runActor({ redis: flags.redis, run: flags.run, envs: flags.envs, maxSegments: flags.segments, signal: stop.signal, log: (m) => console.error(m) });
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (flags.json) console.log(JSON.stringify(summary));
      else console.log(`actor ${summary.actor}: ${summary.segments} segments, ${summary.steps} env steps`);
    });
}
