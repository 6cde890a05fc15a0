/**
 * `tsrl train ppo|dqn|sac --actors N` (actor threads over shared memory), `tsrl train ppo|dqn|sac
 * --redis URL --name <run>` (the learner) and `tsrl actor --redis URL --run <run>` (actors, on any
 * number of hosts): acting and learning apart (PPO's rollouts; DQN's and SAC's transitions into
 * the learner's replay buffer, Ape-X style).
 */
import type { Command } from "commander";
import { ConfigError, type TrainCallbacks, type TrainResult } from "../algos/common.js";
import type { Trainer } from "../algos/index.js";
import { DQN } from "../algos/dqn.js";
import { PPO } from "../algos/ppo.js";
import { SAC } from "../algos/sac.js";
import { runActor } from "../distributed/actor.js";
import type { DistributedAgent } from "../distributed/algos.js";
import { learnOnThreads, startActorThreads } from "../distributed/actor-threads.js";
import { learnDistributed } from "../distributed/learner.js";
import { redactUrl } from "../distributed/redis.js";
import { writeFileAtomic } from "../node/atomic-write.js";
import { loadEnvArg } from "../node/env-module.js";
import { type Tracker, startRun } from "../track/tracker.js";
import { NotCheckpointableError } from "../envs/sync-vector.js";
import { integer } from "./options.js";
import { type TrainFlags, report } from "./train.js";


/** The `--redis`, `--actors`, `--sync`, `--max-policy-lag` (and for DQN, SAC `--segment-steps`) options of `tsrl train ppo|dqn|sac`. */
export function addLearnerOptions(sub: Command, algo: string): void {
  const replay = algo !== "ppo";
  sub
    .option("--actors <n>", `actor threads in this process, each stepping num-envs envs${replay ? " and sending transitions to the learner's replay buffer" : ""}; without --redis they hand over segments and parameters through shared memory, with it they are actors on the run's Redis beside remote \`tsrl actor\`s (default 0)`)
    .option("--redis <url>", "learn from actors over Redis Streams (redis://[:password@]host:port, rediss:// for TLS); needs --name, the run actors join")
    .option("--sync", "with --actors or --redis: train only on segments of the current policy (actors wait for each version); one actor with --envs = num-envs gives the single-process run exactly")
    .option("--max-policy-lag <n>", replay ? "with --actors or --redis: drop segments more than this many learner iterations (env steps ÷ num-envs) behind (default: none; a replay buffer holds older data anyway)" : "with --actors or --redis: drop segments more than this many versions behind (default 8)");
  if (replay) sub.option("--segment-steps <n>", "with --actors or --redis: env steps per segment an actor sends (default 32; 1 with --sync, so that actors act as the single process does)");
}

/** How a distributed learner gets its segments, as recorded with the run (`versions.distributed`) for `tsrl resume`. */
export interface LearnerSetup {
  transport: "threads" | "redis";
  /** actor threads in the learner's process */
  actors: number;
  sync: boolean;
  maxPolicyLag: number | null;
  /** DQN, SAC: env steps per segment (null: the default) */
  segmentSteps?: number | null;
  /** redis: the URL as recorded (its password hidden) and the run's name there */
  redis?: string;
  run?: string;
}

/**
 * The learner's side of `tsrl train ppo --actors N` (threads over shared memory) or `--redis`
 * (actors anywhere): tracked like any run, with checkpoints that `tsrl resume` continues from.
 */
