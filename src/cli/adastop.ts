/**
 * `tsrl adastop compare|status|reset|plot`: AdaStop on scores from anywhere, one interim per
 * call, like the reference tool (TimotheeMathieu/adastop's CLI): the first CSV has N rows for
 * every agent, later ones columns only for the agents still in an undecided comparison. The
 * state file carries the test from call to call; it is written only after a call succeeds.
 */
import { type Command, Option } from "commander";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { writeFileAtomic } from "../node/atomic-write.js";
import { adastopChart } from "../plot/adastop-chart.js";
import { AdaStop } from "../stats/adastop.js";
import { parseScoresTable } from "../stats/csv.js";
import { renderSvg, svgToPng } from "../track/plot.js";
import { integer } from "./options.js";

const DEFAULT_STATE = ".adastop.json";
const FOLDER_HELP = "the folder holding the state file (.adastop.json, or --state's name), as the reference tool takes it; compare writes it in the current folder unless --state says otherwise";

/** The reference tool names a folder (`adastop status FOLDER`); tsrl's default is --state. */
function statePath(folder: string | undefined, state: string): string {
  return folder === undefined ? state : join(folder, basename(state));
}

class AdaStopCliError extends Error {
  override name = "AdaStopCliError";
}

interface CompareFlags {
  nGroups: number;
  sizeGroup: number;
  alpha: number;
  nPermutations: number;
  compareToFirst?: boolean;
  seed: number;
  level: "reference" | "strict";
  state: string;
  json?: boolean;
}

function loadState(file: string): AdaStop | null {
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AdaStopCliError(`state file ${file} is not valid JSON (${(err as Error).message}); tsrl adastop reset --state ${file} starts over`);
  }
  try {
    return AdaStop.fromJSON(json);
  } catch (err) {
    throw new AdaStopCliError(`state file ${file}: ${(err as Error).message}; tsrl adastop reset --state ${file} starts over`);
  }
}

function requireState(file: string): AdaStop {
  const adastop = loadState(file);
  if (!adastop) throw new AdaStopCliError(`no AdaStop state at ${file}: run tsrl adastop compare first (or pass --state FILE)`);
  return adastop;
}

function result(adastop: AdaStop) {
  return { decisions: adastop.decisions, finished: adastop.isFinished, interim: adastop.interim };
}

function printDecisions(adastop: AdaStop): void {
  const { nGroups } = adastop.config;
  console.log(`interim ${adastop.interim} of ${nGroups}`);
  for (const c of adastop.comparisons) console.log(`  ${c.label}: ${c.decision}${c.decidedAt ? ` (interim ${c.decidedAt})` : ""}`);
  if (adastop.isFinished) console.log("Test is finished: every comparison is decided.");
  else console.log(`Still undecided about ${adastop.agentsToRun.join(" ")}: run ${adastop.config.sizeGroup} more seeds of them and call compare again.`);
}

