/**
 * What tracking costs: the same training run (same seed, so the same work) untracked and tracked
 * into a fresh store — every episode and metric row, checkpoints every tenth of the run, the
 * final policy — `--reps` pairs, each pair in the other order than the last; prints medians and the overhead in percent, and the
 * time spent inside the tracker's callbacks (a direct measure, less noisy than the difference
 * of two wall-clocks). The target is < 2 % of training wall-clock. Run it on an idle machine.
 *
 *   npm run bench:tracking [-- --algo ppo|dqn --steps 500000 --reps 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALGORITHMS } from "../src/algos/index.js";
import type { TrainCallbacks } from "../src/algos/common.js";
import { startRun } from "../src/track/tracker.js";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const algos = (flag("--algo") ?? "ppo,dqn").split(",");
const reps = Number(flag("--reps") ?? 3);

/** The callbacks, each timed into `spent` (milliseconds). */
function timed(callbacks: TrainCallbacks, spent: { ms: number }): TrainCallbacks {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(callbacks) as [string, (...args: unknown[]) => void][]) {
    out[name] = (...args: unknown[]) => {
      const t = performance.now();
      f(...args);
      spent.ms += performance.now() - t;
    };
  }
  return out as TrainCallbacks;
}

function timeRun(algo: string, steps: number, tracked: boolean, spent = { ms: 0 }): number {
  const entry = ALGORITHMS[algo]!;
  const config = entry.resolve({ envId: "CartPole-v1", seed: 1, totalTimesteps: steps });
  const agent = entry.create(config);
  const start = performance.now();
  if (!tracked) {
    agent.learn({});
    return (performance.now() - start) / 1000;
  }
  const dir = mkdtempSync(join(tmpdir(), "tsrl-bench-"));
  const run = startRun({ store: dir, algo, env: "CartPole-v1", seed: 1, config, agent, checkpointEvery: Math.round(steps / 10) });
  const result = agent.learn(timed(run.callbacks(), spent));
  const t = performance.now();
  run.finish({ ...result });
  run.store.addArtifact(run.runId, "policy", steps, agent.savePolicy());
  spent.ms += performance.now() - t;
  run.store.close();
  const seconds = (performance.now() - start) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log("| algo | steps | untracked median (s) | tracked median (s) | wall-clock difference | time in tracking (median) | reps |");
console.log("|---|---|---|---|---|---|---|");
for (const algo of algos) {
  const steps = Number(flag("--steps") ?? 500_000);
  timeRun(algo, Math.min(steps, 20_000), false); // warm-up: JIT and WASM compilation
  const plain: number[] = [];
  const tracked: number[] = [];
  const share: number[] = [];
  for (let r = 0; r < reps; r++) {
    const runTracked = () => {
      const spent = { ms: 0 };
      const seconds = timeRun(algo, steps, true, spent);
      tracked.push(seconds);
      share.push(spent.ms / 1000 / seconds);
    };
    // alternate which goes first, so that the garbage one run leaves does not always land on the other
    if (r % 2 === 0) {
      plain.push(timeRun(algo, steps, false));
      runTracked();
    } else {
      runTracked();
      plain.push(timeRun(algo, steps, false));
    }
  }
  const p = median(plain), t = median(tracked);
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  console.log(`| ${algo} | ${steps} | ${p.toFixed(2)} | ${t.toFixed(2)} | ${pct((t - p) / p)} | ${pct(median(share))} | ${reps} |`);
}
