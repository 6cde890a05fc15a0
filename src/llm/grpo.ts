/**
 * GRPO-family training of a Transformer on a text task with the task's verifiable reward: per step,
 * `promptsPerStep` fresh training prompts, `groupSize` sampled completions each (KV cache,
 * temperature), rewards from the task's scorer, group-relative advantages (`grpoAdvantages`) and
 * the clipped surrogate of TRL's `_compute_loss` (`grpoLoss`: grpo, bnpo, dr_grpo or dapo), with
 * `numIterations` gradient steps per batch (ratios against the sampling policy), an optional k3 KL
 * to the frozen start model (beta), DAPO's dynamic sampling, truncated-completion masking, and a
 * shuffled-reward control. Browser-safe.
 */
import { Random, type RandomState } from "../rng/random.js";
import { AdamW, clipGlobalNorm } from "../nn/adamw.js";
import { Transformer } from "../nn/transformer.js";
import { sampleCompletions } from "../nn/transformer-sample.js";
import type { TextProblem } from "../text/env.js";
import { dapoOverlongPenalty } from "../text/rewards.js";
import { TextEnv } from "../text/env.js";
import { type GrpoLossType, type ScaleRewards, grpoAdvantages, grpoLoss } from "./grpo-loss.js";
import { type DecodedTextCheckpoint, encodeTextCheckpoint, modelTensors, restoreModelTensors, restoreOptimizer } from "./checkpoint.js";
import type { LanguageModel, RolloutSample } from "./model-file.js";
import { EOS_TOKEN, PAD_TOKEN } from "./tokenizer.js";
import type { TextTrainCallbacks } from "./sft.js";
import { type TaskSetup, checkModelFitsTask, evaluateGreedy, findNonFiniteParameter, nonFiniteSource, problemsOf, setupTask } from "./text-model.js";

export interface GrpoConfig {
  task: string;
  taskOptions: Record<string, unknown>;
  seed: number;
  steps: number;
  promptsPerStep: number;
  groupSize: number;
  temperature: number;
  topK: number;
  topP: number;
  /** new tokens per completion; 0 = what the context leaves after the prompt */
  maxCompletionLength: number;
  loss: GrpoLossType;
  epsilonLow: number;
  epsilonHigh: number;
  beta: number;
  scaleRewards: ScaleRewards;
  numIterations: number;
  lr: number;
  weightDecay: number;
  gradClip: number;
  /** DAPO: drop groups whose rewards are all equal and draw more prompts (up to 4 rounds) */
  dynamicSampling: boolean;
  /** leave completions that hit the length limit out of the loss */
  maskTruncated: boolean;
  /** DAPO's soft overlong punishment: penalize the last this-many tokens before the length limit linearly (0: off) */
  overlongCache: number;
  /** control: rewards shuffled across the batch before the advantages (RL without signal) */
  shuffleRewards: boolean;
  evalEvery: number;
  testProblems: number;
}

export const GRPO_DEFAULTS: GrpoConfig = {
  task: "addition",
  taskOptions: {},
  seed: 1,
  steps: 300,
  promptsPerStep: 32,
  groupSize: 8,
  temperature: 1,
  topK: 0,
  topP: 1,
  maxCompletionLength: 0,
  loss: "dapo",
  epsilonLow: 0.2,
  epsilonHigh: 0.28,
  beta: 0,
  scaleRewards: "group",
  numIterations: 1,
  lr: 1e-4,
  weightDecay: 0,
  gradClip: 1,
  dynamicSampling: false,
  maskTruncated: false,
  overlongCache: 0,
  shuffleRewards: false,
  evalEvery: 50,
  testProblems: 2000,
};

