/** SFT and GRPO trainers on text tasks (micro model so the tests stay quick), the model file, and the CLI's sft/grpo commands. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GRPO_DEFAULTS, GrpoTrainer } from "../src/llm/grpo.js";
import { decodeLanguageModel, encodeLanguageModel } from "../src/llm/model-file.js";
import { SFT_DEFAULTS, SftTrainer } from "../src/llm/sft.js";
import { CharTokenizer } from "../src/llm/tokenizer.js";
import { GRPO_SPEC, resolveTextConfig } from "../src/llm/trainers.js";
import { encodeTensorFile } from "../src/nn/serialize.js";

const sftConfig = { ...SFT_DEFAULTS, model: "micro", taskOptions: { digits: 2 }, examples: 200, batchSize: 16, evalProblems: 50, testProblems: 50, evalEvery: 50 };

test("the addition tokenizer has the documented 14-token vocabulary and round-trips text", () => {
  const tok = CharTokenizer.forTask("addition");
  assert.equal(tok.size, 14);
  assert.deepEqual(tok.vocabulary, ["<pad>", "<eos>", ..."0123456789+="]);
  assert.equal(tok.decode(tok.encode("0123+4567=")), "0123+4567=");
  assert.equal(tok.decode([2, 3, 1, 4]), "01");
  assert.throws(() => tok.encode("12a"), /"a" is not in the tokenizer's vocabulary/);
});

test("SFT lowers the answer-token loss and is deterministic for a seed", () => {
  const a = new SftTrainer({ ...sftConfig, steps: 120 });
  const losses: number[] = [];
  for (let i = 0; i < 120; i++) losses.push(a.trainStep());
  const first = losses.slice(0, 10).reduce((x, y) => x + y) / 10;
  const last = losses.slice(-10).reduce((x, y) => x + y) / 10;
  assert.ok(last < first - 0.3, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
  const b = new SftTrainer({ ...sftConfig, steps: 120 });
  for (let i = 0; i < 120; i++) b.trainStep();
  assert.deepEqual(a.model.params, b.model.params);
});

test("a saved model loads with the same parameters, config and vocabulary; other files are refused", () => {
  const sft = new SftTrainer({ ...sftConfig, steps: 5 });
  for (let i = 0; i < 5; i++) sft.trainStep();
  const loaded = decodeLanguageModel(encodeLanguageModel(sft.languageModel()));
  assert.deepEqual(loaded.model.config, sft.model.config);
  assert.deepEqual(loaded.model.params, sft.model.params);
  assert.deepEqual(loaded.tokenizer.vocabulary, sft.setup.tokenizer.vocabulary);
  assert.deepEqual(loaded.taskOptions, { digits: 2, reversed: true });
  assert.throws(() => decodeLanguageModel(encodeTensorFile({ kind: "policy" }, [])), /not a tsrl language model/);
});

test("GRPO steps log the issue's metrics, are deterministic, and refuse bad setups", () => {
  const sft = new SftTrainer({ ...sftConfig, steps: 40 });
  for (let i = 0; i < 40; i++) sft.trainStep();
  const bytes = encodeLanguageModel(sft.languageModel());
  const config = { ...GRPO_DEFAULTS, promptsPerStep: 4, groupSize: 4, beta: 0.04, numIterations: 2, dynamicSampling: true, overlongCache: 2, testProblems: 20 };
  const run = () => {
    const trainer = new GrpoTrainer(config, decodeLanguageModel(bytes));
    const metrics = [trainer.trainStep(), trainer.trainStep()];
    return { metrics, params: trainer.model.params };
  };
  const a = run();
  const b = run();
  assert.deepEqual(a.params, b.params);
  assert.deepEqual(a.metrics, b.metrics);
  for (const key of ["rollout/reward_mean", "rollout/frac_reward_zero_std", "completions/mean_length", "completions/clipped_ratio", "train/entropy", "train/kl", "train/clip_ratio/low_mean", "train/clip_ratio/high_mean"]) {
    assert.ok(a.metrics.some((m) => Number.isFinite(m[key])), `metric ${key} missing`);
  }
  assert.throws(() => new GrpoTrainer({ ...config, groupSize: 1 }, decodeLanguageModel(bytes)), /group size of at least 2/);
  assert.throws(() => new GrpoTrainer({ ...config, task: "multiplication" }, decodeLanguageModel(bytes)), /vocabulary/);
  assert.throws(() => new GrpoTrainer({ ...config, taskOptions: { digits: 4 } }, decodeLanguageModel(bytes)), /needs a context of 16 tokens/);
  assert.throws(() => resolveTextConfig(GRPO_SPEC, { lossType: "dapo" }), /unknown field lossType/);
  assert.throws(() => resolveTextConfig(GRPO_SPEC, { loss: "ppo" }), /--loss: must be one of grpo, bnpo, dr_grpo, dapo/);
});

test("GRPO logs completion lengths split by correctness, consistent with the overall mean", () => {
  // a task whose answers vary in length (filler before the answer), so the split has something to show
  const taskOptions = { digits: 2, fillerMax: 3 };
  const sft = new SftTrainer({ ...sftConfig, taskOptions, steps: 150 });
  for (let i = 0; i < 150; i++) sft.trainStep();
  const trainer = new GrpoTrainer({ ...GRPO_DEFAULTS, taskOptions, promptsPerStep: 8, groupSize: 4, testProblems: 20 }, decodeLanguageModel(encodeLanguageModel(sft.languageModel())));
  let both = 0;
  for (let step = 0; step < 6; step++) {
    const m = trainer.trainStep();
    const accuracy = m["rollout/accuracy"]!;
    const correct = m["completions/mean_length_correct"];
    const incorrect = m["completions/mean_length_incorrect"];
    assert.equal(correct === undefined, accuracy === 0, "the correct side is logged exactly when some completion is correct");
    assert.equal(incorrect === undefined, accuracy === 1);
    const recombined = (correct ?? 0) * accuracy + (incorrect ?? 0) * (1 - accuracy);
    assert.ok(Math.abs(recombined - m["completions/mean_length"]!) < 1e-9, `${recombined} vs ${m["completions/mean_length"]}`);
    if (correct !== undefined && incorrect !== undefined) both++;
  }
  assert.ok(both > 0, "some step had correct and incorrect completions");
});

test("tsrl train sft / grpo --json end stdout with the issue's result line", () => {
  const store = mkdtempSync(join(tmpdir(), "tsrl-lm-"));
  try {
    const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args, "--store", store], { encoding: "utf8" });
    const sft = cli("train", "sft", "--model", "micro", "--steps", "30", "--eval-every", "15", "--eval-problems", "20", "--test-problems", "20", "--name", "base", "--json");
    assert.equal(sft.status, 0, sft.stderr);
    const sftLine = JSON.parse(sft.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sftLine), ["task", "seed", "model_params", "sft_steps", "accuracy_final", "wall_s", "train_tokens_per_s", "sample_tokens_per_s"]);
    assert.equal(sftLine.sft_steps, 30);
    const grpo = cli("train", "grpo", "--init", "base", "--steps", "2", "--prompts-per-step", "4", "--eval-every", "2", "--test-problems", "20", "--json");
    assert.equal(grpo.status, 0, grpo.stderr);
    const line = JSON.parse(grpo.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line), ["task", "seed", "model_params", "sft_steps", "steps", "accuracy_start", "accuracy_final", "wall_s", "train_tokens_per_s", "sample_tokens_per_s"]);
    assert.equal(line.steps, 2);
    const sample = cli("sample", "base", "-p", "0012+0034=", "-n", "2", "-t", "1", "--json");
    assert.equal(sample.status, 0, sample.stderr);
    const sampled = JSON.parse(sample.stdout.trim()) as { prompt: string; completions: { text: string; tokens: string[]; logprobs: number[]; finish_reason: string }[] };
    assert.equal(sampled.completions.length, 2);
    for (const c of sampled.completions) {
      assert.equal(c.tokens.length, c.logprobs.length);
      assert.ok(["stop", "length"].includes(c.finish_reason));
    }
    const tooLong = cli("sample", "base", "-p", "0012+0034=000000");
    assert.equal(tooLong.status, 1);
    assert.match(tooLong.stderr, /context is 16/);
    const missing = cli("train", "grpo", "--init", "no-such-run");
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no-such-run/);
    assert.doesNotMatch(missing.stderr, /at .*\.ts:\d+/);
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
});

test("tsrl serve answers /v1/completions and /v1/chat/completions with log-probs", async () => {
  const store = mkdtempSync(join(tmpdir(), "tsrl-serve-"));
  const server = { child: null as ReturnType<typeof spawn> | null };
  try {
    const sft = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "sft", "--model", "micro", "--steps", "5", "--eval-every", "5", "--eval-problems", "10", "--test-problems", "10", "--name", "m", "--store", store, "--json"], { encoding: "utf8" });
    assert.equal(sft.status, 0, sft.stderr);
    server.child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "m", "--port", "0", "--store", store]);
    const base = await new Promise<string>((resolve, reject) => {
      let text = "";
      server.child!.stdout!.on("data", (d: Buffer) => {
        text += d.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(text);
        if (m) resolve(m[1]!);
      });
      server.child!.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
    const post = async (path: string, body: unknown) => {
      const r = await fetch(base + path, { method: "POST", body: JSON.stringify(body) });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    const completion = await post("/completions", { prompt: "0012+0034=", temperature: 0, max_tokens: 6 });
    assert.equal(completion.status, 200);
    const choice = (completion.json.choices as { text: string; logprobs: { tokens: string[]; token_logprobs: number[] }; finish_reason: string }[])[0]!;
    assert.equal(choice.logprobs.tokens.length, choice.logprobs.token_logprobs.length);
    assert.ok(choice.logprobs.token_logprobs.every((x) => x <= 0));
    const chat = await post("/chat/completions", { messages: [{ role: "user", content: "0012+0034=" }], temperature: 1, seed: 1, n: 3 });
    assert.equal(chat.status, 200);
    assert.equal((chat.json.choices as unknown[]).length, 3);
    const bad = await post("/completions", { prompt: "12x" });
    assert.equal(bad.status, 400);
    assert.match(String((bad.json.error as { message: string }).message), /"x" is not in the tokenizer's vocabulary/);
  } finally {
    server.child?.kill();
    rmSync(store, { recursive: true, force: true });
  }
});
