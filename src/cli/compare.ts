/**
 * `tsrl compare`: trains seeds of each agent group by group (in parallel up to the core count),
 * records every run in the store, scores each run by a separate evaluation of its final policy
 * (greedy actions, N episodes: what rliable and the AdaStop papers compare, not the training
 * episodes, whose exploration differs between algorithms), applies AdaStop after each interim
 * and stops as soon as every comparison is decided. Its state lives in <store>/comparisons/<name>.json, written after each
 * interim, so an interrupted comparison continues where it stopped (killed runs are resumed from
 * their checkpoints).
 */
import { type Command, Option } from "commander";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { ALGORITHMS } from "../algos/index.js";
import { ConfigError } from "../algos/common.js";
import { evaluatePolicy } from "../algos/evaluate.js";
import { Policy } from "../algos/policy.js";
import { makeEnv } from "../algos/training-env.js";
import { writeFileAtomic } from "../node/atomic-write.js";
import { failureReason, pool, runTsrl } from "../node/run-pool.js";
import { AdaStop, type AdaStopState, type LevelRule } from "../stats/adastop.js";
import { adastopChart } from "../plot/adastop-chart.js";
import { aggregateIqm } from "../stats/aggregates.js";
import { intervalEstimate } from "../stats/bootstrap.js";
import { meanStd } from "../stats/describe.js";
import { learningCurveChart, renderSvg } from "../track/plot.js";
import { runScore } from "../track/report.js";
import { type RunRecord, RunStore, StoreError, displayStatus, storeDirectory } from "../track/store.js";
import { integer } from "./options.js";

interface CompareFlags {
  algos: string;
  env: string;
  n: number;
  K: number;
  alpha: number;
  nPermutations: number;
  set: string[];
  name?: string;
  jobs: number;
  seed: number;
  level: LevelRule;
  compareToFirst?: boolean;
  evalEpisodes: number;
  store?: string;
  json?: boolean;
}

/** What a comparison is; a resumed comparison must match it exactly. */
interface CompareSpec {
  env: string;
  agents: string[];
  n: number;
  K: number;
  alpha: number;
  nPermutations: number;
  seed: number;
  level: LevelRule;
  /** compare every agent with the first of --algos only */
  compareToFirst: boolean;
  /** config overrides per agent (kebab-case flag name → value) */
  overrides: Record<string, Record<string, string>>;
  /** a run's score: the mean return of this many greedy evaluation episodes after training (0: of its last 100 training episodes, as comparisons made before evaluation was added) */
  evalEpisodes: number;
}

interface CompareState {
  version: 1;
  name: string;
  /** in every run name, so runs of an earlier comparison with the same name are never reused */
  id: string;
  spec: CompareSpec;
  adastop: AdaStopState;
}

