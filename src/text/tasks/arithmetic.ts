/**
 * `addition` and `multiplication`: two zero-padded n-digit operands, the answer as a fixed number of
 * digits, plain or in reversed digit order (reversed order is much easier for small transformers
 * to learn: Lee et al., ICLR 2024, "Teaching arithmetic to small transformers").
 *
 *   addition, digits 4:        prompt "0123+4567="  answer "04690" (reversed "09640")
 *   multiplication, digits 2:  prompt "12*34="      answer "0408"  (reversed "8040")
 *
 * Reward (the GRPO benchmark's verifier): 1.0 when the response, with surrounding whitespace
 * removed, equals the answer exactly; 0.1 when it is well-formed — exactly as many ASCII digits
 * as the answer has (n+1 for addition, 2n for multiplication) and nothing else — but wrong; 0
 * otherwise. With `format: "answer-tag"` the prompt is an instruction for chat models and the
 * answer is read from the last `<answer>…</answer>` (none: 0). Operands are uniform over [0, 10^operandDigits), drawn digit by digit, so any width
 * works.
 *
 * `fillerMax: N` (for studies of response length, e.g. GRPO's per-sequence 1/|o| against Dr.
 * GRPO's constant): each reference answer carries 0..N filler tokens "." (the count uniform, drawn
 * from the generator right after the operands) before the answer (`fillerPosition: "before"`,
 * pause or "thinking" tokens) or after it ("after": tokens the answer no longer depends on):
 *
 *   addition, digits 4, reversed, fillerMax 8:   "0123+4567="  answer "...09640" or "09640......"
 *
 * The verifier then ignores any run of "." at either end of the response (any length, whatever
 * the position option), so a response's length can change without changing its reward; the
 * reward rule is otherwise the same. With N = 0 (the default) nothing is drawn and the problems,
 * answers and rewards are exactly those without the option. Browser-safe.
 */
import type { Random } from "../../rng/random.js";
import { extractAnswerTag } from "../extract.js";
import type { TextProblem, TextScore, TextTask } from "../env.js";
import type { TextTaskSpec } from "../registry.js";

export interface ArithmeticProblem extends TextProblem {
  data: { a: string; b: string; result: string };
}

type Operation = "addition" | "multiplication";

/**
 * Column addition of two equal-length digit strings: the sum with one more digit. With
 * `dropCarryOutOf` = k > 0, the carry out of digit k (1 = units) is lost: a teacher's systematic error.
 */
export function addDigits(a: string, b: string, dropCarryOutOf = 0): string {
  let carry = 0;
  let out = "";
  for (let i = a.length - 1; i >= 0; i--) {
    const s = a.charCodeAt(i) - 48 + (b.charCodeAt(i) - 48) + carry;
    out = String(s % 10) + out;
    carry = s >= 10 && a.length - i !== dropCarryOutOf ? 1 : 0;
  }
  return String(carry) + out;
}

/** The product of two n-digit strings as 2n digits (zero-padded). */
export function multiplyDigits(a: string, b: string): string {
  return (BigInt(a) * BigInt(b)).toString().padStart(a.length + b.length, "0");
}

function reverse(s: string): string {
  return [...s].reverse().join("");
}

function reverseIfNeeded(s: string, reversed: boolean): string {
  return reversed ? reverse(s) : s;
}

function drawOperand(random: Random, digits: number, significant: number): string {
  let s = "";
  for (let i = 0; i < significant; i++) s += String(random.integer(10));
  return s.padStart(digits, "0");
}

/** The filler token of the `fillerMax` option: a character the answers and operators never use. */
export const ARITHMETIC_FILLER = ".";
const FILLER_AT_ENDS = /^\.+|\.+$/g;

