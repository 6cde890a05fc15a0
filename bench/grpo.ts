/**
 * The GRPO benchmark (issue 16), frozen configuration: the `addition` task (4-digit zero-padded
 * operands, reversed 5-digit sum, reward 1.0 exact / 0.1 well-formed / 0), model tiny (4 layers,
 * d 64, 4 heads, MLP 256, ~0.2M parameters, context 16).
 *   1. SFT from scratch on a fixed draw of 1,000 labelled problems: AdamW lr 1e-3, warmup 50,
 *      cosine to 1e-4 over a 2,000-step cap, batch 64, stopped at the first check (every 25 steps)
 *      where greedy accuracy on 500 validation problems reaches 0.30.
 *   2. GRPO 300 steps from that model: 32 fresh prompts × G 8, temperature 1, token-level (dapo)
 *      loss, ε 0.2/0.28, β 0, lr 1e-4 constant; held-out greedy accuracy on 2,000 test problems
 *      every 50 steps.
 *   3. Controls from the same start: GRPO with rewards shuffled across the batch; SFT continued
 *      (same examples, same optimizer state and schedule) for the CPU time of a GRPO run (the
 *      issue says wall-clock; on a machine shared with other jobs CPU time is the fair measure,
 *      and the wall-clock is printed too).
 * Equivalent CLI: tsrl train sft --stop-at-accuracy 0.3 --seed S --name sft-S, then
 * tsrl train grpo --init sft-S --seed S [--shuffle-rewards true].
 *
 *   node --import tsx bench/grpo.ts [--seeds 1,2,3] [--controls 1] [--steps 300] [--out results.jsonl] [--controls-only]
 *                                   [--losses dapo,dr_grpo,grpo]   (the loss comparison: one GRPO run per loss type)
 * Prints one JSON line per seed (and writes them to --out).
 */
import { appendFileSync } from "node:fs";
import { GRPO_DEFAULTS, GrpoTrainer } from "../src/llm/grpo.js";
import type { GrpoLossType } from "../src/llm/grpo-loss.js";
import { decodeLanguageModel, encodeLanguageModel } from "../src/llm/model-file.js";
import { SFT_DEFAULTS, SftTrainer } from "../src/llm/sft.js";
import { evaluateGreedy, problemsOf } from "../src/llm/text-model.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const seeds = arg("seeds", "1,2,3").split(",").map(Number);
const controlSeeds = new Set(arg("controls", "1").split(",").filter(Boolean).map(Number));
const steps = Number(arg("steps", "300"));
const out = arg("out", "");
const controlsOnly = process.argv.includes("--controls-only");
const losses = arg("losses", "dapo").split(",") as GrpoLossType[];
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const SFT = { ...SFT_DEFAULTS, stopAtAccuracy: 0.3 };
const GRPO = { ...GRPO_DEFAULTS, steps };

function log(line: Record<string, unknown>): void {
  const text = JSON.stringify(line);
  console.log(text);
  if (out) appendFileSync(out, text + "\n");
}

for (const seed of seeds) {
  const t0 = performance.now();
  const sft = new SftTrainer({ ...SFT, seed });
  const sftResult = sft.train();
  const start = encodeLanguageModel(sft.languageModel());
  log({ seed, stage: "sft", sft_steps: sftResult.sft_steps, validation_accuracy: sftResult.validation_accuracy, test_accuracy: sftResult.accuracy_final, wall_s: sftResult.wall_s, train_tokens_per_s: sftResult.train_tokens_per_s });

  const curve = (trainer: GrpoTrainer) => {
    const points: [number, number][] = [];
    const lengths: number[] = [];
    const cpu0 = cpuSeconds();
    trainer.sftSteps = sft.step;
    const result = trainer.train({
      onMetrics: (step, m) => {
        if (m["eval/test_accuracy"] !== undefined) points.push([step, m["eval/test_accuracy"]]);
        if (m["completions/mean_length"] !== undefined) lengths.push(m["completions/mean_length"]);
      },
    });
    const last = lengths.slice(-20);
    return { result, points, cpu_s: cpuSeconds() - cpu0, mean_length_last20: last.reduce((a, b) => a + b, 0) / Math.max(1, last.length) };
  };
  let grpoCpu = 0;
  for (const loss of controlsOnly ? [] : losses) {
    const grpo = curve(new GrpoTrainer({ ...GRPO, seed, loss, ...(loss === "dr_grpo" ? { scaleRewards: "none" as const } : {}) }, decodeLanguageModel(start)));
    grpoCpu = grpo.cpu_s;
    log({ stage: "grpo", loss, ...grpo.result, cpu_s: grpo.cpu_s, mean_length_last20: grpo.mean_length_last20, gain_points: 100 * (grpo.result.accuracy_final - grpo.result.accuracy_start), curve: grpo.points });
  }

  if (controlSeeds.has(seed) || controlsOnly) {
    const shuffled = curve(new GrpoTrainer({ ...GRPO, seed, shuffleRewards: true }, decodeLanguageModel(start)));
    log({ stage: "grpo-shuffled-rewards", ...shuffled.result, cpu_s: shuffled.cpu_s, curve: shuffled.points });

    // SFT continued from the stopping point for the CPU time of a GRPO run
    const budget = grpoCpu || shuffled.cpu_s;
    const began = performance.now();
    const cpu0 = cpuSeconds();
    const first = sft.step;
    while (cpuSeconds() - cpu0 < budget) sft.trainStep();
    const test = evaluateGreedy(sft.model, sft.setup, problemsOf(sft.setup, "test", SFT.testProblems, seed + 2000));
    log({ seed, stage: "sft-continued", extra_steps: sft.step - first, cpu_s: cpuSeconds() - cpu0, wall_s: (performance.now() - began) / 1000, accuracy_start: sftResult.accuracy_final, accuracy_final: test.accuracy });
  }
  log({ seed, stage: "done", total_wall_s: (performance.now() - t0) / 1000 });
}
