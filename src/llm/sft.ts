/**
 * Supervised fine-tuning (here: training from scratch) of a Transformer on a text task's
 * (prompt, answer) pairs: teacher-forced cross-entropy on the answer tokens and the end token only,
 * averaged over those tokens in the batch; AdamW with nanoGPT's warmup + cosine schedule and
 * global-norm clipping. Optionally stops at the first evaluation where greedy accuracy on the
 * validation split reaches a threshold (the GRPO benchmark's start). Browser-safe.
 */
import { Random, type RandomState } from "../rng/random.js";
import { AdamW, clipGlobalNorm, scheduledLr } from "../nn/adamw.js";
import { Transformer } from "../nn/transformer.js";
import type { TextProblem } from "../text/env.js";
import { type DecodedTextCheckpoint, encodeTextCheckpoint, restoreOptimizer } from "./checkpoint.js";
import { type LanguageModel } from "./model-file.js";
import { EOS_TOKEN, PAD_TOKEN } from "./tokenizer.js";
import { type TaskSetup, checkModelFitsTask, contextForTask, evaluateGreedy, findNonFiniteParameter, modelConfig, nonFiniteSource, problemsOf, setupTask } from "./text-model.js";

export interface SftConfig {
  task: string;
  taskOptions: Record<string, unknown>;
  /** model preset (ignored when starting from a given model) */
  model: string;
  /** 0: the longest prompt + answer + end token of the task */
  contextLength: number;
  seed: number;
  /** the cap on optimizer steps (the cosine schedule runs over it) */
  steps: number;
  /** size of the fixed draw of labelled training problems */
  examples: number;
  batchSize: number;
  lr: number;
  warmup: number;
  minLr: number;
  weightDecay: number;
  gradClip: number;
  evalEvery: number;
  evalProblems: number;
  /** stop at the first evaluation with validation accuracy >= this (0: never) */
  stopAtAccuracy: number;
  /** held-out (test split) problems for the final accuracy */
  testProblems: number;
}

export const SFT_DEFAULTS: SftConfig = {
  task: "addition",
  taskOptions: {},
  model: "tiny",
  contextLength: 0,
  seed: 1,
  steps: 2000,
  examples: 1000,
  batchSize: 64,
  lr: 1e-3,
  warmup: 50,
  minLr: 1e-4,
  weightDecay: 0.01,
  gradClip: 1,
  evalEvery: 25,
  evalProblems: 500,
  stopAtAccuracy: 0,
  testProblems: 2000,
};

export const SFT_HELP: Record<keyof SftConfig, string> = {
  task: "text task (see `tsrl tasks`)",
  taskOptions: "task options as JSON, e.g. '{\"digits\":3}' (addition defaults to 4 digits, reversed sum)",
  model: "model preset: tiny (4 layers, d 64), small (6, d 128), medium (8, d 256)",
  contextLength: "model context in tokens; 0 = what the task needs",
  seed: "seed of the weights, the labelled draw, batch order and evaluation draws",
  steps: "optimizer steps (cap when --stop-at-accuracy is set; the cosine schedule spans it)",
  examples: "labelled training problems (a fixed draw from the train split)",
  batchSize: "sequences per step",
  lr: "peak learning rate (AdamW)",
  warmup: "linear warmup steps",
  minLr: "learning rate at the end of the cosine decay",
  weightDecay: "AdamW weight decay on matrices and embeddings",
  gradClip: "global gradient-norm clip (0: none)",
  evalEvery: "steps between greedy evaluations on the validation split",
  evalProblems: "validation problems per evaluation",
  stopAtAccuracy: "stop at the first evaluation with validation accuracy >= this (0: run all steps)",
  testProblems: "held-out test problems for the final accuracy",
};

export interface TextTrainCallbacks {
  onMetrics?(step: number, metrics: Record<string, number>): void;
  onProgress?(step: number, total: number, status: Record<string, string | number>): void;
  onSamples?(step: number, samples: { prompt: string; completion: string; reward: number }[]): void;
  /** after each step the run goes on from (not after its last): where a checkpoint may be written */
  checkpoint?(step: number): void;
}

/** What an SFT checkpoint holds besides the model and AdamW's moments. */
export interface SftState {
  step: number;
  optimizerStep: number;
  random: RandomState;
  order: number[];
  cursor: number;
  validationAccuracy: number | null;
  trainSeconds: number;
  trainTokens: number;
  elapsed: number;
}

export interface SftResult {
  task: string;
  seed: number;
  model_params: number;
  sft_steps: number;
  accuracy_final: number;
  validation_accuracy: number;
  wall_s: number;
  train_tokens_per_s: number;
  sample_tokens_per_s: number;
}

