/**
 * Matrix products split across threads that share one WebAssembly memory.
 *
 * The main thread publishes a product in a small control block (an Int32Array over a
 * SharedArrayBuffer) and wakes the helpers with Atomics.notify; then every thread, the main one
 * included, claims chunks of output rows until none are left, and the main thread waits for the
 * chunks the helpers took. Chunks start at multiples of 4 rows (the kernels' register blocks) and
 * the last one ends at the product's last row, so every output element runs exactly the
 * instructions of the single-threaded kernel: results are bit-identical whatever the threads do.
 * A helper that is slow to wake (a loaded machine) only means the main thread takes more chunks;
 * when products stop being faster than on one thread, splitting backs off for a while.
 *
 * Browser-safe: starting a thread is left to an injected `launch` (src/node/kernel-threads.ts
 * starts a worker_threads Worker; a crossOriginIsolated page can start a Web Worker that calls
 * `serveKernelHelper` with the init it is sent).
 */

/** What a helper thread needs: the compiled kernels (shared-memory build), the memory and the control block. */
export interface KernelHelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: Int32Array;
}

/** A running helper thread. */
export interface KernelHelper {
  terminate(): void;
}

/** How many threads products use (the main one included) and how to start a helper thread. */
export interface KernelThreads {
  threads: number;
  launch: (init: KernelHelperInit) => KernelHelper;
}

/** The products as the shared-memory build exports them (booleans as 0/1). */
export interface ProductExports {
  linearForward(m: number, k: number, n: number, x: number, w: number, b: number, y: number): void;
  matmulNT(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: number): void;
  matmulTNRows(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: number, i0: number, i1: number): void;
  /** one fused decoding position for compact rows from … to−1 (src/nn/transformer-decode.ts) */
  decodeStep(plan: number, from: number, to: number, pos: number, full: number): void;
}

// control block layout (Int32 indices)
/** bumped by the main thread for every published product (15 bits); helpers sleep on it */
const SEQ = 0;
/** (seq << 16) | next unclaimed chunk: claims carry the product's seq, so a late helper cannot take a chunk of the next product */
const TICKET = 1;
/** chunks finished */
const DONE = 2;
const OP = 3;
const CHUNKS = 4;
const CHUNK_ROWS = 5;
const ARGS = 6; // m, k, n, a, b, c, bias or accumulate: 7 values
/** helpers that are up */
const READY = 13;
/** chunks the helpers computed (for tests and benchmarks) */
const HELPER_CHUNKS = 14;
/** set by a helper whose chunk threw (then its chunk never finishes: the main thread must not wait for it) */
const FAILED = 15;
const CONTROL_INTS = 16;
/** the chunk field of a closed product's ticket: above any chunk count */
const CLOSED = 0xffff;

const OP_LINEAR = 1;
const OP_NT = 2;
const OP_TN = 3;
const OP_STOP = 4;
const OP_DECODE = 5;

/** Rows per chunk of a decoding position: one tile of decodeStep (its rows are independent). */
const DECODE_CHUNK_ROWS = 16;

/**
 * Products below this many multiply-adds stay on one thread: publishing one, waking a helper and
 * waiting for its last chunk cost about as much as the time a split saves on a product this size
 * (~35 µs on one thread; measured on the project's 2-core machine).
 */
export const MIN_SPLIT_MACS = 1 << 20;
/**
 * Multiply-adds per chunk (~20 µs on one core): small enough that the chunk a slow helper still
 * holds at the end of a product is a small share of it, large enough that claiming one (an
 * atomic compare-exchange) costs nothing beside it.
 */
const CHUNK_MACS = 1 << 19;
/** A helper that just finished a chunk keeps polling this long before it sleeps: products come back to back within a training step. */
const HELPER_SPIN_MS = 0.2;

/** Splitting backs off when products take more than this share of their one-thread time (averaged)… */
const BACKOFF_RATIO = 0.9;
/** …for this many products (a few training steps), then is tried again from this average. */
const BACKOFF_PRODUCTS = 256;
const FRESH_RATIO = 0.6;

let defaultThreads: KernelThreads | null = null;

/** Makes new WASM backends and transformer spaces split their products over `threads` (null: one thread, the default). */
export function setKernelThreads(threads: KernelThreads | null): void {
  if (threads !== null && !(Number.isSafeInteger(threads.threads) && threads.threads >= 1)) {
    throw new RangeError(`threads must be a positive integer, got ${threads.threads}`);
  }
  defaultThreads = threads;
}

/** The process-wide setting of `setKernelThreads`. */
export function kernelThreads(): KernelThreads | null {
  return defaultThreads;
}

