/** `tsrl runs list|show|rm` and `tsrl resume`: reading and continuing runs in the store. */
import { ensureEnvRegistered } from "../node/env-module.js";
import { type Command, Option } from "commander";
import { createInterface } from "node:readline/promises";
import { hostname } from "node:os";
import { camelCase, checkpointConfig, similar } from "../algos/common.js";
import { ALGORITHMS } from "../algos/index.js";
import { type BackendKind, createBackend } from "../nn/backend.js";
import { useKernelFma } from "../node/kernel-fma.js";
import { assertWritableFile, writeFileAtomic } from "../node/atomic-write.js";
import { decodeTensorFile } from "../nn/serialize.js";
import { EXPORT_FORMATS, type ExportFormat, type ExportWhat, exportRows } from "../track/export.js";
import { checkStore } from "../track/check.js";
import { RunStore, StoreError, displayStatus, storeDirectory } from "../track/store.js";
import { Tracker } from "../track/tracker.js";
import { collectVersions, tsrlVersion } from "../track/versions.js";
import { parseFlag, report, runWithProgress, trackedTraining } from "./train.js";
import { formatRunSummary } from "./run-summary.js";
import { isTextRun, resumeTextRun } from "./train-text.js";
import { type LearnerSetup, resumeDistributed, resumedSetup } from "./distributed.js";

function openStore(dir: string | undefined): RunStore {
  return new RunStore(storeDirectory(dir), { create: false });
}

