/** `tsrl train <algo>`: CleanRL-default training with a progress bar, config file + flag overrides, a saved policy. */
import cliProgress from "cli-progress";
import { type Command, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { ALGORITHMS, type Trainer } from "../algos/index.js";
import { ConfigError, camelCaseKeys, type TrainCallbacks, type TrainResult } from "../algos/common.js";
import type { ArtifactRecord, RunRecord } from "../track/store.js";
import { startRun, type Tracker } from "../track/tracker.js";
import { createBackend, defaultBackend } from "../nn/backend.js";
import { assertWritableFile, readFileBounded, writeFileAtomic } from "../node/atomic-write.js";
import { registerTextTrainers } from "./train-text.js";
import { loadEnvArg } from "../node/env-module.js";
import { datasetPath } from "../node/datasets.js";
import { initCheckpointPath } from "../node/agent-init.js";
import { NotCheckpointableError } from "../envs/sync-vector.js";
import { totalmem } from "node:os";
import { addLearnerOptions, trainDistributed } from "./distributed.js";
import { THREADS_HELP } from "../node/kernel-threads.js";
import { FMA_HELP } from "../node/kernel-fma.js";
import { kernelFma } from "../nn/wasm-kernels.js";
import { WASM_MAX_BYTES, checkConfigSizes, sizeFields } from "../algos/memory.js";

/** A config file is a page of fields; anything near this is a mistake (a wrong path, /dev/zero), refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1 << 20;


const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Parses a flag value like the field's default: numbers, booleans, lists, JSON objects, 'none' for nullable fields. */
export function parseFlag(key: string, raw: string, example: unknown): unknown {
  const flag = `--${kebab(key)}`;
  if (raw === "none" || raw === "null") return null;
  if (typeof example === "boolean") {
    if (["true", "1", "yes"].includes(raw)) return true;
    if (["false", "0", "no"].includes(raw)) return false;
    throw new ConfigError(`${flag}: expected true or false, got "${raw}"`);
  }
  if (Array.isArray(example)) {
    const values = raw.split(",").map(Number);
    if (values.some((v) => !Number.isFinite(v))) throw new ConfigError(`${flag}: expected comma-separated numbers, got "${raw}"`);
    return values;
  }
  if (typeof example === "string") return raw;
  if (example !== null && typeof example === "object") {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${flag}: expected a JSON object, e.g. '{"sticky_action_prob":0}', got ${raw}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ConfigError(`${flag}: expected a JSON object, e.g. '{"sticky_action_prob":0}', got ${raw}`);
    return value;
  }
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) throw new ConfigError(`${flag}: expected a number, got "${raw}"`);
  return n;
}

export interface TrainFlags {
  env?: string;
  config?: string;
  save?: string;
  name?: string;
  store?: string;
  checkpointEvery?: string;
  track?: boolean;
  json?: boolean;
  quiet?: boolean;
  backend?: "js" | "wasm";
  /** --fma / --no-fma (applied with TSRL_FMA by the command line's preAction hook) */
  fma?: boolean;
  [field: string]: unknown;
}

