/** `tsrl record` (a policy's episodes into a dataset) and `tsrl datasets list | show <name>`. */
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import type { DatasetManifest, Summary } from "../data/format.js";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadEnvArg, moduleUrl } from "../node/env-module.js";
import { DatasetError } from "../data/format.js";
import { type PolicyFunction, datasetPath, datasetsDirectory, listDatasets, mergeDatasets, openDatasetFile, recordDataset } from "../node/datasets.js";
import { exportMinari, importMinari } from "../node/minari.js";
import { envKwargsArg, integer, maxEpisodeStepsArg } from "./options.js";

interface RecordFlags {
  policy: string;
  env: string;
  envKwargs?: Record<string, unknown>;
  maxEpisodeSteps?: number | null;
  episodes: number;
  out: string;
  seed: number;
  stochastic?: boolean;
  infos?: boolean;
  store?: string;
  quiet?: boolean;
  json?: boolean;
}

/** `--policy`: a policy file, or "module:fn" — the function `fn` the module exports. */
async function policyArg(arg: string): Promise<Uint8Array | PolicyFunction> {
  const match = /^(.+):([A-Za-z_$][\w$]*)$/.exec(arg);
  if (existsSync(arg) || !match) {
    try {
      return new Uint8Array(readFileSync(arg));
    } catch (err) {
      throw new DatasetError(`--policy ${arg}: cannot read it (${(err as Error).message}); pass a policy file, random, or ./module.js:functionName`);
    }
  }
  const [, module, name] = match as unknown as [string, string, string];
  if ((module.startsWith(".") || module.startsWith("/")) && !existsSync(module)) throw new DatasetError(`--policy ${arg}: no file ${resolve(module)}; pass a policy file, random, or ./module.js:functionName`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(moduleUrl(module))) as Record<string, unknown>;
  } catch (err) {
    throw new DatasetError(`--policy ${arg}: cannot import ${module}: ${(err as Error).message}`);
  }
  const fn = exports[name];
  if (typeof fn !== "function") {
    const functions = Object.keys(exports).filter((k) => typeof exports[k] === "function");
    throw new DatasetError(`--policy ${arg}: ${module} exports no function ${name}${functions.length ? `; its functions: ${functions.join(", ")}` : " (it exports no functions)"}`);
  }
  return fn as PolicyFunction;
}