export function registerRuns(program: Command): void {
  const runs = program.command("runs").description("List, inspect and delete the runs recorded in the store");
  runs
    .command("list")
    .description("One line per run (newest last)")
    .option("--env <id>", "only runs on this env")
    .option("--algo <name>", "only runs of this algorithm")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--json", "print JSON")
    .action((opts: { env?: string; algo?: string; store?: string; json?: boolean }) => {
      const store = openStore(opts.store);
      const rows = store.listRuns({ env: opts.env, algo: opts.algo }).map((r) => ({
        id: r.id,
        name: r.name,
        algo: r.algo,
        env: r.env,
        seed: r.seed,
        status: r.damaged ? "damaged" : displayStatus(r.status, r.versions),
        ...(r.damaged ? { damaged: r.damaged } : {}),
        steps: (r.summary?.total_timesteps as number | undefined) ?? r.last_step,
        final_mean_return: (r.summary?.final_mean_return as number | undefined) ?? null,
        wall_s: (r.summary?.wall_s as number | undefined) ?? null,
        started_at: r.started_at,
      }));
      if (opts.json) return console.log(JSON.stringify(rows));
      if (rows.length === 0) return console.log(`no runs in ${store.dir}`);
      const table = rows.map((r) => [r.id, r.name, r.algo, r.env, String(r.seed), r.status, String(r.steps), typeof r.final_mean_return === "number" ? r.final_mean_return.toFixed(2) : "-", typeof r.wall_s === "number" ? r.wall_s.toFixed(1) : "-"].map(printable));
      const header = ["id", "name", "algo", "env", "seed", "status", "steps", "final return", "wall s"];
      const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
      for (const row of [header, ...table]) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
      for (const r of rows) if (r.damaged) console.error(printable(`${r.damaged}: run \`tsrl runs check\``));
    });
  runs
    .command("show")
    .description("Config, versions, status, summary, metric keys and checkpoints of a run")
    .argument("<run>", "run id, id prefix or name")
    .option("--store <dir>", "run store directory")
    .option("--json", "print JSON, including every episode as {step, return, length}")
    .action((idOrName: string, opts: { store?: string; json?: boolean }) => {
      const store = openStore(opts.store);
      const run = store.getRun(idOrName);
      const details = {
        ...run,
        status: displayStatus(run.status, run.versions),
        metric_keys: store.metricKeys(run.id),
        artifacts: store.artifacts(run.id),
        episodes: store.episodes(run.id).map((e) => ({ step: e.step, return: e.return, length: e.length })),
      };
      if (opts.json) return console.log(JSON.stringify(details));
      console.log(formatRunSummary(store, run).split("\n").map(printable).join("\n"));
    });
  runs
    .command("rm")
    .description("Delete a run, its rows and its files")
    .argument("<run>", "run id, id prefix or name")
    .option("--store <dir>", "run store directory")
    .option("-y, --yes", "do not ask")
    .option("--force", "delete it even if it looks like it is still running (its process is gone, e.g. on another host)")
    .action(async (idOrName: string, opts: { store?: string; yes?: boolean; force?: boolean }) => {
      const store = openStore(opts.store);
      const run = store.getRun(idOrName);
      if (!opts.yes) {
        if (!process.stdin.isTTY) throw new StoreError("refusing to delete without confirmation: pass --yes");
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`delete run ${run.id} (${run.name}) and its files? [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return console.log("kept");
      }
      store.deleteRun(run.id, opts.force);
      console.log(`deleted run ${run.id} (${run.name})`);
    });

  runs
    .command("check")
    .description("Verify the store: SQLite's integrity check, every run's record and row counts, every artifact's checksum, leftover files and rows")
    .option("--repair", "remove leftovers (temp files, rows of deleted runs), move unrecorded files to lost+found/, accept lost rows")
    .option("--store <dir>", "run store directory")
    .option("--json", "print the findings as JSON")
    .action((opts: { repair?: boolean; store?: string; json?: boolean }) => {
      const dir = storeDirectory(opts.store);
      const findings = checkStore(dir, { repair: opts.repair });
      const open = findings.filter((f) => !f.repaired);
      if (open.length) process.exitCode = 1;
      if (opts.json) return console.log(JSON.stringify(findings));
      if (findings.length === 0) return console.log(`store ${dir} is intact`);
      for (const f of findings) {
        console.log(printable(`${f.run ? `run ${f.run}: ` : ""}${f.problem}`));
        if (f.repaired) console.log(printable(`  repaired: ${f.repaired}`));
        else if (f.advice) console.log(printable(`  what to do: ${f.advice}`));
      }
      console.log(`${findings.length} problem(s)${opts.repair ? `, ${findings.length - open.length} repaired` : "; --repair fixes what it can"}`);
    });

  runs
    .command("export")
    .description("Write runs' metrics or episodes as CSV, JSON Lines or Parquet (for pandas, DuckDB, spreadsheets)")
    .argument("<runs...>", "run ids, id prefixes or names")
    .addOption(new Option("--format <format>", "output format").choices(EXPORT_FORMATS).default("csv"))
    .addOption(new Option("--what <rows>", "which rows").choices(["metrics", "episodes"]).default("metrics"))
    .option("--out <file>", "write here (atomically) instead of stdout")
    .option("--store <dir>", "run store directory")
    .action((ids: string[], opts: { format: ExportFormat; what: ExportWhat; out?: string; store?: string }) => {
      if (opts.format === "parquet" && !opts.out && process.stdout.isTTY) throw new StoreError("Parquet is binary: pass --out FILE.parquet (or redirect stdout)");
      if (opts.out) assertWritableFile(opts.out, `--out ${opts.out}`);
      const store = openStore(opts.store);
      const data = exportRows(store, ids.map((id) => store.getRun(id)), opts.what, opts.format);
      if (opts.out) writeFileAtomic(opts.out, data);
      else process.stdout.write(data);
    });

  program
    .command("resume")
    .description("Continue a run from its last checkpoint; the result is identical to an uninterrupted run")
    .argument("<run>", "run id, id prefix or name")
    .option("--store <dir>", "run store directory")
    .option("--checkpoint <step>", "resume from the checkpoint at this step instead of the newest")
    .option("--force", "resume although the result will differ from an uninterrupted run: another tsrl version, a config that differs from the checkpoint's (the checkpoint's is used), or --set")
    .option("--set <key=value>", "change a config field from here on, e.g. totalTimesteps=1000000 (repeatable; needs --force)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--takeover", "resume although the run's process looks alive (its pid is another process now, or it ran on another host and is gone)")
    .option("--redis <url>", "a learner of actors over Redis: the run's Redis URL with its password (not recorded with the run)")
    .option("--json", "end stdout with the result as one JSON line")
    .option("-q, --quiet", "no progress bar")
    .action(async (idOrName: string, opts: { store?: string; checkpoint?: string; force?: boolean; set: string[]; takeover?: boolean; redis?: string; json?: boolean; quiet?: boolean }) => {
      const store = openStore(opts.store);
      const run = store.getRun(idOrName);
      // a finished run whose policy is missing or damaged (a crash, or an older tsrl's order of writes) is repaired from its last checkpoint
      const repair = run.status === "finished";
      if (repair && store.hasIntactPolicy(run.id)) throw new StoreError(`run ${run.id} (${run.name}) already finished; start a new one with tsrl train`);
      if (!opts.takeover) store.refuseIfRunning(run.id, TAKEOVER_ADVICE); // again, atomically, when the run is taken over
      const versions = run.versions as { tsrl?: string; backend?: BackendKind; fma?: boolean; envModule?: string; distributed?: LearnerSetup; resumes?: { config_changes?: Record<string, [unknown, unknown]> }[] };
      // the kernels the run trained with, whatever TSRL_FMA says now, before any network exists (FMA
      // kernels give other bits; runs recorded before they existed used the default ones)
      useKernelFma(versions.fma === true);
      // a learner of separate actors learns with them again (checked before anything is resumed)
      const distributed = resumedSetup(run.id, versions, opts.redis);
      // an sft/grpo run trains on a text task, not an env: its checkpoints hold the whole run
      if (!isTextRun(run)) await ensureEnvRegistered(run.env, versions.envModule); // a user env: import the module that registered it
      if (versions.tsrl !== tsrlVersion() && !opts.force) {
        throw new StoreError(`run ${run.id} was made with tsrl ${versions.tsrl}, this is ${tsrlVersion()}: results may differ; pass --force to resume anyway`);
      }
      if (isTextRun(run)) return resumeTextRun(store, run, opts);
      const entry = ALGORITHMS[run.algo];
      if (!entry) throw new StoreError(`run ${run.id} uses algorithm "${run.algo}", which this tsrl does not have`);
      const checkpoints = store.artifacts(run.id, "checkpoint");
      const wanted = opts.checkpoint === undefined ? checkpoints.at(-1) : checkpoints.find((c) => c.step === Number(opts.checkpoint));
      if (opts.checkpoint !== undefined && !wanted) throw new StoreError(`run ${run.id} has no checkpoint at step ${opts.checkpoint}; it has ${checkpoints.map((c) => c.step).join(", ") || "none"}`);
      const previous = wanted && checkpoints.filter((c) => c.step < wanted.step).at(-1);
      const offerPrevious = previous ? `; the previous checkpoint is at step ${previous.step}: tsrl resume ${run.id} --checkpoint ${previous.step}` : "";
      let bytes: Uint8Array | null = null;
      if (wanted) {
        try {
          bytes = store.readArtifact(wanted);
        } catch (err) {
          throw new StoreError(`${(err as Error).message}${offerPrevious}`);
        }
        // a file with a valid checksum can still be another step's (copied over): its rows would not match the record
        const held = checkpointStep(bytes, wanted.path);
        if (held !== wanted.step) throw new StoreError(`checkpoint ${wanted.path} is recorded at step ${wanted.step} but holds step ${held}${offerPrevious}`);
      }
      // What the checkpoint holds (`madeWith`) and what the run goes on with (`config`): the run's
      // config, which may hold changes an earlier resume made with --set (recorded, so they apply
      // again), or with --force the checkpoint's where they differ otherwise (a tsrl with other defaults).
      let current = entry.resolve({ ...run.config, envId: run.env });
      const saved = bytes && checkpointConfig(bytes);
      const madeWith: Record<string, unknown> = saved ?? current;
      if (saved) {
        const recorded = Object.assign({}, ...(versions.resumes ?? []).map((r) => r.config_changes ?? {})) as Record<string, [unknown, unknown]>;
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        const unexplained = changedFields(saved, current).filter((k) => !(recorded[k] && same(recorded[k][0], saved[k]) && same(recorded[k][1], current[k])));
        if (unexplained.length) {
          if (!opts.force) throw new StoreError(`run ${run.id}: its checkpoint at step ${wanted!.step} was made with another config (${unexplained.map((k) => `${k}: ${JSON.stringify(saved[k])} there, ${JSON.stringify(current[k])} here`).join("; ")}); pass --force to resume with the checkpoint's`);
          current = entry.resolve({ ...current, ...Object.fromEntries(unexplained.map((k) => [k, saved[k]])) } as typeof current);
        }
      }
      // --set: the rest of the run with changed fields (no longer the run an uninterrupted one would be)
      const config = entry.resolve({ ...current, ...configOverrides(opts.set, current, entry.fixedOnResume) });
      const newChanges = changedFields(current, config);
      if (newChanges.length && !opts.force) {
        throw new StoreError(`resuming run ${run.id} with ${newChanges.map((k) => `${k} ${JSON.stringify(config[k])} instead of ${JSON.stringify(current[k])}`).join(", ")} makes it differ from an uninterrupted run; pass --force to resume with the change`);
      }
      const changes = Object.fromEntries(changedFields(madeWith, config).filter((k) => k in config).map((k) => [k, [madeWith[k], config[k]]]));
      // the kernels it was trained with (runs from before this was recorded: the default)
      const agent = entry.create(config, { backend: versions.backend ? createBackend(versions.backend) : undefined });
      let step = 0;
      if (wanted) {
        try {
          agent.loadCheckpoint(bytes!, wanted.path, madeWith);
        } catch (err) {
          throw new StoreError(`${(err as Error).message}${offerPrevious}`);
        }
        step = wanted.step;
      } else if (!opts.quiet && !opts.json) {
        console.error(`run ${run.id} has no checkpoint${run.checkpoint_every ? " yet" : " (--checkpoint-every 0)"}: training it again from step 0`);
      }
      if (repair && !opts.quiet && !opts.json) console.error(`run ${run.id} finished without an intact policy: resuming from step ${step} to write it`);
      // What the run ran with before is kept, one entry per resume.
      const { resumes = [], ...before } = versions;
      const resume = { ...before, from_step: step, ...(Object.keys(changes).length ? { config_changes: changes } : {}) };
      store.resumeRun(run.id, step, { ...collectVersions(), backend: versions.backend, fma: versions.fma === true, ...(versions.envModule ? { envModule: versions.envModule } : {}), ...(distributed ? { distributed: distributed.setup } : {}), resumes: [...resumes, resume], pid: process.pid, host: hostname() }, { takeover: opts.takeover, config });
      store.removeLeftovers(run.id);
      const total = config.totalTimesteps as number;
      const tracker = new Tracker(store, run.id, { agent, checkpointEvery: run.checkpoint_every, startStep: step });
      if (distributed) return resumeDistributed(run.algo, agent, distributed, versions.envModule ?? null, tracker, opts);
      const { result, policy } = trackedTraining(tracker, (callbacks) => runWithProgress(agent, total, opts, callbacks));
      report(run.algo, result, opts, policy.path, run);
      store.close();
    });
}

