/**
 * `tsrl dashboard` as a user meets it: a store filled by real training runs, the server started
 * on a free port, and Debian's Chromium driving the page — runs table, compare, run page, live
 * updates, replay — plus the API's security rules and the downsampling underneath.
 * Screenshots go to /tmp/tsrl-dashboard-*.png.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, type Page, chromium } from "playwright-core";
import { lttbIndices } from "../src/dashboard/downsample.js";
import { EXACT_LIMIT, readSeries } from "../src/dashboard/series.js";
import { type Dashboard, startDashboard } from "../src/dashboard/server.js";
import { RunStore, STORE_SCHEMA_VERSION } from "../src/track/store.js";
import { ppoConfigSchema } from "../src/algos/ppo.js";
import { startRun } from "../src/track/tracker.js";

const XSS_NAME = "<img src=x onerror=alert(1)>";
const tempDir = () => mkdtempSync(join(tmpdir(), "tsrl-dashboard-"));

/** Runs the CLI from source; resolves with its exit code and output. */
function tsrl(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout, child);
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

/** The number of images in a GIF, by walking its blocks (GIF89a: header, screen, extensions, images, trailer). */
function gifFrames(gif: Uint8Array): number {
  const tableSize = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  const skipSubBlocks = (i: number) => {
    while (gif[i]! !== 0) i += gif[i]! + 1;
    return i + 1;
  };
  let i = 13 + tableSize(gif[10]!);
  let images = 0;
  for (;;) {
    const block = gif[i]!;
    if (block === 0x3b) return images;
    if (block === 0x21) i = skipSubBlocks(i + 2);
    else if (block === 0x2c) {
      images++;
      i = skipSubBlocks(i + 10 + tableSize(gif[i + 9]!) + 1);
    } else throw new Error(`not a GIF block at byte ${i}: 0x${block.toString(16)}`);
  }
}

describe("LTTB downsampling", () => {
  it("keeps the first and last points, the requested count, and a lone spike", () => {
    const n = 10_000;
    const xs = Array.from({ length: n }, (_, i) => i);
    const ys = xs.map((x) => Math.sin(x / 100) + (x === 6543 ? 50 : 0));
    const kept = lttbIndices(xs, ys, 200);
    assert.equal(kept.length, 200);
    assert.equal(kept[0], 0);
    assert.equal(kept.at(-1), n - 1);
    assert.ok(kept.includes(6543), "the spike survives");
    assert.ok(kept.every((k, i) => i === 0 || k > kept[i - 1]!), "ascending, no repeats");
  });

  it("returns every point when there are few, and refuses a bad threshold", () => {
    assert.deepEqual(lttbIndices([1, 2, 3], [1, 2, 3], 5), [0, 1, 2]);
    assert.throws(() => lttbIndices([1, 2, 3], [1, 2, 3], 1), /threshold must be an integer >= 2/);
    assert.throws(() => lttbIndices([1, 2], [1], 2), /2 x values but 1 y values/);
  });
});

