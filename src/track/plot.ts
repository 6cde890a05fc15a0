/** Learning-curve plots of stored runs, rendered server-side: SVG by echarts, PNG by resvg. */
import * as echarts from "echarts";
import type { EChartsOption } from "echarts";
import { groupsChart, runsChart } from "../plot/chart.js";
import { GROUP_BAND, groupCurve, type Point, type RunSeries, smooth, thin } from "../plot/curves.js";
import { type RunRecord, type RunStore, StoreError } from "./store.js";

export const EPISODIC_RETURN = "episodic_return";

export interface PlotOptions {
  /** `episodic_return` (default) or any metric key of the runs */
  metric?: string;
  x?: "steps" | "wall";
  /** "algo", "env", "name", or a config key such as "learningRate"; none plots one line per run */
  groupBy?: string;
  /** the group of a run (default: its `groupBy` value); the report splits groups by differing config fields */
  groupLabel?: (run: RunRecord) => string;
  /** trailing mean over this many points (default: 20 for returns, 1 for metrics) */
  smooth?: number;
  title?: string;
  /** chart width in px (lays out the legend for server-side rendering) */
  width?: number;
}

/** The value a run has for a --group-by key: a run column or a config field. */
export function groupValue(run: RunRecord, key: string): string {
  if (key === "algo" || key === "env" || key === "name" || key === "seed") return String(run[key]);
  const configKey = key.replace(/^config\./, "");
  if (configKey in run.config) return `${configKey}=${JSON.stringify(run.config[configKey])}`;
  throw new StoreError(`--group-by "${key}": run ${run.id} has no such field; use algo, env, name, seed or a config key (${Object.keys(run.config).join(", ")})`);
}

/** Builds the chart options for `runs` (looked up already) from the store's rows. */
export function learningCurveChart(store: RunStore, runs: readonly RunRecord[], options: PlotOptions = {}): EChartsOption {
  const metric = options.metric ?? EPISODIC_RETURN;
  const xKind = options.x ?? "steps";
  const window = options.smooth ?? (metric === EPISODIC_RETURN ? 20 : 1);
  const series: RunSeries[] = runs.map((run) => {
    let points: Point[];
    if (metric === EPISODIC_RETURN) {
      points = store.episodes(run.id).map((e) => ({ x: xKind === "steps" ? e.step : e.wall, y: e.return }));
    } else {
      const rows = store.metrics(run.id, metric).filter((m) => m.value !== null);
      if (rows.length === 0) throw new StoreError(`run ${run.id} (${run.name}) has no metric "${metric}"; it has: ${store.metricKeys(run.id).join(", ") || "none"}`);
      points = rows.map((m) => ({ x: xKind === "steps" ? m.step : m.wall, y: m.value }));
    }
    return { label: run.name, points: smooth(points, window) };
  });
  if (metric === EPISODIC_RETURN && series.every((s) => s.points.length === 0)) {
    throw new StoreError(`no episodes recorded in ${runs.length === 1 ? `run ${runs[0]!.id}` : `any of the ${runs.length} runs`} yet; plot a metric with --metric KEY (tsrl runs show lists them)`);
  }
  const envs = [...new Set(runs.map((r) => r.env))];
  const what = metric === EPISODIC_RETURN ? "episodic return" : metric;
  const yLabel = window > 1 ? `${what} (mean of last ${window})` : what;
  const xLabel = xKind === "steps" ? "environment steps" : "wall-clock time (s)";
  const title = options.title ?? `${envs.join(", ")}: ${what}`;
  if (!options.groupBy) {
    return runsChart(series.map((s) => ({ ...s, points: thin(s.points, 1500) })), { title, xLabel, yLabel, width: options.width, subtitle: `${runs.length} run${runs.length === 1 ? "" : "s"}` });
  }
  const groups = new Map<string, Point[][]>();
  runs.forEach((run, i) => {
    const key = options.groupLabel ? options.groupLabel(run) : groupValue(run, options.groupBy!);
    groups.set(key, [...(groups.get(key) ?? []), series[i]!.points]);
  });
  const curves = [...groups].map(([label, members]) => groupCurve(`${label} (n = ${members.length})`, members));
  return groupsChart(curves, { title, xLabel, yLabel, width: options.width, subtitle: `grouped by ${options.groupBy}: ${GROUP_BAND}` });
}

export function renderSvg(option: EChartsOption, size = { width: 900, height: 540 }): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Rasterizes an SVG at 2× for sharp text; resvg is loaded only when a PNG is asked for. */
export async function svgToPng(svg: string, width = 1800): Promise<Uint8Array> {
  const { Resvg } = await import("@resvg/resvg-js");
  const png = new Resvg(svg, { fitTo: { mode: "width", value: width }, font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" }, background: "#ffffff" }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
