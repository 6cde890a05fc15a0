/**
 * The compare page's statistics: per group, the runs' scores as mean ± std and IQM with a 95%
 * stratified-bootstrap interval (tsrl's stats, run in the page), and the AdaStop decisions of
 * `tsrl compare` comparisons that hold these runs. A score is the greedy evaluation `tsrl compare`
 * recorded when every run has one (what its decisions are made on), else the mean return of the
 * run's last 100 training episodes.
 */
import { aggregateIqm } from "../../stats/aggregates.js";
import { intervalEstimate } from "../../stats/bootstrap.js";
import { meanStd } from "../../stats/describe.js";
import type { RunDetail, ScoresResponse } from "../types.js";
import { h, replaceChildren } from "./dom.js";

const BOOTSTRAP_REPS = 10_000;

const fixed = (x: number) => (Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(2));

export function renderStats(card: HTMLElement, runs: readonly RunDetail[], data: ScoresResponse, label: ((run: RunDetail) => string) | null): void {
  const parts: HTMLElement[] = [h("h2", null, "Statistics")];
  if (!label) {
    parts.push(h("p", { class: "muted" }, "Group the runs (e.g. by algo) to see each group's IQM with a 95% bootstrap confidence interval."));
  } else {
    // Returns of different envs are on different scales: never pool them.
    const manyEnvs = new Set(runs.map((r) => r.env)).size > 1;
    const groupOf = (run: RunDetail) => (manyEnvs && label(run) !== run.env ? `${label(run)} · ${run.env}` : label(run));
    const evaluated = runs.every((r) => typeof data.evaluations[r.id] === "number");
    const groups = new Map<string, number[]>();
    for (const run of runs) {
      const score = evaluated ? data.evaluations[run.id] : data.scores[run.id];
      if (score === null || score === undefined) continue;
      groups.set(groupOf(run), [...(groups.get(groupOf(run)) ?? []), score]);
    }
    const rows = [...groups].map(([name, scores]) => {
      const { mean, std } = meanStd(scores);
      const iqm = intervalEstimate(scores.map((s) => [s]), aggregateIqm, { reps: BOOTSTRAP_REPS, seed: 0 });
      return h("tr", { "data-group": name }, h("td", null, name), h("td", { class: "num" }, scores.length), h("td", { class: "num" }, `${fixed(mean)} ± ${fixed(std)}`), h("td", { class: "num" }, `${fixed(iqm.estimate)} [${fixed(iqm.lower)}, ${fixed(iqm.upper)}]`));
    });
    parts.push(
      h("p", { class: "muted", "data-role": "score-definition" }, `Score: ${evaluated ? "the greedy evaluation of a run's final policy that tsrl compare recorded (eval/mean_return)" : "mean return of a run's last 100 training episodes"}. IQM: mean of the middle 50% of the scores; interval: percentile bootstrap, ${BOOTSTRAP_REPS.toLocaleString("en-US")} resamples.`),
      rows.length
        ? h("table", { class: "stats-table", "data-stats": "groups" }, h("thead", null, h("tr", null, h("th", null, "group"), h("th", { class: "num" }, "runs"), h("th", { class: "num" }, "score mean ± std"), h("th", { class: "num" }, "IQM [95% CI]"))), h("tbody", null, rows))
        : h("p", { class: "muted" }, "No episodes recorded yet."),
    );
  }
  for (const c of data.comparisons) {
    parts.push(
      h("h3", null, `AdaStop: ${c.name}`),
      h("p", { class: "muted" }, `${c.env}, ${c.agents.join(" vs ")}: ${c.finished ? "finished" : "still running"} after interim ${c.interim} of ${c.nGroups} (tsrl compare)`),
      h("table", { class: "stats-table", "data-stats": "adastop" }, h("tbody", null, Object.entries(c.decisions).map(([pair, decision]) => h("tr", null, h("td", null, pair), h("td", null, h("span", { class: `decision ${decision}` }, decision)))))),
    );
  }
  replaceChildren(card, parts);
}