export const GRPO_HELP: Record<keyof GrpoConfig, string> = {
  task: "text task (see `tsrl tasks`)",
  taskOptions: "task options as JSON (addition defaults to 4 digits, reversed sum)",
  seed: "seed of prompt draws, sampling and (without --init) the weights",
  steps: "GRPO steps (one batch of prompts × groups each)",
  promptsPerStep: "fresh training prompts per step",
  groupSize: "completions per prompt (G >= 2)",
  temperature: "sampling temperature for rollouts",
  topK: "rollout top-k (0: off; the ratio is then not against the exact policy)",
  topP: "rollout top-p (1: off)",
  maxCompletionLength: "new tokens per completion; also Dr. GRPO's normalizer (0: the context left after the prompt)",
  loss: "aggregation: grpo (sequence mean), bnpo, dr_grpo (constant normalizer), dapo (token mean)",
  epsilonLow: "clip range below: ratio >= 1 - epsilonLow",
  epsilonHigh: "clip range above: ratio <= 1 + epsilonHigh (DAPO clip-higher 0.28)",
  beta: "weight of the k3 KL to the start model (0: no reference model)",
  scaleRewards: "advantage scaling: group (std per group), batch, none (Dr. GRPO)",
  numIterations: "gradient steps per sampled batch (importance ratios against the sampling policy)",
  lr: "learning rate (constant, AdamW)",
  weightDecay: "AdamW weight decay on matrices and embeddings",
  gradClip: "global gradient-norm clip (0: none)",
  dynamicSampling: "DAPO dynamic sampling: drop zero-variance groups and refill (up to 4 draws)",
  maskTruncated: "mask completions that hit the length limit out of the loss",
  overlongCache: "DAPO soft overlong punishment over the last N tokens before the length limit (0: off)",
  shuffleRewards: "control: shuffle rewards across the batch (no learning signal)",
  evalEvery: "steps between held-out greedy evaluations",
  testProblems: "held-out test problems per evaluation",
};

export interface GrpoResult {
  task: string;
  seed: number;
  model_params: number;
  sft_steps: number;
  steps: number;
  accuracy_start: number;
  accuracy_final: number;
  wall_s: number;
  train_tokens_per_s: number;
  sample_tokens_per_s: number;
}

/** What a GRPO checkpoint holds besides the model, AdamW's moments and the reference model. */
export interface GrpoState {
  step: number;
  optimizerStep: number;
  sftSteps: number;
  random: RandomState;
  prompts: ReturnType<TextEnv["getState"]>;
  accuracyStart: number | null;
  accuracy: number | null;
  trainSeconds: number;
  trainTokens: number;
  sampleSeconds: number;
  sampleTokens: number;
  elapsed: number;
}

interface Rollout {
  problems: TextProblem[];
  prompts: Int32Array[];
  completions: Int32Array[];
  truncated: boolean[];
  rewards: Float64Array;
  /** per completion: the task's verdict (for lengths split by correctness) */
  correctFlags: boolean[];
  correct: number;
}

export class GrpoTrainer {
  readonly config: GrpoConfig;
  readonly setup: TaskSetup;
  readonly model: Transformer;
  readonly reference: Transformer | null;
  readonly optimizer: AdamW;
  readonly random: Random;
  readonly prompts: TextEnv;
  step = 0;
  sftSteps = 0;
  trainSeconds = 0;
  trainTokens = 0;
  sampleSeconds = 0;
  sampleTokens = 0;
  /** the first completion of the first groups at every evaluation step, newest last (at most MAX_ROLLOUT_SAMPLES) */
  rolloutSamples: RolloutSample[] = [];
  /** held-out accuracy of the start model, and the latest (NaN before the first evaluation) */
  private accuracyStart = NaN;
  private accuracy = NaN;
  private elapsedBefore = 0;
  private elapsedNow = 0;

  constructor(config: GrpoConfig, init: LanguageModel) {
    if (!Number.isInteger(config.groupSize) || config.groupSize < 2) throw new RangeError(`GRPO needs a group size of at least 2 (group-relative advantages), got ${config.groupSize}`);
    this.config = config;
    this.setup = setupTask(config.task, { ...init.taskOptions, ...config.taskOptions });
    checkModelFitsTask(init.model, init.tokenizer, this.setup, "the initial model");
    this.model = init.model;
    if (config.beta !== 0) {
      this.reference = new Transformer(init.model.config);
      this.reference.params.set(init.model.params);
    } else this.reference = null;
    this.optimizer = new AdamW(this.model.numParameters, this.model.layout, { lr: config.lr, weightDecay: config.weightDecay });
    this.random = new Random(config.seed * 16 + 2);
    this.prompts = new TextEnv(this.setup.task, { split: "train", seed: config.seed * 16 + 3 });
  }

