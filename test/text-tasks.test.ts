import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { addDigits, makeText, makeTextTask, multiplyDigits, sampleProblems, splitOfKey, TEXT_SPLITS } from "../src/text/index.js";

test("src/text imports nothing Node-only", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
  const offenders: string[] = [];
  for (const file of files("src/text")) {
    const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const pattern of [/from\s+["']node:/, /from\s+["'](fs|path|os|child_process|http|worker_threads)["']/, /\bprocess\./, /\bBuffer\./, /\brequire\(/]) {
      if (pattern.test(code)) offenders.push(`${file}: ${pattern}`);
    }
    for (const m of code.matchAll(/from\s+["'](\.\.?\/[^"']+)["']/g)) {
      if (/\/(node|cli|track|dashboard)\//.test(join(file, "..", m[1]!))) offenders.push(`${file} imports ${m[1]}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test("digit arithmetic matches BigInt", () => {
  assert.equal(addDigits("0123", "4567"), "04690");
  assert.equal(addDigits("9999", "9999"), "19998");
  assert.equal(multiplyDigits("12", "34"), "0408");
  assert.equal(multiplyDigits("99", "99"), "9801");
  const env = makeText("addition", { digits: 12, seed: 3 });
  for (const p of env.sample(200)) {
    const { a, b, result } = p.data as { a: string; b: string; result: string };
    assert.equal(BigInt(result), BigInt(a) + BigInt(b));
    assert.equal(result.length, 13);
  }
});

test("addition: the GRPO benchmark's format, plain and reversed", () => {
  const plain = makeText("addition", { digits: 4, seed: 7 });
  const [prompt, info] = plain.reset();
  assert.match(prompt, /^\d{4}\+\d{4}=$/);
  const [a, b] = prompt.slice(0, -1).split("+");
  const sum = String(Number(a) + Number(b)).padStart(5, "0");
  assert.equal(info.answer, sum);
  const rev = makeText("addition", { digits: 4, seed: 7, reversed: true });
  const [prompt2, info2] = rev.reset();
  assert.equal(prompt2, prompt, "the same seed gives the same problem whatever the answer order");
  assert.equal(info2.answer, [...sum].reverse().join(""));
});

test("addition verifier: 1.0 exact, 0.1 well-formed (n+1 digits), 0 otherwise", () => {
  const env = makeText("addition", { digits: 4, seed: 1 });
  const [, info] = env.reset();
  const wrong = info.answer === "00000" ? "00001" : "00000";
  const cases: [string, number, boolean][] = [
    [info.answer, 1, true],
    [` ${info.answer}\n`, 1, true],
    [wrong, 0.1, false],
    [info.answer.slice(1), 0, false], // n digits: not well-formed
    [`${info.answer}0`, 0, false],
    [`${info.answer} 1`, 0, false],
    ["", 0, false],
    [info.answer.replace(/\d$/, "x"), 0, false],
  ];
  for (const [response, reward, correct] of cases) {
    const e = makeText("addition", { digits: 4, seed: 1 });
    e.reset();
    const [obs, r, terminated, truncated, stepInfo] = e.step(response);
    assert.equal(r, reward, JSON.stringify(response));
    assert.equal(stepInfo.score.correct, correct);
    assert.equal(obs, "");
    assert.equal(terminated, true);
    assert.equal(truncated, false);
  }
  env.step("1");
  assert.throws(() => env.step("1"), /call reset\(\) before step\(\)/, "a single-turn episode ends after one step");
});

test("generators are seeded and deterministic; reset({seed}) reseeds", () => {
  const p1 = sampleProblems("addition", { count: 50, seed: 11, split: "test" });
  const p2 = sampleProblems("addition", { count: 50, seed: 11, split: "test" });
  assert.deepEqual(p1, p2);
  assert.notDeepEqual(sampleProblems("addition", { count: 50, seed: 12, split: "test" }), p1);
  const env = makeText("addition", { seed: 0 });
  const first = env.reset({ seed: 5 })[0];
  env.reset();
  assert.equal(env.reset({ seed: 5 })[0], first);
  const state = env.getState();
  const next = env.reset()[0];
  env.setState(state);
  assert.equal(env.reset()[0], next);
});

test("splits are disjoint and cover about 80/10/10 of the problems", () => {
  const seen = new Map<string, string>();
  for (const split of TEXT_SPLITS) {
    for (const p of sampleProblems("addition", { digits: 2, count: 3000, seed: 0, split })) {
      const other = seen.get(p.prompt);
      assert.ok(other === undefined || other === split, `${p.prompt} is in ${other} and ${split}`);
      seen.set(p.prompt, split);
    }
  }
  const counts = { train: 0, validation: 0, test: 0 };
  for (let a = 0; a < 100; a++) for (let b = 0; b < 100; b++) counts[splitOfKey("addition", `${String(a).padStart(2, "0")}+${String(b).padStart(2, "0")}`)]++;
  assert.ok(counts.train > 7600 && counts.train < 8400, JSON.stringify(counts));
  assert.ok(counts.test > 800 && counts.test < 1200, JSON.stringify(counts));
  // 1-digit addition has 100 problems: every split still has some
  assert.equal(sampleProblems("addition", { digits: 1, count: 5, split: "test" }).length, 5);
});

test("operandDigits restricts operands but keeps the padding", () => {
  for (const p of sampleProblems("addition", { digits: 4, operandDigits: 2, count: 100 })) assert.match(p.prompt, /^00\d\d\+00\d\d=$/);
  assert.throws(() => makeText("addition", { digits: 2, operandDigits: 3 }), /operandDigits \(3\) must not exceed digits \(2\)/);
});

test("teacherDropsCarry: reference answers lose one carry, the verifier scores the true sum", () => {
  assert.equal(addDigits("0095", "0007"), "00102");
  assert.equal(addDigits("0095", "0007", 1), "00092"); // units' carry lost
  assert.equal(addDigits("0095", "0007", 2), "00002"); // tens' carry lost (9+0+1 = 10 → 0, no carry on)
  assert.equal(addDigits("9000", "1000", 4), "00000");
  const task = makeTextTask("addition", { teacherDropsCarry: 2, reversed: true });
  const plain = sampleProblems("addition", { reversed: true, count: 300, seed: 3 });
  const taught = sampleProblems("addition", { reversed: true, teacherDropsCarry: 2, count: 300, seed: 3 });
  let wrongLabels = 0;
  taught.forEach((p, i) => {
    // the same problems, in the same order: the option changes only the reference answers
    assert.equal(p.prompt, plain[i]!.prompt);
    const [a, b] = p.prompt.slice(0, -1).split("+");
    const tensCarry = (Number(a!.slice(2)) + Number(b!.slice(2))) >= 100;
    assert.equal(p.answer !== plain[i]!.answer, tensCarry, p.prompt);
    assert.equal(task.score(p, plain[i]!.answer).reward, 1);
    if (tensCarry) {
      wrongLabels++;
      assert.deepEqual([task.score(p, p.answer).reward, task.score(p, p.answer).correct], [0.1, false]);
    }
  });
  assert.ok(wrongLabels > 90 && wrongLabels < 180, String(wrongLabels)); // P(carry out of the tens) = 0.495
  assert.throws(() => makeText("addition", { digits: 2, teacherDropsCarry: 3 }), /teacherDropsCarry \(3\) must not exceed digits \(2\)/);
});

test("multiplication: 2n-digit product, reward rule", () => {
  const task = makeTextTask("multiplication", { digits: 3, reversed: true });
  const env = makeText("multiplication", { digits: 3, reversed: true, seed: 2 });
  for (const p of env.sample(50)) {
    const [a, b] = p.prompt.slice(0, -1).split("*");
    const product = String(Number(a) * Number(b)).padStart(6, "0");
    assert.equal(p.answer, [...product].reverse().join(""));
    assert.equal(task.score(p, p.answer).reward, 1);
    assert.equal(task.score(p, p.answer === "000000" ? "000001" : "000000").reward, 0.1);
    assert.equal(task.score(p, "12345").reward, 0);
  }
});

test("multi-turn: feedback after a wrong answer, truncated after maxTurns", () => {
  const env = makeText("addition", { digits: 3, maxTurns: 3, seed: 4 });
  const [, info] = env.reset();
  let [obs, r, term, trunc, stepInfo] = env.step("abc");
  assert.equal(r, 0);
  assert.equal(term, false);
  assert.equal(trunc, false);
  assert.match(obs, /not in the expected format/);
  assert.equal(stepInfo.turn, 1);
  [obs, r, term, trunc, stepInfo] = env.step(info.answer === "0000" ? "0001" : "0000");
  assert.match(obs, /wrong/);
  assert.deepEqual(stepInfo.messages.map((m) => m.role), ["user", "assistant", "user", "assistant", "user"], "the conversation for a chat policy");
  assert.equal(stepInfo.messages[1]!.content, "abc");
  [obs, r, term, trunc] = env.step("0000x");
  assert.deepEqual([obs, r, term, trunc], ["", 0, false, true]);
  assert.throws(() => env.step(info.answer), /call reset\(\)/);
  env.reset({ seed: 4 });
  [obs, r, term, trunc] = env.step(info.answer);
  assert.deepEqual([obs, r, term, trunc], ["", 1, true, false]);
});

test("bad options and ids are clear errors", () => {
  assert.throws(() => makeText("additon"), /no text task "additon".*did you mean addition/);
  assert.throws(() => makeText("addition", { digit: 3 }), /no option "digit"; its options: digits, operandDigits, reversed, format, fillerMax, fillerPosition, teacherDropsCarry/);
  assert.throws(() => makeText("addition", { digits: 0 }), /digits must be in \[1, 60\], got 0/);
  assert.throws(() => makeText("addition", { digits: 2.5 }), /digits must be an integer/);
  assert.throws(() => makeText("addition", { reversed: "yes" }), /reversed must be true or false/);
  assert.throws(() => makeText("addition", { split: "dev" as never }), /split must be one of train, validation, test/);
  assert.throws(() => makeText("addition", { maxTurns: 0 }), /maxTurns must be an integer >= 1/);
});

test("format answer-tag: an instruction prompt, the answer read from <answer></answer>", () => {
  const env = makeText("addition", { digits: 3, reversed: true, format: "answer-tag", seed: 9 });
  const [prompt, info] = env.reset();
  const { a, b, result } = info.problem.data as { a: string; b: string; result: string };
  assert.equal(prompt, `Compute ${a}+${b}. Write the sum as exactly 4 digits (pad with leading zeros), its digits in reverse order (least significant digit first), inside <answer></answer> tags, e.g. <answer>0000</answer>.`);
  const reversed = [...result].reverse().join("");
  assert.equal(info.answer, `<answer>${reversed}</answer>`);
  const task = makeTextTask("addition", { digits: 3, reversed: true, format: "answer-tag" });
  assert.equal(task.score(info.problem, `Let me add.\n<answer> ${reversed} </answer>`).reward, 1);
  assert.equal(task.score(info.problem, `<answer>${reversed === "0000" ? "0001" : "0000"}</answer>`).reward, 0.1);
  assert.equal(task.score(info.problem, reversed).reward, 0, "no tag");
  assert.equal(makeText("addition", { digits: 3, seed: 9 }).reset()[0], `${a}+${b}=`, "the same problem in plain format");
  assert.throws(() => makeText("addition", { format: "xml" }), /format must be one of plain, answer-tag/);
});

test("fillerMax: answers carry 0..N filler tokens drawn from the seeded generator, before or after the answer", () => {
  const options = { digits: 4, reversed: true, fillerMax: 8, count: 400, seed: 5, split: "train" as const };
  const before = sampleProblems("addition", options);
  assert.deepEqual(sampleProblems("addition", options), before, "the same seed gives the same problems and filler counts");
  assert.notDeepEqual(sampleProblems("addition", { ...options, seed: 6 }), before);
  const counts = new Set<number>();
  for (const p of before) {
    const m = /^(\.*)(\d{5})$/.exec(p.answer);
    assert.ok(m, `answer ${JSON.stringify(p.answer)} is filler then the 5 digits`);
    assert.equal(m[2], [...(p.data as { result: string }).result].reverse().join(""));
    counts.add(m[1]!.length);
  }
  assert.deepEqual([...counts].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8], "every count in 0..N occurs");
  const after = sampleProblems("addition", { ...options, fillerPosition: "after" });
  after.forEach((p, i) => {
    assert.equal(p.prompt, before[i]!.prompt);
    assert.equal(p.answer, before[i]!.answer.replace(/^(\.*)(\d+)$/, "$2$1"), "the same draw, the filler after the answer");
  });
  // off (the default): exactly the problems without the option, so existing data sets do not change
  assert.deepEqual(sampleProblems("addition", { ...options, fillerMax: 0 }), sampleProblems("addition", { digits: 4, reversed: true, count: 400, seed: 5, split: "train" }));
  assert.throws(() => makeText("addition", { fillerMax: 65 }), /fillerMax must be in \[0, 64\], got 65/);
  assert.throws(() => makeText("addition", { fillerMax: 4, fillerPosition: "middle" }), /fillerPosition must be one of before, after/);
});

test("fillerMax: the verifier reads only the answer, ignoring any run of filler at either end", () => {
  const task = makeTextTask("addition", { digits: 4, reversed: true, fillerMax: 4 });
  const [problem] = sampleProblems("addition", { digits: 4, reversed: true, fillerMax: 4, count: 1, seed: 2 });
  const answer = problem!.answer.replace(/\./g, "");
  const wrong = answer === "00000" ? "00001" : "00000";
  const cases: [string, number, boolean][] = [
    [answer, 1, true],
    [`...${answer}`, 1, true],
    [`${".".repeat(30)}${answer}`, 1, true], // more filler than any reference answer has: still only the answer counts
    [`${answer}.......`, 1, true],
    [`..${answer}..\n`, 1, true],
    [`....${wrong}`, 0.1, false],
    [`${answer.slice(0, 2)}.${answer.slice(2)}`, 0, false], // filler inside the answer is not filler
    ["....", 0, false],
  ];
  for (const [response, reward, correct] of cases) {
    const score = task.score(problem!, response);
    assert.equal(score.reward, reward, JSON.stringify(response));
    assert.equal(score.correct, correct, JSON.stringify(response));
  }
  // without the option a leading "." is not filler: the old reward rule, unchanged
  const plain = makeTextTask("addition", { digits: 4, reversed: true });
  assert.equal(plain.score({ ...problem!, answer }, `.${answer}`).reward, 0);
});
