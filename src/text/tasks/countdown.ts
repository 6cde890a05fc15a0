/**
 * `countdown` (TinyZero, `Jiayi-Pan/TinyZero@f36b1b8`): reach the target with the given numbers,
 * each used exactly once, and + − × ÷ and parentheses. Prompt: TinyZero's "base" template (or
 * its "qwen-instruct" one, or "compact" for models trained from scratch: `3 7 25 50=24\nAssistant:
 * <answer>` answered by `25-7+(50/3)…</answer>` — no reasoning, the same verifier on prompt +
 * response, 10–30 tokens with the compact template's number tokens instead of ~640 characters);
 * reward: TinyZero's `compute_score` on prompt + response, which
 *   - finds the text after "Assistant:" (or "<|im_start|>assistant"; neither: 0), keeps its last
 *     line and takes the last `<answer>…</answer>` on it, stripped (none: 0);
 *   - 0.1 unless the numbers in it (Python `re.findall(r"\d+")`, Unicode digits included) are
 *     exactly the given multiset, it has only digits, + - * / ( ) . and whitespace, and it
 *     evaluates (Python's `eval`) to within 1e-5 of the target; then 1.0.
 * The expression is evaluated as Python would: integer literals without leading zeros, `/` true
 * division, `//` floor division, `**` power (binding tighter than a unary minus on its left),
 * exact integers (BigInt), an error (division by zero, a call such as `2(3)`, bad syntax, a
 * non-ASCII digit or space) being no result. A complex power (negative base, fractional
 * exponent) counts as no result; Python would compare its modulus.
 * Problems: 3–4 numbers in [1, 99] and an integer target in [1, maxTarget] reachable by
 * construction (TinyZero trains on the Countdown-Tasks-3to4 dataset; its generator is not public).
 * Browser-safe.
 */
import type { Random } from "../../rng/random.js";
import type { TextProblem, TextScore, TextTask } from "../env.js";
import type { TextTaskSpec } from "../registry.js";

export interface CountdownProblem extends TextProblem {
  data: { target: number; numbers: number[] };
}

const PY_WHITESPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const ALLOWED = new RegExp(`^(?:\\p{Nd}|[+\\-*/().]|${PY_WHITESPACE.source})+$`, "u");

/** Python's `int()` of a run of Unicode decimal digits (every Nd block is 0–9 runs starting at a zero). */
function unicodeDigitsValue(s: string): number {
  let v = 0;
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    let start = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    cp = (cp - start) % 10;
    v = v * 10 + cp;
  }
  return v;
}

/** TinyZero's `extract_solution`. */
export function countdownExtract(solution: string): string | null {
  let s: string;
  if (solution.includes("Assistant:")) s = solution.slice(solution.indexOf("Assistant:") + "Assistant:".length);
  else if (solution.includes("<|im_start|>assistant")) s = solution.slice(solution.indexOf("<|im_start|>assistant") + "<|im_start|>assistant".length);
  else return null;
  s = s.split("\n").pop()!;
  let last: string | null = null;
  for (const m of s.matchAll(/<answer>([^\n]*?)<\/answer>/g)) last = m[1]!;
  return last === null ? null : pyStripWs(last);
}

function pyStripWs(s: string): string {
  const chars = [...s];
  while (chars.length && PY_WHITESPACE.test(chars[0]!)) chars.shift();
  while (chars.length && PY_WHITESPACE.test(chars[chars.length - 1]!)) chars.pop();
  return chars.join("");
}

type PyValue = bigint | number;

/** Python `eval` of an arithmetic expression over + - * / // ** and parentheses; null on any error. */
export function evalPythonArithmetic(expr: string): PyValue | null {
  try {
    return new Parser(expr).parse();
  } catch {
    return null;
  }
}

class PyError extends Error {}

class Parser {
  private tokens: string[] = [];
  private pos = 0;

