/**
 * A trained language model as bytes: the tsrl tensor file (src/nn/serialize.ts) with the model's
 * config, tokenizer vocabulary and task in its metadata and one float32 tensor per parameter.
 * Browser-safe.
 */
import type { NamedTensor } from "../nn/network.js";
import { decodeTensorFile, encodeTensorFile } from "../nn/serialize.js";
import { Transformer, type TransformerConfig } from "../nn/transformer.js";
import { CharTokenizer } from "./tokenizer.js";

export const LM_FORMAT = "tsrl-lm";
export const LM_FORMAT_VERSION = 1;

export interface LanguageModel {
  model: Transformer;
  tokenizer: CharTokenizer;
  /** the task (and its options) the model was trained on */
  task: string;
  taskOptions: Record<string, unknown>;
  /** GRPO: a few of the training rollouts every evaluation (the run store keeps them with each checkpoint and the final model) */
  rolloutSamples?: RolloutSample[];
}

/** One sampled completion of a GRPO step, as text, with its reward. */
export interface RolloutSample {
  step: number;
  prompt: string;
  completion: string;
  reward: number;
}

/** `extra` joins the metadata and `extraTensors` the parameters (a checkpoint's optimizer moments); a checkpoint therefore loads as its model too. */
export function encodeLanguageModel(lm: LanguageModel, extra: Record<string, unknown> = {}, extraTensors: readonly NamedTensor[] = []): Uint8Array {
  const { model } = lm;
  const params = model.params;
  const tensors = model.layout.map((e) => ({ name: e.name, shape: e.shape, data: Float32Array.from(params.subarray(e.offset, e.offset + e.length)) }));
  const rollouts = lm.rolloutSamples?.length ? { rolloutSamples: lm.rolloutSamples } : {};
  return encodeTensorFile({ ...extra, ...rollouts, format: LM_FORMAT, formatVersion: LM_FORMAT_VERSION, config: model.config, vocabulary: lm.tokenizer.vocabulary, task: lm.task, taskOptions: lm.taskOptions }, [...tensors, ...extraTensors]);
}

export function decodeLanguageModel(bytes: Uint8Array, source = "model file"): LanguageModel {
  const file = decodeTensorFile(bytes);
  const meta = file.meta;
  if (meta.format !== LM_FORMAT) throw new Error(`${source} is not a tsrl language model (format ${JSON.stringify(meta.format ?? meta.kind ?? "unknown")}); pass a run of \`tsrl train sft\` or \`tsrl train grpo\`, or its model file`);
  if (meta.formatVersion !== LM_FORMAT_VERSION) throw new Error(`${source} has language-model format version ${String(meta.formatVersion)}; this tsrl reads version ${LM_FORMAT_VERSION}`);
  const config = meta.config as TransformerConfig;
  const tokenizer = CharTokenizer.fromVocabulary(meta.vocabulary as string[]);
  if (tokenizer.size !== config.vocabSize) throw new Error(`${source}: vocabulary of ${tokenizer.size} tokens but the model has ${config.vocabSize}`);
  const model = new Transformer(config);
  const params = model.params;
  for (const e of model.layout) {
    const t = file.tensors.get(e.name);
    if (!t || t.data.length !== e.length) throw new Error(`${source}: tensor ${e.name} is missing or not ${e.length} values`);
    const bad = t.data.findIndex((x) => !Number.isFinite(x));
    // a diverged model would only fail later, as NaN logits
    if (bad >= 0) throw new Error(`${source}: parameter ${e.name}[${bad}] is ${t.data[bad]}; the model diverged (train it again with a lower --lr)`);
    params.set(t.data, e.offset);
  }
  const rollouts = Array.isArray(meta.rolloutSamples) ? { rolloutSamples: meta.rolloutSamples as RolloutSample[] } : {};
  return { model, tokenizer, task: meta.task as string, taskOptions: (meta.taskOptions ?? {}) as Record<string, unknown>, ...rollouts };
}
