/**
 * The picture of an AdaStop comparison, like the reference's `plot_results`: a table of the
 * decisions (row agent vs column agent) above box plots of every agent's scores so far.
 */
import type { EChartsOption } from "echarts";
import type { Decision } from "../stats/adastop.js";

export interface AdaStopChartInput {
  agents: readonly string[];
  scores: Readonly<Record<string, readonly number[]>>;
  /** "A vs B" → decision */
  decisions: Readonly<Record<string, Decision>>;
  interim: number;
  nGroups: number;
  title?: string;
}

const DECISIONS: readonly Decision[] = ["larger", "smaller", "equal", "undecided"];
const DECISION_COLORS = ["#8fd9bf", "#f3b08a", "#cfcfcf", "#eeeeee"];

/** Tukey's box: quartiles by linear interpolation, whiskers at the extremes. */
export function boxStats(values: readonly number[]): [number, number, number, number, number] {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const h = (s.length - 1) * p;
    const lo = Math.floor(h);
    return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
  };
  return [s[0]!, q(0.25), q(0.5), q(0.75), s[s.length - 1]!];
}

export function adastopChart(input: AdaStopChartInput): EChartsOption {
  const { agents } = input;
  const cells: { value: [number, number, number]; label: { formatter: string } }[] = [];
  for (const [label, decision] of Object.entries(input.decisions)) {
    const [first, second] = label.split(" vs ");
    const row = agents.indexOf(first!);
    const column = agents.indexOf(second!);
    if (row < 0 || column < 0) continue;
    cells.push({ value: [column, row, DECISIONS.indexOf(decision)], label: { formatter: decision } });
  }
  const status = Object.values(input.decisions).includes("undecided") ? `after interim ${input.interim} of ${input.nGroups}: still running` : `finished after interim ${input.interim} of ${input.nGroups}`;
  return {
    animation: false,
    backgroundColor: "#ffffff",
    title: [
      { text: input.title ?? "AdaStop comparison", subtext: `${status}; a cell reads "row agent is <decision> than column agent"`, left: "center" },
    ],
    // echarts colours heatmap cells through a visual map: one colour per decision, not shown
    visualMap: { show: false, type: "piecewise", seriesIndex: 0, dimension: 2, pieces: DECISIONS.map((d, i) => ({ value: i, color: DECISION_COLORS[i] })) },
    grid: [
      { left: 140, right: 40, top: 105, height: "30%" },
      { left: 140, right: 40, top: "58%", bottom: 50 },
    ],
    xAxis: [
      { type: "category", data: [...agents], gridIndex: 0, position: "top", axisTick: { show: false }, axisLine: { show: false } },
      { type: "category", data: [...agents], gridIndex: 1, name: "agent", nameLocation: "middle", nameGap: 28 },
    ],
    yAxis: [
      { type: "category", data: [...agents], gridIndex: 0, inverse: true, axisTick: { show: false }, axisLine: { show: false } },
      { type: "value", gridIndex: 1, name: "score", nameLocation: "middle", nameGap: 50, scale: true },
    ],
    series: [
      {
        type: "heatmap",
        xAxisIndex: 0,
        yAxisIndex: 0,
        data: cells,
        label: { show: true, color: "#111", fontSize: 13 },
        itemStyle: { borderColor: "#fff", borderWidth: 3 },
      },
      {
        type: "boxplot",
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: agents.map((a) => (input.scores[a]?.length ? boxStats(input.scores[a]!) : [])),
        itemStyle: { color: "#DCEAF6", borderColor: "#0072B2" },
      },
      {
        type: "scatter",
        xAxisIndex: 1,
        yAxisIndex: 1,
        symbolSize: 6,
        itemStyle: { color: "#0072B2", opacity: 0.6 },
        data: agents.flatMap((a, i) => (input.scores[a] ?? []).map((s) => [i, s])),
      },
    ],
  };
}
