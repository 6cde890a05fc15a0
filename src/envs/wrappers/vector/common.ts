/** Gymnasium's `wrappers.vector.RecordEpisodeStatistics`. */
import type { VectorInfo, VectorResetArgs, VectorStepResult } from "../../vector.js";
import type { RecordEpisodeStatisticsOptions } from "../common.js";
import { checkBufferLength, perfCounter, pushBounded, replaceQueue, roundMicro } from "../episode-queues.js";
import { VectorWrapper, type VectorEnvLike } from "../vector-wrapper.js";

/** `info.episode` on a step where some env ended its episode; zero where `info._episode` is 0. */
export interface VectorEpisodeStatistics {
  r: Float64Array;
  l: Int32Array;
  t: Float64Array;
}

export interface VectorRecordEpisodeStatisticsState {
  episodeCount: number;
  episodeReturns: number[];
  episodeLengths: number[];
  /** seconds each env's current episode has run */
  episodeTimes: number[];
  prevDones: number[];
  returnQueue: number[];
  lengthQueue: number[];
  timeQueue: number[];
}

/**
 * Per-env episode returns and lengths. On a step where some env terminates or truncates, sets
 * `info[statsKey] = {r, l, t}` and `info["_" + statsKey]` (1 where an episode ended) and appends
 * the finished episodes, in env order, to the bounded queues.
 *
 * "same-step" mode counts every step and restarts an env's sums right after its episode ends;
 * "next-step" and "disabled" skip the step after a done, which only resets the env.
 * The arrays in `info` are this wrapper's buffers, overwritten on the next step that ends an episode.
 */
export class RecordEpisodeStatistics extends VectorWrapper {
  readonly bufferLength: number;
  readonly statsKey: string;
  private readonly maskKey: string;
  episodeCount = 0;
  readonly episodeReturns: Float64Array;
  readonly episodeLengths: Int32Array;
  private readonly episodeStartTimes: Float64Array;
  private readonly prevDones: Uint8Array;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  private readonly stats: VectorEpisodeStatistics;
  private readonly statsMask: Uint8Array;

  constructor(env: VectorEnvLike, options: RecordEpisodeStatisticsOptions = {}) {
    super(env);
    this.bufferLength = checkBufferLength(options.bufferLength ?? 100);
    this.statsKey = options.statsKey ?? "episode";
    this.maskKey = `_${this.statsKey}`;
    const n = this.numEnvs;
    this.episodeReturns = new Float64Array(n);
    this.episodeLengths = new Int32Array(n);
    this.episodeStartTimes = new Float64Array(n);
    this.prevDones = new Uint8Array(n);
    this.stats = { r: new Float64Array(n), l: new Int32Array(n), t: new Float64Array(n) };
    this.statsMask = new Uint8Array(n);
  }

  override reset(args?: VectorResetArgs): [Float32Array, VectorInfo] {
    const result = super.reset(args);
    const mask = args?.options?.reset_mask;
    const now = perfCounter();
    for (let i = 0; i < this.numEnvs; i++) {
      if (mask && !mask[i]) continue;
      this.episodeStartTimes[i] = now;
      this.episodeReturns[i] = 0;
      this.episodeLengths[i] = 0;
      this.prevDones[i] = 0;
    }
    return result;
  }

  override step(actions: ArrayLike<number>): VectorStepResult {
    const result = super.step(actions);
    const [, rewards, terminations, truncations, info] = result;
    const n = this.numEnvs;
    const returns = this.episodeReturns, lengths = this.episodeLengths, starts = this.episodeStartTimes;
    const prevDones = this.prevDones;
    const sameStep = this.autoresetMode === "same-step";
    const now = perfCounter();
    let numDones = 0;
    for (let i = 0; i < n; i++) {
      if (sameStep || !prevDones[i]) {
        returns[i] += rewards[i]!;
        lengths[i] += 1;
      } else {
        // the autoreset step: the env only reset, so the new episode starts here with nothing counted
        returns[i] = 0;
        lengths[i] = 0;
        starts[i] = now;
      }
      const done = terminations[i]! | truncations[i]!;
      prevDones[i] = done ? 1 : 0;
      numDones += prevDones[i]!;
    }
    if (numDones > 0) {
      if (this.statsKey in info || this.maskKey in info) {
        throw new Error(`RecordEpisodeStatistics: info already has a "${this.statsKey}" or "${this.maskKey}" key`);
      }
      const { r, l, t } = this.stats;
      for (let i = 0; i < n; i++) {
        const done = prevDones[i]!;
        this.statsMask[i] = done;
        r[i] = done ? returns[i]! : 0;
        l[i] = done ? lengths[i]! : 0;
        t[i] = done ? roundMicro(now - starts[i]!) : 0;
        if (!done) continue;
        pushBounded(this.timeQueue, t[i]!, this.bufferLength);
        pushBounded(this.returnQueue, returns[i]!, this.bufferLength);
        pushBounded(this.lengthQueue, lengths[i]!, this.bufferLength);
        if (sameStep) {
          // the env has already reset, so its next episode starts now
          returns[i] = 0;
          lengths[i] = 0;
          starts[i] = now;
        }
      }
      this.episodeCount += numDones;
      // a copy: the wrapped env may return a shared, frozen info
      result[4] = { ...info, [this.statsKey]: this.stats, [this.maskKey]: this.statsMask };
    }
    return result;
  }

  getState(): VectorRecordEpisodeStatisticsState {
    const now = perfCounter();
    return {
      episodeCount: this.episodeCount,
      episodeReturns: Array.from(this.episodeReturns),
      episodeLengths: Array.from(this.episodeLengths),
      episodeTimes: Array.from(this.episodeStartTimes, (start) => now - start),
      prevDones: Array.from(this.prevDones),
      returnQueue: this.returnQueue.slice(),
      lengthQueue: this.lengthQueue.slice(),
      timeQueue: this.timeQueue.slice(),
    };
  }

  setState(s: VectorRecordEpisodeStatisticsState): void {
    const n = this.numEnvs;
    const perEnv = [s?.episodeReturns, s?.episodeLengths, s?.episodeTimes, s?.prevDones];
    if (perEnv.some((a) => a?.length !== n) || ![s.returnQueue, s.lengthQueue, s.timeQueue].every(Array.isArray)) {
      throw new TypeError(`RecordEpisodeStatistics: state must hold per-env arrays of ${n} numbers and the three queues`);
    }
    const now = perfCounter();
    this.episodeCount = s.episodeCount;
    this.episodeReturns.set(s.episodeReturns);
    this.episodeLengths.set(s.episodeLengths);
    s.episodeTimes.forEach((elapsed, i) => (this.episodeStartTimes[i] = now - elapsed));
    this.prevDones.set(s.prevDones);
    replaceQueue(this.returnQueue, s.returnQueue, this.bufferLength);
    replaceQueue(this.lengthQueue, s.lengthQueue, this.bufferLength);
    replaceQueue(this.timeQueue, s.timeQueue, this.bufferLength);
  }
}
