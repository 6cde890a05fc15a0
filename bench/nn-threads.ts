/**
 * The nn kernels' products on 1 and 2 threads beside PyTorch, in the same run; each run a fresh
 * process, alternated for `--rounds` rounds (the machine is shared), best of the rounds reported.
 *
 * - sac: SAC on Pendulum-v1, 1000 random steps then 500 updates (batch 256, 256-256 networks),
 *   beside the PyTorch reference of CleanRL's sac_continuous_action.py (bench/sac_reference.py);
 *   wall-clock seconds.
 * - grpo: the GRPO benchmark's transformer (bench/grpo-speed.ts) trained at batch 64 × 16
 *   (forward, backward, AdamW), beside bench/grpo-speed.py; tokens/s.
 *
 * - cores: what the machine gives two threads right now: one process timing 256×256×256 products
 *   alone, then two such processes at once; 2 × alone / together is ≈ 2 on two free cores, and a
 *   split cannot beat one thread where it is ≈ 1.
 *
 * PyTorch runs at 1 thread unless `--torch-threads 1,2`: on a loaded machine its OpenMP threads
 * spin against each other (a 2-thread SAC run took 300 s instead of 7 here), so a run over
 * `--timeout` seconds is stopped and reported as such.
 *
 * `--fma` adds tsrl on the kernels with fused multiply-adds (relaxed SIMD, setKernelFma) at each
 * thread count; `--threads 1` measures one thread only.
 *
 *   node --import tsx bench/nn-threads.ts [--bench cores,sac,grpo] [--rounds 3] [--updates 500] [--torch-threads 1] [--timeout 120] [--python /usr/bin/python3]
 *     [--threads 1,2] [--fma]
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SAC } from "../src/algos/sac.js";
import { AdamW, clipGlobalNorm } from "../src/nn/adamw.js";
import { Transformer } from "../src/nn/transformer.js";
import { useKernelThreads } from "../src/node/kernel-threads.js";
import { useKernelFma } from "../src/node/kernel-fma.js";
import { Backend } from "../src/nn/backend.js";
import { createWasmKernels } from "../src/nn/wasm-kernels.js";
import { Random } from "../src/rng/random.js";

const argv = process.argv.slice(2);
const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const WARMUP = 1000;

const GRPO_MODEL = { vocabSize: 14, contextLength: 16, layers: 4, dModel: 64, heads: 4, mlpHidden: 256 };

if (argv[0] === "--child") {
  const [bench, threadsText, updatesText, fmaText] = argv.slice(1);
  useKernelThreads(Number(threadsText));
  useKernelFma(fmaText === "fma");
  const cpu = process.cpuUsage();
  let value: number;
  if (bench === "cores") value = productSeconds();
  else if (bench === "sac") {
    const updates = Number(updatesText);
    const agent = new SAC({ envId: "Pendulum-v1", seed: 1, totalTimesteps: WARMUP + updates, learningStarts: WARMUP });
    value = agent.learn().wall_s;
  } else value = grpoTokensPerSecond();
  const used = process.cpuUsage(cpu);
  // CPU seconds of all threads: beside the wall-clock, what the split costs in work (spinning included)
  console.error(`  (${bench} ${threadsText} thread(s)${fmaText === "fma" ? " FMA" : ""}: ${((used.user + used.system) / 1e6).toFixed(2)} CPU-s)`);
  console.log(JSON.stringify({ value }));
} else {
  const benches = (flag("--bench") ?? "cores,sac,grpo").split(",");
  const rounds = Number(flag("--rounds") ?? 3);
  const timeout = Number(flag("--timeout") ?? 120) * 1000;
  const updates = Number(flag("--updates") ?? 500);
  const python = flag("--python") ?? "/usr/bin/python3";
  const torchThreads = (flag("--torch-threads") ?? "1").split(",").map(Number);
  const tsrlThreads = (flag("--threads") ?? "1,2").split(",").map(Number);
  const kernelVariants = argv.includes("--fma") ? ["", "fma"] : [""];
  const here = fileURLToPath(import.meta.url);
  const withTorch = existsSync(python) && spawnSync(python, ["-c", "import torch"]).status === 0;
  if (!withTorch) console.log(`PyTorch not measured (${python} lacks torch)`);
  const torchEnv = (t: number) => ({ OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) });
  for (const bench of benches) {
    if (bench === "cores") {
      const once = () => new Promise<number>((resolve, reject) => {
        const p = spawn(process.execPath, ["--import", "tsx", here, "--child", "cores", "1"], { stdio: ["ignore", "pipe", "ignore"] });
        let out = "";
        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
        p.on("exit", (code) => (code === 0 ? resolve((JSON.parse(out.trim()) as { value: number }).value) : reject(new Error(`cores child exited with ${code}`))));
      });
      const alone = await once();
      const together = await Promise.all([once(), once()]);
      const mean = (together[0]! + together[1]!) / 2;
      console.log(`cores: 256³ products take ${(alone * 1e6).toFixed(0)} µs in one process alone, ${(mean * 1e6).toFixed(0)} µs each in two at once: the machine gives two threads ${((2 * alone) / mean).toFixed(2)} cores`);
      continue;
    }
    const tsrlName = (t: number, fma: string) => `tsrl ${t} thread${t > 1 ? "s" : ""}${fma ? " FMA" : ""}`;
    const runs: [string, () => number][] = kernelVariants.flatMap((fma) =>
      tsrlThreads.map((t): [string, () => number] => [tsrlName(t, fma), () => child(process.execPath, ["--import", "tsx", here, "--child", bench, String(t), String(updates), fma], {}, timeout)]),
    );
    if (withTorch && bench === "sac") {
      const args = [new URL("./sac_reference.py", import.meta.url).pathname, "--seed", "1", "--total-timesteps", String(WARMUP + updates), "--learning-starts", String(WARMUP)];
      for (const t of torchThreads) runs.push([`PyTorch ${t} thread${t > 1 ? "s" : ""}`, () => child(python, args, torchEnv(t), timeout, "wall_s")]);
    }
    if (withTorch && bench === "grpo") {
      for (const t of torchThreads) runs.push([`PyTorch ${t} thread${t > 1 ? "s" : ""}`, () => child(python, [new URL("./grpo-speed.py", import.meta.url).pathname, String(t)], torchEnv(t), timeout, "train_tokens_per_s")]);
    }
    // SAC: seconds (lower is better); GRPO: tokens/s (higher is better)
    const seconds = bench === "sac";
    const unit = seconds ? `s for ${WARMUP} random steps + ${updates} updates` : "training tokens/s, batch 64 × 16 with AdamW";
    const results = new Map<string, number[]>(runs.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of runs) {
        const v = run();
        results.get(name)!.push(v);
        console.log(`${bench} round ${r + 1}: ${name.padEnd(21)} ${Number.isFinite(v) ? v.toFixed(seconds ? 2 : 0) : "stopped after the timeout"}`);
      }
    }
    const best = (name: string) => {
      const finished = results.get(name)!.filter(Number.isFinite);
      return finished.length === 0 ? NaN : seconds ? Math.min(...finished) : Math.max(...finished);
    };
    const speedup = (fast: string, slow: string) => (seconds ? best(slow) / best(fast) : best(fast) / best(slow)).toFixed(2);
    console.log(`${bench}, best of ${rounds} (${unit}):`);
    for (const [name] of runs) console.log(`  ${name.padEnd(21)} ${best(name).toFixed(seconds ? 2 : 0)}`);
    for (const fma of kernelVariants) if (tsrlThreads.includes(1) && tsrlThreads.includes(2)) console.log(`  tsrl 2 threads vs 1 thread${fma ? " (FMA)" : ""}: ${speedup(tsrlName(2, fma), tsrlName(1, fma))}×`);
    if (kernelVariants.includes("fma")) for (const t of tsrlThreads) console.log(`  tsrl FMA vs default kernels, ${t} thread(s): ${speedup(tsrlName(t, "fma"), tsrlName(t, ""))}×`);
    for (const [torch] of runs.filter(([name]) => name.startsWith("PyTorch"))) {
      console.log(`  vs ${torch}: ${runs.filter(([name]) => name.startsWith("tsrl")).map(([name]) => `${name} ${speedup(name, torch)}×`).join(", ")}`);
    }
  }
}

/** Seconds per 256×256×256 product on one thread, best of 10 rounds of 100. */
function productSeconds(): number {
  const b = new Backend(createWasmKernels(undefined, null));
  const n = 256;
  const x = b.alloc(n * n), w = b.alloc(n * n), y = b.alloc(n * n);
  let best = Infinity;
  for (let round = 0; round < 10; round++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) b.kernels.linearForward(n, n, n, x, w, -1, y);
    best = Math.min(best, (performance.now() - t0) / 100 / 1000);
  }
  return best;
}

