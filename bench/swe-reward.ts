/**
 * Speed of `sweRlReward` on the 2,319 fixture cases (test/fixtures/swe-rl), and — with
 * `--swe-rl DIR` (a checkout of facebookresearch/swe-rl) — of the reference
 * `calculate_search_replace_reward` on the same cases in the same run, for a ratio:
 *
 *   node --import tsx bench/swe-reward.ts [--rounds 3] [--swe-rl DIR] [--python /usr/bin/python3]
 *
 * The reference module imports `unidiff` for functions not timed here; when the package is
 * missing a stand-in module is put on the path.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { sweRlReward } from "../src/text/index.js";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, "swe-rl": { type: "string" }, python: { type: "string", default: "/usr/bin/python3" } } });
const FIXTURE = "test/fixtures/swe-rl/cases.jsonl.gz";
const rows = gunzipSync(readFileSync(FIXTURE)).toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const contexts = rows.filter((r) => r.type === "context");
const cases = rows.filter((r) => r.type === "case");

function timeTsrl(): number {
  const t = performance.now();
  for (const c of cases) {
    const ctx = contexts[c.context];
    sweRlReward(ctx.codeContext, ctx.oracleNewContent, c.output);
  }
  return (performance.now() - t) / 1000;
}

const PY = `
import gzip, json, sys, time
sys.path.insert(0, sys.argv[2])
sys.path.insert(0, sys.argv[3])
from swerl.core.reward import calculate_search_replace_reward
rows = [json.loads(l) for l in gzip.open(sys.argv[1], "rt", encoding="utf-8")]
ctxs = [r for r in rows if r["type"] == "context"]
cases = [r for r in rows if r["type"] == "case"]
t = time.perf_counter()
for c in cases:
    x = ctxs[c["context"]]
    calculate_search_replace_reward(x["codeContext"], x["oracleNewContent"], c["output"])
print(time.perf_counter() - t)
`;

function timeReference(dir: string, rounds: number): number | null {
  const stub = mkdtempSync(join(tmpdir(), "unidiff-stub-"));
  const has = spawnSync(values.python!, ["-c", "import unidiff"]).status === 0;
  if (!has) {
    mkdirSync(join(stub, "unidiff"));
    writeFileSync(join(stub, "unidiff", "__init__.py"), "class PatchedFile: pass\nclass PatchSet: pass\n");
    writeFileSync(join(stub, "unidiff", "errors.py"), "class UnidiffParseError(Exception): pass\n");
  }
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const out = spawnSync(values.python!, ["-c", PY, resolve(FIXTURE), join(resolve(dir), "src"), stub], { encoding: "utf8" });
    if (out.status !== 0) {
      console.error(`reference run failed: ${out.stderr.trim().split("\n").at(-1)}`);
      return null;
    }
    best = Math.min(best, Number(out.stdout.trim()));
  }
  return best;
}

const rounds = Number(values.rounds);
let tsrl = Infinity;
for (let r = 0; r < rounds; r++) tsrl = Math.min(tsrl, timeTsrl());
console.log(`tsrl sweRlReward: ${cases.length} cases in ${tsrl.toFixed(2)} s (best of ${rounds})`);
if (values["swe-rl"]) {
  const ref = timeReference(values["swe-rl"], rounds);
  if (ref !== null) console.log(`swe-rl calculate_search_replace_reward (${values.python}): ${ref.toFixed(2)} s (best of ${rounds}); tsrl is ${(ref / tsrl).toFixed(1)}× the reference's speed`);
}
