/** `tsrl swe mine` on a small git repository made here, and the swe:FILE task. */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, unlinkSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadSweRecords, mineRepository } from "../src/node/swe-mine.js";
import { splitOfKey, sweRlReward, sweTask, TextEnv } from "../src/text/index.js";

const dir = mkdtempSync(join(tmpdir(), "tsrl-swe-"));
const repo = join(dir, "proj");
after(() => rmSync(dir, { recursive: true, force: true }));

function git(...args: string[]): string {
  return execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], {
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z" },
  });
}
function commit(message: string, files: Record<string, string | Buffer | null>): string {
  for (const [path, content] of Object.entries(files)) {
    const full = join(repo, path);
    if (content === null) unlinkSync(full);
    else {
      mkdirSync(join(full, ".."), { recursive: true });
      writeFileSync(full, content);
    }
  }
  git("add", "-A");
  git("commit", "-q", "-m", message);
  return git("rev-parse", "HEAD").trim();
}

mkdirSync(repo);
git("init", "-q", "-b", "main");
commit("initial import", { "calc.py": "def add(a, b):\n    return a - b\n", "old.py": "x = 1\n" });
const fix = commit("Fix add: it subtracted\n\nadd(2, 2) returned 0.", { "calc.py": "def add(a, b):\n    return a + b\n" });
commit("Add a logo", { "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]) });
commit("Bump lockfile", { "package-lock.json": '{"lockfileVersion": 3}\n' });
commit("Touch many files", Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`m${i}.py`, `v = ${i}\n`])));
commit("Big rewrite", { "big.py": Array.from({ length: 500 }, (_, i) => `line_${i} = ${i}`).join("\n") + "\n" });
const move = commit("Replace old.py by new.py", { "old.py": null, "new.py": "y = 2\n" });
git("checkout", "-q", "-b", "side");
commit("Side change", { "calc.py": "def add(a, b):\n    return a + b  # side\n" });
git("checkout", "-q", "main");
git("merge", "-q", "--no-ff", "-m", "Merge side", "side");

test("mine: SWE-RL records with filters and a hash split", () => {
  const { records, stats } = mineRepository(repo);
  assert.deepEqual(stats.skipped, { "root commit": 1, "binary file": 1, "generated or vendored file": 1, "more than 5 files": 1, "more than 400 changed lines": 1 });
  assert.equal(stats.commits, 8, "8 commits; the merge is not walked");
  assert.deepEqual(records.map((r) => r.commit).sort(), [git("rev-parse", "side").trim(), move, fix].sort());
  const r = records.find((x) => x.commit === fix)!;
  assert.equal(r.message, "Fix add: it subtracted\n\nadd(2, 2) returned 0.");
  assert.deepEqual(r.codeContext, { "calc.py": "def add(a, b):\n    return a - b\n" });
  assert.deepEqual(r.oracleNewContent, { "calc.py": "def add(a, b):\n    return a + b\n" });
  assert.match(r.patch!, /^-    return a - b$/m);
  assert.equal(r.split, splitOfKey("swe", fix));
  const m = records.find((x) => x.commit === move)!;
  assert.deepEqual(m.codeContext, { "old.py": "x = 1\n" });
  assert.deepEqual(m.oracleNewContent, { "new.py": "y = 2\n", "old.py": "" });
  // the oracle edit, written as SEARCH/REPLACE, earns the full reward
  const edit = "<think>\nsubtraction\n</think>\n<solution>\n```python\n### calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```\n</solution>";
  assert.equal(sweRlReward(r.codeContext, r.oracleNewContent, edit).reward, 1);
  const task = sweTask(records);
  const problem = new TextEnv(task, { split: r.split }).sample(50).find((p) => p.data.record.commit === fix)!;
  assert.ok(problem.prompt.includes("Fix add: it subtracted") && problem.prompt.includes("### calc.py\ndef add(a, b):"));
  assert.deepEqual(task.score(problem, edit), { reward: 1, correct: true, wellFormed: true, extracted: edit.slice(edit.indexOf("```"), edit.lastIndexOf("```") + 3) });
  assert.equal(task.score(problem, "no tags").reward, -1);
  const limited = mineRepository(repo, { maxChangedLines: 1000, maxFiles: 10 });
  assert.equal(limited.records.length, 5, "looser limits keep the many-files and big commits");
});

test("tsrl swe mine writes JSONL that loadSweRecords reads back; bad repos and files are clear errors", () => {
  const out = join(dir, "swe.jsonl");
  const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  const r = cli("swe", "mine", repo, "--out", out, "--json");
  assert.equal(r.status, 0, r.stderr);
  const counts = JSON.parse(r.stdout) as { kept: number; splits: Record<string, number> };
  assert.equal(counts.kept, 3);
  assert.equal(loadSweRecords(out).length, 3);
  const bad = cli("swe", "mine", dir, "--out", out);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /is not a git repository/);
  writeFileSync(join(dir, "bad.jsonl"), '{"id": "x", "message": "m", "codeContext": {}, "oracleNewContent": {}, "split": "train"}\n{oops\n');
  assert.throws(() => loadSweRecords(join(dir, "bad.jsonl")), /bad\.jsonl:2: not valid JSON/);
  writeFileSync(join(dir, "bad2.jsonl"), '{"id": "x", "message": "m", "codeContext": {"a": 1}, "oracleNewContent": {}, "split": "train"}\n');
  assert.throws(() => loadSweRecords(join(dir, "bad2.jsonl")), /bad2\.jsonl:1: "codeContext" must map paths to file contents/);
  assert.throws(() => loadSweRecords(join(dir, "missing.jsonl")), /no such file \(write one with `tsrl swe mine/);
  assert.ok(readFileSync(out, "utf8").endsWith("\n"));
});
