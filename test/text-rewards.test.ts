import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  clipProcessRewards,
  combineRewards,
  COSINE_PRESETS,
  cosineLengthReward,
  dapoOverlongPenalty,
  deltaProcessRewards,
  evalPythonArithmetic,
  exactMatchReward,
  extractAnswer,
  extractBoxed,
  formatReward,
  makeText,
  makeTextTask,
  numericMatchReward,
  repetitionPenalty,
  sampleProblems,
  tinyZeroCountdownScore,
  type CountdownProblem,
} from "../src/text/index.js";

test("countdown reward equals TinyZero's compute_score on 970 reference cases", () => {
  const rows = readFileSync("test/fixtures/text/countdown-cases.jsonl", "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { solution: string; target: number; numbers: number[]; reward: number });
  assert.ok(rows.length > 900);
  const bad = rows.filter((r) => tinyZeroCountdownScore(r.solution, r.target, r.numbers).reward !== r.reward).map((r) => `${JSON.stringify(r.solution.slice(-60))} ${r.target} ${r.numbers}: want ${r.reward}`);
  assert.deepEqual(bad, []);
  assert.deepEqual(new Set(rows.map((r) => r.reward)), new Set([0, 0.1, 1]));
});

test("Python arithmetic: precedence, integer literals, errors", () => {
  assert.equal(evalPythonArithmetic("-2**2"), -4n);
  assert.equal(evalPythonArithmetic("2**-1"), 0.5);
  assert.equal(evalPythonArithmetic("2**3**2"), 512n);
  assert.equal(evalPythonArithmetic("-7//2"), -4n);
  assert.equal(evalPythonArithmetic("7/2"), 3.5);
  assert.equal(evalPythonArithmetic("00+1"), 1n);
  for (const bad of ["01+2", "2(3)", "()", "1/0", "3 4", "(1+2", "3+\r4", "٣+4"]) assert.equal(evalPythonArithmetic(bad), null, bad);
  assert.equal(evalPythonArithmetic("(3+\r4)"), 7n, "a line break inside brackets is whitespace");
});

test("countdown task: solvable problems, the reference solution scores 1, TinyZero's prompt", () => {
  const env = makeText("countdown", { seed: 3 });
  for (let i = 0; i < 30; i++) {
    const [prompt, info] = env.reset();
    const p = info.problem as CountdownProblem;
    assert.ok(p.data.numbers.length >= 3 && p.data.numbers.length <= 4);
    assert.ok(p.data.target >= 1 && p.data.target <= 100 && Number.isInteger(p.data.target));
    assert.ok(prompt.includes(`Using the numbers [${p.data.numbers.join(", ")}], create an equation that equals ${p.data.target}.`));
    assert.ok(prompt.endsWith("Assistant: Let me solve this step by step.\n<think>"));
    const [, reward, terminated, , stepInfo] = env.step(info.answer);
    assert.equal(reward, 1, info.answer);
    assert.equal(terminated, true);
    assert.equal(stepInfo.score.correct, true);
  }
  const task = makeTextTask("countdown");
  const p = { prompt: "Assistant: <think>", answer: "", data: { target: 24, numbers: [3, 5, 4] } };
  assert.equal(task.score(p, "</think>\n<answer>(3 + 5) * 4</answer>").reward, 0.1, "32 is not 24");
  assert.equal(task.score(p, "</think>\n<answer>(3 + 5) * 3</answer>").reward, 0.1, "wrong numbers");
  assert.equal(task.score(p, "</think> no answer").reward, 0);
  assert.equal(task.score({ ...p, data: { target: 32, numbers: [3, 5, 4] } }, "</think>\n<answer>(3 + 5) * 4</answer>").reward, 1);
});

test("sort task", () => {
  for (const p of sampleProblems("sort", { count: 20, seed: 1, minLength: 2, maxLength: 5 })) {
    const items = p.prompt.slice(5, -2).split(",").map(Number);
    assert.equal(p.answer, [...items].sort((a, b) => a - b).join(","));
    const task = makeTextTask("sort", { minLength: 2, maxLength: 5 });
    assert.equal(task.score(p, ` ${p.answer}\n`).reward, 1);
    const wrong = p.answer.split(",").map((x) => String(Number(x) + 1)).join(",");
    assert.equal(task.score(p, wrong).reward, 0.1);
    assert.equal(task.score(p, p.answer + ",1").reward, 0);
    assert.equal(task.score(p, p.answer.replace(/,/g, ", ")).reward, 0);
  }
  assert.equal(sampleProblems("sort", { count: 1, descending: true, seed: 0 })[0]!.answer.split(",").map(Number).reduce((ok, v, i, a) => ok && (i === 0 || a[i - 1]! >= v), true), true);
});

test("answer extraction: last <answer> tag, last balanced \\boxed{}", () => {
  assert.equal(extractAnswer("<answer> 1 </answer> then <answer>\n42\n</answer>", "answer-tag"), "42");
  assert.equal(extractAnswer("no tags", "answer-tag"), null);
  assert.equal(extractBoxed("so \\boxed{1} and finally \\boxed{\\frac{1}{2}}."), "\\frac{1}{2}");
  assert.equal(extractBoxed("\\boxed{unclosed {x}"), null);
  assert.equal(extractAnswer("x \\boxed{7}", "auto"), "7");
  assert.equal(extractAnswer("<answer>3</answer> \\boxed{7}", "auto"), "3");
  assert.throws(() => extractAnswer("x", "xml" as never), /format must be/);
});

test("format, exact and numeric match rewards", () => {
  assert.equal(formatReward("<think>a</think><answer>b</answer>"), 1);
  assert.equal(formatReward("<answer>b</answer><think>a</think>"), 0, "order");
  assert.equal(formatReward("<think>a</think><think>a</think><answer>b</answer>"), 0, "twice");
  assert.equal(formatReward("<think>a<answer>b</answer>"), 0, "missing close");
  assert.equal(formatReward("</think>a<think><answer>b</answer>"), 0, "close before open");
  assert.equal(formatReward("<solution>x</solution>", { tags: ["solution"], score: 0.5 }), 0.5);
  assert.equal(exactMatchReward(" 42 ", "42"), 1);
  assert.equal(exactMatchReward("<answer>42</answer>", "42", { format: "answer-tag" }), 1);
  assert.equal(exactMatchReward("<answer>41</answer>", "42", { format: "answer-tag" }), 0);
  assert.equal(numericMatchReward("\\boxed{1,000}", 1000, { format: "boxed" }), 1);
  assert.equal(numericMatchReward("\\boxed{3/4}", "0.75", { format: "boxed" }), 1);
  assert.equal(numericMatchReward("50%", "0.5"), 1);
  assert.equal(numericMatchReward("0.3333333", "1/3", { relTol: 1e-6 }), 1);
  assert.equal(numericMatchReward("0.333", "1/3"), 0);
  assert.equal(numericMatchReward("abc", "1"), 0);
});

test("cosine length reward: Yeo et al.'s formula and constants (values from their code)", () => {
  const paper = COSINE_PRESETS.paper;
  assert.equal(cosineLengthReward(true, 0, 14336, paper), 2.0);
  assert.equal(cosineLengthReward(true, 7168, 14336, paper), 1.5);
  assert.equal(cosineLengthReward(false, 0, 14336, paper), -10.0);
  assert.equal(cosineLengthReward(false, 3000, 14336, paper), -8.957856178152356);
  assert.equal(cosineLengthReward(true, 14320, 14336, paper), -10, "L + 16 >= L_max: exceed");
  assert.equal(cosineLengthReward(true, 14319, 14336, paper), 1.0000034696135875);
  assert.equal(cosineLengthReward(true, 0, 100, COSINE_PRESETS.cli), 1);
  assert.equal(cosineLengthReward(false, 84, 100, COSINE_PRESETS.cli), 0, "cli exceed_length None -> 0");
  // TRL: no overlong rule, progress clamped to 1
  assert.equal(cosineLengthReward(true, 250, 100, COSINE_PRESETS.trl), 0.5);
  assert.equal(cosineLengthReward(false, 250, 100, COSINE_PRESETS.trl), -0.5);
  assert.equal(cosineLengthReward(false, 0, 100, COSINE_PRESETS.trl), -1);
  const L = 37;
  const x = 0.5 * (1 + Math.cos((Math.PI * L) / 100));
  assert.equal(cosineLengthReward(true, L, 100, COSINE_PRESETS.trl), 0.5 + 0.5 * x);
});

test("repetition penalty: values from demystify-long-cot's get_repetition_penalty", () => {
  assert.equal(repetitionPenalty("the cat sat on the cat sat on the mat", 2, -0.05), -0.022222222222222223);
  assert.equal(repetitionPenalty("the cat sat on the cat sat on the mat", 3, -1), -0.375);
  assert.equal(repetitionPenalty("A a A a\u3000a\x1ca b", 2, -0.05), -0.03333333333333334, "Python's whitespace split and lower()");
  assert.equal(repetitionPenalty("A a A a\u3000a\x1ca b", 3, -1), -0.6);
  assert.equal(Object.is(repetitionPenalty("one two three four five", 2, -0.05), -0), true);
  assert.equal(repetitionPenalty("short", 3, -1), 0, "fewer words than n");
  assert.throws(() => repetitionPenalty("x", 2, 0.1), /should not be positive/);
});

test("DAPO soft overlong punishment (Eq. 13)", () => {
  assert.equal(dapoOverlongPenalty(16384), 0);
  assert.equal(dapoOverlongPenalty(16385), -1 / 4096);
  assert.equal(dapoOverlongPenalty(18432), -0.5);
  assert.equal(dapoOverlongPenalty(20480), -1);
  assert.equal(dapoOverlongPenalty(20481), -1);
  assert.equal(dapoOverlongPenalty(80, 100, 20), 0);
  assert.equal(dapoOverlongPenalty(90, 100, 20), -0.5);
  assert.equal(dapoOverlongPenalty(95, 100, 20), -0.75);
  assert.throws(() => dapoOverlongPenalty(1, 10, 20), /cacheLength/);
});

test("Clip and Delta process-reward transforms (Gao et al.)", () => {
  const r = [0.7, 0.2, 0.4, 0.8];
  const clipped = clipProcessRewards(r, 0.5);
  assert.deepEqual(clipped.map((v) => +v.toFixed(12)), [0, -0.3, -0.1, 0]);
  const delta = deltaProcessRewards(r);
  assert.deepEqual(delta.map((v) => +v.toFixed(12)), [0.5, -0.2, -0.4, 0]);
  // return-to-go from step t telescopes to r_t - r_K
  for (let t = 0; t < r.length; t++) assert.ok(Math.abs(delta.slice(t).reduce((a, b) => a + b, 0) - (t === r.length - 1 ? 0 : r[t]! - r[r.length - 1]!)) < 1e-12);
  assert.deepEqual(deltaProcessRewards(clipProcessRewards(r, 0.5)).map((v) => +v.toFixed(12)), [0.3, -0.2, -0.1, 0]);
});

test("weighted composition", () => {
  const reward = combineRewards<{ answer: string }>({
    format: { fn: (t) => formatReward(t), weight: 0.2 },
    correct: { fn: (t, c) => exactMatchReward(t, c.answer, { format: "answer-tag" }) },
  });
  assert.deepEqual(reward("<think>x</think><answer>5</answer>", { answer: "5" }), { reward: 1.2, components: { format: 1, correct: 1 } });
  assert.deepEqual(reward("<answer>4</answer>", { answer: "5" }), { reward: 0, components: { format: 0, correct: 0 } });
});
