/**
 * A client for OpenAI-compatible servers (vLLM, llama.cpp's server, SGLang, tsrl serve, OpenAI):
 * `/v1/completions` and `/v1/chat/completions` with n samples, seed, temperature, top_p, max
 * tokens and per-token log-probabilities when the server returns them; `finish_reason` kept
 * ("length" marks truncation). Retries network errors, timeouts, 408/409/429 and 5xx with
 * exponential backoff (honouring Retry-After), fails at once on other 4xx with the server's message,
 * bounds the requests in flight, and tops up when a server returns fewer than n choices.
 * Uses `fetch`, so it runs in browsers and Node alike.
 */
import type { ChatMessage } from "./env.js";

export interface SamplingParams {
  /** completions per prompt (default 1) */
  n?: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  /** seed of the first request; a top-up request for missing choices uses seed + choices so far */
  seed?: number;
  stop?: string[];
  /** ask for token log-probabilities (completions: `logprobs: 1`; chat: `logprobs: true`) */
  logprobs?: boolean;
}

export interface Completion {
  text: string;
  /** "stop", "length" (truncated at maxTokens), ... as the server says; null when it says nothing */
  finishReason: string | null;
  /** sampled tokens and their log-probabilities, when the server returned them */
  tokens?: string[];
  tokenLogprobs?: number[];
}

export interface OpenAIClientOptions {
  /** e.g. "http://127.0.0.1:8080/v1" (a trailing "/v1" is added when missing) */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** per request (default 120 s) */
  timeoutMs?: number;
  /** retries after the first attempt (default 4) */
  maxRetries?: number;
  /** first backoff in ms, doubled each retry (default 500) */
  backoffMs?: number;
  /** requests in flight at most (default 4) */
  concurrency?: number;
  /** replaces the global fetch (tests, proxies) */
  fetch?: typeof fetch;
}

export class OpenAIError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** worth another attempt (network errors, timeouts, 408/409/429/5xx, malformed replies) */
    readonly retryable = false,
  ) {
    super(message);
  }
}

const RETRY_STATUS = new Set([408, 409, 429, 500, 502, 503, 504]);

