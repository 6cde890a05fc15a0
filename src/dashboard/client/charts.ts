/**
 * Charts in the page: echarts (its prebuilt browser file, loaded by the page as a global) fed
 * with the same options `tsrl plot` renders — src/plot/chart.ts with `interactive: true`.
 */
import type * as Echarts from "echarts";
import type { EChartsOption, LineSeriesOption } from "echarts";
import { groupsChart, runsChart, seriesColor } from "../../plot/chart.js";
import { type Point, type RunSeries, groupCurve, smooth } from "../../plot/curves.js";
import type { RunSeriesData } from "../types.js";
import { formatCompact, formatInt } from "./format.js";

const echarts = (globalThis as unknown as { echarts: typeof Echarts }).echarts;

export type XAxis = "steps" | "wall";

export const X_LABELS: Record<XAxis, string> = { steps: "environment steps", wall: "wall-clock time (s)" };

/** A series' points on the chosen x axis, in x order. */
export function toPoints(s: RunSeriesData, x: XAxis): Point[] {
  const points = s.steps.map((step, i) => ({ x: x === "steps" ? step : s.walls[i]!, y: s.values[i]! }));
  // Wall-clock time restarts when a run is resumed; order by it so lines do not zigzag.
  if (x === "wall") points.sort((a, b) => a.x - b.x);
  return points;
}

/** One echarts instance in `el`, resized with it. */
export class ChartView {
  readonly chart: Echarts.ECharts;
  private readonly resize: ResizeObserver;

  constructor(readonly el: HTMLElement) {
    this.chart = echarts.init(el, null, { renderer: "canvas" });
    this.chart.showLoading({ text: "", color: "#2563eb", maskColor: "rgba(255, 255, 255, 0.8)" });
    this.resize = new ResizeObserver(() => this.chart.resize());
    this.resize.observe(el);
  }

  /**
   * Shows `option`, keeping the zoom the user chose (series are replaced, the rest merged).
   * `points` (the data points drawn, bands and raw shadows aside) is published on the element
   * for tests and for the "n points" notes.
   */
  show(option: EChartsOption, points: number): void {
    this.chart.hideLoading();
    // series, legend and y axis replaced (a range set for a flat series must not outlive it); x and the zoom merged
    this.chart.setOption(option, { replaceMerge: ["series", "legend", "yAxis"] });
    // dragging over the plot zooms (a box on x), as in TensorBoard
    this.chart.dispatchAction({ type: "takeGlobalCursor", key: "dataZoomSelect", dataZoomSelectActive: true });
    this.el.dataset.points = String(points);
    this.el.dataset.renders = String(Number(this.el.dataset.renders ?? 0) + 1);
  }

  dispose(): void {
    this.resize.disconnect();
    this.chart.dispose();
  }
}

/** Compact step labels on the axis; the hovered x as "step 16,996" or "12.3 s" (echarts would print 16,996.00). */
function withStepLabels(option: EChartsOption, x: XAxis): EChartsOption {
  const hovered = (p: { value: unknown }) => (x === "steps" ? `step ${formatInt(Math.round(Number(p.value)))}` : `${Number(p.value).toFixed(1)} s`);
  const axis = { ...(option.xAxis as object), axisPointer: { label: { formatter: hovered } } };
  return { ...option, xAxis: x === "steps" ? { ...axis, axisLabel: { formatter: (v: number) => formatCompact(v) } } : axis };
}

/** The zoom slider (chart.ts's only dataZoom) `bottom` px above the chart's bottom edge. */
function sliderAt(option: EChartsOption, bottom: number): EChartsOption["dataZoom"] {
  return (option.dataZoom as object[]).map((z) => ({ ...z, bottom }));
}

/** Room between the x-axis name and the zoom slider (chart.ts lays out static plots, which have no slider). */
function clearOfSlider(option: EChartsOption): EChartsOption {
  const sideLegend = (option.legend as { orient?: string }).orient === "vertical";
  return { ...option, grid: { ...(option.grid as object), bottom: sideLegend ? 72 : 94 }, dataZoom: sliderAt(option, sideLegend ? 8 : 30) };
}