export async function trainDistributed(algo: string, agent: Trainer, config: Record<string, unknown> & { envId: string; seed: number }, flags: TrainFlags, versions: Record<string, unknown>): Promise<void> {
  const actors = integer("--actors", 0, 256)(String(flags.actors ?? 0));
  if (!isDistributable(agent)) throw new ConfigError(`${typeof flags.redis === "string" ? "--redis" : `--actors ${actors}`}: ${algo} does not learn from separate actors; PPO, DQN and SAC do`);
  const url = typeof flags.redis === "string" ? flags.redis : null;
  if (url !== null && typeof flags.name !== "string") throw new ConfigError("--redis needs --name <run>: actors join the run by that name (tsrl actor --run <name>)");
  const maxPolicyLag = flags.maxPolicyLag === undefined ? null : integer("--max-policy-lag", 0)(String(flags.maxPolicyLag));
  const segmentSteps = flags.segmentSteps === undefined ? null : integer("--segment-steps", 1, 1 << 16)(String(flags.segmentSteps));
  const common = { actors, sync: flags.sync === true, maxPolicyLag, ...(segmentSteps !== null ? { segmentSteps } : {}) };
  const setup: LearnerSetup = url === null ? { transport: "threads", ...common } : { transport: "redis", ...common, redis: redactUrl(url), run: flags.name as string };
  const total = config.totalTimesteps as number;
  const checkpointEvery = flags.checkpointEvery === undefined ? Math.max(1, Math.round(total / 10)) : Number(flags.checkpointEvery);
  if (!(Number.isSafeInteger(checkpointEvery) && checkpointEvery >= 0)) throw new ConfigError(`--checkpoint-every: expected an integer ≥ 0, got "${String(flags.checkpointEvery)}"`);
  if (checkpointEvery > 0 && flags.track !== false) {
    // the learner's checkpoint holds its (unstepped) envs too: an env that cannot save its state is found now
    try {
      agent.saveCheckpoint();
    } catch (err) {
      if (err instanceof NotCheckpointableError) throw new ConfigError(`${err.message.replace(/, or train without.*$/, "")}; or pass --checkpoint-every 0 to train without checkpoints (no resume)`);
      throw err;
    }
  }
  const envModule = (versions.envModule as string | undefined) ?? null;
  const tracker = flags.track === false ? null : startRun({ store: flags.store, name: flags.name, algo, env: config.envId, seed: config.seed, config, agent, checkpointEvery, versions: { ...versions, distributed: setup } });
  if (!flags.quiet && !flags.json && url !== null) console.error(`learner of run ${setup.run} on ${setup.redis}: start actors with  npx tsrl actor --redis <url> --run ${setup.run}${setup.sync ? ` --envs ${String(config.numEnvs)}` : ""}`);
  await learnTracked(algo, agent, setup, url, envModule, tracker, flags);
}

/**
 * What `tsrl resume` of a distributed run learns with, checked before anything is resumed: null
 * for a run that is not distributed. The password of a Redis URL is not recorded, so such a run
 * needs `--redis` again.
 */
export function resumedSetup(runId: string, versions: { distributed?: LearnerSetup }, redisFlag: string | undefined): { setup: LearnerSetup; url: string | null } | null {
  const setup = versions.distributed;
  if (!setup) {
    if (redisFlag !== undefined) throw new ConfigError(`--redis: run ${runId} did not learn from actors over Redis; resume it without --redis`);
    return null;
  }
  if (setup.transport === "threads") {
    if (redisFlag !== undefined) throw new ConfigError(`--redis: run ${runId} learned from ${setup.actors} actor threads over shared memory; resume it without --redis`);
    return { setup, url: null };
  }
  const url = redisFlag ?? (setup.redis!.includes("***@") ? null : setup.redis!);
  if (url === null) throw new ConfigError(`run ${runId} learned from actors over Redis (${setup.redis}, run ${setup.run}); its password is not recorded: pass --redis with it, e.g. --redis ${setup.redis!.replace("***", "PASSWORD")}`);
  return { setup, url };
}

/** A resumed distributed learner: the same transport and run name; remote actors still running take its parameters. */
export async function resumeDistributed(algo: string, agent: Trainer, resumed: { setup: LearnerSetup; url: string | null }, envModule: string | null, tracker: Tracker, flags: { json?: boolean; quiet?: boolean; store?: string }): Promise<void> {
  if (!isDistributable(agent)) throw new ConfigError(`run of ${algo}: only PPO, DQN and SAC learn from separate actors`);
  await learnTracked(algo, agent, resumed.setup, resumed.url, envModule, tracker, flags);
}