export class OpenAIClient {
  readonly baseUrl: string;
  readonly model: string;
  private readonly options: Required<Omit<OpenAIClientOptions, "apiKey" | "fetch" | "baseUrl" | "model">> & Pick<OpenAIClientOptions, "apiKey">;
  private readonly fetchImpl: typeof fetch;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: OpenAIClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new OpenAIError(`not a URL: ${JSON.stringify(options.baseUrl)} (expected e.g. http://127.0.0.1:8080/v1)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new OpenAIError(`the server URL must be http(s), got ${options.baseUrl}`);
    const path = url.pathname.replace(/\/+$/, "");
    this.baseUrl = `${url.origin}${path.endsWith("/v1") ? path : `${path}/v1`}`;
    if (!options.model) throw new OpenAIError("a model name is required (the server's model id; see GET /v1/models)");
    this.model = options.model;
    this.options = {
      timeoutMs: options.timeoutMs ?? 120_000,
      maxRetries: options.maxRetries ?? 4,
      backoffMs: options.backoffMs ?? 500,
      concurrency: options.concurrency ?? 4,
      apiKey: options.apiKey,
    };
    if (!(Number.isInteger(this.options.concurrency) && this.options.concurrency >= 1)) throw new OpenAIError(`concurrency must be an integer >= 1, got ${this.options.concurrency}`);
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** n completions of a text prompt (`/v1/completions`). */
  complete(prompt: string, params: SamplingParams = {}, signal?: AbortSignal): Promise<Completion[]> {
    return this.sampleAll("completions", { prompt }, params, signal);
  }

  /** n replies to a conversation (`/v1/chat/completions`). */
  chat(messages: ChatMessage[], params: SamplingParams = {}, signal?: AbortSignal): Promise<Completion[]> {
    return this.sampleAll("chat/completions", { messages }, params, signal);
  }

  private async sampleAll(endpoint: "completions" | "chat/completions", input: Record<string, unknown>, params: SamplingParams, signal?: AbortSignal): Promise<Completion[]> {
    const n = params.n ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new OpenAIError(`n must be an integer >= 1, got ${n}`);
    const out: Completion[] = [];
    // some servers (llama.cpp's chat endpoint among them) return one choice whatever n is
    for (let round = 0; out.length < n; round++) {
      const missing = n - out.length;
      const seed = params.seed === undefined ? undefined : params.seed + out.length;
      const got = await this.request(endpoint, { ...input, ...this.body(endpoint, params, missing, seed) }, signal);
      if (got.length === 0) throw new OpenAIError(`${endpoint}: the server returned no choices`);
      out.push(...got.slice(0, missing));
      if (round > n) throw new OpenAIError(`${endpoint}: the server keeps returning fewer choices than asked`);
    }
    return out;
  }

  private body(endpoint: string, p: SamplingParams, n: number, seed: number | undefined): Record<string, unknown> {
    const body: Record<string, unknown> = { model: this.model, n };
    if (p.temperature !== undefined) body.temperature = p.temperature;
    if (p.topP !== undefined) body.top_p = p.topP;
    if (p.maxTokens !== undefined) body.max_tokens = p.maxTokens;
    if (seed !== undefined) body.seed = seed;
    if (p.stop?.length) body.stop = p.stop;
    if (p.logprobs) body.logprobs = endpoint === "completions" ? 1 : true;
    return body;
  }

  private async request(endpoint: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Completion[]> {
    const url = `${this.baseUrl}/${endpoint}`;
    let lastError: OpenAIError | null = null;
    for (let attempt = 0; attempt <= this.options.maxRetries; attempt++) {
      if (signal?.aborted) throw new OpenAIError("aborted");
      let retryAfterMs = 0;
      await this.acquire();
      try {
        const timeout = AbortSignal.timeout(this.options.timeoutMs);
        const response = await this.fetchImpl(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
          body: JSON.stringify(body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const text = await response.text();
        if (!response.ok) {
          const message = `${url}: HTTP ${response.status} ${serverMessage(text)}`;
          if (!RETRY_STATUS.has(response.status)) throw new OpenAIError(message, response.status);
          lastError = new OpenAIError(message, response.status, true);
          retryAfterMs = Number(response.headers.get("retry-after")) * 1000 || 0;
        } else {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            throw new OpenAIError(`${url}: the server's reply is not JSON: ${JSON.stringify(text.slice(0, 200))}`, undefined, true);
          }
          return parseChoices(url, endpoint, json);
        }
      } catch (err) {
        if (signal?.aborted) throw new OpenAIError("aborted");
        if (err instanceof OpenAIError && !err.retryable) throw err;
        lastError =
          err instanceof OpenAIError
            ? err
            : new OpenAIError((err as Error)?.name === "TimeoutError" ? `${url}: no reply within ${this.options.timeoutMs} ms` : `${url}: ${(err as Error)?.message ?? String(err)}${causeOf(err)}`, undefined, true);
      } finally {
        this.release();
      }
      if (attempt < this.options.maxRetries) await sleep(Math.max(retryAfterMs, this.options.backoffMs * 2 ** attempt), signal);
    }
    throw new OpenAIError(`${lastError?.message ?? url} (gave up after ${this.options.maxRetries + 1} attempts)`, lastError?.status);
  }

  private acquire(): Promise<void> {
    if (this.active < this.options.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause ? ` (${cause.code ?? cause.message ?? ""})` : "";
}

function serverMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const e = json.error;
    return (typeof e === "string" ? e : e?.message) ?? json.message ?? text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

interface RawChoice {
  index?: number;
  text?: string;
  message?: { content?: string | null };
  finish_reason?: string | null;
  logprobs?: {
    tokens?: string[];
    token_logprobs?: (number | null)[];
    content?: { token: string; logprob: number }[] | null;
  } | null;
}

function parseChoices(url: string, endpoint: string, json: unknown): Completion[] {
  const choices = (json as { choices?: unknown })?.choices;
  if (!Array.isArray(choices)) throw new OpenAIError(`${url}: the reply has no "choices" array: ${JSON.stringify(json).slice(0, 200)}`, undefined, true);
  return (choices as RawChoice[])
    .slice()
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .map((c) => {
      const text = endpoint === "completions" ? c.text : c.message?.content;
      if (typeof text !== "string") throw new OpenAIError(`${url}: a choice has no ${endpoint === "completions" ? '"text"' : '"message.content"'}: ${JSON.stringify(c).slice(0, 200)}`, undefined, true);
      const out: Completion = { text, finishReason: c.finish_reason ?? null };
      const lp = c.logprobs;
      if (lp?.tokens && lp.token_logprobs) {
        out.tokens = lp.tokens;
        out.tokenLogprobs = lp.token_logprobs.map((v) => (v === null ? Number.NaN : v));
      } else if (lp?.content) {
        out.tokens = lp.content.map((t) => t.token);
        out.tokenLogprobs = lp.content.map((t) => t.logprob);
      }
      return out;
    });
}