export function registerAdaStop(program: Command): void {
  const adastop = program.command("adastop").description("AdaStop sequential tests on scores from a CSV, one interim per call (state kept in a file)");
  const stateOption = () => new Option("--state <file>", "the state file").default(DEFAULT_STATE);

  adastop
    .command("compare")
    .description("Add one interim of scores (N rows, one column per agent) and test; prints the decisions")
    .argument("<csv>", "scores: one column per agent with a header; pandas' index column (unnamed) is accepted")
    .option("-K, --n-groups <K>", "maximum number of interims", integer("--n-groups", 1), 5)
    .option("-N, --size-group <N>", "scores per agent per interim", integer("--size-group", 1), 5)
    .option("--alpha <level>", "family-wise level", parseFloat, 0.05)
    .option("-B, --n-permutations <B>", "permutations per test (all of them when fewer)", integer("--n-permutations", 1), 10_000)
    .option("--compare-to-first", "compare every agent to the first column only")
    .option("--seed <n>", "seed of the random permutations (numpy RandomState's)", integer("--seed", 0), 0)
    .addOption(new Option("--level <rule>", "reference: the reference's signed quantile (rejects ~2·alpha under the null for 2 agents); strict: absolute values, family-wise error ≤ alpha").choices(["reference", "strict"]).default("reference"))
    .addOption(stateOption())
    .option("--json", "print {decisions, finished, interim} as one JSON line")
    .action((csv: string, flags: CompareFlags, command: Command) => {
      let text: string;
      try {
        text = readFileSync(csv, "utf8");
      } catch (err) {
        throw new AdaStopCliError(`cannot read ${csv} (${(err as NodeJS.ErrnoException).code})`);
      }
      const existing = loadState(flags.state);
      // Columns of agents whose comparisons are all decided are ignored, as the reference does.
      const decided = new Set(existing ? existing.config.agents.filter((a) => !existing.agentsToRun.includes(a)) : []);
      const { agents, scores } = parseScoresTable(text, csv, decided);
      const wanted = { nGroups: flags.nGroups, sizeGroup: flags.sizeGroup, alpha: flags.alpha, nPermutations: flags.nPermutations, compareToFirst: flags.compareToFirst ?? false, seed: flags.seed, level: flags.level };
      let test: AdaStop;
      if (existing) {
        // Settings come from the state; a setting given again must agree with it.
        for (const [key, value] of Object.entries(wanted)) {
          const source = command.getOptionValueSource(key);
          const saved = existing.config[key as keyof typeof wanted];
          if (source === "cli" && saved !== value) throw new AdaStopCliError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(value)} differs from the state's ${String(saved)} (${flags.state}); tsrl adastop reset starts a new test`);
        }
        if (existing.isFinished) throw new AdaStopCliError(`the test in ${flags.state} is finished (${existing.interim} interims); tsrl adastop status shows it, tsrl adastop reset starts a new one`);
        test = existing;
      } else {
        test = new AdaStop({ agents, ...wanted });
      }
      test.partialCompare(scores);
      writeFileAtomic(flags.state, JSON.stringify(test.toJSON()));
      if (flags.json) console.log(JSON.stringify(result(test)));
      else printDecisions(test);
    });

  adastop
    .command("status")
    .description("Print the decisions so far")
    .argument("[folder]", FOLDER_HELP)
    .addOption(stateOption())
    .option("--json", "print {decisions, finished, interim} as one JSON line")
    .action((folder: string | undefined, flags: { state: string; json?: boolean }) => {
      const test = requireState(statePath(folder, flags.state));
      if (flags.json) console.log(JSON.stringify(result(test)));
      else printDecisions(test);
    });

  adastop
    .command("reset")
    .description("Forget the test (deletes the state file)")
    .argument("[folder]", FOLDER_HELP)
    .addOption(stateOption())
    .action((folder: string | undefined, flags: { state: string }) => {
      const state = statePath(folder, flags.state);
      const existed = existsSync(state);
      rmSync(state, { force: true });
      console.log(existed ? `removed ${resolve(state)}` : `no state at ${resolve(state)}; nothing to reset`);
    });

  adastop
    .command("plot")
    .description("Draw the decisions and the scores so far to an SVG or PNG file")
    .argument("[folder]", FOLDER_HELP)
    .requiredOption("-o, --out <file>", "output file: .svg or .png")
    .addOption(stateOption())
    .option("--title <text>", "chart title", "AdaStop comparison")
    .action(async (folder: string | undefined, flags: { out: string; state: string; title: string }) => {
      const format = extname(flags.out).toLowerCase();
      if (format !== ".svg" && format !== ".png") throw new AdaStopCliError(`--out must end in .svg or .png, got "${flags.out}"`);
      const test = requireState(statePath(folder, flags.state));
      const svg = renderSvg(adastopChart({ agents: test.config.agents, scores: test.scores, decisions: test.decisions, interim: test.interim, nGroups: test.config.nGroups, title: flags.title }), { width: 900, height: 640 });
      writeFileAtomic(flags.out, format === ".svg" ? svg : await svgToPng(svg, 1800));
      console.log(`wrote ${flags.out}`);
    });
}
