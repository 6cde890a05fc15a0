/**
 * Connects a training loop to the run store: buffers episodes and metrics and writes them in
 * short transactions (about once a second), writes checkpoints every `checkpointEvery` steps —
 * flushing every row up to the checkpoint's step in the same transaction — and keeps the
 * newest `keepCheckpoints`.
 */
import type { TrainCallbacks, TrainProgress } from "../algos/common.js";
import type { EpisodeRow, MetricRow, RunStore } from "./store.js";

export interface TrackedAgent {
  saveCheckpoint(): Uint8Array;
}

export interface TrackerOptions {
  /** env steps between checkpoints; 0 disables them */
  checkpointEvery: number;
  keepCheckpoints?: number;
  /** user callbacks, called after the tracker's */
  callbacks?: TrainCallbacks;
  /** the step of the checkpoint a resumed run starts from */
  startStep?: number;
}

const FLUSH_SECONDS = 1;
const FLUSH_ROWS = 5000;

export class Tracker {
  private episodes: EpisodeRow[] = [];
  private metrics: MetricRow[] = [];
  private lastFlush = performance.now();
  private lastCheckpointStep: number;

  constructor(
    private readonly store: RunStore,
    readonly runId: string,
    private readonly agent: TrackedAgent,
    private readonly options: TrackerOptions,
  ) {
    this.lastCheckpointStep = options.startStep ?? 0;
  }

  /** Callbacks to pass to `learn`. */
  callbacks(): TrainCallbacks {
    const user = this.options.callbacks ?? {};
    return {
      onEpisode: (e) => {
        this.episodes.push({ step: e.step, wall: e.wallSeconds, return: e.return, length: e.length });
        this.maybeFlush();
        user.onEpisode?.(e);
      },
      onMetrics: (step, metrics, wall) => {
        for (const [key, value] of Object.entries(metrics)) this.metrics.push({ step, wall, key, value });
        this.maybeFlush();
        user.onMetrics?.(step, metrics, wall);
      },
      onProgress: (p: TrainProgress) => user.onProgress?.(p),
      checkpoint: (step, last) => {
        const every = this.options.checkpointEvery;
        if (every > 0 && (step - this.lastCheckpointStep >= every || last)) this.writeCheckpoint(step);
        user.checkpoint?.(step, last);
      },
    };
  }

  /** Writes buffered rows now. */
  flush(): void {
    if (this.episodes.length || this.metrics.length) this.store.appendRows(this.runId, this.episodes, this.metrics);
    this.episodes = [];
    this.metrics = [];
    this.lastFlush = performance.now();
  }

  private maybeFlush(): void {
    if (this.episodes.length + this.metrics.length >= FLUSH_ROWS || performance.now() - this.lastFlush > FLUSH_SECONDS * 1000) this.flush();
  }

  private writeCheckpoint(step: number): void {
    const bytes = this.agent.saveCheckpoint();
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