function arithmeticTask(operation: Operation, options: Record<string, number | boolean | string>): TextTask<ArithmeticProblem> {
  const digits = options.digits as number;
  const operandDigits = (options.operandDigits as number) || digits;
  const reversed = options.reversed as boolean;
  const tagged = options.format === "answer-tag";
  const fillerMax = (options.fillerMax as number | undefined) ?? 0;
  const fillerAfter = options.fillerPosition === "after";
  const teacherDropsCarry = (options.teacherDropsCarry as number | undefined) ?? 0;
  if (teacherDropsCarry > digits) throw new RangeError(`text task ${operation}: teacherDropsCarry (${teacherDropsCarry}) must not exceed digits (${digits})`);
  if (operandDigits > digits) throw new RangeError(`text task ${operation}: operandDigits (${operandDigits}) must not exceed digits (${digits})`);
  // the count is drawn only when the option is on, so the default keeps the generator's stream (and every problem) unchanged
  const withFiller = (random: Random, answer: string): string => {
    if (fillerMax === 0) return answer;
    const filler = ARITHMETIC_FILLER.repeat(random.integer(fillerMax + 1));
    return fillerAfter ? answer + filler : filler + answer;
  };
  const symbol = operation === "addition" ? "+" : "*";
  const answerLength = operation === "addition" ? digits + 1 : 2 * digits;
  const wellFormed = new RegExp(`^[0-9]{${answerLength}}$`);
  return {
    id: operation,
    generate(random) {
      const a = drawOperand(random, digits, operandDigits);
      const b = drawOperand(random, digits, operandDigits);
      const result = operation === "addition" ? addDigits(a, b) : multiplyDigits(a, b);
      // the reference answer is the teacher's (with its error, if any); the verifier checks `result`
      const answer = reverseIfNeeded(teacherDropsCarry > 0 ? addDigits(a, b, teacherDropsCarry) : result, reversed);
      if (!tagged) return { prompt: `${a}${symbol}${b}=`, answer: withFiller(random, answer), data: { a, b, result } };
      const what = operation === "addition" ? "sum" : "product";
      const order = reversed ? ", its digits in reverse order (least significant digit first)" : "";
      const prompt = `Compute ${a}${symbol}${b}. Write the ${what} as exactly ${answerLength} digits (pad with leading zeros)${order}, inside <answer></answer> tags, e.g. <answer>${"0".repeat(answerLength)}</answer>.`;
      return { prompt, answer: withFiller(random, `<answer>${answer}</answer>`), data: { a, b, result } };
    },
    key: (p) => `${p.data.a}${symbol}${p.data.b}`,
    score(problem, response): TextScore {
      // the true digits: a reference answer may carry filler, a tag or a teacher's error
      const expected = reverseIfNeeded(problem.data.result, reversed);
      // (filler outside the answer tag is ignored by the extraction already)
      const text = tagged ? extractAnswerTag(response) : fillerMax > 0 ? response.trim().replace(FILLER_AT_ENDS, "") : response.trim();
      if (text === null) return { reward: 0, correct: false, wellFormed: false, extracted: null };
      const correct = text === expected;
      const formed = wellFormed.test(text);
      return { reward: correct ? 1 : formed ? 0.1 : 0, correct, wellFormed: formed, extracted: text };
    },
  };
}

const sharedOptions = (maxDigits: number, defaultDigits: number) =>
  ({
    digits: { type: "integer", default: defaultDigits, min: 1, max: maxDigits, help: "operand width n: operands are zero-padded to n digits" },
    operandDigits: { type: "integer", default: 0, min: 0, max: maxDigits, help: "operands drawn from [0, 10^k) for k = operandDigits (0: k = digits), still padded to digits" },
    reversed: { type: "boolean", default: false, help: "write the answer least-significant digit first" },
    format: { type: "string", default: "plain", choices: ["plain", "answer-tag"], help: "plain: a completion prompt (0123+4567=); answer-tag: an instruction, answer in <answer></answer>" },
    fillerMax: { type: "integer", default: 0, min: 0, max: 64, help: `length studies: each reference answer carries 0..N filler "${ARITHMETIC_FILLER}" tokens (uniform per problem); the verifier ignores any run of them at either end of a response (0: off)` },
    fillerPosition: { type: "string", default: "before", choices: ["before", "after"], help: "with fillerMax: the reference answers' filler before the answer (pause/thinking tokens) or after it" },
  }) as const;

export const additionSpec: TextTaskSpec = {
  id: "addition",
  description: "n-digit addition, zero-padded operands (0123+4567=), answer the (n+1)-digit sum, plain or reversed",
  rewardRule: "1.0 exact answer; 0.1 well-formed (exactly n+1 digits, surrounding whitespace ignored) but wrong; 0 otherwise; with fillerMax > 0, runs of \".\" at either end are ignored too; always scored against the true sum (teacherDropsCarry changes the reference answers only)",
  options: {
    ...sharedOptions(60, 4),
    teacherDropsCarry: { type: "integer", default: 0, min: 0, max: 60, help: "labels from an imperfect teacher: reference answers (what SFT learns) drop the carry out of digit k (1 = units); the verifier still scores the true sum, so RL can learn what the labels get wrong (0: off)" },
  },
  create: (o) => arithmeticTask("addition", o),
};

export const multiplicationSpec: TextTaskSpec = {
  id: "multiplication",
  description: "n-digit multiplication, zero-padded operands (12*34=), answer the 2n-digit product, plain or reversed",
  rewardRule: "1.0 exact answer; 0.1 well-formed (exactly 2n digits, surrounding whitespace ignored) but wrong; 0 otherwise; with fillerMax > 0, runs of \".\" at either end are ignored too",
  options: sharedOptions(30, 2),
  create: (o) => arithmeticTask("multiplication", o),
};
