/**
 * RL past an imperfect teacher (issue 16's "a setting where RL adds what the labelled data cannot"):
 * `addition` with `teacherDropsCarry: k` gives SFT labels from a teacher that loses the carry out of
 * digit k, so about half the labels are wrong in one systematic way, while GRPO's verifier scores
 * the true sum. This script scores language models greedily on one fixed draw of test problems
 * and splits the result by whether the teacher's label is wrong for the problem:
 *
 *   accuracy      share answered with the true sum
 *   on_taught     accuracy where the teacher is right (its label equals the true sum)
 *   on_mistaught  accuracy where the teacher is wrong (SFT on its labels learns the wrong answer)
 *   as_teacher    share answered with the teacher's label where it is wrong (the error imitated)
 *
 * The runs themselves are plain CLI runs (commands in bench/results/grpo-teacher-*.txt):
 *   tsrl train sft  --task-options '{"teacherDropsCarry":2}' --examples 5000 --steps 8000 --seed S
 *   tsrl train grpo --init <sft run> --task-options '{"teacherDropsCarry":2}' --seed S      (the benchmark's GRPO settings)
 *   tsrl train sft  --init <sft run> ... --lr 1e-4 --min-lr 1e-4 --warmup 0                 (control: more of the same labels)
 *
 *   node --import tsx bench/grpo-teacher.ts [--problems 2000] [--seed 0] [label=]<model file> [...]
 *
 * A model file is a run's `policy.tsrlpolicy` in the store (tsrl runs show <run> prints its path);
 * `label=` names its row (default: the path).
 */
import { existsSync, readFileSync } from "node:fs";
import { decodeLanguageModel } from "../src/llm/model-file.js";
import { evaluateGreedy, problemsOf, setupTask } from "../src/llm/text-model.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return Number(value);
};
const count = option("--problems", 2000);
const seed = option("--seed", 0);
if (args.length === 0) {
  console.error("usage: node --import tsx bench/grpo-teacher.ts [--problems N] [--seed S] [label=]<model file> [...]");
  process.exit(2);
}

console.log(`${count} test problems (seed ${seed}), greedy decoding`);
console.log(`${"model".padEnd(48)} ${"accuracy".padStart(9)} ${"on_taught".padStart(10)} ${"on_mistaught".padStart(13)} ${"as_teacher".padStart(11)}  (mistaught share)`);
for (const arg of args) {
  const [label, file] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, arg];
  if (!existsSync(file)) throw new Error(`${arg}: no model file ${JSON.stringify(file)} (tsrl runs show <run> prints a finished run's policy path)`);
  const lm = decodeLanguageModel(new Uint8Array(readFileSync(file)), file);
  const k = Number(lm.taskOptions.teacherDropsCarry ?? 0);
  if (lm.task !== "addition" || !(k > 0)) throw new Error(`${file}: not an addition model trained with teacherDropsCarry (task ${lm.task}, options ${JSON.stringify(lm.taskOptions)})`);
  const setup = setupTask(lm.task, lm.taskOptions);
  const problems = problemsOf(setup, "test", count, seed);
  const tally = { correct: 0, taught: 0, taughtCorrect: 0, mistaught: 0, mistaughtCorrect: 0, asTeacher: 0 };
  evaluateGreedy(lm.model, setup, problems, {
    onAnswer(problem, completion, { correct }) {
      if (correct) tally.correct++;
      // the teacher's label is the reference answer; the verifier scores the true sum
      if (setup.task.score(problem, problem.answer).correct) {
        tally.taught++;
        if (correct) tally.taughtCorrect++;
      } else {
        tally.mistaught++;
        if (correct) tally.mistaughtCorrect++;
        if (completion.trim() === problem.answer) tally.asTeacher++;
      }
    },
  });
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
  const name = label.length > 48 ? `…${label.slice(-47)}` : label;
  console.log(
    `${name.padEnd(48)} ${pct(tally.correct, problems.length).padStart(9)} ${pct(tally.taughtCorrect, tally.taught).padStart(10)} ${pct(tally.mistaughtCorrect, tally.mistaught).padStart(13)} ${pct(tally.asTeacher, tally.mistaught).padStart(11)}  (${pct(tally.mistaught, problems.length)})`,
  );
}
