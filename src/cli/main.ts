#!/usr/bin/env node
/** The `tsrl` command line. */
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { instantiate, isKernel, listEnvs } from "../envs/registry.js";
import { registerDashboard } from "./dashboard.js";
import { enjoyCommand } from "./enjoy.js";
import { envKwargsArg, integer, maxEpisodeStepsArg } from "./options.js";
import { registerPlot } from "./plot.js";
import { registerReport } from "./report.js";
import { registerAdaStop } from "./adastop.js";
import { registerCompare } from "./compare.js";
import { registerEval } from "./eval.js";
import { registerSwe } from "./swe.js";
import { registerTasks } from "./tasks.js";
import { rolloutCommand } from "./rollout.js";
import { registerRuns } from "./runs.js";
import { registerTrain } from "./train.js";
import { registerSample } from "./sample.js";
import { registerServe } from "./serve.js";
import { registerExport } from "./export.js";
import { registerActor } from "./distributed.js";
import { registerDatasets } from "./datasets.js";
import { threadsSetting, useKernelThreads } from "../node/kernel-threads.js";
import { fmaSetting, useKernelFma } from "../node/kernel-fma.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command()
  .name("tsrl")
  .description("Reinforcement learning in TypeScript: Gymnasium-identical environments, PPO and DQN with CleanRL's defaults, fast CPU training.")
  .version(pkg.version)
  .showHelpAfterError("(run with --help for usage)");

// before any network exists: --threads (train) or TSRL_THREADS splits the nn kernels' matrix products
// across threads; --fma (train) or TSRL_FMA=1 picks the kernels with fused multiply-adds, turning on
// Node 20's relaxed SIMD for this process first (tsrl resume then uses the run's recorded setting)
program.hook("preAction", (_program, action) => {
  const opts = action.opts();
  useKernelThreads(threadsSetting(opts.threads));
  useKernelFma(fmaSetting(opts.fma));
});

program
  .command("envs")
  .description("List the registered environments with their spaces, time limits and reward thresholds")
  .option("--json", "print JSON instead of a table")
  .action((opts: { json?: boolean }) => {
    const rows = listEnvs().map((s) => {
      const made = instantiate(s);
      const row = {
      id: s.id,
      action_space: made.actionSpace.toString(),
      observation_space: made.observationSpace.toString(),
      max_episode_steps: s.maxEpisodeSteps,
      reward_threshold: s.rewardThreshold,
      };
      if (!isKernel(made)) made.close();
      return row;
    });
    if (opts.json) {
      console.log(JSON.stringify(rows, null, 2));
      return;
    }
    const header = ["id", "action space", "observation space", "max steps", "reward threshold"];
    const table = rows.map((r) => [r.id, r.action_space, r.observation_space, String(r.max_episode_steps ?? "-"), String(r.reward_threshold ?? "-")]);
    const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
    const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
    console.log(line(header));
    console.log(line(widths.map((w) => "-".repeat(w))));
    for (const row of table) console.log(line(row));
  });

program
  .command("rollout")
  .description("Run a random policy in a vectorized env and summarize the episodes (progress bar, returns, speed)")
  .requiredOption("-e, --env <id>", "environment id, e.g. CartPole-v1 (see `tsrl envs`)")
  .option("-n, --num-envs <n>", "number of parallel envs", integer("--num-envs", 1), 8)
  .option("-t, --steps <n>", "total env steps across all envs", integer("--steps", 1), 100_000)
  .option("-s, --seed <n>", "seed: env i is seeded with seed + i, actions from the action space seeded with seed", integer("--seed", 0), 0)
  .option("--render", "draw the first env in the terminal at the end (ANSI colours)")
  .option("--json", "print the summary as one JSON line")
  .option("-q, --quiet", "no progress bar")
  .action(rolloutCommand);

registerTrain(program);
registerActor(program);
registerSample(program);
registerServe(program);
registerExport(program);
registerRuns(program);
registerPlot(program);
registerDashboard(program);
registerReport(program);
registerCompare(program);
registerAdaStop(program);
registerTasks(program);
registerEval(program);
registerSwe(program);
registerDatasets(program);

program
  .command("enjoy")
  .description("Run a saved policy for a few episodes and report the returns (greedy actions unless --stochastic)")
  .argument("<run|policy>", "a run's id, id prefix or name (its saved policy), or a policy file (.tsrlpolicy)")
  .option("-e, --env <id>", "environment (default: the one the policy was trained on, with the env kwargs and time limit it trained with; another id is made as registered)")
  .option("--env-kwargs <json>", "the env's keyword arguments, replacing the policy's, e.g. '{\"sticky_action_prob\":0.1}'", envKwargsArg)
  .option("--max-episode-steps <n>", "time limit, replacing the policy's (none: the id's registered one)", maxEpisodeStepsArg)
  .option("-n, --episodes <n>", "episodes to run", integer("--episodes", 1), 5)
  .option("-s, --seed <n>", "seed of the first reset (and of sampling with --stochastic)", integer("--seed", 0), 0)
  .option("--stochastic", "sample actions from the policy instead of taking the greedy/mean action")
  .option("--render", "draw the episodes in the terminal (ANSI colours; into a file or pipe: every frame, one after another)")
  .option("--gif <file>", "record the episodes to an animated GIF")
  .option("--fps <n>", "frames per second with --render and --gif (default: the env's)", integer("--fps", 1, 100))
  .option("--store <dir>", "run store to find the run in (default: $TSRL_STORE or ./tsrl-runs)")
  .option("--checkpoint <step>", "play the policy inside the run's checkpoint at this step (a run still training plays its newest one)", integer("--checkpoint", 0))
  .option("--json", "print one JSON line with every episode's return and length")
  .action(enjoyCommand);

// Output piped into a reader that stops early (`| head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(0);
});

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`tsrl: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