export class SftTrainer {
  readonly config: SftConfig;
  readonly setup: TaskSetup;
  readonly model: Transformer;
  readonly optimizer: AdamW;
  readonly random: Random;
  step = 0;
  private readonly examples: TextProblem[];
  private readonly T: number;
  private readonly inputs: Int32Array;
  private readonly targets: Int32Array;
  private readonly answerMask: Uint8Array;
  private order: Int32Array;
  private cursor: number;
  trainSeconds = 0;
  trainTokens = 0;
  /** wall seconds of train() before a resume */
  private elapsedBefore = 0;
  private validationAccuracy = NaN;

  constructor(config: SftConfig, init?: LanguageModel) {
    this.config = config;
    this.setup = setupTask(config.task, config.taskOptions);
    const context = config.contextLength || contextForTask(this.setup);
    if (init) {
      checkModelFitsTask(init.model, init.tokenizer, this.setup, "the initial model");
      this.model = init.model;
    } else this.model = new Transformer(modelConfig(config.model, this.setup.tokenizer.size, context), { seed: config.seed });
    this.optimizer = new AdamW(this.model.numParameters, this.model.layout, { lr: config.lr, weightDecay: config.weightDecay });
    this.random = new Random(config.seed * 16 + 1);
    this.examples = problemsOf(this.setup, "train", config.examples, config.seed);
    // sequences prompt + answer + <eos>, padded; inputs are positions 0..T-1, targets 1..T
    const encoded = this.examples.map((p) => {
      const prompt = this.setup.tokenizer.encode(p.prompt);
      const answer = this.setup.tokenizer.encode(p.answer);
      return { seq: [...prompt, ...answer, EOS_TOKEN], promptLength: prompt.length };
    });
    const longest = Math.max(...encoded.map((e) => e.seq.length));
    if (longest > this.model.config.contextLength) throw new Error(`task ${config.task}: an example has ${longest} tokens, more than the model's context ${this.model.config.contextLength}: raise --context-length (0: what the task needs)`);
    this.T = longest - 1;
    const n = encoded.length;
    this.inputs = new Int32Array(n * this.T).fill(PAD_TOKEN);
    this.targets = new Int32Array(n * this.T).fill(PAD_TOKEN);
    this.answerMask = new Uint8Array(n * this.T);
    encoded.forEach((e, i) => {
      for (let t = 0; t < this.T; t++) {
        if (t < e.seq.length) this.inputs[i * this.T + t] = e.seq[t]!;
        if (t + 1 < e.seq.length) {
          this.targets[i * this.T + t] = e.seq[t + 1]!;
          this.answerMask[i * this.T + t] = t + 1 >= e.promptLength ? 1 : 0;
        }
      }
    });
    this.order = Int32Array.from({ length: n }, (_, i) => i);
    this.random.shuffle(this.order);
    this.cursor = 0;
  }

  private batchTokens = new Int32Array(0);
  private batchTargets = new Int32Array(0);
  private batchGrad = new Float64Array(0);
  private logp = new Float64Array(0);

  /** One optimizer step; returns the mean cross-entropy over answer tokens. */
  trainStep(): number {
    const { batchSize: B, gradClip } = this.config;
    const T = this.T;
    if (this.batchTokens.length !== B * T) {
      this.batchTokens = new Int32Array(B * T);
      this.batchTargets = new Int32Array(B * T);
      this.batchGrad = new Float64Array(B * T);
      this.logp = new Float64Array(B * T);
    }
    let count = 0;
    for (let b = 0; b < B; b++) {
      if (this.cursor >= this.order.length) {
        this.random.shuffle(this.order);
        this.cursor = 0;
      }
      const i = this.order[this.cursor++]!;
      this.batchTokens.set(this.inputs.subarray(i * T, i * T + T), b * T);
      this.batchTargets.set(this.targets.subarray(i * T, i * T + T), b * T);
      for (let t = 0; t < T; t++) {
        this.batchGrad[b * T + t] = this.answerMask[i * T + t]!;
        count += this.answerMask[i * T + t]!;
      }
    }
    const t0 = performance.now();
    this.model.forward(this.batchTokens, B, T);
    this.model.tokenLogProbs(this.batchTargets, this.logp);
    let loss = 0;
    for (let k = 0; k < B * T; k++) {
      if (this.batchGrad[k] === 0) continue;
      loss -= this.logp[k]!;
      this.batchGrad[k] = -1 / count;
    }
    loss /= count;
    if (!Number.isFinite(loss)) throw new Error(`SFT step ${this.step}: the loss is ${loss} (${nonFiniteSource(this.model)}); lower --lr`);
    this.model.zeroGrad();
    this.model.backward(this.batchTargets, this.batchGrad);
    const bad = findNonFiniteParameter(this.model, "grads");
    if (bad) throw new Error(`SFT step ${this.step}: non-finite gradient (${bad}); lower --lr`);
    clipGlobalNorm(this.model.grads, gradClip);
    this.optimizer.lr = scheduledLr({ lr: this.config.lr, warmup: this.config.warmup, decaySteps: this.config.steps, minLr: this.config.minLr }, this.step);
    this.optimizer.update(this.model.params, this.model.grads);
    this.trainSeconds += (performance.now() - t0) / 1000;
    this.trainTokens += B * T;
    this.step++;
    return loss;
  }

