/**
 * Text environments: a Gymnasium-like loop over language tasks with checkable answers.
 *
 *   const env = makeText("addition", { split: "train", seed: 0, digits: 4, reversed: true });
 *   const [prompt, info] = env.reset();          // "0123+4567=", info.answer "09650"
 *   const [obs, reward, terminated, truncated, stepInfo] = env.step("09650");   // reward 1
 *
 * A task draws problems from a seeded generator; every problem belongs to exactly one split by a
 * hash of its canonical key, so train, validation and test never share a problem. Single-turn
 * tasks terminate after one step; with `maxTurns > 1` a wrong answer is answered with the task's
 * feedback as the next observation until the answer is right or the turns run out (truncated).
 * Browser-safe.
 */
import { Random, type RandomState } from "../rng/random.js";
import type { Seed } from "../rng/seed-sequence.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
}

/** One problem: the text shown to the policy and the reference answer. */
export interface TextProblem {
  /** the prompt as plain text (what a completion model continues) */
  prompt: string;
  /** the reference answer as the task expects it in a response (for supervised data) */
  answer: string;
  /** the prompt as chat messages, for chat-shaped tasks (default: one user message with `prompt`) */
  messages?: ChatMessage[];
  /** task-specific data the scorer needs (operands, numbers, target, ...) — JSON-serializable */
  data?: Record<string, unknown>;
}

/** The verdict on one response. */
export interface TextScore {
  reward: number;
  /** the response solves the problem (what accuracy and pass@k count) */
  correct: boolean;
  /** the response has the expected form (whether or not it is correct) */
  wellFormed: boolean;
  /** the answer extracted from the response, when the task extracts one */
  extracted?: string | null;
}

/** A task with its options resolved: a problem generator and a scorer. */
export interface TextTask<P extends TextProblem = TextProblem> {
  readonly id: string;
  /** draws one problem (of any split) from `random` */
  generate(random: Random): P;
  /** the canonical key that decides the problem's split (equal problems, equal keys) */
  key(problem: P): string;
  score(problem: P, response: string): TextScore;
  /** the next observation after a wrong answer in multi-turn use (default: a generic retry prompt) */
  feedback?(problem: P, response: string, score: TextScore): string;
  /** a task over a fixed list of problems (a dataset file) instead of a generator */
  readonly fixed?: { problems: readonly P[]; splitOf(problem: P): TextSplit };
}

export const TEXT_SPLITS = ["train", "validation", "test"] as const;
export type TextSplit = (typeof TEXT_SPLITS)[number];

/**
 * The split of a problem key: FNV-1a (32-bit) of `${taskId}\u0000${key}`, bucket = hash mod 100;
 * buckets 0–79 train, 80–89 validation, 90–99 test. Stable across versions: changing it would
 * leak held-out problems into training sets made earlier.
 */
