/**
 * `tsrl train sft` and `tsrl train grpo`: small transformers trained from scratch on text tasks,
 * tracked in the run store like every run, with a progress bar and a `--json` result line.
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { GrpoTrainer, type GrpoConfig, type GrpoResult } from "../llm/grpo.js";
import { decodeLanguageModel, encodeLanguageModel, type LanguageModel } from "../llm/model-file.js";
import { SFT_DEFAULTS, SftTrainer, type SftConfig, type SftResult, type TextTrainCallbacks } from "../llm/sft.js";
import { GRPO_SPEC, SFT_SPEC, TextConfigError, resolveTextConfig, type TextTrainerSpec } from "../llm/trainers.js";
import { writeFileAtomic } from "../node/atomic-write.js";
import { RunStore, storeDirectory } from "../track/store.js";
import { startRun } from "../track/tracker.js";

type Tracker = ReturnType<typeof startRun>;

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
    .option("--json", `end stdout with one JSON line: {${jsonKeys.join(", ")}}`)
    .option("-q, --quiet", "no progress bar");
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
export function loadModel(source: string, store: string | undefined): LanguageModel {
  if (existsSync(source)) return decodeLanguageModel(new Uint8Array(readFileSync(source)), source);
  let runStore: RunStore;
  try {
    runStore = new RunStore(storeDirectory(store), { create: false });
  } catch {
    throw new TextConfigError(`--init ${source}: no such file, and no run store to look the run up in (train one with \`tsrl train sft\`)`);
  }
  try {
    const run = runStore.getRun(source);
    const saved = runStore.artifacts(run.id, "policy").at(-1);
    if (!saved) throw new TextConfigError(`--init ${source}: run ${run.name} has no saved model (did it finish?)`);
    return decodeLanguageModel(runStore.readArtifact(saved), `run ${run.name}`);
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

/** Runs a training stage with a progress bar and, when tracked, logs its metrics (prefixed). */
function runStage<R>(stage: Stage<R>, flags: TextFlags, tracker: Tracker | null, prefix: string, label: string): R {
  const bar = progress(flags, label);
  try {
    return stage.train({
      ...bar.callbacks,
      onMetrics: (step, metrics) => {
        if (!tracker) return;
        const named: Record<string, number> = {};
        for (const [k, v] of Object.entries(metrics)) if (Number.isFinite(v)) named[prefix + k] = v;
        tracker.log(step, named);
      },
    });
  } finally {
    bar.stop();
  }
}

function finishRun(tracker: Tracker | null, lm: LanguageModel, step: number, result: object, flags: TextFlags): string | null {
  const bytes = encodeLanguageModel(lm);
  if (typeof flags.save === "string") writeFileAtomic(flags.save, bytes);
  if (!tracker) return typeof flags.save === "string" ? flags.save : null;
  const saved = tracker.store.addArtifact(tracker.runId, "policy", step, bytes);
  tracker.finish({ ...result });
  return saved.path;
}

function printResult(result: Record<string, unknown>, keys: readonly string[], flags: TextFlags, tracker: Tracker | null, savedTo: string | null): void {
  const line: Record<string, unknown> = {};
  for (const k of keys) line[k] = result[k];
  const where = tracker ? `run ${tracker.runId} (${tracker.run.name})` : "untracked run";
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

function withTracker<T>(flags: TextFlags, algo: string, config: { task: string; seed: number } & object, body: (tracker: Tracker | null) => T): T {
  if (flags.track === false) return body(null);
  const tracker = startRun({ store: flags.store, name: flags.name, algo, env: config.task, seed: config.seed, config: { ...config, init: flags.init ?? null, sftSteps: flags.sftSteps ?? null } });
  try {
    return body(tracker);
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
  withTracker(flags, "sft", config, (tracker) => {
    const trainer = new SftTrainer(config, init);
    const result: SftResult = runStage(trainer, flags, tracker, "", "SFT ");
    const savedTo = finishRun(tracker, trainer.languageModel(), trainer.step, result, flags);
    printResult(result as unknown as Record<string, unknown>, SFT_JSON_KEYS, flags, tracker, savedTo);
  });
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
  withTracker(flags, "grpo", config, (tracker) => {
    const began = performance.now();
    let start = init;
    let sftSteps = 0;
    if (sftConfig) {
      const sft = new SftTrainer(sftConfig);
      runStage(sft, flags, tracker, "sft/", "SFT ");
      sftSteps = sft.step;
      start = sft.languageModel();
    }
    const trainer = new GrpoTrainer(config, start!);
    trainer.sftSteps = sftSteps;
    // wall_s covers both stages of a run that trains its own SFT start
    const result: GrpoResult = { ...runStage(trainer, flags, tracker, "", "GRPO"), wall_s: (performance.now() - began) / 1000 };
    const savedTo = finishRun(tracker, trainer.languageModel(), trainer.step, result, flags);
    printResult(result as unknown as Record<string, unknown>, GRPO_JSON_KEYS, flags, tracker, savedTo);
  });
}
