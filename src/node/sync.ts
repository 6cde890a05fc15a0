/**
 * The control block `ThreadedVectorEnv` and its workers share. A step is cut into chunks of envs
 * that the threads claim one at a time (main thread included), so a thread the OS has not
 * scheduled yet delays only the chunk it holds, not a fixed share of the envs.
 */
import type { VectorBuffers, VectorEnvOptions } from "../envs/vector.js";

/** incremented by the main thread for every command */
export const CTRL_SEQ = 0;
export const CTRL_CMD = 1;
/** the next chunk to claim (Atomics.add) */
export const CTRL_NEXT = 2;
/** chunks finished this step */
export const CTRL_DONE = 3;
/** 1 when envs autoreset in same-step mode this step */
export const CTRL_FINAL = 4;
export const CTRL_WORDS = 5;
export const CMD_STEP = 1;
export const CMD_EXIT = 2;

export interface WorkerInit {
  vecOptions: VectorEnvOptions & { id: string };
  /** the module that registered the id (imported in the worker first), null for built-ins */
  module: string | null;
  buffers: VectorBuffers;
  actions: Float64Array;
  control: Int32Array;
  /** envs per chunk (even, so that WASM loops keep env pairs together) and the number of chunks */
  chunkSize: number;
  chunks: number;
}

/** Claims and steps chunks of the current step until none is left. */
export function stepChunks(control: Int32Array, chunkSize: number, chunks: number, numEnvs: number, step: (from: number, to: number) => boolean): void {
  for (;;) {
    const c = Atomics.add(control, CTRL_NEXT, 1);
    if (c >= chunks) return;
    if (step(c * chunkSize, Math.min(numEnvs, (c + 1) * chunkSize))) Atomics.store(control, CTRL_FINAL, 1);
    Atomics.add(control, CTRL_DONE, 1);
  }
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
