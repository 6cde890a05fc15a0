/** The dashboard replays a run trained on the user's own env (its module recorded with the run), and says so when it cannot. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { type Dashboard, startDashboard } from "../src/dashboard/server.js";
import { RunStore } from "../src/track/store.js";

describe("dashboard replay of a user's env", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-dashboard-byo-"));
  let dashboard: Dashboard;
  let browser: Browser;
  const ids: Record<string, string> = {};

  before(async () => {
    const train = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "ppo", "--env", "./examples/catch/catch.js:Catch-v0", "--total-timesteps", "4096", "--store", dir, "--name", "catch", "--quiet"], { encoding: "utf8" });
    assert.equal(train.status, 0, train.stderr);
    const store = new RunStore(dir, { create: false });
    ids.catch = store.getRun("catch").id;
    // a run whose env module has gone missing since
    const lost = store.getRun("catch");
    store.db.prepare("UPDATE runs SET versions = json_set(versions, '$.envModule', 'file:///nowhere/gone.js') WHERE id = ?").run(lost.id);
    store.close();
    const again = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "ppo", "--env", "./examples/catch/catch.js:Catch-v0", "--total-timesteps", "2048", "--store", dir, "--name", "catch-2", "--quiet"], { encoding: "utf8" });
    assert.equal(again.status, 0, again.stderr);
    const s2 = new RunStore(dir, { create: false });
    ids.lost = ids.catch!;
    ids.catch = s2.getRun("catch-2").id;
    s2.close();
    dashboard = await startDashboard({ store: dir, port: 0, pollMs: 200 });
    if (!existsSync("/usr/bin/chromium")) throw new Error("the dashboard tests need Debian's Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does it)");
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  });
  after(async () => {
    await browser?.close();
    await dashboard?.close();
  });

  it("the run's module is bundled for the page, registers Catch-v0, and the policy plays on the canvas", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${dashboard.url}#/replay/${ids.catch}`);
    await page.waitForSelector("[data-role=replay-panel][data-state=ready]", { timeout: 30_000 });
    await page.click("[data-action=play]");
    await page.waitForFunction(() => Number(document.querySelector("[data-role=length]")?.textContent?.replace(/,/g, "")) > 3, null, { timeout: 30_000 });
    await page.screenshot({ path: "/tmp/tsrl-dashboard-replay-catch.png" });
    const painted = await page.evaluate(() => {
      const c = document.querySelector("canvas")!;
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let red = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! > 200 && d[i + 1]! < 80 && d[i + 2]! < 80) red++;
      return { width: c.width, height: c.height, red };
    });
    assert.deepEqual([painted.width, painted.height], [120, 240], "Catch's own render() size");
    assert.ok(painted.red > 100, "the ball is drawn");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("a run whose env module is gone shows why on the page", async () => {
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}#/replay/${ids.lost}`);
    await page.waitForSelector("[data-role=replay-panel][data-state=error]", { timeout: 30_000 });
    assert.match((await page.textContent("[data-role=replay-panel]")) ?? "", /Cannot replay: .*gone\.js/);
    await page.close();
  });
});
