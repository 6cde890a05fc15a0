/** A worker thread running one actor of a distributed run (see actor-threads.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { ensureEnvRegistered } from "../node/env-module.js";
import { runActor } from "./actor.js";
import type { ActorThreadInit } from "./actor-threads.js";

const init = workerData as ActorThreadInit;
// the learner's env module (from its own command line) is imported here too: threads share no registry
await ensureEnvRegistered(init.envId, init.envModule);
const summary = await runActor({ redis: init.redis, run: init.run, envs: init.envs, log: (message) => parentPort!.postMessage({ log: message }) });
parentPort!.postMessage({ summary });
