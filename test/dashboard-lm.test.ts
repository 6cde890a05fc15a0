/** The dashboard shows runs of tsrl train sft|grpo: their metrics, their model's sample completions (as text), and no replay of a language model. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { type Dashboard, startDashboard } from "../src/dashboard/server.js";
import type { RunDetail, TextSamplesResponse } from "../src/dashboard/types.js";
import { RunStore } from "../src/track/store.js";
import { tsrl } from "./cli-run.js";

describe("dashboard pages of language-model runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-dashboard-lm-"));
  let dashboard: Dashboard;
  let browser: Browser;
  const ids: Record<string, string> = {};

  before(async () => {
    const sft = tsrl("train", "sft", "--model", "micro", "--task-options", '{"digits":2}', "--steps", "40", "--eval-every", "10", "--eval-problems", "20", "--test-problems", "20", "--store", dir, "--name", "lm", "--json");
    assert.equal(sft.code, 0, sft.stderr);
    const store = new RunStore(dir, { create: false });
    ids.lm = store.getRun("lm").id;
    store.close();
    dashboard = await startDashboard({ store: dir, port: 0, pollMs: 200 });
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the run's metrics and sample completions, and refuses to replay it with what to do instead", async () => {
    const get = (path: string) => fetch(`${dashboard.url.replace(/\/$/, "")}${path}`);
    const detail = (await (await get(`/api/runs/${ids.lm}`)).json()) as RunDetail;
    assert.equal(detail.replayable, false);
    for (const key of ["train/loss", "eval/accuracy", "eval/test_accuracy"]) assert.ok(detail.metricKeys.includes(key), key);
    const series = (await (await get(`/api/series?runs=${ids.lm}&key=train%2Floss&points=100`)).json()) as { series: { steps: number[] }[] };
    assert.equal(series.series[0]!.steps.length, 40);
    const samples = (await (await get(`/api/runs/${ids.lm}/samples`)).json()) as TextSamplesResponse;
    assert.equal(samples.source, "policy at step 40");
    assert.equal(samples.samples.length, 4);
    for (const s of samples.samples) assert.match(s.prompt, /^\d\d\+\d\d=$/);
    const policy = await get(`/api/runs/${ids.lm}/policy`);
    assert.equal(policy.status, 409);
    assert.match(((await policy.json()) as { error: string }).error, /trained a language model: there is no env to replay it in .*tsrl sample/);
  });

  it("the run page shows the metric charts, the held-out accuracy and the sample completions, without a replay button", async () => {
    if (!existsSync("/usr/bin/chromium")) throw new Error("the dashboard tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does it)");
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${dashboard.url}#/run/${ids.lm}`);
    await page.waitForSelector("[data-role=samples] tbody tr", { timeout: 30_000 });
    const rows = await page.$$eval("[data-role=samples] tbody tr", (trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent)));
    assert.equal(rows.length, 4);
    for (const [prompt] of rows) assert.match(prompt ?? "", /^\d\d\+\d\d=$/);
    assert.match((await page.textContent(".page-head")) ?? "", /held-out accuracy\s*\d+\.\d %/);
    assert.equal(await page.$("text=Replay policy"), null);
    await page.waitForFunction(() => /40 points/.test(document.querySelector('[data-chart="train/loss"] + .chart-note')?.textContent ?? ""), null, { timeout: 30_000 });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
