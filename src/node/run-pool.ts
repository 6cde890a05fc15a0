/** Runs `tsrl` subcommands as child processes, at most `jobs` at a time, and never leaves them orphaned. */
import { type ChildProcess, spawn } from "node:child_process";

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The command that started this process (node + its flags + the tsrl entry), so children run the same tsrl. */
export function tsrlCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [...process.execArgv, process.argv[1]!] };
}

/** Children still running; killed when the pool fails or this process is interrupted. */
const running = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of running) child.kill("SIGTERM");
}

let signalsHandled = false;

/** Ctrl-C or a kill of this process takes its children along (set up with the first child). */
function handleSignals(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killChildren();
      process.exit(130);
    });
  }
}

export function runTsrl(args: readonly string[]): Promise<ChildResult> {
  handleSignals();
  const { command, args: base } = tsrlCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...base, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => {
      running.delete(child);
      reject(err);
    });
    // "close", not "exit": the output streams are read to the end.
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Why a child failed, in one line: its last line of stderr, else its exit code or signal. */
export function failureReason(result: ChildResult): string {
  const last = result.stderr.trim().split("\n").at(-1);
  return last || (result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`);
}

/**
 * Calls `task` on every item with at most `jobs` in flight; results keep the items' order. The
 * first failure stops new tasks, kills the children still running, and is thrown.
 */
export async function pool<T, R>(items: readonly T[], jobs: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await task(items[i]!);
      } catch (error) {
        if (!failure) {
          failure = { error };
          killChildren();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return results;
}
