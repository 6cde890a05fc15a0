/**
 * Compare runs: every metric with the selected runs overlaid, or grouped (by algo, env, seed or
 * any config key) as the mean with a 95% confidence band across the group's runs.
 */
import { EPISODE_LENGTH, EPISODIC_RETURN, type ChangeEvent, type RunDetail, type RunSeriesData, type ScoresResponse } from "../types.js";
import { api } from "./api.js";
import { type AppContext, type Page, RELOAD_MIN_GAP_MS, ReloadPacer, throttle } from "./app.js";
import { ChartView, type XAxis, compareChart, paletteColors, toPoints } from "./charts.js";
import { h, replaceChildren, segmented } from "./dom.js";
import { renderHyperparameters } from "./hparams-card.js";
import { renderStats } from "./stats-card.js";

const settings: { x: XAxis; smoothing: number } = { x: "steps", smoothing: 10 };
/** Points per run: enough for a sharp line, few enough that 100 runs still draw at once. */
const pointsPerRun = (runs: number) => Math.min(1500, Math.max(200, Math.floor(40_000 / runs)));

interface CompareChart {
  key: string;
  view: ChartView;
  note: HTMLElement;
  data: RunSeriesData[] | null;
  pacer: ReloadPacer;
}

/** The label a run has in a group-by (the same rule as `tsrl plot --group-by`). */
export function groupLabel(run: RunDetail, key: string): string {
  if (key === "algo" || key === "env" || key === "name") return run[key];
  if (key === "seed") return String(run.seed);
  return key in run.config ? `${key}=${JSON.stringify(run.config[key])}` : `${key}=(unset)`;
}

