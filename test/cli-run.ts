/** Running the CLI from source in tests: synchronously, and killed with SIGKILL mid-run. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { RunStore } from "../src/track/store.js";

export function tsrl(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a run and kills it with SIGKILL once it has written `checkpoints` checkpoints. */
export async function killAfterCheckpoints(args: string[], dir: string, name: string, checkpoints: number): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(join(dir, "runs.sqlite"))) continue;
    const store = new RunStore(dir, { create: false });
    const run = store.listRuns().find((r) => r.name === name);
    const count = run ? store.artifacts(run.id, "checkpoint").length : 0;
    store.close();
    if (count >= checkpoints) break;
  }
  child.kill("SIGKILL");
  await exited;
}
