/** `tsrl tasks`: the registered text tasks with their options, splits and reward rules. */
import { type Command } from "commander";
import { TEXT_SPLITS } from "../text/env.js";
import { listTextTasks, makeText } from "../text/registry.js";

export function registerTasks(program: Command): void {
  program
    .command("tasks")
    .description("List the registered text tasks: options (with defaults), splits, reward rule and an example prompt")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const rows = listTextTasks().map((spec) => {
        const [prompt, info] = makeText(spec.id, { seed: 0 }).reset();
        return { id: spec.id, description: spec.description, reward: spec.rewardRule, splits: [...TEXT_SPLITS], options: spec.options, example: { prompt, answer: info.answer } };
      });
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      for (const r of rows) {
        console.log(`${r.id}: ${r.description}`);
        console.log(`  reward:  ${r.reward}`);
        console.log(`  splits:  ${r.splits.join(", ")} (80/10/10 by a hash of the problem; disjoint)`);
        for (const [name, o] of Object.entries(r.options)) console.log(`  --option ${name}=${JSON.stringify(o.default)}`.padEnd(36) + o.help);
        const example = r.example.prompt.length > 160 ? `${r.example.prompt.slice(0, 80)} … ${r.example.prompt.slice(-60)}` : r.example.prompt;
        console.log(`  example: ${JSON.stringify(example)} -> ${JSON.stringify(r.example.answer)}`);
        console.log("");
      }
      console.log("Also: swe:FILE.jsonl — SWE-RL records from `tsrl swe mine`, scored by the SWE-RL reward.");
    });
}
