/**
 * What tracking costs as a user runs it: `tsrl train <algo> --env CartPole-v1` as a child
 * process, tracked into a fresh store (every episode and metric row, a checkpoint every tenth of
 * the run, the policy) against `--no-track`, same seed (the same work). Pairs alternate which runs
 * first; a third variant, tracked with `--checkpoint-every 0`, splits the cost between rows and
 * checkpoints. Prints medians of the process wall-clock (what the user waits) and of the
 * training wall-clock the run reports (`wall_s`), and the overheads. Target: < 2 %. It runs the
 * built CLI (`dist/cli/main.js`, what `npx tsrl` runs), so build first (`npm run build`).
 *
 *   npm run bench:tracking [-- --algo ppo,dqn --steps 500000 --pairs 4]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const algos = (flag("--algo") ?? "ppo,dqn").split(",");
const steps = Number(flag("--steps") ?? 500_000);
const pairs = Number(flag("--pairs") ?? 4);

const CLI = "dist/cli/main.js";
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (the bench times the built CLI, as npx tsrl runs it)`);

type Variant = "untracked" | "tracked" | "tracked, no checkpoints";

/** One CLI run: process seconds and the training seconds it reports. */
function cliRun(algo: string, variant: Variant): { process: number; train: number } {
  const dir = mkdtempSync(join(tmpdir(), "tsrl-bench-"));
  const args = [CLI, "train", algo, "--env", "CartPole-v1", "--seed", "1", "--total-timesteps", String(steps), "--quiet", "--json"];
  if (variant === "untracked") args.push("--no-track");
  else args.push("--store", dir, ...(variant === "tracked" ? [] : ["--checkpoint-every", "0"]));
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  const seconds = (performance.now() - start) / 1000;
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`tsrl train ${algo} (${variant}) failed: ${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { wall_s: number };
  return { process: seconds, train: result.wall_s };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (x: number, base: number) => `${(((x - base) / base) * 100).toFixed(1)} %`;

console.log(`tsrl train <algo> --env CartPole-v1 --total-timesteps ${steps}, ${pairs} rounds, order rotated each round`);
console.log("| algo | variant | process s (median) | vs untracked | train wall_s (median) | vs untracked | all process s |");
console.log("|---|---|---|---|---|---|---|");
for (const algo of algos) {
  cliRun(algo, "untracked"); // warm-up: the OS file cache
  const variants: Variant[] = ["untracked", "tracked", "tracked, no checkpoints"];
  const times = new Map<Variant, { process: number[]; train: number[] }>(variants.map((v) => [v, { process: [], train: [] }]));
  for (let round = 0; round < pairs; round++) {
    // rotate the order, so that no variant always runs first (or after the same one)
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const v of order) {
      const t = cliRun(algo, v);
      times.get(v)!.process.push(t.process);
      times.get(v)!.train.push(t.train);
    }
  }
  const base = times.get("untracked")!;
  for (const v of variants) {
    const t = times.get(v)!;
    const p = median(t.process), w = median(t.train);
    console.log(`| ${algo} | ${v} | ${p.toFixed(2)} | ${v === "untracked" ? "–" : pct(p, median(base.process))} | ${w.toFixed(2)} | ${v === "untracked" ? "–" : pct(w, median(base.train))} | ${t.process.map((x) => x.toFixed(1)).join(", ")} |`);
  }
}
