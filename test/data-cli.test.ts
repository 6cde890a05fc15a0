import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RunStore } from "../src/track/store.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";

test("tsrl record → datasets list/show → train bc by name; a killed BC run resumes to the uninterrupted one's episodes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-data-cli-"));
  const rec = tsrl("record", "--policy", "random", "--env", "CartPole-v1", "--episodes", "4", "--out", "cp", "--store", dir, "-q");
  assert.equal(rec.code, 0, rec.stderr);
  assert.match(tsrl("datasets", "list", "--store", dir).stdout, /cp\s+CartPole-v1\s+4\s+\d+/);
  assert.match(tsrl("datasets", "show", "cp", "--verify", "--store", dir).stdout, /episodes\s+4\n[\s\S]*SHA-256 checked/);

  const args = (name: string) => ["train", "bc", "--env", "CartPole-v1", "--dataset", "cp", "--total-timesteps", "9000", "--eval-frequency", "1800", "--eval-episodes", "1", "--hidden-sizes", "8", "--batch-size", "32", "--checkpoint-every", "300", "--name", name, "--store", dir, "--json", "-q"];
  const whole = tsrl(...args("whole"));
  assert.equal(whole.code, 0, whole.stderr);
  // killed after 2 of its 30 checkpoints: enough left of the run that it cannot finish before the kill
  await killAfterCheckpoints(args("killed"), dir, "killed", 2);
  const resumed = tsrl("resume", "killed", "--store", dir, "--json", "-q");
  assert.equal(resumed.code, 0, resumed.stderr);
  const store = new RunStore(dir);
  const episodes = (name: string) => store.episodes(store.getRun(name).id).map((e) => [e.step, e.return]);
  assert.equal(episodes("whole").length, 5);
  assert.deepEqual(episodes("killed"), episodes("whole"));
  assert.equal(store.getRun("whole").config.dataset, join(dir, "datasets", "cp")); // recorded by path: a resume finds it from anywhere
  store.close();

  const missing = tsrl("train", "bc", "--env", "CartPole-v1", "--dataset", "nope", "--store", dir);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no dataset at .*nope; see `tsrl datasets list`/);
  const wrongEnv = tsrl("train", "bc", "--env", "Acrobot-v1", "--dataset", "cp", "--store", dir);
  assert.match(wrongEnv.stderr, /recorded on CartPole-v1 with observation space .* but Acrobot-v1 has/);
});
