/**
 * `sort`: sort a list of integers. Prompt `sort(34,7,91,7,56)=`, answer `7,7,34,56,91`
 * (descending with `descending: true`). Reward: 1.0 when the response, surrounding whitespace
 * removed, is exactly the sorted list; 0.1 when it is well-formed — the same number of
 * comma-separated non-negative integers, no spaces — but wrong; 0 otherwise. Browser-safe.
 */
import type { TextProblem, TextScore, TextTask } from "../env.js";
import type { TextTaskSpec } from "../registry.js";

export interface SortProblem extends TextProblem {
  data: { items: number[] };
}

function sortTask(options: Record<string, number | boolean | string>): TextTask<SortProblem> {
  const minLength = options.minLength as number;
  const maxLength = options.maxLength as number;
  const maxValue = options.maxValue as number;
  const descending = options.descending as boolean;
  if (minLength > maxLength) throw new RangeError(`text task sort: minLength (${minLength}) must not exceed maxLength (${maxLength})`);
  return {
    id: "sort",
    generate(random) {
      const length = minLength + random.integer(maxLength - minLength + 1);
      const items = Array.from({ length }, () => random.integer(maxValue + 1));
      const sorted = [...items].sort((a, b) => (descending ? b - a : a - b));
      return { prompt: `sort(${items.join(",")})=`, answer: sorted.join(","), data: { items } };
    },
    key: (p) => p.data.items.join(","),
    score(problem, response): TextScore {
      const text = response.trim();
      const correct = text === problem.answer;
      const formed = new RegExp(`^[0-9]+(?:,[0-9]+){${problem.data.items.length - 1}}$`).test(text);
      return { reward: correct ? 1 : formed ? 0.1 : 0, correct, wellFormed: formed, extracted: text };
    },
  };
}

export const sortSpec: TextTaskSpec = {
  id: "sort",
  description: "sort a list of integers: sort(34,7,91,7,56)= → 7,7,34,56,91",
  rewardRule: "1.0 exact sorted list; 0.1 well-formed (same count of comma-separated integers, surrounding whitespace ignored) but wrong; 0 otherwise",
  options: {
    minLength: { type: "integer", default: 3, min: 1, max: 100, help: "shortest list" },
    maxLength: { type: "integer", default: 6, min: 1, max: 100, help: "longest list" },
    maxValue: { type: "integer", default: 99, min: 1, max: 1_000_000, help: "items are integers in [0, maxValue]" },
    descending: { type: "boolean", default: false, help: "sort largest first" },
  },
  create: sortTask,
};
