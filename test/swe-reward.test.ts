import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { codePoints, generateUnifiedDiff, pySplitlines, pyStrip, SequenceMatcher, sweRlReward, unifiedDiff } from "../src/text/index.js";

interface Context {
  type: "context";
  name: string;
  codeContext: Record<string, string>;
  oracleNewContent: Record<string, string>;
}
interface Case {
  type: "case";
  id: string;
  context: number;
  kind: string;
  output: string;
  reward: number;
  error: string | null;
}
interface DiffCase {
  type: "diff";
  a: string;
  b: string;
  diff: string;
  ratio: number | null;
}

const rows = gunzipSync(readFileSync("test/fixtures/swe-rl/cases.jsonl.gz"))
  .toString("utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Context | Case | DiffCase);
const contexts = rows.filter((r): r is Context => r.type === "context");
const cases = rows.filter((r): r is Case => r.type === "case");
const diffs = rows.filter((r): r is DiffCase => r.type === "diff");

test("sweRlReward equals swe-rl's calculate_search_replace_reward on every fixture case", () => {
  assert.ok(cases.length > 2000 && contexts.length > 200);
  const failures: string[] = [];
  for (const c of cases) {
    const ctx = contexts[c.context]!;
    const got = sweRlReward(ctx.codeContext, ctx.oracleNewContent, c.output);
    // the reference sums over a Python set (order varies by process): 1e-12 absorbs the last bits
    if (Math.abs(got.reward - c.reward) > 1e-12 || (got.error ?? null) !== c.error) {
      failures.push(`${c.id} (${c.kind}): got ${got.reward} ${got.error ?? ""}, want ${c.reward} ${c.error ?? ""}`.slice(0, 300));
    }
  }
  assert.deepEqual(failures, []);
  const kinds = new Set(cases.map((c) => c.kind));
  for (const k of ["exact", "format", "mutated", "lf-joined", "search-equals-replace", "no-blocks"]) assert.ok(kinds.has(k), k);
});

test("unified diffs and character ratios equal CPython's difflib", () => {
  let ratios = 0;
  for (const d of diffs) {
    assert.equal(generateUnifiedDiff(d.a, d.b), d.diff);
    if (d.ratio !== null) {
      ratios++;
      assert.equal(new SequenceMatcher(codePoints(d.a), codePoints(d.b), false).ratio(), d.ratio);
    }
  }
  assert.ok(ratios > 50);
});

test("Python string semantics: strip, splitlines, code points", () => {
  assert.equal(pyStrip("\x1c\x85 a \u3000\x1f"), "a");
  assert.equal(pyStrip("\ufeffa"), "\ufeffa", "Python does not strip the BOM");
  assert.deepEqual(pySplitlines("a\r\nb\rc\x0bd\x0ce\x1cf\x85g\u2028h\n"), ["a", "b", "c", "d", "e", "f", "g", "h"]);
  assert.deepEqual(pySplitlines(""), []);
  assert.deepEqual(pySplitlines("a\n\n"), ["a", ""]);
  assert.equal(new SequenceMatcher(codePoints("😀a"), codePoints("😀b"), false).ratio(), 0.5, "an astral character is one element");
});

test("difflib: CPython's documented examples", () => {
  const s = new SequenceMatcher(codePoints(" abcd"), codePoints("abcd abcd"));
  assert.deepEqual(s.findLongestMatch(0, 5, 0, 9), { a: 0, b: 4, size: 5 });
  assert.deepEqual(new SequenceMatcher(codePoints("abxcd"), codePoints("abcd")).getMatchingBlocks(), [
    { a: 0, b: 0, size: 2 },
    { a: 3, b: 2, size: 2 },
    { a: 5, b: 4, size: 0 },
  ]);
  assert.equal(new SequenceMatcher(codePoints("abcd"), codePoints("bcde")).ratio(), 0.75);
  assert.deepEqual(unifiedDiff("one two three four".split(" "), "zero one tree four".split(" "), { fromfile: "Original", tofile: "Current" }), [
    "--- Original",
    "+++ Current",
    "@@ -1,4 +1,4 @@",
    "+zero",
    " one",
    "-two",
    "-three",
    "+tree",
    " four",
  ]);
  const a = Array.from({ length: 39 }, (_, i) => String(i + 1));
  const b = [...a];
  b.splice(8, 0, "i");
  b[20] += "x";
  b.splice(23, 5);
  b[30] += "y";
  assert.deepEqual(new SequenceMatcher(a, b).getGroupedOpcodes(), [
    [["equal", 5, 8, 5, 8], ["insert", 8, 8, 8, 9], ["equal", 8, 11, 9, 12]],
    [["equal", 16, 19, 17, 20], ["replace", 19, 20, 20, 21], ["equal", 20, 22, 21, 23], ["delete", 22, 27, 23, 23], ["equal", 27, 30, 23, 26]],
    [["equal", 31, 34, 27, 30], ["replace", 34, 35, 30, 31], ["equal", 35, 38, 31, 34]],
  ]);
});

test("sweRlReward: the reference's own test (two files, partial edit) and format errors", () => {
  const ctx = { "a.py": "def add(a, b):\n    return a + b", "b.py": "def sort_list(lst):\n    return sorted(lst)" };
  const oracle = { "a.py": ctx["a.py"], "b.py": "def sort_list(lst: list[int]) -> list[int]:\n    return sorted(lst)" };
  const block = "```python\n### b.py\n<<<<<<< SEARCH\ndef sort_list(lst):\n=======\ndef sort_list(lst: list[int]) -> list[int]:\n>>>>>>> REPLACE\n```";
  assert.equal(sweRlReward(ctx, oracle, `<think>\nx\n</think>\n<solution>\n${block}\n</solution>`).reward, 1);
  assert.deepEqual(sweRlReward(ctx, oracle, `<think>\n \n</think>\n<solution>\n${block}\n</solution>`), { reward: -1, error: "Thought is empty" });
  assert.deepEqual(sweRlReward(ctx, oracle, `<think>x</think>\n${block}`), { reward: -1, error: "count of <solution> is not 1" });
  assert.equal(sweRlReward(ctx, ctx, `<think>x</think><solution>${block}</solution>`).reward, 0, "a change where the oracle changes nothing");
});
