/**
 * Markdown results tables in the style of Open RL Benchmark's compare tables: per env (rows) and
 * group (columns), the mean over runs of each run's score (mean return of its last 100
 * episodes) ± the standard deviation over runs, the run count and wall-clock; one learning-curve
 * SVG per env beside the report. Runs are averaged only with runs of the same config: a group
 * whose runs differ in other fields (a budget, a learning rate) is split by those fields.
 */
import { aggregateIqm } from "../stats/aggregates.js";
import { intervalEstimate } from "../stats/bootstrap.js";
import { meanStd } from "../stats/describe.js";
import { groupValue, learningCurveChart, renderSvg } from "./plot.js";
import { type RunRecord, type RunStore, displayStatus } from "./store.js";

export const SCORE_EPISODES = 100;
const DEFAULT_BOOTSTRAP_REPS = 10_000;

export interface ReportOptions {
  /** column key: algo (default), env, name, seed or a config key */
  groupBy?: string;
  title?: string;
  /** file name prefix of the plots, e.g. "report" gives report-CartPole-v1.svg; none: no plots */
  plotPrefix?: string;
  /** bootstrap resamples of the IQM intervals (default 10 000) */
  bootstrapReps?: number;
}

export interface Report {
  markdown: string;
  plots: { file: string; svg: string }[];
}

/** A run's score: the mean return of its last 100 episodes (NaN without episodes). */
export function runScore(store: RunStore, run: RunRecord, episodes = SCORE_EPISODES): number {
  return store.recentMeanReturn(run.id, episodes);
}

/** Training seconds: the summary's, else the wall time of the run's latest row (killed or running runs). */
export function runWallSeconds(store: RunStore, run: RunRecord): number {
  const wall = run.summary?.wall_s;
  return typeof wall === "number" ? wall : store.lastWall(run.id);
}

/**
 * Text from the store (names, env and algo ids, config values) as inert markdown: HTML is shown,
 * not rendered (markdown viewers pass raw HTML through), and table cells are not broken.
 */
export function cell(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|").replace(/[\r\n]/g, " ");
}

export function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Config fields that never split a group: the seed (what runs of a group vary) and the env (the rows). */
const NOT_SPLIT = new Set(["seed", "envId"]);

/**
 * Per group (`groupBy` value): the config fields in which its runs on one env differ. Runs
 * that differ in them are not repetitions of one experiment, so the report splits the group.
 */
export function splitFields(runs: readonly RunRecord[], groupBy: string): Map<string, string[]> {
  // fields compared within one env (envs have defaults of their own), collected per group
  const cells = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const cell = JSON.stringify([r.env, groupValue(r, groupBy)]);
    cells.set(cell, [...(cells.get(cell) ?? []), r]);
  }
  const split = new Map<string, Set<string>>();
  for (const members of cells.values()) {
    const group = groupValue(members[0]!, groupBy);
    for (const key of new Set(members.flatMap((r) => Object.keys(r.config)))) {
      if (NOT_SPLIT.has(key) || key === groupBy.replace(/^config\./, "")) continue;
      if (new Set(members.map((r) => JSON.stringify(r.config[key]))).size > 1) split.set(group, (split.get(group) ?? new Set()).add(key));
    }
  }
  return new Map([...split].sort(([a], [b]) => (a < b ? -1 : 1)).map(([group, fields]) => [group, [...fields].sort()]));
}

/** A run's column: its `groupBy` value, with the values of the fields its group is split by. */
export function columnLabel(run: RunRecord, groupBy: string, split: ReadonlyMap<string, readonly string[]>): string {
  const base = groupValue(run, groupBy);
  const fields = split.get(base) ?? [];
  return fields.length ? `${base} (${fields.map((k) => `${k}=${JSON.stringify(run.config[k]) ?? "unset"}`).join(", ")})` : base;
}

/** "n = 1, no interval" where one run cannot give a spread. */
const SINGLE_RUN = "n = 1, no interval";

