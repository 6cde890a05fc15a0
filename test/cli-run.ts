/** Running the CLI from source in tests: synchronously, and killed with SIGKILL mid-run. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type PPOConfig, PPO } from "../src/algos/ppo.js";
import { RunStore } from "../src/track/store.js";

export function tsrl(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a run and kills it with SIGKILL once it has written `checkpoints` checkpoints. */
export async function killAfterCheckpoints(args: string[], dir: string, name: string, checkpoints: number): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve((exitCode = code))));
  const checkpointsWritten = () => {
    if (!existsSync(join(dir, "runs.sqlite"))) return 0;
    const store = new RunStore(dir, { create: false });
    const run = store.listRuns().find((r) => r.name === name);
    const count = run ? store.artifacts(run.id, "checkpoint").length : 0;
    store.close();
    return count;
  };
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const ended = exitCode !== undefined;
    if (checkpointsWritten() >= checkpoints) break;
    // a run that ended before the kill point failed (or was too short): say why instead of waiting forever
    if (ended) throw new Error(`tsrl ${args.join(" ")} exited (${exitCode}) before ${checkpoints} checkpoints: ${stderr}`);
  }
  child.kill("SIGKILL");
  await exited;
}

/** Asserts that the last line of a `tsrl train ppo … --json` learner's stdout reports the single-process run of `config`: the same steps, episodes and final mean return. */
export function assertSingleProcessResult(stdout: string, config: Partial<PPOConfig> & { envId: string; totalTimesteps: number }): void {
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { total_timesteps: number; final_mean_return: number; episodes: number };
  const expected = new PPO(config).learn();
  assert.equal(result.total_timesteps, config.totalTimesteps);
  assert.equal(result.episodes, expected.episodes);
  assert.equal(result.final_mean_return, expected.final_mean_return);
}
