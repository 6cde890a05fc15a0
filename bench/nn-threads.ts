/**
 * SAC on Pendulum-v1 with the nn kernels' products on 1 and 2 threads, beside the PyTorch
 * reference of CleanRL's sac_continuous_action.py (bench/sac_reference.py) in the same run:
 * 1000 random steps, then 500 updates (batch 256, 256-256 networks), each run a fresh process,
 * alternated for `--rounds` rounds (the machine is shared). Prints each run's wall-clock seconds
 * and the best-of-rounds ratios. PyTorch runs at 1 thread unless `--torch-threads 1,2`: on a
 * loaded machine its OpenMP threads spin against each other (a 2-thread run took 300 s instead
 * of 7 here), so a run over `--timeout` seconds is stopped and reported as such.
 *
 *   node --import tsx bench/nn-threads.ts [--rounds 3] [--updates 500] [--torch-threads 1] [--timeout 120] [--python /usr/bin/python3]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SAC } from "../src/algos/sac.js";
import { useKernelThreads } from "../src/node/kernel-threads.js";

const argv = process.argv.slice(2);
const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const WARMUP = 1000;

if (argv[0] === "--child") {
  const [threads, updates] = argv.slice(1).map(Number) as [number, number];
  useKernelThreads(threads);
  const agent = new SAC({ envId: "Pendulum-v1", seed: 1, totalTimesteps: WARMUP + updates, learningStarts: WARMUP });
  const result = agent.learn();
  console.log(JSON.stringify({ wall_s: result.wall_s }));
} else {
  const rounds = Number(flag("--rounds") ?? 3);
  const timeout = Number(flag("--timeout") ?? 120) * 1000;
  const updates = Number(flag("--updates") ?? 500);
  const python = flag("--python") ?? "/usr/bin/python3";
  const here = fileURLToPath(import.meta.url);
  const withTorch = existsSync(python) && spawnSync(python, ["-c", "import torch"]).status === 0;
  const runs: [string, () => number][] = [
    ["tsrl 1 thread", () => child(process.execPath, ["--import", "tsx", here, "--child", "1", String(updates)], {}, timeout)],
    ["tsrl 2 threads", () => child(process.execPath, ["--import", "tsx", here, "--child", "2", String(updates)], {}, timeout)],
  ];
  if (withTorch) {
    const reference = new URL("./sac_reference.py", import.meta.url).pathname;
    const args = [reference, "--seed", "1", "--total-timesteps", String(WARMUP + updates), "--learning-starts", String(WARMUP)];
    for (const t of (flag("--torch-threads") ?? "1").split(",").map(Number)) runs.push([`PyTorch ${t} thread${t > 1 ? "s" : ""}`, () => child(python, args, { OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) }, timeout)]);
  } else console.log(`PyTorch not measured (${python} lacks torch)`);
  const times = new Map<string, number[]>(runs.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of runs) {
      const s = run();
      times.get(name)!.push(s);
      console.log(`round ${r + 1}: ${name.padEnd(17)} ${Number.isFinite(s) ? `${s.toFixed(2)} s` : "stopped after the timeout"}`);
    }
  }
  const best = (name: string) => Math.min(...times.get(name)!);
  const ratio = (slow: string, fast: string) => (best(slow) / best(fast)).toFixed(2);
  console.log(`\nbest of ${rounds} (wall-clock s for ${WARMUP} random steps + ${updates} updates):`);
  for (const [name] of runs) console.log(`  ${name.padEnd(17)} ${best(name).toFixed(2)}`);
  console.log(`tsrl 2 threads / 1 thread: ${ratio("tsrl 1 thread", "tsrl 2 threads")}× faster`);
  for (const [torch] of runs.filter(([name]) => name.startsWith("PyTorch"))) {
    console.log(`vs ${torch}: tsrl 1 thread ${ratio(torch, "tsrl 1 thread")}×, 2 threads ${ratio(torch, "tsrl 2 threads")}×`);
  }
}

function child(cmd: string, args: string[], env: Record<string, string>, timeout: number): number {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return Infinity;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { wall_s: number }).wall_s;
}
