/**
 * DQN on MinAtar: `tsrl train dqn` with MinAtar's settings (examples/minatar/dqn.yaml; the built
 * CLI, tracked into a fresh store, as a user runs it) beside MinAtar's own `examples/dqn.py`
 * (PyTorch, CPU) for the same number of frames on the same game, in the same run. dqn.py runs
 * unchanged except NUM_FRAMES, which is set from --frames before its `dqn()` starts. The first
 * 5,000 frames are random play on both sides (replay start), so the rate counts mostly updates.
 *
 *   npm run build && node --import tsx bench/minatar-dqn.ts --minatar DIR [--frames 20000]
 *     [--games breakout] [--rounds 1] [--python /usr/bin/python3] [--torch-threads N] [--fma]
 *
 * DIR is a MinAtar checkout (holding `minatar/` and `examples/dqn.py`; or MINATAR_SRC); the
 * Python needs numpy and torch (Debian's python3-torch). PyTorch uses its default thread count
 * unless --torch-threads is given; tsrl trains on one thread. With --fma, tsrl also trains with
 * `--fma` (the kernels with fused multiply-adds) in each round.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    minatar: { type: "string", default: process.env.MINATAR_SRC ?? "" },
    frames: { type: "string", default: "20000" },
    games: { type: "string", default: "breakout" },
    rounds: { type: "string", default: "1" },
    python: { type: "string", default: "/usr/bin/python3" },
    "torch-threads": { type: "string", default: "" },
    fma: { type: "boolean", default: false },
  },
});
const frames = Number(values.frames);
const rounds = Number(values.rounds);
const CLI = "dist/cli/main.js";
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (the bench times the built CLI)`);
if (!values.minatar || !existsSync(join(values.minatar, "examples", "dqn.py"))) {
  throw new Error("--minatar DIR must be a MinAtar checkout holding examples/dqn.py (or set MINATAR_SRC)");
}
const TITLE: Record<string, string> = { asterix: "Asterix", breakout: "Breakout", freeway: "Freeway", seaquest: "Seaquest", space_invaders: "SpaceInvaders" };

function tsrlRun(game: string, fma = false): number {
  const store = mkdtempSync(join(tmpdir(), "tsrl-bench-"));
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, "train", "dqn", "--env", `MinAtar/${TITLE[game]}-v0`, "--config", "examples/minatar/dqn.yaml", "--total-timesteps", String(frames), "--store", store, "--quiet", "--json", ...(fma ? ["--fma"] : [])], { encoding: "utf8" });
  const seconds = (performance.now() - start) / 1000;
  rmSync(store, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`tsrl train dqn failed: ${r.stderr}`);
  return seconds;
}

function minatarRun(game: string): number {
  const out = mkdtempSync(join(tmpdir(), "minatar-dqn-"));
  const script = [
    "import importlib.util, sys",
    `sys.path.insert(0, ${JSON.stringify(values.minatar)})`,
    values["torch-threads"] ? `import torch; torch.set_num_threads(${Number(values["torch-threads"])})` : "",
    `spec = importlib.util.spec_from_file_location("dqn", ${JSON.stringify(join(values.minatar, "examples", "dqn.py"))})`,
    "dqn = importlib.util.module_from_spec(spec); spec.loader.exec_module(dqn)",
    `dqn.NUM_FRAMES = ${frames}`,
    `sys.argv = ["dqn.py", "--game", ${JSON.stringify(game)}, "--output", ${JSON.stringify(join(out, "run"))}]`,
    "dqn.main()",
  ].join("\n");
  const start = performance.now();
  const r = spawnSync(values.python, ["-c", script], { encoding: "utf8" });
  const seconds = (performance.now() - start) / 1000;
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`MinAtar's dqn.py failed: ${r.stderr}`);
  return seconds;
}

console.log(`DQN, MinAtar's settings, ${frames} frames per run (the first 5,000 random), ${rounds} round(s), order alternating`);
console.log(`| game | tsrl s | tsrl frames/s | dqn.py s | dqn.py frames/s | ratio |${values.fma ? " tsrl --fma s | --fma ratio | --fma vs default |" : ""}`);
console.log(`|---|---|---|---|---|---|${values.fma ? "---|---|---|" : ""}`);
for (const game of values.games.split(",")) {
  if (!TITLE[game]) throw new Error(`unknown game ${game}: one of ${Object.keys(TITLE).join(", ")}`);
  const ours: number[] = [];
  const oursFma: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      ours.push(tsrlRun(game));
      if (values.fma) oursFma.push(tsrlRun(game, true));
      theirs.push(minatarRun(game));
    } else {
      theirs.push(minatarRun(game));
      if (values.fma) oursFma.push(tsrlRun(game, true));
      ours.push(tsrlRun(game));
    }
  }
  const best = (xs: number[]) => Math.min(...xs);
  const [a, b] = [best(ours), best(theirs)];
  const fmaColumns = values.fma ? ` ${best(oursFma).toFixed(1)} | ${(b / best(oursFma)).toFixed(2)}× | ${(a / best(oursFma)).toFixed(2)}× |` : "";
  console.log(`| ${game} | ${a.toFixed(1)} | ${(frames / a).toFixed(0)} | ${b.toFixed(1)} | ${(frames / b).toFixed(0)} | ${(b / a).toFixed(2)}× |${fmaColumns}`);
}
