/** The per-worker control block shared by `ThreadedVectorEnv` and its workers. */
import type { VectorBuffers, VectorEnvOptions } from "../envs/vector.js";

/** incremented by the main thread for every command */
export const CTRL_SEQ = 0;
/** set by the worker to the sequence number it finished */
export const CTRL_DONE = 1;
export const CTRL_CMD = 2;
/** 1 when the worker's envs autoreset in same-step mode this step */
export const CTRL_FINAL = 3;
export const CMD_STEP = 1;
export const CMD_EXIT = 2;

export interface WorkerInit {
  vecOptions: VectorEnvOptions & { id: string };
  /** the module that registered the id (imported in the worker first), null for built-ins */
  module: string | null;
  buffers: VectorBuffers;
  actions: Float64Array;
  control: Int32Array;
  from: number;
  to: number;
}

/**
 * Spins until `control[index]` equals `value`, then sleeps on it: a step takes microseconds, so
 * a wake-up through Atomics.wait alone would cost as much as the work.
 */
export function waitUntil(control: Int32Array, index: number, value: number): void {
  for (let spins = 0; Atomics.load(control, index) !== value; spins++) {
    if (spins > 200_000) Atomics.wait(control, index, Atomics.load(control, index), 1);
  }
}

/** Spins, then sleeps, until `control[index]` differs from `value`; returns the new value. */
export function waitForChange(control: Int32Array, index: number, value: number): number {
  for (let spins = 0; ; spins++) {
    const now = Atomics.load(control, index);
    if (now !== value) return now;
    if (spins > 200_000) Atomics.wait(control, index, value, 50);
  }
}
