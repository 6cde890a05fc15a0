/** Bad input to tsrl train sft|grpo is refused with a message that names what is wrong and what to do. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadPolicy } from "../src/cli/enjoy.js";
import { loadModel } from "../src/cli/train-text.js";
import { GRPO_DEFAULTS, GrpoTrainer } from "../src/llm/grpo.js";
import { decodeLanguageModel, encodeLanguageModel } from "../src/llm/model-file.js";
import { SFT_DEFAULTS, SftTrainer } from "../src/llm/sft.js";
import { encodeTensorFile } from "../src/nn/serialize.js";
import { RunStore } from "../src/track/store.js";
import { tsrl } from "./cli-run.js";

const sftConfig = { ...SFT_DEFAULTS, model: "micro", taskOptions: { digits: 2 }, examples: 50, batchSize: 8, evalProblems: 10, testProblems: 10 };
const grpoConfig = { ...GRPO_DEFAULTS, taskOptions: { digits: 2 }, promptsPerStep: 2, groupSize: 2, testProblems: 10 };

test("NaN in the parameters stops SFT and GRPO with the step and the tensor; a diverged model file is refused on load", () => {
  const sft = new SftTrainer(sftConfig);
  sft.trainStep();
  const entry = sft.model.layout.find((e) => e.name === "h0.attn.qkv.bias")!;
  const saved = encodeLanguageModel(sft.languageModel());
  sft.model.params[entry.offset + 3] = NaN;
  assert.throws(() => sft.trainStep(), /^Error: SFT step 1: the loss is NaN \(parameter h0\.attn\.qkv\.bias\[3\] = NaN\); lower --lr$/);
  const grpo = new GrpoTrainer(grpoConfig, decodeLanguageModel(saved));
  grpo.trainStep();
  grpo.model.params[entry.offset + 3] = NaN;
  // the NaN reaches the logits while sampling the step's completions
  assert.throws(() => grpo.trainStep(), /^Error: GRPO step 1: NaN in the model's logits .*\(parameter h0\.attn\.qkv\.bias\[3\] = NaN\); lower --lr/);
  assert.throws(() => decodeLanguageModel(encodeLanguageModel(grpo.languageModel()), "model.tsrl"), /^Error: model\.tsrl: parameter h0\.attn\.qkv\.bias\[3\] is NaN; the model diverged/);
});

test("--init with a run that is not a language model, or one that has not finished, says what to pass; tsrl enjoy with a language model's run too", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-lm-bad-"));
  try {
    const store = new RunStore(dir);
    const ppo = store.createRun({ name: "cartpole", algo: "ppo", env: "CartPole-v1", seed: 1, config: {}, versions: {}, checkpoint_every: 0 });
    store.addArtifact(ppo.id, "policy", 512, encodeTensorFile({ format: "tsrl.policy" }, []));
    store.createRun({ name: "unfinished", algo: "sft", env: "addition", seed: 1, config: {}, versions: {}, checkpoint_every: 10 });
    store.close();
    assert.throws(() => loadModel("cartpole", dir), /--init cartpole: run cartpole is a ppo run on CartPole-v1, not a language model; pass a run of `tsrl train sft` or `tsrl train grpo`/);
    assert.throws(() => loadModel(ppo.id, dir), /is a ppo run on CartPole-v1, not a language model/);
    assert.throws(() => loadModel("unfinished", dir), /run unfinished has no saved model yet .*tsrl resume unfinished/);
    // and the other way round: tsrl enjoy / eval / export of a language model
    assert.throws(() => loadPolicy("unfinished", dir), /run \w+ \(unfinished\) trained a language model \(tsrl train sft\), not a policy for an env: try tsrl sample unfinished/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("through the CLI: a vocabulary mismatch, a task longer than the model's context, G < 2 and a too short --context-length", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-lm-bad-"));
  try {
    const model = join(dir, "m.tsrl");
    const made = tsrl("train", "sft", "--model", "micro", "--task-options", '{"digits":2}', "--steps", "2", "--eval-problems", "5", "--test-problems", "5", "--save", model, "--no-track", "--json");
    assert.equal(made.code, 0, made.stderr);
    const cases: [string[], RegExp][] = [
      [["train", "grpo", "--init", model, "--task", "multiplication"], /trained with the vocabulary "0123456789\+=", but task multiplication uses "0123456789\*="; train a model for this task/],
      [["train", "grpo", "--init", model, "--task-options", '{"digits":4}'], /task addition needs a context of 16 tokens \(prompt \+ answer \+ end\); the initial model has 10: train a model for these task options/],
      [["train", "grpo", "--init", model, "--group-size", "1"], /--group-size: must be >= 2, got 1/],
      [["train", "sft", "--model", "micro", "--context-length", "5"], /an example has 16 tokens, more than the model's context 5: raise --context-length/],
    ];
    for (const [args, message] of cases) {
      const r = tsrl(...args, "--no-track");
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
