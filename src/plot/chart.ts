/**
 * ECharts options for learning curves: one line per run, or per group a mean line with a shaded
 * confidence band (drawn as a stacked pair: an invisible lower line plus the band's height).
 * The same options render server-side to SVG (`tsrl plot`) and live in the dashboard.
 */
import type { EChartsOption, SeriesOption } from "echarts";
import type { GroupCurve, RunSeries } from "./curves.js";

/** A colour-blind-friendly palette (Okabe–Ito), then echarts' own. */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000", "#5470c6", "#91cc75", "#fac858", "#ee6666"];

/** The i-th series' colour: the palette, then hues a golden angle apart, so 30 runs get 30 colours. */
export function seriesColor(i: number): string {
  return i < PALETTE.length ? PALETTE[i]! : `hsl(${Math.round(((i - PALETTE.length) * 137.508 + 20) % 360)}, 62%, 42%)`;
}

export interface CurveChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** interactive extras for the browser (tooltip; zoom by dragging over the plot or with the slider, not the wheel, which scrolls the page); off for static files */
  interactive?: boolean;
  /** chart width in px, for server-side rendering where echarts cannot measure text */
  width?: number;
}

function frame(o: CurveChartOptions, legend: string[]): EChartsOption {
  // Few entries fit in a row under the chart; more go in a column on the right, sized to the longest name.
  const side = legend.length > 3;
  const textWidth = Math.min(260, 7.5 * Math.max(0, ...legend.map((l) => l.length)));
  const legendWidth = textWidth + 40;
  const common = { data: legend, itemGap: side ? 10 : 24, icon: "roundRect", itemWidth: 22, itemHeight: 4, type: "scroll" as const, textStyle: { width: textWidth, overflow: "truncate" as const } };
  return {
    animation: false,
    backgroundColor: "#ffffff",
    color: PALETTE,
    title: { text: o.title, subtext: o.subtitle, left: "center", textStyle: { fontSize: 16 }, subtextStyle: { fontSize: 12, color: "#555" } },
    legend: side ? { ...common, orient: "vertical", top: "middle", ...(o.width ? { left: o.width - legendWidth } : { right: 10 }) } : { ...common, bottom: 4 },
    grid: { left: 70, right: side ? legendWidth + 20 : 30, top: o.subtitle ? 70 : 55, bottom: side ? 50 : 75, containLabel: false },
    // the x axis stays at the bottom (echarts draws it through y = 0 when the values cross zero)
    xAxis: { type: "value", name: o.xLabel, nameLocation: "middle", nameGap: 28, scale: false, splitLine: { show: false }, axisLine: { onZero: false } },
    yAxis: { type: "value", name: o.yLabel, nameLocation: "middle", nameGap: 50, scale: true },
    ...(o.interactive
      ? {
          tooltip: { trigger: "axis" },
          dataZoom: [{ type: "slider", bottom: side ? 8 : 30, height: 18 }],
          // drag across the plot to zoom into x (the page keeps the cursor in this mode); the icon undoes it
          // (no "restore": echarts would redraw the first option the chart was given, stale on a live run)
          toolbox: { right: 10, top: 0, itemSize: 12, feature: { dataZoom: { yAxisIndex: "none", title: { zoom: "drag to zoom", back: "undo zoom" } } } },
        }
      : {}),
  };
}

/**
 * Explicit y bounds for a (nearly) constant series: echarts would span its last-bit rounding
 * noise (0.04999999999999996 to 0.05000000000000001) and draw it as a cliff.
 */
function flatRange(values: Iterable<number>): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(min <= max) || max - min > 1e-9 * Math.max(Math.abs(min), Math.abs(max))) return null;
  const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
  const round = (v: number) => Number(v.toPrecision(12)); // 0.055, not 0.055000000000000004
  return { min: round(min - pad), max: round(max + pad) };
}

function withYRange(option: EChartsOption, values: Iterable<number>): EChartsOption {
  const range = flatRange(values);
  return range ? { ...option, yAxis: { ...(option.yAxis as object), ...range } } : option;
}

/** One line per run. */
export function runsChart(runs: readonly RunSeries[], o: CurveChartOptions): EChartsOption {
  const series: SeriesOption[] = runs.map((r, i) => ({
    type: "line",
    name: r.label,
    showSymbol: false,
    lineStyle: { width: 1.5 },
    color: r.color ?? seriesColor(i),
    data: r.points.map((p) => [p.x, p.y]),
  }));
  return withYRange({ ...frame(o, runs.map((r) => r.label)), series }, runs.flatMap((r) => r.points.map((p) => p.y)));
}

/** Per group: the mean line and its confidence band. */
export function groupsChart(groups: readonly GroupCurve[], o: CurveChartOptions): EChartsOption {
  const series: SeriesOption[] = [];
  groups.forEach((g, i) => {
    const color = g.color ?? seriesColor(i);
    const stack = `band-${i}`;
    series.push(
      // stackStrategy "all": echarts stacks only same-sign values by default, which breaks bands below 0
      { type: "line", name: `${g.label} band`, stack, stackStrategy: "all", data: g.x.map((x, j) => [x, g.lower[j]!]), showSymbol: false, lineStyle: { opacity: 0 }, color, silent: true, tooltip: { show: false } },
      { type: "line", name: `${g.label} band`, stack, stackStrategy: "all", data: g.x.map((x, j) => [x, g.upper[j]! - g.lower[j]!]), showSymbol: false, lineStyle: { opacity: 0 }, areaStyle: { color, opacity: 0.18 }, color, silent: true, tooltip: { show: false } },
      { type: "line", name: g.label, data: g.x.map((x, j) => [x, g.mean[j]!]), showSymbol: false, lineStyle: { width: 2 }, color, z: 3 },
    );
  });
  return withYRange({ ...frame(o, groups.map((g) => g.label)), series }, groups.flatMap((g) => [...g.lower, ...g.upper]));
}
