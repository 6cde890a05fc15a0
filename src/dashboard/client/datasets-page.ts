/** The store's datasets: a table of them, and a dataset's page with its return and length histograms. */
import type { EChartsOption } from "echarts";
import type { DatasetDetail, DatasetSummary } from "../types.js";
import { api } from "./api.js";
import { type AppContext, type Page, throttle } from "./app.js";
import { ChartView } from "./charts.js";
import { h, keyValueGrid, keyValueTable, replaceChildren } from "./dom.js";
import { formatBytes, formatDate, formatInt, formatReturn } from "./format.js";

/** What recorded a dataset, in a few words, from its manifest's `source`. */
export function recordedBy(source: Record<string, unknown> | undefined): string {
  if (!source) return "–";
  if (Array.isArray(source.merged)) return `merge of ${source.merged.map((m) => String((m as { name?: unknown }).name)).join(", ")}`;
  if (typeof source.policy === "string") return `${source.policy}${source.stochastic ? " (stochastic)" : ""}${source.seed !== undefined ? `, seed ${String(source.seed)}` : ""}`;
  return JSON.stringify(source);
}

export function datasetsPage(root: HTMLElement, _ctx: AppContext): Page {
  const area = h("div");
  const dirNote = h("div", { class: "muted" });
  replaceChildren(root, h("div", { class: "stack" }, h("div", { class: "page-head" }, h("div", null, h("h1", null, "Datasets"), dirNote)), area));
  let disposed = false;

  async function load(): Promise<void> {
    let list: { dir: string; datasets: DatasetSummary[] };
    try {
      list = await api.datasets();
    } catch (err) {
      replaceChildren(area, h("div", { class: "banner error" }, `Could not read the datasets: ${(err as Error).message}`));
      return;
    }
    if (disposed) return;
    dirNote.textContent = list.dir;
    if (list.datasets.length === 0) {
      replaceChildren(area, h("div", { class: "card empty" },
        h("h2", null, "No datasets in this store yet"),
        h("p", { class: "muted" }, "Record one; it appears here:"),
        h("pre", null, "npx tsrl record --policy random --env Pendulum-v1 --episodes 50 --out pendulum-random"),
      ));
      return;
    }
    const num = (text: string) => h("td", { class: "num" }, text);
    replaceChildren(area, h("div", { class: "table-wrap" }, h("table", { id: "datasets-table" },
      h("thead", null, h("tr", null, ["Name", "Env", "Episodes", "Steps", "Return mean", "min", "max", "Recorded by", "Created"].map((label, i) => h("th", { class: i >= 2 && i <= 6 ? "num" : "" }, label)))),
      h("tbody", null, list.datasets.map((d) => d.error
        ? h("tr", { "data-dataset": d.name, class: "damaged" }, h("td", { class: "name" }, d.name), h("td", { colspan: 8 }, h("span", { class: "badge damaged" }, "damaged"), " ", d.error))
        : h("tr", { "data-dataset": d.name },
          h("td", { class: "name" }, h("a", { href: `#/dataset/${encodeURIComponent(d.name)}` }, d.name)),
          h("td", null, d.envId ?? "–"),
          num(formatInt(d.episodes ?? 0)),
          num(formatInt(d.steps ?? 0)),
          num(formatReturn(d.returns?.mean ?? null)),
          num(formatReturn(d.returns?.min ?? null)),
          num(formatReturn(d.returns?.max ?? null)),
          h("td", null, recordedBy(d.source)),
          h("td", null, formatDate(d.createdAt ?? null)),
        ))),
    )));
  }

  // a store change (a run's rows, usually) may come with a new dataset: look again, at most every 5 s
  const reload = throttle(() => void load(), 5000);
  void load();
  return { onChange: () => reload(), dispose: () => (disposed = true) };
}

