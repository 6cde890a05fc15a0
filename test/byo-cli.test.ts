/** A user's env on the command line: --env ./module.js:Id-v0 for train, kill -9 and resume, enjoy, and the errors. */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RunStore } from "../src/track/store.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";

function episodes(dir: string, name: string) {
  const store = new RunStore(dir, { create: false });
  const run = store.getRun(name);
  const rows = store.episodes(run.id).map((e) => [e.step, e.return, e.length]);
  store.close();
  return { rows, status: run.status, versions: run.versions as { envModule?: string } };
}

describe("your env on the command line", () => {
  it("train --env ./examples/catch/catch.js:Catch-v0, kill -9, resume ⇒ the same episodes; enjoy finds the module", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsrl-byo-"));
    const common = ["train", "ppo", "--env", "./examples/catch/catch.js:Catch-v0", "--seed", "2", "--total-timesteps", "24576", "--checkpoint-every", "4096", "--store", dir, "--quiet"];
    assert.equal(tsrl(...common, "--name", "full").code, 0);
    await killAfterCheckpoints([...common, "--name", "killed"], dir, "killed", 2);
    const resumed = tsrl("resume", "killed", "--store", dir, "--quiet");
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = episodes(dir, "full"), b = episodes(dir, "killed");
    assert.equal(b.status, "finished");
    assert.ok(a.rows.length > 1000);
    assert.deepEqual(b.rows, a.rows);
    assert.match(a.versions.envModule ?? "", /examples\/catch\/catch\.js$/, "the module is recorded with the run");
    const enjoy = tsrl("enjoy", "full", "--store", dir, "--episodes", "3", "--json");
    assert.equal(enjoy.code, 0, enjoy.stderr);
    assert.equal(JSON.parse(enjoy.stdout.trim().split("\n").at(-1)!).episodes, 3);
  });

  it("a module that does not register the id, and an env that cannot be checkpointed, are refused before training", () => {
    const wrongId = tsrl("train", "ppo", "--env", "./test/fixtures/envs/no-state.js:Catch-v9", "--no-track");
    assert.notEqual(wrongId.code, 0);
    assert.match(wrongId.stderr, /does not register Catch-v9; it registers Coin-v0/);
    const missing = tsrl("train", "ppo", "--env", "./nowhere.js:Thing-v0", "--no-track");
    assert.match(missing.stderr, /env module \.\/nowhere\.js not found/);
    const dir = mkdtempSync(join(tmpdir(), "tsrl-byo-"));
    const noState = tsrl("train", "ppo", "--env", "./test/fixtures/envs/no-state.js:Coin-v0", "--total-timesteps", "2048", "--store", dir, "--quiet");
    assert.notEqual(noState.code, 0);
    assert.match(noState.stderr, /cannot be checkpointed: implement getState\(\).*--checkpoint-every 0/s);
    const ok = tsrl("train", "ppo", "--env", "./test/fixtures/envs/no-state.js:Coin-v0", "--total-timesteps", "2048", "--store", dir, "--checkpoint-every", "0", "--quiet", "--json");
    assert.equal(ok.code, 0, ok.stderr);
  });
});