export function registerTrain(program: Command): void {
  const train = program
    .command("train")
    .description("Train an agent with CleanRL's defaults (see `tsrl train <algo> --help`)")
    .argument("[algo]", `algorithm: ${Object.keys(ALGORITHMS).join(", ")}`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action((algo?: string) => {
      if (algo === undefined) train.help();
      throw new ConfigError(`unknown algorithm "${algo}"; available: ${Object.keys(ALGORITHMS).join(", ")}`);
    });
  for (const [name, entry] of Object.entries(ALGORITHMS)) {
    const sub = train
      .command(name)
      .description(entry.description)
      .allowExcessArguments(false) // `train` allows them (to name an unknown algorithm); its algorithms do not
      .option("-e, --env <id>", "environment id, e.g. CartPole-v1 (see `tsrl envs`); or `env:` in the config file")
      .option("-c, --config <file>", "YAML or JSON file of config fields (CleanRL names in snake_case, kebab-case or camelCase); flags override it")
      .option("--name <name>", "a unique name for the run (default: <algo>-<env>-s<seed>-<id>)")
      .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
      .option("--checkpoint-every <steps>", "env steps between checkpoints, 0 for none (default: a tenth of the run)")
      .option("--no-track", "do not record the run in the store")
      .option("--save <file>", "also write the trained policy to this file (it is always saved in the store)")
      .option("--json", "end stdout with one JSON line: {algo, env, seed, total_timesteps, wall_s, sps, final_mean_return, episodes}")
      .option("-q, --quiet", "no progress bar")
      .addOption(new Option("--backend <kind>", "nn kernels: wasm (SIMD) or js (reference)").choices(["wasm", "js"]))
      .option("--threads <n>", THREADS_HELP)
      .option("--fma", FMA_HELP)
      .option("--no-fma", "the default kernels even if $TSRL_FMA is set");
    // Flags for every config field; defaults shown are for discrete-action envs where they differ.
    const example = entry.defaults("CartPole-v1");
    for (const [key, value] of Object.entries(example)) {
      // each algorithm's schema carries its fields' help (flags are the kebab-case names: learningRate → --learning-rate)
      const help = (entry.schema.shape[key] as { description?: string } | undefined)?.description ?? key;
      sub.option(`--${kebab(key)} <value>`, `${help} (default: ${Array.isArray(value) ? value.join(",") : value !== null && typeof value === "object" ? JSON.stringify(value) : String(value)})`);
    }
    if (name === "ppo" || name === "dqn" || name === "sac") addLearnerOptions(sub, name);
    sub.action(async (flags: TrainFlags) => trainCommand(name, flags, example));
  }
  registerTextTrainers(train);
}

async function trainCommand(algo: string, flags: TrainFlags, example: Record<string, unknown>): Promise<void> {
  const entry = ALGORITHMS[algo]!;
  let fileConfig: Record<string, unknown> = {};
  if (flags.config) {
    let text: string;
    try {
      text = readFileBounded(flags.config, MAX_CONFIG_BYTES);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EFBIG") throw new ConfigError(`config file ${flags.config} is larger than ${MAX_CONFIG_BYTES / (1 << 20)} MiB; a config is a mapping of a few fields (is it the right file?)`);
      throw new ConfigError(`cannot read config file ${flags.config}: ${(err as Error).message}`);
    }
    const parsed = (() => {
      try {
        return parseYaml(text) as unknown;
      } catch (err) {
        throw new ConfigError(`config file ${flags.config} is not valid YAML/JSON: ${(err as Error).message}`);
      }
    })();
    if (parsed !== null && (typeof parsed !== "object" || Array.isArray(parsed))) throw new ConfigError(`config file ${flags.config} must hold a mapping of field: value`);
    fileConfig = camelCaseKeys((parsed ?? {}) as Record<string, unknown>, `config file ${flags.config}`);
    if (Object.hasOwn(fileConfig, "env")) {
      if (Object.hasOwn(fileConfig, "envId")) throw new ConfigError(`config file ${flags.config} names the env twice (env and env_id); keep one`);
      fileConfig.envId = fileConfig.env;
      delete fileConfig.env;
    }
  }
  const flagConfig: Record<string, unknown> = {};
  for (const key of Object.keys(example)) {
    if (typeof flags[key] === "string") flagConfig[key] = parseFlag(key, flags[key] as string, example[key]);
  }
  // a dataset named in the store (--store) is recorded by its path, so a resume finds it from anywhere
  for (const key of ["dataset", "demos"]) {
    const ref = flagConfig[key] ?? fileConfig[key];
    if (typeof ref === "string" && ref !== "") flagConfig[key] = datasetPath(ref, flags.store);
  }
  // --init <run>: the run's final checkpoint file, recorded by its path
  const initRef = flagConfig.init ?? fileConfig.init;
  if ("init" in example && typeof initRef === "string" && initRef !== "") flagConfig.init = initCheckpointPath(initRef, algo, flags.store);
  // "./my-env.js:MyEnv-v0" imports the module that registers the id (recorded with the run)
  const envArg = flags.env ?? (fileConfig.envId as string | undefined);
  const { id: envId, module: envModule } = typeof envArg === "string" ? await loadEnvArg(envArg) : { id: envArg, module: null };
  if (flags.fma === true && flags.backend === "js") throw new ConfigError("--fma: the js backend has no FMA kernels (they are WASM SIMD ones); drop --fma or --backend js");
  const backend = flags.backend ? createBackend(flags.backend) : undefined;
  // Sizes first, on the defaults with what was given: one that cannot fit is named, before the
  // config's rules between fields (e.g. a run shorter than one rollout) blame another field.
  let defaults: Record<string, unknown> = {};
  try {
    defaults = entry.defaults(envId as string);
  } catch {
    // an unknown env: resolve says so
  }
  checkSizes({ ...defaults, ...fileConfig, ...flagConfig }, (backend ?? defaultBackend()).kind);
  const config = entry.resolve({ ...fileConfig, ...flagConfig, envId: envId as string });
  // outputs are checked before the work, not after it
  if (typeof flags.save === "string") {
    try {
      assertWritableFile(flags.save, `--save ${flags.save}`);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  checkSizes(config, (backend ?? defaultBackend()).kind);
  checkSteps(config);
  const agent = entry.create(config, { backend });
  const initSummary = (agent as { initSummary?: string | null }).initSummary;
  if (initSummary && !flags.quiet) console.error(`--init: starts from the ${initSummary}`);
  // the kernels are recorded so that `tsrl resume` uses the same ones (FMA kernels give other bits)
  const backendKind = (backend ?? defaultBackend()).kind;
  const kernels = { backend: backendKind, fma: backendKind === "wasm" && kernelFma() };
  if (typeof flags.redis === "string" || (flags.actors !== undefined && flags.actors !== "0")) return trainDistributed(algo, agent, config, flags, { ...kernels, ...(envModule ? { envModule } : {}) });
  if (flags.track === false) {
    const result = runWithProgress(agent, config.totalTimesteps as number, flags, {});
    if (typeof flags.save === "string") writeFileAtomic(flags.save, agent.savePolicy());
    report(algo, result, flags, typeof flags.save === "string" ? flags.save : null, null);
    return;
  }
  const checkpointEvery = flags.checkpointEvery === undefined ? Math.max(1, Math.round((config.totalTimesteps as number) / 10)) : Number(flags.checkpointEvery);
  if (!(Number.isSafeInteger(checkpointEvery) && checkpointEvery >= 0)) throw new ConfigError(`--checkpoint-every: expected an integer ≥ 0, got "${String(flags.checkpointEvery)}"`);
  if (checkpointEvery > 0) {
    // an env that cannot save its state is found now, not at the first checkpoint
    try {
      agent.saveCheckpoint();
    } catch (err) {
      if (err instanceof NotCheckpointableError) throw new ConfigError(`${err.message.replace(/, or train without.*$/, "")}; or pass --checkpoint-every 0 to train without checkpoints (no resume)`);
      throw err;
    }
  }
  const tracker = startRun({ store: flags.store, name: flags.name, algo, env: config.envId, seed: config.seed, config, agent, checkpointEvery, versions: { ...kernels, ...(envModule ? { envModule } : {}) } });
  const { result, policy } = trackedTraining(tracker, (callbacks) => runWithProgress(agent, config.totalTimesteps as number, flags, callbacks));
  if (typeof flags.save === "string") writeFileAtomic(flags.save, tracker.store.readArtifact(policy));
  report(algo, result, flags, typeof flags.save === "string" ? flags.save : policy.path, tracker.run);
  tracker.store.close();
}

/** Sizes that cannot fit in this machine's memory (the wasm kernels': 4 GiB) are refused before anything is allocated. */
function checkSizes(config: Record<string, unknown>, backend: string): void {
  const total = totalmem();
  checkConfigSizes(sizeFields(config), total, backend === "wasm" ? Math.min(total, WASM_MAX_BYTES) : total);
}

/** A run that never trains is warned about (step counts that cannot be counted are refused by the config's schema). */
function checkSteps(config: Record<string, unknown>): void {
  const steps = config.totalTimesteps as number;
  if (typeof config.learningStarts === "number" && config.learningStarts >= steps) console.error(`warning: learningStarts (${config.learningStarts}) ≥ totalTimesteps (${steps}): the agent only collects data and never trains; lower --learning-starts`);
}

/**
 * Runs `learn` under a tracker whose agent has a policy: a finished run gets its summary and
 * policy in one commit (the tracker's finish), a failure the error, and nothing recorded is lost.
 */
export function trackedTraining(tracker: Tracker, learn: (callbacks: TrainCallbacks) => TrainResult): { result: TrainResult; policy: ArtifactRecord } {
  try {
    const result = learn(tracker.callbacks());
    const policy = tracker.finish({ ...result });
    if (!policy) throw new Error("trackedTraining: the tracker's agent has no policy to save");
    return { result, policy };
  } catch (err) {
    tracker.fail(err);
    throw err;
  }
}

export function runWithProgress(agent: Trainer, total: number, flags: { quiet?: boolean; json?: boolean }, callbacks: TrainCallbacks): TrainResult {
  const showBar = !flags.quiet && !flags.json && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { format: " {bar} {percentage}% | {value}/{total} steps | {sps} steps/s | episodes {episodes} | return (last 20) {ret} | ETA {eta_formatted}", hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  // The bar starts at the first report, with the steps the run will really take: algorithms
  // train whole iterations (as CleanRL), which can be fewer than asked; that is said once.
  let started = false;
  try {
    return agent.learn({
      ...callbacks,
      onProgress: (p) => {
        callbacks.onProgress?.(p);
        if (!started) {
          started = true;
          if (p.totalSteps !== total && !flags.quiet) console.error(`note: training runs in whole iterations (as CleanRL), so this run takes ${p.totalSteps.toLocaleString("en-US")} of the ${total.toLocaleString("en-US")} steps asked`);
          if (showBar) bar.start(p.totalSteps, 0, { sps: "-", episodes: 0, ret: "-" });
        }
        if (!showBar) return;
        bar.update(Math.min(p.step, p.totalSteps), { sps: Math.round(p.sps), episodes: p.episodes, ret: Number.isNaN(p.recentMeanReturn) ? "-" : p.recentMeanReturn.toFixed(1) });
      },
    });
  } finally {
    if (started && showBar) bar.stop();
  }
}

export function report(algo: string, result: TrainResult, flags: { json?: boolean; store?: string }, savedTo: string | null, run: RunRecord | null): void {
  if (flags.json) {
    // stdout's last line is the result alone (a fixed set of keys); where it went goes to stderr
    if (run) console.error(`run ${run.id} (${run.name})${savedTo ? `, policy ${savedTo}` : ""}`);
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `${algo} on ${result.env}, seed ${result.seed}: ${result.total_timesteps} steps in ${result.wall_s.toFixed(1)} s (${Math.round(result.sps)} steps/s), ` +
      `${result.episodes} episodes, mean return of the last 100: ${result.final_mean_return.toFixed(2)}`,
  );
  if (run) console.log(`run ${run.id} (${run.name}) recorded in the store${savedTo ? `; policy: ${savedTo}` : ""}`);
  else if (savedTo) console.log(`policy saved to ${savedTo}`);
  const next = nextCommands(run?.id ?? null, savedTo, flags.store);
  if (next.length) console.log(`next:\n${next.map(([command, what]) => `  ${command.padEnd(Math.max(...next.map(([c]) => c.length)) + 2)}${what}`).join("\n")}`);
}

/** What to type next, as the user types it (`npx tsrl …`, with the same --store). */
export function nextCommands(runId: string | null, policyFile: string | null, store: string | undefined): [command: string, what: string][] {
  const quote = (text: string) => (/^[\w./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`);
  const storeFlag = store === undefined ? "" : ` --store ${quote(store)}`;
  if (runId === null) return policyFile ? [[`npx tsrl enjoy ${quote(policyFile)}`, "watch the policy (--gif out.gif records it)"]] : [];
  return [
    [`npx tsrl enjoy ${runId}${storeFlag}`, "watch the policy (--gif out.gif records it)"],
    [`npx tsrl runs show ${runId}${storeFlag}`, "config, result, checkpoints and files"],
    [`npx tsrl plot ${runId}${storeFlag} --out curve.png`, "the learning curve"],
    [`npx tsrl dashboard${storeFlag}`, "every run's charts in the browser"],
  ];
}