const kebab = (key: string) => key.replace(/_/g, "-").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--set key=value` applies to every agent, `--set ppo.key=value` to one. */
export function parseOverrides(sets: readonly string[], agents: readonly string[], env: string): Record<string, Record<string, string>> {
  const overrides: Record<string, Record<string, string>> = Object.fromEntries(agents.map((a) => [a, {}]));
  for (const item of sets) {
    const m = /^(?:([A-Za-z0-9_-]+)\.)?([A-Za-z][A-Za-z0-9_-]*)=(.*)$/.exec(item);
    if (!m) throw new ConfigError(`--set "${item}": expected key=value or agent.key=value`);
    const [, agent, key, value] = m as unknown as [string, string | undefined, string, string];
    if (["seed", "env", "env-id"].includes(kebab(key))) throw new ConfigError(`--set "${item}": tsrl compare sets ${key} itself (seeds 1, 2, … per agent; --env)`);
    if (agent !== undefined && !agents.includes(agent)) throw new ConfigError(`--set "${item}": no agent "${agent}" (agents: ${agents.join(", ")})`);
    for (const a of agent === undefined ? agents : [agent]) {
      const fields = Object.keys(ALGORITHMS[a]!.defaults(env)).map(kebab);
      if (!fields.includes(kebab(key))) {
        if (agent === undefined && agents.length > 1) continue; // a field of another agent's algorithm
        throw new ConfigError(`--set "${item}": ${a} has no config field "${key}"`);
      }
      overrides[a]![kebab(key)] = value;
    }
    if (agent === undefined && !agents.some((a) => kebab(key) in overrides[a]!)) throw new ConfigError(`--set "${item}": no agent has a config field "${key}"`);
  }
  // Sorted, so that the same settings in another order are the same comparison.
  return Object.fromEntries(agents.map((a) => [a, Object.fromEntries(Object.entries(overrides[a]!).sort(([x], [y]) => (x < y ? -1 : 1)))]));
}

export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description("Compare algorithms with AdaStop: train seeds group by group, test after each group, stop as soon as every comparison is decided")
    .requiredOption("--algos <list>", "comma-separated algorithms to compare, e.g. ppo,dqn")
    .requiredOption("-e, --env <id>", "environment id")
    .option("--n <runs>", "runs (seeds) per agent per interim", integer("--n", 1), 5)
    .option("--K <interims>", "maximum number of interims", integer("--K", 1), 5)
    .option("--alpha <level>", "level of the tests: the family-wise error with --level strict (the reference rule rejects about 2·alpha under the null for 2 agents)", parseFloat, 0.05)
    .option("--n-permutations <B>", "permutations per test (all of them when fewer)", integer("--n-permutations", 1), 10_000)
    .option("--set <key=value>", "config override for every agent, or agent.key=value for one (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--name <name>", "comparison name (default: <env>-<algos>); its state is <store>/comparisons/<name>.json")
    .option("-j, --jobs <n>", "runs trained in parallel", integer("--jobs", 1), availableParallelism())
    .option("--seed <n>", "seed of the permutations; run seeds are 1, 2, … per agent", integer("--seed", 0), 0)
    .addOption(new Option("--level <rule>", "reference: AdaStop's reference quantile (~2·alpha under the null for 2 agents); strict: family-wise error ≤ alpha").choices(["reference", "strict"]).default("reference"))
    .option("--compare-to-first", "compare every agent with the first of --algos only (a baseline), not every pair")
    .option("--eval-episodes <n>", "a run's score: the mean return of this many episodes of its final policy with greedy actions, on the env it trained on (--set env-kwargs=… and max-episode-steps=… included)", integer("--eval-episodes", 1), 10)
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--json", "print the result as one JSON line")
    .action((flags: CompareFlags) => compareCommand(flags));
}

async function compareCommand(flags: CompareFlags): Promise<void> {
  const agents = flags.algos.split(",").map((a) => a.trim()).filter(Boolean);
  for (const a of agents) if (!ALGORITHMS[a]) throw new ConfigError(`--algos: unknown algorithm "${a}"; available: ${Object.keys(ALGORITHMS).join(", ")}`);
  if (new Set(agents).size !== agents.length || agents.length < 2) throw new ConfigError(`--algos: give at least two different algorithms, got "${flags.algos}"`);
  if (!(flags.alpha > 0 && flags.alpha < 1)) throw new ConfigError(`--alpha must be in (0, 1), got ${flags.alpha}`);
  const spec: CompareSpec = { env: flags.env, agents, n: flags.n, K: flags.K, alpha: flags.alpha, nPermutations: flags.nPermutations, seed: flags.seed, level: flags.level, compareToFirst: flags.compareToFirst ?? false, overrides: parseOverrides(flags.set, agents, flags.env), evalEpisodes: flags.evalEpisodes };
  const name = flags.name ?? `${flags.env}-${agents.join("-vs-")}`;
  const storeDir = storeDirectory(flags.store);
  const store = new RunStore(storeDir);
  const stateFile = join(storeDir, "comparisons", `${name}.json`);
  const state = loadOrCreate(stateFile, name, spec);
  const log = (text: string) => (flags.json ? process.stderr : process.stdout).write(text + "\n");
  const adastop = AdaStop.fromJSON(state.adastop);
  if (adastop.interim > 0) log(`resuming comparison "${name}" after interim ${adastop.interim} of ${spec.K}`);
  const scoring = scoreDefinition(state.spec);
  log(`score: ${scoring}`);

  while (!adastop.isFinished) {
    const k = adastop.interim;
    const toRun = adastop.agentsToRun;
    log(`interim ${k + 1}/${spec.K}: ${toRun.join(", ")} × ${spec.n} seeds`);
    const jobs = toRun.flatMap((agent) => Array.from({ length: spec.n }, (_, i) => ({ agent, seed: k * spec.n + i + 1 })));
    const progress = new RunProgress(store, spec.env, jobs.map(({ agent, seed }) => ({ label: `${agent} seed ${seed}`, algo: agent, name: runName(state, agent, seed) })), !flags.json && process.stderr.isTTY);
    let scores: number[];
    try {
      scores = await pool(jobs, flags.jobs, async ({ agent, seed }) => {
        const run = await ensureRun(store, storeDir, runName(state, agent, seed), spec, agent, seed);
        const score = runEvaluation(store, run, state.spec);
        progress.log(`  ${agent} seed ${seed}: score ${score.toFixed(2)}${state.spec.evalEpisodes ? ` (training, last 100 episodes: ${runScore(store, run).toFixed(2)})` : ""} (run ${run.id})`, log);
        return score;
      });
    } finally {
      progress.stop();
    }
    const byAgent: Record<string, number[]> = Object.fromEntries(toRun.map((a) => [a, jobs.flatMap((j, i) => (j.agent === a ? [scores[i]!] : []))]));
    adastop.partialCompare(byAgent);
    state.adastop = adastop.toJSON();
    writeFileAtomic(stateFile, JSON.stringify(state, null, 2));
    for (const [pair, decision] of Object.entries(adastop.decisions)) log(`  ${pair}: ${decision}`);
  }
  const summary = summarize(store, state, adastop);
  const outDir = join(storeDir, "comparisons", name);
  const runs = agents.flatMap((a) => summary.runs[a]!);
  const curvesTitle = `${spec.env}: ${agents.join(" vs ")}, training returns (${state.spec.evalEpisodes ? "compared on a greedy evaluation after training" : "compared on the last 100 training episodes"})`;
  writeFileAtomic(join(outDir, "curves.svg"), renderSvg(learningCurveChart(store, runs, { groupBy: "algo", width: 900, title: curvesTitle })));
  writeFileAtomic(join(outDir, "adastop.svg"), renderSvg(adastopChart({ agents, scores: adastop.scores, decisions: adastop.decisions, interim: adastop.interim, nGroups: spec.K, title: `${spec.env}: AdaStop on ${state.spec.evalEpisodes ? `${state.spec.evalEpisodes}-episode greedy evaluations` : "last-100-episode training returns"}` }), { width: 900, height: 640 }));
  store.close();
  if (flags.json) {
    console.log(JSON.stringify({ name, env: spec.env, score: scoring, decisions: adastop.decisions, finished: adastop.isFinished, interim: adastop.interim, agents: summary.table, plots: [join(outDir, "curves.svg"), join(outDir, "adastop.svg")] }));
    return;
  }
  console.log(`\n${spec.env}: score = ${scoring}`);
  const header = ["agent", "runs", "mean ± std", "IQM [95% CI]"];
  const rows = summary.table.map((r) => [r.agent, String(r.runs), `${r.mean.toFixed(2)} ± ${r.std.toFixed(2)}`, `${r.iqm.toFixed(2)} [${r.iqmLow.toFixed(2)}, ${r.iqmHigh.toFixed(2)}]`]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
  console.log("");
  for (const [pair, decision] of Object.entries(adastop.decisions)) console.log(`${pair}: ${decision}`);
  console.log(`\nplots: ${join(outDir, "curves.svg")}, ${join(outDir, "adastop.svg")}`);
}

function loadOrCreate(file: string, name: string, spec: CompareSpec): CompareState {
  if (!existsSync(file)) {
    const adastop = new AdaStop({ agents: spec.agents, nGroups: spec.K, sizeGroup: spec.n, alpha: spec.alpha, nPermutations: spec.nPermutations, seed: spec.seed, level: spec.level, compareToFirst: spec.compareToFirst });
    const state: CompareState = { version: 1, name, id: randomBytes(3).toString("hex"), spec, adastop: adastop.toJSON() };
    writeFileAtomic(file, JSON.stringify(state, null, 2));
    return state;
  }
  let state: CompareState;
  try {
    state = JSON.parse(readFileSync(file, "utf8")) as CompareState;
  } catch (err) {
    throw new StoreError(`comparison state ${file} is unreadable (${(err as Error).message}); delete it to start over`);
  }
  // compared field by field in the spec's order; states from before --compare-to-first compared
  // every pair, and states from before evaluation scored the training episodes (kept, so they resume alike)
  state.spec.evalEpisodes ??= 0;
  if (state.spec.evalEpisodes === 0) spec.evalEpisodes = 0;
  const saved = { ...state.spec, compareToFirst: state.spec.compareToFirst ?? false };
  if (Object.keys(spec).some((k) => JSON.stringify(saved[k as keyof CompareSpec]) !== JSON.stringify(spec[k as keyof CompareSpec]))) {
    throw new StoreError(`comparison "${name}" exists with other settings (${JSON.stringify(state.spec)}); pick another --name or delete ${file}`);
  }
  return state;
}

export function runName(state: Pick<CompareState, "name" | "id">, agent: string, seed: number): string {
  return `${state.name}-${state.id}-${agent}-s${seed}`;
}

/** The finished run `runName`: reused, resumed after a kill, or trained. */
async function ensureRun(store: RunStore, storeDir: string, runName: string, spec: CompareSpec, agent: string, seed: number): Promise<RunRecord> {
  const existing = store.listRuns({ algo: agent, env: spec.env }).find((r) => r.name === runName);
  if (existing?.status === "finished") return existing;
  if (existing && displayStatus(existing.status, existing.versions) === "running") {
    throw new StoreError(`run ${existing.id} (${runName}) is still being trained by process ${String((existing.versions as { pid?: number }).pid)}; is another tsrl compare running on this store?`);
  }
  let result;
  if (existing && store.artifacts(existing.id, "checkpoint").length > 0) {
    result = await runTsrl(["resume", existing.id, "--store", storeDir, "--quiet"]);
  } else {
    if (existing) store.deleteRun(existing.id); // died before its first checkpoint: start it again
    const overrides = Object.entries(spec.overrides[agent]!).flatMap(([k, v]) => [`--${k}`, v]);
    result = await runTsrl(["train", agent, "--env", spec.env, "--seed", String(seed), "--name", runName, "--store", storeDir, "--quiet", "--json", ...overrides]);
  }
  if (result.code !== 0) throw new StoreError(`run ${runName} failed: ${failureReason(result)}`);
  return store.getRun(runName);
}

/** What a run's score is, as the output and the plots say it. */
function scoreDefinition(spec: CompareSpec): string {
  return spec.evalEpisodes
    ? `mean return of ${spec.evalEpisodes} episodes of each run's final policy with greedy actions (a separate evaluation after training; env seeds ${EVAL_SEED_OFFSET} + run seed)`
    : "mean return of each run's last 100 training episodes";
}

