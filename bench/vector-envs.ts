/**
 * Vector envs, two tables (`--only class` or `--only kernel` runs one):
 * - class: env-steps/s of SyncVectorEnv and AsyncVectorEnv (2 worker threads) over a plain-class
 *   CartPole and over Catch (examples/catch), at 1, 8 and 64 envs, beside the kernel VectorEnv,
 *   and Gymnasium's own SyncVectorEnv/AsyncVectorEnv over CartPole-v1;
 * - kernel: CartPole-v1's kernel at 4096 envs (`--sizes`) on its plain JS loop, its WASM SIMD loop
 *   and the WASM loop on two threads (makeThreadedVec), beside Gymnasium's numpy
 *   CartPoleVectorEnv (`make_vec(..., vectorization_mode="vector_entry_point")`), all with the
 *   same 16 batches of random actions cycled and autoreset inside the timed loop; timed per 16-step
 *   window, `--rounds` rounds in turn, each cell's best round's 10th-percentile-fastest window
 *   reported (other jobs on a shared machine stall some windows and rounds).
 * Gymnasium runs in the same run when a source checkout is given: GYMNASIUM_PATH=/path/to/Gymnasium
 * (needs numpy; cloudpickle for the async env), Python from $PYTHON or python3.
 *   npm run bench:vector [-- --seconds 2 --only kernel --sizes 1024,4096]
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { kernelOf, makeVec } from "../src/index.js";
import { makeAsyncVec, makeThreadedVec } from "../src/node/index.js";
import { VectorEnv } from "../src/envs/vector.js";
import "./envs/cartpole-class.js";
import "../examples/catch/catch.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "1.5" },
    only: { type: "string" },
    sizes: { type: "string", default: "4096" },
    rounds: { type: "string", default: "3" },
  },
});
const seconds = Number(values.seconds);
if (values.only !== undefined && values.only !== "class" && values.only !== "kernel") throw new Error(`--only takes class or kernel, got ${values.only}`);
const SIZES = [1, 8, 64];

interface Steppable {
  numEnvs: number;
  actionSize: number;
  reset(args: { seed: number }): unknown;
  step(actions: ArrayLike<number>): unknown;
  close(): void;
}

function measure(vec: Steppable, numActions: number): number {
  vec.reset({ seed: 0 });
  const actions = Int32Array.from({ length: vec.numEnvs * 64 }, (_, i) => (i * 2654435761) % numActions);
  const n = vec.numEnvs;
  for (let t = 0; t < 50; t++) vec.step(actions.subarray(0, n)); // warm-up
  let steps = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (let t = 0; t < 64; t++) vec.step(actions.subarray((t % 64) * 0, n));
    steps += 64 * n;
  }
  return steps / ((performance.now() - start) / 1000);
}

const gymnasium = process.env.GYMNASIUM_PATH;
function pythonGymnasium(mode: "sync" | "async", n: number): number | null {
  if (!gymnasium) return null;
  const script = `
import sys, time
sys.path.insert(0, ${JSON.stringify(gymnasium)})
import gymnasium as gym
env = gym.make_vec("CartPole-v1", num_envs=${n}, vectorization_mode="${mode}")
env.reset(seed=0); a = env.action_space.sample()
for _ in range(20): env.step(a)
steps, t = 0, time.perf_counter()
while time.perf_counter() - t < ${seconds}:
    for _ in range(20): env.step(a)
    steps += 20 * ${n}
print(steps / (time.perf_counter() - t)); env.close()`;
  const r = spawnSync(process.env.PYTHON ?? "python3", ["-c", script], { encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`Gymnasium ${mode} (${n}) failed: ${r.stderr.trim().split("\n").at(-1)}`);
    return null;
  }
  return Number(r.stdout.trim());
}

const fmt = (x: number | null) => (x === null ? "-" : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);
if (values.only !== "kernel") await classTable();
if (values.only !== "class") await kernelTable();

async function classTable(): Promise<void> {
  const rows: string[][] = [];
  for (const n of SIZES) {
    const kernel = measure(makeVec("CartPole-v1", { numEnvs: n, vectorizationMode: "kernel" }), 2);
    const syncClass = measure(makeVec("CartPoleClass-v1", { numEnvs: n }), 2);
    const asyncClass = await makeAsyncVec("CartPoleClass-v1", { numEnvs: n, workers: Math.min(2, n), module: pathToFileURL("bench/envs/cartpole-class.ts").href });
    const asyncClassSps = measure(asyncClass, 2);
    asyncClass.close();
    const syncCatch = measure(makeVec("Catch-v0", { numEnvs: n }), 3);
    const asyncCatch = await makeAsyncVec("Catch-v0", { numEnvs: n, workers: Math.min(2, n), module: pathToFileURL("examples/catch/catch.js").href });
    const asyncCatchSps = measure(asyncCatch, 3);
    asyncCatch.close();
    const gymSync = pythonGymnasium("sync", n);
    const gymAsync = n > 1 ? pythonGymnasium("async", n) : null;
    const ratio = gymSync ? `${(syncClass / gymSync).toFixed(1)}×` : "-";
    rows.push([String(n), fmt(kernel), fmt(syncClass), fmt(asyncClassSps), fmt(syncCatch), fmt(asyncCatchSps), fmt(gymSync), fmt(gymAsync), ratio]);
  }
  const header = ["envs", "kernel CartPole", "Sync class-CartPole", "Async class-CartPole", "Sync Catch", "Async Catch", "Gymnasium Sync", "Gymnasium Async", "Sync class / Gymnasium Sync"];
  console.log(`env-steps/s, ${seconds} s per cell, random actions, autoreset inside the timed loop`);
  console.log(header.join(" | "));
  for (const r of rows) console.log(r.join(" | "));
}

/** Env-steps/s of a run: at its 10th-percentile-fastest 16-step window, and over the whole run. */
interface Speed {
  window: number;
  overall: number;
}