describe("chart series from the store", () => {
  it("reads a small range exactly, samples a big one through the index keeping every block's extremes, skips non-finite values", () => {
    const store = new RunStore(tempDir());
    const run = store.createRun({ algo: "custom", env: "none", seed: 0, config: {}, versions: {}, checkpoint_every: 0 });
    const n = EXACT_LIMIT + 20_000;
    const spikes: Record<number, number> = { 700: 99, 31_337: -42, 60_001: 77 };
    const rows = Array.from({ length: n }, (_, step) => ({ step, wall: step / 1000, key: "loss", value: step === 500 ? Number.NaN : (spikes[step] ?? Math.sin(step / 300)) }));
    // in batches, as a tracker writes them (extremes are folded batch by batch)
    for (let i = 0; i < n; i += 7_000) store.appendRows(run.id, [], rows.slice(i, i + 7_000));

    const whole = readSeries(store.db, run.id, "loss", { points: 400 });
    assert.equal(whole.sampled, true);
    assert.ok(whole.steps.length <= 400 && whole.steps.length > 300, `${whole.steps.length} points`);
    assert.deepEqual([whole.steps[0], whole.steps.at(-1)], [0, n - 1]);
    for (const [step, value] of Object.entries(spikes)) assert.equal(whole.values[whole.steps.indexOf(Number(step))], value, `the spike at step ${step} survives`);
    const part = readSeries(store.db, run.id, "loss", { points: 300, from: 15_000, to: n - 1 });
    assert.equal(part.sampled, true);
    assert.ok(part.steps[0]! >= 15_000 && part.values.includes(-42) && part.values.includes(77) && !part.values.includes(99));

    // Resuming from step 31 000 drops the later rows, and their extremes with them.
    store.reopenRun(run.id, 31_000);
    store.appendRows(run.id, [], rows.slice(31_001));
    const resumed = readSeries(store.db, run.id, "loss", { points: 400 });
    assert.ok(resumed.values.includes(99) && resumed.values.includes(77) && resumed.values.includes(-42));
    store.reopenRun(run.id, 31_000);
    store.appendRows(run.id, [], rows.slice(31_001).map((r) => ({ ...r, value: Math.cos(r.step / 300) })));
    const replaced = readSeries(store.db, run.id, "loss", { points: 400 });
    assert.ok(replaced.values.includes(99) && !replaced.values.includes(77) && !replaced.values.includes(-42));

    const zoomed = readSeries(store.db, run.id, "loss", { points: 2000, from: 0, to: 999 });
    assert.equal(zoomed.sampled, false);
    assert.equal(zoomed.steps.length, 999, "1000 rows in range, the NaN one left out");
    assert.ok(!zoomed.steps.includes(500));
    assert.ok(zoomed.values.includes(99), "exact reads keep spikes");
    assert.ok(zoomed.walls.every((w, i) => w === zoomed.steps[i]! / 1000));
    store.close();
  });
});

describe("block extremes of stores from before schema 2", () => {
  it("are built when such a store is opened, once when several processes open it at the same time", async () => {
    const dir = tempDir();
    const store = new RunStore(dir);
    const run = store.createRun({ algo: "custom", env: "none", seed: 0, config: {}, versions: {}, checkpoint_every: 0 });
    store.appendRows(run.id, [], Array.from({ length: 20_000 }, (_, step) => ({ step, wall: step, key: step % 2 ? "a" : "b", value: Math.sin(step) * step })));
    const extremes = (s: RunStore) => s.db.prepare("SELECT * FROM metric_extremes ORDER BY key, block").all();
    const expected = extremes(store);
    assert.equal(expected.length, 2 * Math.ceil(20_000 / 4096));
    store.db.exec("DELETE FROM metric_extremes; PRAGMA user_version = 1");
    store.close();
    const opens = await Promise.all([0, 1, 2, 3].map(() => tsrl(["runs", "list", "--store", dir, "--json"])));
    assert.deepEqual(opens.map((o) => o.code), [0, 0, 0, 0], opens.map((o) => o.stderr).join("\n"));
    const reopened = new RunStore(dir, { create: false });
    assert.deepEqual(extremes(reopened), expected);
    assert.equal(reopened.db.pragma("user_version", { simple: true }), STORE_SCHEMA_VERSION);
    reopened.close();
  });
});

