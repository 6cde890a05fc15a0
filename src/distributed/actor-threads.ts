/**
 * Actors in worker threads of the learner's process: N cores of this host act.
 * - `learnOnThreads` (`tsrl train ppo|dqn|sac --actors N`, no Redis): the threads hand segments and
 *   parameters over shared memory (shared-memory.ts), nothing serialized.
 * - With `--redis`, each thread is an ordinary actor (`runActor`) on the run's Redis, beside any
 *   remote actors: its segments go through the stream (serialized; ~1.5 µs per CartPole step,
 *   bench/scale.ts) and the threads join, fail and stop as remote actors do.
 */
import { Worker } from "node:worker_threads";
import { ConfigError, type TrainCallbacks, type TrainResult } from "../algos/common.js";
import type { ActorSummary } from "./actor.js";
import { type DistributedAgent, actingSpec, algoOf } from "./algos.js";
import { type LearnerStats, assertDistributable, learnFromActors } from "./learner.js";
import { type SharedActorInit, SharedMemoryTransport, requireSharedMemory } from "./shared-memory.js";
import { kernelFma } from "../nn/wasm-kernels.js";

export interface ActorThreadInit {
  envId: string;
  /** the module that registers envId (null: built-in) */
  envModule: string | null;
  /** envs stepped together (Redis actors; shared-memory ones take theirs from `shared`) */
  envs: number;
  /** an actor of the Redis run `run` */
  redis?: { url: string; run: string };
  /** an actor over the learner's shared memory */
  shared?: SharedActorInit;
  /** the learner's `setKernelFma` setting (threads share no module state; set by startActorThreads) */
  kernelFma?: boolean;
}

export interface ActorThreads {
  /** resolves with each thread's summary once the learner has finished and they have stopped; rejects if one failed */
  finished: Promise<ActorSummary[]>;
  /** stops every thread now */
  terminate(): Promise<void>;
}

export function startActorThreads(inits: ActorThreadInit[], log: (message: string) => void): ActorThreads {
  // the actors' networks use the learner's kernels, so that acting matches the single process's
  const workers = inits.map((init) => startWorker({ ...init, kernelFma: kernelFma() }));
  const finished = Promise.all(
    workers.map(
      (worker) =>
        new Promise<ActorSummary>((resolve, reject) => {
          let summary: ActorSummary | null = null;
          worker.on("message", (m: { log?: string; summary?: ActorSummary }) => {
            if (m.log !== undefined) log(m.log);
            if (m.summary) summary = m.summary;
          });
          worker.once("error", reject);
          worker.once("exit", (code) => (summary ? resolve(summary) : reject(new Error(`an actor thread exited (code ${code}) before the run finished`))));
        }),
    ),
  );
  finished.catch(() => {}); // observed by the caller; a learner that failed first terminates the threads
  return { finished, terminate: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}

export interface ThreadsLearnerOptions {
  /** actor threads */
  actors: number;
  /** envs each actor steps (default: the run's numEnvs) */
  envs?: number;
  sync?: boolean;
  maxPolicyLag?: number;
  /** segment slots per actor (default 2: one being read, one being filled); a full ring pauses its actor */
  slots?: number;
  /** the module that registers the run's env, imported by each thread (null: built-in) */
  envModule?: string | null;
  /** DQN, SAC: env steps per transition segment (default 32; 1 with `sync`) */
  segmentSteps?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
}

/**
 * Trains `agent` on segments of `actors` actor threads over shared memory (actor k seeded as
 * Redis actor k). A thread that fails ends the run with its error; `signal` ends it too.
 */
export async function learnOnThreads(agent: DistributedAgent, options: ThreadsLearnerOptions, callbacks: TrainCallbacks = {}): Promise<{ result: TrainResult; stats: LearnerStats; actors: ActorSummary[] }> {
  requireSharedMemory();
  assertDistributable(agent);
  const sync = options.sync ?? false;
  const envs = options.envs ?? agent.config.numEnvs;
  for (const [name, value, max] of [["actors", options.actors, 256], ["envs", envs, 1 << 16], ["slots", options.slots ?? 2, 64]] as const) {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new ConfigError(`learnOnThreads: ${name} must be an integer in [1, ${max}], got ${value}`);
  }
  if (sync && algoOf(agent) !== "ppo" && (options.actors !== 1 || envs !== agent.config.numEnvs)) {
    throw new ConfigError(`--sync with DQN/SAC takes one actor of num-envs (${agent.config.numEnvs}) envs, which acts as the single process does; got ${options.actors} actor(s) of ${envs}: drop --sync for several actors`);
  }
  const transport = new SharedMemoryTransport(agent, options.actors, envs, sync, options.slots, actingSpec(agent, { sync, segmentSteps: options.segmentSteps }));
  const envModule = options.envModule ?? null;
  const threads = startActorThreads(
    Array.from({ length: options.actors }, (_, k) => ({ envId: agent.config.envId, envModule, envs, shared: transport.actorInit(k) })),
    options.log ?? ((m) => console.error(m)),
  );
  const stop = new AbortController();
  threads.finished.catch((err: unknown) => stop.abort(err));
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const { result, stats } = await learnFromActors(agent, transport, { sync, maxPolicyLag: options.maxPolicyLag, signal: stop.signal }, callbacks);
    return { result, stats, actors: await threads.finished };
  } catch (err) {
    transport.stop();
    await threads.terminate();
    throw err;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** From the built `.js`; under tsx (tsrl's own tests), the worker registers tsx's loader first. */
function startWorker(init: ActorThreadInit): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./actor-thread.js", import.meta.url), { workerData: init });
  const url = new URL("./actor-thread.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}
