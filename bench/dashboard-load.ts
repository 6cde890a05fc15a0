/**
 * How fast the dashboard answers on a big store: one run with a 10M-point metric (plus 120 small
 * runs, for the runs table), timed through the HTTP API as the page calls it. Then how far the
 * live charts of a run page lag the store while a DQN run trains (Chromium, every chart, above
 * and below the fold).
 *
 *   npm run bench:dashboard [-- --points 10000000] [-- --only load|live] [-- --live-steps 250000]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startDashboard } from "../src/dashboard/server.js";
import { RunStore } from "../src/track/store.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;
const POINTS = arg("points", 10_000_000);
const LIVE_STEPS = arg("live-steps", 250_000);
const SMALL_RUNS = arg("runs", 120);
const KEY = "losses/value_loss";

if (only !== "live") await loadBench();
if (only !== "load") await liveBench();

async function loadBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-dashboard-bench-"));
  const store = new RunStore(dir);
  const run = (name: string) => store.createRun({ name, algo: "ppo", env: "CartPole-v1", seed: 0, config: {}, versions: {}, checkpoint_every: 0 });

  let t = performance.now();
  const big = run("big");
  const insert = store.db.prepare("INSERT INTO metrics (run_id, step, wall, key, value) VALUES (?, ?, ?, ?, ?)");
  const BATCH = 500_000;
  for (let start = 0; start < POINTS; start += BATCH) {
    store.db.transaction(() => {
      for (let step = start; step < Math.min(POINTS, start + BATCH); step++) {
        // A decaying loss with noise and a rare spike, so downsampling has something to keep.
        const value = 1 / (1 + step / 1e6) + 0.1 * Math.sin(step * 0.37) + (step % 1_000_003 === 0 ? 5 : 0);
        insert.run(big.id, step, step / 50_000, KEY, value);
      }
    })();
  }
  store.appendRows(big.id, Array.from({ length: 20_000 }, (_, i) => ({ step: i * 500, wall: i / 100, return: 100 + Math.sin(i / 50) * 50, length: 100 })), []);
  for (let r = 0; r < SMALL_RUNS; r++) {
    const small = run(`small-${r}`);
    store.appendRows(
      small.id,
      Array.from({ length: 200 }, (_, i) => ({ step: i * 100, wall: i, return: i, length: 100 })),
      Array.from({ length: 2000 }, (_, i) => ({ step: i * 10, wall: i / 10, key: ["losses/a", "losses/b", "charts/c", "charts/d"][i % 4]!, value: i })),
    );
  }
  const fillSeconds = (performance.now() - t) / 1000;

  // The floor for any design that reads every row: SQLite summing the values in C, no JS objects.
  t = performance.now();
  store.db.prepare("SELECT SUM(value) AS s FROM metrics WHERE run_id = ? AND key = ?").get(big.id, KEY);
  const fullScanMs = performance.now() - t;
  store.close();

  const dashboard = await startDashboard({ store: dir, port: 0 });
  const base = dashboard.url.replace(/\/$/, "");
  async function timed(path: string): Promise<{ ms: number; body: unknown }> {
    const start = performance.now();
    const res = await fetch(base + path);
    const body = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - start, body };
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  async function measure(label: string, path: string, repeats = 5): Promise<void> {
    const first = await timed(path);
    const rest: number[] = [];
    for (let i = 0; i < repeats; i++) rest.push((await timed(path)).ms);
    const series = (first.body as { series?: { steps: number[]; sampled: boolean }[] }).series?.[0];
    const what = series ? `${series.steps.length} points${series.sampled ? ", sampled" : ", exact"}` : "";
    console.log(`${label.padEnd(44)} first ${first.ms.toFixed(0).padStart(5)} ms   median ${median(rest).toFixed(0).padStart(5)} ms   ${what}`);
  }

  console.log(`store: ${POINTS.toLocaleString("en-US")} points of ${KEY} in one run, ${SMALL_RUNS} small runs (filled in ${fillSeconds.toFixed(1)} s)`);
  console.log(`reading every row of the metric (SELECT SUM(value), in SQLite): ${fullScanMs.toFixed(0)} ms — what the sampling avoids\n`);
  const q = (extra: string) => `/api/series?runs=${big.id}&key=${encodeURIComponent(KEY)}&points=1500${extra}`;
  await measure("chart, whole run (1500 points)", q(""));
  await measure("chart, zoomed to 10% of the steps", q(`&from=${POINTS * 0.45}&to=${POINTS * 0.55}`));
  await measure("chart, zoomed to 0.4% (read exactly)", q(`&from=${POINTS * 0.5}&to=${POINTS * 0.504}`));
  await measure("episodic return (20k episodes, exact)", `/api/series?runs=${big.id}&key=episodic_return&points=1500`);
  await measure("run page header (/api/runs/:id)", `/api/runs/${big.id}`);
  await measure(`runs table (/api/runs, ${SMALL_RUNS + 1} runs)`, "/api/runs");
  await dashboard.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Live lag: a DQN run trains into a fresh store while Chromium shows its run page. Every 250 ms
 * the bench notes each metric's newest step in the store and the newest step each chart shows.
 * A chart's lag at a moment is how long the store has held a step newer than the chart's last
 * one (0 when the chart is up to date); the store itself is written by the tracker once a second.
 */
