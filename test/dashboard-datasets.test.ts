/**
 * Datasets in `tsrl dashboard`: the list and a dataset's page (return and length histograms,
 * spaces, provenance) over datasets recorded into a store that has no runs yet, checked against
 * the episodes decoded from the chunks; the API's refusals; the binning underneath.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { type Dashboard, startDashboard } from "../src/dashboard/server.js";
import { binsFor, histogram } from "../src/dashboard/histogram.js";
import type { DatasetDetail, DatasetSummary } from "../src/dashboard/types.js";
import { datasetsDirectory, openDatasetFile, recordDataset } from "../src/node/datasets.js";

const XSS = "<img src=x onerror=alert(1)>";

describe("histogram", () => {
  it("bins real values between min and max, the max in the last bin; whole-number bins for lengths", () => {
    assert.deepEqual(histogram([0, 1, 2, 3, 4], { bins: 2 }), { edges: [0, 2, 4], counts: [2, 3] });
    assert.deepEqual(histogram([-1, -1, NaN], { bins: 4 }), { edges: [-1, -1], counts: [2] });
    assert.deepEqual(histogram([200, 200, 200], { bins: 5, integer: true }), { edges: [200, 201], counts: [3] });
    // 10..29 in 5 bins: 4 wide, every value counted once
    const lengths = Array.from({ length: 20 }, (_, i) => 10 + i);
    assert.deepEqual(histogram(lengths, { bins: 5, integer: true }), { edges: [10, 14, 18, 22, 26, 30], counts: [4, 4, 4, 4, 4] });
    assert.deepEqual(histogram([], { bins: 3 }), { edges: [], counts: [] });
    assert.throws(() => histogram([1], { bins: 0 }), /bins must be an integer >= 1/);
  });
});

describe("dashboard datasets", () => {
  const store = mkdtempSync(join(tmpdir(), "tsrl-dashboard-datasets-"));
  const dir = datasetsDirectory(store);
  let dashboard: Dashboard;
  let browser: Browser;
  const get = async <T>(path: string) => {
    const res = await fetch(new URL(path, dashboard.url));
    return { status: res.status, body: (await res.json()) as T & { error?: string } };
  };

  before(async () => {
    recordDataset({ envId: "CartPole-v1", policy: "random", episodes: 40, out: join(dir, "cartpole-random"), seed: 3 });
    recordDataset({ envId: "Pendulum-v1", policy: "random", policyName: XSS, episodes: 5, out: join(dir, "pendulum-odd"), seed: 1 });
    recordDataset({ envId: "CartPole-v1", policy: "random", episodes: 3, out: join(dir, "cartpole-cut"), seed: 0 });
    const manifest = JSON.parse(readFileSync(join(dir, "cartpole-cut", "dataset.json"), "utf8")) as { chunks: { file: string; bytes: number }[] };
    truncateSync(join(dir, "cartpole-cut", manifest.chunks[0]!.file), 40);
    mkdirSync(join(dir, "not-json"));
    writeFileSync(join(dir, "not-json", "dataset.json"), "{");
    // no runs database in this store: the datasets still show
    dashboard = await startDashboard({ store, port: 0, pollMs: 200 });
    if (!existsSync("/usr/bin/chromium")) throw new Error("the dashboard tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does it)");
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it("API: the list from the manifests, a dataset's histograms match its decoded episodes, refusals name the problem", async () => {
    const list = await get<{ datasets: DatasetSummary[] }>("/api/datasets");
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.datasets.map((d) => d.name), ["cartpole-cut", "cartpole-random", "not-json", "pendulum-odd"]);
    const cartpole = list.body.datasets[1]!;
    assert.deepEqual([cartpole.envId, cartpole.episodes, cartpole.source?.policy], ["CartPole-v1", 40, "random"]);
    assert.match(list.body.datasets[2]!.error ?? "", /not valid JSON/);

    const { status, body } = await get<DatasetDetail>("/api/datasets/cartpole-random");
    assert.equal(status, 200);
    // the episodes decoded whole (checksums checked) from the chunks, binned the same way
    const returns: number[] = [], lengths: number[] = [];
    for (const chunk of openDatasetFile(join(dir, "cartpole-random")).chunks()) {
      let t = 0;
      for (const n of chunk.lengths) {
        let r = 0;
        for (let k = 0; k < n; k++) r += chunk.rewards[t++]!;
        returns.push(r);
        lengths.push(n);
      }
    }
    assert.equal(returns.length, 40);
    assert.ok(new Set(lengths).size > 5, "random CartPole episodes differ in length");
    assert.deepEqual(body.returnHistogram, histogram(returns, { bins: binsFor(40) }));
    assert.deepEqual(body.lengthHistogram, histogram(lengths, { bins: binsFor(40), integer: true }));
    assert.equal(body.lengthHistogram.counts.reduce((a, b) => a + b, 0), 40);
    assert.deepEqual([body.lengthHistogram.edges[0], body.lengthHistogram.edges.at(-1)! - 1 >= Math.max(...lengths)], [Math.min(...lengths), true]);
    assert.match(body.observationSpace.text, /^Box\(.*\(4,\)/);
    assert.match(body.actionSpace.text, /^Discrete\(2\)/);

    const cut = await get<DatasetDetail>("/api/datasets/cartpole-cut");
    assert.equal(cut.status, 422);
    assert.match(cut.body.error ?? "", /chunk-000000\.bin: 40 bytes, the manifest says \d+; the dataset is damaged/);
    assert.equal((await get("/api/datasets/nothing-here")).status, 404);
    assert.equal((await get(`/api/datasets/${encodeURIComponent("../runs")}`)).status, 404);
  });

  it("the list page and a dataset's page: histograms drawn by echarts, spaces and provenance as text", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("dialog", (d) => (errors.push(`dialog: ${d.message()}`), void d.dismiss()));
    await page.goto(`${dashboard.url}#/datasets`);
    await page.waitForSelector("#datasets-table tbody tr");
    assert.equal(await page.locator("#datasets-table tbody tr").count(), 4);
    const odd = await page.locator('tr[data-dataset="pendulum-odd"] td').allTextContents();
    assert.deepEqual(odd.slice(0, 4), ["pendulum-odd", "Pendulum-v1", "5", "1,000"]);
    assert.equal(odd[7], `${XSS}, seed 1`, "the recorder's name shown as text");
    assert.equal(await page.locator("#datasets-table img").count(), 0);
    assert.match((await page.textContent('tr[data-dataset="not-json"]')) ?? "", /damaged.*not valid JSON/);
    await page.screenshot({ path: "/tmp/tsrl-dashboard-datasets.png" });

    await page.click('a[href="#/dataset/cartpole-random"]');
    await page.waitForSelector('[data-chart="lengths"][data-renders]', { timeout: 15_000 });
    const api = (await get<DatasetDetail>("/api/datasets/cartpole-random")).body;
    const drawn = await page.evaluate(() => ["returns", "lengths"].map((k) => {
      const el = document.querySelector(`[data-chart="${k}"]`) as HTMLElement;
      const chart = (window as unknown as { echarts: typeof import("echarts") }).echarts.getInstanceByDom(el)!;
      const o = chart.getOption() as { series: { type: string; data: number[] }[]; xAxis: { data: string[] }[] };
      return { type: o.series[0]!.type, counts: o.series[0]!.data, labels: o.xAxis[0]!.data };
    }));
    assert.deepEqual(drawn.map((d) => d.type), ["bar", "bar"]);
    assert.deepEqual(drawn[0]!.counts, api.returnHistogram.counts);
    assert.deepEqual(drawn[1]!.counts, api.lengthHistogram.counts);
    assert.equal(drawn[1]!.labels[0]!.split("–")[0], String(api.lengthHistogram.edges[0]));
    await page.screenshot({ path: "/tmp/tsrl-dashboard-dataset.png", fullPage: true });

    await page.goto(`${dashboard.url}#/dataset/pendulum-odd`);
    await page.waitForSelector('[data-chart="lengths"][data-renders]', { timeout: 15_000 });
    const lengths = await page.evaluate(() => {
      const chart = (window as unknown as { echarts: typeof import("echarts") }).echarts.getInstanceByDom(document.querySelector('[data-chart="lengths"]') as HTMLElement)!;
      const o = chart.getOption() as { series: { data: number[] }[]; xAxis: { data: string[] }[] };
      return { counts: o.series[0]!.data, labels: o.xAxis[0]!.data };
    });
    assert.deepEqual(lengths, { counts: [5], labels: ["200"] }, "Pendulum's episodes all last 200 steps: one bar");
    assert.match((await page.textContent('[data-card="spaces"]')) ?? "", /observation\s*Box\(.*\(3,\).*action\s*Box\(/s);
    const provenance = (await page.textContent('[data-card="provenance"]')) ?? "";
    assert.ok(provenance.includes(XSS), "the source is shown as text");
    assert.equal(await page.locator('[data-card="provenance"] img').count(), 0);

    await page.goto(`${dashboard.url}#/dataset/cartpole-cut`);
    await page.waitForSelector('[data-role="dataset-error"]');
    assert.match((await page.textContent('[data-role="dataset-error"]')) ?? "", /damaged \(record it again\)/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