const isDistributable = (agent: Trainer): agent is DistributedAgent => agent instanceof PPO || agent instanceof DQN || agent instanceof SAC;

/** Runs the learner under `tracker` (or none) and reports as `train` does. */
async function learnTracked(algo: string, agent: DistributedAgent, setup: LearnerSetup, url: string | null, envModule: string | null, tracker: Tracker | null, flags: { json?: boolean; quiet?: boolean; store?: string; save?: unknown }): Promise<void> {
  const chatty = !flags.quiet && !flags.json;
  let reported = 0;
  const progress: TrainCallbacks = {
    onProgress: (p) => {
      // a line per tenth of the run: the learner's output is usually a log
      if (!chatty || p.step < ((reported + 1) / 10) * p.totalSteps) return;
      reported = Math.floor((10 * p.step) / p.totalSteps);
      console.error(`${p.step}/${p.totalSteps} steps | ${Math.round(p.sps)} steps/s | episodes ${p.episodes} | return (last 20) ${Number.isNaN(p.recentMeanReturn) ? "-" : p.recentMeanReturn.toFixed(1)}`);
    },
  };
  const callbacks = tracker ? tracker.callbacks(progress) : progress;
  const log = chatty ? (m: string) => console.error(m) : () => {};
  const { actors, sync } = setup;
  const maxPolicyLag = setup.maxPolicyLag ?? undefined;
  const segmentSteps = setup.segmentSteps ?? undefined;
  let result: TrainResult;
  try {
    result = url === null ? (await learnOnThreads(agent, { actors, sync, maxPolicyLag, segmentSteps, envModule, log }, callbacks)).result : await learnOverRedis(agent, url, setup.run!, { actors, sync, maxPolicyLag, segmentSteps }, envModule, log, callbacks);
  } catch (err) {
    tracker?.fail(err);
    tracker?.store.close();
    throw err;
  }
  const policy = tracker?.finish({ ...result }) ?? null;
  if (typeof flags.save === "string") writeFileAtomic(flags.save, agent.savePolicy());
  report(algo, result, flags, typeof flags.save === "string" ? flags.save : (policy?.path ?? null), tracker ? tracker.store.getRun(tracker.runId) : null);
  tracker?.store.close();
}

/** The Redis learner, with `actors` actor threads of its own on the same Redis; one past version 0 was resumed by `tsrl resume`. */
async function learnOverRedis(
  agent: DistributedAgent,
  url: string,
  run: string,
  { actors, sync, maxPolicyLag, segmentSteps }: { actors: number; sync: boolean; maxPolicyLag?: number; segmentSteps?: number },
  envModule: string | null,
  log: (m: string) => void,
  callbacks: TrainCallbacks,
): Promise<TrainResult> {
  const init = { redis: { url, run }, envs: agent.config.numEnvs, envId: agent.config.envId, envModule };
  const threads = actors > 0 ? startActorThreads(Array.from({ length: actors }, () => init), log) : null;
  // an actor thread that fails (its env, its Redis) ends the run instead of leaving the learner waiting
  const failed = new AbortController();
  threads?.finished.catch((err: unknown) => failed.abort(err));
  try {
    const { result } = await learnDistributed(agent, { redis: url, run, sync, maxPolicyLag, segmentSteps, resumed: agent.version > 0, log: (m) => console.error(m), signal: failed.signal }, callbacks);
    // the threads stop when they see the learner's "done"
    await threads?.finished;
    return result;
  } catch (err) {
    await threads?.terminate();
    throw err;
  }
}

export function registerActor(program: Command): void {
  program
    .command("actor")
    .description("Act for a distributed PPO, DQN or SAC run: step envs with the learner's newest policy and send the trajectories (PPO) or transitions (DQN, SAC) over Redis (join and leave at will)")
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