/** Whether this runtime can share a WebAssembly memory between threads (browsers: only crossOriginIsolated pages). */
export function sharedMemoryAvailable(): boolean {
  try {
    return typeof SharedArrayBuffer === "function" && new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** The split products over one shared memory, and its helper threads. */
export class ProductSplitter {
  readonly threads: number;
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  private readonly helpers: KernelHelper[] = [];
  private readonly args = new Int32Array(7);
  private seq = 0;
  private closed = false;
  /** moving average of a split product's time over its one-thread estimate */
  private ratio = FRESH_RATIO;
  /** products left to run unsplit */
  private backoff = 0;
  private backedOffCount = 0;

  constructor(private readonly k: ProductExports, module: WebAssembly.Module, memory: WebAssembly.Memory, threads: KernelThreads) {
    this.threads = threads.threads;
    for (let i = 1; i < threads.threads; i++) this.helpers.push(threads.launch({ module, memory, control: this.control }));
  }

  /** Y[m×n] = X[m×k]·W[k×n] + b[n] (b = -1: no bias). */
  linearForward(m: number, k: number, n: number, x: number, w: number, b: number, y: number): void {
    if (!this.worthSplitting(m, k, n)) this.k.linearForward(m, k, n, x, w, b, y);
    else this.run(OP_LINEAR, m, k, n, x, w, y, b);
  }

  /** C[m×n] (+)= A[m×k]·B[n×k]ᵀ. */
  matmulNT(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: boolean | number): void {
    const acc = accumulate ? 1 : 0;
    // k ≤ 4 takes a kernel path of its own for m ≥ 4, which a short last chunk would not; such products are small anyway
    if (k <= 4 || !this.worthSplitting(m, k, n)) this.k.matmulNT(m, k, n, a, b, c, acc);
    else this.run(OP_NT, m, k, n, a, b, c, acc);
  }

  /** C[m×n] (+)= A[k×m]ᵀ·B[k×n]. */
  matmulTN(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: boolean | number): void {
    const acc = accumulate ? 1 : 0;
    if (!this.worthSplitting(m, k, n)) this.k.matmulTNRows(m, k, n, a, b, c, acc, 0, m);
    else this.run(OP_TN, m, k, n, a, b, c, acc);
  }

  /**
   * One fused decoding position for compact rows from … to−1, in chunks of rows: each row's
   * layers read only its own cache, so the rows split like a product's (same bytes).
   */
  decodeStep(plan: number, from: number, to: number, pos: number, full: number): void {
    const rows = to - from;
    // two chunks or more; a position is tens of microseconds per tile, always worth the publish
    if (rows < 2 * DECODE_CHUNK_ROWS || !this.worthSplitting(rows, 1, MIN_SPLIT_MACS)) this.k.decodeStep(plan, from, to, pos, full);
    else this.run(OP_DECODE, rows, 0, 0, plan, from, pos, full, DECODE_CHUNK_ROWS);
  }

  /** Helpers that have started. */
  get helpersReady(): number {
    return Atomics.load(this.control, READY);
  }

  /** Products that ran unsplit because splitting was backing off (for tests and benchmarks). */
  get backedOff(): number {
    return this.backedOffCount;
  }

  /** Chunks computed by the helpers so far. */
  get helperChunks(): number {
    return Atomics.load(this.control, HELPER_CHUNKS);
  }

  /** Resolves once every helper has started (products do not need to wait for it: they run on the threads that are up). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    while (this.helpersReady < this.helpers.length) {
      if (Date.now() - started > timeoutMs) throw new Error(`kernel threads: ${this.helpers.length - this.helpersReady} helper thread(s) did not start within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Stops the helper threads; products run on the calling thread from then on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.publish(OP_STOP, 0, 0, []);
    for (const helper of this.helpers) helper.terminate();
  }

  private worthSplitting(m: number, k: number, n: number): boolean {
    if (this.closed || this.threads === 1 || m < 8 || m * k * n < MIN_SPLIT_MACS) return false;
    if (this.backoff === 0) return true;
    this.backoff--;
    this.backedOffCount++;
    return false;
  }

  /** Publishes a product and wakes the helpers; returns its seq. */
  private publish(op: number, chunks: number, chunkRows: number, args: ArrayLike<number>): number {
    const c = this.control;
    // Close the previous product's tickets first: a helper that read some of the arguments below
    // while they were being written cannot claim a chunk with them (its claim carries the old seq).
    Atomics.store(c, TICKET, (this.seq << 16) | CLOSED);
    this.seq = (this.seq + 1) & 0x7fff;
    c[OP] = op;
    c[CHUNKS] = chunks;
    c[CHUNK_ROWS] = chunkRows;
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i]!;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, TICKET, this.seq << 16);
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ);
    return this.seq;
  }

  private run(op: number, m: number, k: number, n: number, a: number, b: number, c: number, extra: number, fixedChunkRows?: number): void {
    const ctl = this.control;
    const chunkRows = fixedChunkRows ?? Math.min(Math.max(4, Math.ceil(CHUNK_MACS / (k * n) / 4) * 4), Math.ceil(m / this.threads / 4) * 4);
    const chunks = Math.ceil(m / chunkRows);
    const args = this.args;
    args[0] = m;
    args[1] = k;
    args[2] = n;
    args[3] = a;
    args[4] = b;
    args[5] = c;
    args[6] = extra;
    const started = performance.now();
    const seq = this.publish(op, chunks, chunkRows, args);
    const mine = runChunks(this.k, ctl, seq);
    const ownDone = performance.now();
    // the helpers hold at most one chunk each by now: poll, then sleep until the last one says it is done
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(ctl, DONE);
      if (done >= chunks) break;
      if (Atomics.load(ctl, FAILED)) {
        this.closed = true;
        throw new Error("nn kernels: a helper thread failed while computing a matrix product (its error is reported by the worker); later products run on this thread");
      }
      if (spins > 2000) Atomics.wait(ctl, DONE, done, 1);
    }
    // the time this product took against what it would have taken on this thread alone (its own chunks' pace)
    if (mine > 0) this.track((performance.now() - started) / (((ownDone - started) * chunks) / mine));
  }

  /**
   * Backs off to one thread when splitting stops paying: on a machine whose other core is busy,
   * the helper runs late or is descheduled holding a chunk, and the products would take longer
   * than on one thread. Then the next BACKOFF_PRODUCTS products run unsplit and splitting is tried
   * again. (Which thread computes what never changes the result.)
   */
  private track(ratio: number): void {
    this.ratio = 0.9 * this.ratio + 0.1 * ratio;
    if (this.ratio <= BACKOFF_RATIO) return;
    this.backoff = BACKOFF_PRODUCTS;
    this.ratio = FRESH_RATIO;
  }
}

