/**
 * How fast the dashboard answers on a big store: one run with a 10M-point metric (plus 120 small
 * runs, for the runs table), timed through the HTTP API as the page calls it.
 *
 *   npm run bench:dashboard [-- --points 10000000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDashboard } from "../src/dashboard/server.js";
import { RunStore } from "../src/track/store.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const POINTS = arg("points", 10_000_000);
const SMALL_RUNS = arg("runs", 120);
const KEY = "losses/value_loss";

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
