/**
 * `tsrl train sft` and `tsrl train grpo`: small transformers trained from scratch on text tasks,
 * tracked in the run store like every run, with a progress bar and a `--json` result line.
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { type DecodedTextCheckpoint, decodeTextCheckpoint } from "../llm/checkpoint.js";
import { GrpoTrainer, type GrpoConfig, type GrpoResult, type GrpoState } from "../llm/grpo.js";
import { decodeLanguageModel, encodeLanguageModel, type LanguageModel } from "../llm/model-file.js";
import { SFT_DEFAULTS, SftTrainer, type SftConfig, type SftState, type TextTrainCallbacks } from "../llm/sft.js";
import { isTextAlgo } from "../llm/text-algos.js";
import { GRPO_SPEC, SFT_SPEC, TextConfigError, resolveTextConfig, type TextTrainerSpec } from "../llm/trainers.js";
import { writeFileAtomic } from "../node/atomic-write.js";
import { type RunRecord, RunStore, StoreError, storeDirectory } from "../track/store.js";
import { type TrackedAgent, Tracker, startRun } from "../track/tracker.js";
import { collectVersions } from "../track/versions.js";
import { THREADS_HELP } from "../node/kernel-threads.js";
import { FMA_HELP } from "../node/kernel-fma.js";
import { kernelFma } from "../nn/wasm-kernels.js";

interface TextFlags {
  init?: string;
  sftSteps?: string;
  sftStopAtAccuracy?: string;
  sftExamples?: string;
  model?: string;
  name?: string;
  store?: string;
  track?: boolean;
  save?: string;
  checkpointEvery?: string;
  json?: boolean;
  quiet?: boolean;
  [field: string]: unknown;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const SFT_JSON_KEYS = ["task", "seed", "model_params", "sft_steps", "accuracy_final", "wall_s", "train_tokens_per_s", "sample_tokens_per_s"] as const;
const GRPO_JSON_KEYS = ["task", "seed", "model_params", "sft_steps", "steps", "accuracy_start", "accuracy_final", "wall_s", "train_tokens_per_s", "sample_tokens_per_s"] as const;

/** Adds `sft` and `grpo` under `tsrl train`. */
export function registerTextTrainers(train: Command): void {
  const sft = train.command("sft").description(SFT_SPEC.description);
  addFieldOptions(sft, SFT_SPEC);
  addCommonOptions(sft, SFT_JSON_KEYS);
  sft.option("--init <run|file>", "continue from a saved language model (a run's id or name, or a model file)");
  sft.action((flags: TextFlags) => sftCommand(flags));

  const grpo = train.command("grpo").description(GRPO_SPEC.description);
  addFieldOptions(grpo, GRPO_SPEC);
  addCommonOptions(grpo, GRPO_JSON_KEYS);
  grpo
    .option("--init <run|file>", "start from a saved language model: a `tsrl train sft` run's id or name, or a model file")
    .option("--sft-steps <n>", "without --init: an SFT stage of up to n steps first, in the same run (SFT's defaults)")
    .option("--sft-stop-at-accuracy <x>", "with --sft-steps: stop SFT at the first check with validation accuracy >= x")
    .option("--sft-examples <n>", `with --sft-steps: labelled examples (default ${SFT_DEFAULTS.examples})`)
    .option("--model <preset>", `with --sft-steps: model preset (default ${SFT_DEFAULTS.model})`);
  grpo.action((flags: TextFlags) => grpoCommand(flags));
}

function addFieldOptions<C extends object>(cmd: Command, spec: TextTrainerSpec<C>): void {
  for (const [key, value] of Object.entries(spec.defaults)) {
    const help = (spec.help as Record<string, string>)[key] ?? key;
    const shown = typeof value === "object" ? JSON.stringify(value) : String(value);
    cmd.option(`--${kebab(key)} <value>`, `${help} (default: ${shown})`);
  }
}

