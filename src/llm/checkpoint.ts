/**
 * Checkpoints of `tsrl train sft` / `tsrl train grpo`: a language-model file (so a checkpoint loads
 * as its model) whose metadata also holds the trainer's state under `checkpoint` (step counters,
 * every RNG, the run's configs) and whose tensors also hold AdamW's moments and, for GRPO with
 * beta > 0, the frozen reference model. Float32 throughout, as the model and AdamW keep them, so a
 * resumed run continues bit for bit. Browser-safe.
 */
import type { AdamW } from "../nn/adamw.js";
import type { NamedTensor } from "../nn/network.js";
import { decodeTensorFile } from "../nn/serialize.js";
import type { Transformer } from "../nn/transformer.js";
import { type LanguageModel, decodeLanguageModel, encodeLanguageModel } from "./model-file.js";

export const TEXT_CHECKPOINT_VERSION = 1;

export interface TextCheckpoint<S> {
  /** "sft" or "grpo": which trainer's state `state` is */
  stage: "sft" | "grpo";
  state: S;
  /** what the whole run needs to go on (the CLI's configs of both stages); opaque here */
  run: Record<string, unknown>;
}

export function encodeTextCheckpoint<S>(lm: LanguageModel, optimizer: AdamW, checkpoint: TextCheckpoint<S>, extraTensors: readonly NamedTensor[] = []): Uint8Array {
  const n = optimizer.m.length;
  return encodeLanguageModel(lm, { checkpoint: { version: TEXT_CHECKPOINT_VERSION, ...checkpoint } }, [
    { name: "optimizer.m", shape: [n], data: optimizer.m },
    { name: "optimizer.v", shape: [n], data: optimizer.v },
    ...extraTensors,
  ]);
}

export interface DecodedTextCheckpoint<S> extends TextCheckpoint<S> {
  lm: LanguageModel;
  tensor(name: string, length: number): Float32Array;
}

/** The model, state and tensors of a checkpoint; `source` names it in errors. */
export function decodeTextCheckpoint<S>(bytes: Uint8Array, source: string): DecodedTextCheckpoint<S> {
  const lm = decodeLanguageModel(bytes, source);
  const file = decodeTensorFile(bytes, source);
  const meta = file.meta.checkpoint as (TextCheckpoint<S> & { version?: number }) | undefined;
  if (!meta || typeof meta !== "object") throw new Error(`${source} is a language model, not a checkpoint of tsrl train sft/grpo`);
  if (meta.version !== TEXT_CHECKPOINT_VERSION) throw new Error(`${source}: checkpoint version ${String(meta.version)}; this tsrl reads version ${TEXT_CHECKPOINT_VERSION}`);
  return {
    stage: meta.stage,
    state: meta.state,
    run: meta.run,
    lm,
    tensor(name, length) {
      const t = file.tensors.get(name);
      if (!t || t.data.length !== length) throw new Error(`${source}: tensor ${name} is missing or not ${length} values`);
      return t.data;
    },
  };
}

/** AdamW's moments and step from a checkpoint. */
export function restoreOptimizer(optimizer: AdamW, checkpoint: DecodedTextCheckpoint<unknown>, step: number): void {
  const n = optimizer.m.length;
  optimizer.setState({ step, m: checkpoint.tensor("optimizer.m", n), v: checkpoint.tensor("optimizer.v", n) });
}

/** A model's parameters as named tensors under `prefix` (the frozen GRPO reference). */
export function modelTensors(model: Transformer, prefix: string): NamedTensor[] {
  const params = model.params;
  return model.layout.map((e) => ({ name: prefix + e.name, shape: e.shape, data: Float32Array.from(params.subarray(e.offset, e.offset + e.length)) }));
}

export function restoreModelTensors(model: Transformer, checkpoint: DecodedTextCheckpoint<unknown>, prefix: string): void {
  const params = model.params;
  for (const e of model.layout) params.set(checkpoint.tensor(prefix + e.name, e.length), e.offset);
}
