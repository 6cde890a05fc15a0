/** Worker thread of `ThreadedVectorEnv`: steps chunks of the shared vector env's envs on command. */
import { parentPort, workerData } from "node:worker_threads";
import { kernelOf, registeringFrom } from "../envs/registry.js";
import { VectorEnv } from "../envs/vector.js";
import { CMD_EXIT, CTRL_CMD, CTRL_SEQ, type WorkerInit, stepChunks, waitForChange } from "./sync.js";

const { vecOptions, module, buffers, actions, control, chunkSize, chunks } = workerData as WorkerInit;
if (module) await registeringFrom(module, () => import(module));
const vec = new VectorEnv(kernelOf(vecOptions.id)!, vecOptions, buffers);
const step = (from: number, to: number) => vec.stepRange(actions, from, to);
parentPort!.postMessage("ready");
let seen = 0; // the control block starts at 0: commands sent before this worker came up are still seen
for (;;) {
  seen = waitForChange(control, CTRL_SEQ, seen);
  if (control[CTRL_CMD] === CMD_EXIT) break;
  // a worker that wakes after the step's chunks are all claimed finds none; one that wakes during
  // the next step claims that step's chunks, whose actions are already written
  stepChunks(control, chunkSize, chunks, vec.numEnvs, step);
}
