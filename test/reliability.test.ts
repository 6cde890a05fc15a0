/**
 * What a fault-injection and bad-input pass found (issue 19), each kept fixed: a stranded
 * "finished" run, storage damage read as results, one bad row breaking the store, bad logged
 * values, inputs that exhaust memory or time, silently ignored input, leftovers.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { WASM_MAX_BYTES, checkConfigSizes } from "../src/algos/memory.js";
import { StoreReader } from "../src/dashboard/store-reader.js";
import { PPO } from "../src/algos/ppo.js";
import { buildReport } from "../src/track/report.js";
import { RunStore } from "../src/track/store.js";
import { startRun } from "../src/track/tracker.js";

function tsrl(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = () => mkdtempSync(join(tmpdir(), "tsrl-rel-"));
/** A small tracked PPO run (4 iterations of 512 steps, a checkpoint after each). */
const trainArgs = (dir: string, name: string) => ["train", "ppo", "--env", "CartPole-v1", "--total-timesteps", "2048", "--num-steps", "128", "--checkpoint-every", "512", "--backend", "js", "--store", dir, "--name", name, "--quiet"];

function withStore<T>(dir: string, f: (store: RunStore) => T): T {
  const store = new RunStore(dir, { create: false, check: false });
  try {
    return f(store);
  } finally {
    store.close();
  }
}

describe("finished means finished with a policy", () => {
  it("a run left finished without its policy (the old order of writes) is repaired by resume, identically", () => {
    const dir = tempDir();
    assert.equal(tsrl(...trainArgs(dir, "r")).code, 0);
    const before = withStore(dir, (s) => {
      const run = s.getRun("r");
      const policy = s.artifacts(run.id, "policy")[0]!;
      // what a kill between "finished" and the policy's rename left
      s.db.prepare("DELETE FROM artifacts WHERE kind = 'policy'").run();
      rmSync(policy.path);
      return { episodes: s.episodes(run.id), summary: run.summary };
    });
    assert.match(tsrl("runs", "check", "--store", dir).stdout, /finished without a policy record/);
    const r = tsrl("resume", "r", "--store", dir, "--quiet");
    assert.equal(r.code, 0, r.stderr);
    withStore(dir, (s) => {
      const run = s.getRun("r");
      assert.equal(run.status, "finished");
      assert.ok(s.hasIntactPolicy(run.id));
      assert.deepEqual(s.episodes(run.id).map((e) => [e.step, e.return]), before.episodes.map((e) => [e.step, e.return]));
      assert.equal(run.summary?.episodes, before.summary?.episodes);
    });
    assert.match(tsrl("resume", "r", "--store", dir).stderr, /already finished/, "a finished run with its policy is still refused");
  });

  it("startRun with a tsrl agent and no config records the agent's config (so the run resumes) and finish records its policy", () => {
    const dir = tempDir();
    const agent = new PPO({ envId: "CartPole-v1", totalTimesteps: 512, numEnvs: 2, numSteps: 128, seed: 3 });
    const run = startRun({ store: dir, algo: "ppo", env: "CartPole-v1", seed: 3, agent, checkpointEvery: 256 });
    const result = agent.learn(run.callbacks());
    const policy = run.finish({ ...result });
    run.store.close();
    withStore(dir, (s) => {
      const stored = s.getRun(run.runId);
      assert.equal(stored.config.numSteps, 128);
      assert.equal(stored.status, "finished");
      assert.equal(policy?.step, 512);
      assert.ok(s.hasIntactPolicy(run.runId));
    });
  });
});

