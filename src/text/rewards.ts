/**
 * Rule-based rewards for RL on language tasks, each a small pure function with its formula and
 * source. Lengths are whatever unit the caller counts (tokens for the papers' settings).
 * Browser-safe.
 */
import { extractAnswer, type AnswerFormat } from "./extract.js";

/**
 * Format reward: `score` (default 1) when each tag pair appears exactly once, opening before
 * closing, and the pairs in the given order (default `<think>…</think>` then `<answer>…</answer>`,
 * the DeepSeek-R1 / TRL `format_reward` layout without its whole-string anchoring); else 0.
 */
export function formatReward(text: string, options: { tags?: readonly string[]; score?: number } = {}): number {
  const { tags = ["think", "answer"], score = 1 } = options;
  let cursor = 0;
  for (const tag of tags) {
    const open = `<${tag}>`;
    const close = `</${tag}>`;
    if (text.split(open).length !== 2 || text.split(close).length !== 2) return 0;
    const o = text.indexOf(open);
    const c = text.indexOf(close);
    if (o < cursor || c < o + open.length) return 0;
    cursor = c + close.length;
  }
  return score;
}

/** Exact match of the extracted answer with the reference (both trimmed): 1 or 0. */
export function exactMatchReward(text: string, reference: string, options: { format?: AnswerFormat } = {}): number {
  const answer = extractAnswer(text, options.format ?? "plain");
  return answer !== null && answer === reference.trim() ? 1 : 0;
}

/** A number written as an integer, decimal, `a/b`, with thousands separators or a trailing % (÷100); NaN otherwise. */
export function parseNumber(text: string): number {
  let s = text.trim().replace(/^\$|\$$/g, "").replace(/(\d),(?=\d{3}\b)/g, "$1");
  let scale = 1;
  if (s.endsWith("%")) {
    s = s.slice(0, -1);
    scale = 0.01;
  }
  const frac = /^([+-]?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(s);
  if (frac) return (Number(frac[1]) / Number(frac[2])) * scale;
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) * scale : NaN;
}

/**
 * Numeric match: 1 when the extracted answer and the reference parse as numbers with
 * |a − b| ≤ max(absTol, relTol·|b|) (defaults 1e-9 and 1e-6); else 0.
 */
export function numericMatchReward(text: string, reference: string | number, options: { format?: AnswerFormat; relTol?: number; absTol?: number } = {}): number {
  const { format = "plain", relTol = 1e-6, absTol = 1e-9 } = options;
  const answer = extractAnswer(text, format);
  if (answer === null) return 0;
  const a = parseNumber(answer);
  const b = typeof reference === "number" ? reference : parseNumber(reference);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return 0;
  return Math.abs(a - b) <= Math.max(absTol, relTol * Math.abs(b)) ? 1 : 0;
}

export interface CosineLengthOptions {
  /** reward of a correct answer at length 0 is maxCorrect, at maxLength minCorrect */
  minCorrect: number;
  maxCorrect: number;
  /** reward of a wrong answer at length 0 is minWrong, at maxLength maxWrong */
  minWrong: number;
  maxWrong: number;
  /** reward when length + lengthMargin ≥ maxLength (null: no overlong rule, progress clamped to ≤ 1 as TRL does) */
  exceedLength: number | null;
  /** Yeo et al.'s MAX_LEN_MARGIN: 16 */
  lengthMargin: number;
}

/**
 * Cosine length-scaled reward (Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning in
 * LLMs", arXiv:2502.03373; `eddycmu/demystify-long-cot@e90cf9b:openrlhf/openrlhf/reward/cosine.py`):
 *   if exceedLength ≠ null and L + margin ≥ L_max: r = exceedLength
 *   else r = a + ½(b − a)(1 + cos(π·L/L_max)), (a, b) = (minCorrect, maxCorrect) when correct,
 *   (maxWrong, minWrong) when wrong — so short correct answers earn maxCorrect and short wrong
 *   ones minWrong. Add `repetitionPenalty` for wrong answers as the paper's repetition variant does.
 * Presets: COSINE_PRESETS.paper (the paper's scripts), .cli (their CLI defaults), .trl (TRL's
 * `get_cosine_scaled_reward` defaults: no overlong rule, progress clamped to 1).
 */
export function cosineLengthReward(correct: boolean, length: number, maxLength: number, options: CosineLengthOptions = COSINE_PRESETS.paper): number {
  if (!(maxLength > 0)) throw new RangeError(`cosineLengthReward: maxLength must be > 0, got ${maxLength}`);
  const { minCorrect, maxCorrect, minWrong, maxWrong, exceedLength, lengthMargin } = options;
  if (exceedLength !== null && length + lengthMargin >= maxLength) return exceedLength;
  const progress = Math.min(length / maxLength, 1);
  const [a, b] = correct ? [minCorrect, maxCorrect] : [maxWrong, minWrong];
  return a + 0.5 * (b - a) * (1.0 + Math.cos(progress * Math.PI));
}

