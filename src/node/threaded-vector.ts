/**
 * A vector env whose envs are stepped by several threads: each step's envs are cut into chunks
 * that the main thread and the workers claim, all over the same shared memory (struct-of-arrays
 * state, generators, outputs), synchronized with Atomics. Results are identical to the
 * single-threaded VectorEnv: each env is stepped by exactly one thread with its own generator.
 * Node-only (worker_threads), hence outside the browser-safe core.
 */
import { Worker } from "node:worker_threads";
import { kernelOf, spec } from "../envs/registry.js";
import { type AutoresetMode, type VectorBuffers, VectorEnv, type VectorStepResult, allocateVectorBuffers } from "../envs/vector.js";
import { CMD_EXIT, CMD_STEP, CTRL_CMD, CTRL_DONE, CTRL_FINAL, CTRL_NEXT, CTRL_SEQ, CTRL_WORDS, type WorkerInit, stepChunks, waitUntil } from "./sync.js";

export interface ThreadedVecOptions {
  numEnvs: number;
  /** threads in all, the main thread included (default 2) */
  threads?: number;
  autoresetMode?: AutoresetMode;
  maxEpisodeSteps?: number | null;
  /** step through the kernel's WASM loop when it has one (default true; false: the JS loop) */
  wasm?: boolean;
}

export class ThreadedVectorEnv extends VectorEnv {
  private readonly workers: Worker[] = [];
  private readonly control = new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4));
  private readonly sharedActions: Float64Array;
  private readonly chunkSize: number;
  private readonly chunks: number;
  private closed = false;

  /** Use `makeThreadedVec`, which waits until every worker is ready. */
  constructor(id: string, options: ThreadedVecOptions) {
    const s = spec(id);
    const threads = options.threads ?? 2;
    if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (!Number.isSafeInteger(options.numEnvs) || options.numEnvs < 1) {
      throw new RangeError(`numEnvs must be a positive integer, got ${options.numEnvs}`);
    }
    const kernel = kernelOf(id);
    if (!kernel) throw new Error(`makeThreadedVec(${id}): threads share a kernel's struct-of-arrays state, and ${id} is a plain Env; use makeAsyncVec for Env classes`);
    const buffers = allocateVectorBuffers(kernel, options.numEnvs, true, options.wasm ?? true);
    const maxEpisodeSteps = options.maxEpisodeSteps === undefined ? s.maxEpisodeSteps : options.maxEpisodeSteps;
    const vecOptions = { id, numEnvs: options.numEnvs, autoresetMode: options.autoresetMode ?? "next-step", maxEpisodeSteps };
    super(kernel, vecOptions, buffers);
    const n = this.numEnvs;
    const t = Math.min(threads, n);
    // about 16 chunks per thread: small enough to even out threads the OS runs late
    this.chunkSize = 2 * Math.ceil(n / (32 * t));
    this.chunks = Math.ceil(n / this.chunkSize);
    // the WASM loop reads its actions from its memory: writing them there spares each thread a copy
    this.sharedActions = buffers.wasm?.actions ?? new Float64Array(new SharedArrayBuffer(n * this.actionSize * 8));
    for (let k = 1; k < t; k++) {
      const init: WorkerInit = { vecOptions, module: s.module, buffers, actions: this.sharedActions, control: this.control, chunkSize: this.chunkSize, chunks: this.chunks };
      const worker = startWorker(init);
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Resolves when every worker has loaded and built its view of the shared env. */
  ready(): Promise<this> {
    return Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once("message", () => resolve());
            worker.once("error", reject);
            worker.once("exit", (code) => reject(new Error(`${this.id}: vector worker exited with code ${code} before it was ready`)));
          }),
      ),
    ).then(() => this);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    if (this.closed) throw new Error(`${this.id}: step() called after close()`);
    const staged = this.checkStep(actions);
    const shared = this.sharedActions;
    if (staged !== shared) for (let j = 0; j < shared.length; j++) shared[j] = staged[j]!;
    const control = this.control;
    // the actions are written before the chunks open (Atomics are ordered)
    Atomics.store(control, CTRL_DONE, 0);
    Atomics.store(control, CTRL_FINAL, 0);
    Atomics.store(control, CTRL_NEXT, 0);
    if (this.workers.length) {
      control[CTRL_CMD] = CMD_STEP;
      Atomics.add(control, CTRL_SEQ, 1);
      Atomics.notify(control, CTRL_SEQ);
    }
    stepChunks(control, this.chunkSize, this.chunks, this.numEnvs, (from, to) => this.stepRange(shared, from, to));
    waitUntil(control, CTRL_DONE, this.chunks);
    return this.result(Atomics.load(control, CTRL_FINAL) === 1);
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    this.control[CTRL_CMD] = CMD_EXIT;
    Atomics.add(this.control, CTRL_SEQ, 1);
    Atomics.notify(this.control, CTRL_SEQ);
    for (const worker of this.workers) void worker.terminate();
  }
}

/**
 * Starts the worker from the built `.js`; when tsrl itself runs from source under tsx (its own
 * tests), workers do not inherit tsx's loader, so it is registered first.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./vector-worker.js", import.meta.url), { workerData: init });
  const url = new URL("./vector-worker.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

/** `makeVec` stepped by `threads` threads (default 2) over shared memory; resolves once the workers are up. */
export function makeThreadedVec(id: string, options: ThreadedVecOptions): Promise<ThreadedVectorEnv> {
  return new ThreadedVectorEnv(id, options).ready();
}

export type { VectorBuffers };
