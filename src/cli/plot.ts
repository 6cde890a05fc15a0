/** `tsrl plot`: learning curves of stored runs to SVG or PNG. */
import { type Command, Option } from "commander";
import { extname } from "node:path";
import { writeFileAtomic } from "../node/atomic-write.js";
import { learningCurveChart, renderSvg, svgToPng } from "../track/plot.js";
import { RunStore, StoreError, storeDirectory } from "../track/store.js";
import { integer } from "./options.js";

interface PlotFlags {
  out: string;
  metric?: string;
  x: "steps" | "wall";
  groupBy?: string;
  smooth?: number;
  title?: string;
  width: number;
  height: number;
  store?: string;
}

export function registerPlot(program: Command): void {
  program
    .command("plot")
    .description("Plot learning curves of runs (one line per run, or mean and 95% CI per group) to an SVG or PNG file")
    .argument("<runs...>", "run ids, id prefixes or names")
    .requiredOption("-o, --out <file>", "output file: .svg or .png")
    .option("--metric <key>", "what to plot: episodic_return or a metric key (see tsrl runs show)", "episodic_return")
    .addOption(new Option("--x <axis>", "x axis: env steps or wall-clock seconds").choices(["steps", "wall"]).default("steps"))
    .option("--group-by <key>", "average runs that share algo, env, or a config key (e.g. learningRate), with a confidence band")
    .option("--smooth <n>", "trailing mean over n points (default: 20 episodes for returns, 1 for metrics)", integer("--smooth", 1))
    .option("--title <text>", "chart title (default: env and metric)")
    .option("--width <px>", "width in CSS pixels", integer("--width", 200), 900)
    .option("--height <px>", "height in CSS pixels", integer("--height", 150), 540)
    .option("--store <dir>", "run store directory (default: $TSRL_STORE or ./tsrl-runs)")
    .action(async (ids: string[], flags: PlotFlags) => {
      const format = extname(flags.out).toLowerCase();
      if (format !== ".svg" && format !== ".png") throw new StoreError(`--out must end in .svg or .png, got "${flags.out}"`);
      const store = new RunStore(storeDirectory(flags.store), { create: false });
      // the same run named twice (by id and by name) is drawn once
      const runs = [...new Map(ids.map((id) => store.getRun(id)).map((r) => [r.id, r])).values()];
      const option = learningCurveChart(store, runs, { metric: flags.metric, x: flags.x, groupBy: flags.groupBy, smooth: flags.smooth, title: flags.title, width: flags.width });
      store.close();
      const svg = renderSvg(option, { width: flags.width, height: flags.height });
      writeFileAtomic(flags.out, format === ".svg" ? svg : await svgToPng(svg, flags.width * 2));
      console.log(`wrote ${flags.out} (${runs.length} run${runs.length === 1 ? "" : "s"})`);
    });
}
