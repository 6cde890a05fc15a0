/** Language tasks with verifiable rewards: text environments, task registry, answer extraction, reward toolkit. Browser-safe. */
export { TextEnv, TEXT_SPLITS, splitOfKey } from "./env.js";
export type { ChatMessage, TextProblem, TextScore, TextTask, TextSplit, TextEnvOptions, TextResetInfo, TextStepInfo, TextStepResult } from "./env.js";
export { makeText, makeTextTask, sampleProblems, registerText, listTextTasks, textTaskSpec, resolveTaskOptions } from "./registry.js";
export type { TextTaskSpec, TaskOptionSpec, MakeTextOptions } from "./registry.js";
export { addDigits, multiplyDigits } from "./tasks/arithmetic.js";
export type { ArithmeticProblem } from "./tasks/arithmetic.js";
