/**
 * What SFT and GRPO share: model presets, a task with the tokenizer its models use, greedy
 * evaluation on a split, and the context a task needs. Browser-safe.
 */
import type { Transformer, TransformerConfig } from "../nn/transformer.js";
import { sampleCompletions } from "../nn/transformer-sample.js";
import { makeTextTask, sampleProblems } from "../text/registry.js";
import type { TextProblem, TextScore, TextSplit, TextTask } from "../text/env.js";
import { CharTokenizer, EOS_TOKEN } from "./tokenizer.js";

export type ModelShape = Omit<TransformerConfig, "vocabSize" | "contextLength">;

/** micro: for tests; tiny: the GRPO benchmark's model (~0.2M parameters with 14 tokens and context 16) */
export const MODEL_PRESETS: Record<string, ModelShape> = {
  micro: { layers: 1, dModel: 16, heads: 2, mlpHidden: 32 },
  tiny: { layers: 4, dModel: 64, heads: 4, mlpHidden: 256 },
  small: { layers: 6, dModel: 128, heads: 4, mlpHidden: 512 },
  medium: { layers: 8, dModel: 256, heads: 8, mlpHidden: 1024 },
};

/** Task options that differ from the task's own defaults in tsrl's LM training: the benchmark's reversed sums. */
export const TASK_TRAINING_DEFAULTS: Record<string, Record<string, unknown>> = {
  addition: { digits: 4, reversed: true },
  multiplication: { reversed: true },
};

export interface TaskSetup {
  id: string;
  options: Record<string, unknown>;
  task: TextTask;
  tokenizer: CharTokenizer;
}

export function setupTask(id: string, options: Record<string, unknown> = {}): TaskSetup {
  const resolved = { ...TASK_TRAINING_DEFAULTS[id], ...options };
  return { id, options: resolved, task: makeTextTask(id, resolved), tokenizer: CharTokenizer.forTask(id, resolved) };
}

export function problemsOf(setup: TaskSetup, split: TextSplit, count: number, seed: number): TextProblem[] {
  return sampleProblems(setup.id, { ...setup.options, split, seed, count });
}

/** The longest prompt + answer + end token among 256 drawn training problems: the context a model for this task needs. */
export function contextForTask(setup: TaskSetup): number {
  let longest = 0;
  for (const p of problemsOf(setup, "train", 256, 12345)) longest = Math.max(longest, setup.tokenizer.encode(p.prompt).length + setup.tokenizer.encode(p.answer).length + 1);
  return longest;
}

export function modelConfig(preset: string, vocabSize: number, contextLength: number): TransformerConfig {
  const shape = MODEL_PRESETS[preset];
  if (!shape) throw new RangeError(`unknown model preset ${JSON.stringify(preset)}; presets: ${Object.keys(MODEL_PRESETS).join(", ")}`);
  return { ...shape, vocabSize, contextLength };
}

export function checkModelFitsTask(model: Transformer, tokenizer: CharTokenizer, setup: TaskSetup, source: string): void {
  if (!tokenizer.sameAs(setup.tokenizer)) {
    throw new Error(`${source} was trained with the vocabulary ${JSON.stringify(tokenizer.alphabet)}, but task ${setup.id} uses ${JSON.stringify(setup.tokenizer.alphabet)}; train a model for this task`);
  }
  const needed = contextForTask(setup);
  if (needed > model.config.contextLength) throw new Error(`task ${setup.id} needs a context of ${needed} tokens (prompt + answer + end); ${source} has ${model.config.contextLength}: train a model for these task options (tsrl train sft --task ${setup.id} --task-options ...)`);
}

export interface Evaluation {
  accuracy: number;
  meanReward: number;
  /** new tokens generated per second */
  tokensPerSecond: number;
  samples: { prompt: string; completion: string; reward: number }[];
}

export interface EvaluateGreedyOptions {
  /** problems decoded at once (default 256) */
  batch?: number;
  /** called with every problem's completion and score, for breakdowns beyond the totals */
  onAnswer?: (problem: TextProblem, completion: string, score: TextScore) => void;
}

/** Greedy decoding of every problem, scored by the task: share correct and mean reward. */
export function evaluateGreedy(model: Transformer, setup: TaskSetup, problems: readonly TextProblem[], { batch = 256, onAnswer }: EvaluateGreedyOptions = {}): Evaluation {
  let correct = 0;
  let reward = 0;
  let tokens = 0;
  let seconds = 0;
  const samples: Evaluation["samples"] = [];
  for (let start = 0; start < problems.length; start += batch) {
    const chunk = problems.slice(start, start + batch);
    const prompts = chunk.map((p) => setup.tokenizer.encode(p.prompt));
    const longest = Math.max(...prompts.map((p) => p.length));
    const t0 = performance.now();
    const out = sampleCompletions(model, prompts, { maxNewTokens: model.config.contextLength - longest, temperature: 0, stopToken: EOS_TOKEN });
    seconds += (performance.now() - t0) / 1000;
    chunk.forEach((problem, i) => {
      const completion = setup.tokenizer.decode(out.completions[i]!);
      tokens += out.completions[i]!.length;
      const score = setup.task.score(problem, completion);
      onAnswer?.(problem, completion, score);
      if (score.correct) correct++;
      reward += score.reward;
      if (samples.length < 4) samples.push({ prompt: problem.prompt, completion, reward: score.reward });
    });
  }
  const n = Math.max(1, problems.length);
  return { accuracy: correct / n, meanReward: reward / n, tokensPerSecond: seconds > 0 ? tokens / seconds : 0, samples };
}

/** Non-finite values in the model's parameters or gradients, named (for a clear stop). */
export function findNonFiniteParameter(model: Transformer, which: "params" | "grads"): string | null {
  const data = which === "params" ? model.params : model.grads;
  for (const e of model.layout) {
    for (let i = e.offset; i < e.offset + e.length; i++) if (!Number.isFinite(data[i]!)) return `${which === "grads" ? "gradient of " : ""}${e.name}[${i - e.offset}] = ${data[i]}`;
  }
  return null;
}

/** Where non-finite numbers came from, for a stop message: the first non-finite parameter, else the activations. */
export function nonFiniteSource(model: Transformer): string {
  const bad = findNonFiniteParameter(model, "params");
  return bad ? `parameter ${bad}` : "every parameter is finite: the activations overflowed";
}
