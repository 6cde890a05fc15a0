/**
 * MinAtar env steps per second, tsrl against MinAtar's own Python `Environment` run beside it in
 * the same process tree: per game, `act` alone and `act` + `state()` (what an agent needs each
 * step), uniform random actions drawn beforehand, reset on terminal inside the timed loop, one env.
 * Each tsrl cell runs in a fresh Node process, as a training run plays one game (in one process
 * the game calls would see all five classes and slow down).
 *
 * Then the vectorized kernels (VectorEnv over `minatarKernel`, next-step autoreset, float32
 * observations written for every env each step) at 1, 64 and 1024 envs on one thread, against the
 * same MinAtar act + state() rate per env (MinAtar has no vector env: N envs in Python cost N steps).
 *
 * Each cell is measured in alternating rounds (tsrl, MinAtar, tsrl, ...) and the best round of
 * each side is kept, so that load from other processes hurts both sides alike.
 *
 *   npm run bench:minatar -- [--seconds 1] [--rounds 3] [--games breakout,asterix] [--minatar DIR] [--python /usr/bin/python3]
 *
 * The reference needs a MinAtar checkout (DIR holding the `minatar` package, or MINATAR_SRC) and a
 * Python with numpy; without them only tsrl's numbers are printed.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LegacyRandomState } from "../src/rng/random-state.js";
import { Environment, GAME_NAMES, type GameName } from "../src/envs/minatar/environment.js";
import { minatarKernel } from "../src/envs/minatar/kernel.js";
import { VectorEnv } from "../src/envs/vector.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    games: { type: "string", default: GAME_NAMES.join(",") },
    minatar: { type: "string", default: process.env.MINATAR_SRC ?? "" },
    python: { type: "string", default: "/usr/bin/python3" },
    // internal: measure one tsrl cell in this process and print its steps/s
    measure: { type: "string" },
    "with-state": { type: "boolean", default: false },
    vector: { type: "string" },
    sizes: { type: "string", default: "1,64,1024" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const games = values.games!.split(",") as GameName[];
for (const g of games) if (!GAME_NAMES.includes(g)) throw new Error(`unknown game ${g}; choose from ${GAME_NAMES.join(", ")}`);

/** Steps per second of one tsrl Environment; `withState` also reads the observation each step. */
function measureTsrl(game: GameName, withState: boolean): number {
  const env = new Environment(game);
  env.seed(0);
  env.reset();
  const actions = new Int32Array(4096);
  const draw = new LegacyRandomState(1);
  for (let k = 0; k < actions.length; k++) actions[k] = draw.randint(6);
  const obs = env.state();
  const run = (steps: number) => {
    for (let k = 0; k < steps; k++) {
      env.act(actions[k & 4095]!);
      if (withState) env.state(obs);
      if (env.terminal) env.reset();
    }
  };
  run(50_000); // warm-up for the optimizing compiler
  let steps = 0;
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    run(10_000);
    steps += 10_000;
    now = performance.now();
  }
  return steps / ((now - start) / 1000);
}

/** Env-steps per second of a VectorEnv of `numEnvs` MinAtar kernels. */
function measureVector(game: GameName, numEnvs: number): number {
  const vec = new VectorEnv(minatarKernel(game), { numEnvs });
  vec.reset({ seed: 0 });
  const draw = new LegacyRandomState(1);
  const actions = Array.from({ length: 16 }, () => Float64Array.from({ length: numEnvs }, () => draw.randint(6)));
  const batch = Math.max(1, Math.round(20_000 / numEnvs));
  for (let k = 0; k < batch * 4; k++) vec.step(actions[k % 16]!);
  let steps = 0;
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    for (let k = 0; k < batch; k++) vec.step(actions[steps++ % 16]!);
    now = performance.now();
  }
  return (steps * numEnvs) / ((now - start) / 1000);
}

if (values.measure) {
  console.log(values.vector ? measureVector(values.measure as GameName, Number(values.vector)) : measureTsrl(values.measure as GameName, values["with-state"]!));
  process.exit(0);
}

function measureTsrlFresh(game: GameName, withState: boolean, vector?: number): number {
  const args = [
    ...process.execArgv, fileURLToPath(import.meta.url), "--measure", game, "--seconds", String(seconds),
    ...(withState ? ["--with-state"] : []), ...(vector ? ["--vector", String(vector)] : []),
  ];
  const run = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`tsrl measurement failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}

const PYTHON_BENCH = `
import sys, time, json
import numpy as np
sys.path.insert(0, sys.argv[1])
from minatar import Environment
game, seconds, with_state = sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"
env = Environment(game)
env.seed(0)
env.reset()
actions = np.random.RandomState(1).randint(6, size=4096).tolist()
steps = 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    for k in range(1000):
        r, t = env.act(actions[(steps + k) & 4095])
        if with_state: env.state()
        if t: env.reset()
    steps += 1000
print(json.dumps(steps / (time.perf_counter() - start)))
`;

function measurePython(game: GameName, withState: boolean): number | null {
  if (!values.minatar || !existsSync(join(values.minatar, "minatar", "environment.py"))) return null;
  const run = spawnSync(values.python!, ["-c", PYTHON_BENCH, values.minatar, game, String(seconds), withState ? "1" : "0"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`MinAtar reference failed (${values.python}): ${run.stderr.trim().split("\n").pop()}`);
  return Number(run.stdout.trim().split("\n").pop());
}

const format = (sps: number | null) => (sps === null ? "-" : sps >= 1e6 ? `${(sps / 1e6).toFixed(2)} M` : `${(sps / 1e3).toFixed(1)} k`);
console.log(`MinAtar steps/s, one env (node ${process.version}, best of ${rounds} alternating rounds of ${seconds} s; reference: ${values.minatar ? `MinAtar at ${values.minatar} with ${values.python}` : "none, pass --minatar DIR"})`);
console.log(["game", "tsrl act", "MinAtar act", "ratio", "tsrl act+state", "MinAtar act+state", "ratio"].map((c) => c.padEnd(19)).join(""));
const referenceWithState = new Map<GameName, number | null>();
for (const game of games) {
  const cells: string[] = [game];
  for (const withState of [false, true]) {
    let ours = 0;
    let theirs: number | null = null;
    for (let round = 0; round < rounds; round++) {
      ours = Math.max(ours, measureTsrlFresh(game, withState));
      const reference = measurePython(game, withState);
      if (reference !== null) theirs = Math.max(theirs ?? 0, reference);
    }
    cells.push(format(ours), format(theirs), theirs ? `${(ours / theirs).toFixed(1)}×` : "-");
    if (withState) referenceWithState.set(game, theirs);
  }
  console.log(cells.map((c) => c.padEnd(19)).join(""));
}

const sizes = values.sizes!.split(",").map(Number);
console.log(`\nvectorized kernels (VectorEnv, one thread), env-steps/s; ratio against MinAtar act + state() per env`);
console.log(["game", ...sizes.flatMap((n) => [`${n} envs`, "ratio"])].map((c) => c.padEnd(19)).join(""));
for (const game of games) {
  const cells: string[] = [game];
  for (const n of sizes) {
    let ours = 0;
    for (let round = 0; round < rounds; round++) ours = Math.max(ours, measureTsrlFresh(game, true, n));
    const theirs = referenceWithState.get(game);
    cells.push(format(ours), theirs ? `${(ours / theirs).toFixed(0)}×` : "-");
  }
  console.log(cells.map((c) => c.padEnd(19)).join(""));
}