async function liveBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-dashboard-live-"));
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "dqn", "--env", "CartPole-v1", "--total-timesteps", String(LIVE_STEPS), "--store", dir, "--name", "live", "--quiet"], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  process.on("exit", () => child.kill()); // a failed bench leaves no trainer behind
  let store: RunStore | null = null;
  while (!store) {
    await new Promise((r) => setTimeout(r, 200));
    try {
      store = new RunStore(dir, { create: false });
      if (store.listRuns().length === 0) throw new Error("no run yet");
    } catch {
      store?.close();
      store = null;
    }
  }
  const run = store.listRuns()[0]!;
  const dashboard = await startDashboard({ store: dir, port: 0 });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${dashboard.url}#/run/${run.id}`);
  const newestInStore = (key: string): number => {
    const sql = key === "episodic_return" || key === "episode_length" ? "SELECT MAX(step) AS s FROM episodes WHERE run_id = ?" : "SELECT MAX(step) AS s FROM metrics WHERE run_id = ? AND key = ?";
    const row = (key.startsWith("episod") ? store!.db.prepare(sql).get(run.id) : store!.db.prepare(sql).get(run.id, key)) as { s: number | null };
    return row.s ?? -1;
  };
  /** per chart: the store's history of (time, newest step), and lag samples */
  const history = new Map<string, { t: number; step: number }[]>();
  const lags = new Map<string, number[]>();
  const fold = new Map<string, boolean>();
  const t0 = performance.now();
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    await new Promise((r) => setTimeout(r, 250));
    const now = (performance.now() - t0) / 1000;
    const shown = await page.evaluate(() => {
      const charts = (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: { name: string; data: [number, number][] }[] } } | undefined } }).echarts;
      return Array.from(document.querySelectorAll("[data-chart]")).map((el) => {
        const series = charts.getInstanceByDom(el)?.getOption()?.series ?? [];
        const line = series.filter((s) => s.name !== "raw").at(-1);
        return { key: el.getAttribute("data-chart")!, last: line?.data.at(-1)?.[0] ?? -1, belowFold: el.getBoundingClientRect().top > innerHeight };
      });
    });
    for (const { key, last, belowFold } of shown) {
      const steps = history.get(key) ?? [];
      steps.push({ t: now, step: newestInStore(key) });
      history.set(key, steps);
      fold.set(key, belowFold);
      // since when has the store held something newer than what the chart shows?
      const firstNewer = steps.find((h) => h.step > last);
      if (last >= 0) lags.set(key, [...(lags.get(key) ?? []), firstNewer ? now - firstNewer.t : 0]);
    }
  }
  await browser.close();
  await dashboard.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  console.log(`\nlive run page while DQN trains ${LIVE_STEPS.toLocaleString("en-US")} steps (${((performance.now() - t0) / 1000).toFixed(1)} s): how long each chart showed less than the store held (s)`);
  console.log(`${"chart".padEnd(28)} ${"fold".padEnd(6)} ${"median".padStart(7)} ${"p95".padStart(7)} ${"max".padStart(7)}  samples`);
  const all: number[] = [];
  for (const [key, xs] of [...lags].sort(([a], [b]) => (a < b ? -1 : 1))) {
    all.push(...xs);
    console.log(`${key.padEnd(28)} ${(fold.get(key) ? "below" : "above").padEnd(6)} ${q(xs, 0.5).toFixed(2).padStart(7)} ${q(xs, 0.95).toFixed(2).padStart(7)} ${Math.max(...xs).toFixed(2).padStart(7)}  ${xs.length}`);
  }
  console.log(`${"all charts".padEnd(28)} ${"".padEnd(6)} ${q(all, 0.5).toFixed(2).padStart(7)} ${q(all, 0.95).toFixed(2).padStart(7)} ${Math.max(...all).toFixed(2).padStart(7)}  ${all.length}`);
}
