/** `tsrl adastop` (scores from CSV files) and `tsrl compare` (training + AdaStop), as a user runs them. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startDashboard } from "../src/dashboard/server.js";
import type { ScoresResponse } from "../src/dashboard/types.js";
import { RunStore } from "../src/track/store.js";

function tsrl(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A pandas `to_csv()` frame: unnamed index column, one column per agent. */
function pandasCsv(columns: Record<string, number[]>): string {
  const names = Object.keys(columns);
  const rows = columns[names[0]!]!.map((_, i) => [String(i), ...names.map((n) => String(columns[n]![i]))].join(","));
  return [`,${names.join(",")}`, ...rows].join("\n") + "\n";
}

describe("tsrl adastop", () => {
  it("runs one interim per call from CSVs, keeps its state, prints the reference's JSON, plots, resets", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-adastop-"));
    const state = join(dir, "state.json");
    // Interim 1: B is far above A and C; A and C alike. 5 scores each, all 252 splits enumerated.
    writeFileSync(join(dir, "1.csv"), pandasCsv({ A: [0.1, -0.3, 0.5, 0.2, -0.1], B: [5.2, 4.9, 5.5, 5.1, 4.8], C: [0.0, 0.4, -0.2, 0.3, 0.1] }));
    const first = tsrl("adastop", "compare", "--n-groups", "2", "--size-group", "5", "--state", state, "--json", join(dir, "1.csv"));
    assert.equal(first.code, 0, first.stderr);
    const r1 = JSON.parse(first.stdout);
    assert.deepEqual(r1, { decisions: { "A vs B": "smaller", "A vs C": "undecided", "B vs C": "larger" }, finished: false, interim: 1 });
    // Interim 2 (the last): only the agents still undecided, as the reference's CLI takes them,
    // or every column with the decided agent's left empty (ignored, as by the reference).
    const stateCopy = join(dir, "state-copy.json");
    copyFileSync(state, stateCopy);
    writeFileSync(join(dir, "2.csv"), "A,C\n0.2,0.1\n-0.2,0.3\n0.4,-0.1\n0.0,0.2\n0.1,0.0\n");
    writeFileSync(join(dir, "2-all.csv"), "A,B,C\n0.2,,0.1\n-0.2,,0.3\n0.4,,-0.1\n0.0,,0.2\n0.1,,0.0\n");
    const second = JSON.parse(tsrl("adastop", "compare", "--state", state, "--json", join(dir, "2.csv")).stdout);
    assert.deepEqual(second, { decisions: { "A vs B": "smaller", "A vs C": "equal", "B vs C": "larger" }, finished: true, interim: 2 });
    assert.deepEqual(JSON.parse(tsrl("adastop", "compare", "--state", stateCopy, "--json", join(dir, "2-all.csv")).stdout), second);
    assert.deepEqual(JSON.parse(tsrl("adastop", "status", "--state", state, "--json").stdout), second);
    // the reference tool's form: the folder that holds the state file
    copyFileSync(state, join(dir, ".adastop.json"));
    assert.deepEqual(JSON.parse(tsrl("adastop", "status", dir, "--json").stdout), second);
    assert.match(tsrl("adastop", "status", "--state", state).stdout, /A vs C: equal[\s\S]*Test is finished/);
    assert.match(tsrl("adastop", "compare", "--state", state, join(dir, "2.csv")).stderr, /is finished/);
    const svg = join(dir, "adastop.svg");
    assert.equal(tsrl("adastop", "plot", "--state", state, "--out", svg).code, 0);
    assert.ok(["smaller", "larger", "equal"].every((d) => readFileSync(svg, "utf8").includes(d)));
    assert.match(tsrl("adastop", "reset", "--state", state).stdout, /removed/);
    assert.equal(existsSync(state), false);
    assert.match(tsrl("adastop", "status", "--state", state).stderr, /no AdaStop state/);
  });

  it("bad CSVs and renamed agents get clear errors and leave the state file untouched", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-adastop-"));
    const state = join(dir, "state.json");
    writeFileSync(join(dir, "ok.csv"), "A,B\n1,2\n2,3\n3,4\n");
    assert.equal(tsrl("adastop", "compare", "-K", "3", "-N", "3", "--state", state, join(dir, "ok.csv")).code, 0);
    const before = readFileSync(state);
    const bad: [string, string, RegExp][] = [
      ["missing.csv", "A,B\n1,2\n2,\n3,4\n", /missing/i],
      ["text.csv", "A,B\n1,2\n2,x\n3,4\n", /"x"|not a number|non-numeric/i],
      ["rows.csv", "A,B\n1,2\n2,3\n", /3 .*rows|rows.*3|expected 3/i],
      ["renamed.csv", "A,D\n1,2\n2,3\n3,4\n", /D/],
    ];
    for (const [file, text, message] of bad) {
      writeFileSync(join(dir, file), text);
      const r = tsrl("adastop", "compare", "--state", state, join(dir, file));
      assert.equal(r.code, 1, file);
      assert.match(r.stderr, message, `${file}: ${r.stderr}`);
      assert.deepEqual(readFileSync(state), before, `${file} left the state as it was`);
    }
    assert.match(tsrl("adastop", "compare", "--n-groups", "4", "--state", state, join(dir, "ok.csv")).stderr, /--n-groups 4 differs from the state's 3/);
    assert.match(tsrl("adastop", "compare", "--state", state, join(dir, "none.csv")).stderr, /cannot read .*none.csv/);
  });
});

