/** The runs table: sort, filter, select several, open one or compare them. */
import type { ChangeEvent, RunSummary } from "../types.js";
import { api } from "./api.js";
import { type AppContext, type Page, throttle } from "./app.js";
import { type Child, h, replaceChildren } from "./dom.js";
import { formatDate, formatDuration, formatInt, formatReturn } from "./format.js";

interface Column {
  key: string;
  label: string;
  numeric?: boolean;
  sortValue(r: RunSummary): string | number | null;
  cell(r: RunSummary): Child;
}

export function statusBadge(status: string): HTMLElement {
  return h("span", { class: `badge ${status}` }, status);
}

const COLUMNS: Column[] = [
  { key: "name", label: "Name", sortValue: (r) => r.name.toLowerCase(), cell: (r) => h("span", null, h("a", { href: `#/run/${encodeURIComponent(r.id)}`, title: r.notes ? `${r.name}\n\n${r.notes}` : r.name }, r.name), r.tags.map((t) => h("span", { class: "tag", "data-tag": t }, t))) },
  { key: "algo", label: "Algo", sortValue: (r) => r.algo, cell: (r) => r.algo },
  { key: "env", label: "Env", sortValue: (r) => r.env, cell: (r) => r.env },
  { key: "seed", label: "Seed", numeric: true, sortValue: (r) => r.seed, cell: (r) => String(r.seed) },
  { key: "status", label: "Status", sortValue: (r) => r.status, cell: (r) => statusBadge(r.status) },
  { key: "steps", label: "Steps", numeric: true, sortValue: (r) => r.steps, cell: (r) => formatInt(r.steps) },
  { key: "finalReturn", label: "Final return", numeric: true, sortValue: (r) => r.finalReturn, cell: (r) => formatReturn(r.finalReturn) },
  { key: "wallSeconds", label: "Wall time", numeric: true, sortValue: (r) => r.wallSeconds, cell: (r) => formatDuration(r.wallSeconds) },
  { key: "startedAt", label: "Started", sortValue: (r) => r.startedAt, cell: (r) => formatDate(r.startedAt) },
];

/** Sort order and filter survive leaving the page and coming back. */
const view = { sort: "startedAt", descending: true, filter: "", status: "", tag: "" };