export function comparePage(root: HTMLElement, ctx: AppContext, params: URLSearchParams): Page {
  const ids = (params.get("runs") ?? [...ctx.selection].join(",")).split(",").filter(Boolean);
  let groupBy = params.get("group") ?? "";
  if (ids.length === 0) {
    replaceChildren(root, h("div", { class: "card empty" }, h("h2", null, "Nothing to compare yet"), h("p", { class: "muted" }, "Tick runs in the runs table, then press Compare."), h("a", { class: "btn primary", href: "#/" }, "Go to the runs table")));
    return {};
  }
  for (const id of ids) ctx.selection.add(id);
  let runs: RunDetail[] = [];
  const charts = new Map<string, CompareChart>();
  const wide = h("div", { class: "charts wide" });
  const grid = h("div", { class: "charts" });
  const chips = h("div", { class: "meta" });
  const statsCard = h("div", { class: "card", "data-card": "stats" });
  const hparamsCard = h("div", { class: "card", "data-card": "hparams" });
  let scores: ScoresResponse | null = null;
  const groupSelect = h("select", { "aria-label": "group by", "data-control": "group-by", onchange: () => {
    groupBy = groupSelect.value;
    const q = new URLSearchParams({ runs: ids.join(",") });
    if (groupBy) q.set("group", groupBy);
    history.replaceState(null, "", `#/compare?${q}`);
    redrawAll();
  } });
  const smoothingValue = h("span", { class: "mono" }, String(settings.smoothing));
  const smoothing = h("input", { type: "range", min: 1, max: 100, value: String(settings.smoothing), "aria-label": "smoothing", oninput: () => {
    settings.smoothing = Number(smoothing.value);
    smoothingValue.textContent = smoothing.value;
    redrawAll();
  } });
  const visibility = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const chart = [...charts.values()].find((c) => c.view.el === entry.target);
      if (entry.isIntersecting && chart && !chart.data) chart.pacer.request(() => loadChart(chart), true);
    }
  }, { rootMargin: "200px" });

  replaceChildren(
    root,
    h("div", { class: "stack" },
      h("div", { class: "card" }, h("h1", null, `Compare ${ids.length} run${ids.length === 1 ? "" : "s"}`), chips),
      h("div", { class: "card toolbar" },
        h("label", { class: "field" }, "group by", groupSelect),
        h("span", { class: "field" }, "x axis", segmented<XAxis>([["steps", "Steps"], ["wall", "Wall clock"]], settings.x, (x) => ((settings.x = x), redrawAll()), "x axis")),
        h("label", { class: "field" }, "smoothing", smoothing, smoothingValue),
      ),
      statsCard,
      hparamsCard,
      wide,
      grid,
    ),
  );

  function drawStats(): void {
    if (!scores) return;
    renderStats(statsCard, runs, scores, groupBy ? (run) => groupLabel(run, groupBy) : null);
    renderHyperparameters(hparamsCard, runs, scores);
  }

  async function loadStats(): Promise<void> {
    try {
      scores = await api.scores(ids);
      drawStats();
    } catch (err) {
      replaceChildren(statsCard, h("div", { class: "banner error" }, `Could not compute the statistics: ${(err as Error).message}`));
    }
  }

  function addChart(key: string, into: HTMLElement): void {
    if (charts.has(key)) return;
    const el = h("div", { class: "chart", "data-chart": key });
    const note = h("div", { class: "chart-note" });
    into.append(h("div", { class: "chart-card" }, el, note));
    charts.set(key, { key, view: new ChartView(el), note, data: null, pacer: new ReloadPacer() });
    visibility.observe(el);
  }

  /** Resolves with what the read cost the server (ms), for the pacer. */
  async function loadChart(chart: CompareChart): Promise<number | void> {
    let ms: number;
    try {
      ({ series: chart.data, ms } = await api.seriesWithCost(ids, chart.key, pointsPerRun(ids.length)));
    } catch (err) {
      chart.note.textContent = `Could not load: ${(err as Error).message}`;
      return;
    }
    chart.note.textContent = chart.data.some((s) => s.sampled) ? "sampled from more rows: open a run and zoom in for full detail" : "";
    draw(chart);
    return ms;
  }

  function draw(chart: CompareChart): void {
    const byId = new Map(runs.map((r) => [r.id, r]));
    // Colours by the page's runs (or groups), not by the chart's: a metric only some runs log keeps them.
    const runColors = paletteColors(runs.map((r) => r.id));
    const groupColors = paletteColors(groupBy ? [...new Set(runs.map((r) => groupLabel(r, groupBy)))].sort() : []);
    const series = chart.data!.filter((s) => byId.has(s.run) && s.steps.length > 0).map((s) => {
      const run = byId.get(s.run)!;
      return { label: run.name, points: toPoints(s, settings.x), color: runColors.get(run.id), group: groupBy ? groupLabel(run, groupBy) : undefined };
    });
    const label = chart.key === EPISODIC_RETURN ? "episodic return" : chart.key === EPISODE_LENGTH ? "episode length" : chart.key;
    const drawn = compareChart(label, series, { ...settings, grouped: groupBy !== "", groupBy, groupColors, legend: chart.key === EPISODIC_RETURN });
    chart.view.show(drawn.option, drawn.points);
  }

  function redrawAll(): void {
    for (const chart of charts.values()) if (chart.data) draw(chart);
    drawStats();
  }

  async function load(): Promise<void> {
    try {
      runs = await Promise.all(ids.map((id) => api.run(id)));
    } catch (err) {
      replaceChildren(chips, h("div", { class: "banner error" }, `Could not read the runs: ${(err as Error).message}`));
      return;
    }
    replaceChildren(chips, runs.map((r) => h("a", { class: "chip", href: `#/run/${encodeURIComponent(r.id)}` }, r.name)));
    const configKeys = [...new Set(runs.flatMap((r) => Object.keys(r.config)))].sort();
    const choices = ["algo", "env", "seed", ...configKeys.filter((k) => !["algo", "env", "seed"].includes(k))];
    if (groupBy && !choices.includes(groupBy)) choices.push(groupBy);
    replaceChildren(groupSelect, h("option", { value: "" }, "none (one line per run)"), choices.map((k) => h("option", { value: k, selected: k === groupBy }, k)));
    addChart(EPISODIC_RETURN, wide);
    const keys = [...new Set(runs.flatMap((r) => r.metricKeys))].sort();
    for (const key of [EPISODE_LENGTH, ...keys]) addChart(key, grid);
    void loadStats();
  }

  const changed = new Set<string>();
  const refresh = throttle(() => {
    for (const chart of charts.values()) if (chart.data) chart.pacer.request(() => loadChart(chart));
    void loadStats();
    // the runs that changed may have logged a first value of a metric: give it a chart
    const stale = [...changed];
    changed.clear();
    if (runs.length === 0) return; // still loading: load() adds every chart
    void Promise.all(stale.map((id) => api.run(id))).then((fresh) => {
      runs = runs.map((r) => fresh.find((f) => f.id === r.id) ?? r);
      for (const key of [...new Set(runs.flatMap((r) => r.metricKeys))].sort()) addChart(key, grid);
    }, () => undefined); // the next change retries
  }, RELOAD_MIN_GAP_MS);

  void load();
  return {
    onChange: (e: ChangeEvent) => {
      const ours = e.runs.filter((id) => ids.includes(id));
      for (const id of ours) changed.add(id);
      if (ours.length) refresh();
    },
    dispose: () => {
      visibility.disconnect();
      for (const chart of charts.values()) {
        chart.pacer.cancel();
        chart.view.dispose();
      }
    },
  };
}
