/** Worker thread of `ThreadedVectorEnv`: steps envs [from, to) of the shared vector env on command. */
import { parentPort, workerData } from "node:worker_threads";
import { kernelOf, registeringFrom } from "../envs/registry.js";
import { VectorEnv } from "../envs/vector.js";
import { CMD_EXIT, CTRL_CMD, CTRL_DONE, CTRL_FINAL, CTRL_SEQ, type WorkerInit, waitForChange } from "./sync.js";

const { vecOptions, module, buffers, actions, control, from, to } = workerData as WorkerInit;
if (module) await registeringFrom(module, () => import(module));
const vec = new VectorEnv(kernelOf(vecOptions.id)!, vecOptions, buffers);
parentPort!.postMessage("ready");
let seen = 0; // the control block starts at 0: commands sent before this worker came up are still seen
for (;;) {
  seen = waitForChange(control, CTRL_SEQ, seen);
  if (control[CTRL_CMD] === CMD_EXIT) break;
  control[CTRL_FINAL] = vec.stepRange(actions, from, to) ? 1 : 0;
  Atomics.store(control, CTRL_DONE, seen);
  Atomics.notify(control, CTRL_DONE);
}