  constructor(text: string) {
    let depth = 0;
    let i = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === " " || c === "\t" || c === "\f") {
        i++;
      } else if (c === "\r" || c === "\n") {
        if (depth === 0) throw new PyError("newline outside brackets");
        i++;
      } else if (/[0-9.]/.test(c)) {
        const m = /^(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)/.exec(text.slice(i));
        if (!m) throw new PyError("bad number");
        const lit = m[0];
        if (!lit.includes(".") && lit.length > 1 && lit[0] === "0" && /[1-9]/.test(lit)) throw new PyError("leading zeros");
        if (/^[0-9.]/.test(text.slice(i + lit.length))) throw new PyError("bad number");
        this.tokens.push(lit);
        i += lit.length;
      } else if (text.startsWith("**", i) || text.startsWith("//", i)) {
        this.tokens.push(text.slice(i, i + 2));
        i += 2;
      } else if ("+-*/()".includes(c)) {
        if (c === "(") depth++;
        if (c === ")") depth--;
        this.tokens.push(c);
        i++;
      } else {
        throw new PyError(`invalid character ${c}`);
      }
    }
  }

  parse(): PyValue {
    const v = this.arith();
    if (this.pos !== this.tokens.length) throw new PyError("trailing tokens");
    return v;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private arith(): PyValue {
    let v = this.term();
    for (let op = this.peek(); op === "+" || op === "-"; op = this.peek()) {
      this.pos++;
      const w = this.term();
      v = binary(op, v, w);
    }
    return v;
  }

  private term(): PyValue {
    let v = this.factor();
    for (let op = this.peek(); op === "*" || op === "/" || op === "//"; op = this.peek()) {
      this.pos++;
      v = binary(op, v, this.factor());
    }
    return v;
  }

  private factor(): PyValue {
    const op = this.peek();
    if (op === "+" || op === "-") {
      this.pos++;
      const v = this.factor();
      return op === "+" ? v : -v;
    }
    return this.power();
  }

  private power(): PyValue {
    const base = this.atom();
    // a call or subscript on a number is a TypeError at run time
    if (this.peek() === "(") throw new PyError("not callable");
    if (this.peek() === "**") {
      this.pos++;
      return binary("**", base, this.factor());
    }
    return base;
  }

  private atom(): PyValue {
    const t = this.tokens[this.pos++];
    if (t === undefined) throw new PyError("unexpected end");
    if (t === "(") {
      if (this.peek() === ")") throw new PyError("empty tuple");
      const v = this.arith();
      if (this.tokens[this.pos++] !== ")") throw new PyError("unclosed parenthesis");
      return v;
    }
    if (/^[0-9.]/.test(t)) return t.includes(".") ? Number(t) : BigInt(t);
    throw new PyError(`unexpected ${t}`);
  }
}

function toFloat(v: PyValue): number {
  const f = Number(v);
  if (!Number.isFinite(f)) throw new PyError("int too large to convert to float");
  return f;
}

function binary(op: string, a: PyValue, b: PyValue): PyValue {
  if (typeof a === "bigint" && typeof b === "bigint") {
    switch (op) {
      case "+":
        return a + b;
      case "-":
        return a - b;
      case "*":
        return a * b;
      case "/":
        if (b === 0n) throw new PyError("division by zero");
        return toFloat(a) / toFloat(b);
      case "//": {
        if (b === 0n) throw new PyError("division by zero");
        const q = a / b;
        return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
      }
      case "**":
        if (b < 0n) {
          if (a === 0n) throw new PyError("zero to a negative power");
          return toFloat(a) ** toFloat(b);
        }
        if (b > 100_000n && a !== 0n && a !== 1n && a !== -1n) throw new PyError("result too large");
        return a ** b;
    }
  }
  const x = toFloat(a);
  const y = toFloat(b);
  let r: number;
  switch (op) {
    case "+":
      r = x + y;
      break;
    case "-":
      r = x - y;
      break;
    case "*":
      r = x * y;
      break;
    case "/":
      if (y === 0) throw new PyError("division by zero");
      r = x / y;
      break;
    case "//":
      if (y === 0) throw new PyError("division by zero");
      r = Math.floor(x / y);
      break;
    case "**":
      if (x === 0 && y < 0) throw new PyError("zero to a negative power");
      if (x < 0 && !Number.isInteger(y)) throw new PyError("complex result");
      r = x ** y;
      break;
    default:
      throw new PyError(`unknown operator ${op}`);
  }
  if (!Number.isFinite(r)) throw new PyError("overflow");
  return r;
}

/**
 * TinyZero's `compute_score(solution_str, {target, numbers}, format_score=0.1, score=1.0)`:
 * 0 without an extractable answer, `score` when it is a correct equation, else `formatScore`.
 */
export function tinyZeroCountdownScore(solution: string, target: number, numbers: readonly number[], formatScore = 0.1, score = 1.0): { reward: number; equation: string | null } {
  const equation = countdownExtract(solution);
  if (equation === null) return { reward: 0, equation };
  const used = [...equation.matchAll(/\p{Nd}+/gu)].map((m) => unicodeDigitsValue(m[0])).sort((x, y) => x - y);
  const given = [...numbers].sort((x, y) => x - y);
  if (used.length !== given.length || used.some((v, i) => v !== given[i])) return { reward: formatScore, equation };
  if (!ALLOWED.test(equation)) return { reward: formatScore, equation };
  const result = evalPythonArithmetic(equation);
  if (result === null) return { reward: formatScore, equation };
  // Python: int − int is exact; int − float converts the int (too large to convert: an error, so no result)
  let close: boolean;
  if (typeof result === "bigint" && Number.isSafeInteger(target)) close = result === BigInt(target);
  else {
    const value = Number(result);
    close = Number.isFinite(value) && Math.abs(value - target) < 1e-5;
  }
  return { reward: close ? score : formatScore, equation };
}