  /** Trains until `steps` or the accuracy threshold; returns the held-out result. */
  train(callbacks: TextTrainCallbacks = {}): SftResult {
    const started = performance.now();
    const c = this.config;
    const validation = problemsOf(this.setup, "validation", c.evalProblems, c.seed + 1000);
    let validationAccuracy = this.validationAccuracy;
    while (this.step < c.steps) {
      const loss = this.trainStep();
      const metrics: Record<string, number> = { "train/loss": loss, "train/lr": this.optimizer.lr };
      if (this.step % c.evalEvery === 0 || this.step === c.steps) {
        const ev = evaluateGreedy(this.model, this.setup, validation);
        validationAccuracy = this.validationAccuracy = ev.accuracy;
        metrics["eval/accuracy"] = ev.accuracy;
        metrics["eval/reward_mean"] = ev.meanReward;
        callbacks.onSamples?.(this.step, ev.samples);
      }
      metrics["perf/train_tokens_per_s"] = this.trainTokens / Math.max(1e-9, this.trainSeconds);
      callbacks.onMetrics?.(this.step, metrics);
      callbacks.onProgress?.(this.step, c.steps, { loss: loss.toFixed(3), acc: Number.isNaN(validationAccuracy) ? "-" : validationAccuracy.toFixed(3) });
      if (c.stopAtAccuracy > 0 && validationAccuracy >= c.stopAtAccuracy && this.step % c.evalEvery === 0) break;
      if (this.step < c.steps) {
        this.elapsedNow = this.elapsedBefore + (performance.now() - started) / 1000;
        callbacks.checkpoint?.(this.step);
      }
    }
    const test = evaluateGreedy(this.model, this.setup, problemsOf(this.setup, "test", c.testProblems, c.seed + 2000));
    callbacks.onMetrics?.(this.step, { "eval/test_accuracy": test.accuracy });
    return {
      task: c.task,
      seed: c.seed,
      model_params: this.model.numParameters,
      sft_steps: this.step,
      accuracy_final: test.accuracy,
      validation_accuracy: validationAccuracy,
      wall_s: this.elapsedBefore + (performance.now() - started) / 1000,
      train_tokens_per_s: this.trainTokens / Math.max(1e-9, this.trainSeconds),
      sample_tokens_per_s: test.tokensPerSecond,
    };
  }

  languageModel(): LanguageModel {
    return { model: this.model, tokenizer: this.setup.tokenizer, task: this.setup.id, taskOptions: this.setup.options };
  }

  private elapsedNow = 0;

  /** The whole training state (model, AdamW, RNG, batch order, counters) with `run` (what the caller needs to go on). */
  saveCheckpoint(run: Record<string, unknown>): Uint8Array {
    const state: SftState = {
      step: this.step,
      optimizerStep: this.optimizer.step,
      random: this.random.getState(),
      order: Array.from(this.order),
      cursor: this.cursor,
      validationAccuracy: Number.isNaN(this.validationAccuracy) ? null : this.validationAccuracy,
      trainSeconds: this.trainSeconds,
      trainTokens: this.trainTokens,
      elapsed: this.elapsedNow,
    };
    return encodeTextCheckpoint(this.languageModel(), this.optimizer, { stage: "sft", state, run });
  }

  /** Continues from a checkpoint of a trainer built with the same config and the checkpoint's model (`init`). */
  loadCheckpoint(checkpoint: DecodedTextCheckpoint<SftState>): void {
    const s = checkpoint.state;
    if (checkpoint.stage !== "sft") throw new Error(`an SFT trainer cannot continue a ${checkpoint.stage} checkpoint`);
    if (s.order.length !== this.order.length) throw new Error(`the checkpoint's SFT data has ${s.order.length} examples, this config ${this.order.length}`);
    restoreOptimizer(this.optimizer, checkpoint, s.optimizerStep);
    this.step = s.step;
    this.random.setState(s.random);
    this.order.set(s.order);
    this.cursor = s.cursor;
    this.validationAccuracy = s.validationAccuracy ?? NaN;
    this.trainSeconds = s.trainSeconds;
    this.trainTokens = s.trainTokens;
    this.elapsedBefore = this.elapsedNow = s.elapsed;
  }
}