describe("storage damage is detected, not read as results", () => {
  it("an emptied runs.sqlite beside existing files is refused (train does not start afresh over them); runs check --repair recovers", () => {
    const dir = tempDir();
    assert.equal(tsrl(...trainArgs(dir, "a")).code, 0);
    for (const f of ["runs.sqlite-wal", "runs.sqlite-shm"]) rmSync(join(dir, f), { force: true });
    const saved = join(dir, "saved.sqlite");
    renameSync(join(dir, "runs.sqlite"), saved);
    assert.match(tsrl("runs", "list", "--store", dir).stderr, /store damaged: runs.sqlite is missing, but the store's files .* are there/);
    renameSync(saved, join(dir, "runs.sqlite"));
    truncateSync(join(dir, "runs.sqlite"), 0);
    const train = tsrl(...trainArgs(dir, "b"));
    assert.equal(train.code, 1);
    assert.match(train.stderr, /store damaged: runs.sqlite is empty or was replaced \(or its -wal file is damaged\).*tsrl runs check/);
    assert.match(tsrl("runs", "list", "--store", dir).stderr, /store damaged/, "not \"no runs\"");
    const check = tsrl("runs", "check", "--store", dir);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /runs.sqlite is empty or was replaced/);
    assert.equal(tsrl("runs", "check", "--store", dir, "--repair").code, 0);
    assert.ok(readdirSync(join(dir, "lost+found", "artifacts")).length === 1, "the old run's files are kept");
    assert.equal(tsrl(...trainArgs(dir, "b")).code, 0);
    assert.equal(tsrl("runs", "check", "--store", dir).code, 0);
  });

  it("a run the database lost (its files remain) refuses the store; lost rows fail a read instead of returning part of the run", () => {
    const dir = tempDir();
    assert.equal(tsrl(...trainArgs(dir, "kept")).code, 0);
    assert.equal(tsrl(...trainArgs(dir, "lost")).code, 0);
    const [kept, lost] = withStore(dir, (s) => [s.getRun("kept").id, s.getRun("lost").id]);
    withStore(dir, (s) => {
      const metrics = s.metrics(kept).length;
      // rows lost without the run's count (what a damaged page or WAL frame does)
      s.db.prepare("DELETE FROM metrics WHERE run_id = ? AND step > 1024").run(kept);
      const left = (s.db.prepare("SELECT COUNT(*) FROM metrics WHERE run_id = ?").pluck().get(kept) as number);
      assert.ok(left < metrics);
      s.db.prepare("DELETE FROM runs WHERE id = ?").run(lost);
    });
    const refused = tsrl("runs", "list", "--store", dir);
    assert.match(refused.stderr, new RegExp(`store damaged: artifacts/ holds files of 1 run\\(s\\) the database does not know \\(${lost}\\)`));
    assert.match(tsrl(...trainArgs(dir, "next")).stderr, /store damaged/);
    const check = tsrl("runs", "check", "--store", dir);
    assert.match(check.stdout, new RegExp(`run ${kept}: has \\d+ metric rows of the \\d+ it recorded`));
    assert.match(check.stdout, new RegExp(`artifacts/${lost} belongs to a run the database does not have`));
    assert.match(check.stdout, /rows of a run that does not exist/);
    assert.equal(tsrl("runs", "check", "--store", dir, "--repair").code, 0);
    assert.ok(existsSync(join(dir, "lost+found", lost)));
    // Before the repair accepted the loss, the read failed (checked here on a copy of the count).
    withStore(dir, (s) => {
      s.db.prepare("UPDATE runs SET metric_rows = metric_rows + 1 WHERE id = ?").run(kept);
      assert.throws(() => s.metrics(kept), /store damaged: run \w+ has \d+ metric rows of the \d+ it recorded; run `tsrl runs check/);
      s.db.prepare("UPDATE runs SET metric_rows = metric_rows - 1 WHERE id = ?").run(kept);
    });
    const exported = tsrl("runs", "export", "kept", "--store", dir);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(tsrl("runs", "check", "--store", dir).stdout.trim(), `store ${dir} is intact`);
  });

  it("a run whose last commits were lost (its newer files remain) is refused on read, not read as a shorter run", () => {
    const dir = tempDir();
    assert.equal(tsrl(...trainArgs(dir, "w")).code, 0);
    const id = withStore(dir, (s) => {
      const run = s.getRun("w");
      // what losing the -wal file's last frames leaves: the records of the end of the run gone, its files there
      s.db.prepare("DELETE FROM artifacts WHERE run_id = ? AND step > 1024").run(run.id);
      s.db.prepare("DELETE FROM episodes WHERE run_id = ? AND step > 1024").run(run.id);
      s.db.prepare("DELETE FROM metrics WHERE run_id = ? AND step > 1024").run(run.id);
      s.db.prepare("UPDATE runs SET status = 'running', summary = NULL, episode_rows = (SELECT COUNT(*) FROM episodes WHERE run_id = ?1), metric_rows = (SELECT COUNT(*) FROM metrics WHERE run_id = ?1) WHERE id = ?1".replace(/\?1/g, "@id")).run({ id: run.id });
      return run.id;
    });
    const exported = tsrl("runs", "export", "w", "--what", "episodes", "--store", dir);
    assert.equal(exported.code, 1);
    assert.match(exported.stderr, /store damaged: run \w+ \(w\) has files newer than its records \(checkpoint-0000001536.tsrlckpt, checkpoint-0000002048.tsrlckpt, policy.tsrlpolicy\): the database lost its last commits/);
    assert.match(tsrl("runs", "check", "--store", dir).stdout, /the database lost its last commits/);
    assert.equal(tsrl("runs", "check", "--store", dir, "--repair").code, 0);
    assert.equal(readdirSync(join(dir, "lost+found", id)).length, 3);
    assert.equal(tsrl("resume", "w", "--store", dir, "--quiet").code, 0, "what was recorded resumes");
  });

  it("a flipped byte in the -wal file: the commits after it are lost, and reads say so instead of returning the shorter run", () => {
    // killed after its policy is in place: every commit of the run (and of the store) is still in the -wal file
    const killedRun = () => {
      const dir = tempDir();
      const killed = spawnSync(process.execPath, ["--import", "tsx", "--import", "./test/fixtures/kill-at-step.ts", "src/cli/main.ts", ...trainArgs(dir, "f")], { env: { ...process.env, TSRL_KILL_AT: "rename:6:after" } });
      assert.equal(killed.signal, "SIGKILL");
      return dir;
    };
    // in the header: SQLite ignores the whole -wal file, the run vanishes; the next train does not make that permanent
    const vanished = killedRun();
    const header = readFileSync(join(vanished, "runs.sqlite-wal"));
    header[12]! ^= 1;
    writeFileSync(join(vanished, "runs.sqlite-wal"), header);
    assert.match(tsrl(...trainArgs(vanished, "next")).stderr, /store damaged: runs.sqlite is empty or was replaced \(or its -wal file is damaged\)/);
    // in a frame: the commits from there on are lost
    const dir = killedRun();
    const wal = join(dir, "runs.sqlite-wal");
    const bytes = readFileSync(wal);
    const frames = Math.floor((bytes.length - 32) / (4096 + 24));
    assert.ok(frames > 10, `${frames} frames`);
    bytes[32 + Math.floor(frames / 2) * (4096 + 24) + 24 + 100]! ^= 1; // inside the middle frame's page
    writeFileSync(wal, bytes);
    assert.match(tsrl("runs", "list", "--store", dir).stdout, /\bf +ppo +CartPole-v1 +1 +damaged\b/);
    const exported = tsrl("runs", "export", "f", "--what", "episodes", "--store", dir);
    assert.equal(exported.code, 1);
    assert.match(exported.stderr, /store damaged: run \w+ \(f\) has files newer than its records \(.*policy.tsrlpolicy\): the database lost its last commits/);
  });

  it("runs check verifies every artifact's checksum and finds leftover files", () => {
    const dir = tempDir();
    assert.equal(tsrl(...trainArgs(dir, "c")).code, 0);
    const [first, second] = withStore(dir, (s) => s.artifacts(s.getRun("c").id, "checkpoint"));
    writeFileSync(second!.path, "garbage");
    writeFileSync(join(dir, "artifacts", first!.run_id, ".policy.tsrlpolicy.1.2.tmp"), "torn");
    writeFileSync(join(dir, "artifacts", first!.run_id, "checkpoint-0000000512.tsrlckpt"), "deleted but not removed");
    const check = tsrl("runs", "check", "--store", dir);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /checkpoint .*corrupted \(checksum mismatch\)/);
    assert.match(check.stdout, /temp file .* left by a process killed while writing/);
    assert.match(check.stdout, /checkpoint-0000000512.tsrlckpt is no longer recorded/);
    assert.equal(tsrl("runs", "check", "--store", dir, "--repair").code, 0);
    assert.equal(tsrl("runs", "check", "--store", dir).code, 0);
  });
});

describe("one bad row does not break the store", () => {
  it("malformed JSON in one run's config or versions = null names the run and column; every other run reads", () => {
    const dir = tempDir();
    for (const name of ["good", "badconfig", "badversions"]) assert.equal(tsrl(...trainArgs(dir, name)).code, 0);
    withStore(dir, (s) => {
      s.db.prepare("UPDATE runs SET config = '{\"learningRate\": 0.1' WHERE name = 'badconfig'").run();
      s.db.prepare("UPDATE runs SET versions = 'null' WHERE name = 'badversions'").run();
    });
    const listed = tsrl("runs", "list", "--store", dir, "--json");
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as { name: string; status: string; damaged?: string }[];
    assert.deepEqual(rows.map((r) => [r.name, r.status]), [["good", "finished"], ["badconfig", "damaged"], ["badversions", "damaged"]]);
    assert.match(rows[1]!.damaged!, /run \w+ \(badconfig\): column config is not valid JSON/);
    assert.match(rows[2]!.damaged!, /run \w+ \(badversions\): column versions holds null, not an object/);
    assert.match(tsrl("runs", "list", "--store", dir).stderr, /column config is not valid JSON/);
    assert.match(tsrl("resume", "badconfig", "--store", dir).stderr, /store damaged: run \w+ \(badconfig\): column config is not valid JSON/);
    assert.equal(tsrl("runs", "show", "good", "--store", dir, "--json").code, 0);
    assert.match(tsrl("runs", "check", "--store", dir).stdout, /column versions holds null/);
    // the dashboard's /api/runs reads the same way
    const reader = new StoreReader(dir);
    try {
      const runs = reader.listRuns();
      assert.deepEqual(runs.map((r) => [r.name, r.status]), [["good", "finished"], ["badconfig", "damaged"], ["badversions", "damaged"]]);
      assert.match(runs[1]!.damaged!, /run \w+ \(badconfig\): column config is not valid JSON .*; run `tsrl runs check`/);
      assert.equal(reader.runDetail(runs[2]!.id).status, "damaged");
    } finally {
      reader.close();
    }
  });
});

describe("the logging API checks what it takes", () => {
  it("a NaN return, a fractional step or length is refused at the call; the run stays writable and fail() always succeeds", () => {
    const run = startRun({ store: tempDir(), algo: "custom", env: "none", seed: 0 });
    assert.throws(() => run.logEpisode({ step: 1, return: NaN, length: 3 }), /logEpisode: return must be a finite number, got NaN/);
    assert.throws(() => run.logEpisode({ step: 1.5, return: 1, length: 3 }), /logEpisode: step must be an integer >= 0, got 1.5/);
    assert.throws(() => run.logEpisode({ step: 1, return: 1, length: -1 }), /length must be an integer >= 0, got -1/);
    assert.throws(() => run.log(2, { loss: 1 }, Infinity), /wallSeconds must be a finite number/);
    run.logEpisode({ step: 1, return: 1, length: 3 });
    run.log(1, { loss: NaN }); // a diverged loss is data: recorded as missing
    run.flush();
    assert.deepEqual(run.store.metrics(run.runId).map((m) => m.value), [null]);
    // the store goes away under the run: fail() still returns, with a warning
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    run.logEpisode({ step: 2, return: 2, length: 3 });
    run.store.close();
    assert.doesNotThrow(() => run.fail(new Error("diverged")));
    assert.doesNotThrow(() => run.fail(new Error("again")));
    return new Promise<void>((resolve) => setImmediate(() => {
      process.off("warning", onWarning);
      assert.match(warnings.join("\n"), /could not be marked failed/);
      resolve();
    }));
  });

  it("a run deleted while it is written: the next write fails clearly and leaves no rows of no run", () => {
    const dir = tempDir();
    const run = startRun({ store: dir, algo: "custom", env: "none", seed: 0, name: "doomed" });
    run.logEpisode({ step: 1, return: 1, length: 1 });
    run.flush();
    const other = new RunStore(dir, { create: false });
    other.deleteRun(run.runId, true);
    other.close();
    run.log(2, { loss: 1 });
    assert.throws(() => run.flush(), /run \w+ is no longer in .*deleted while it was written/);
    run.fail(new Error("stopped"));
    withStore(dir, (s) => {
      for (const table of ["episodes", "metrics", "artifacts"]) assert.equal(s.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get(), 0, table);
    });
  });
});

describe("bad input to train is refused before any work", () => {
  it("oversized or endless config files, extra arguments, two spellings of a field, NaN and __proto__ keys", () => {
    const dir = tempDir();
    const big = join(dir, "big.yaml");
    writeFileSync(big, `# ${"x".repeat(2 << 20)}\nseed: 1\n`);
    assert.match(tsrl("train", "ppo", "--config", big, "--no-track").stderr, /config file .*big.yaml is larger than 1 MiB/);
    assert.match(tsrl("train", "ppo", "--config", "/dev/zero", "--no-track").stderr, /larger than 1 MiB/);
    const many = join(dir, "many.json");
    writeFileSync(many, JSON.stringify(Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i]))));
    const unknown = tsrl("train", "ppo", "--env", "CartPole-v1", "--config", many, "--no-track");
    assert.equal(unknown.stderr.match(/unknown field "/g)?.length, 5);
    assert.match(unknown.stderr, /… and 59995 more unknown fields/);
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--no-track", "extra").stderr, /too many arguments for 'ppo'/);
    const twice = join(dir, "twice.yaml");
    writeFileSync(twice, "env: CartPole-v1\nenv_id: Acrobot-v1\n");
    assert.match(tsrl("train", "ppo", "--config", twice, "--no-track").stderr, /names the env twice \(env and env_id\)/);
    writeFileSync(twice, "learning_rate: 0.1\nlearningRate: 0.2\n");
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--config", twice, "--no-track").stderr, /gives field learningRate twice \("learning_rate" and "learningRate"\)/);
    writeFileSync(twice, "learning_rate: .nan\n");
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--config", twice, "--no-track").stderr, /learningRate: .*\(got NaN\)/);
    writeFileSync(twice, "__proto__: 1\n");
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--config", twice, "--no-track").stderr, /unknown field "__proto__"/);
  });

  it("sizes that cannot fit are refused up front naming the field; uncountable step counts are refused; a run that never trains is warned about", () => {
    const GiB = 2 ** 30;
    assert.throws(() => checkConfigSizes({ hiddenSizes: [100_000, 100_000] }, 16 * GiB, WASM_MAX_BYTES), /^ConfigError: hiddenSizes: two networks of hidden sizes 100000,100000 .* needs at least 224 GiB, more than the 4.0 GiB available/);
    assert.throws(() => checkConfigSizes({ numEnvs: 200_000, numSteps: 128, numMinibatches: 4, hiddenSizes: [64, 64] }, 16 * GiB, WASM_MAX_BYTES), /numEnvs × numSteps \/ numMinibatches: .* minibatch of 6400000 .*; lower numEnvs or numSteps, or raise numMinibatches/);
    assert.throws(() => checkConfigSizes({ numEnvs: 4, numSteps: 1e9, numMinibatches: 4, hiddenSizes: [64, 64] }, 16 * GiB, 16 * GiB), /numEnvs × numSteps: a rollout of 4 × 1000000000 steps needs at least 194 GiB/);
    assert.throws(() => checkConfigSizes({ bufferSize: 1e11, hiddenSizes: [120, 84] }, 16 * GiB), /bufferSize: a replay buffer of 100000000000 transitions/);
    // CleanRL's defaults fit easily
    checkConfigSizes({ numEnvs: 4, numSteps: 128, numMinibatches: 4, hiddenSizes: [64, 64] }, GiB, GiB);
    checkConfigSizes({ numEnvs: 1, bufferSize: 10_000, batchSize: 128, hiddenSizes: [120, 84] }, GiB, GiB);
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--no-track", "--hidden-sizes", "100000,100000").stderr, /^tsrl: hiddenSizes: .*more than the .* available; lower hiddenSizes\n$/);
    // the size is named, not the rule between fields it breaks (a run shorter than one rollout)
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--no-track", "--num-envs", "100000000").stderr, /^tsrl: numEnvs × numSteps: a rollout of 100000000 × 128 steps needs at least 620 GiB/);
    assert.match(tsrl("train", "ppo", "--env", "CartPole-v1", "--no-track", "--total-timesteps", "9007199254740991").stderr, /totalTimesteps: cannot be counted exactly; at most 2\^50 \(1125899906842624\) \(got 9007199254740991\)/);
    const never = tsrl("train", "dqn", "--env", "CartPole-v1", "--no-track", "--total-timesteps", "500", "--learning-starts", "1000", "--quiet");
    assert.equal(never.code, 0);
    assert.match(never.stderr, /warning: learningStarts \(1000\) ≥ totalTimesteps \(500\): the agent only collects data and never trains/);
  });

  it("--save and runs export --out are checked before the work; nothing is recorded or left behind", () => {
    const dir = tempDir();
    const r = tsrl(...trainArgs(join(dir, "store"), "s"), "--save", dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot write --save .*: .* is a directory; give a file name/);
    assert.ok(!existsSync(join(dir, "store")), "no run was started");
    assert.equal(tsrl(...trainArgs(join(dir, "store"), "s")).code, 0);
    const e = tsrl("runs", "export", "s", "--store", join(dir, "store"), "--out", dir);
    assert.match(e.stderr, /cannot write --out .* is a directory/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
  });
});

describe("smaller", () => {
  it("concurrent starts with one name: one run, the others told the name is taken", async () => {
    const dir = tempDir();
    const script = `import { startRun } from "./src/track/tracker.ts"; try { startRun({ store: ${JSON.stringify(dir)}, name: "same", algo: "a", env: "e", seed: 0 }).store.close(); console.log("ok"); } catch (e) { console.log(e.message); }`;
    const outputs = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", () => resolve(out.trim()));
    })));
    assert.equal(outputs.filter((o) => o === "ok").length, 1, outputs.join("\n"));
    for (const o of outputs.filter((o) => o !== "ok")) assert.match(o, /a run named "same" already exists/);
  });

  it("a checkpoint file from another step (valid checksum) is refused on resume", () => {
    const dir = tempDir();
    assert.equal(tsrl(...trainArgs(dir, "k")).code, 0);
    withStore(dir, (s) => {
      const run = s.getRun("k");
      const [a, b] = s.artifacts(run.id, "checkpoint");
      copyFileSync(a!.path, b!.path);
      s.db.prepare("UPDATE artifacts SET sha256 = ?, bytes = ? WHERE run_id = ? AND step = ?").run(a!.sha256, a!.bytes, run.id, b!.step);
      for (const later of s.artifacts(run.id).filter((x) => x.step > b!.step)) s.deleteArtifact(later);
      s.db.prepare("UPDATE runs SET status = 'killed' WHERE id = ?").run(run.id);
    });
    assert.match(tsrl("resume", "k", "--store", dir).stderr, /checkpoint .* is recorded at step 1536 but holds step 1024/);
  });

  it("tsrl report shows HTML from run names, algos and envs as text", () => {
    const dir = tempDir();
    const run = startRun({ store: dir, name: "<script>alert(1)</script>", algo: "<img src=x onerror=alert(1)>", env: "e|nv", seed: 0 });
    run.logEpisode({ step: 1, return: 1, length: 1 });
    run.finish();
    const { markdown } = buildReport(run.store, run.store.listRuns(), { bootstrapReps: 10 });
    run.store.close();
    assert.ok(!/<(script|img)/.test(markdown), markdown);
    assert.match(markdown, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(markdown, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(markdown, /e\\\|nv/);
  });

  it("run names cannot hold control characters, and runs list escapes any in the store", () => {
    const dir = tempDir();
    assert.throws(() => startRun({ store: dir, name: "x\u001b]0;pwned\u0007", algo: "a", env: "e", seed: 0 }), /name must be a non-empty string without control characters/);
    const run = startRun({ store: dir, name: "plain", algo: "a", env: "e", seed: 0 });
    run.store.db.prepare("UPDATE runs SET name = ? WHERE id = ?").run("evil\u001b[2J", run.runId);
    run.finish();
    run.store.close();
    const listed = tsrl("runs", "list", "--store", dir).stdout;
    assert.ok(!listed.includes("\u001b"));
    assert.match(listed, /evil\\u001b\[2J/);
  });
});
