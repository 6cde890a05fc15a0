/**
 * The SWE-RL reward (Wei et al. 2025, "SWE-RL: Advancing LLM Reasoning via Reinforcement Learning
 * on Open Software Evolution"), ported from `facebookresearch/swe-rl@5aa10d6:src/swerl/core/reward.py`
 * (`calculate_search_replace_reward` and what it calls) with the reference's exact semantics:
 *
 * 1. Format: the output must contain each of `<think>`, `</think>`, `<solution>`, `</solution>`
 *    exactly once; the thought (text after `<think>` up to `</think>`, Python-stripped) must not
 *    be empty. The solution must hold SEARCH/REPLACE blocks
 *    ("```…\n### path\n<<<<<<< SEARCH\n…\n=======\n…\n>>>>>>> REPLACE\n```").
 * 2. Edits are applied per file in order to "\n" + the file's content as Python's `str.replace`
 *    (every occurrence) of "\n" + search by "\n" + replace. A block whose search equals its
 *    replace, or whose search is not found, is a format error.
 * 3. Every format error scores −1.0.
 * 4. Otherwise per file a unified diff (`difflib.unified_diff` of `str.splitlines()` lines, n=3,
 *    headers dropped) of old → predicted and old → oracle; the similarity of a file is
 *    `SequenceMatcher(None, pred, oracle, autojunk=False).ratio()` over characters, 0 if either
 *    diff is empty; the reward is the mean over the union of files, or 1.0 when neither side
 *    changes anything.
 *
 * The reference sums similarities over a Python set, whose order varies between processes; here
 * the order is the oracle's files then the predicted ones, so sums of several files may differ
 * from a given Python run in the last bits (tests allow 1e-12).
 */
import { codePoints, SequenceMatcher, unifiedDiff } from "./difflib.js";
import { pySplitlines, pyStrip } from "./python-str.js";

export type FileContents = Record<string, string>;

export interface ChangeSimilarity {
  path: string;
  predChange: string;
  oracleChange: string;
  similarity: number;
}

export interface SweRlResult {
  /** −1 on a format error, else the mean similarity in [0, 1] */
  reward: number;
  /** the reference's error message on a format error */
  error?: string;
  thought?: string;
  answer?: string;
  similarities?: ChangeSimilarity[];
}

export class SweRlFormatError extends Error {}

const TAGS = ["<think>", "</think>", "<solution>", "</solution>"] as const;

/** Python's `re` `.` matches anything but "\n" (JS's `.` also stops at \r, \u2028, \u2029). */
const SEARCH_REPLACE = /```[^\n]*?\n### ([^\n]*)\n<<<<<<< SEARCH\n([\s\S]*?)\n=======\n([\s\S]*?)\n>>>>>>> REPLACE\n```/g;

function countOccurrences(text: string, tag: string): number {
  return text.split(tag).length - 1;
}

/** `extract_thought_solution`: [thought, answer] or a format error. */
export function extractThoughtSolution(output: string): [thought: string, answer: string] {
  for (const tag of TAGS) if (countOccurrences(output, tag) !== 1) throw new SweRlFormatError(`count of ${tag} is not 1`);
  const thought = pyStrip(output.split("<think>")[1]!.split("</think>")[0]!);
  const answer = pyStrip(output.split("<solution>")[1]!.split("</solution>")[0]!);
  if (thought.length === 0) throw new SweRlFormatError("Thought is empty");
  return [thought, answer];
}

/** `parse_search_replace`: path → [search, replace] pairs, paths in order of first appearance. */
export function parseSearchReplace(text: string): Map<string, [search: string, replace: string][]> {
  const byPath = new Map<string, [string, string][]>();
  for (const m of text.matchAll(SEARCH_REPLACE)) {
    const list = byPath.get(m[1]!) ?? [];
    list.push([m[2]!, m[3]!]);
    byPath.set(m[1]!, list);
  }
  return byPath;
}

/** `apply_code_change` (not silent): path → new content. */
export function applyCodeChange(codeContext: FileContents, edits: Map<string, [string, string][]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, pairs] of edits) {
    let content = "\n" + (Object.hasOwn(codeContext, path) ? codeContext[path]! : "");
    for (const [search, replace] of pairs) {
      if (search === replace) throw new SweRlFormatError("Search and replace blocks are identical");
      const s = "\n" + search;
      if (!content.includes(s)) throw new SweRlFormatError(`Search block not found in the code: ${s}`);
      content = content.split(s).join("\n" + replace);
    }
    out.set(path, content.slice(1));
  }
  return out;
}

/** `generate_unified_diff(old, new)`: the hunks of the unified diff joined by "\n", "" when nothing changed. */
export function generateUnifiedDiff(oldCode: string, newCode: string, context = 3): string {
  const lines = unifiedDiff(pySplitlines(oldCode), pySplitlines(newCode), { fromfile: "old", tofile: "new", n: context });
  return lines.slice(2).join("\n");
}

function normalizedPatch(codeContext: FileContents, newContent: Iterable<[string, string]>): Map<string, string> {
  const patches = new Map<string, string>();
  for (const [path, content] of newContent) {
    const patch = generateUnifiedDiff(Object.hasOwn(codeContext, path) ? codeContext[path]! : "", content);
    if (patch) patches.set(path, patch);
  }
  return patches;
}

/** `calculate_reward`: the similarity of predicted and oracle changes for changes in any form. */
export function sweRlChangeReward(codeContext: FileContents, oracleNewContent: FileContents, predNewContent: Iterable<[string, string]>): SweRlResult {
  const oracle = normalizedPatch(codeContext, Object.entries(oracleNewContent));
  const pred = normalizedPatch(codeContext, predNewContent);
  const paths = [...new Set([...oracle.keys(), ...pred.keys()])];
  if (paths.length === 0) return { reward: 1.0, similarities: [] };
  const similarities = paths.map((path): ChangeSimilarity => {
    const predChange = pred.get(path) ?? "";
    const oracleChange = oracle.get(path) ?? "";
    const similarity = oracleChange === "" || predChange === "" ? 0.0 : new SequenceMatcher(codePoints(predChange), codePoints(oracleChange), false).ratio();
    return { path, predChange, oracleChange, similarity };
  });
  let sum = 0;
  for (const s of similarities) sum += s.similarity;
  return { reward: sum / similarities.length, similarities };
}

/**
 * `calculate_search_replace_reward(code_context, oracle_new_content, output)`: −1 on any format
 * error, else the mean change similarity in [0, 1] (see the module comment).
 */
export function sweRlReward(codeContext: FileContents, oracleNewContent: FileContents, output: string): SweRlResult {
  try {
    const [thought, answer] = extractThoughtSolution(output);
    const edits = parseSearchReplace(answer);
    if (edits.size === 0) throw new SweRlFormatError("No valid search blocks found");
    const predicted = applyCodeChange(codeContext, edits);
    return { ...sweRlChangeReward(codeContext, oracleNewContent, predicted), thought, answer };
  } catch (err) {
    if (err instanceof SweRlFormatError) return { reward: -1.0, error: err.message };
    throw err;
  }
}
