/** One run: its charts (every metric, the episodes), config, versions and artifacts. */
import { EPISODE_LENGTH, EPISODIC_RETURN, type ChangeEvent, type RunDetail, type RunSeriesData } from "../types.js";
import { ApiError, api } from "./api.js";
import { type AppContext, type Page, RELOAD_MIN_GAP_MS, ReloadPacer, throttle } from "./app.js";
import { ChartView, type XAxis, singleRunChart, toPoints } from "./charts.js";
import { h, keyValueGrid, keyValueTable, replaceChildren, segmented } from "./dom.js";
import { type LabelContext, nameHeading, notesCard, tagEditor } from "./labels.js";
import { formatBytes, formatDate, formatDuration, formatInt, formatReturn } from "./format.js";
import { statusBadge } from "./runs-page.js";
import { isTextAlgo } from "../../llm/text-algos.js";

const POINTS = 1500;
const settings: { x: XAxis; smoothing: number } = { x: "steps", smoothing: 10 };

interface MetricChart {
  key: string;
  view: ChartView;
  note: HTMLElement;
  data: RunSeriesData | null;
  /** full-detail rows of the zoomed-in step range, when `data` is a sample */
  detail: RunSeriesData | null;
  pacer: ReloadPacer;
}

export function runPage(root: HTMLElement, ctx: AppContext, id: string): Page {
  const charts = new Map<string, MetricChart>();
  const head = h("div", { class: "card" });
  const episodeGrid = h("div", { class: "charts", "data-section": "episodes" });
  const metricGrid = h("div", { class: "charts", "data-section": "metrics" });
  const details = h("div", { class: "stack" });
  const smoothingValue = h("span", { class: "mono" }, String(settings.smoothing));
  const smoothing = h("input", { type: "range", min: 1, max: 100, value: String(settings.smoothing), "aria-label": "smoothing", oninput: () => {
    settings.smoothing = Number(smoothing.value);
    smoothingValue.textContent = smoothing.value;
    redrawAll();
  } });
  const toolbar = h("div", { class: "card toolbar" },
    h("span", { class: "field" }, "x axis", segmented<XAxis>([["steps", "Steps"], ["wall", "Wall clock"]], settings.x, (x) => ((settings.x = x), redrawAll()), "x axis")),
    h("label", { class: "field" }, "smoothing", smoothing, smoothingValue),
    h("span", { class: "grow" }),
    h("span", { class: "muted", "data-role": "live-note" }),
  );
  let detail: RunDetail | null = null;
  const labels: LabelContext = {
    editable: ctx.status.allowEdit,
    saved: (run) => {
      if (!detail) return;
      detail = { ...detail, name: run.name, tags: run.tags, notes: run.notes };
      renderHead(detail);
      renderDetails(detail);
    },
  };
  const layout = h("div", { class: "stack" }, head, toolbar, h("h2", null, "Episodes"), episodeGrid, h("h2", null, "Metrics"), metricGrid, details);
  replaceChildren(root, layout);

  function addChart(key: string, grid: HTMLElement): void {
    if (charts.has(key)) return;
    const el = h("div", { class: "chart", "data-chart": key });
    const note = h("div", { class: "chart-note" });
    grid.append(h("div", { class: "chart-card" }, el, note));
    const chart: MetricChart = { key, view: new ChartView(el), note, data: null, detail: null, pacer: new ReloadPacer() };
    charts.set(key, chart);
    chart.pacer.request(() => loadChart(chart), true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    chart.view.chart.on("datazoom", () => {
      clearTimeout(timer);
      timer = setTimeout(() => void loadDetailOfZoom(chart), 250);
    });
  }

  /** A sampled series zoomed in on steps: fetch the visible range, which has fewer rows, in full. */
  async function loadDetailOfZoom(chart: MetricChart): Promise<void> {
    if (!chart.data?.sampled || settings.x !== "steps") return;
    const zoom = (chart.view.chart.getOption() as { dataZoom?: { start?: number; end?: number; startValue?: number; endValue?: number }[] }).dataZoom?.[0];
    if (!zoom || zoom.startValue === undefined || zoom.endValue === undefined) return;
    if ((zoom.start ?? 0) <= 0 && (zoom.end ?? 100) >= 100) {
      chart.detail = null;
    } else {
      [chart.detail] = await api.series([id], chart.key, POINTS, { from: zoom.startValue, to: zoom.endValue });
    }
    draw(chart);
  }

  /** Resolves with what the read cost the server (ms), for the pacer. */
  async function loadChart(chart: MetricChart): Promise<number | void> {
    try {
      const { series, ms } = await api.seriesWithCost([id], chart.key, POINTS);
      [chart.data] = series;
      chart.detail = null;
      draw(chart);
      return ms;
    } catch (err) {
      chart.note.textContent = `Could not load: ${(err as Error).message}`;
    }
  }

  function draw(chart: MetricChart): void {
    const data = chart.data!;
    const label = chart.key === EPISODIC_RETURN ? "episodic return" : chart.key === EPISODE_LENGTH ? "episode length" : chart.key;
    let points = toPoints(data, settings.x);
    const detail = chart.detail && settings.x === "steps" ? toPoints(chart.detail, "steps") : null;
    if (detail?.length) {
      const from = detail[0]!.x, to = detail.at(-1)!.x;
      points = [...points.filter((p) => p.x < from), ...detail, ...points.filter((p) => p.x > to)];
    }
    const drawn = singleRunChart(label, points, settings);
    chart.view.show(drawn.option, drawn.points);
    const sampled = detail ? chart.detail!.sampled : data.sampled;
    chart.note.textContent = data.steps.length === 0 ? "no points yet" : `${formatInt(drawn.points)} points${sampled ? ", sampled from more rows (zoom in for full detail)" : ""}`;
  }

  function redrawAll(): void {
    for (const chart of charts.values()) if (chart.data) draw(chart);
  }

  function renderHead(run: RunDetail): void {
    const chip = (label: string, value: string) => h("span", { class: "chip" }, h("b", null, label), value);
    const policy = run.artifacts.find((a) => a.kind === "policy");
    const checkpoint = run.artifacts.filter((a) => a.kind === "checkpoint").at(-1);
    const replayHash = !isTextAlgo(run.algo) && (policy ? `#/replay/${run.id}` : checkpoint ? `#/replay/${run.id}?checkpoint=${checkpoint.step}` : null);
    const selected = ctx.selection.has(run.id);
    replaceChildren(
      head,
      h("div", { class: "page-head" },
        h("div", null,
          h("div", { class: "row" }, nameHeading(run, labels), statusBadge(run.status)),
          h("div", { class: "meta" },
            chip("id", run.id), chip("algo", run.algo), chip("env", run.env), chip("seed", String(run.seed)),
            chip("steps", formatInt(run.steps)), isTextAlgo(run.algo) ? chip("held-out accuracy", typeof run.summary?.accuracy_final === "number" ? `${(100 * run.summary.accuracy_final).toFixed(1)} %` : "-") : chip(run.status === "running" ? "recent return" : "final return", formatReturn(run.finalReturn)), chip("wall", formatDuration(run.wallSeconds)),
            chip("episodes", formatInt(run.episodes)), chip("started", formatDate(run.startedAt)),
          ),
          tagEditor(run, labels),
        ),
        h("div", { class: "row" },
          replayHash ? h("a", { class: "btn primary", href: replayHash }, "▶ Replay policy") : null,
          h("button", { class: "btn", type: "button", onclick: () => {
            selected ? ctx.selection.delete(run.id) : ctx.selection.add(run.id);
            renderHead(run);
          } }, selected ? "✓ Selected for compare" : "Select for compare"),
          ctx.status.allowDelete ? h("button", { class: "btn danger", type: "button", onclick: () => void remove(run) }, "Delete") : null,
        ),
      ),
      run.error ? h("div", { class: "banner error spaced" }, `Failed: ${run.error}`) : null,
    );
    const note = toolbar.querySelector<HTMLElement>("[data-role=live-note]")!;
    note.textContent = run.status === "running" ? "● live: charts update as the run logs" : "";
  }

  async function remove(run: RunDetail): Promise<void> {
    if (!confirm(`Delete run ${run.name} (${run.id}) with its rows and files? This cannot be undone.`)) return;
    try {
      await api.deleteRun(run.id);
      ctx.selection.delete(run.id);
      ctx.navigate("#/");
    } catch (err) {
      alert(`Could not delete: ${(err as Error).message}`);
    }
  }

  function renderDetails(run: RunDetail): void {
    const artifacts = run.artifacts.length
      ? h("div", { class: "card-table" }, h("table", { "data-role": "artifacts" },
          h("thead", null, h("tr", null, h("th", null, "Kind"), h("th", { class: "num" }, "Step"), h("th", { class: "num" }, "Size"), h("th", null, "Saved"), h("th", null, ""))),
          h("tbody", null, [...run.artifacts].reverse().map((a) =>
            h("tr", { "data-artifact": `${a.kind}-${a.step}` },
              h("td", null, a.kind), h("td", { class: "num" }, formatInt(a.step)), h("td", { class: "num" }, formatBytes(a.bytes)), h("td", null, formatDate(a.createdAt)),
              h("td", null, h("div", { class: "row nowrap" },
                isTextAlgo(run.algo) ? null : h("a", { class: "btn small", href: a.kind === "policy" ? `#/replay/${run.id}` : `#/replay/${run.id}?checkpoint=${a.step}` }, "Replay"),
                h("a", { class: "btn small", href: api.artifactUrl(run.id, a.kind, a.step), download: "" }, "Download"),
              )),
            ),
          )),
        ))
      : h("p", { class: "muted" }, run.status !== "running" ? "This run saved no checkpoint or policy." : run.checkpointEvery ? "No checkpoint yet." : "This run writes no checkpoints; its policy is saved when it ends.");
    // Every config field shows (no scroll box): the config is what a run is.
    replaceChildren(
      details,
      h("div", { class: "card", "data-card": "config" }, h("h2", null, `Config (${Object.keys(run.config).length} fields)`), keyValueGrid(Object.entries(run.config))),
      h("div", { class: "grid-2" },
        h("div", { class: "stack" },
          h("div", { class: "card", "data-card": "artifacts" }, h("h2", null, "Checkpoints and policy"), artifacts),
          notesCard(run, labels),
        ),
        run.summary ? h("div", { class: "card", "data-card": "summary" }, h("h2", null, "Summary"), keyValueTable(Object.entries(run.summary))) : null,
      ),
      isTextAlgo(run.algo) && run.artifacts.length ? samplesCard : null,
      h("div", { class: "card", "data-card": "versions" }, h("h2", null, "Versions"), keyValueGrid(Object.entries(run.versions))),
    );
    if (isTextAlgo(run.algo) && run.artifacts.length) void loadSamples(run);
  }

  // an sft/grpo run's model answering a few held-out problems; text set as text (a completion is whatever the model wrote)
  const samplesCard = h("div", { class: "card", "data-card": "samples" });
  let samplesFrom = "";
  async function loadSamples(run: RunDetail): Promise<void> {
    const newest = run.artifacts.at(-1)!;
    const from = `${newest.kind}-${newest.step}`;
    if (from === samplesFrom) return;
    samplesFrom = from;
    try {
      const { source, samples, rollouts } = await api.samples(run.id);
      replaceChildren(samplesCard, h("h2", null, `Sample completions (greedy, held-out problems, ${source})`),
        h("div", { class: "card-table" }, h("table", { "data-role": "samples" },
          h("thead", null, h("tr", null, h("th", null, "Prompt"), h("th", null, "Completion"), h("th", { class: "num" }, "Reward"))),
          h("tbody", null, samples.map((x) => h("tr", null, h("td", { class: "mono" }, escapeControls(x.prompt)), h("td", { class: "mono" }, escapeControls(x.completion)), h("td", { class: "num" }, x.reward.toFixed(2))))))),
        rollouts.length ? h("h2", null, "Training rollouts (sampled, newest first)") : null,
        rollouts.length ? h("div", { class: "card-table" }, h("table", { "data-role": "rollouts" },
          h("thead", null, h("tr", null, h("th", { class: "num" }, "Step"), h("th", null, "Prompt"), h("th", null, "Completion"), h("th", { class: "num" }, "Reward"))),
          h("tbody", null, rollouts.map((x) => h("tr", null, h("td", { class: "num" }, String(x.step)), h("td", { class: "mono" }, escapeControls(x.prompt)), h("td", { class: "mono" }, escapeControls(x.completion)), h("td", { class: "num" }, x.reward.toFixed(2))))))) : null);
    } catch (err) {
      replaceChildren(samplesCard, h("h2", null, "Sample completions"), h("p", { class: "muted" }, (err as Error).message));
    }
  }

  async function loadDetail(): Promise<void> {
    try {
      detail = await api.run(id);
    } catch (err) {
      const missing = err instanceof ApiError && err.status === 404;
      if (detail && !missing) return; // a refresh that failed for now: keep what is shown
      // no run (or no store): a page that says so, not empty chart sections
      for (const chart of charts.values()) {
        chart.pacer.cancel();
        chart.view.dispose();
      }
      charts.clear();
      replaceChildren(root, h("div", { class: "card empty", "data-role": "run-error" },
        h("h2", null, missing ? "No such run" : "Cannot show this run"),
        h("p", { class: "muted" }, (err as Error).message),
        h("a", { class: "btn primary", href: "#/" }, "All runs")));
      return;
    }
    if (!layout.isConnected) replaceChildren(root, layout); // back from the error page
    renderHead(detail);
    addChart(EPISODIC_RETURN, episodeGrid);
    addChart(EPISODE_LENGTH, episodeGrid);
    for (const key of detail.metricKeys) addChart(key, metricGrid);
    if (detail.metricKeys.length === 0 && !metricGrid.hasChildNodes()) metricGrid.append(h("p", { class: "muted" }, "No metrics logged."));
    else metricGrid.querySelector(":scope > p")?.remove();
    renderDetails(detail);
  }

  const refresh = throttle(() => {
    void loadDetail();
    for (const chart of charts.values()) if (chart.data) chart.pacer.request(() => loadChart(chart));
  }, RELOAD_MIN_GAP_MS);

  void loadDetail();
  return {
    onChange: (e: ChangeEvent) => {
      if (e.runs.includes(id) || e.list) refresh();
    },
    dispose: () => {
      for (const chart of charts.values()) {
        chart.pacer.cancel();
        chart.view.dispose();
      }
    },
  };
}

/** Control characters as escapes (\n, \t, \xNN): a completion's line breaks are shown, not applied. */
function escapeControls(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}
