/** The OpenAI-compatible client and `tsrl eval` against a small real HTTP server on 127.0.0.1. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { OpenAIClient, passAtK, summarizeEval, type ScoredSample } from "../src/text/index.js";

interface Seen {
  path: string;
  body: Record<string, unknown>;
}

/**
 * Models: "coin" answers an addition prompt correctly for choice i when (seed + i) is even;
 * "slow" is "coin" after 150 ms; "flaky" fails twice with 503 then acts as "coin"; "bad" is a
 * 400; "garbled" replies 200 with broken JSON; "hang" replies after 2 s; chat returns one choice
 * whatever n is; "swe-nothing" replies a well-tagged solution with no edit.
 */
function startServer(): Promise<{ server: Server; url: string; seen: Seen[]; inflight: { now: number; max: number } }> {
  const seen: Seen[] = [];
  const inflight = { now: 0, max: 0 };
  let flakyFailures = 0;
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", async () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      const counted = body.model === "slow";
      if (counted) inflight.now++;
      inflight.max = Math.max(inflight.max, inflight.now);
      try {
        seen.push({ path: req.url ?? "", body });
        const model = body.model as string;
        if (model === "slow") await new Promise((r) => setTimeout(r, 150));
        if (model === "hang") await new Promise((r) => setTimeout(r, 2000));
        if (model === "bad") return send(res, 400, JSON.stringify({ error: { message: "model 'bad' does not exist" } }));
        if (model === "garbled") return send(res, 200, '{"choices": [');
        if (model === "flaky" && flakyFailures++ < 2) return send(res, 503, "overloaded");
        const chat = req.url === "/v1/chat/completions";
        const prompt = chat ? ((body.messages as { content: string }[]).at(-1)!.content) : (body.prompt as string);
        const n = chat ? 1 : ((body.n as number) ?? 1);
        const seed = (body.seed as number) ?? 0;
        const maxTokens = (body.max_tokens as number) ?? 1000;
        const m = /^(\d+)\+(\d+)=$/.exec(prompt);
        const choices = Array.from({ length: n }, (_, i) => {
          let text = "none";
          if (model === "swe-nothing") text = "<think>\nlooked\n</think>\n<solution>\nno edit\n</solution>";
          else if (m) {
            const sum = String(Number(m[1]) + Number(m[2])).padStart(m[1]!.length + 1, "0");
            text = (seed + i) % 2 === 0 ? sum : sum.replace(/.$/, (d) => String((Number(d) + 1) % 10));
          }
          const cut = text.slice(0, maxTokens);
          const logprobs = body.logprobs ? (chat ? { content: [...cut].map((t) => ({ token: t, logprob: -0.25 })) } : { tokens: [...cut], token_logprobs: [...cut].map(() => -0.25) }) : null;
          return { index: i, ...(chat ? { message: { role: "assistant", content: cut } } : { text: cut }), finish_reason: cut.length < text.length ? "length" : "stop", logprobs };
        }).reverse();
        send(res, 200, JSON.stringify({ id: "x", object: chat ? "chat.completion" : "text_completion", model, choices }));
      } finally {
        if (counted) inflight.now--;
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, seen, inflight })));
}

function send(res: import("node:http").ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
}

let fixture: Awaited<ReturnType<typeof startServer>>;
const store = mkdtempSync(join(tmpdir(), "tsrl-eval-"));
before(async () => {
  fixture = await startServer();
});
after(() => {
  fixture.server.close();
  rmSync(store, { recursive: true, force: true });
});

const client = (model: string, extra: Partial<ConstructorParameters<typeof OpenAIClient>[0]> = {}) => new OpenAIClient({ baseUrl: fixture.url, model, backoffMs: 5, ...extra });

test("completions: n samples in index order, seed, logprobs, finish_reason", async () => {
  const out = await client("coin").complete("123+456=", { n: 4, seed: 10, temperature: 1, maxTokens: 8, logprobs: true });
  assert.deepEqual(out.map((c) => c.text), ["0579", "0570", "0579", "0570"]);
  assert.deepEqual(out.map((c) => c.finishReason), ["stop", "stop", "stop", "stop"]);
  assert.deepEqual(out[0]!.tokens, ["0", "5", "7", "9"]);
  assert.deepEqual(out[0]!.tokenLogprobs, [-0.25, -0.25, -0.25, -0.25]);
  const last = fixture.seen.at(-1)!;
  assert.equal(last.path, "/v1/completions");
  assert.deepEqual(last.body, { model: "coin", n: 4, temperature: 1, max_tokens: 8, seed: 10, logprobs: 1, prompt: "123+456=" });
  const cut = await client("coin").complete("123+456=", { maxTokens: 2 });
  assert.deepEqual([cut[0]!.text, cut[0]!.finishReason], ["05", "length"]);
});

