/** Logging from user code, concurrent writers, Parquet export, plots and the store's bad-input errors. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parquetReadObjects } from "hyparquet";
import { PPO } from "../src/algos/ppo.js";
import * as echarts from "echarts";
import { groupsChart, runsChart } from "../src/plot/chart.js";
import { groupCurve, smooth } from "../src/plot/curves.js";
import { RunStore } from "../src/track/store.js";
import { startRun } from "../src/track/tracker.js";
import { collectVersions } from "../src/track/versions.js";

function tsrl(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempStore = () => mkdtempSync(join(tmpdir(), "tsrl-api-"));

describe("logging API", () => {
  it("custom scalars and episodes from a user loop, next to a tsrl algorithm's own metrics", () => {
    const dir = tempStore();
    const agent = new PPO({ envId: "CartPole-v1", totalTimesteps: 1024, numEnvs: 2, numSteps: 128, seed: 3 });
    const run = startRun({ store: dir, name: "mine", algo: "ppo", env: "CartPole-v1", seed: 3, config: { note: "custom" }, agent, checkpointEvery: 512 });
    let episodes = 0;
    const result = agent.learn(run.callbacks({ onEpisode: (e) => run.log(e.step, { "custom/episode_index": episodes++ }) }));
    run.log(result.total_timesteps, { "custom/final": 42 });
    run.finish({ ...result });
    run.store.close();

    const store = new RunStore(dir, { create: false });
    const stored = store.getRun("mine");
    assert.equal(stored.status, "finished");
    assert.deepEqual(stored.config, { note: "custom" });
    assert.equal(store.episodes(stored.id).length, result.episodes);
    assert.equal(store.metrics(stored.id, "custom/episode_index").length, result.episodes);
    assert.deepEqual(store.metrics(stored.id, "custom/final").map((m) => [m.step, m.value]), [[1024, 42]]);
    assert.ok(store.metricKeys(stored.id).includes("losses/value_loss"));
    assert.deepEqual(store.artifacts(stored.id, "checkpoint").map((a) => a.step), [512, 1024]);
    assert.throws(() => run.finish(), /already ended/);
    store.close();
  });

  it("rejects a bad step or a non-number value with the name of what is wrong", () => {
    const run = startRun({ store: tempStore(), algo: "custom", env: "none", seed: 0 });
    assert.throws(() => run.log(-1, { a: 1 }), /step must be an integer >= 0, got -1/);
    assert.throws(() => run.log(1, { loss: "0.5" as unknown as number }), /metric "loss" must be a number, got string/);
    run.fail(new Error("user stopped"));
    assert.equal(run.store.getRun(run.runId).error, "user stopped");
    run.store.close();
  });

  it("a store path that cannot be written is refused with a clear message, and nothing is created", () => {
    const file = join(tempStore(), "a-file");
    writeFileSync(file, "x");
    assert.throws(() => startRun({ store: join(file, "store"), algo: "ppo", env: "CartPole-v1", seed: 0 }), /store .*a-file\/store is not writable \(ENOTDIR\); pass --store DIR or set TSRL_STORE/);
    const r = tsrl("train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "4096", "--store", join(file, "store"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not writable/);
  });

  it("records the git commit of the working directory, dirty when a tracked file changed", () => {
    const repo = tempStore();
    const git = (...args: string[]) => spawnSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" }).stdout.trim();
    git("init", "-q");
    writeFileSync(join(repo, "train.ts"), "1");
    git("add", "train.ts");
    git("commit", "-qm", "first");
    const commit = git("rev-parse", "HEAD");
    writeFileSync(join(repo, "notes.txt"), "untracked");
    assert.deepEqual(collectVersions(repo).git, { commit, dirty: false });
    writeFileSync(join(repo, "train.ts"), "2");
    assert.deepEqual(collectVersions(repo).git, { commit, dirty: true });
    assert.equal(collectVersions(tmpdir()).git, null, "outside a repository");
  });

  it("finds runs by exact id before names, by id prefix without wildcards, and keeps running runs", () => {
    const store = new RunStore(tempStore());
    const first = store.createRun({ algo: "custom", env: "none", seed: 0, config: {}, versions: {}, checkpoint_every: 0 });
    const second = store.createRun({ name: first.id, algo: "custom", env: "none", seed: 1, config: {}, versions: {}, checkpoint_every: 0 });
    assert.equal(store.getRun(first.id).id, first.id, "the id, not the run named like it");
    assert.equal(store.getRun(second.id.slice(0, 5)).id, second.id);
    assert.throws(() => store.getRun("%"), /no run "%"/);
    store.db.prepare("UPDATE runs SET versions = ? WHERE id = ?").run(JSON.stringify({ pid: process.pid, host: hostname() }), first.id);
    assert.throws(() => store.deleteRun(first.id), /is still running \(pid \d+ on .*\); stop it first/);
    store.deleteRun(first.id, true);
    assert.deepEqual(store.listRuns().map((r) => r.id), [second.id]);
    store.close();
  });
});

describe("concurrent writers", () => {
  it("4 processes logging into one store at once lose no rows and never fail on a lock", async () => {
    const dir = tempStore();
    const writers = 4, batches = 600, perBatch = 10;
    const codes = await Promise.all(
      Array.from({ length: writers }, (_, w) => {
        const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/concurrent-writer.ts", dir, `w${w}`, String(batches), String(perBatch)], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        return new Promise<[number | null, string]>((resolve) => child.on("exit", (code) => resolve([code, stderr])));
      }),
    );
    for (const [code, stderr] of codes) assert.equal(code, 0, stderr);
    const store = new RunStore(dir, { create: false });
    const rows = batches * perBatch;
    for (let w = 0; w < writers; w++) {
      const run = store.getRun(`w${w}`);
      assert.equal(run.status, "finished");
      const episodes = store.episodes(run.id);
      assert.equal(episodes.length, rows);
      assert.deepEqual(episodes.map((e) => e.step), Array.from({ length: rows }, (_, i) => i));
      assert.equal(store.metrics(run.id).length, 2 * rows);
    }
    store.close();
  });

  it("a write that first reads waits for another process's commit instead of failing with \"database is locked\"", async () => {
    const dir = tempStore();
    const store = new RunStore(dir);
    const run = store.createRun({ algo: "custom", env: "none", seed: 0, config: {}, versions: {}, checkpoint_every: 0 });
    // Another connection holds the write lock, then commits: a deferred transaction that read
    // before it (addArtifact checks the run first) would get SQLITE_BUSY at once, past the busy timeout.
    const holder = spawn(process.execPath, ["-e", `
      const db = new (require("better-sqlite3"))(process.argv[1]);
      db.exec("BEGIN IMMEDIATE"); db.prepare("UPDATE runs SET notes = 'held' WHERE id = ?").run(process.argv[2]);
      process.stdout.write("locked\\n");
      setTimeout(() => { db.exec("COMMIT"); db.close(); }, 400);`, join(dir, "runs.sqlite"), run.id], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    const record = store.addArtifact(run.id, "checkpoint", 10, new Uint8Array([1, 2, 3]), { episodes: [{ step: 10, wall: 0, return: 1, length: 10 }], metrics: [] });
    await new Promise((resolve) => holder.on("exit", resolve));
    assert.equal(record.step, 10);
    assert.equal(store.episodes(run.id).length, 1);
    assert.equal(store.getRun(run.id).notes, "held");
    store.close();
  });
});

describe("export and plots", () => {
  const dir = tempStore();
  const train = (seed: number, algo = "ppo") => {
    const extra = algo === "dqn" ? ["--learning-starts", "500"] : [];
    const r = tsrl("train", algo, "--env", "CartPole-v1", "--seed", String(seed), "--total-timesteps", "4096", ...extra, "--store", dir, "--name", `${algo}${seed}`, "--quiet");
    assert.equal(r.code, 0, r.stderr);
  };
  before(() => {
    train(1, "ppo");
    train(2, "ppo");
    train(1, "dqn");
  });

  it("Parquet export reads back with the same rows as the store", async () => {
    const out = join(dir, "eps.parquet");
    assert.equal(tsrl("runs", "export", "ppo1", "dqn1", "--format", "parquet", "--what", "episodes", "--out", out, "--store", dir).code, 0);
    const bytes = readFileSync(out);
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    const store = new RunStore(dir, { create: false });
    const expected = ["ppo1", "dqn1"].flatMap((name) => {
      const run = store.getRun(name);
      return store.episodes(run.id).map((e) => ({ run_id: run.id, run_name: name, step: BigInt(e.step), wall: e.wall, return: e.return, length: e.length }));
    });
    store.close();
    assert.ok(expected.length > 20);
    assert.deepEqual(rows, expected);

    const metricsOut = join(dir, "m.parquet");
    assert.equal(tsrl("runs", "export", "ppo1", "--format", "parquet", "--out", metricsOut, "--store", dir).code, 0);
    const mb = readFileSync(metricsOut);
    const metrics = await parquetReadObjects({ file: mb.buffer.slice(mb.byteOffset, mb.byteOffset + mb.byteLength) });
    assert.ok(metrics.some((m) => m.key === "losses/entropy" && typeof m.value === "number"));
  });

  it("plot: an SVG with title, axis names and one line per run, or mean + band per group", () => {
    const out = join(dir, "runs.svg");
    const r = tsrl("plot", "ppo1", "ppo2", "dqn1", "--out", out, "--store", dir);
    assert.equal(r.code, 0, r.stderr);
    const svg = readFileSync(out, "utf8");
    assert.match(svg, /^<svg/);
    for (const text of ["CartPole-v1: episodic return", "environment steps", "episodic return (mean of last 20)", "ppo1", "ppo2", "dqn1"]) assert.ok(svg.includes(text), text);
    assert.equal((svg.match(/<path d="M[^"]*L/g) ?? []).length >= 3, true);

    const grouped = join(dir, "grouped.svg");
    assert.equal(tsrl("plot", "ppo1", "ppo2", "dqn1", "--group-by", "algo", "--x", "wall", "--out", grouped, "--store", dir).code, 0);
    const g = readFileSync(grouped, "utf8");
    for (const text of ["ppo (n = 2)", "dqn (n = 1)", "wall-clock time (s)", "95% bootstrap CI"]) assert.ok(g.includes(text), text);
    assert.ok(/fill-opacity="0.18"/.test(g), "a shaded band");
  });

  it("plot: a PNG of the requested size; bad input is named", () => {
    const out = join(dir, "curves.png");
    assert.equal(tsrl("plot", "ppo1", "--metric", "losses/entropy", "--width", "600", "--height", "400", "--out", out, "--store", dir).code, 0);
    const png = readFileSync(out);
    assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1200, 800]);
    assert.match(tsrl("plot", "ppo1", "--out", join(dir, "x.jpg"), "--store", dir).stderr, /--out must end in .svg or .png/);
    assert.match(tsrl("plot", "ppo1", "--metric", "losses/nope", "--out", out, "--store", dir).stderr, /has no metric "losses\/nope"; it has: .*losses\/entropy/);
    assert.match(tsrl("plot", "ppo1", "--group-by", "colour", "--out", out, "--store", dir).stderr, /--group-by "colour": run \w+ has no such field/);
    assert.match(tsrl("plot", "ppo9", "--out", out, "--store", dir).stderr, /no run "ppo9".*did you mean/);
    assert.match(tsrl("plot", "ppo1", "--out", join(out, "inside-a-file.svg"), "--store", dir).stderr, /cannot write .*inside-a-file\.svg: .*curves\.png is not a writable directory \((EEXIST|ENOTDIR)\)/);
    assert.match(tsrl("runs", "list", "--store", join(dir, "nowhere")).stderr, /no run store at .*nowhere: train a run first/);
  });
});

describe("report", () => {
  it("a markdown table per env and algo with mean ± std over seeds, wall-clock, linked SVGs; bad input named", () => {
    const dir = tempStore();
    for (const [algo, seed] of [["ppo", 1], ["ppo", 2], ["dqn", 1]] as const) {
      const run = startRun({ store: dir, name: `${algo}|${seed}`, algo, env: "CartPole-v1", seed });
      for (let i = 0; i < 150; i++) run.logEpisode({ step: i * 10, return: i < 50 ? 0 : seed * 10 + (algo === "dqn" ? 100 : 0), length: 10 });
      run.finish({ wall_s: seed * 2 });
      run.store.close();
    }
    const out = join(dir, "out", "report.md");
    const r = tsrl("report", "--out", out, "--store", dir);
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(out, "utf8");
    // ppo seeds score 10 and 20 (last 100 episodes), dqn 110: mean ± sample std
    assert.match(md, /\| env \| dqn \| ppo \|/);
    // one run has no spread: said so, not "± 0.00" with a [x, x] interval
    assert.match(md, /\| CartPole-v1 \| 110\.00 \(n = 1, no interval\) \| 15\.00 ± 7\.07 \(n = 2\) \|/);
    assert.match(md, /\| CartPole-v1 \| 2\.0 \| 3\.0 ± 1\.4 \|/);
    // IQM of {10, 20} trims nothing (scipy: int(0.25·2) = 0): 15; resamples give 10, 15 or 20
    assert.match(md, /\| CartPole-v1 \| 110\.00 \(n = 1, no interval\) \| 15\.00 \[10\.00, 20\.00\] \|/);
    assert.ok(!md.includes("split by"), "runs of one config are not split");
    assert.match(md, /10,000 resamples/);
    assert.match(md, /!\[CartPole-v1\]\(report-CartPole-v1\.svg\)/);
    assert.match(md, /ppo\\\|1/, "a | in a run name is escaped");
    assert.match(readFileSync(join(dir, "out", "report-CartPole-v1.svg"), "utf8"), /^<svg/);
    assert.equal(tsrl("report", "--out", out, "--reps", "2000", "--no-plots", "--store", dir).code, 0);
    assert.match(readFileSync(out, "utf8"), /2,000 resamples/);
    assert.match(tsrl("report", "--out", out, "--reps", "0", "--store", dir).stderr, /--reps/);
    assert.match(tsrl("report", "--out", join(dir, "r.txt"), "--store", dir).stderr, /--out must be a .md file/);
    assert.match(tsrl("report", "--algo", "sac", "--out", out, "--store", dir).stderr, /no finished runs/);
  });

  it("runs of one algorithm with different budgets are not averaged together: the column is split by the differing field", () => {
    const dir = tempStore();
    for (const [total, seed, score] of [[500_000, 1, 480], [500_000, 2, 490], [50_000, 1, 100]] as const) {
      const run = startRun({ store: dir, algo: "ppo", env: "CartPole-v1", seed, config: { envId: "CartPole-v1", seed, totalTimesteps: total, learningRate: 2.5e-4 } });
      for (let i = 0; i < 100; i++) run.logEpisode({ step: i * 10, return: score, length: 10 });
      run.finish({ wall_s: 1 });
      run.store.close();
    }
    const out = join(dir, "report.md");
    assert.equal(tsrl("report", "--out", out, "--no-plots", "--store", dir).code, 0);
    const md = readFileSync(out, "utf8");
    assert.match(md, /split by `totalTimesteps`/);
    assert.match(md, /\| env \| ppo \(totalTimesteps=50000\) \| ppo \(totalTimesteps=500000\) \|/);
    assert.match(md, /\| CartPole-v1 \| 100\.00 \(n = 1, no interval\) \| 485\.00 ± 7\.07 \(n = 2\) \|/);
  });
});

const pick = (axis: unknown) => {
  const { min, max } = axis as { min?: number; max?: number };
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
};

describe("curves", () => {
  it("trailing mean", () => {
    assert.deepEqual(smooth([1, 2, 3, 4].map((y, x) => ({ x, y })), 2).map((p) => p.y), [1, 1.5, 2.5, 3.5]);
  });

  it("a band below zero is drawn where it is (not stacked from 0)", () => {
    const runs = [0, 1, 2].map((i) => [0, 50, 100].map((x) => ({ x, y: -100 + 5 * i })));
    const option = groupsChart([groupCurve("acrobot", runs, { gridPoints: 3 })], { title: "t", xLabel: "x", yLabel: "y" });
    const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: 600, height: 400 });
    chart.setOption(option);
    const extent = (chart as unknown as { getModel(): { getComponent(t: string): { axis: { scale: { getExtent(): number[] } } } } }).getModel().getComponent("yAxis").axis.scale.getExtent();
    chart.dispose();
    assert.ok(extent[1]! < 0, `y axis reaches ${extent[1]}`);
  });

  it("a constant series gets a readable y range, not one spanning its rounding noise", () => {
    const noisy = [0.05, 0.04999999999999996, 0.05000000000000001].map((y, x) => ({ x, y }));
    assert.deepEqual(pick(runsChart([{ label: "epsilon", points: noisy }], { title: "t", xLabel: "x", yLabel: "y" }).yAxis), { min: 0.045, max: 0.055 });
    assert.deepEqual(pick(runsChart([{ label: "zero", points: [{ x: 0, y: 0 }, { x: 1, y: 0 }] }], { title: "t", xLabel: "x", yLabel: "y" }).yAxis), { min: -1, max: 1 });
    assert.deepEqual(pick(runsChart([{ label: "varies", points: [{ x: 0, y: 0.05 }, { x: 1, y: 0.0501 }] }], { title: "t", xLabel: "x", yLabel: "y" }).yAxis), {});
  });

  it("the group curve: each run's latest value, only where every run has data; 2 runs: their range; 3+: a bootstrap band inside it", () => {
    const a = [{ x: 0, y: 0 }, { x: 10, y: 10 }];
    const b = [{ x: 0, y: 2 }, { x: 5, y: 4 }];
    const c = groupCurve("g", [a, b], { gridPoints: 3 });
    assert.deepEqual(c.x, [0, 2.5, 5], "ends where the shorter run ends");
    assert.deepEqual(c.count, [2, 2, 2]);
    assert.deepEqual(c.mean, [1, 1, 2]);
    assert.deepEqual([c.lower, c.upper], [[0, 0, 0], [2, 2, 4]], "the two runs' range, not a t band of ±12.7 σ");
    const late = groupCurve("g", [[{ x: 3, y: 1 }, { x: 9, y: 1 }], a], { gridPoints: 2 });
    assert.deepEqual(late.x, [3, 9], "starts where the later run starts");
    // CartPole-like returns: the band never leaves what the runs did
    const runs = [[480, 500, 500], [20, 30, 500], [490, 495, 500], [100, 480, 500]].map((ys) => ys.map((y, x) => ({ x, y })));
    const g = groupCurve("g", runs, { gridPoints: 3 });
    for (let i = 0; i < 3; i++) {
      const ys = runs.map((r) => r[i]!.y);
      assert.ok(g.lower[i]! >= Math.min(...ys) && g.upper[i]! <= Math.max(...ys), `x ${i}: [${g.lower[i]}, ${g.upper[i]}] within the runs`);
      assert.ok(g.lower[i]! <= g.mean[i]! && g.mean[i]! <= g.upper[i]!);
    }
    assert.ok(g.upper[0]! - g.lower[0]! > 100, "spread runs give a wide band");
    assert.deepEqual([g.lower[2], g.upper[2]], [500, 500]);
    assert.deepEqual(groupCurve("g", runs, { gridPoints: 3 }), g, "seeded: the same picture every time");
    assert.deepEqual(groupCurve("g", [a], { gridPoints: 2 }).lower, [0, 10], "one run: no band");
  });

  it("the x axis stays at the bottom when values cross zero", () => {
    const option = runsChart([{ label: "r", points: [{ x: 0, y: -50 }, { x: 1, y: 50 }] }], { title: "t", xLabel: "x", yLabel: "y" });
    assert.equal((option.xAxis as { axisLine: { onZero: boolean } }).axisLine.onZero, false);
  });
});
