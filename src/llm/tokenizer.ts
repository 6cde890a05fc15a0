/**
 * Tokenizers for text tasks. Token 0 is padding, token 1 the end of a completion, then the task's
 * tokens in the listed order; text is split greedily into the longest token that matches:
 *
 *   addition        <pad> <eos> 0 1 2 3 4 5 6 7 8 9 + =    (14 tokens, one per character)
 *   multiplication  <pad> <eos> 0 1 2 3 4 5 6 7 8 9 * =    (14 tokens)
 *   either with fillerMax > 0: the same and the filler "." last   (15 tokens)
 *   countdown with template=compact (see src/text/tasks/countdown.ts)
 *                   <pad> <eos> 0 1 2 … 100 + - * / ( ) = " " \n "Assistant:" "<answer>" "</answer>"
 *                   (115 tokens: every number up to 100 is one token, so "25" is one token and
 *                   "250" is "25" "0"; the verifier's markers are one token each)
 *   any other task  <pad> <eos> and printable ASCII 0x20–0x7E, plus \n  (98 tokens)
 *
 * The vocabulary is stored in every saved model (`vocabulary` in its metadata) and checked against
 * the task when a model is loaded for training or evaluation. Browser-safe.
 */

import { ARITHMETIC_FILLER } from "../text/tasks/arithmetic.js";

export const PAD_TOKEN = 0;
export const EOS_TOKEN = 1;
const SPECIALS = ["<pad>", "<eos>"];

const TASK_ALPHABETS: Record<string, string> = {
  addition: "0123456789+=",
  multiplication: "0123456789*=",
};

/** countdown's compact template: whole numbers 0–100, the operators, and the verifier's markers. */
const COUNTDOWN_COMPACT_TOKENS = [...Array.from({ length: 101 }, (_, i) => String(i)), ..."+-*/()= \n", "Assistant:", "<answer>", "</answer>"];

function printableAscii(): string {
  let s = "";
  for (let c = 0x20; c <= 0x7e; c++) s += String.fromCharCode(c);
  return s + "\n";
}

export class CharTokenizer {
  /** token id → its text ("<pad>", "<eos>", one character, or a longer token such as "25") */
  readonly vocabulary: readonly string[];
  private readonly ids = new Map<string, number>();
  private readonly longest: number;

  /** `tokens`: an alphabet (one token per character) or a list of tokens */
  constructor(tokens: string | readonly string[]) {
    const list = typeof tokens === "string" ? [...tokens] : [...tokens];
    if (new Set(list).size !== list.length || list.some((t) => t.length === 0)) throw new Error(`tokenizer tokens must be distinct and non-empty: ${JSON.stringify(list)}`);
    this.vocabulary = [...SPECIALS, ...list];
    list.forEach((t, i) => this.ids.set(t, i + SPECIALS.length));
    this.longest = Math.max(1, ...list.map((t) => t.length));
  }

  /** The tokenizer a task's models use (countdown's compact template has number tokens). */
  static forTask(taskId: string, options: Record<string, unknown> = {}): CharTokenizer {
    if (taskId === "countdown" && options.template === "compact") return new CharTokenizer(COUNTDOWN_COMPACT_TOKENS);
    const alphabet = TASK_ALPHABETS[taskId];
    if (alphabet === undefined) return new CharTokenizer(printableAscii());
    // the arithmetic tasks' filler token exists only when the task uses it, so models without it keep their 14 tokens
    const filler = typeof options.fillerMax === "number" && options.fillerMax > 0 ? ARITHMETIC_FILLER : "";
    return new CharTokenizer(alphabet + filler);
  }

  /** Rebuilds a tokenizer from a saved vocabulary. */
  static fromVocabulary(vocabulary: readonly string[]): CharTokenizer {
    if (vocabulary[0] !== SPECIALS[0] || vocabulary[1] !== SPECIALS[1]) throw new Error(`a saved vocabulary must start with ${SPECIALS.join(", ")}`);
    return new CharTokenizer(vocabulary.slice(SPECIALS.length));
  }

  get size(): number {
    return this.vocabulary.length;
  }

  /** the tokens after the specials, joined when every one is a character (for messages) */
  get alphabet(): string {
    const tokens = this.vocabulary.slice(SPECIALS.length);
    return this.longest === 1 ? tokens.join("") : tokens.join(" ");
  }

  /** Greedy longest match: at each position the longest token the text starts with. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    let n = 0;
    for (let i = 0; i < text.length; ) {
      let id: number | undefined;
      let len = Math.min(this.longest, text.length - i);
      for (; len >= 1; len--) if ((id = this.ids.get(text.slice(i, i + len))) !== undefined) break;
      if (id === undefined) {
        const c = String.fromCodePoint(text.codePointAt(i)!);
        throw new RangeError(`character ${JSON.stringify(c)} is not in the tokenizer's vocabulary (${JSON.stringify(this.alphabet)})`);
      }
      out[n++] = id;
      i += len;
    }
    return out.subarray(0, n);
  }

  /** Text of tokens up to (not including) the first end token; padding is dropped. */
  decode(tokens: ArrayLike<number>): string {
    let s = "";
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t === EOS_TOKEN) break;
      if (t === PAD_TOKEN) continue;
      s += this.vocabulary[t] ?? "";
    }
    return s;
  }

  sameAs(other: CharTokenizer): boolean {
    return this.vocabulary.length === other.vocabulary.length && this.vocabulary.every((v, i) => v === other.vocabulary[i]);
  }
}