export const COSINE_PRESETS = {
  /** section 4.2 scripts: exceed −10, wrong −10…0, correct 2…1 (generate_max_len 14336) */
  paper: { minWrong: -10, maxWrong: 0, minCorrect: 1, maxCorrect: 2, exceedLength: -10, lengthMargin: 16 },
  /** train_ppo_ray.py defaults (exceed_length None → 0) */
  cli: { minWrong: -1, maxWrong: 0, minCorrect: 0, maxCorrect: 1, exceedLength: 0, lengthMargin: 16 },
  /** TRL get_cosine_scaled_reward defaults */
  trl: { minWrong: -1.0, maxWrong: -0.5, minCorrect: 0.5, maxCorrect: 1.0, exceedLength: null, lengthMargin: 0 },
} as const satisfies Record<string, CosineLengthOptions>;

/**
 * Repetition penalty (Yeo et al., `openrlhf/reward/repetition.py` `get_repetition_penalty`):
 * words = lower-cased text split on runs of Python whitespace; n-grams of `ngramSize` words;
 * penalty = (1 − distinct/total) · maxPenalty (maxPenalty ≤ 0; the paper uses n = 40, −0.05).
 * With fewer words than n there are no n-grams: 0 (the reference divides by zero there).
 */
export function repetitionPenalty(text: string, ngramSize: number, maxPenalty: number): number {
  if (maxPenalty > 0) throw new RangeError(`repetitionPenalty: maxPenalty ${maxPenalty} should not be positive`);
  if (!Number.isInteger(ngramSize) || ngramSize < 1) throw new RangeError(`repetitionPenalty: ngramSize must be an integer >= 1, got ${ngramSize}`);
  if (maxPenalty === 0) return 0;
  const words = text.toLowerCase().split(/[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/).filter(Boolean);
  const total = words.length - ngramSize + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(words.slice(i, i + ngramSize).join("\u0000"));
  return (1 - seen.size / total) * maxPenalty;
}

/**
 * DAPO soft overlong punishment (Yu et al. 2025, arXiv:2503.14476, Eq. 13):
 *   0 if |y| ≤ L_max − L_cache; ((L_max − L_cache) − |y|)/L_cache if L_max − L_cache < |y| ≤ L_max; −1 if |y| > L_max.
 * DAPO's setting: L_max 20480, L_cache 4096.
 */
export function dapoOverlongPenalty(length: number, maxLength = 20480, cacheLength = 4096): number {
  if (!(cacheLength > 0 && cacheLength <= maxLength)) throw new RangeError(`dapoOverlongPenalty: need 0 < cacheLength <= maxLength, got ${cacheLength}, ${maxLength}`);
  const expected = maxLength - cacheLength;
  if (length <= expected) return 0;
  if (length <= maxLength) return (expected - length) / cacheLength;
  return -1;
}

/**
 * Clip transform of process rewards (Gao et al. 2024, "On Designing Effective RL Reward at
 * Training Time for LLM Reasoning", arXiv:2410.15115): r̃_k = min(r_k − η, 0), so every step reward
 * is ≤ 0 and the return is bounded above. Reconstructed from the paper's description and Figure 2.
 */
export function clipProcessRewards(stepRewards: readonly number[], eta: number): number[] {
  return stepRewards.map((r) => Math.min(r - eta, 0));
}

/**
 * Delta transform (Gao et al. 2024): r̃_k = r_k − r_{k+1} for k < K, r̃_K = 0, so the return-to-go
 * from step t telescopes to r_t − r_K. Apply after `clipProcessRewards` for Clip-Delta.
 */
export function deltaProcessRewards(stepRewards: readonly number[]): number[] {
  return stepRewards.map((r, k) => (k + 1 < stepRewards.length ? r - stepRewards[k + 1]! : 0));
}

export type RewardFn<C = unknown> = (text: string, context: C) => number;

/** Σ weight_i · fn_i(text, context), with the components returned by name for logging. */
export function combineRewards<C>(parts: Record<string, { fn: RewardFn<C>; weight?: number }>): (text: string, context: C) => { reward: number; components: Record<string, number> } {
  const entries = Object.entries(parts);
  if (!entries.length) throw new RangeError("combineRewards: give at least one reward function");
  return (text, context) => {
    let reward = 0;
    const components: Record<string, number> = {};
    for (const [name, { fn, weight = 1 }] of entries) {
      const value = fn(text, context);
      components[name] = value;
      reward += weight * value;
    }
    return { reward, components };
  };
}
