/**
 * Callbacks SB3 users reach for: an evaluation callback with early stopping (SB3's `EvalCallback`
 * with `StopTrainingOnRewardThreshold` / `StopTrainingOnNoModelImprovement`), merging callbacks,
 * and `learnAsync`, which trains in slices and yields to the event loop between them so that a
 * browser page stays responsive. All browser-safe.
 */
import type { TrainCallbacks, TrainResult } from "./common.js";
import { type EvalEnv, type Evaluable, type Evaluation, evaluatePolicy } from "./evaluate.js";

/** One set of callbacks that calls each of `all` in order; any `shouldStop` that says stop, stops. */
export function mergeCallbacks(...all: TrainCallbacks[]): TrainCallbacks {
  return {
    onEpisode: (e) => all.forEach((c) => c.onEpisode?.(e)),
    onMetrics: (step, metrics, wall) => all.forEach((c) => c.onMetrics?.(step, metrics, wall)),
    onProgress: (p) => all.forEach((c) => c.onProgress?.(p)),
    ...(all.some((c) => c.checkpoint) ? { checkpoint: (step: number, last: boolean) => all.forEach((c) => c.checkpoint?.(step, last)) } : {}),
    shouldStop: (step) => all.map((c) => c.shouldStop?.(step) ?? false).some(Boolean),
  };
}

export interface EvalCallbackOptions {
  /** the env to evaluate in: a registered id or an Env (not the training env) */
  env: string | EvalEnv;
  /** env steps between evaluations (default 10,000) */
  every?: number;
  /** episodes per evaluation (default 5) */
  episodes?: number;
  /** seed of each evaluation's first reset (default 0: every evaluation sees the same episodes) */
  seed?: number;
  /** stop training once the mean evaluation return reaches this */
  stopAtReturn?: number;
  /** stop after this many evaluations in a row without a new best mean return */
  patience?: number;
  /** called after each evaluation */
  onEvaluation?(step: number, evaluation: Evaluation, best: number): void;
}

/**
 * Evaluates the agent's greedy policy every `every` steps (at the next checkpoint point), keeps
 * each mean return in `evaluations` (and calls `onEvaluation`), and stops training on a return
 * threshold or when evaluations stop improving. Merge it with your own callbacks: `mergeCallbacks(mine, evalCallback(agent, {...}))`.
 */
export function evalCallback(agent: Evaluable, options: EvalCallbackOptions): TrainCallbacks & { readonly evaluations: { step: number; mean: number }[] } {
  const every = options.every ?? 10_000;
  if (!Number.isSafeInteger(every) || every < 1) throw new RangeError(`evalCallback: every must be a positive integer, got ${every}`);
  if (options.patience !== undefined && (!Number.isSafeInteger(options.patience) || options.patience < 1)) {
    throw new RangeError(`evalCallback: patience must be a positive integer, got ${options.patience}`);
  }
  const evaluations: { step: number; mean: number }[] = [];
  let next = every, best = -Infinity, sinceBest = 0, stop = false;
  return {
    evaluations,
    shouldStop(step) {
      if (step < next) return stop;
      next = step + every;
      const evaluation = evaluatePolicy(agent, options.env, { episodes: options.episodes ?? 5, seed: options.seed ?? 0 });
      evaluations.push({ step, mean: evaluation.mean });
      if (evaluation.mean > best) {
        best = evaluation.mean;
        sinceBest = 0;
      } else sinceBest++;
      options.onEvaluation?.(step, evaluation, best);
      if (options.stopAtReturn !== undefined && evaluation.mean >= options.stopAtReturn) stop = true;
      if (options.patience !== undefined && sinceBest >= options.patience) stop = true;
      return stop;
    },
  };
}

/**
 * `agent.learn(callbacks)` in slices of about `sliceMs` of work, yielding to the event loop
 * between them (a page can draw, a server can answer). The run is the same as `learn`'s: a slice
 * ends at a checkpoint point, where `learn` continues exactly.
 */
export async function learnAsync(agent: { learn(callbacks?: TrainCallbacks): TrainResult }, callbacks: TrainCallbacks = {}, options: { sliceMs?: number } = {}): Promise<TrainResult> {
  const sliceMs = options.sliceMs ?? 30;
  for (;;) {
    const sliceEnd = performance.now() + sliceMs;
    let paused = false, stopped = false;
    const result = agent.learn({
      ...callbacks,
      shouldStop(step) {
        if (callbacks.shouldStop?.(step)) return (stopped = true);
        if (performance.now() >= sliceEnd) return (paused = true);
        return false;
      },
    });
    if (!paused || stopped) return result;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