function addCommonOptions(cmd: Command, jsonKeys: readonly string[]): void {
  cmd
    .option("--name <name>", "a unique name for the run")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--no-track", "do not record the run in the store")
    .option("--save <file>", "also write the trained model to this file (it is always saved in the store)")
    .option("--checkpoint-every <steps>", "steps between checkpoints (tsrl resume continues from the newest), 0 for none (default: a tenth of the run)")
    .option("--json", `end stdout with one JSON line: {${jsonKeys.join(", ")}}`)
    .option("-q, --quiet", "no progress bar")
    .option("--threads <n>", THREADS_HELP)
    .option("--fma", FMA_HELP)
    .option("--no-fma", "the default kernels even if $TSRL_FMA is set");
}

/** Flag strings parsed like each field's default. */
function fieldsFromFlags<C extends object>(spec: TextTrainerSpec<C>, flags: TextFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, example] of Object.entries(spec.defaults)) {
    const raw = flags[key];
    if (typeof raw !== "string") continue;
    const flag = `--${kebab(key)}`;
    if (typeof example === "number") {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new TextConfigError(`${flag}: expected a number, got "${raw}"`);
      out[key] = n;
    } else if (typeof example === "boolean") {
      if (["true", "1", "yes"].includes(raw)) out[key] = true;
      else if (["false", "0", "no"].includes(raw)) out[key] = false;
      else throw new TextConfigError(`${flag}: expected true or false, got "${raw}"`);
    } else if (typeof example === "string") out[key] = raw;
    else {
      try {
        out[key] = JSON.parse(raw) as unknown;
      } catch {
        throw new TextConfigError(`${flag}: expected JSON such as '{"digits":3}', got ${raw}`);
      }
    }
  }
  return out;
}

/** A language model from a file, or from a run (id, id prefix or name) in the store. */
/**
 * A language model from a model file or a run of `tsrl train sft|grpo`. `use` names the command in
 * errors; with `newestCheckpoint`, a run that has not finished gives its newest checkpoint (a
 * model file too), said on stderr — fine to look at (sample, serve), not to start training from.
 */
export function loadModel(source: string, store: string | undefined, use: { label: string; newestCheckpoint?: boolean } = { label: `--init ${source}` }): LanguageModel {
  const { label } = use;
  if (existsSync(source)) return decodeLanguageModel(new Uint8Array(readFileSync(source)), source);
  let runStore: RunStore;
  try {
    runStore = new RunStore(storeDirectory(store), { create: false });
  } catch {
    throw new TextConfigError(`${label}: no such file, and no run store to look the run up in (train one with \`tsrl train sft\`)`);
  }
  try {
    const run = runStore.getRun(source);
    if (!isTextRun(run)) throw new TextConfigError(`${label}: run ${run.name} is a ${run.algo} run on ${run.env}, not a language model; pass a run of \`tsrl train sft\` or \`tsrl train grpo\`, or a model file`);
    const saved = runStore.artifacts(run.id, "policy").at(-1);
    if (saved) return decodeLanguageModel(runStore.readArtifact(saved), `run ${run.name}`);
    const checkpoint = use.newestCheckpoint ? runStore.artifacts(run.id, "checkpoint").at(-1) : undefined;
    if (checkpoint) {
      console.error(`run ${run.name} has not finished: using its newest checkpoint (step ${checkpoint.step})`);
      return decodeLanguageModel(runStore.readArtifact(checkpoint), `run ${run.name}, checkpoint at step ${checkpoint.step}`);
    }
    throw new TextConfigError(`${label}: run ${run.name} has no saved model yet (it writes one when it finishes${use.newestCheckpoint ? " and checkpoints as it trains" : ""}; an interrupted run continues with tsrl resume ${run.name})`);
  } finally {
    runStore.close();
  }
}

