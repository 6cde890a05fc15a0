/**
 * Gymnasium's `AsyncVectorEnv` for any Env: the envs live in worker threads (each imports the
 * env's module and steps a `SyncVectorEnv` over its share), writing into shared memory, so the
 * main thread's `step` has the same synchronous interface as every other vector env and gives
 * the same results as `SyncVectorEnv` (same seeds, same envs, same order). Use it when an env's
 * step is expensive (a simulator, a game); for cheap envs the thread hand-off costs more than it
 * saves, and kernel envs are faster with `makeThreadedVec`.
 * Per-env `info` dicts other than `final_obs` stay in the workers, and the envs cannot be
 * checkpointed from here (use SyncVectorEnv for runs you resume).
 */
import { Worker } from "node:worker_threads";
import { flatdim } from "../envs/space-utils.js";
import { type RgbFrame } from "../envs/env.js";
import { make, spec } from "../envs/registry.js";
import { NotCheckpointableError, actionSizeOf } from "../envs/sync-vector.js";
import type { ActionSpace, Space } from "../envs/spaces.js";
import { AUTORESET_MODES, type AutoresetMode, type VectorInfo, type VectorResetArgs, type VectorStepResult, expandSeeds, readVectorResetArgs } from "../envs/vector.js";

/**
 * Waits until `control[index]` equals `value`: a short spin, then sleeping on the word. An env
 * step worth a thread takes far longer than a wake-up, and long spins starve the workers when
 * cores are busy.
 */
export function waitFor(control: Int32Array, index: number, value: number): void {
  for (let spins = 0; ; spins++) {
    const now = Atomics.load(control, index);
    if (now === value) return;
    if (spins > 1000) Atomics.wait(control, index, now, 20);
  }
}

/** Waits until `control[index]` differs from `value`; returns the new value. */
export function waitForChangeOf(control: Int32Array, index: number, value: number): number {
  for (let spins = 0; ; spins++) {
    const now = Atomics.load(control, index);
    if (now !== value) return now;
    if (spins > 1000) Atomics.wait(control, index, value, 100);
  }
}

export const A_SEQ = 0;
export const A_DONE = 1;
export const A_CMD = 2;
export const A_FINAL = 3;
export const A_ERROR = 4;
export const A_CMD_STEP = 1;
export const A_CMD_RESET = 2;
export const A_CMD_EXIT = 3;

/** What each worker gets: its share of envs and views of the shared arrays. */
export interface AsyncWorkerInit {
  id: string;
  module: string | null;
  kwargs: Record<string, unknown>;
  autoresetMode: AutoresetMode;
  from: number;
  to: number;
  obsSize: number;
  actionSize: number;
  shared: AsyncSharedArrays;
  control: Int32Array;
  error: Uint8Array;
}

export interface AsyncSharedArrays {
  obs: Float32Array;
  finalObs: Float32Array;
  rewards: Float64Array;
  terminations: Uint8Array;
  truncations: Uint8Array;
  finalObsMask: Uint8Array;
  actions: Float64Array;
  /** reset: per env, the seed (valid where seedMask is 1) and whether to reset it */
  seeds: Float64Array;
  seedMask: Uint8Array;
  resetMask: Uint8Array;
}

export interface AsyncVectorOptions {
  numEnvs: number;
  /** worker threads (default: 2, at most numEnvs) */
  workers?: number;
  autoresetMode?: AutoresetMode;
  /** keyword arguments for `make` in each worker */
  kwargs?: Record<string, unknown>;
  /** the module that registers the id, imported in each worker (default: the one recorded by `loadEnvArg`) */
  module?: string | null;
}

export class AsyncVectorEnv {
  readonly numEnvs: number;
  readonly autoresetMode: AutoresetMode;
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: ActionSpace;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly obs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminations: Uint8Array;
  readonly truncations: Uint8Array;
  readonly finalObs: Float32Array;
  readonly finalObsMask: Uint8Array;
  private readonly shared: AsyncSharedArrays;
  private readonly workers: Worker[] = [];
  private readonly controls: Int32Array[] = [];
  private readonly errors: Uint8Array[] = [];
  private started = false;
  private closed = false;

  /** Use `makeAsyncVec`, which waits until every worker has made its envs. */
  constructor(
    readonly id: string,
    options: AsyncVectorOptions,
  ) {
    const { numEnvs, autoresetMode = "next-step", kwargs = {} } = options;
    if (!Number.isSafeInteger(numEnvs) || numEnvs < 1) throw new RangeError(`makeAsyncVec(${id}): numEnvs must be a positive integer, got ${numEnvs}`);
    if (!AUTORESET_MODES.includes(autoresetMode)) throw new RangeError(`autoresetMode must be one of ${AUTORESET_MODES.join(", ")}, got ${String(autoresetMode)}`);
    const s = spec(id);
    const module = options.module === undefined ? s.module : options.module;
    const probe = make(id, kwargs);
    const space = probe.actionSpace as ActionSpace;
    this.singleObservationSpace = probe.observationSpace;
    this.singleActionSpace = space;
    this.obsSize = flatdim(probe.observationSpace);
    this.actionSize = actionSizeOf(space);
    probe.close();
    this.numEnvs = numEnvs;
    this.autoresetMode = autoresetMode;
    const n = numEnvs, od = this.obsSize;
    const f32 = (len: number) => new Float32Array(new SharedArrayBuffer(len * 4));
    const f64 = (len: number) => new Float64Array(new SharedArrayBuffer(len * 8));
    const u8 = (len: number) => new Uint8Array(new SharedArrayBuffer(len));
    this.shared = {
      obs: f32(n * od),
      finalObs: f32(n * od),
      rewards: f64(n),
      terminations: u8(n),
      truncations: u8(n),
      finalObsMask: u8(n),
      actions: f64(n * this.actionSize),
      seeds: f64(n),
      seedMask: u8(n),
      resetMask: u8(n),
    };
    ({ obs: this.obs, finalObs: this.finalObs, rewards: this.rewards, terminations: this.terminations, truncations: this.truncations, finalObsMask: this.finalObsMask } = this.shared);
    const count = Math.max(1, Math.min(options.workers ?? 2, n));
    if (!Number.isSafeInteger(count)) throw new RangeError(`makeAsyncVec(${id}): workers must be a positive integer, got ${options.workers}`);
    const bounds = Array.from({ length: count + 1 }, (_, k) => Math.round((k * n) / count));
    for (let k = 0; k < count; k++) {
      const control = new Int32Array(new SharedArrayBuffer(8 * 4));
      const error = new Uint8Array(new SharedArrayBuffer(4096));
      const init: AsyncWorkerInit = { id, module, kwargs, autoresetMode, from: bounds[k]!, to: bounds[k + 1]!, obsSize: od, actionSize: this.actionSize, shared: this.shared, control, error };
      const worker = startWorker(init);
      worker.unref();
      this.workers.push(worker);
      this.controls.push(control);
      this.errors.push(error);
    }
  }

