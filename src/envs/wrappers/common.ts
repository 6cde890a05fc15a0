/** Gymnasium's `RecordEpisodeStatistics` for single envs. */
import { type Action, type Env, type Info, type ResetArgs, type StepResult, Wrapper } from "../env.js";
import { checkBufferLength, perfCounter, pushBounded, replaceQueue, roundMicro } from "./episode-queues.js";

/** What `info.episode` holds on the step that ends an episode. */
export interface EpisodeStatistics {
  /** the episode's return (sum of rewards) */
  r: number;
  /** its length in steps */
  l: number;
  /** wall-clock seconds since its reset, rounded to microseconds */
  t: number;
}

export interface RecordEpisodeStatisticsOptions {
  /** capacity of `returnQueue`, `lengthQueue` and `timeQueue` */
  bufferLength?: number;
  /** the info key for the statistics */
  statsKey?: string;
}

export interface RecordEpisodeStatisticsState {
  episodeCount: number;
  episodeReturn: number;
  episodeLength: number;
  /** seconds the current episode has run; wall-clock start times don't survive a process */
  episodeTime: number;
  returnQueue: number[];
  lengthQueue: number[];
  timeQueue: number[];
}

/**
 * Sums rewards and counts steps per episode; on the step that ends one (terminated or
 * truncated) adds `info[statsKey] = {r, l, t}` and appends to the bounded queues. The running
 * sums are cleared by `reset()`, as in Gymnasium.
 */
export class RecordEpisodeStatistics<O = Float32Array, A = Action> extends Wrapper<O, A, O, A> {
  readonly bufferLength: number;
  readonly statsKey: string;
  episodeCount = 0;
  episodeReturn = 0;
  episodeLength = 0;
  private episodeStartTime = -1;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];

  constructor(env: Env<O, A>, options: RecordEpisodeStatisticsOptions = {}) {
    super(env);
    this.bufferLength = checkBufferLength(options.bufferLength ?? 100);
    this.statsKey = options.statsKey ?? "episode";
  }

  override reset(args?: ResetArgs): [O, Info] {
    const result = super.reset(args);
    this.episodeStartTime = perfCounter();
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return result;
  }

  override step(action: A): StepResult<O> {
    const result = super.step(action);
    const [, reward, terminated, truncated, info] = result;
    this.episodeReturn += reward;
    this.episodeLength += 1;
    if (terminated || truncated) {
      if (this.statsKey in info) throw new Error(`RecordEpisodeStatistics: info already has a "${this.statsKey}" key`);
      const now = perfCounter();
      const t = roundMicro(now - this.episodeStartTime);
      const stats: EpisodeStatistics = { r: this.episodeReturn, l: this.episodeLength, t };
      // a copy: the wrapped env may return a shared, frozen info
      result[4] = { ...info, [this.statsKey]: stats };
      pushBounded(this.timeQueue, t, this.bufferLength);
      pushBounded(this.returnQueue, this.episodeReturn, this.bufferLength);
      pushBounded(this.lengthQueue, this.episodeLength, this.bufferLength);
      this.episodeCount += 1;
      this.episodeStartTime = now;
    }
    return result;
  }

  override getState(): RecordEpisodeStatisticsState {
    return {
      episodeCount: this.episodeCount,
      episodeReturn: this.episodeReturn,
      episodeLength: this.episodeLength,
      episodeTime: perfCounter() - this.episodeStartTime,
      returnQueue: this.returnQueue.slice(),
      lengthQueue: this.lengthQueue.slice(),
      timeQueue: this.timeQueue.slice(),
    };
  }

  override setState(s: RecordEpisodeStatisticsState): void {
    if (!s || !Array.isArray(s.returnQueue) || !Array.isArray(s.lengthQueue) || !Array.isArray(s.timeQueue)) {
      throw new TypeError("RecordEpisodeStatistics: state must hold returnQueue, lengthQueue and timeQueue arrays");
    }
    this.episodeCount = s.episodeCount;
    this.episodeReturn = s.episodeReturn;
    this.episodeLength = s.episodeLength;
    this.episodeStartTime = perfCounter() - s.episodeTime;
    replaceQueue(this.returnQueue, s.returnQueue, this.bufferLength);
    replaceQueue(this.lengthQueue, s.lengthQueue, this.bufferLength);
    replaceQueue(this.timeQueue, s.timeQueue, this.bufferLength);
  }
}
