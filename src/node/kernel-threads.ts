/**
 * Node's helper threads for the nn kernels' split matrix products (src/nn/parallel.ts): each is a
 * worker_threads Worker on the shared WebAssembly memory, unref'd so it never keeps the process
 * alive.
 */
import { Worker } from "node:worker_threads";
import { type KernelHelperInit, type KernelThreads, setKernelThreads, sharedMemoryAvailable } from "../nn/parallel.js";

/** `threads` threads in all (the calling one included) for the matrix products, helpers started as Workers. */
export function nodeKernelThreads(threads: number): KernelThreads {
  if (!Number.isSafeInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  return { threads, launch: startHelper };
}

/**
 * Makes WASM backends and transformer spaces created from now on (the default backend included,
 * if it was not used yet) split their matrix products over `threads` threads. One thread, or a
 * runtime without shared WebAssembly memory, keeps them single-threaded.
 */
export function useKernelThreads(threads: number): void {
  setKernelThreads(threads > 1 && sharedMemoryAvailable() ? nodeKernelThreads(threads) : null);
}

export const THREADS_HELP = "threads for the nn kernels' matrix products, the main one included, with results identical to one thread's (default: $TSRL_THREADS or 1)";

/**
 * The thread count asked for: the `--threads` flag when given, else `TSRL_THREADS`, else 1; a
 * value that is not a positive integer is an error naming where it came from.
 */
export function threadsSetting(flag: unknown, env: NodeJS.ProcessEnv = process.env): number {
  const [raw, from] = typeof flag === "string" ? [flag, "--threads"] : [env.TSRL_THREADS, "TSRL_THREADS"];
  if (raw === undefined || raw === "") return 1;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${from} must be a positive integer (threads for the nn kernels' matrix products), got "${raw}"`);
  return n;
}

/**
 * Starts the worker from the built `.js`; when tsrl itself runs from source under tsx (its own
 * tests), workers do not inherit tsx's loader, so it is registered first.
 */
function startHelper(init: KernelHelperInit): Worker {
  let worker: Worker;
  if (!import.meta.url.endsWith(".ts")) worker = new Worker(new URL("./kernel-worker.js", import.meta.url), { workerData: init });
  else {
    const url = new URL("./kernel-worker.ts", import.meta.url).href;
    const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
    worker = new Worker(bootstrap, { eval: true, workerData: init });
  }
  // a helper that throws has told the main thread through the control block (which then stops
  // splitting and throws); this only says why, instead of crashing the process from the worker
  worker.on("error", (err) => console.error(`tsrl: an nn kernel helper thread failed: ${err.message}`));
  worker.unref();
  return worker;
}