  private rollout(count: number): Rollout {
    const G = this.config.groupSize;
    const problems = this.prompts.sample(count);
    const prompts: Int32Array[] = [];
    for (const p of problems) {
      const encoded = this.setup.tokenizer.encode(p.prompt);
      for (let g = 0; g < G; g++) prompts.push(encoded);
    }
    const longest = Math.max(...prompts.map((p) => p.length));
    const room = this.model.config.contextLength - longest;
    // the context was checked on a draw of the task's problems; a rarer, longer prompt is named here
    if (room < 1) throw new Error(`GRPO step ${this.step}: the prompt ${JSON.stringify(problems[prompts.findIndex((p) => p.length === longest) / G]?.prompt)} has ${longest} tokens, leaving no room in the model's context of ${this.model.config.contextLength}; train a model with a longer --context-length`);
    const maxNew = this.config.maxCompletionLength > 0 ? Math.min(this.config.maxCompletionLength, room) : room;
    const t0 = performance.now();
    const out = this.sampling(() => sampleCompletions(this.model, prompts, { maxNewTokens: maxNew, temperature: this.config.temperature, topK: this.config.topK, topP: this.config.topP, stopToken: EOS_TOKEN, random: this.random }));
    this.sampleSeconds += (performance.now() - t0) / 1000;
    const rewards = new Float64Array(prompts.length);
    const correctFlags: boolean[] = [];
    let correct = 0;
    out.completions.forEach((c, i) => {
      this.sampleTokens += c.length;
      const score = this.setup.task.score(problems[Math.floor(i / G)]!, this.setup.tokenizer.decode(c));
      rewards[i] = score.reward + (this.config.overlongCache > 0 ? dapoOverlongPenalty(c.length, maxNew, Math.min(this.config.overlongCache, maxNew)) : 0);
      if (score.correct) correct++;
      correctFlags.push(score.correct);
    });
    return { problems, prompts, completions: out.completions, truncated: out.truncated, rewards, correctFlags, correct };
  }