export function splitOfKey(taskId: string, key: string): TextSplit {
  let h = 0x811c9dc5;
  const s = `${taskId}\u0000${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const bucket = h % 100;
  return bucket < 80 ? "train" : bucket < 90 ? "validation" : "test";
}

export interface TextEnvOptions {
  /** which split to draw problems from (default "train") */
  split?: TextSplit;
  /** seeds the problem generator (default 0); `reset({ seed })` reseeds it */
  seed?: Seed;
  /** turns per episode: 1 (default) is single-turn; more lets the policy retry after feedback */
  maxTurns?: number;
}

export interface TextResetInfo {
  problem: TextProblem;
  answer: string;
  messages: ChatMessage[];
  turn: number;
}

export interface TextStepInfo {
  score: TextScore;
  /** the conversation so far: the prompt's messages, each response (assistant) and feedback (user) */
  messages: ChatMessage[];
  /** 1-based turn of the step just taken */
  turn: number;
  answer: string;
}

export type TextStepResult = [observation: string, reward: number, terminated: boolean, truncated: boolean, info: TextStepInfo];

/** Problems drawn by rejection until one of the wanted split appears; a split with no problems is reported, not looped on. */
const MAX_DRAWS = 100_000;

export class TextEnv<P extends TextProblem = TextProblem> {
  readonly split: TextSplit;
  readonly maxTurns: number;
  private readonly random: Random;
  private problem: P | null = null;
  private turn = 0;
  private done = true;
  private fixedPool: P[] | null = null;
  private history: ChatMessage[] = [];

  constructor(
    readonly task: TextTask<P>,
    options: TextEnvOptions = {},
  ) {
    const split = options.split ?? "train";
    if (!TEXT_SPLITS.includes(split)) throw new RangeError(`text env ${task.id}: split must be one of ${TEXT_SPLITS.join(", ")}, got ${JSON.stringify(split)}`);
    const maxTurns = options.maxTurns ?? 1;
    if (!Number.isInteger(maxTurns) || maxTurns < 1) throw new RangeError(`text env ${task.id}: maxTurns must be an integer >= 1, got ${maxTurns}`);
    this.split = split;
    this.maxTurns = maxTurns;
    this.random = new Random(options.seed ?? 0);
  }

  get id(): string {
    return this.task.id;
  }

  /** Starts an episode with a new problem; `seed` reseeds the problem generator first. */
  reset(args: { seed?: Seed } = {}): [prompt: string, info: TextResetInfo] {
    if (args.seed !== undefined) this.random.setState(new Random(args.seed).getState());
    this.problem = this.draw();
    this.turn = 0;
    this.done = false;
    const info = this.resetInfo(this.problem);
    this.history = [...info.messages];
    return [this.problem.prompt, info];
  }

  /** Scores a response to the current problem. */
  step(response: string): TextStepResult {
    if (this.done || !this.problem) throw new Error(`text env ${this.task.id}: call reset() before step() (the episode has ended or not started)`);
    if (typeof response !== "string") throw new TypeError(`text env ${this.task.id}: step() takes the response text, got ${typeof response}`);
    const problem = this.problem;
    const score = this.task.score(problem, response);
    this.turn++;
    const terminated = score.correct || this.maxTurns === 1;
    const truncated = !terminated && this.turn >= this.maxTurns;
    this.done = terminated || truncated;
    const observation = this.done ? "" : (this.task.feedback?.(problem, response, score) ?? defaultFeedback(score));
    this.history.push({ role: "assistant", content: response });
    if (!this.done) this.history.push({ role: "user", content: observation });
    return [observation, score.reward, terminated, truncated, { score, messages: [...this.history], turn: this.turn, answer: problem.answer }];
  }

  /** `count` problems of this env's split from its generator (for supervised data or evaluation). */
  sample(count: number): P[] {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`text env ${this.task.id}: sample count must be an integer >= 0, got ${count}`);
    return Array.from({ length: count }, () => this.draw());
  }

  /** The current problem (null before the first reset). */
  get current(): P | null {
    return this.problem;
  }

  getState(): { random: RandomState } {
    return { random: this.random.getState() };
  }

  setState(state: { random: RandomState }): void {
    this.random.setState(state.random);
  }

  private draw(): P {
    const fixed = this.task.fixed;
    if (fixed) {
      this.fixedPool ??= fixed.problems.filter((p) => fixed.splitOf(p) === this.split);
      if (this.fixedPool.length === 0) throw new Error(`text env ${this.task.id}: the ${this.split} split has no problems`);
      return this.fixedPool[this.random.integer(this.fixedPool.length)]!;
    }
    for (let i = 0; i < MAX_DRAWS; i++) {
      const problem = this.task.generate(this.random);
      if (splitOfKey(this.task.id, this.task.key(problem)) === this.split) return problem;
    }
    throw new Error(`text env ${this.task.id}: no ${this.split} problem in ${MAX_DRAWS} draws; the problem space is too small for this split (use more digits/items)`);
  }

  private resetInfo(problem: P): TextResetInfo {
    return { problem, answer: problem.answer, messages: problem.messages ?? [{ role: "user", content: problem.prompt }], turn: 0 };
  }
}

function defaultFeedback(score: TextScore): string {
  return score.wellFormed ? "That answer is wrong. Try again." : "That answer is not in the expected format. Try again.";
}