/** Evaluation envs are seeded apart from training (run seeds are 1, 2, …): 10000 + the run's seed. */
const EVAL_SEED_OFFSET = 10_000;
const EVAL_KEY = "eval/mean_return";

/**
 * A run's score. With evaluation: its final policy's greedy episodes, recorded in the run as the
 * metric eval/mean_return (and eval/std_return, eval/episodes) so a restarted comparison and
 * the dashboard read the same number.
 */
function runEvaluation(store: RunStore, run: RunRecord, spec: CompareSpec): number {
  if (!spec.evalEpisodes) {
    const score = runScore(store, run);
    if (Number.isNaN(score)) throw new StoreError(`run ${run.id} (${run.name}) finished no episode, so it has no score; train longer (--set totalTimesteps=…) under another --name`);
    return score;
  }
  const recorded = store.metrics(run.id, EVAL_KEY).at(-1);
  if (recorded && recorded.value !== null) return recorded.value;
  const policy = store.artifacts(run.id, "policy").at(-1);
  if (!policy) throw new StoreError(`run ${run.id} (${run.name}) has no saved policy to evaluate`);
  const saved = new Policy(store.readArtifact(policy), { source: policy.path });
  // on the env the run trained on: its envKwargs and maxEpisodeSteps (--set env-kwargs=… applies to evaluation too)
  const env = makeEnv(saved.envToPlay(), "compare");
  let result;
  try {
    result = evaluatePolicy(saved, env, { episodes: spec.evalEpisodes, seed: EVAL_SEED_OFFSET + run.seed });
  } finally {
    env.close();
  }
  const step = policy.step;
  const wall = store.lastWall(run.id);
  store.appendRows(run.id, [], [
    { step, wall, key: "eval/std_return", value: result.std },
    { step, wall, key: "eval/episodes", value: result.returns.length },
    { step, wall, key: EVAL_KEY, value: result.mean },
  ]);
  return result.mean;
}

