/**
 * Character-level tokenizers for text tasks. Token 0 is padding, token 1 the end of a completion,
 * then one token per character of the task's alphabet, in the listed order:
 *
 *   addition        <pad> <eos> 0 1 2 3 4 5 6 7 8 9 + =    (14 tokens)
 *   multiplication  <pad> <eos> 0 1 2 3 4 5 6 7 8 9 * =    (14 tokens)
 *   any other task  <pad> <eos> and printable ASCII 0x20–0x7E, plus \n  (98 tokens)
 *
 * The vocabulary is stored in every saved model (`vocabulary` in its metadata) and checked against
 * the task when a model is loaded for training or evaluation. Browser-safe.
 */

export const PAD_TOKEN = 0;
export const EOS_TOKEN = 1;
const SPECIALS = ["<pad>", "<eos>"];

const TASK_ALPHABETS: Record<string, string> = {
  addition: "0123456789+=",
  multiplication: "0123456789*=",
};

function printableAscii(): string {
  let s = "";
  for (let c = 0x20; c <= 0x7e; c++) s += String.fromCharCode(c);
  return s + "\n";
}

export class CharTokenizer {
  /** token id → its text ("<pad>", "<eos>" or one character) */
  readonly vocabulary: readonly string[];
  private readonly ids = new Map<string, number>();

  constructor(alphabet: string) {
    const chars = [...alphabet];
    if (new Set(chars).size !== chars.length) throw new Error(`tokenizer alphabet has repeated characters: ${JSON.stringify(alphabet)}`);
    this.vocabulary = [...SPECIALS, ...chars];
    chars.forEach((c, i) => this.ids.set(c, i + SPECIALS.length));
  }

  /** The tokenizer a task's models use. */
  static forTask(taskId: string): CharTokenizer {
    return new CharTokenizer(TASK_ALPHABETS[taskId] ?? printableAscii());
  }

  /** Rebuilds a tokenizer from a saved vocabulary. */
  static fromVocabulary(vocabulary: readonly string[]): CharTokenizer {
    if (vocabulary[0] !== SPECIALS[0] || vocabulary[1] !== SPECIALS[1]) throw new Error(`a saved vocabulary must start with ${SPECIALS.join(", ")}`);
    return new CharTokenizer(vocabulary.slice(SPECIALS.length).join(""));
  }

  get size(): number {
    return this.vocabulary.length;
  }

  get alphabet(): string {
    return this.vocabulary.slice(SPECIALS.length).join("");
  }

  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    let i = 0;
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined) throw new RangeError(`character ${JSON.stringify(c)} is not in the tokenizer's vocabulary (${JSON.stringify(this.alphabet)})`);
      out[i++] = id;
    }
    return out.subarray(0, i);
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
