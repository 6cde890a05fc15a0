/**
 * Actors in worker threads of the learner's process (`tsrl train ppo --redis URL --actors N`): N
 * cores of this host act, beside any remote actors. Each thread is an ordinary actor (`runActor`)
 * on the same Redis, so segments still go through the stream (serialized; ~1.5 µs per CartPole
 * step, bench/scale.ts) and the threads join, fail and stop as remote actors do.
 */
import { Worker } from "node:worker_threads";
import type { ActorSummary } from "./actor.js";

export interface ActorThreadInit {
  redis: string;
  run: string;
  envs: number;
  envId: string;
  /** the module that registers envId (null: built-in) */
  envModule: string | null;
}

export interface ActorThreads {
  /** resolves with each thread's summary once the learner has finished and they have stopped; rejects if one failed */
  finished: Promise<ActorSummary[]>;
  /** stops every thread now */
  terminate(): Promise<void>;
}

export function startActorThreads(count: number, init: ActorThreadInit, log: (message: string) => void): ActorThreads {
  const workers = Array.from({ length: count }, () => startWorker(init));
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

/** From the built `.js`; under tsx (tsrl's own tests), the worker registers tsx's loader first. */
function startWorker(init: ActorThreadInit): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./actor-thread.js", import.meta.url), { workerData: init });
  const url = new URL("./actor-thread.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}
