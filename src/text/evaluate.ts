/**
 * Evaluating a sampler (a served LLM, a local model) on a text task: n samples per problem,
 * scored by the task's verifier; mean reward, accuracy and unbiased pass@k with bootstrap
 * percentile intervals over problems. Browser-safe.
 */
import { Random } from "../rng/random.js";
import { percentileInterval } from "../stats/bootstrap.js";
import type { TextProblem, TextTask } from "./env.js";
import type { Completion } from "./openai-client.js";

/**
 * Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"):
 * 1 − C(n−c, k)/C(n, k) for n samples of which c are correct, in the numerically stable
 * product form 1 − Π_{i=n−c+1}^{n} (1 − k/i).
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || k < 1 || k > n || c < 0 || c > n) {
    throw new RangeError(`passAtK: need integers 1 <= k <= n and 0 <= c <= n, got n=${n}, c=${c}, k=${k}`);
  }
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

export interface ScoredSample {
  problem: number;
  sample: number;
  text: string;
  reward: number;
  correct: boolean;
  wellFormed: boolean;
  finishReason: string | null;
}

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface EvalSummary {
  problems: number;
  samplesPerProblem: number;
  meanReward: Interval;
  accuracy: Interval;
  /** pass@k for k = 1, 2, 4, … ≤ n and k = n */
  passAtK: Record<string, Interval>;
  /** share of samples the server cut at max tokens (finish_reason "length") */
  truncated: number;
}

export interface BootstrapSettings {
  reps?: number;
  confidence?: number;
  seed?: number;
}

/** Per-problem statistics, then the mean over problems with a percentile bootstrap over problems. */
export function summarizeEval(samples: readonly ScoredSample[], settings: BootstrapSettings = {}): EvalSummary {
  const { reps = 10_000, confidence = 0.95, seed = 0 } = settings;
  const byProblem = new Map<number, ScoredSample[]>();
  for (const s of samples) {
    const list = byProblem.get(s.problem) ?? [];
    list.push(s);
    byProblem.set(s.problem, list);
  }
  const groups = [...byProblem.values()];
  if (!groups.length) throw new RangeError("summarizeEval: no scored samples");
  const n = Math.min(...groups.map((g) => g.length));
  const ks = [...new Set([...Array.from({ length: Math.floor(Math.log2(n)) + 1 }, (_, i) => 2 ** i), n])].sort((a, b) => a - b);
  const perProblem = (f: (g: ScoredSample[]) => number) => Float64Array.from(groups, f);
  const mean = (g: ScoredSample[], v: (s: ScoredSample) => number) => g.reduce((a, s) => a + v(s), 0) / g.length;
  const random = new Random(seed);
  const interval = (values: Float64Array): Interval => {
    const m = values.length;
    let total = 0;
    for (const v of values) total += v;
    const draws = new Float64Array(reps);
    for (let r = 0; r < reps; r++) {
      let sum = 0;
      for (let i = 0; i < m; i++) sum += values[random.integer(m)]!;
      draws[r] = sum / m;
    }
    const [lower, upper] = percentileInterval(draws, confidence);
    return { estimate: total / m, lower, upper };
  };
  const passes: Record<string, Interval> = {};
  for (const k of ks) passes[k] = interval(perProblem((g) => passAtK(g.length, g.filter((s) => s.correct).length, k)));
  return {
    problems: groups.length,
    samplesPerProblem: n,
    meanReward: interval(perProblem((g) => mean(g, (s) => s.reward))),
    accuracy: interval(perProblem((g) => mean(g, (s) => (s.correct ? 1 : 0)))),
    passAtK: passes,
    truncated: samples.filter((s) => s.finishReason === "length").length / samples.length,
  };
}

export type Sampler = (problem: TextProblem, signal: AbortSignal) => Promise<Completion[]>;

export interface EvaluateOptions {
  task: TextTask;
  problems: readonly TextProblem[];
  sample: Sampler;
  /** problems in flight at once (default 4; the client bounds HTTP requests separately) */
  concurrency?: number;
  /** called as each problem's samples are scored, in completion order */
  onScored?: (samples: ScoredSample[], done: number) => void;
  /** stops launching problems and aborts those in flight; samples scored so far are returned */
  signal?: AbortSignal;
}

/** Samples and scores every problem; on abort returns what was scored (`interrupted: true`). */
export async function evaluateSampler(options: EvaluateOptions): Promise<{ samples: ScoredSample[]; interrupted: boolean }> {
  const { task, problems, sample, concurrency = 4, onScored } = options;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const samples: ScoredSample[] = [];
  let next = 0;
  let done = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (!controller.signal.aborted && failure === null && next < problems.length) {
      const index = next++;
      const problem = problems[index]!;
      let completions: Completion[];
      try {
        completions = await sample(problem, controller.signal);
      } catch (err) {
        if (controller.signal.aborted) return;
        failure = err;
        controller.abort();
        return;
      }
      const scored = completions.map((c, j): ScoredSample => {
        const score = task.score(problem, c.text);
        return { problem: index, sample: j, text: c.text, reward: score.reward, correct: score.correct, wellFormed: score.wellFormed, finishReason: c.finishReason };
      });
      samples.push(...scored);
      done++;
      onScored?.(scored, done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, problems.length)) }, worker));
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  if (failure !== null) throw failure;
  samples.sort((a, b) => a.problem - b.problem || a.sample - b.sample);
  return { samples, interrupted: done < problems.length };
}