test("chat: a server that ignores n is topped up with the following seeds", async () => {
  const before = fixture.seen.length;
  const out = await client("coin").chat([{ role: "user", content: "1+2=" }], { n: 3, seed: 5, logprobs: true });
  assert.deepEqual(out.map((c) => c.text), ["04", "03", "04"]);
  assert.deepEqual(out[0]!.tokens, ["0", "4"]);
  const requests = fixture.seen.slice(before);
  assert.deepEqual(requests.map((r) => [r.path, r.body.n, r.body.seed, r.body.logprobs]), [
    ["/v1/chat/completions", 3, 5, true],
    ["/v1/chat/completions", 2, 6, true],
    ["/v1/chat/completions", 1, 7, true],
  ]);
});

test("retries 5xx with backoff, fails at once on 4xx with the server's message", async () => {
  let before = fixture.seen.length;
  const out = await client("flaky").complete("1+1=");
  assert.equal(out[0]!.text, "02");
  assert.equal(fixture.seen.length - before, 3, "two 503s then success");
  before = fixture.seen.length;
  await assert.rejects(client("bad").complete("1+1="), /HTTP 400 model 'bad' does not exist/);
  assert.equal(fixture.seen.length - before, 1, "a 400 is not retried");
  before = fixture.seen.length;
  await assert.rejects(client("garbled", { maxRetries: 1 }).complete("1+1="), /reply is not JSON: .*gave up after 2 attempts/);
  assert.equal(fixture.seen.length - before, 2);
  await assert.rejects(client("hang", { timeoutMs: 100, maxRetries: 0 }).complete("1+1="), /no reply within 100 ms/);
  await assert.rejects(new OpenAIClient({ baseUrl: "http://127.0.0.1:9/v1", model: "m", maxRetries: 1, backoffMs: 1 }).complete("x"), /127\.0\.0\.1:9\/v1\/completions: fetch failed.*gave up after 2 attempts/);
  assert.throws(() => new OpenAIClient({ baseUrl: "localhost:8080", model: "m" }), /must be http\(s\)|not a URL/);
  assert.throws(() => new OpenAIClient({ baseUrl: "http://127.0.0.1:1", model: "" }), /a model name is required/);
  assert.equal(new OpenAIClient({ baseUrl: "http://127.0.0.1:1/", model: "m" }).baseUrl, "http://127.0.0.1:1/v1");
});

test("bounded concurrency", async () => {
  fixture.inflight.max = 0;
  const c = client("slow", { concurrency: 3 });
  await Promise.all(Array.from({ length: 9 }, (_, i) => c.complete(`${i}+1=`)));
  assert.equal(fixture.inflight.max, 3);
});

test("unbiased pass@k and bootstrap summaries", () => {
  const choose = (n: number, k: number): number => (k < 0 || k > n ? 0 : k === 0 ? 1 : (choose(n - 1, k - 1) * n) / k);
  for (const [n, c, k] of [[10, 3, 1], [10, 3, 5], [16, 0, 4], [16, 15, 2], [5, 5, 5], [20, 7, 13]] as const) {
    assert.ok(Math.abs(passAtK(n, c, k) - (1 - choose(n - c, k) / choose(n, k))) < 1e-12, `${n} ${c} ${k}`);
  }
  assert.equal(passAtK(4, 1, 1), 0.25);
  assert.throws(() => passAtK(4, 1, 5), /1 <= k <= n/);
  const samples: ScoredSample[] = [];
  for (let p = 0; p < 30; p++) for (let s = 0; s < 4; s++) samples.push({ problem: p, sample: s, text: "", reward: p % 3 === 0 && s < 2 ? 1 : 0.1, correct: p % 3 === 0 && s < 2, wellFormed: true, finishReason: s === 3 ? "length" : "stop" });
  const summary = summarizeEval(samples, { reps: 2000, seed: 1 });
  assert.equal(summary.problems, 30);
  assert.ok(Math.abs(summary.accuracy.estimate - 10 / 60) < 1e-12);
  assert.ok(Math.abs(summary.passAtK["1"]!.estimate - 10 / 60) < 1e-12);
  assert.ok(Math.abs(summary.passAtK["4"]!.estimate - 1 / 3) < 1e-12);
  assert.ok(Math.abs(summary.passAtK["2"]!.estimate - (1 / 3) * (1 - 1 / 6)) < 1e-12);
  assert.equal(summary.truncated, 0.25);
  for (const iv of [summary.accuracy, summary.meanReward, summary.passAtK["4"]!]) assert.ok(iv.lower < iv.estimate && iv.estimate < iv.upper, JSON.stringify(iv));
  assert.deepEqual(summarizeEval(samples, { reps: 2000, seed: 1 }), summary, "seeded");
});