/** Training tokens/s of the GRPO benchmark's model (forward, backward, clipping, AdamW), best of 3 rounds of 10 steps. */
function grpoTokensPerSecond(): number {
  const model = new Transformer(GRPO_MODEL, { seed: 0 });
  const optimizer = new AdamW(model.numParameters, model.layout, { lr: 1e-3 });
  const random = new Random(0);
  const [B, T] = [64, 16];
  const tokens = Int32Array.from({ length: B * T }, () => random.integer(14));
  const targets = Int32Array.from({ length: B * T }, () => random.integer(14));
  const grad = new Float64Array(B * T).fill(-1 / (B * T));
  const step = () => {
    model.forward(tokens, B, T);
    model.zeroGrad();
    model.backward(targets, grad);
    clipGlobalNorm(model.grads, 1);
    optimizer.update(model.params, model.grads);
  };
  for (let i = 0; i < 5; i++) step();
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) step();
    best = Math.max(best, (10 * B * T) / ((performance.now() - t0) / 1000));
  }
  return best;
}

/** Runs a child that prints one JSON line; returns its `key` (NaN when the timeout stopped it). */
function child(cmd: string, args: string[], env: Record<string, string>, timeout: number, key = "value"): number {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout, stdio: ["ignore", "pipe", "inherit"] });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return NaN;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, number>)[key]!;
}
