/**
 * Parity with CleanRL: trains every (algo, env) below at CleanRL's defaults for seeds 1–5 and
 * prints our mean final return (mean of each run's last 100 training episodes) beside CleanRL's
 * published numbers (docs/rl-algorithms, 3 seeds, 500k steps) and the target of the issue.
 *
 *   npm run bench:parity [-- --jobs 2 --seeds 1,2,3,4,5 --extra]
 *
 * `--extra` adds DQN variants (Double DQN, HL-Gauss) on CartPole for comparison with plain DQN.
 * SAC and TD3 (Pendulum-v1, 20k steps, beside a PyTorch port of CleanRL's SAC run in the same
 * process tree) are in bench/offpolicy-parity.ts (`npm run bench:offpolicy`): their score is a
 * deterministic evaluation and the last 10 training episodes, since at 20k steps the last 100
 * training episodes are every episode, the random warm-up included.
 * Runs go to child processes (`tsrl train … --json`), `--jobs` at a time.
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";

interface Case {
  label: string;
  args: string[];
  cleanrl: string;
  target: number | null;
}

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const jobs = Number(flag("--jobs") ?? availableParallelism());
const seeds = (flag("--seeds") ?? "1,2,3,4,5").split(",").map(Number);

const cases: Case[] = [
  { label: "PPO CartPole-v1", args: ["ppo", "--env", "CartPole-v1"], cleanrl: "490.04 ± 6.12", target: 475 },
  { label: "PPO Acrobot-v1", args: ["ppo", "--env", "Acrobot-v1"], cleanrl: "−86.36 ± 1.32", target: -95 },
  { label: "DQN CartPole-v1", args: ["dqn", "--env", "CartPole-v1"], cleanrl: "488.69 ± 16.11", target: 450 },
];
if (argv.includes("--extra")) {
  cases.push(
    { label: "Double DQN CartPole-v1", args: ["dqn", "--env", "CartPole-v1", "--double-q", "true"], cleanrl: "—", target: null },
    { label: "DQN HL-Gauss CartPole-v1", args: ["dqn", "--env", "CartPole-v1", "--loss", "hl-gauss"], cleanrl: "—", target: null },
  );
}

interface Outcome {
  final_mean_return: number;
  wall_s: number;
}

function run(args: string[], seed: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", ...args, "--seed", String(seed), "--json", "--no-track"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`tsrl train ${args.join(" ")} --seed ${seed} exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as Outcome);
    });
  });
}

const tasks = cases.flatMap((c) => seeds.map((seed) => ({ c, seed })));
const results = new Map<string, Outcome[]>();
let next = 0;
const started = Date.now();
async function worker(): Promise<void> {
  while (next < tasks.length) {
    const { c, seed } = tasks[next++]!;
    const outcome = await run(c.args, seed);
    console.error(`${c.label} seed ${seed}: final mean return ${outcome.final_mean_return.toFixed(2)} (${outcome.wall_s.toFixed(1)} s)`);
    results.set(c.label, [...(results.get(c.label) ?? []), outcome]);
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
console.log(`\n| run | tsrl (seeds ${seeds.join(",")}) | per seed | CleanRL (3 seeds) | target | met |`);
console.log("|---|---|---|---|---|---|");
for (const c of cases) {
  const returns = (results.get(c.label) ?? []).map((o) => o.final_mean_return);
  const m = mean(returns);
  const met = c.target === null ? "" : m >= c.target ? "yes" : "**no**";
  console.log(`| ${c.label} | ${m.toFixed(2)} ± ${std(returns).toFixed(2)} | ${returns.map((r) => r.toFixed(1)).join(", ")} | ${c.cleanrl} | ${c.target ?? ""} | ${met} |`);
}
console.log(`\n${tasks.length} runs in ${((Date.now() - started) / 1000).toFixed(0)} s with ${jobs} at a time.`);
