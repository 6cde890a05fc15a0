/**
 * `tsrl serve <run|model>`: a trained language model behind an OpenAI-compatible HTTP API on
 * 127.0.0.1 — POST /v1/completions, POST /v1/chat/completions (the last user message is the
 * prompt), GET /v1/models — with per-token log-probabilities. Log-probs are those of the sampling
 * distribution (after temperature/top-k/top-p, like vLLM's processed_logprobs); greedy requests
 * (temperature 0) report the model's own log-probs at temperature 1.
 */
import type { Command } from "commander";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { sampleCompletions } from "../nn/transformer-sample.js";
import type { LanguageModel } from "../llm/model-file.js";
import { EOS_TOKEN } from "../llm/tokenizer.js";
import { Random } from "../rng/random.js";
import { integer } from "./options.js";
import { loadModel } from "./train-text.js";

const MAX_BODY_BYTES = 1 << 20;

class RequestError extends Error {}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("Serve a model trained by `tsrl train sft|grpo` through an OpenAI-compatible API (/v1/completions, /v1/chat/completions) on 127.0.0.1")
    .argument("<run|model>", "a run's id, id prefix or name (its saved model), or a model file")
    .option("--port <n>", "port to listen on (0: any free port)", integer("--port", 0, 65535), 8080)
    .option("--store <dir>", "run store to find the run in (default: $TSRL_STORE or ./tsrl-runs)")
    .action((source: string, flags: { port: number; store?: string }) => {
      const lm = loadModel(source, flags.store, { label: `tsrl serve ${source}`, newestCheckpoint: true });
      const name = source;
      const server = createServer((req, res) => {
        handle(lm, name, req, res).catch((err: unknown) => reply(res, err instanceof RequestError ? 400 : 500, { error: { message: (err as Error).message, type: err instanceof RequestError ? "invalid_request_error" : "server_error" } }));
      });
      server.on("error", (err: NodeJS.ErrnoException) => {
        console.error(`tsrl: cannot listen on 127.0.0.1:${flags.port}: ${err.code === "EADDRINUSE" ? "the port is in use (try --port 0)" : err.message}`);
        process.exit(1);
      });
      server.listen(flags.port, "127.0.0.1", () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : flags.port;
        console.log(`serving ${name} (task ${lm.task}, ${lm.model.numParameters} parameters) at http://127.0.0.1:${port}/v1`);
      });
    });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
    return body as Record<string, unknown>;
  } catch (err) {
    throw new RequestError(`the request body must be a JSON object (${(err as Error).message})`);
  }
}

function numberField(body: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !(v >= min && v <= max)) throw new RequestError(`${key} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

async function handle(lm: LanguageModel, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method === "GET" && url.pathname === "/v1/models") {
    reply(res, 200, { object: "list", data: [{ id: name, object: "model", owned_by: "tsrl", task: lm.task }] });
    return;
  }
  const chat = url.pathname === "/v1/chat/completions";
  if (req.method !== "POST" || (!chat && url.pathname !== "/v1/completions")) {
    reply(res, 404, { error: { message: `no route ${req.method} ${url.pathname}; use POST /v1/completions, POST /v1/chat/completions or GET /v1/models`, type: "invalid_request_error" } });
    return;
  }
  const body = await readJson(req);
  let prompts: string[];
  if (chat) {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) throw new RequestError("messages must be a non-empty list of {role, content}");
    const user = [...messages].reverse().find((m) => (m as { role?: unknown }).role === "user") as { content?: unknown } | undefined;
    if (!user || typeof user.content !== "string") throw new RequestError("messages need a user message with string content (the task prompt)");
    prompts = [user.content];
  } else {
    const p = body.prompt;
    prompts = typeof p === "string" ? [p] : Array.isArray(p) && p.every((x) => typeof x === "string") ? (p as string[]) : [];
    if (prompts.length === 0) throw new RequestError("prompt must be a string or a list of strings");
  }
  const n = numberField(body, "n", 1, 1, 256);
  const temperature = numberField(body, "temperature", 1, 0, 100);
  const topP = numberField(body, "top_p", 1, Number.MIN_VALUE, 1);
  const topK = numberField(body, "top_k", 0, 0, lm.tokenizer.size);
  const seed = numberField(body, "seed", Math.floor(Math.random() * 2 ** 31), 0, Number.MAX_SAFE_INTEGER);
  const maxTokens = numberField(body, "max_tokens", lm.model.config.contextLength, 1, lm.model.config.contextLength);
  const random = new Random(Math.floor(seed));
  const choices: unknown[] = [];
  let promptTokens = 0;
  let completionTokens = 0;
  for (const prompt of prompts) {
    let tokens: Int32Array;
    try {
      tokens = lm.tokenizer.encode(prompt);
    } catch (err) {
      throw new RequestError((err as Error).message);
    }
    const room = lm.model.config.contextLength - tokens.length;
    if (tokens.length === 0 || room < 1) throw new RequestError(`the prompt has ${tokens.length} tokens; it must have 1 to ${lm.model.config.contextLength - 1} (the model's context is ${lm.model.config.contextLength})`);
    const out = sampleCompletions(lm.model, Array.from({ length: n }, () => tokens), { maxNewTokens: Math.min(maxTokens, room), temperature, topK, topP, stopToken: EOS_TOKEN, random });
    const greedyLogProbs = temperature === 0 ? modelLogProbs(lm, tokens, out.completions) : null;
    out.completions.forEach((c, i) => {
      const pieces = Array.from(c, (t) => lm.tokenizer.vocabulary[t]!);
      const logprobs = greedyLogProbs ? greedyLogProbs[i]! : Array.from(out.logProbs[i]!);
      const text = lm.tokenizer.decode(c);
      const finish = out.truncated[i] ? "length" : "stop";
      promptTokens += tokens.length;
      completionTokens += c.length;
      if (chat) choices.push({ index: choices.length, message: { role: "assistant", content: text }, logprobs: { content: pieces.map((token, k) => ({ token, logprob: logprobs[k], top_logprobs: [] })) }, finish_reason: finish });
      else choices.push({ index: choices.length, text, logprobs: { tokens: pieces, token_logprobs: logprobs, top_logprobs: null, text_offset: pieces.map((_, k) => prompt.length + k) }, finish_reason: finish });
    });
  }
  reply(res, 200, {
    id: `cmpl-${Date.now().toString(36)}`,
    object: chat ? "chat.completion" : "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: name,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });
}

/** log p of each completion token under the model at temperature 1 (one forward over prompt + completion). */
function modelLogProbs(lm: LanguageModel, prompt: Int32Array, completions: Int32Array[]): number[][] {
  return completions.map((c) => {
    if (c.length === 0) return [];
    const seq = Int32Array.from([...prompt, ...c]);
    const T = seq.length - 1;
    lm.model.forward(seq, 1, T);
    const logp = lm.model.tokenLogProbs(seq.subarray(1), new Float64Array(T));
    return Array.from(logp.subarray(prompt.length - 1));
  });
}
