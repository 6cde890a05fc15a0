/** `tsrl sample <run|model> --prompt TEXT`: completions from a trained language model (KV cache, seeded). */
import type { Command } from "commander";
import { Random } from "../rng/random.js";
import { sampleCompletions } from "../nn/transformer-sample.js";
import { EOS_TOKEN } from "../llm/tokenizer.js";
import { TextConfigError } from "../llm/trainers.js";
import { integer } from "./options.js";
import { loadModel } from "./train-text.js";

interface SampleFlags {
  prompt: string[];
  n: number;
  temperature: string;
  topK: number;
  topP: string;
  seed: number;
  maxNewTokens?: number;
  store?: string;
  json?: boolean;
}

export function registerSample(program: Command): void {
  program
    .command("sample")
    .description("Complete prompts with a language model trained by `tsrl train sft|grpo`")
    .argument("<run|model>", "a run's id, id prefix or name (its saved model), or a model file")
    .requiredOption("-p, --prompt <text...>", "one or more prompts, e.g. 1234+5678=")
    .option("-n <count>", "completions per prompt", integer("-n", 1, 1024), 1)
    .option("-t, --temperature <x>", "sampling temperature; 0 = greedy", "0")
    .option("--top-k <k>", "keep the k most likely tokens (0: all)", integer("--top-k", 0), 0)
    .option("--top-p <p>", "nucleus sampling mass (1: all)", "1")
    .option("-s, --seed <n>", "seed of the sampling stream", integer("--seed", 0), 0)
    .option("--max-new-tokens <n>", "new tokens per completion (default: what the context leaves)", integer("--max-new-tokens", 1))
    .option("--store <dir>", "run store to find the run in (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--json", "one JSON line per prompt: {prompt, completions: [{text, tokens, logprobs, finish_reason}]}")
    .action((source: string, flags: SampleFlags) => sampleCommand(source, flags));
}

function sampleCommand(source: string, flags: SampleFlags): void {
  const temperature = Number(flags.temperature);
  const topP = Number(flags.topP);
  if (!(temperature >= 0)) throw new TextConfigError(`--temperature must be a number >= 0, got "${flags.temperature}"`);
  if (!(topP > 0 && topP <= 1)) throw new TextConfigError(`--top-p must be in (0, 1], got "${flags.topP}"`);
  const lm = loadModel(source, flags.store, { label: `tsrl sample ${source}`, newestCheckpoint: true });
  const random = new Random(flags.seed);
  for (const prompt of flags.prompt) {
    let tokens: Int32Array;
    try {
      tokens = lm.tokenizer.encode(prompt);
    } catch (err) {
      throw new TextConfigError(`prompt ${JSON.stringify(prompt)}: ${(err as Error).message}`);
    }
    if (tokens.length === 0) throw new TextConfigError("an empty prompt has nothing to continue");
    const room = lm.model.config.contextLength - tokens.length;
    if (room < 1) throw new TextConfigError(`prompt ${JSON.stringify(prompt)} has ${tokens.length} tokens; the model's context is ${lm.model.config.contextLength}`);
    const maxNewTokens = Math.min(flags.maxNewTokens ?? room, room);
    const out = sampleCompletions(lm.model, Array.from({ length: flags.n }, () => tokens), { maxNewTokens, temperature, topK: flags.topK, topP, stopToken: EOS_TOKEN, random });
    const completions = out.completions.map((c, i) => ({
      text: lm.tokenizer.decode(c),
      tokens: Array.from(c, (t) => lm.tokenizer.vocabulary[t]!),
      logprobs: temperature > 0 ? Array.from(out.logProbs[i]!) : null,
      finish_reason: out.truncated[i] ? "length" : "stop",
    }));
    if (flags.json) {
      console.log(JSON.stringify({ prompt, completions }));
      continue;
    }
    for (const c of completions) console.log(`${prompt}${c.text}${c.finish_reason === "length" ? "  (length limit)" : ""}`);
  }
}