/**
 * Each run's steps while its seed trains (read from the store once a second): bars in a terminal;
 * elsewhere the score lines alone, so logs stay short.
 */
class RunProgress {
  private readonly bars: cliProgress.MultiBar | null;
  private readonly shown = new Map<string, cliProgress.SingleBar>();
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly store: RunStore, env: string, private readonly jobs: { label: string; algo: string; name: string }[], tty: boolean) {
    this.bars = tty ? new cliProgress.MultiBar({ format: " {label} {bar} {value}/{total} steps | return (last 100) {ret}", hideCursor: true, stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
    if (this.bars) this.timer = setInterval(() => this.update(env), 1000);
  }

  private update(env: string): void {
    const runs = new Map(this.store.listRuns({ env }).map((r) => [r.name, r]));
    for (const job of this.jobs) {
      const run = runs.get(job.name);
      if (!run || run.algo !== job.algo) continue;
      const total = Number(run.config.totalTimesteps) || 1;
      const bar = this.shown.get(job.name) ?? this.bars!.create(total, 0, { label: job.label.padEnd(12), ret: "-" });
      this.shown.set(job.name, bar);
      const score = this.store.recentMeanReturn(run.id);
      bar.update(Math.min(run.last_step, total), { ret: Number.isNaN(score) ? "-" : score.toFixed(1) });
    }
  }

  /** A line above the bars. */
  log(text: string, fallback: (text: string) => void): void {
    if (this.bars) this.bars.log(`${text}\n`);
    else fallback(text);
  }

  stop(): void {
    clearInterval(this.timer);
    this.bars?.stop();
  }
}

/** Per agent: the runs AdaStop saw (seeds 1…count) and their scores' mean ± std and IQM with its interval. */
function summarize(store: RunStore, state: CompareState, adastop: AdaStop) {
  const { spec } = state;
  const runs: Record<string, RunRecord[]> = {};
  const table = spec.agents.map((agent) => {
    runs[agent] = adastop.scores[agent]!.map((_, i) => store.getRun(runName(state, agent, i + 1)));
    const scores = runs[agent]!.map((r) => runEvaluation(store, r, spec));
    const { mean, std } = meanStd(scores);
    const iqm = intervalEstimate(scores.map((s) => [s]), aggregateIqm, { seed: spec.seed });
    return { agent, runs: scores.length, mean, std, iqm: iqm.estimate, iqmLow: iqm.lower, iqmHigh: iqm.upper };
  });
  return { runs, table };
}