describe("tsrl compare", () => {
  const args = (store: string) => ["compare", "--algos", "ppo,dqn", "--env", "CartPole-v1", "--n", "2", "--K", "2", "--set", "totalTimesteps=4096", "--set", "dqn.learningStarts=500", "--jobs", "2", "--store", store];

  it("trains seeds group by group, applies AdaStop, survives kill -9 and resumes without duplicating runs", async () => {
    const store = mkdtempSync(join(tmpdir(), "tsrl-compare-"));
    const stateFile = join(store, "comparisons", "CartPole-v1-ppo-vs-dqn.json");
    // Kill the whole comparison (and its training children) once the first interim is decided.
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args(store), "--json"], { stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise((resolve) => child.on("exit", (code) => resolve((exitCode = code))));
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (existsSync(stateFile) && JSON.parse(readFileSync(stateFile, "utf8")).adastop.interim >= 1) break;
      // a comparison that ended before its first interim failed: say why instead of waiting forever
      if (exitCode !== undefined) assert.fail(`compare exited (${exitCode}) before its first interim: ${stderr}`);
    }
    process.kill(-child.pid!, "SIGKILL");
    await exited;

    const resumed = tsrl(...args(store), "--json");
    assert.equal(resumed.code, 0, resumed.stderr);
    const result = JSON.parse(resumed.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.finished, true);
    assert.match(result.score, /mean return of 10 episodes of each run's final policy with greedy actions/);
    assert.ok(["larger", "smaller", "equal"].includes(result.decisions["ppo vs dqn"]));
    assert.deepEqual(result.agents.map((a: { agent: string }) => a.agent), ["ppo", "dqn"]);
    for (const a of result.agents) assert.ok(a.iqmLow <= a.iqm && a.iqm <= a.iqmHigh);
    for (const plot of result.plots) assert.match(readFileSync(plot, "utf8"), /^<svg/);

    const db = new RunStore(store, { create: false });
    const runs = db.listRuns();
    const perAgent = result.interim * 2;
    assert.equal(runs.length, 2 * perAgent, "no duplicated or missing runs");
    assert.ok(runs.every((r) => r.status === "finished"));
    // every run's score is its recorded greedy evaluation (once, even across the kill), and the table is built from them
    for (const run of runs) assert.equal(db.metrics(run.id, "eval/mean_return").length, 1, run.name);
    const evaluated = (agent: string) => runs.filter((r) => r.algo === agent).map((r) => db.metrics(r.id, "eval/mean_return")[0]!.value);
    for (const a of result.agents) assert.ok(Math.abs(a.mean - evaluated(a.agent).reduce((x: number, y: number) => x + y, 0) / a.runs) < 1e-9, a.agent);
    const firstEvaluation = db.metrics(runs[0]!.id, "eval/mean_return")[0]!.value;
    db.close();
    assert.deepEqual(new Set(runs.map((r) => r.name)).size, runs.length);

    // The dashboard shows the comparison's decisions next to its runs.
    const dashboard = await startDashboard({ store, port: 0 });
    const scores = (await (await fetch(`${dashboard.url.replace(/\/$/, "")}/api/scores?runs=${runs[0]!.id}`)).json()) as ScoresResponse;
    await dashboard.close();
    assert.deepEqual(scores.comparisons.map((c) => [c.name, c.decisions, c.runs.length]), [["CartPole-v1-ppo-vs-dqn", result.decisions, runs.length]]);
    assert.equal(typeof scores.scores[runs[0]!.id], "number");
    assert.equal(scores.evaluations[runs[0]!.id], firstEvaluation, "the dashboard shows the evaluation compare decided on");

    // Done already: a second call trains nothing and gives the same decisions.
    const again = JSON.parse(tsrl(...args(store), "--json").stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(again.decisions, result.decisions);
    const other = tsrl("compare", "--algos", "ppo,dqn", "--env", "CartPole-v1", "--n", "3", "--K", "2", "--store", store);
    assert.match(other.stderr, /exists with other settings/);
    assert.match(tsrl(...args(store), "--compare-to-first").stderr, /exists with other settings.*"compareToFirst":false/);
    assert.match(tsrl("compare", "--algos", "ppo,a2c", "--env", "CartPole-v1", "--store", store).stderr, /unknown algorithm "a2c"/);
    assert.match(tsrl("compare", "--algos", "ppo,dqn", "--env", "CartPole-v1", "--set", "dqn.nope=1", "--store", store).stderr, /dqn has no config field "nope"/);
    assert.match(tsrl("compare", "--algos", "ppo,dqn", "--env", "CartPole-v1", "--set", "seed=3", "--store", store).stderr, /sets seed itself/);
  });
});
