/**
 * A text task over SWE-RL records (`tsrl swe mine` writes them): the issue text (a commit
 * message) and the files the change touched; the response must be `<think>…</think>` then
 * `<solution>` with SEARCH/REPLACE edits, scored by `sweRlReward` (−1 format error, else the
 * patch similarity in [0, 1]). "correct" means reward 1 (the oracle change exactly). The prompt
 * follows the layout of SWE-RL's Agentless repair prompt with its thinking system prompt
 * (`src/swerl/core/prompts.py`), in tsrl's words. Browser-safe.
 */
import type { ChatMessage, TextProblem, TextSplit, TextTask } from "../env.js";
import { TEXT_SPLITS } from "../env.js";
import { sweRlReward } from "./reward.js";

export interface SweRecord {
  id: string;
  /** the issue text: here the commit message */
  message: string;
  /** path → content before the change (files the change modified or deleted) */
  codeContext: Record<string, string>;
  /** path → content after the change ("" for a deleted file) */
  oracleNewContent: Record<string, string>;
  /** the change as a unified diff (for reading; the reward does not use it) */
  patch?: string;
  split: TextSplit;
  repo?: string;
  commit?: string;
}

export interface SweProblem extends TextProblem {
  data: { record: SweRecord };
}

const SYSTEM = [
  "A user will ask you to solve a task. First write your thinking (an inner monologue, as long as you need), then the solution.",
  "Your response must follow this template:",
  "<think>",
  "your thoughts and drafts",
  "</think>",
  "<solution>",
  "the final solution",
  "</solution>",
].join("\n");

function userPrompt(record: SweRecord): string {
  const files = Object.entries(record.codeContext)
    .map(([path, content]) => `### ${path}\n${content}`)
    .join("\n\n");
  return [
    "We are solving the following issue in our repository. The issue text:",
    "--- BEGIN ISSUE ---",
    record.message,
    "--- END ISSUE ---",
    "",
    "Below are the relevant files.",
    "",
    "--- BEGIN FILE ---",
    "```",
    files,
    "```",
    "--- END FILE ---",
    "",
    "Localize the problem from the issue, then write *SEARCH/REPLACE* edits that resolve it. Each edit is:",
    "1. the file path after ###",
    "2. the line <<<<<<< SEARCH",
    "3. a contiguous chunk of lines of the existing file",
    "4. the line =======",
    "5. the lines that replace it",
    "6. the line >>>>>>> REPLACE",
    "",
    "For example:",
    "",
    "```python",
    "### pkg/app.py",
    "<<<<<<< SEARCH",
    "from flask import Flask",
    "=======",
    "import math",
    "from flask import Flask",
    ">>>>>>> REPLACE",
    "```",
    "",
    "Indentation matters: write every space of each line. Put each edit in its own fenced code block.",
  ].join("\n");
}

/** Checks a parsed JSON record and returns it typed; errors name the record and the field. */
export function checkSweRecord(value: unknown, where: string): SweRecord {
  const r = value as Partial<SweRecord>;
  const fail = (what: string) => {
    throw new Error(`${where}: ${what} (records come from \`tsrl swe mine\`: {id, message, codeContext, oracleNewContent, split})`);
  };
  if (typeof r !== "object" || r === null) fail("not a JSON object");
  if (typeof r.id !== "string") fail('"id" must be a string');
  if (typeof r.message !== "string") fail('"message" must be a string');
  for (const key of ["codeContext", "oracleNewContent"] as const) {
    const files = r[key];
    if (typeof files !== "object" || files === null || Object.values(files).some((v) => typeof v !== "string")) fail(`"${key}" must map paths to file contents`);
  }
  if (!TEXT_SPLITS.includes(r.split as TextSplit)) fail(`"split" must be one of ${TEXT_SPLITS.join(", ")}`);
  return r as SweRecord;
}

/** The task over `records`; each record keeps its own split. */
export function sweTask(records: readonly SweRecord[], id = "swe"): TextTask<SweProblem> {
  const problems: SweProblem[] = records.map((record) => {
    const user = userPrompt(record);
    const messages: ChatMessage[] = [
      { role: "system", content: SYSTEM },
      { role: "user", content: user },
    ];
    return { prompt: `${SYSTEM}\n\n${user}\n\n`, answer: record.patch ?? "", messages, data: { record } };
  });
  return {
    id,
    generate: () => {
      throw new Error(`text task ${id} is a fixed list of records; draw problems through a TextEnv`);
    },
    key: (p) => p.data.record.id,
    score(problem, response) {
      const { codeContext, oracleNewContent } = problem.data.record;
      const result = sweRlReward(codeContext, oracleNewContent, response);
      return { reward: result.reward, correct: result.reward === 1, wellFormed: result.reward >= 0, extracted: result.answer ?? null };
    },
    fixed: { problems, splitOf: (p) => p.data.record.split },
  };
}
