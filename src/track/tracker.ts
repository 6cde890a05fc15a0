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
 *
 * `finish` writes the agent's policy (if it has one) and marks the run finished in one
 * transaction: a crash at any moment leaves a run either unfinished (resumable) or finished with
 * its policy, never finished without it.
 */
import { hostname } from "node:os";
import type { TrainCallbacks, TrainProgress } from "../algos/common.js";
import { type ArtifactRecord, type EpisodeRow, type MetricRow, type RunRecord, RunStore, StoreError, storeDirectory } from "./store.js";
import { collectVersions } from "./versions.js";

export interface TrackedAgent {
  saveCheckpoint(): Uint8Array;
  /** the final artifact `finish` records (a tsrl algorithm's policy file) */
  savePolicy?(): Uint8Array;
  /** the resolved config, recorded when startRun is given none (so the run can be resumed) */
  config?: object;
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
  /** the largest step logged so far: where the policy is recorded when the summary names none */
  private lastStep: number;
  private ended = false;

  constructor(
    readonly store: RunStore,
    readonly runId: string,
    private readonly options: TrackerOptions = {},
  ) {
    this.lastCheckpointStep = options.startStep ?? 0;
    this.lastStep = options.startStep ?? 0;
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

  /**
   * Records scalars at a global step; `wallSeconds` defaults to the time since the tracker
   * started. A NaN or infinite value is recorded as missing (null): a diverged loss is data.
   */
  log(step: number, scalars: Record<string, number>, wallSeconds = this.elapsed()): void {
    this.checkOpen("log");
    checkStep("log", step);
    checkWall("log", wallSeconds);
    if (scalars === null || typeof scalars !== "object") throw new StoreError(`log: expected an object of metric: number, got ${scalars === null ? "null" : typeof scalars}`);
    const entries = Object.entries(scalars);
    for (const [key, value] of entries) {
      if (typeof value !== "number") throw new StoreError(`log: metric "${key}" must be a number, got ${typeof value}`);
      if (key === "") throw new StoreError("log: a metric needs a name, got an empty key");
    }
    for (const [key, value] of entries) this.metrics.push({ step, wall: wallSeconds, key, value });
    this.lastStep = Math.max(this.lastStep, step);
    this.maybeFlush();
  }

  /** Records one finished episode: an integer step and length and a finite return (checked here, not at the next write). */
  logEpisode(e: { step: number; return: number; length: number; wallSeconds?: number }): void {
    this.checkOpen("logEpisode");
    if (e === null || typeof e !== "object") throw new StoreError(`logEpisode: expected {step, return, length}, got ${e === null ? "null" : typeof e}`);
    checkStep("logEpisode", e.step);
    if (typeof e.return !== "number" || !Number.isFinite(e.return)) throw new StoreError(`logEpisode: return must be a finite number, got ${describe(e.return)}`);
    if (!Number.isSafeInteger(e.length) || e.length < 0) throw new StoreError(`logEpisode: length must be an integer >= 0, got ${describe(e.length)}`);
    const wall = e.wallSeconds ?? this.elapsed();
    checkWall("logEpisode", wall);
    this.episodes.push({ step: e.step, wall, return: e.return, length: e.length });
    this.lastStep = Math.max(this.lastStep, e.step);
    this.maybeFlush();
  }

  /** Writes buffered rows now. */
  flush(): void {
    if (this.episodes.length || this.metrics.length) this.store.appendRows(this.runId, this.episodes, this.metrics);
    this.episodes = [];
    this.metrics = [];
    this.lastFlush = performance.now();
  }

  /**
   * Writes the agent's policy (recorded at `summary.total_timesteps`, else the last step
   * logged), then in one transaction the buffered rows, the policy's record and the end of the
   * run with its summary. Returns the policy's record (null when the agent has no policy).
   */
  finish(summary: Record<string, unknown> = {}): ArtifactRecord | null {
    this.checkOpen("finish");
    let text: string | undefined;
    try {
      text = JSON.stringify(summary);
    } catch (err) {
      throw new StoreError(`finish: the summary must be JSON-serializable: ${(err as Error).message}`);
    }
    if (text === undefined || summary === null || typeof summary !== "object" || Array.isArray(summary)) throw new StoreError("finish: the summary must be an object of field: value");
    const policy = this.options.agent?.savePolicy?.();
    let record: ArtifactRecord | null = null;
    if (policy) {
      const step = typeof summary.total_timesteps === "number" && Number.isSafeInteger(summary.total_timesteps) ? summary.total_timesteps : this.lastStep;
      record = this.store.addArtifact(this.runId, "policy", step, policy, { episodes: this.episodes, metrics: this.metrics }, { summary });
    } else {
      this.store.db.transaction(() => {
        this.store.appendRows(this.runId, this.episodes, this.metrics);
        this.store.finishRun(this.runId, "finished", summary);
      }).immediate();
    }
    this.episodes = [];
    this.metrics = [];
    this.ended = true;
    return record;
  }

  /**
   * Marks the run failed with the error's message. Never throws (it is called while handling
   * another error): rows that cannot be written are dropped and said so in the recorded error,
   * and if the store cannot be written at all a warning says so.
   */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    let message = error instanceof Error ? error.message : String(error);
    try {
      this.flush();
    } catch (err) {
      message += ` (and ${this.episodes.length + this.metrics.length} unwritten rows were dropped: ${(err as Error).message})`;
      this.episodes = [];
      this.metrics = [];
    }
    try {
      this.store.finishRun(this.runId, "failed", null, message);
    } catch (err) {
      process.emitWarning(`run ${this.runId} could not be marked failed: ${(err as Error).message}`);
    }
  }

  private checkOpen(what: string): void {
    if (this.ended) throw new StoreError(`${what}: run ${this.runId} was already ended`);
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
    this.lastStep = Math.max(this.lastStep, step);
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
    // a tsrl agent's own config when none is given: without it the run could not be resumed
    config: options.config ?? (options.agent?.config as Record<string, unknown> | undefined) ?? {},
    versions: { ...collectVersions(), ...options.versions, pid: process.pid, host: hostname() },
    checkpoint_every: options.checkpointEvery ?? 0,
  });
  return Object.assign(new Tracker(store, run.id, options), { run });
}

function describe(value: unknown): string {
  return typeof value === "number" ? String(value) : `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
}

function checkStep(what: string, step: unknown): void {
  if (!Number.isSafeInteger(step) || (step as number) < 0) throw new StoreError(`${what}: step must be an integer >= 0, got ${describe(step)}`);
}

function checkWall(what: string, wall: unknown): void {
  if (typeof wall !== "number" || !Number.isFinite(wall)) throw new StoreError(`${what}: wallSeconds must be a finite number, got ${describe(wall)}`);
}