/** A small chart among many: no legend of its own (the colours are the page's), the plot fills the card. */
function compact(option: EChartsOption): EChartsOption {
  return { ...option, legend: { show: false }, grid: { left: 64, right: 24, top: 56, bottom: 62 }, dataZoom: sliderAt(option, 6) };
}

/**
 * The trailing-mean window for a series of `n` points: the slider's, but at most a fifth of the
 * series, so a metric logged a handful of times is not flattened into its running mean.
 */
export function smoothingWindow(slider: number, n: number): number {
  return Math.max(1, Math.min(slider, Math.floor(n / 5)));
}

/** A chart of one run's series: the smoothed line over the raw one in a light shade (as TensorBoard draws). */
export function singleRunChart(title: string, points: Point[], o: { x: XAxis; smoothing: number }): { option: EChartsOption; points: number } {
  const span = smoothingWindow(o.smoothing, points.length);
  const option = runsChart([{ label: title, points: smooth(points, span) }], { title, xLabel: X_LABELS[o.x], yLabel: "", interactive: true });
  const series = option.series as LineSeriesOption[];
  if (span > 1) {
    series.unshift({ type: "line", name: "raw", data: points.map((p) => [p.x, p.y]), showSymbol: false, color: series[0]!.color, lineStyle: { width: 1, opacity: 0.22 }, z: 1 });
  }
  return { option: withStepLabels({ ...option, legend: { show: false }, grid: { left: 64, right: 24, top: 48, bottom: 62 }, title: { ...(option.title as object), textStyle: { fontSize: 14, fontWeight: 600 } }, dataZoom: sliderAt(option, 6) }, o.x), points: points.length };
}

export interface CompareSeries extends RunSeries {
  /** the run's group label when grouped */
  group?: string;
}

/** A colour for each of `keys`, in order. */
export function paletteColors(keys: readonly string[]): Map<string, string> {
  return new Map(keys.map((k, i) => [k, seriesColor(i)]));
}

/**
 * Runs overlaid, or grouped (each series' `group`) as each group's mean and confidence band.
 * Each series' `color` and `groupColors` keep a run's or group's colour the same in every chart
 * of the page; `legend: false` draws a small chart without one.
 */
export function compareChart(title: string, runs: CompareSeries[], o: { x: XAxis; smoothing: number; grouped: boolean; groupBy: string; groupColors: Map<string, string>; legend: boolean }): { option: EChartsOption; points: number } {
  const spans = runs.map((r) => smoothingWindow(o.smoothing, r.points.length));
  const smoothed = runs.map((r, i) => ({ label: r.label, points: smooth(r.points, spans[i]!), color: r.color }));
  const widest = Math.max(1, ...spans);
  const yLabel = widest > 1 ? `mean of last ${spans.every((w) => w === widest) ? "" : "≤ "}${widest}` : "";
  const chartOptions = { title, xLabel: X_LABELS[o.x], yLabel, interactive: true };
  const layout = (option: EChartsOption) => (o.legend ? clearOfSlider(withStepLabels(option, o.x)) : compact(withStepLabels(option, o.x)));
  if (!o.grouped) {
    const option = runsChart(smoothed, { ...chartOptions, subtitle: `${runs.length} run${runs.length === 1 ? "" : "s"}` });
    return { option: layout(option), points: smoothed.reduce((n, r) => n + r.points.length, 0) };
  }
  const members = new Map<string, Point[][]>();
  runs.forEach((r, i) => members.set(r.group!, [...(members.get(r.group!) ?? []), smoothed[i]!.points]));
  const curves = [...members].map(([label, group]) => ({ ...groupCurve(`${label} (n = ${group.length})`, group), color: o.groupColors.get(label) }));
  const option = groupsChart(curves, { ...chartOptions, subtitle: `by ${o.groupBy}: mean, 95% bootstrap band (n ≥ 3) or range (n = 2), to the shortest run's end` });
  return { option: layout(option), points: curves.reduce((n, c) => n + c.x.length, 0) };
}
