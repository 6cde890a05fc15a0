/** `tsrl report`: a markdown results table with learning-curve plots. */
import type { Command } from "commander";
import { writeFileAtomic } from "../node/atomic-write.js";
import { buildReport } from "../track/report.js";
import { RunStore, StoreError, storeDirectory } from "../track/store.js";
import { integer } from "./options.js";

interface ReportFlags {
  out: string;
  groupBy: string;
  env?: string;
  algo?: string;
  title?: string;
  plots: boolean;
  reps: number;
  store?: string;
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("Write a markdown results table (mean ± std over seeds of the last-100-episode return, IQM with its 95% CI, wall-clock) with linked SVG learning curves")
    .argument("[runs...]", "run ids, id prefixes or names (default: every finished run, after --env/--algo)")
    .requiredOption("-o, --out <file>", "the markdown file; plots go beside it as <name>-<env>.svg")
    .option("--group-by <key>", "table columns: algo, env, name, seed or a config key", "algo")
    .option("--env <id>", "only runs on this env")
    .option("--algo <name>", "only runs of this algorithm")
    .option("--title <text>", "report title", "Results")
    .option("--no-plots", "no SVG plots")
    .option("--reps <n>", "bootstrap resamples of the IQM intervals (rliable uses 50000)", integer("--reps", 1), 10_000)
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .action((ids: string[], flags: ReportFlags) => {
      if (!flags.out.endsWith(".md")) throw new StoreError(`--out must be a .md file, got "${flags.out}"`);
      const store = new RunStore(storeDirectory(flags.store), { create: false });
      let runs = ids.length ? ids.map((id) => store.getRun(id)) : store.listRuns({ env: flags.env, algo: flags.algo, status: "finished" });
      if (ids.length) runs = runs.filter((r) => (!flags.env || r.env === flags.env) && (!flags.algo || r.algo === flags.algo));
      if (runs.length === 0) throw new StoreError(`no ${ids.length ? "matching" : "finished"} runs in ${store.dir} to report on`);
      const report = buildReport(store, runs, { groupBy: flags.groupBy, title: flags.title, plotPrefix: flags.plots ? flags.out.slice(0, -3) : undefined, bootstrapReps: flags.reps });
      store.close();
      for (const plot of report.plots) writeFileAtomic(plot.file, plot.svg);
      writeFileAtomic(flags.out, report.markdown);
      console.log(`wrote ${flags.out}${report.plots.length ? ` and ${report.plots.length} plot${report.plots.length > 1 ? "s" : ""}` : ""} (${runs.length} runs)`);
    });
}