/** Bars over a histogram's bins, labelled by their ranges (lengths: whole numbers, "200" or "180–199"). */
export function histogramChart(title: string, hist: { edges: number[]; counts: number[] }, o: { integer: boolean; xLabel: string }): EChartsOption {
  const labels = hist.counts.map((_, i) => {
    const lo = hist.edges[i]!, hi = hist.edges[i + 1]!;
    if (o.integer) return hi - lo === 1 ? String(lo) : `${lo}–${hi - 1}`;
    const digits = Math.abs(hi - lo) >= 10 ? 0 : Math.abs(hi - lo) >= 1 ? 1 : 3;
    return `${lo.toFixed(digits)} – ${hi.toFixed(digits)}`;
  });
  return {
    animation: false,
    title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14, fontWeight: 600 } },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 56, right: 24, top: 48, bottom: 64 },
    xAxis: { type: "category", data: labels, name: o.xLabel, nameLocation: "middle", nameGap: 40, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", name: "episodes", minInterval: 1 },
    series: [{ type: "bar", name: "episodes", data: hist.counts, barCategoryGap: "8%", color: "#2563eb" }],
  };
}

export function datasetPage(root: HTMLElement, _ctx: AppContext, name: string): Page {
  const charts: ChartView[] = [];
  replaceChildren(root, h("div", { class: "card muted" }, `Loading dataset ${name}…`));

  async function load(): Promise<void> {
    let d: DatasetDetail;
    try {
      d = await api.dataset(name);
    } catch (err) {
      replaceChildren(root, h("div", { class: "card empty", "data-role": "dataset-error" }, h("h2", null, `Dataset ${name}`), h("div", { class: "banner error" }, (err as Error).message), h("p", null, h("a", { href: "#/datasets" }, "All datasets"))));
      return;
    }
    if (disposed) return;
    const returnsEl = h("div", { class: "chart", "data-chart": "returns" });
    const lengthsEl = h("div", { class: "chart", "data-chart": "lengths" });
    replaceChildren(root, h("div", { class: "stack" },
      h("div", { class: "card" },
        h("div", { class: "page-head" }, h("div", null, h("h1", { "data-role": "dataset-name" }, d.name), h("div", { class: "muted" },
          `${d.envId} · ${formatInt(d.episodes)} episodes · ${formatInt(d.steps)} steps · return ${formatReturn(d.returns.mean)} ± ${formatReturn(d.returns.std)} (min ${formatReturn(d.returns.min)}, max ${formatReturn(d.returns.max)}) · length ${formatReturn(d.lengths.mean)} (${d.lengths.min}–${d.lengths.max})`))),
      ),
      h("div", { class: "charts", "data-section": "histograms" },
        h("div", { class: "chart-card" }, returnsEl, h("div", { class: "chart-note" }, `${formatInt(d.episodes)} episodes`)),
        h("div", { class: "chart-card" }, lengthsEl, h("div", { class: "chart-note" }, `${formatInt(d.episodes)} episodes`)),
      ),
      h("div", { class: "grid-2" },
        h("div", { class: "card", "data-card": "spaces" }, h("h2", null, "Spaces"), keyValueTable([
          ["observation", d.observationSpace.text], ["action", d.actionSpace.text],
          ["flattened observation floats", d.obsSize], ["flattened action floats", d.actionSize],
          ["env module", d.envModule ?? "built-in"],
        ])),
        h("div", { class: "card", "data-card": "provenance" }, h("h2", null, "Recorded by"), h("p", null, recordedBy(d.source)), keyValueGrid([
          ["source", d.source], ["created", d.createdAt], ["chunks", d.chunks], ["size", formatBytes(d.bytes)], ["infos recorded", d.infos],
        ])),
      ),
    ));
    const returns = new ChartView(returnsEl), lengths = new ChartView(lengthsEl);
    charts.push(returns, lengths);
    returns.show(histogramChart("Episode returns", d.returnHistogram, { integer: false, xLabel: "return" }), d.returnHistogram.counts.length);
    lengths.show(histogramChart("Episode lengths", d.lengthHistogram, { integer: true, xLabel: "steps" }), d.lengthHistogram.counts.length);
  }

  let disposed = false;
  void load();
  return { dispose: () => ((disposed = true), charts.forEach((c) => c.dispose())) };
}
