/** The run store and exact resume, exercised through the CLI as a user would, including kill -9. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RunStore } from "../src/track/store.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";

function tsrlAsync(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

/** Everything of a run that must not depend on interruptions (wall-clock values excluded). */
function comparable(dir: string, name: string) {
  const store = new RunStore(dir, { create: false });
  const run = store.getRun(name);
  const episodes = store.episodes(run.id).map((e) => [e.step, e.return, e.length]);
  const metrics = store.metrics(run.id).filter((m) => m.key !== "charts/SPS").map((m) => [m.step, m.key, m.value]);
  store.close();
  return { episodes, metrics, status: run.status, summary: { ...run.summary, wall_s: 0, sps: 0 } };
}

describe("run store and exact resume", () => {
  for (const [algo, steps, every, backend] of [["ppo", "40960", "4096", "wasm"], ["dqn", "12000", "2000", "wasm"], ["ppo", "16384", "2048", "js"]] as const) {
    it(`${algo} (${backend} kernels): kill -9 mid-run, resume ⇒ the same episodes and metrics as an uninterrupted run`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "tsrl-store-"));
      const common = ["train", algo, "--env", "CartPole-v1", "--seed", "4", "--total-timesteps", steps, "--checkpoint-every", every, "--backend", backend, "--store", dir, "--quiet"];
      const extra = algo === "dqn" ? ["--learning-starts", "1000"] : [];
      assert.equal(tsrl(...common, ...extra, "--name", "full").code, 0);
      await killAfterCheckpoints([...common, ...extra, "--name", "killed"], dir, "killed", 2);
      const listed = JSON.parse(tsrl("runs", "list", "--store", dir, "--json").stdout) as { name: string; status: string }[];
      assert.equal(listed.find((r) => r.name === "killed")?.status, "killed");
      // The store moved elsewhere still resumes; two resumes at once: one trains, the other is refused.
      const moved = `${dir}-moved`;
      renameSync(dir, moved);
      const both = await Promise.all([0, 1].map(() => tsrlAsync("resume", "killed", "--store", moved, "--quiet")));
      assert.deepEqual(both.map((r) => r.code).sort(), [0, 1], both.map((r) => r.stderr).join("\n"));
      assert.match(both.find((r) => r.code === 1)!.stderr, /is still running \(pid \d+|already finished/);
      const a = comparable(moved, "full"), b = comparable(moved, "killed");
      assert.equal(b.status, "finished");
      assert.ok(a.episodes.length > 20);
      assert.deepEqual(b.episodes, a.episodes);
      assert.deepEqual(b.metrics, a.metrics);
      assert.deepEqual(b.summary, a.summary);
    });
  }

  it("show --json has config, versions and episodes; unknown names get suggestions; finished runs are not resumed", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-store-"));
    const trained = tsrl("train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "2048", "--store", dir, "--name", "tiny", "--backend", "js", "--json");
    assert.equal(trained.code, 0, trained.stderr);
    const [, runId, policy] = /^run ([0-9a-f]{8}) \(tiny\), policy (.+)$/m.exec(trained.stderr) ?? [];
    assert.ok(runId && existsSync(policy!), `stderr names the run and its policy: ${trained.stderr}`);
    const shown = JSON.parse(tsrl("runs", "show", "tiny", "--store", dir, "--json").stdout);
    assert.equal(shown.config.learningRate, 2.5e-4);
    assert.equal(shown.versions.node, process.versions.node);
    assert.equal(shown.versions.backend, "js", "resume uses the backend the run was trained with");
    assert.ok(shown.episodes.length > 0 && "return" in shown.episodes[0] && "length" in shown.episodes[0]);
    assert.ok(shown.metric_keys.includes("losses/approx_kl"));
    assert.match(tsrl("runs", "show", "tinny", "--store", dir).stderr, /no run "tinny".*did you mean tiny\?/);
    assert.match(tsrl("resume", "tiny", "--store", dir).stderr, /already finished/);
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "2048", "--store", dir, "--name", "tiny").stderr, /already exists/);
    const csv = tsrl("runs", "export", "tiny", "--what", "episodes", "--store", dir).stdout.trim().split("\n");
    assert.equal(csv[0], "run_id,run_name,step,wall,return,length");
    assert.equal(csv.length - 1, shown.episodes.length);
    const jsonl = tsrl("runs", "export", "tiny", "--format", "jsonl", "--store", dir).stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(jsonl.some((m) => m.key === "losses/entropy" && typeof m.value === "number"));
    assert.match(tsrl("runs", "export", "tiny", "--format", "xlsx", "--store", dir).stderr, /argument .xlsx. is invalid. Allowed choices are csv, jsonl, parquet/);
    assert.match(tsrl("runs", "rm", "tiny", "--store", dir).stderr, /--yes/);
    assert.equal(tsrl("runs", "rm", "tiny", "--store", dir, "--yes").code, 0);
    assert.deepEqual(JSON.parse(tsrl("runs", "list", "--store", dir, "--json").stdout), []);
  });

  it("a --set change made on resume survives a crash before the next checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-store-"));
    await killAfterCheckpoints(["train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "16384", "--checkpoint-every", "4096", "--store", dir, "--name", "s", "--quiet"], dir, "s", 1);
    // What `tsrl resume s --set totalTimesteps=20480 --force` records before its process dies
    // (a dead pid), with the newest checkpoint still holding the old config:
    const store = new RunStore(dir, { create: false });
    const run = store.getRun("s");
    const step = store.artifacts(run.id, "checkpoint").at(-1)!.step;
    const resumes = [{ ...run.versions, from_step: step, config_changes: { totalTimesteps: [16384, 20480] } }];
    store.resumeRun(run.id, step, { ...run.versions, resumes, pid: 2 ** 22 + 1 }, { config: { ...run.config, totalTimesteps: 20480 } });
    store.close();
    const again = tsrl("resume", "s", "--store", dir, "--quiet");
    assert.equal(again.code, 0, again.stderr);
    const shown = JSON.parse(tsrl("runs", "show", "s", "--store", dir, "--json").stdout);
    assert.equal(shown.summary.total_timesteps, 20480, "the recorded change applies again");
    assert.deepEqual(shown.versions.resumes.at(-1).config_changes, { totalTimesteps: [16384, 20480] });
  });

  it("a corrupted checkpoint is refused and the previous good one is offered", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-store-"));
    await killAfterCheckpoints(["train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "40960", "--checkpoint-every", "2048", "--store", dir, "--name", "c", "--quiet"], dir, "c", 3);
    const store = new RunStore(dir, { create: false });
    const [previous, last] = store.artifacts(store.getRun("c").id, "checkpoint").slice(-2);
    store.close();
    // Changing a field from here on needs --force.
    const longer = ["--set", "total-timesteps=45056"];
    assert.match(tsrl("resume", "c", "--store", dir, ...longer).stderr, /with totalTimesteps 45056 instead of 40960 makes it differ from an uninterrupted run; pass --force/);
    // A config that no longer matches the checkpoint's is refused, naming the field; --force takes the checkpoint's.
    const db = new RunStore(dir, { create: false });
    db.db.prepare("UPDATE runs SET config = json_set(config, '$.learningRate', 0.001) WHERE name = 'c'").run();
    db.close();
    assert.match(tsrl("resume", "c", "--store", dir).stderr, /made with another config \(learningRate: 0.00025 there, 0.001 here\); pass --force/);
    writeFileSync(last!.path, "garbage");
    const r = tsrl("resume", "c", "--store", dir);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`corrupted.*previous checkpoint is at step ${previous!.step}: tsrl resume \\w+ --checkpoint ${previous!.step}`));
    // Fields the state is built for never change; unknown fields get suggestions.
    assert.match(tsrl("resume", "c", "--store", dir, "--checkpoint", String(previous!.step), "--set", "numEnvs=8", "--force").stderr, /numEnvs cannot change within a run/);
    assert.match(tsrl("resume", "c", "--store", dir, "--checkpoint", String(previous!.step), "--set", "learningRat=1", "--force").stderr, /no config field "learningRat" \(did you mean learningRate\?\)/);
    // A run whose pid is alive (here: this test's) is not taken over by --force, only by --takeover.
    const live = new RunStore(dir, { create: false });
    live.db.prepare("UPDATE runs SET versions = json_set(versions, '$.pid', ?, '$.host', ?) WHERE name = 'c'").run(process.pid, hostname());
    live.close();
    const refused = tsrl("resume", "c", "--store", dir, "--checkpoint", String(previous!.step), "--force", ...longer);
    assert.match(refused.stderr, /is still running \(pid \d+ on .*\); if that process is not the trainer .* pass --takeover/);
    const forced = tsrl("resume", "c", "--store", dir, "--checkpoint", String(previous!.step), "--force", "--takeover", ...longer, "--quiet");
    assert.equal(forced.code, 0, forced.stderr);
    const after = JSON.parse(tsrl("runs", "show", "c", "--store", dir, "--json").stdout);
    assert.equal(after.config.totalTimesteps, 45056);
    assert.equal(after.config.learningRate, 2.5e-4, "the checkpoint's config, as --force said");
    assert.equal(after.summary.total_timesteps, 45056);
    assert.deepEqual(after.versions.resumes.at(-1).config_changes, { totalTimesteps: [40960, 45056] });
    assert.ok(readdirSync(dir).includes("runs.sqlite"));
  });
});