/**
 * Claims and computes chunks of product `seq` until none are left; returns how many this thread
 * computed. The product's description is read after each successful claim: the product cannot
 * be closed (and its description rewritten) while one of its chunks is being computed.
 */
function runChunks(k: ProductExports, ctl: Int32Array, seq: number): number {
  let computed = 0;
  for (;;) {
    const ticket = Atomics.load(ctl, TICKET);
    const chunk = ticket & 0xffff;
    if (ticket >>> 16 !== seq || chunk >= Atomics.load(ctl, CHUNKS)) return computed;
    if (Atomics.compareExchange(ctl, TICKET, ticket, ticket + 1) !== ticket) continue;
    const chunks = ctl[CHUNKS]!;
    const rows = ctl[CHUNK_ROWS]!;
    const m = ctl[ARGS]!, kk = ctl[ARGS + 1]!, n = ctl[ARGS + 2]!;
    const a = ctl[ARGS + 3]!, b = ctl[ARGS + 4]!, c = ctl[ARGS + 5]!, extra = ctl[ARGS + 6]!;
    const i0 = chunk * rows;
    const i1 = Math.min(m, i0 + rows);
    const op = ctl[OP]!;
    if (op === OP_LINEAR) k.linearForward(i1 - i0, kk, n, a + i0 * kk, b, extra, c + i0 * n);
    else if (op === OP_NT) k.matmulNT(i1 - i0, kk, n, a + i0 * kk, b, c + i0 * n, extra);
    else if (op === OP_DECODE) k.decodeStep(a, b + i0, b + i1, c, extra);
    else k.matmulTNRows(m, kk, n, a, b, c, extra, i0, i1);
    computed++;
    if (Atomics.add(ctl, DONE, 1) === chunks - 1) Atomics.notify(ctl, DONE);
  }
}

/**
 * A helper thread's loop (call it in a Worker with the init it was started with): sleeps until
 * a product is published, takes chunks of it, and returns when the splitter closes.
 */
export function serveKernelHelper(init: KernelHelperInit): void {
  const k = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports as unknown as ProductExports;
  const ctl = init.control;
  Atomics.add(ctl, READY, 1);
  let seen = Atomics.load(ctl, SEQ);
  for (;;) {
    let seq = Atomics.load(ctl, SEQ);
    if (seq === seen) {
      const until = performance.now() + HELPER_SPIN_MS;
      while ((seq = Atomics.load(ctl, SEQ)) === seen && performance.now() < until);
      if (seq === seen) {
        Atomics.wait(ctl, SEQ, seen);
        seq = Atomics.load(ctl, SEQ);
      }
    }
    seen = seq;
    if (ctl[OP] === OP_STOP) return;
    let computed: number;
    try {
      computed = runChunks(k, ctl, seq);
    } catch (err) {
      Atomics.store(ctl, FAILED, 1);
      Atomics.notify(ctl, DONE);
      throw err;
    }
    if (computed > 0) Atomics.add(ctl, HELPER_CHUNKS, computed);
  }
}