const TEMPLATES = {
  base: (numbers: string, target: number) =>
    `A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer.\nUser: Using the numbers ${numbers}, create an equation that equals ${target}. You can use basic arithmetic operations (+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.\nAssistant: Let me solve this step by step.\n<think>`,
  "qwen-instruct": (numbers: string, target: number) =>
    `<|im_start|>system\nYou are a helpful assistant. You first thinks about the reasoning process in the mind and then provides the user with the answer.<|im_end|>\n<|im_start|>user\n Using the numbers ${numbers}, create an equation that equals ${target}. You can use basic arithmetic operations (+, -, *, /) and each number can only be used once. Show your work in <think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.<|im_end|>\n<|im_start|>assistant\nLet me solve this step by step.\n<think>`,
} as const;

/** A random expression over all `numbers` with an integer value in [1, maxTarget], or null. */
function buildSolvable(random: Random, numbers: number[], maxTarget: number): { expr: string; value: number } | null {
  const items = numbers.map((n) => ({ expr: String(n), value: n }));
  while (items.length > 1) {
    const a = items.splice(random.integer(items.length), 1)[0]!;
    const b = items.splice(random.integer(items.length), 1)[0]!;
    const op = "+-*/"[random.integer(4)]!;
    let value: number;
    if (op === "+") value = a.value + b.value;
    else if (op === "-") value = a.value - b.value;
    else if (op === "*") value = a.value * b.value;
    else {
      if (b.value === 0 || a.value % b.value !== 0) return null;
      value = a.value / b.value;
    }
    items.push({ expr: `(${a.expr} ${op} ${b.expr})`, value });
  }
  const { expr, value } = items[0]!;
  if (!(value >= 1 && value <= maxTarget)) return null;
  return { expr: expr.slice(1, -1), value };
}

function countdownTask(options: Record<string, number | boolean | string>): TextTask<CountdownProblem> {
  const minCount = options.minCount as number;
  const maxCount = options.maxCount as number;
  const maxNumber = options.maxNumber as number;
  const maxTarget = options.maxTarget as number;
  const template = options.template === "compact" ? null : TEMPLATES[options.template as keyof typeof TEMPLATES];
  if (minCount > maxCount) throw new RangeError(`text task countdown: minCount (${minCount}) must not exceed maxCount (${maxCount})`);
  return {
    id: "countdown",
    generate(random) {
      for (;;) {
        const count = minCount + random.integer(maxCount - minCount + 1);
        const numbers = Array.from({ length: count }, () => 1 + random.integer(maxNumber));
        const solved = buildSolvable(random, numbers, maxTarget);
        if (!solved) continue;
        if (!template) {
          // compact: the verifier's markers only, the expression without spaces
          return { prompt: `${numbers.join(" ")}=${solved.value}\nAssistant: <answer>`, answer: `${solved.expr.replaceAll(" ", "")}</answer>`, data: { target: solved.value, numbers } };
        }
        const shown = `[${numbers.join(", ")}]`;
        return {
          prompt: template(shown, solved.value),
          answer: `${solved.expr}</think>\n<answer>${solved.expr}</answer>`,
          data: { target: solved.value, numbers },
        };
      }
    },
    key: (p) => `${[...p.data.numbers].sort((x, y) => x - y).join(",")}=${p.data.target}`,
    score(problem, response): TextScore {
      const { reward, equation } = tinyZeroCountdownScore(problem.prompt + response, problem.data.target, problem.data.numbers);
      return { reward, correct: reward === 1, wellFormed: equation !== null, extracted: equation };
    },
  };
}

export const countdownSpec: TextTaskSpec = {
  id: "countdown",
  description: "TinyZero's Countdown: combine the numbers (each once) with + - * / to reach the target; TinyZero's prompt template",
  rewardRule: "TinyZero compute_score: 0 without <answer>…</answer> on the last line; 1.0 if it uses each number once and evaluates within 1e-5 of the target; 0.1 otherwise",
  options: {
    minCount: { type: "integer", default: 3, min: 2, max: 6, help: "fewest numbers in a problem" },
    maxCount: { type: "integer", default: 4, min: 2, max: 6, help: "most numbers in a problem" },
    maxNumber: { type: "integer", default: 99, min: 2, max: 1000, help: "numbers are drawn from [1, maxNumber]" },
    maxTarget: { type: "integer", default: 100, min: 1, max: 100000, help: "targets are integers in [1, maxTarget], reachable by construction" },
    template: { type: "string", default: "base", choices: ["base", "qwen-instruct", "compact"], help: "TinyZero's prompt template, or compact (numbers=target, the answer tags only; number tokens for models trained here)" },
  },
  create: countdownTask,
};
