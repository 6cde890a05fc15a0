/** A worker thread running one actor (see actor-threads.ts): over Redis, or over shared memory. */
import { parentPort, workerData } from "node:worker_threads";
import { ensureEnvRegistered } from "../node/env-module.js";
import { useKernelFma } from "../node/kernel-fma.js";
import { runActor } from "./actor.js";
import type { ActorThreadInit } from "./actor-threads.js";
import { runSharedActor } from "./shared-memory.js";

const init = workerData as ActorThreadInit;
// the learner's kernels (the relaxed-SIMD flag that FMA needs on Node 20 is process-wide: already set)
useKernelFma(init.kernelFma === true);
// the learner's env module (from its own command line) is imported here too: threads share no registry
await ensureEnvRegistered(init.envId, init.envModule);
const log = (message: string) => parentPort!.postMessage({ log: message });
const summary = init.shared ? runSharedActor(init.shared) : await runActor({ redis: init.redis!.url, run: init.redis!.run, envs: init.envs, log });
parentPort!.postMessage({ summary });