function runCli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

test("tsrl eval: a tracked evaluation with pass@k and CIs", async () => {
  const r = await runCli(["eval", "--task", "addition", "--option", "digits=3", "--policy", `openai:${fixture.url}`, "--model", "coin", "--samples", "4", "--problems", "20", "--store", store, "--name", "coin-eval", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.problems, 20);
  assert.equal(out.samplesPerProblem, 4);
  assert.equal(out.accuracy.estimate, 0.5, "choices 0 and 2 of seed 0 are right");
  assert.equal(out.passAtK["1"].estimate, 0.5);
  assert.equal(out.passAtK["4"].estimate, 1);
  assert.ok(Math.abs(out.meanReward.estimate - 0.55) < 1e-12, "0.5·1 + 0.5·0.1");
  assert.equal(out.interrupted, false);
  assert.equal(readFileSync(out.samples_file, "utf8").trim().split("\n").length, 80);
  const list = await runCli(["runs", "show", "coin-eval", "--store", store, "--json"]);
  assert.equal(list.status, 0, list.stderr);
  const shown = JSON.parse(list.stdout) as { algo: string; status: string; metric_keys: string[]; episode_rows: number; summary: { accuracy: { estimate: number } } };
  assert.equal(shown.algo, "eval");
  assert.equal(shown.status, "finished");
  assert.equal(shown.episode_rows, 80, "one episode row per scored sample");
  assert.ok(shown.metric_keys.includes("eval/pass@4_lower"));
  assert.equal(shown.summary.accuracy.estimate, 0.5);
});

test("tsrl eval: Ctrl-C keeps the samples already scored", async () => {
  let sent = false;
  const r = await runCli(["eval", "--task", "addition", "--policy", `openai:${fixture.url}`, "--model", "slow", "--samples", "2", "--problems", "200", "--concurrency", "1", "--store", store, "--name", "interrupted", "--json"], (text, child) => {
    if (!sent && text.includes("problems of addition")) {
      sent = true;
      setTimeout(() => child.kill("SIGINT"), 700);
    }
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.interrupted, true);
  assert.ok(out.scored_samples >= 2 && out.scored_samples < 400, String(out.scored_samples));
  assert.equal(out.scored_samples % 2, 0, "whole problems only");
  assert.equal(readFileSync(out.samples_file, "utf8").trim().split("\n").length, out.scored_samples);
});

test("tsrl eval --task swe:FILE scores with the SWE-RL reward", async () => {
  const file = join(store, "swe.jsonl");
  const record = { id: "r1", message: "Fix add", codeContext: { "a.py": "x = 1\n" }, oracleNewContent: { "a.py": "x = 2\n" }, split: "test" };
  writeFileSync(file, `${JSON.stringify(record)}\n${JSON.stringify({ ...record, id: "r2" })}\n`);
  const r = await runCli(["eval", "--task", `swe:${file}`, "--policy", `openai:${fixture.url}`, "--model", "swe-nothing", "--chat", "--samples", "2", "--store", store, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.problems, 2);
  assert.equal(out.meanReward.estimate, -1, "a solution without SEARCH/REPLACE blocks is a format error");
  const messages = fixture.seen.at(-1)!.body.messages as { role: string; content: string }[];
  assert.deepEqual(messages.map((m) => m.role), ["system", "user"]);
  assert.match(messages[1]!.content, /Fix add[\s\S]*### a\.py\nx = 1/);
});

test("tsrl eval: clear errors", async () => {
  const bad = await runCli(["eval", "--task", "additon", "--policy", `openai:${fixture.url}`, "--model", "coin", "--store", store]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no text task "additon".*did you mean addition/);
  const policy = await runCli(["eval", "--task", "addition", "--policy", "http://x", "--model", "coin", "--store", store]);
  assert.match(policy.stderr, /--policy must be openai:<server URL>/);
  const server = await runCli(["eval", "--task", "addition", "--policy", `openai:${fixture.url}`, "--model", "bad", "--store", store, "--quiet"]);
  assert.equal(server.status, 1);
  assert.match(server.stderr, /HTTP 400 model 'bad' does not exist \(run \w+ marked failed; 0 scored samples kept/);
  assert.doesNotMatch(server.stderr, /at .*\.ts:\d+/, "no stack trace");
});