  /** Resolves when every worker has made its envs. */
  ready(): Promise<this> {
    return Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once("message", (m: { error?: string }) => (m?.error ? reject(new Error(`${this.id}: a vector worker failed to start: ${m.error}`)) : resolve()));
            worker.once("error", reject);
            worker.once("exit", (code) => reject(new Error(`${this.id}: vector worker exited with code ${code} before it was ready`)));
          }),
      ),
    ).then(
      () => this,
      (err: unknown) => {
        this.close();
        throw err;
      },
    );
  }

  reset(args: VectorResetArgs = {}): [Float32Array, VectorInfo] {
    const n = this.numEnvs;
    const { mask, options } = readVectorResetArgs(this.id, n, args, this.started);
    if (options) throw new Error(`${this.id}: AsyncVectorEnv takes no reset options besides reset_mask (got ${Object.keys(options).join(", ")})`);
    const seeds = expandSeeds(this.id, n, args.seed);
    for (let i = 0; i < n; i++) {
      const seed = seeds[i];
      if (typeof seed === "bigint" || (seed !== undefined && seed > Number.MAX_SAFE_INTEGER)) throw new RangeError(`${this.id}: AsyncVectorEnv seeds must be below 2^53`);
      this.shared.seeds[i] = seed ?? 0;
      this.shared.seedMask[i] = seed === undefined ? 0 : 1;
      this.shared.resetMask[i] = mask ? (mask[i] ? 1 : 0) : 1;
    }
    this.command(A_CMD_RESET);
    this.started = true;
    return [this.obs, {}];
  }

  step(actions: ArrayLike<number>): VectorStepResult {
    if (!this.started) throw new Error(`${this.id}: step() called before reset(); call reset() first`);
    const expected = this.numEnvs * this.actionSize;
    if (actions == null || actions.length !== expected) throw new RangeError(`${this.id}: expected ${expected} actions (${this.numEnvs} envs × ${this.actionSize}), got ${actions == null ? String(actions) : actions.length}`);
    const shared = this.shared.actions;
    for (let j = 0; j < expected; j++) shared[j] = actions[j]!;
    const anyFinal = this.command(A_CMD_STEP);
    const info: VectorInfo = anyFinal ? { final_obs: this.finalObs, _final_obs: this.finalObsMask } : {};
    return [this.obs, this.rewards, this.terminations, this.truncations, info];
  }

  /** Sends a command to every worker and waits for all; rethrows a worker's error. */
  private command(cmd: number): boolean {
    if (this.closed) throw new Error(`${this.id}: used after close()`);
    for (const control of this.controls) {
      control[A_CMD] = cmd;
      Atomics.add(control, A_SEQ, 1);
      Atomics.notify(control, A_SEQ);
    }
    let anyFinal = false;
    let failure: string | null = null;
    this.controls.forEach((control, k) => {
      waitFor(control, A_DONE, Atomics.load(control, A_SEQ));
      if (control[A_ERROR]) {
        const bytes = this.errors[k]!;
        const end = bytes.indexOf(0);
        failure ??= new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end));
        control[A_ERROR] = 0;
      }
      if (control[A_FINAL]) anyFinal = true;
    });
    if (failure !== null) throw new Error(failure);
    return anyFinal;
  }

  /** Frames come from the workers' envs, which this thread cannot reach: null. */
  render(): RgbFrame | null {
    return null;
  }

  getState(): never {
    throw new NotCheckpointableError(`${this.id}: AsyncVectorEnv keeps its envs in worker threads and cannot be checkpointed; use SyncVectorEnv (makeVec) for runs you resume`);
  }

  setState(): never {
    return this.getState();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const control of this.controls) {
      control[A_CMD] = A_CMD_EXIT;
      Atomics.add(control, A_SEQ, 1);
      Atomics.notify(control, A_SEQ);
    }
    for (const worker of this.workers) void worker.terminate();
  }
}

/** Starts the worker from the built `.js`; from source (tsrl's own tests under tsx) it registers tsx first. */
function startWorker(init: AsyncWorkerInit): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./async-vector-worker.js", import.meta.url), { workerData: init });
  const url = new URL("./async-vector-worker.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

/** `makeVec` with the envs in `workers` worker threads (default 2); resolves once every worker has made its envs. */
export function makeAsyncVec(id: string, options: AsyncVectorOptions): Promise<AsyncVectorEnv> {
  return new AsyncVectorEnv(id, options).ready();
}