/** The global step a checkpoint file holds (its algorithm state's `globalStep`). */
function checkpointStep(bytes: Uint8Array, source: string): unknown {
  const state = decodeTensorFile(bytes, source).meta.state as { globalStep?: unknown } | undefined;
  return state?.globalStep;
}

/** Text from the store made safe for a terminal: control characters (escape sequences) shown escaped, not obeyed. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Fields whose values differ between two configs. */
function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

const TAKEOVER_ADVICE = "if that process is not the trainer (its pid was reused, or it ran on another host and is gone), pass --takeover";

/** `--set key=value` for a resume (key in camelCase, kebab-case or snake_case), parsed like the field's value. */
function configOverrides(sets: readonly string[], config: Record<string, unknown>, fixedOnResume: readonly string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const item of sets) {
    const m = /^([A-Za-z][A-Za-z0-9_-]*)=(.*)$/.exec(item);
    if (!m) throw new StoreError(`--set "${item}": expected key=value, e.g. totalTimesteps=1000000`);
    const key = camelCase(m[1]!);
    if (!Object.hasOwn(config, key)) {
      const close = Object.keys(config).filter((k) => similar(k, key));
      throw new StoreError(`--set "${item}": the run's algorithm has no config field "${key}"${close.length ? ` (did you mean ${close.join(", ")}?)` : ""}`);
    }
    if (fixedOnResume.includes(key)) throw new StoreError(`--set "${item}": ${key} cannot change within a run (the checkpoint's state is built for it); start a new run with tsrl train`);
    overrides[key] = parseFlag(key, m[2]!, config[key]);
  }
  return overrides;
}