export function buildReport(store: RunStore, runs: readonly RunRecord[], options: ReportOptions = {}): Report {
  const groupBy = options.groupBy ?? "algo";
  const reps = options.bootstrapReps ?? DEFAULT_BOOTSTRAP_REPS;
  const envs = [...new Set(runs.map((r) => r.env))].sort();
  const split = splitFields(runs, groupBy);
  const label = (r: RunRecord) => columnLabel(r, groupBy, split);
  const groups = [...new Set(runs.map(label))].sort();
  const scores = new Map(runs.map((r) => [r.id, runScore(store, r)]));
  const lines: string[] = [`# ${cell(options.title ?? "Results")}`, ""];
  lines.push(
    `Score: mean episodic return of each run's last ${SCORE_EPISODES} training episodes; cells show the mean ± standard deviation over runs (n = runs). ` +
      `Columns are grouped by \`${groupBy}\`${split.size ? `; runs that differ in other config fields are not averaged together: ${[...split].map(([g, fields]) => `${cell(g)} is split by ${fields.map((k) => `\`${cell(k)}\``).join(", ")}`).join("; ")}` : ""}. ` +
      `${runs.length} runs, made with tsrl ${[...new Set(runs.map((r) => cell(String(r.versions.tsrl))))].join(", ")}.`,
    "",
  );
  const header = (first: string) => [`| ${first} | ${groups.map(cell).join(" | ")} |`, `|---|${groups.map(() => "---|").join("")}`];
  const table = (first: string, value: (members: RunRecord[]) => string) => {
    lines.push(...header(first));
    for (const env of envs) {
      const cells = groups.map((g) => {
        const members = runs.filter((r) => r.env === env && label(r) === g);
        return members.length ? value(members) : "–";
      });
      lines.push(`| ${cell(env)} | ${cells.join(" | ")} |`);
    }
    lines.push("");
  };
  lines.push("## Score", "");
  table("env", (members) => {
    const valid = members.map((r) => scores.get(r.id)!).filter((s) => !Number.isNaN(s));
    if (valid.length === 0) return "no episodes";
    const { mean, std } = meanStd(valid);
    return valid.length === 1 ? `${mean.toFixed(2)} (${SINGLE_RUN})` : `${mean.toFixed(2)} ± ${std.toFixed(2)} (n = ${valid.length})`;
  });
  lines.push("## IQM [95% CI]", "", `Interquartile mean of the scores over runs, with a stratified-bootstrap percentile interval (${reps.toLocaleString("en-US")} resamples, seeded).`, "");
  table("env", (members) => {
    const valid = members.map((r) => scores.get(r.id)!).filter((s) => !Number.isNaN(s));
    if (valid.length === 0) return "no episodes";
    if (valid.length === 1) return `${valid[0]!.toFixed(2)} (${SINGLE_RUN})`;
    const iqm = intervalEstimate(valid.map((v) => [v]), aggregateIqm, { reps, seed: 0 });
    return `${iqm.estimate.toFixed(2)} [${iqm.lower.toFixed(2)}, ${iqm.upper.toFixed(2)}]`;
  });
  lines.push("## Wall-clock per run (s)", "");
  table("env", (members) => {
    const { mean, std } = meanStd(members.map((r) => runWallSeconds(store, r)));
    return members.length === 1 ? mean.toFixed(1) : `${mean.toFixed(1)} ± ${std.toFixed(1)}`;
  });
  const plots: Report["plots"] = [];
  if (options.plotPrefix !== undefined) {
    lines.push("## Learning curves", "");
    for (const env of envs) {
      const file = `${options.plotPrefix}-${fileSafe(env)}.svg`;
      const envRuns = runs.filter((r) => r.env === env);
      plots.push({ file, svg: renderSvg(learningCurveChart(store, envRuns, { groupBy, groupLabel: label, width: 900 }), { width: 900, height: 540 }) });
      lines.push(`![${cell(env)}](${encodeURI(file.split("/").pop()!)})`, "");
    }
  }
  lines.push("## Runs", "", "| run | env | " + cell(groupBy) + " | seed | status | score | wall s |", "|---|---|---|---|---|---|---|");
  for (const r of runs) {
    const score = scores.get(r.id)!;
    lines.push(`| ${cell(r.name)} (\`${r.id}\`) | ${cell(r.env)} | ${cell(label(r))} | ${r.seed} | ${displayStatus(r.status, r.versions)} | ${Number.isNaN(score) ? "–" : score.toFixed(2)} | ${runWallSeconds(store, r).toFixed(1)} |`);
  }
  lines.push("");
  return { markdown: lines.join("\n"), plots };
}
