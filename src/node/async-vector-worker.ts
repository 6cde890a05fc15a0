/** Worker thread of `AsyncVectorEnv`: makes envs [from, to) and steps or resets them on command, into shared memory. */
import { parentPort, workerData } from "node:worker_threads";
import { listEnvs, make, registeringFrom } from "../envs/registry.js";
import { SyncVectorEnv } from "../envs/sync-vector.js";
import { registerBuiltinEnv } from "./env-module.js";
import { A_CMD, A_CMD_EXIT, A_CMD_RESET, A_DONE, A_ERROR, A_FINAL, A_SEQ, type AsyncWorkerInit, waitForChangeOf } from "./async-vector.js";

const { id, module, kwargs, autoresetMode, from, to, obsSize, actionSize, shared, control, error } = workerData as AsyncWorkerInit;

function report(err: unknown): void {
  const bytes = new TextEncoder().encode(err instanceof Error ? err.message : String(err)).subarray(0, error.length - 1);
  error.fill(0);
  error.set(bytes);
  control[A_ERROR] = 1;
}

let vec: SyncVectorEnv;
try {
  if (module) await registeringFrom(module, () => import(module));
  await registerBuiltinEnv(id);
  if (!listEnvs().some((s) => s.id === id)) {
    throw new Error(`${id} is not registered in the worker: pass makeAsyncVec(id, { module }) naming the file that registers it`);
  }
  const range = (a: { subarray(b: number, e: number): unknown }, size: number) => a.subarray(from * size, to * size);
  vec = new SyncVectorEnv(
    Array.from({ length: to - from }, () => () => make(id, kwargs)),
    {
      id,
      autoresetMode,
      firstIndex: from,
      buffers: {
        obs: range(shared.obs, obsSize) as Float32Array,
        finalObs: range(shared.finalObs, obsSize) as Float32Array,
        rewards: range(shared.rewards, 1) as Float64Array,
        terminations: range(shared.terminations, 1) as Uint8Array,
        truncations: range(shared.truncations, 1) as Uint8Array,
        finalObsMask: range(shared.finalObsMask, 1) as Uint8Array,
      },
    },
  );
  parentPort!.postMessage({});
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message });
  throw err;
}

let seen = 0;
for (;;) {
  seen = waitForChangeOf(control, A_SEQ, seen);
  const cmd = control[A_CMD];
  if (cmd === A_CMD_EXIT) break;
  control[A_FINAL] = 0;
  try {
    if (cmd === A_CMD_RESET) {
      const n = to - from;
      const seeds = Array.from({ length: n }, (_, k) => (shared.seedMask[from + k] ? shared.seeds[from + k]! : undefined));
      const resetMask = Array.from({ length: n }, (_, k) => shared.resetMask[from + k] === 1);
      const all = resetMask.every(Boolean);
      vec.reset({ seed: seeds, ...(all ? {} : { options: { reset_mask: resetMask } }) });
    } else {
      const [, , , , info] = vec.step(shared.actions.subarray(from * actionSize, to * actionSize));
      if (info.final_obs) control[A_FINAL] = 1;
    }
  } catch (err) {
    report(err);
  }
  Atomics.store(control, A_DONE, seen);
  Atomics.notify(control, A_DONE);
}
