/** `tsrl train sft|grpo` killed with SIGKILL after a checkpoint and resumed end as an uninterrupted run: metrics and final model bit for bit. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RunStore } from "../src/track/store.js";
import { killAfterCheckpoints, tsrl } from "./cli-run.js";

const TINY = ["--model", "micro", "--task-options", '{"digits":2}'];

/** Everything a run recorded that does not depend on timing: metric rows (step, key, value) without perf/*, the summary without times and speeds, the final model's bytes. */
function recorded(dir: string, name: string) {
  const store = new RunStore(dir, { create: false });
  try {
    const run = store.getRun(name);
    const metrics = store
      .metrics(run.id)
      .filter((m) => !/(^|\/)perf\//.test(m.key))
      .map((m) => `${m.step} ${m.key} ${m.value}`)
      .sort();
    const summary = Object.fromEntries(Object.entries(run.summary ?? {}).filter(([k]) => !/wall_s|tokens_per_s/.test(k)));
    const policy = store.artifacts(run.id, "policy").at(-1);
    return { status: run.status, metrics, summary, model: policy ? readFileSync(policy.path) : null, checkpoints: store.artifacts(run.id, "checkpoint").map((c) => c.step) };
  } finally {
    store.close();
  }
}

async function killResumeCompare(args: string[], killAfter: number) {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-lm-resume-"));
  try {
    const whole = tsrl(...args, "--store", dir, "--name", "whole", "--json");
    assert.equal(whole.code, 0, whole.stderr);
    await killAfterCheckpoints([...args, "--store", dir, "--name", "cut", "--quiet"], dir, "cut", killAfter);
    const cut = recorded(dir, "cut");
    assert.equal(cut.status, "running", "the run was killed before it finished");
    // an unfinished run samples from its newest checkpoint, and says so
    const sampled = tsrl("sample", "cut", "--store", dir, "--prompt", "12+34=", "--json");
    assert.equal(sampled.code, 0, sampled.stderr);
    assert.match(sampled.stderr, new RegExp(`run cut has not finished: using its newest checkpoint \\(step ${cut.checkpoints.at(-1)}\\)`));
    assert.equal((JSON.parse(sampled.stdout) as { completions: unknown[] }).completions.length, 1);
    const resumed = tsrl("resume", "cut", "--store", dir, "--json");
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = recorded(dir, "whole");
    const b = recorded(dir, "cut");
    assert.equal(b.status, "finished");
    assert.ok(a.metrics.length > 20);
    assert.deepEqual(b.metrics, a.metrics);
    assert.deepEqual(b.summary, a.summary);
    assert.ok(a.model && b.model && Buffer.compare(a.model, b.model) === 0, "final models differ");
    // the --json line of the resumed run is the uninterrupted run's, timings aside
    const line = (out: string) => Object.fromEntries(Object.entries(JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>).filter(([k]) => !/wall_s|tokens_per_s/.test(k)));
    assert.deepEqual(line(resumed.stdout), line(whole.stdout));
    return { dir, checkpoints: cut.checkpoints };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("tsrl train sft killed after a checkpoint resumes to the uninterrupted run's metrics and model", async () => {
  await killResumeCompare(["train", "sft", ...TINY, "--steps", "3000", "--batch-size", "16", "--examples", "200", "--eval-every", "100", "--eval-problems", "50", "--test-problems", "50", "--checkpoint-every", "300"], 2);
});

test("tsrl train grpo with its own SFT stage, beta > 0 and dynamic sampling, killed in the GRPO stage, resumes exactly", async () => {
  // checkpoints at 15 (SFT stage) then every 15 steps of the GRPO stage, which counts on from step 20
  const { checkpoints } = await killResumeCompare(["train", "grpo", ...TINY, "--sft-steps", "20", "--sft-examples", "200", "--steps", "600", "--prompts-per-step", "4", "--group-size", "4", "--beta", "0.04", "--dynamic-sampling", "true", "--eval-every", "50", "--test-problems", "50", "--checkpoint-every", "15"], 2);
  assert.ok(checkpoints.at(-1)! > 20, `killed in the GRPO stage (checkpoints ${checkpoints.join(", ")})`);
});

test("tsrl train grpo killed in its own SFT stage resumes SFT, then trains GRPO as an uninterrupted run does", async () => {
  const { checkpoints } = await killResumeCompare(["train", "grpo", ...TINY, "--sft-steps", "600", "--sft-examples", "200", "--steps", "4", "--prompts-per-step", "4", "--group-size", "4", "--eval-every", "2", "--test-problems", "50", "--checkpoint-every", "60"], 2);
  assert.ok(checkpoints.at(-1)! < 600, `killed in the SFT stage (checkpoints ${checkpoints.join(", ")})`);
});

test("tsrl resume of an sft run without a checkpoint, or with --set, says what to do", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-lm-resume-"));
  try {
    const store = new RunStore(dir);
    store.createRun({ name: "early", algo: "sft", env: "addition", seed: 1, config: {}, versions: { tsrl: "0.1.0", pid: 1 << 30, host: "elsewhere" }, checkpoint_every: 10 });
    store.close();
    const none = tsrl("resume", "early", "--store", dir, "--takeover");
    assert.equal(none.code, 1);
    assert.match(none.stderr, /has no checkpoint yet; train it again with tsrl train sft/);
    const set = tsrl("resume", "early", "--store", dir, "--takeover", "--set", "steps=5");
    assert.equal(set.code, 1);
    assert.match(set.stderr, /--set: a sft run resumes with the config it started with/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
