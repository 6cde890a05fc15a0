/**
 * The compare page's hyperparameter table: one row per selected run, a column for each config
 * field whose value differs between them (what the comparison is about), and the run's score;
 * sortable by any column.
 */
import type { RunDetail, ScoresResponse } from "../types.js";
import { h, replaceChildren } from "./dom.js";
import { formatReturn } from "./format.js";

type Cell = string | number | null;

interface Column {
  key: string;
  label: string;
  numeric: boolean;
  value(run: RunDetail): Cell;
}

const scoreNote = (evaluated: boolean) =>
  `score: mean return of each run's last 100 training episodes${evaluated ? "; greedy eval: the mean return of the final policy's greedy evaluation episodes that tsrl compare recorded (what it decides on)" : ""}.`;

/** Sort state survives redraws (live updates) of the page. */
const sort = { key: "score", descending: true };

const show = (v: unknown): string => (v === undefined ? "–" : typeof v === "string" ? v : JSON.stringify(v));

/**
 * Config fields whose values differ between the runs that have them (a field only one
 * algorithm has, at one value, is not a difference worth a column).
 */
export function differingFields(runs: readonly RunDetail[]): string[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config)))].sort();
  return keys.filter((k) => k !== "seed" && new Set(runs.filter((r) => k in r.config).map((r) => JSON.stringify(r.config[k]))).size > 1);
}

export function renderHyperparameters(card: HTMLElement, runs: readonly RunDetail[], response: Pick<ScoresResponse, "scores" | "evaluations">): void {
  if (runs.length < 2) return void replaceChildren(card);
  const { scores, evaluations } = response;
  const fields = differingFields(runs);
  const evaluated = runs.some((r) => evaluations[r.id] !== null && evaluations[r.id] !== undefined);
  const columns: Column[] = [
    { key: "name", label: "Run", numeric: false, value: (r) => r.name },
    { key: "score", label: "Score (training)", numeric: true, value: (r) => scores[r.id] ?? null },
    ...(evaluated ? [{ key: "eval", label: "Greedy eval", numeric: true, value: (r: RunDetail) => evaluations[r.id] ?? null }] : []),
    ...(["algo", "env"] as const).filter((k) => new Set(runs.map((r) => r[k])).size > 1).map((k) => ({ key: k, label: k, numeric: false, value: (r: RunDetail) => r[k] })),
    { key: "seed", label: "seed", numeric: true, value: (r) => r.seed },
    ...fields.map((k) => ({ key: `config.${k}`, label: k, numeric: runs.every((r) => typeof r.config[k] === "number" || r.config[k] === undefined), value: (r: RunDetail) => (typeof r.config[k] === "number" ? (r.config[k] as number) : r.config[k] === undefined ? null : show(r.config[k])) })),
  ];
  const column = columns.find((c) => c.key === sort.key) ?? columns.at(-1)!;
  const rows = [...runs].sort((a, b) => {
    const va = column.value(a), vb = column.value(b);
    if (va === vb) return 0;
    if (va === null) return 1; // missing values last either way
    if (vb === null) return -1;
    return (va < vb ? -1 : 1) * (sort.descending ? -1 : 1);
  });
  const header = columns.map((c) =>
    h("th", {
      class: `sortable${c.numeric ? " num" : ""}`,
      "data-sort": c.key,
      "aria-sort": c.key === column.key ? (sort.descending ? "descending" : "ascending") : "none",
      onclick: () => {
        sort.descending = sort.key === c.key ? !sort.descending : c.numeric;
        sort.key = c.key;
        renderHyperparameters(card, runs, response);
      },
    }, c.label, h("span", { class: "arrow" }, c.key === column.key ? (sort.descending ? " ↓" : " ↑") : "")));
  const cell = (c: Column, r: RunDetail) => {
    const v = c.value(r);
    if (c.key === "name") return h("td", { class: "name" }, h("a", { href: `#/run/${encodeURIComponent(r.id)}` }, r.name));
    if (c.key === "score" || c.key === "eval") return h("td", { class: "num" }, formatReturn(v as number | null));
    return h("td", { class: c.numeric ? "num" : "" }, v === null ? "–" : String(v));
  };
  replaceChildren(card,
    h("h2", null, "Hyperparameters"),
    h("p", { class: "muted" }, fields.length
      ? `Config fields that differ between the ${runs.length} runs (the rest are the same); ${scoreNote(evaluated)} Click a column to sort.`
      : `The ${runs.length} runs share every config field but the seed; ${scoreNote(evaluated)}`),
    h("div", { class: "card-table" }, h("table", { class: "hp-table", "data-role": "hparams" }, h("thead", null, h("tr", null, header)), h("tbody", null, rows.map((r) => h("tr", { "data-run": r.id }, columns.map((c) => cell(c, r))))))),
  );
}