export function registerDatasets(program: Command): void {
  program
    .command("record")
    .description("Record episodes of a saved policy (or random actions) into a dataset in the run store")
    .requiredOption("-p, --policy <file|random|module:fn>", "a policy file (.tsrlpolicy, e.g. from tsrl train --save), 'random' (uniform actions), or ./module.js:name, a function your module exports: (observation, {episode, step}) => action")
    .requiredOption("-e, --env <id>", "environment id (see `tsrl envs`), or ./module.js:Id for your own; a policy file's own id is made with the env kwargs and time limit it trained with, another id as registered")
    .option("--env-kwargs <json>", "the env's keyword arguments, replacing the policy's, e.g. '{\"sticky_action_prob\":0}'", envKwargsArg)
    .option("--max-episode-steps <n>", "time limit, replacing the policy's (none: the id's registered one)", maxEpisodeStepsArg)
    .requiredOption("-n, --episodes <n>", "whole episodes to record", integer("--episodes", 1))
    .requiredOption("-o, --out <name>", "dataset name (written to <store>/datasets/<name>), or a directory path")
    .option("-s, --seed <n>", "seed of the first reset and of random/sampled actions", integer("--seed", 0), 0)
    .option("--stochastic", "sample actions from the policy instead of its greedy/mean action")
    .option("--infos", "also record each step's info object")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--json", "print the manifest as JSON")
    .option("-q, --quiet", "no per-episode lines")
    .action(async (flags: RecordFlags) => {
      const { id: envId } = await loadEnvArg(flags.env);
      const policy = flags.policy === "random" ? "random" : await policyArg(flags.policy);
      const out = datasetPath(flags.out, flags.store);
      const manifest = recordDataset({
        envId,
        envKwargs: flags.envKwargs,
        maxEpisodeSteps: flags.maxEpisodeSteps,
        policy,
        policyName: flags.policy,
        episodes: flags.episodes,
        out,
        seed: flags.seed,
        stochastic: flags.stochastic,
        infos: flags.infos,
        onEpisode: flags.quiet || flags.json ? undefined : (e, ret, length) => console.error(`episode ${e + 1}/${flags.episodes}: return ${ret.toFixed(2)}, ${length} steps`),
      });
      if (flags.json) console.log(JSON.stringify(manifest));
      else console.log(`dataset ${manifest.name}: ${describe(manifest)}\n  written to ${out}`);
    });

  const datasets = program.command("datasets").description("Datasets in the run store: list, show <name>");
  datasets
    .command("list")
    .description("Every dataset in the store: env, episodes, steps, mean return")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--json", "print JSON")
    .action((flags: { store?: string; json?: boolean }) => {
      const all = listDatasets(flags.store);
      if (flags.json) {
        console.log(JSON.stringify(all.map((d) => ("manifest" in d ? d.manifest : d))));
        return;
      }
      if (all.length === 0) {
        console.log(`no datasets in ${datasetsDirectory(flags.store)}; record one with \`tsrl record --policy random --env Pendulum-v1 --episodes 10 --out pendulum-random\``);
        return;
      }
      const rows = all.map((d) => ("manifest" in d ? [d.name, d.manifest.envId, String(d.manifest.episodes), String(d.manifest.steps), stat(d.manifest.returns)] : [d.name, "damaged", "", "", d.error]));
      table(["name", "env", "episodes", "steps", "return mean ± std [min, max]"], rows);
    });
  datasets
    .command("merge")
    .description("Write the episodes of several datasets of one env into a new dataset (e.g. random + medium + expert)")
    .argument("<names...>", "datasets to merge, in order")
    .requiredOption("-o, --out <name>", "name of the new dataset")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .action((names: string[], flags: { out: string; store?: string }) => {
      const manifest = mergeDatasets(datasetPath(flags.out, flags.store), names.map((n) => openDatasetFile(n, flags.store)));
      console.log(`dataset ${manifest.name}: ${describe(manifest)}`);
    });
  datasets
    .command("import-minari")
    .description("Import a Minari dataset (HDF5 layout: data/main_data.hdf5 + data/metadata.json) as a tsrl dataset")
    .argument("<dir>", "the Minari dataset directory (e.g. ~/.minari/datasets/mujoco/hopper/expert-v0)")
    .requiredOption("-o, --out <name>", "name of the new tsrl dataset")
    .option("-e, --env <id>", "the tsrl env id (default: the id in the dataset's env_spec)")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .action(async (dir: string, flags: { out: string; env?: string; store?: string }) => {
      const manifest = await importMinari(dir, datasetPath(flags.out, flags.store), { envId: flags.env });
      console.log(`dataset ${manifest.name}: ${describe(manifest)}`);
    });
  datasets
    .command("export-minari")
    .description("Write a tsrl dataset in Minari's HDF5 layout (a directory with data/main_data.hdf5 and data/metadata.json)")
    .argument("<name>", "dataset name (or a dataset directory path)")
    .requiredOption("-o, --out <dir>", "the Minari dataset directory to create")
    .option("--dataset-id <id>", "Minari's dataset_id (default: the tsrl name)")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .action(async (name: string, flags: { out: string; datasetId?: string; store?: string }) => {
      await exportMinari(openDatasetFile(name, flags.store), flags.out, { datasetId: flags.datasetId });
      console.log(`wrote ${flags.out} (Minari HDF5 layout)`);
    });
  datasets
    .command("show")
    .description("One dataset: env, spaces, episodes, steps, returns and lengths, chunks and what recorded it")
    .argument("<name>", "dataset name (or a dataset directory path)")
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .option("--verify", "also read every chunk and check its SHA-256")
    .option("--json", "print the manifest as JSON")
    .action((name: string, flags: { store?: string; json?: boolean; verify?: boolean }) => {
      const source = openDatasetFile(name, flags.store);
      if (flags.verify) for (const _ of source.chunks());
      const m = source.manifest;
      if (flags.json) {
        console.log(JSON.stringify(m));
        return;
      }
      const lines = [
        `dataset ${m.name} (${source.dir})`,
        `  env                ${m.envId}${m.envModule ? ` (module ${m.envModule})` : ""}`,
        `  observation space  ${JSON.stringify(m.observationSpace)} (${m.obsSize} floats flattened)`,
        `  action space       ${JSON.stringify(m.actionSpace)} (${m.actionSize} floats flattened)`,
        `  episodes           ${m.episodes}`,
        `  steps              ${m.steps}`,
        `  return             ${stat(m.returns)}`,
        `  episode length     ${stat(m.lengths)}`,
        `  infos              ${m.infos ? "recorded" : "not recorded"}`,
        `  recorded by        ${JSON.stringify(m.source)} at ${m.createdAt}`,
        `  chunks             ${m.chunks.length} (${m.chunks.reduce((a, c) => a + c.bytes, 0)} bytes${flags.verify ? ", SHA-256 checked" : ""})`,
      ];
      console.log(lines.join("\n"));
    });
}

function describe(m: DatasetManifest): string {
  return `${m.episodes} episodes, ${m.steps} steps of ${m.envId}, return ${stat(m.returns)}`;
}

function stat(s: Summary): string {
  return `${s.mean.toFixed(2)} ± ${s.std.toFixed(2)} [${s.min.toFixed(2)}, ${s.max.toFixed(2)}]`;
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
}