function progress(flags: TextFlags, label: string): { callbacks: TextTrainCallbacks; stop(): void } {
  const show = !flags.quiet && !flags.json && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar({ format: ` ${label} {bar} {percentage}% | {value}/{total} steps | {status} | ETA {eta_formatted}`, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    callbacks: {
      onProgress(step, total, status) {
        if (!show) return;
        const text = Object.entries(status).map(([k, v]) => `${k} ${v}`).join(" | ");
        if (!started) bar.start(total, 0, { status: text });
        started = true;
        bar.setTotal(total);
        bar.update(step, { status: text });
      },
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

interface Stage<R> {
  train(callbacks: TextTrainCallbacks): R;
  languageModel(): LanguageModel;
}

/**
 * Runs a training stage with a progress bar and, when tracked, logs its metrics (prefixed) and
 * writes checkpoints, at `offset` + the stage's step (a GRPO stage after an SFT stage in the same
 * run goes on where SFT stopped, so the run has one step axis and a resume drops what came later).
 */
function runStage<R>(stage: Stage<R>, flags: TextFlags, tracker: Tracker | null, prefix: string, label: string, offset = 0): R {
  const bar = progress(flags, label);
  const checkpoint = tracker?.callbacks().checkpoint;
  try {
    return stage.train({
      ...bar.callbacks,
      onMetrics: (step, metrics) => {
        if (!tracker) return;
        const named: Record<string, number> = {};
        for (const [k, v] of Object.entries(metrics)) if (Number.isFinite(v)) named[prefix + k] = v;
        tracker.log(offset + step, named);
      },
      checkpoint: (step) => checkpoint?.(offset + step, false),
    });
  } finally {
    bar.stop();
  }
}

/** What a run of `tsrl train sft|grpo` trains, saved in each checkpoint so `tsrl resume` can go on. */
interface TextRunPlan {
  kind: "sft" | "grpo";
  /** the SFT config: of an sft run, or of a GRPO run's own SFT stage (--sft-steps) */
  sft: SftConfig | null;
  grpo: GrpoConfig | null;
  /** wall seconds of a finished SFT stage (part of a two-stage run's wall_s) */
  sftWall?: number;
}

/** The tracker's agent: checkpoints and the final model of whichever stage is training. */
class TextRunAgent implements TrackedAgent {
  stage: { saveCheckpoint(run: Record<string, unknown>): Uint8Array; languageModel(): LanguageModel } | null = null;
  run: TextRunPlan | null = null;
  saveCheckpoint(): Uint8Array {
    return this.stage!.saveCheckpoint({ ...this.run });
  }
  savePolicy(): Uint8Array {
    return encodeLanguageModel(this.stage!.languageModel());
  }
}

/** Trains a run's stages from where `from` stands (new trainers, or ones restored from a checkpoint), then records its model and result. */
function executeTextRun(plan: TextRunPlan, flags: TextFlags, tracker: Tracker | null, agent: TextRunAgent, from: { sft?: SftTrainer; grpo?: GrpoTrainer; init?: LanguageModel }): void {
  agent.run = plan;
  if (plan.kind === "sft") {
    const sft = from.sft ?? new SftTrainer(plan.sft!, from.init);
    agent.stage = sft;
    const result = runStage(sft, flags, tracker, "", "SFT ");
    finishTextRun(tracker, agent, result, SFT_JSON_KEYS, flags);
    return;
  }
  let grpo = from.grpo;
  if (!grpo) {
    let start = from.init;
    let sftSteps = 0;
    if (plan.sft) {
      const sft = from.sft ?? new SftTrainer(plan.sft);
      agent.stage = sft;
      const sftResult = runStage(sft, flags, tracker, "sft/", "SFT ");
      sftSteps = sft.step;
      plan = { ...plan, sftWall: sftResult.wall_s };
      agent.run = plan;
      start = sft.languageModel();
    }
    grpo = new GrpoTrainer(plan.grpo!, start!);
    grpo.sftSteps = sftSteps;
  }
  agent.stage = grpo;
  const trained = runStage(grpo, flags, tracker, "", "GRPO", grpo.sftSteps);
  // wall_s covers both stages of a run that trains its own SFT start
  const result: GrpoResult = { ...trained, wall_s: (plan.sftWall ?? 0) + trained.wall_s };
  finishTextRun(tracker, agent, result, GRPO_JSON_KEYS, flags);
}

function finishTextRun(tracker: Tracker | null, agent: TextRunAgent, result: object, keys: readonly string[], flags: TextFlags): void {
  if (typeof flags.save === "string") writeFileAtomic(flags.save, agent.savePolicy());
  let savedTo = typeof flags.save === "string" ? flags.save : null;
  if (tracker) savedTo = tracker.finish({ ...result })?.path ?? savedTo;
  printResult(result as Record<string, unknown>, keys, flags, tracker, savedTo);
}

function printResult(result: Record<string, unknown>, keys: readonly string[], flags: TextFlags, tracker: Tracker | null, savedTo: string | null): void {
  const line: Record<string, unknown> = {};
  for (const k of keys) line[k] = result[k];
  const where = tracker ? `run ${tracker.runId} (${tracker.store.getRun(tracker.runId).name})` : "untracked run";
  if (flags.json) {
    console.error(`${where}${savedTo ? `, model ${savedTo}` : ""}`);
    console.log(JSON.stringify(line));
    return;
  }
  const pct = (x: unknown) => (typeof x === "number" ? `${(100 * x).toFixed(1)} %` : "-");
  const start = "accuracy_start" in line ? `held-out accuracy ${pct(line.accuracy_start)} → ${pct(line.accuracy_final)}` : `held-out accuracy ${pct(line.accuracy_final)}`;
  console.log(`${String(line.task)}, seed ${String(line.seed)}: ${start}, ${Number(line.wall_s).toFixed(1)} s, train ${Math.round(Number(line.train_tokens_per_s))} tokens/s, sampling ${Math.round(Number(line.sample_tokens_per_s))} tokens/s`);
  console.log(`${where}${savedTo ? `; model saved to ${savedTo} (try: tsrl sample ${savedTo} --prompt ...)` : ""}`);
}

/** Steps between checkpoints: --checkpoint-every, else a tenth of the run's step cap. */
function checkpointEvery(flags: TextFlags, totalSteps: number): number {
  if (flags.checkpointEvery === undefined) return Math.max(1, Math.round(totalSteps / 10));
  const n = Number(flags.checkpointEvery);
  if (!(Number.isSafeInteger(n) && n >= 0)) throw new TextConfigError(`--checkpoint-every: expected an integer >= 0, got "${String(flags.checkpointEvery)}"`);
  return n;
}

function withTracker(flags: TextFlags, algo: string, config: { task: string; seed: number } & object, every: number, agent: TextRunAgent, body: (tracker: Tracker | null) => void): void {
  if (flags.track === false) return body(null);
  const tracker = startRun({ store: flags.store, name: flags.name, algo, env: config.task, seed: config.seed, agent, checkpointEvery: every, config: { ...config, init: flags.init ?? null, sftSteps: flags.sftSteps ?? null }, versions: { fma: kernelFma() } });
  guarded(tracker, () => body(tracker));
}

/** Marks the run failed when training throws, and closes the store. */
function guarded(tracker: Tracker, body: () => void): void {
  try {
    body();
  } catch (err) {
    tracker.fail(err);
    throw err;
  } finally {
    tracker.store.close();
  }
}

function sftCommand(flags: TextFlags): void {
  const config = resolveTextConfig(SFT_SPEC, fieldsFromFlags(SFT_SPEC, flags));
  const init = flags.init ? loadModel(flags.init, flags.store) : undefined;
  const agent = new TextRunAgent();
  withTracker(flags, "sft", config, checkpointEvery(flags, config.steps), agent, (tracker) => executeTextRun({ kind: "sft", sft: config, grpo: null }, flags, tracker, agent, { init }));
}

function grpoCommand(flags: TextFlags): void {
  const config: GrpoConfig = resolveTextConfig(GRPO_SPEC, fieldsFromFlags(GRPO_SPEC, flags));
  if (flags.init && flags.sftSteps) throw new TextConfigError("give either --init (a trained model) or --sft-steps (an SFT stage first), not both");
  if (!flags.init && !flags.sftSteps) throw new TextConfigError("GRPO needs a model to start from: --init <sft-run|model-file>, or --sft-steps N to train one first in the same run");
  const sftConfig: SftConfig | null = flags.sftSteps
    ? resolveTextConfig(SFT_SPEC, {
        task: config.task,
        taskOptions: config.taskOptions,
        seed: config.seed,
        steps: Number(flags.sftSteps),
        ...(flags.sftStopAtAccuracy !== undefined ? { stopAtAccuracy: Number(flags.sftStopAtAccuracy) } : {}),
        ...(flags.sftExamples !== undefined ? { examples: Number(flags.sftExamples) } : {}),
        ...(flags.model !== undefined ? { model: flags.model } : {}),
      })
    : null;
  const init = flags.init ? loadModel(flags.init, flags.store) : undefined;
  const agent = new TextRunAgent();
  const every = checkpointEvery(flags, (sftConfig?.steps ?? 0) + config.steps);
  withTracker(flags, "grpo", config, every, agent, (tracker) => executeTextRun({ kind: "grpo", sft: sftConfig, grpo: config }, flags, tracker, agent, { init }));
}

/** Whether `tsrl resume` continues this run here (a run of `tsrl train sft|grpo`). */
export function isTextRun(run: RunRecord): boolean {
  return isTextAlgo(run.algo);
}

/**
 * `tsrl resume` of an sft/grpo run: from its newest checkpoint (or `--checkpoint`), which holds
 * the model, AdamW, every RNG, the reference model and the run's configs, so the run ends as an
 * uninterrupted one would (metrics and final parameters bit for bit; timings aside).
 */
export function resumeTextRun(store: RunStore, run: RunRecord, opts: { checkpoint?: string; set: string[]; takeover?: boolean; json?: boolean; quiet?: boolean }): void {
  if (opts.set.length) throw new StoreError(`--set: a ${run.algo} run resumes with the config it started with; start a new run with tsrl train ${run.algo}`);
  const checkpoints = store.artifacts(run.id, "checkpoint");
  const wanted = opts.checkpoint === undefined ? checkpoints.at(-1) : checkpoints.find((c) => c.step === Number(opts.checkpoint));
  if (opts.checkpoint !== undefined && !wanted) throw new StoreError(`run ${run.id} has no checkpoint at step ${opts.checkpoint}; it has ${checkpoints.map((c) => c.step).join(", ") || "none"}`);
  if (!wanted) throw new StoreError(`run ${run.id} (${run.name}) has no checkpoint${run.checkpoint_every ? " yet" : " (--checkpoint-every 0)"}; train it again with tsrl train ${run.algo}`);
  const previous = checkpoints.filter((c) => c.step < wanted.step).at(-1);
  const offerPrevious = previous ? `; the previous checkpoint is at step ${previous.step}: tsrl resume ${run.id} --checkpoint ${previous.step}` : "";
  let checkpoint: DecodedTextCheckpoint<SftState | GrpoState>;
  try {
    checkpoint = decodeTextCheckpoint(store.readArtifact(wanted), wanted.path);
  } catch (err) {
    throw new StoreError(`${(err as Error).message}${offerPrevious}`);
  }
  const state = checkpoint.state;
  // the run's step: a GRPO stage after the run's own SFT stage counts on from it
  const held = checkpoint.stage === "grpo" ? (state as GrpoState).sftSteps + state.step : state.step;
  if (held !== wanted.step) throw new StoreError(`checkpoint ${wanted.path} is recorded at step ${wanted.step} but holds step ${held}${offerPrevious}`);
  const plan = checkpoint.run as unknown as TextRunPlan;
  if (plan.kind !== run.algo) throw new StoreError(`checkpoint ${wanted.path} belongs to a ${String(plan.kind)} run, not to this ${run.algo} run`);
  const from: { sft?: SftTrainer; grpo?: GrpoTrainer } = {};
  if (checkpoint.stage === "sft") {
    from.sft = new SftTrainer(plan.sft!, checkpoint.lm);
    from.sft.loadCheckpoint(checkpoint as DecodedTextCheckpoint<SftState>);
  } else {
    from.grpo = new GrpoTrainer(plan.grpo!, checkpoint.lm);
    from.grpo.loadCheckpoint(checkpoint as DecodedTextCheckpoint<GrpoState>);
  }
  // (tsrl resume has set the kernels the run trained with: versions.fma)
  const versions = run.versions as { fma?: boolean; resumes?: unknown[] };
  const { resumes = [], ...before } = versions;
  store.resumeRun(run.id, wanted.step, { ...collectVersions(), fma: versions.fma === true, resumes: [...resumes, { ...before, from_step: wanted.step }], pid: process.pid, host: hostname() }, { takeover: opts.takeover });
  store.removeLeftovers(run.id);
  const agent = new TextRunAgent();
  const tracker = new Tracker(store, run.id, { agent, checkpointEvery: run.checkpoint_every, startStep: wanted.step });
  guarded(tracker, () => executeTextRun(plan, { json: opts.json, quiet: opts.quiet }, tracker, agent, from));
}