/**
 * Steps `vec` for `seconds` over 16 batches of uniform random actions (drawn beforehand), cycled,
 * timing each 16-step window: other jobs on a shared machine stall some windows, which the
 * 10th-percentile-fastest window leaves out and the overall rate does not (Gymnasium is timed
 * the same way).
 */
function measureBatches(vec: Steppable): Speed {
  vec.reset({ seed: 0 });
  const n = vec.numEnvs;
  let x = 1;
  const batches = Array.from({ length: 16 }, () => Int32Array.from({ length: n }, () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 31)));
  for (let t = 0; t < 50; t++) vec.step(batches[t % 16]!);
  const windows: number[] = [];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    for (let t = 0; t < 16; t++) vec.step(batches[t]!);
    windows.push(performance.now() - t0);
  }
  const total = windows.reduce((a, b) => a + b, 0);
  return { window: (16 * n) / (quantile(windows, 0.1) / 1000), overall: (16 * n * windows.length) / (total / 1000) };
}

function quantile(xs: number[], q: number): number {
  return xs.sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
}

function gymnasiumNumpy(n: number): Speed | null {
  if (!gymnasium) return null;
  const script = `
import sys, time
sys.path.insert(0, ${JSON.stringify(gymnasium)})
import gymnasium as gym
env = gym.make_vec("CartPole-v1", num_envs=${n}, vectorization_mode="vector_entry_point")
assert type(env).__name__ == "CartPoleVectorEnv", type(env)
env.reset(seed=0)
env.action_space.seed(0)
batches = [env.action_space.sample() for _ in range(16)]
for t in range(50): env.step(batches[t % 16])
windows, start = [], time.perf_counter()
while time.perf_counter() - start < ${seconds}:
    t0 = time.perf_counter()
    for a in batches: env.step(a)
    windows.append(time.perf_counter() - t0)
total = sum(windows)
windows.sort()
print(16 * ${n} / windows[int(0.1 * (len(windows) - 1))], 16 * ${n} * len(windows) / total); env.close()`;
  const r = spawnSync(process.env.PYTHON ?? "python3", ["-c", script], { encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`Gymnasium CartPoleVectorEnv (${n}) failed: ${r.stderr.trim().split("\n").at(-1)}`);
    return null;
  }
  const [window, overall] = r.stdout.trim().split(" ").map(Number);
  return { window: window!, overall: overall! };
}

async function kernelTable(): Promise<void> {
  const ratio = (x: number, ref: number | null) => (ref ? `${(x / ref).toFixed(2)}×` : "-");
  const rounds = Number(values.rounds);
  const lines: Record<keyof Speed, string[]> = { window: [], overall: [] };
  // CPU time per wall time while the two threads step: how much of two cores the machine gave them
  let coresUsed = 0;
  for (const n of values.sizes!.split(",").map(Number)) {
    const plainVec = new VectorEnv(kernelOf("CartPole-v1")!, { id: "CartPole-v1", numEnvs: n, maxEpisodeSteps: 500, wasm: false });
    const wasmVec = makeVec("CartPole-v1", { numEnvs: n, vectorizationMode: "kernel" });
    if (!wasmVec.buffers.wasm) console.error("the WASM loop is not in use here (see wasmEnvStepsUsable)");
    const threaded = await makeThreadedVec("CartPole-v1", { numEnvs: n, threads: 2 });
    const best = { plain: { window: 0, overall: 0 }, wasm: { window: 0, overall: 0 }, wasm2: { window: 0, overall: 0 }, numpy: null as Speed | null };
    const keep = (b: Speed, x: Speed) => {
      b.window = Math.max(b.window, x.window);
      b.overall = Math.max(b.overall, x.overall);
    };
    for (let r = 0; r < rounds; r++) {
      keep(best.plain, measureBatches(plainVec));
      keep(best.wasm, measureBatches(wasmVec));
      const cpu0 = process.cpuUsage(), wall0 = performance.now();
      keep(best.wasm2, measureBatches(threaded));
      const cpu = process.cpuUsage(cpu0);
      coresUsed = Math.max(coresUsed, (cpu.user + cpu.system) / 1000 / (performance.now() - wall0));
      const np = gymnasiumNumpy(n);
      if (np) keep((best.numpy ??= { window: 0, overall: 0 }), np);
    }
    threaded.close();
    for (const k of ["window", "overall"] as const) {
      const numpy = best.numpy?.[k] ?? null;
      lines[k].push([String(n), fmt(best.plain[k]), fmt(best.wasm[k]), fmt(best.wasm2[k]), fmt(numpy), ratio(best.plain[k], numpy), ratio(best.wasm[k], numpy), ratio(best.wasm2[k], numpy)].join(" | "));
    }
  }
  const header = ["envs", "tsrl JS loop", "tsrl WASM", "tsrl WASM 2 threads", "Gymnasium numpy", "JS / numpy", "WASM / numpy", "WASM 2T / numpy"].join(" | ");
  console.log(`\nCartPole-v1 kernel vs Gymnasium's numpy CartPoleVectorEnv, env-steps/s (random actions, autoreset inside the timed loop; best of ${rounds} rounds of ${seconds} s per cell)`);
  console.log(`at the 10th-percentile-fastest 16-step window:\n${header}\n${lines.window.join("\n")}`);
  console.log(`over whole rounds:\n${header}\n${lines.overall.join("\n")}`);
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores; the 2-thread runs got at most ${coresUsed.toFixed(2)} cores`);
}