export function runsPage(root: HTMLElement, ctx: AppContext): Page {
  let runs: RunSummary[] = [];
  const search = h("input", { type: "search", placeholder: "Filter by name, algo, env, config…", value: view.filter, "aria-label": "filter runs", oninput: () => ((view.filter = search.value), renderRows()) });
  const statusSelect = h(
    "select",
    { "aria-label": "status", onchange: () => ((view.status = statusSelect.value), renderRows()) },
    ["", "running", "finished", "failed", "killed"].map((s) => h("option", { value: s, selected: s === view.status }, s || "any status")),
  );
  const tagSelect = h("select", { "aria-label": "tag", "data-control": "tag", onchange: () => ((view.tag = tagSelect.value), renderRows()) });
  const count = h("span", { class: "muted", "data-role": "count" });
  const compare = h("button", { class: "btn primary", type: "button", "data-action": "compare", onclick: () => ctx.navigate(`#/compare?runs=${[...ctx.selection].join(",")}`) });
  const clear = h("button", { class: "btn", type: "button", onclick: () => (ctx.selection.clear(), renderRows()) }, "Clear selection");
  const selectAll = h("input", { type: "checkbox", "aria-label": "select all shown runs", onchange: () => {
    for (const r of visible()) selectAll.checked ? ctx.selection.add(r.id) : ctx.selection.delete(r.id);
    renderRows();
  } });
  const head = h("tr");
  const body = h("tbody");
  const table = h("table", { id: "runs-table" }, h("thead", null, head), body);
  const tableArea = h("div");

  replaceChildren(
    root,
    h("div", { class: "stack" },
      h("div", { class: "page-head" }, h("div", null, h("h1", null, "Runs"), h("div", { class: "muted" }, ctx.status.store.dir))),
      h("div", { class: "card toolbar" }, search, statusSelect, tagSelect, count, h("span", { class: "grow" }), clear, compare),
      tableArea,
    ),
  );

  function visible(): RunSummary[] {
    const terms = view.filter.toLowerCase().split(/\s+/).filter(Boolean);
    const column = COLUMNS.find((c) => c.key === view.sort) ?? COLUMNS[0]!;
    const shown = runs.filter((r) => {
      if (view.status && r.status !== view.status) return false;
      if (view.tag && !r.tags.includes(view.tag)) return false;
      const text = `${r.id} ${r.name} ${r.algo} ${r.env} seed=${r.seed} ${r.status} ${r.tags.map((t) => `#${t}`).join(" ")} ${r.notes} ${JSON.stringify(r.config)}`.toLowerCase();
      return terms.every((t) => text.includes(t));
    });
    return shown.sort((a, b) => {
      const va = column.sortValue(a), vb = column.sortValue(b);
      if (va === vb) return 0;
      if (va === null) return 1; // missing values last in both directions
      if (vb === null) return -1;
      return (va < vb ? -1 : 1) * (view.descending ? -1 : 1);
    });
  }

  function renderHead(): void {
    replaceChildren(
      head,
      h("th", { class: "check" }, selectAll),
      COLUMNS.map((c) =>
        h("th", {
          class: `sortable${c.numeric ? " num" : ""}`,
          "data-sort": c.key,
          "aria-sort": view.sort === c.key ? (view.descending ? "descending" : "ascending") : "none",
          onclick: () => {
            view.descending = view.sort === c.key ? !view.descending : c.numeric === true;
            view.sort = c.key;
            renderHead();
            renderRows();
          },
        }, c.label, h("span", { class: "arrow" }, view.sort === c.key ? (view.descending ? " ↓" : " ↑") : "")),
      ),
    );
  }

  function renderRows(): void {
    const shown = visible();
    replaceChildren(
      body,
      shown.map((r) => {
        const checkbox = h("input", { type: "checkbox", checked: ctx.selection.has(r.id), "aria-label": "select run", onchange: () => {
          checkbox.checked ? ctx.selection.add(r.id) : ctx.selection.delete(r.id);
          renderRows();
        } });
        return h("tr", { class: ctx.selection.has(r.id) ? "selected" : "", "data-run": r.id },
          h("td", { class: "check" }, checkbox),
          COLUMNS.map((c) => h("td", { class: c.numeric ? "num" : c.key === "name" ? "name" : "" }, c.cell(r))),
        );
      }),
    );
    const selected = runs.filter((r) => ctx.selection.has(r.id)).length;
    count.textContent = `${shown.length} of ${runs.length} run${runs.length === 1 ? "" : "s"}${selected ? ` · ${selected} selected` : ""}`;
    compare.textContent = selected > 1 ? `Compare ${selected} runs` : "Compare";
    compare.disabled = selected === 0;
    clear.disabled = selected === 0;
    selectAll.checked = shown.length > 0 && shown.every((r) => ctx.selection.has(r.id));
    selectAll.indeterminate = !selectAll.checked && shown.some((r) => ctx.selection.has(r.id));
  }

  async function load(): Promise<void> {
    try {
      runs = await api.runs();
    } catch (err) {
      replaceChildren(tableArea, h("div", { class: "banner error" }, `Could not read the runs: ${(err as Error).message}`));
      return;
    }
    for (const id of [...ctx.selection]) if (!runs.some((r) => r.id === id)) ctx.selection.delete(id);
    if (runs.length === 0) {
      replaceChildren(tableArea, emptyStore(ctx.status.store.dir, "No runs in this store yet"));
    } else if (!tableArea.contains(table)) {
      replaceChildren(tableArea, h("div", { class: "table-wrap" }, table));
    }
    renderTagChoices();
    renderHead();
    renderRows();
  }

  /** Every tag in the store, to filter by (a chosen tag no run has any more is kept, so the filter shows why the table is empty). */
  function renderTagChoices(): void {
    const tags = [...new Set([...runs.flatMap((r) => r.tags), ...(view.tag ? [view.tag] : [])])].sort();
    replaceChildren(tagSelect, h("option", { value: "" }, "any tag"), tags.map((t) => h("option", { value: t, selected: t === view.tag }, t)));
    tagSelect.hidden = tags.length === 0;
  }

  const reload = throttle(() => void load(), 1000);
  void load();
  return { onChange: (_e: ChangeEvent) => reload() };
}

/** Help for a store with nothing to show yet. */
export function emptyStore(dir: string, title: string, detail?: string): HTMLElement {
  return h("div", { class: "card empty" },
    h("h2", null, title),
    detail ? h("p", { class: "muted" }, detail) : null,
    h("p", { class: "muted" }, "Train something into it; this page updates by itself when runs appear:"),
    h("pre", null, `npx tsrl train ppo --env CartPole-v1 --store ${/[\s"'$]/.test(dir) ? JSON.stringify(dir) : dir}`),
  );
}