  /** Runs a sampling pass; NaN logits stop the run with the step and the parameter that holds a non-finite value. */
  private sampling<T>(sample: () => T): T {
    try {
      return sample();
    } catch (err) {
      if (!/NaN in the model's logits/.test((err as Error).message)) throw err;
      throw new Error(`GRPO step ${this.step}: ${(err as Error).message} (${nonFiniteSource(this.model)}); lower --lr, or start from another model`);
    }
  }

  /** Drops groups with equal rewards (dynamic sampling) and concatenates rounds until promptsPerStep groups are kept or 4 rounds are drawn. */
  private collect(): { batch: Rollout; zeroStdFraction: number; drawnGroups: number } {
    const { promptsPerStep: P, groupSize: G, dynamicSampling } = this.config;
    const first = this.rollout(P);
    const zeroStd = countZeroStdGroups(first.rewards, G);
    if (!dynamicSampling) return { batch: first, zeroStdFraction: zeroStd / P, drawnGroups: P };
    const kept: Rollout = { problems: [], prompts: [], completions: [], truncated: [], rewards: new Float64Array(0), correctFlags: [], correct: first.correct };
    const rewards: number[] = [];
    let drawn = P;
    let round = first;
    for (let r = 0; ; r++) {
      for (let k = 0; k < round.problems.length && kept.problems.length < P; k++) {
        const slice = round.rewards.subarray(k * G, k * G + G);
        if (slice.every((x) => x === slice[0])) continue;
        kept.problems.push(round.problems[k]!);
        for (let g = k * G; g < k * G + G; g++) {
          kept.prompts.push(round.prompts[g]!);
          kept.completions.push(round.completions[g]!);
          kept.truncated.push(round.truncated[g]!);
          kept.correctFlags.push(round.correctFlags[g]!);
          rewards.push(round.rewards[g]!);
        }
      }
      if (kept.problems.length >= P || r >= 3) break;
      round = this.rollout(P);
      kept.correct += round.correct;
      drawn += P;
    }
    kept.rewards = Float64Array.from(rewards);
    return { batch: kept, zeroStdFraction: zeroStd / P, drawnGroups: drawn };
  }

  /** A few rollouts of this step as text, for the run store and the dashboard (steps on the run's axis, after an SFT stage's). */
  private keepRolloutSamples(batch: Rollout): void {
    const G = this.config.groupSize;
    for (let k = 0; k < Math.min(ROLLOUT_SAMPLES_PER_STEP, batch.problems.length); k++) {
      this.rolloutSamples.push({ step: this.sftSteps + this.step + 1, prompt: batch.problems[k]!.prompt, completion: this.setup.tokenizer.decode(batch.completions[k * G]!), reward: batch.rewards[k * G]! });
    }
    this.rolloutSamples.splice(0, Math.max(0, this.rolloutSamples.length - MAX_ROLLOUT_SAMPLES));
  }

  /** One GRPO step: sample, score, numIterations gradient steps. Returns the step's metrics. */
  trainStep(): Record<string, number> {
    const c = this.config;
    const G = c.groupSize;
    const { batch, zeroStdFraction, drawnGroups } = this.collect();
    if ((this.step + 1) % c.evalEvery === 0 || this.step + 1 === c.steps) this.keepRolloutSamples(batch);
    const metrics: Record<string, number> = {};
    const all = drawnGroups * G;
    metrics["rollout/accuracy"] = batch.correct / all;
    metrics["rollout/frac_reward_zero_std"] = zeroStdFraction;
    const B = batch.completions.length;
    if (B === 0) {
      // every group had equal rewards: nothing to learn from this step
      metrics["rollout/kept_groups"] = 0;
      this.step++;
      return metrics;
    }
    const rewards = batch.rewards;
    metrics["rollout/reward_mean"] = mean(rewards);
    metrics["rollout/reward_std"] = Math.sqrt(mean(rewards.map((r) => (r - metrics["rollout/reward_mean"]!) ** 2)));
    const used = c.shuffleRewards ? shuffled(rewards, this.random) : rewards;
    const advantages = grpoAdvantages(used, G, { scaleRewards: c.scaleRewards });

    // sequences prompt + completion; completion token j sits at position promptLength + j and is predicted at promptLength + j − 1
    const L = Math.max(1, ...batch.completions.map((x) => x.length));
    const T = Math.max(...batch.prompts.map((p, i) => p.length + batch.completions[i]!.length)) - 1;
    const tokens = new Int32Array(B * T).fill(PAD_TOKEN);
    const targets = new Int32Array(B * T).fill(PAD_TOKEN);
    const mask = new Uint8Array(B * L);
    let lengthSum = 0;
    let lengthMax = 0;
    let truncatedCount = 0;
    // lengths of correct and incorrect completions apart: GRPO's per-sequence 1/|o| pushes them in opposite directions (Dr. GRPO, Liu et al. 2025)
    const lengthBy = { correct: { sum: 0, count: 0 }, incorrect: { sum: 0, count: 0 } };
    for (let i = 0; i < B; i++) {
      const prompt = batch.prompts[i]!;
      const completion = batch.completions[i]!;
      const seq = [...prompt, ...completion];
      for (let t = 0; t < T; t++) {
        if (t < seq.length) tokens[i * T + t] = seq[t]!;
        if (t + 1 < seq.length) targets[i * T + t] = seq[t + 1]!;
      }
      const masked = c.maskTruncated && batch.truncated[i];
      for (let j = 0; j < completion.length; j++) mask[i * L + j] = masked ? 0 : 1;
      lengthSum += completion.length;
      lengthMax = Math.max(lengthMax, completion.length);
      if (batch.truncated[i]) truncatedCount++;
      const side = batch.correctFlags[i] ? lengthBy.correct : lengthBy.incorrect;
      side.sum += completion.length;
      side.count++;
    }
    metrics["completions/mean_length"] = lengthSum / B;
    metrics["completions/max_length"] = lengthMax;
    metrics["completions/clipped_ratio"] = truncatedCount / B;
    // (left out of a step with no completion of that kind, rather than logged as NaN)
    if (lengthBy.correct.count > 0) metrics["completions/mean_length_correct"] = lengthBy.correct.sum / lengthBy.correct.count;
    if (lengthBy.incorrect.count > 0) metrics["completions/mean_length_incorrect"] = lengthBy.incorrect.sum / lengthBy.incorrect.count;
    const promptLengths = batch.prompts.map((p) => p.length);
    const logpPositions = new Float64Array(B * T);
    const gather = (into: Float64Array) => {
      into.fill(0);
      for (let i = 0; i < B; i++)
        for (let j = 0; j < batch.completions[i]!.length; j++) into[i * L + j] = logpPositions[i * T + promptLengths[i]! + j - 1]!;
      return into;
    };
    const logProb = new Float64Array(B * L);
    let oldLogProb: Float64Array | null = null;
    let refLogProb: Float64Array | undefined;
    if (this.reference) {
      this.reference.forward(tokens, B, T);
      this.reference.tokenLogProbs(targets, logpPositions);
      refLogProb = gather(new Float64Array(B * L));
    }
    const gradPositions = new Float64Array(B * T);
    const maxCompletionLength = c.maxCompletionLength > 0 ? c.maxCompletionLength : this.model.config.contextLength - Math.min(...promptLengths);
    for (let it = 0; it < c.numIterations; it++) {
      const t0 = performance.now();
      this.model.forward(tokens, B, T);
      this.model.tokenLogProbs(targets, logpPositions);
      gather(logProb);
      // the first pass is the sampling policy: its log-probs are the ratios' denominator for every iteration
      oldLogProb ??= logProb.slice();
      const result = grpoLoss({ logProb, oldLogProb, refLogProb, advantages, mask }, { lossType: c.loss, epsilonLow: c.epsilonLow, epsilonHigh: c.epsilonHigh, beta: c.beta, maxCompletionLength });
      if (!Number.isFinite(result.loss)) throw new Error(`GRPO step ${this.step}: the loss is ${result.loss}${describeNonFinite(logProb, "log-probabilities")} (${nonFiniteSource(this.model)}); lower --lr`);
      gradPositions.fill(0);
      for (let i = 0; i < B; i++)
        for (let j = 0; j < batch.completions[i]!.length; j++) gradPositions[i * T + promptLengths[i]! + j - 1] = result.gradLogProb[i * L + j]!;
      this.model.zeroGrad();
      this.model.backward(targets, gradPositions);
      const bad = findNonFiniteParameter(this.model, "grads");
      if (bad) throw new Error(`GRPO step ${this.step}: non-finite gradient (${bad}); lower --lr`);
      metrics["train/grad_norm"] = clipGlobalNorm(this.model.grads, c.gradClip);
      this.optimizer.lr = c.lr;
      this.optimizer.update(this.model.params, this.model.grads);
      this.trainSeconds += (performance.now() - t0) / 1000;
      this.trainTokens += B * T;
      if (it === 0) {
        metrics["train/loss"] = result.loss;
        metrics["train/clip_ratio/low_mean"] = result.clipFractionLow;
        metrics["train/clip_ratio/high_mean"] = result.clipFractionHigh;
        metrics["train/clip_ratio/region_mean"] = result.clipFraction;
        if (refLogProb) metrics["train/kl"] = result.kl;
        let entropy = 0;
        let count = 0;
        for (let i = 0; i < B; i++)
          for (let j = 0; j < batch.completions[i]!.length; j++) {
            if (!mask[i * L + j]) continue;
            entropy += this.model.entropyAt(i * T + promptLengths[i]! + j - 1);
            count++;
          }
        metrics["train/entropy"] = count ? entropy / count : 0;
      } else {
        metrics["train/clip_ratio/region_mean"] = result.clipFraction;
      }
    }
    this.step++;
    return metrics;
  }

  train(callbacks: TextTrainCallbacks = {}): GrpoResult {
    const started = performance.now();
    const c = this.config;
    const test = problemsOf(this.setup, "test", c.testProblems, c.seed + 2000);
    // a resumed run evaluated its start model before its first checkpoint
    if (Number.isNaN(this.accuracyStart)) {
      const startEval = evaluateGreedy(this.model, this.setup, test);
      callbacks.onMetrics?.(0, { "eval/test_accuracy": startEval.accuracy, "eval/reward_mean": startEval.meanReward });
      this.accuracyStart = this.accuracy = startEval.accuracy;
    }
    while (this.step < c.steps) {
      const metrics = this.trainStep();
      if (this.step % c.evalEvery === 0 || this.step === c.steps) {
        const ev = evaluateGreedy(this.model, this.setup, test);
        this.accuracy = ev.accuracy;
        metrics["eval/test_accuracy"] = ev.accuracy;
        metrics["eval/reward_mean"] = ev.meanReward;
        callbacks.onSamples?.(this.step, ev.samples);
      }
      metrics["perf/train_tokens_per_s"] = this.trainTokens / Math.max(1e-9, this.trainSeconds);
      metrics["perf/sample_tokens_per_s"] = this.sampleTokens / Math.max(1e-9, this.sampleSeconds);
      callbacks.onMetrics?.(this.step, metrics);
      callbacks.onProgress?.(this.step, c.steps, { reward: (metrics["rollout/reward_mean"] ?? NaN).toFixed(3), acc: this.accuracy.toFixed(3) });
      if (this.step < c.steps) {
        this.elapsedNow = this.elapsedBefore + (performance.now() - started) / 1000;
        callbacks.checkpoint?.(this.step);
      }
    }
    return {
      task: c.task,
      seed: c.seed,
      model_params: this.model.numParameters,
      sft_steps: this.sftSteps,
      steps: this.step,
      accuracy_start: this.accuracyStart,
      accuracy_final: this.accuracy,
      wall_s: this.elapsedBefore + (performance.now() - started) / 1000,
      train_tokens_per_s: this.trainTokens / Math.max(1e-9, this.trainSeconds),
      sample_tokens_per_s: this.sampleTokens / Math.max(1e-9, this.sampleSeconds),
    };
  }

  languageModel(): LanguageModel {
    return { model: this.model, tokenizer: this.setup.tokenizer, task: this.setup.id, taskOptions: this.setup.options, rolloutSamples: this.rolloutSamples };
  }

  /** The whole training state (model, AdamW, reference model, both RNGs, counters) with `run` (what the caller needs to go on). */
  saveCheckpoint(run: Record<string, unknown>): Uint8Array {
    const finite = (x: number) => (Number.isNaN(x) ? null : x);
    const state: GrpoState = {
      step: this.step,
      optimizerStep: this.optimizer.step,
      sftSteps: this.sftSteps,
      random: this.random.getState(),
      prompts: this.prompts.getState(),
      accuracyStart: finite(this.accuracyStart),
      accuracy: finite(this.accuracy),
      trainSeconds: this.trainSeconds,
      trainTokens: this.trainTokens,
      sampleSeconds: this.sampleSeconds,
      sampleTokens: this.sampleTokens,
      elapsed: this.elapsedNow,
    };
    return encodeTextCheckpoint(this.languageModel(), this.optimizer, { stage: "grpo", state, run }, this.reference ? modelTensors(this.reference, "reference.") : []);
  }

  /** Continues from a checkpoint of a trainer built with the same config and the checkpoint's model (`init`). */
  loadCheckpoint(checkpoint: DecodedTextCheckpoint<GrpoState>): void {
    const s = checkpoint.state;
    if (checkpoint.stage !== "grpo") throw new Error(`a GRPO trainer cannot continue a ${checkpoint.stage} checkpoint`);
    restoreOptimizer(this.optimizer, checkpoint, s.optimizerStep);
    // the frozen reference is the start model, not the checkpoint's
    if (this.reference) restoreModelTensors(this.reference, checkpoint, "reference.");
    this.step = s.step;
    this.sftSteps = s.sftSteps;
    this.random.setState(s.random);
    this.prompts.setState(s.prompts);
    this.accuracyStart = s.accuracyStart ?? NaN;
    this.accuracy = s.accuracy ?? NaN;
    this.trainSeconds = s.trainSeconds;
    this.trainTokens = s.trainTokens;
    this.sampleSeconds = s.sampleSeconds;
    this.sampleTokens = s.sampleTokens;
    this.elapsedBefore = this.elapsedNow = s.elapsed;
    this.rolloutSamples = checkpoint.lm.rolloutSamples ?? [];
  }
}

const ROLLOUT_SAMPLES_PER_STEP = 4;
const MAX_ROLLOUT_SAMPLES = 200;

function countZeroStdGroups(rewards: Float64Array, G: number): number {
  let n = 0;
  for (let k = 0; k < rewards.length; k += G) {
    let same = true;
    for (let i = k + 1; i < k + G; i++) if (rewards[i] !== rewards[k]) same = false;
    if (same) n++;
  }
  return n;
}

function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return x.length ? s / x.length : NaN;
}

function shuffled(x: Float64Array, random: Random): Float64Array {
  const out = x.slice();
  random.shuffle(out);
  return out;
}

function describeNonFinite(x: Float64Array, what: string): string {
  const i = x.findIndex((v) => !Number.isFinite(v));
  return i < 0 ? "" : ` (${what}[${i}] = ${x[i]})`;
}
