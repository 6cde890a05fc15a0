/** Language tasks with verifiable rewards: text environments, task registry, answer extraction, reward toolkit. Browser-safe. */
export { TextEnv, TEXT_SPLITS, splitOfKey } from "./env.js";
export type { ChatMessage, TextProblem, TextScore, TextTask, TextSplit, TextEnvOptions, TextResetInfo, TextStepInfo, TextStepResult } from "./env.js";
export { makeText, makeTextTask, sampleProblems, registerText, listTextTasks, textTaskSpec, resolveTaskOptions } from "./registry.js";
export type { TextTaskSpec, TaskOptionSpec, MakeTextOptions } from "./registry.js";
export { addDigits, multiplyDigits } from "./tasks/arithmetic.js";
export type { ArithmeticProblem } from "./tasks/arithmetic.js";
export { sweRlReward, sweRlChangeReward, extractThoughtSolution, parseSearchReplace, applyCodeChange, generateUnifiedDiff, SweRlFormatError } from "./swe-rl/reward.js";
export type { SweRlResult, ChangeSimilarity, FileContents } from "./swe-rl/reward.js";
export { SequenceMatcher, unifiedDiff, codePoints } from "./swe-rl/difflib.js";
export type { MatchBlock, Opcode, OpcodeTag } from "./swe-rl/difflib.js";
export { pyStrip, pySplitlines } from "./swe-rl/python-str.js";
export { tinyZeroCountdownScore, countdownExtract, evalPythonArithmetic } from "./tasks/countdown.js";
export type { CountdownProblem } from "./tasks/countdown.js";
export type { SortProblem } from "./tasks/sort.js";
export { extractAnswer, extractAnswerTag, extractBoxed } from "./extract.js";
export type { AnswerFormat } from "./extract.js";
export * as rewards from "./rewards.js";
export {
  formatReward,
  exactMatchReward,
  numericMatchReward,
  parseNumber,
  cosineLengthReward,
  COSINE_PRESETS,
  repetitionPenalty,
  dapoOverlongPenalty,
  clipProcessRewards,
  deltaProcessRewards,
  combineRewards,
} from "./rewards.js";
export type { CosineLengthOptions, RewardFn } from "./rewards.js";
export { sweTask, checkSweRecord } from "./swe-rl/task.js";
export type { SweRecord, SweProblem } from "./swe-rl/task.js";
export { OpenAIClient, OpenAIError } from "./openai-client.js";
export type { OpenAIClientOptions, SamplingParams, Completion } from "./openai-client.js";
export { evaluateSampler, summarizeEval, passAtK } from "./evaluate.js";
export type { ScoredSample, EvalSummary, Interval, Sampler, EvaluateOptions, BootstrapSettings } from "./evaluate.js";
