/**
 * Connects a training loop to the run store: buffers episodes and metrics and writes them in
 * short transactions (about once a second), writes checkpoints every `checkpointEvery` steps —
 * flushing every row up to the checkpoint's step in the same transaction — and keeps the
 * newest `keepCheckpoints`.
 *
 * It is also the public way to log from your own loop:
 *
 *   const run = startRun({ algo: "my-ppo", env: "CartPole-v1", seed: 1, config });
 *   run.log(step, { "custom/grad_norm": g });          // any scalars
 *   run.logEpisode({ step, return: r, length: n });
 *   new PPO(config).learn(run.callbacks());           // or let a tsrl algorithm report
 *   run.finish({ final_mean_return });
 */
import { hostname } from "node:os";
import type { TrainCallbacks, TrainProgress } from "../algos/common.js";
import { type EpisodeRow, type MetricRow, type RunRecord, RunStore, StoreError, storeDirectory } from "./store.js";
import { collectVersions } from "./versions.js";

export interface TrackedAgent {
  saveCheckpoint(): Uint8Array;
}

export interface TrackerOptions {
  /** what `saveCheckpoint()` is called on; without it no checkpoints are written */
  agent?: TrackedAgent;
  /** env steps between checkpoints; 0 disables them */
  checkpointEvery?: number;
  keepCheckpoints?: number;
  /** the step of the checkpoint a resumed run starts from */
  startStep?: number;
}

export interface StartRunOptions extends TrackerOptions {
  /** store directory (default: $TSRL_STORE or ./tsrl-runs) */
  store?: string;
  /** unique run name (default: <algo>-<env>-s<seed>-<id>) */
  name?: string;
  algo: string;
  env: string;
  seed: number;
  /** the resolved config, recorded as is (must be JSON-serializable) */
  config?: Record<string, unknown>;
  /** recorded with the software versions (e.g. the nn backend, which resume must use again) */
  versions?: Record<string, unknown>;
}

const FLUSH_SECONDS = 1;
const FLUSH_ROWS = 5000;

export class Tracker {
  private episodes: EpisodeRow[] = [];
  private metrics: MetricRow[] = [];
  private lastFlush = performance.now();
  private readonly started = performance.now();
  private lastCheckpointStep: number;
  private ended = false;

  constructor(
    readonly store: RunStore,
    readonly runId: string,
    private readonly options: TrackerOptions = {},
  ) {
    this.lastCheckpointStep = options.startStep ?? 0;
  }

  /** Callbacks to pass to `learn`; `user` callbacks are called after the tracker's. */
  callbacks(user: TrainCallbacks = {}): TrainCallbacks {
    return {
      onEpisode: (e) => {
        this.logEpisode(e);
        user.onEpisode?.(e);
      },
      onMetrics: (step, metrics, wall) => {
        this.log(step, metrics, wall);
        user.onMetrics?.(step, metrics, wall);
      },
      onProgress: (p: TrainProgress) => user.onProgress?.(p),
      checkpoint: (step, last) => {
        const every = this.options.checkpointEvery ?? 0;
        if (this.options.agent && every > 0 && (step - this.lastCheckpointStep >= every || last)) this.writeCheckpoint(this.options.agent, step);
        user.checkpoint?.(step, last);
      },
    };
  }

  /** Records scalars at a global step; `wallSeconds` defaults to the time since the tracker started. */
  log(step: number, scalars: Record<string, number>, wallSeconds = this.elapsed()): void {
    if (!Number.isSafeInteger(step) || step < 0) throw new StoreError(`log: step must be an integer >= 0, got ${step}`);
    for (const [key, value] of Object.entries(scalars)) {
      if (typeof value !== "number") throw new StoreError(`log: metric "${key}" must be a number, got ${typeof value}`);
      this.metrics.push({ step, wall: wallSeconds, key, value });
    }
    this.maybeFlush();
  }

  /** Records one finished episode. */
  logEpisode(e: { step: number; return: number; length: number; wallSeconds?: number }): void {
    this.episodes.push({ step: e.step, wall: e.wallSeconds ?? this.elapsed(), return: e.return, length: e.length });
    this.maybeFlush();
  }

  /** Writes buffered rows now. */
  flush(): void {
    if (this.episodes.length || this.metrics.length) this.store.appendRows(this.runId, this.episodes, this.metrics);
    this.episodes = [];
    this.metrics = [];
    this.lastFlush = performance.now();
  }

  /** Flushes and marks the run finished with a summary. */
  finish(summary: Record<string, unknown> = {}): void {
    this.end("finished", summary);
  }

  /** Flushes and marks the run failed with the error's message. */
  fail(error: unknown): void {
    this.end("failed", null, error instanceof Error ? error.message : String(error));
  }

  private end(status: "finished" | "failed", summary: Record<string, unknown> | null, error?: string): void {
    if (this.ended) throw new StoreError(`run ${this.runId} was already ended`);
    this.flush();
    this.store.finishRun(this.runId, status, summary, error);
    this.ended = true;
  }

  private elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }

  private maybeFlush(): void {
    if (this.episodes.length + this.metrics.length >= FLUSH_ROWS || performance.now() - this.lastFlush > FLUSH_SECONDS * 1000) this.flush();
  }

  private writeCheckpoint(agent: TrackedAgent, step: number): void {
    const bytes = agent.saveCheckpoint();
    this.store.addArtifact(this.runId, "checkpoint", step, bytes, { episodes: this.episodes, metrics: this.metrics });
    this.episodes = [];
    this.metrics = [];
    this.lastFlush = performance.now();
    this.lastCheckpointStep = step;
    const keep = this.options.keepCheckpoints ?? 3;
    const all = this.store.artifacts(this.runId, "checkpoint");
    for (const old of all.slice(0, Math.max(0, all.length - keep))) this.store.deleteArtifact(old);
  }
}

/** Opens (or creates) the store, records a new run with the software versions, and returns its tracker. */
export function startRun(options: StartRunOptions): Tracker & { run: RunRecord } {
  const store = new RunStore(storeDirectory(options.store));
  const run = store.createRun({
    name: options.name,
    algo: options.algo,
    env: options.env,
    seed: options.seed,
    config: options.config ?? {},
    versions: { ...collectVersions(), ...options.versions, pid: process.pid, host: hostname() },
    checkpoint_every: options.checkpointEvery ?? 0,
  });
  return Object.assign(new Tracker(store, run.id, options), { run });
}
