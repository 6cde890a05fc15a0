/**
 * SAC and TD3 on Pendulum-v1 (20k steps, seeds 1–5) beside the PyTorch reference of CleanRL's
 * `sac_continuous_action.py` (bench/sac_reference.py: CleanRL's loop over a numpy Pendulum, since
 * CleanRL's gymnasium cannot be installed here), run one after the other in the same process tree.
 *
 *   npm run bench:offpolicy [-- --seeds 1,2,3,4,5 --steps 20000 --algos sac,td3 --python /usr/bin/python3 --no-reference --concurrent]
 *
 * `--concurrent` runs the reference's seeds and tsrl's runs as two chains side by side.
 *
 * For every run: wall-clock seconds, the mean of the last 10 training episodes, and the mean of
 * 10 deterministic evaluation episodes of the final policy (first reset seeded 10000). The SB3 zoo
 * reports ≈ −157 (SAC) and ≈ −152 (TD3) for one agent each at 20k steps (deterministic evaluation).
 * TD3 runs with learningStarts 5000 like SAC: CleanRL's 25k default would never train in 20k steps.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { evaluatePolicy } from "../src/algos/evaluate.js";
import { Policy } from "../src/algos/policy.js";
import { SAC } from "../src/algos/sac.js";
import { TD3 } from "../src/algos/td3.js";

interface Outcome {
  seed: number;
  wall_s: number;
  /** CPU seconds of the training process (all its threads): on a shared machine the fairer measure of work */
  cpu_s?: number;
  returns: number[];
  eval: number[];
}

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

if (argv[0] === "--child") {
  // one tsrl run in its own process, so both sides start from a fresh process
  const [algo, seedText, stepsText] = argv.slice(1);
  const seed = Number(seedText), totalTimesteps = Number(stepsText);
  const agent = algo === "sac" ? new SAC({ envId: "Pendulum-v1", seed, totalTimesteps }) : new TD3({ envId: "Pendulum-v1", seed, totalTimesteps, learningStarts: 5000 });
  const returns: number[] = [];
  const cpuBefore = process.cpuUsage();
  const result = agent.learn({ onEpisode: (e) => returns.push(e.return) });
  const cpu = process.cpuUsage(cpuBefore);
  const evaluation = evaluatePolicy(new Policy(agent.savePolicy()), "Pendulum-v1", { episodes: 10, seed: 10000 });
  console.log(JSON.stringify({ seed, wall_s: result.wall_s, cpu_s: (cpu.user + cpu.system) / 1e6, returns, eval: evaluation.returns }));
} else {
  const seeds = (flag("--seeds") ?? "1,2,3,4,5").split(",").map(Number);
  const steps = Number(flag("--steps") ?? 20000);
  const algos = (flag("--algos") ?? "sac,td3").split(",");
  const python = flag("--python") ?? "/usr/bin/python3";
  const withReference = !argv.includes("--no-reference");
  const here = fileURLToPath(import.meta.url);

  const run = (cmd: string, args: string[]): Promise<Outcome> =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!) as Outcome) : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}`))));
    });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = (label: string, o: Outcome) =>
    console.log(`${label.padEnd(22)} seed ${o.seed}  ${o.wall_s.toFixed(1).padStart(7)} s  cpu ${o.cpu_s === undefined ? "—" : o.cpu_s.toFixed(1)} s  last-10 train ${mean(o.returns.slice(-10)).toFixed(1).padStart(8)}  eval ${mean(o.eval).toFixed(1).padStart(8)}`);

  const table = new Map<string, Outcome[]>();
  const add = (label: string, o: Outcome) => {
    table.set(label, [...(table.get(label) ?? []), o]);
    row(label, o);
  };
  const reference = async (seed: number) => add("PyTorch SAC (CleanRL)", await run(python, [fileURLToPath(new URL("./sac_reference.py", import.meta.url)), "--seed", String(seed), "--total-timesteps", String(steps)]));
  const ours = async (what: string, seed: number) => add(`tsrl ${what.toUpperCase()}`, await run(process.execPath, ["--import", "tsx", here, "--child", what, String(seed), String(steps)]));
  if (argv.includes("--concurrent")) {
    // two chains side by side (the reference's seeds; tsrl's algorithms × seeds), so both see the same load from other processes
    console.log(`Pendulum-v1, ${steps} steps; the reference and tsrl run side by side (this machine is shared: wall times carry its load)`);
    await Promise.all([
      (async () => {
        if (withReference) for (const seed of seeds) await reference(seed);
      })(),
      (async () => {
        for (const what of algos) for (const seed of seeds) await ours(what, seed);
      })(),
    ]);
  } else {
    console.log(`Pendulum-v1, ${steps} steps (runs one at a time; this machine is shared, so wall times carry its load)`);
    for (const seed of seeds) {
      // alternate which side goes first, so drifting load from other processes hurts both alike
      const order = seed % 2 === 0 && withReference ? ["reference", ...algos] : [...algos, ...(withReference ? ["reference"] : [])];
      for (const what of order) await (what === "reference" ? reference(seed) : ours(what, seed));
    }
  }
  console.log("\nsummary (mean over seeds)");
  for (const [label, outcomes] of table) {
    console.log(`${label.padEnd(22)} n=${outcomes.length}  wall ${mean(outcomes.map((o) => o.wall_s)).toFixed(1)} s  last-10 train ${mean(outcomes.map((o) => mean(o.returns.slice(-10)))).toFixed(1)}  eval ${mean(outcomes.map((o) => mean(o.eval))).toFixed(1)}`);
  }
  const tsrlSac = table.get("tsrl SAC"), theirs = table.get("PyTorch SAC (CleanRL)");
  if (tsrlSac && theirs) {
    const pairs = theirs.flatMap((t) => tsrlSac.filter((o) => o.seed === t.seed).map((o) => [t, o] as const));
    console.log(`speed: tsrl SAC is ${pairs.map(([t, o]) => (t.wall_s / o.wall_s).toFixed(2)).join(", ")}× the PyTorch reference's wall-clock speed (same seeds; target ≥ 5×)`);
    const cpu = pairs.filter(([t, o]) => t.cpu_s !== undefined && o.cpu_s !== undefined);
    if (cpu.length) console.log(`       and ${cpu.map(([t, o]) => (t.cpu_s! / o.cpu_s!).toFixed(2)).join(", ")}× in CPU seconds`);
  }
}