describe("tsrl dashboard", () => {
  const dir = tempDir();
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const dialogs: string[] = [];

  before(async () => {
    // Two real PPO runs (one with checkpoints) trained by the CLI, side by side.
    const train = (name: string, seed: number, extra: string[] = []) =>
      tsrl(["train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "4096", "--seed", String(seed), "--store", dir, "--name", name, "--quiet", ...extra]);
    const results = await Promise.all([train("ppo-a", 1, ["--checkpoint-every", "2048"]), train("ppo-b", 2, ["--max-episode-steps", "25"])]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    // A hostile run: its name, config and metric key must show as text.
    const hostile = startRun({ store: dir, name: XSS_NAME, algo: "custom", env: "CartPole-v1", seed: 7, config: { note: "<script>alert(2)</script>" } });
    for (let i = 1; i <= 5; i++) hostile.logEpisode({ step: i * 10, return: i, length: 10 });
    hostile.log(50, { "<b>key</b>": 1 });
    hostile.finish({});
    hostile.store.close();
    const store = new RunStore(dir, { create: false });
    for (const r of store.listRuns()) ids[r.name] = r.id;
    store.close();

    dashboard = await startDashboard({ store: dir, port: 0, pollMs: 200 });
    if (!existsSync("/usr/bin/chromium")) throw new Error("the dashboard tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does it)");
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (err) => dialogs.push(`page error: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  /** The series (name and number of points) of the chart of `key`, read from echarts itself. */
  const chartSeries = (key: string) =>
    page.evaluate((k) => {
      const el = document.querySelector(`[data-chart="${CSS.escape(k)}"]`) as HTMLElement;
      const chart = (window as unknown as { echarts: typeof import("echarts") }).echarts.getInstanceByDom(el)!;
      return (chart.getOption().series as { name: string; data: unknown[] }[]).map((s) => ({ name: s.name, points: s.data.length }));
    }, key);
  const rendered = (key: string) => page.waitForSelector(`[data-chart="${key}"][data-renders]`, { timeout: 15_000 });
  const episodes = (name: string) => {
    const store = new RunStore(dir, { create: false });
    const n = store.episodes(ids[name]!).length;
    store.close();
    return n;
  };

  it("runs table: every run, names shown as text, sort and filter", async () => {
    await page.goto(dashboard.url);
    await page.waitForSelector("#runs-table tbody tr");
    assert.equal(await page.locator("#runs-table tbody tr").count(), 3);
    const hostileRow = page.locator(`tr[data-run="${ids[XSS_NAME]}"]`);
    assert.equal(await hostileRow.locator("td.name").textContent(), XSS_NAME);
    assert.equal(await page.locator("#runs-table img").count(), 0, "no element made from a run name");

    await page.click('th[data-sort="seed"]'); // numbers sort high to low first
    const seeds = await page.locator("#runs-table tbody tr td:nth-child(5)").allTextContents();
    assert.deepEqual(seeds, ["7", "2", "1"]);
    await page.fill('input[type="search"]', "ppo-");
    assert.deepEqual(await page.locator("#runs-table tbody td.name").allTextContents(), ["ppo-b", "ppo-a"]);
    await page.fill('input[type="search"]', "");
    await page.screenshot({ path: "/tmp/tsrl-dashboard-runs.png" });
  });

  it("compare: two selected runs overlaid, then grouped by algo as a mean with a band", async () => {
    await page.check(`tr[data-run="${ids["ppo-a"]}"] input[type=checkbox]`);
    await page.check(`tr[data-run="${ids["ppo-b"]}"] input[type=checkbox]`);
    assert.equal(await page.textContent("[data-action=compare]"), "Compare 2 runs");
    await page.click("[data-action=compare]");
    await rendered("episodic_return");
    const overlaid = await chartSeries("episodic_return");
    assert.deepEqual(overlaid.map((s) => s.name).sort(), ["ppo-a", "ppo-b"]);
    for (const s of overlaid) assert.equal(s.points, episodes(s.name), `${s.name}: one point per episode`);

    await page.selectOption("[data-control=group-by]", "algo");
    await page.waitForFunction(() => document.querySelector('[data-chart="episodic_return"]')?.getAttribute("data-renders") === "2");
    assert.deepEqual((await chartSeries("episodic_return")).map((s) => s.name), ["ppo (n = 2) band", "ppo (n = 2) band", "ppo (n = 2)"]);
    assert.match(page.url(), /group=algo/);
    // The statistics card: the group's runs, their scores as mean ± std and IQM with its interval.
    await page.waitForSelector('[data-stats=groups] tr[data-group="ppo"]');
    const cells = await page.locator('[data-stats=groups] tr[data-group="ppo"] td').allTextContents();
    assert.equal(cells[1], "2");
    const [low, high] = cells[3]!.match(/\[(.+), (.+)\]/)!.slice(1).map(Number);
    const iqm = Number(cells[3]!.split(" ")[0]);
    assert.ok(low! <= iqm && iqm <= high!, cells[3]);
    // The hyperparameter table: these two differ in their seed and ppo-b's time limit, and it shows just those; sortable by any column.
    assert.match((await page.textContent("[data-card=hparams]"))!, /Config fields that differ between the 2 runs/);
    assert.deepEqual(await page.locator("[data-role=hparams] th[data-sort]").evaluateAll((ths) => ths.map((t) => t.getAttribute("data-sort")).filter((k) => k !== "score" && k !== "name")), ["seed", "config.maxEpisodeSteps"]);
    const order = () => page.locator("[data-role=hparams] tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")));
    await page.click("[data-role=hparams] th[data-sort=seed]");
    assert.deepEqual(await order(), [ids["ppo-b"], ids["ppo-a"]], "seed, descending");
    await page.click("[data-role=hparams] th[data-sort=seed]");
    assert.deepEqual(await order(), [ids["ppo-a"], ids["ppo-b"]], "seed, ascending");
    await page.screenshot({ path: "/tmp/tsrl-dashboard-compare.png", fullPage: true });
  });

  it("run page: a chart per metric, config, versions and checkpoints", async () => {
    await page.goto(`${dashboard.url}#/run/${ids["ppo-a"]}`);
    await page.waitForSelector("[data-role=artifacts]");
    const keys = await page.locator("[data-chart]").evaluateAll((els) => els.map((e) => e.getAttribute("data-chart")));
    assert.ok(keys.includes("episodic_return") && keys.includes("losses/value_loss") && keys.includes("charts/SPS"), keys.join(", "));
    await page.waitForFunction((n) => document.querySelectorAll("[data-chart][data-renders]").length === n, keys.length);
    assert.deepEqual((await chartSeries("episodic_return")).map((s) => s.name), ["raw", "episodic return"], "smoothed over raw");
    assert.deepEqual((await chartSeries("losses/value_loss")).map((s) => s.name), ["losses/value_loss"], "8 points: too few to smooth");
    // every config field shows (no scroll box), and the checkpoints table stays inside its card
    const configKeys = await page.locator("[data-card=config] .kv-item").evaluateAll((els) => els.map((e) => e.getAttribute("data-key")));
    const fields = Object.keys(ppoConfigSchema.shape).length;
    assert.equal(configKeys.length, fields, `PPO's ${fields} config fields: ${configKeys.join(", ")}`);
    const card = (await page.locator("[data-card=artifacts]").boundingBox())!;
    for (const th of await page.locator("[data-card=artifacts] th").all()) {
      const b = (await th.boundingBox())!;
      assert.ok(b.x >= card.x && b.x + b.width <= card.x + card.width + 0.5 && b.y >= card.y, "a header cell inside the card");
    }
    const artifacts = await page.locator("[data-artifact]").evaluateAll((els) => els.map((e) => e.getAttribute("data-artifact")));
    assert.deepEqual(artifacts, ["policy-4096", "checkpoint-4096", "checkpoint-2048"]);
    await page.screenshot({ path: "/tmp/tsrl-dashboard-run.png", fullPage: true });

    // dragging across a chart zooms into x; the wheel over it scrolls the page
    const box = (await page.locator('[data-chart="episodic_return"]').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 8 });
    await page.mouse.up();
    const zoom = await page.evaluate(() => {
      const el = document.querySelector('[data-chart="episodic_return"]') as HTMLElement;
      const z = ((window as unknown as { echarts: typeof import("echarts") }).echarts.getInstanceByDom(el)!.getOption().dataZoom as { start: number; end: number }[])[0]!;
      return [z.start, z.end];
    });
    assert.ok(zoom[0]! > 5 && zoom[1]! < 95, `zoomed to ${zoom.join("–")} %`);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 400);
    await page.waitForFunction(() => scrollY > 0, null, { timeout: 5000 });

    await page.goto(`${dashboard.url}#/run/${ids[XSS_NAME]}`);
    await page.waitForSelector('[data-chart="<b>key</b>"]');
    assert.equal(await page.textContent("[data-role=run-name]"), XSS_NAME);
    assert.ok((await page.textContent("[data-card=config]"))!.includes("<script>alert(2)</script>"));
    assert.equal(await page.locator("main img, main script").count(), 0);
    assert.equal(await page.locator("main b", { hasText: /^key$/ }).count(), 0, "the metric key is not markup");

    // an unknown run: a page that says so, without empty chart sections
    await page.goto(`${dashboard.url}#/run/nope1234`);
    await page.waitForSelector("[data-role=run-error] >> text=No such run");
    assert.equal(await page.locator("[data-section]").count(), 0);
  });

  it("live: a running run's charts and status update without reloading the page", async () => {
    const run = startRun({ store: dir, name: "live", algo: "custom", env: "CartPole-v1", seed: 3 });
    for (let i = 1; i <= 10; i++) run.logEpisode({ step: i * 20, return: i, length: 20 });
    run.flush();
    await page.goto(`${dashboard.url}#/run/${run.runId}`);
    await page.waitForSelector('[data-chart="episodic_return"][data-points="10"]');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    assert.equal(await page.textContent(".badge"), "running");

    for (let i = 11; i <= 30; i++) run.logEpisode({ step: i * 20, return: i, length: 20 });
    run.flush();
    await page.waitForSelector('[data-chart="episodic_return"][data-points="30"]', { timeout: 10_000 });
    run.finish({ final_mean_return: 20.5 });
    run.store.close();
    await page.waitForFunction(() => document.querySelector(".badge")?.textContent === "finished", null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, "the same page, never reloaded");
  });

  it("replay: the saved policy plays in the page until its episode ends", async () => {
    await page.goto(`${dashboard.url}#/replay/${ids["ppo-a"]}`);
    await page.waitForSelector("[data-role=replay-panel][data-state=ready]");
    await page.selectOption("[data-control=speed]", "16");
    await page.click("[data-action=play]");
    await page.waitForFunction(() => Number(document.querySelector("[data-role=length]")?.textContent) > 5);
    await page.screenshot({ path: "/tmp/tsrl-dashboard-replay.png" });
    await page.waitForSelector("[data-role=replay-panel][data-state=ended]", { timeout: 30_000 });
    const final = await page.textContent("[data-role=return]");
    const length = Number((await page.textContent("[data-role=length]"))!.replace(/,/g, ""));
    assert.equal(Number(final), length, "CartPole pays 1 per step");
    await page.waitForTimeout(300);
    assert.equal(await page.textContent("[data-role=return]"), final, "stops at the episode's end");
    assert.match((await page.textContent("[data-role=episode-state]"))!, /Episode over: (terminated|truncated)/);
    const inked = await page.evaluate(() => {
      const c = document.querySelector("canvas")!;
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! < 100) dark++;
      return dark;
    });
    assert.ok(inked > 1000, `the cart is drawn (${inked} dark pixels)`);
    // the episode as a GIF: its first frame, one per step, the last; CartPole's 600×400
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-action=gif]")]);
    assert.match(download.suggestedFilename(), /^ppo-a-seed0\.gif$/);
    const gif = readFileSync((await download.path())!);
    assert.equal(gif.subarray(0, 6).toString("latin1"), "GIF89a");
    assert.deepEqual([gif.readUInt16LE(6), gif.readUInt16LE(8)], [600, 400]);
    assert.equal(gifFrames(gif), length + 1, "a frame per step and the first");
    assert.match((await page.textContent("[data-role=gif-note]"))!, new RegExp(`GIF of ${length.toLocaleString("en-US")} steps`));

    // A checkpoint: the server extracts its policy, the page steps it.
    await page.goto(`${dashboard.url}#/replay/${ids["ppo-a"]}?checkpoint=2048`);
    await page.waitForSelector("[data-role=replay-panel][data-state=ready]");
    for (let i = 0; i < 3; i++) await page.click("[data-action=step]");
    assert.equal(await page.textContent("[data-role=length]"), "3");

    // A policy trained with a time limit plays on that env: its episodes end at 25 steps, truncated.
    await page.goto(`${dashboard.url}#/replay/${ids["ppo-b"]}`);
    await page.waitForSelector("[data-role=replay-panel][data-state=ready]");
    await page.selectOption("[data-control=speed]", "16");
    await page.click("[data-action=play]");
    await page.waitForSelector("[data-role=replay-panel][data-state=ended]", { timeout: 30_000 });
    assert.equal(await page.textContent("[data-role=length]"), "25");
    assert.match((await page.textContent("[data-role=episode-state]"))!, /Episode over: truncated/);
    assert.deepEqual(dialogs, [], "no alert, no page error");
  });

  it("API: read-only, artifacts only by their record, a loopback Host only", async () => {
    const base = dashboard.url.replace(/\/$/, "");
    const del = await fetch(`${base}/api/runs/${ids["ppo-b"]}`, { method: "DELETE" });
    assert.equal(del.status, 403);
    assert.match(((await del.json()) as { error: string }).error, /read-only; start it with --allow-delete/);

    const policy = await fetch(`${base}/api/runs/${ids["ppo-a"]}/artifacts/policy/4096`);
    assert.equal(policy.status, 200);
    const stored = readFileSync(join(dir, "artifacts", ids["ppo-a"]!, "policy.tsrlpolicy"));
    assert.equal(createHash("sha256").update(new Uint8Array(await policy.arrayBuffer())).digest("hex"), createHash("sha256").update(stored).digest("hex"));
    for (const path of [`/api/runs/${ids["ppo-a"]}/artifacts/policy/1`, "/api/runs/..%2F..%2Fetc/artifacts/policy/1", `/api/runs/${ids["ppo-a"]}/artifacts/..%2Fruns.sqlite/1`]) {
      assert.equal((await fetch(base + path)).status, 404, path);
    }
    assert.equal((await fetch(`${base}/api/series?runs=${ids["ppo-a"]}&key=x&points=-1`)).status, 400);

    const status = await new Promise<number>((resolve) => get(`${base}/api/runs`, { headers: { host: "attacker.example" } }, (res) => resolve(res.statusCode!)).end());
    assert.equal(status, 403, "DNS rebinding: a foreign Host is refused");
  });

  it("a token guards every request; other hosts need one; a busy port is named", async () => {
    const guarded = await startDashboard({ store: dir, port: 0, token: "auto" });
    try {
      const token = new URL(guarded.url).searchParams.get("token")!;
      const base = `http://127.0.0.1:${guarded.port}`;
      assert.equal((await fetch(`${base}/api/runs`)).status, 401);
      assert.equal((await fetch(`${base}/`)).status, 401);
      assert.equal((await fetch(`${base}/api/events`)).status, 401);
      assert.equal((await fetch(`${base}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      const first = await fetch(guarded.url, { redirect: "manual" });
      assert.equal(first.status, 303);
      const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
      assert.equal((await fetch(`${base}/assets/app.js`, { headers: { cookie } })).status, 200);
      assert.equal((await fetch(`${base}/api/runs`, { headers: { cookie: `${cookie}x` } })).status, 401);
    } finally {
      await guarded.close();
    }
    await assert.rejects(startDashboard({ store: dir, port: 0, host: "0.0.0.0" }), /--host 0.0.0.0 would let anyone on the network read your runs: add --token SECRET \(or --token auto/);
    await assert.rejects(startDashboard({ store: dir, port: dashboard.port }), /port \d+ on 127.0.0.1 is already in use .*pass --port N, or --port 0/);
  });

  it("--allow-delete lets the page's API delete a run, but not one that is still running", async () => {
    const run = startRun({ store: dir, name: "doomed", algo: "custom", env: "none", seed: 0 });
    const writable = await startDashboard({ store: dir, port: 0, allowDelete: true });
    try {
      const busy = await fetch(`${writable.url}api/runs/${run.runId}`, { method: "DELETE" });
      assert.equal(busy.status, 409);
      assert.match(((await busy.json()) as { error: string }).error, /is still running \(pid \d+ on .*\); stop it first/);
      run.finish({});
      run.store.close();
      const res = await fetch(`${writable.url}api/runs/${run.runId}`, { method: "DELETE" });
      assert.equal(res.status, 200);
      const runs = ((await (await fetch(`${writable.url}api/runs`)).json()) as { runs: { name: string }[] }).runs;
      assert.ok(!runs.some((r) => r.name === "doomed"));
    } finally {
      await writable.close();
    }
  });

  it("--allow-edit: rename, tag and annotate a run in the page, filter by tag; refused without it or with bad input", async () => {
    const base = dashboard.url.replace(/\/$/, "");
    const patch = (url: string, body: unknown, type = "application/json") => fetch(url, { method: "PATCH", headers: { "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });
    const readOnly = await patch(`${base}/api/runs/${ids["ppo-b"]}`, { tags: ["x"] });
    assert.equal(readOnly.status, 403);
    assert.match(((await readOnly.json()) as { error: string }).error, /read-only; start it with --allow-edit/);
    const editable = await startDashboard({ store: dir, port: 0, allowEdit: true, pollMs: 200 });
    try {
      const api = `${editable.url}api/runs/${ids["ppo-b"]}`;
      const refusals: [unknown, string, RegExp][] = [
        [{ name: "ppo-a" }, "application/json", /a run named "ppo-a" already exists/],
        [{ name: "  " }, "application/json", /cannot be empty/],
        [{ tags: ["a,b"] }, "application/json", /no commas/],
        [{ status: "finished" }, "application/json", /cannot change status: only name, tags and notes/],
        ["{not json", "application/json", /not valid JSON/],
        [{ tags: ["x"] }, "text/plain", /takes a JSON body/],
      ];
      for (const [body, type, message] of refusals) {
        const res = await patch(api, body, type);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(((await res.json()) as { error: string }).error, message);
      }
      assert.equal((await fetch(`${editable.url}api/runs/${ids["ppo-b"]}`, { method: "POST" })).status, 405);

      await page.goto(`${editable.url}#/run/${ids["ppo-b"]}`);
      await page.click("[data-action=rename]");
      await page.fill("input.name-input", "ppo-b renamed");
      await page.click("[data-action=save-name]");
      await page.waitForSelector("[data-role=run-name] >> text=ppo-b renamed");
      // notes typed but not saved survive the re-renders that adding tags causes
      await page.fill("textarea.notes-input", "<b>kept</b> as text");
      for (const tag of ["sweep", "baseline"]) {
        await page.fill("input.tag-input", tag);
        await page.press("input.tag-input", "Enter");
        await page.waitForSelector(`[data-role=tags] [data-tag="${tag}"]`);
      }
      assert.equal(await page.inputValue("textarea.notes-input"), "<b>kept</b> as text");
      await page.click("[data-action=save-notes]");
      await page.waitForSelector('[data-role=notes-status] >> text="saved"');
      await page.click('[data-tag="sweep"] .tag-remove');
      await page.waitForSelector('[data-role=tags] [data-tag="sweep"]', { state: "detached" });
      await page.screenshot({ path: "/tmp/tsrl-dashboard-edit.png", fullPage: true });
      const store = new RunStore(dir, { create: false });
      const stored = store.getRun(ids["ppo-b"]!);
      store.close();
      assert.deepEqual([stored.name, stored.tags, stored.notes], ["ppo-b renamed", ["baseline"], "<b>kept</b> as text"]);

      // the runs table shows tags and filters by them
      await page.goto(editable.url);
      await page.waitForSelector("#runs-table tbody tr");
      await page.selectOption("[data-control=tag]", "baseline");
      await page.waitForFunction(() => document.querySelectorAll("#runs-table tbody tr").length === 1);
      assert.equal(await page.textContent("#runs-table tbody tr td.name a"), "ppo-b renamed");
      await page.selectOption("[data-control=tag]", "");
      assert.equal(await page.locator("main b").count(), 0, "notes are not markup");
    } finally {
      await editable.close();
    }
    // a read-only page offers no editing
    await page.goto(`${dashboard.url}#/run/${ids["ppo-b"]}`);
    await page.waitForSelector("[data-role=run-name]");
    assert.equal(await page.locator("[data-action=rename], .tag-input, textarea.notes-input").count(), 0);
    assert.equal(await page.textContent("[data-card=notes] .notes"), "<b>kept</b> as text");
  });

  it("a missing store shows how to fill it, then its runs as soon as one starts", async () => {
    const missing = join(tempDir(), "not-yet");
    const empty = await startDashboard({ store: missing, port: 0, pollMs: 200 });
    try {
      await page.goto(empty.url);
      await page.waitForSelector("text=No run store here yet");
      assert.ok((await page.textContent("pre"))!.includes(`tsrl train ppo --env CartPole-v1 --store ${missing}`));
      await page.screenshot({ path: "/tmp/tsrl-dashboard-missing.png" });
      const run = startRun({ store: missing, name: "first", algo: "custom", env: "none", seed: 0 });
      await page.waitForSelector("#runs-table td.name >> text=first", { timeout: 10_000 });
      run.finish({});
      run.store.close();
      // The store deleted and made anew (a new database file) is read anew.
      rmSync(missing, { recursive: true });
      const again = startRun({ store: missing, name: "second", algo: "custom", env: "none", seed: 0 });
      again.finish({});
      again.store.close();
      await page.waitForSelector("#runs-table td.name >> text=second", { timeout: 10_000 });
      assert.equal(await page.locator("#runs-table td.name >> text=first").count(), 0);
    } finally {
      await empty.close();
    }
  });

  it("the CLI prints the URL and refuses a public host without a token", async () => {
    const refused = await tsrl(["dashboard", "--store", dir, "--host", "0.0.0.0"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--host 0.0.0.0 would let anyone on the network read your runs: add --token SECRET/);
    assert.match((await tsrl(["dashboard", "--store", dir, "--port", "99999"])).stderr, /--port must be an integer from 0 to 65535, got "99999"/);

    let url = "";
    const served = await tsrl(["dashboard", "--store", dir, "--port", "0"], (stdout, child) => {
      const found = /tsrl dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (found && !url) {
        url = found[1]!;
        void fetch(`${url}api/status`).then(async (res) => {
          assert.equal(((await res.json()) as { store: { state: string } }).store.state, "ok");
          child.kill("SIGINT");
        });
      }
    });
    assert.ok(url, served.stdout + served.stderr);
    assert.equal(served.code, 0, served.stderr);
  });
});
