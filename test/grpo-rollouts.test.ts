/** A GRPO run keeps a few of its training rollouts (text and reward) every evaluation, in its checkpoints and final model; the dashboard serves them. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { startDashboard } from "../src/dashboard/server.js";
import type { TextSamplesResponse } from "../src/dashboard/types.js";
import { GRPO_DEFAULTS, GrpoTrainer } from "../src/llm/grpo.js";
import { decodeLanguageModel, encodeLanguageModel } from "../src/llm/model-file.js";
import { SFT_DEFAULTS, SftTrainer } from "../src/llm/sft.js";
import { RunStore } from "../src/track/store.js";
import { tsrl } from "./cli-run.js";

test("the trainer keeps the first completion of the first 4 groups at every evaluation step, and the model file carries them", () => {
  const sft = new SftTrainer({ ...SFT_DEFAULTS, model: "micro", taskOptions: { digits: 2 }, examples: 100, batchSize: 16, steps: 10 });
  for (let i = 0; i < 10; i++) sft.trainStep();
  const grpo = new GrpoTrainer({ ...GRPO_DEFAULTS, promptsPerStep: 5, groupSize: 3, steps: 5, evalEvery: 2, testProblems: 10 }, sft.languageModel());
  grpo.sftSteps = 10;
  for (let i = 0; i < 5; i++) grpo.trainStep();
  // evaluation steps 2, 4 and the last, 5; on the run's axis after the 10 SFT steps
  assert.deepEqual(grpo.rolloutSamples.map((s) => s.step), [12, 12, 12, 12, 14, 14, 14, 14, 15, 15, 15, 15]);
  for (const s of grpo.rolloutSamples) {
    assert.match(s.prompt, /^\d\d\+\d\d=$/);
    assert.ok(typeof s.completion === "string" && [0, 0.1, 1].includes(s.reward), JSON.stringify(s));
  }
  const loaded = decodeLanguageModel(encodeLanguageModel(grpo.languageModel()));
  assert.deepEqual(loaded.rolloutSamples, grpo.rolloutSamples);
  assert.equal(decodeLanguageModel(encodeLanguageModel(sft.languageModel())).rolloutSamples, undefined);
});

test("the dashboard serves a GRPO run's newest rollouts beside the greedy samples", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-grpo-rollouts-"));
  try {
    const run = tsrl("train", "grpo", "--model", "micro", "--task-options", '{"digits":2}', "--sft-steps", "20", "--steps", "6", "--prompts-per-step", "4", "--group-size", "2", "--eval-every", "2", "--test-problems", "10", "--store", dir, "--name", "g", "--json");
    assert.equal(run.code, 0, run.stderr);
    const store = new RunStore(dir, { create: false });
    const id = store.getRun("g").id;
    store.close();
    const dashboard = await startDashboard({ store: dir, port: 0, pollMs: 200 });
    try {
      const response = (await (await fetch(`${dashboard.url.replace(/\/$/, "")}/api/runs/${id}/samples`)).json()) as TextSamplesResponse;
      assert.equal(response.samples.length, 4);
      // three evaluation steps of 4 rollouts, newest first: GRPO steps 6, 4, 2 after 20 SFT steps
      assert.deepEqual(response.rollouts.map((r) => r.step), [26, 26, 26, 26, 24, 24, 24, 24, 22, 22, 22, 22]);
      // the run page lists them as text
      const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
      try {
        const page = await browser.newPage();
        await page.goto(`${dashboard.url}#/run/${id}`);
        await page.waitForSelector("[data-role=rollouts] tbody tr", { timeout: 30_000 });
        const rows = await page.$$eval("[data-role=rollouts] tbody tr", (trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent)));
        assert.deepEqual(rows.map((r) => r.slice(0, 3)), response.rollouts.map((r) => [String(r.step), r.prompt, r.completion]));
      } finally {
        await browser.close();
      }
    } finally {
      await dashboard.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
