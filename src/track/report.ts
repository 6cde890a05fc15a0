/**
 * Markdown results tables in the style of Open RL Benchmark's compare tables: per env (rows) and
 * group (columns), the mean over runs of each run's score (mean return of its last 100
 * episodes) ± the standard deviation over runs, the run count and wall-clock; one learning-curve
 * SVG per env beside the report.
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

/** Markdown table cells must not break the table. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_");
}

export function buildReport(store: RunStore, runs: readonly RunRecord[], options: ReportOptions = {}): Report {
  const groupBy = options.groupBy ?? "algo";
  const reps = options.bootstrapReps ?? DEFAULT_BOOTSTRAP_REPS;
  const envs = [...new Set(runs.map((r) => r.env))].sort();
  const groups = [...new Set(runs.map((r) => groupValue(r, groupBy)))].sort();
  const scores = new Map(runs.map((r) => [r.id, runScore(store, r)]));
  const lines: string[] = [`# ${options.title ?? "Results"}`, ""];
  lines.push(
    `Score: mean episodic return of each run's last ${SCORE_EPISODES} training episodes; cells show the mean ± standard deviation over runs (n = runs). ` +
      `Columns are grouped by \`${groupBy}\`. ${runs.length} runs, made with tsrl ${[...new Set(runs.map((r) => String(r.versions.tsrl)))].join(", ")}.`,
    "",
  );
  const header = (first: string) => [`| ${first} | ${groups.map(cell).join(" | ")} |`, `|---|${groups.map(() => "---|").join("")}`];
  const table = (first: string, value: (members: RunRecord[]) => string) => {
    lines.push(...header(first));
    for (const env of envs) {
      const cells = groups.map((g) => {
        const members = runs.filter((r) => r.env === env && groupValue(r, groupBy) === g);
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
    return `${mean.toFixed(2)} ± ${std.toFixed(2)} (n=${valid.length})`;
  });
  lines.push("## IQM [95% CI]", "", `Interquartile mean of the scores over runs, with a stratified-bootstrap percentile interval (${reps.toLocaleString("en-US")} resamples, seeded).`, "");
  table("env", (members) => {
    const valid = members.map((r) => scores.get(r.id)!).filter((s) => !Number.isNaN(s));
    if (valid.length === 0) return "no episodes";
    const iqm = intervalEstimate(valid.map((v) => [v]), aggregateIqm, { reps, seed: 0 });
    return `${iqm.estimate.toFixed(2)} [${iqm.lower.toFixed(2)}, ${iqm.upper.toFixed(2)}]`;
  });
  lines.push("## Wall-clock per run (s)", "");
  table("env", (members) => {
    const { mean, std } = meanStd(members.map((r) => runWallSeconds(store, r)));
    return `${mean.toFixed(1)} ± ${std.toFixed(1)}`;
  });
  const plots: Report["plots"] = [];
  if (options.plotPrefix !== undefined) {
    lines.push("## Learning curves", "");
    for (const env of envs) {
      const file = `${options.plotPrefix}-${fileSafe(env)}.svg`;
      const envRuns = runs.filter((r) => r.env === env);
      plots.push({ file, svg: renderSvg(learningCurveChart(store, envRuns, { groupBy, width: 900 }), { width: 900, height: 540 }) });
      lines.push(`![${cell(env)}](${encodeURI(file.split("/").pop()!)})`, "");
    }
  }
  lines.push("## Runs", "", "| run | env | " + cell(groupBy) + " | seed | status | score | wall s |", "|---|---|---|---|---|---|---|");
  for (const r of runs) {
    const score = scores.get(r.id)!;
    lines.push(`| ${cell(r.name)} (\`${r.id}\`) | ${cell(r.env)} | ${cell(groupValue(r, groupBy))} | ${r.seed} | ${displayStatus(r.status, r.versions)} | ${Number.isNaN(score) ? "–" : score.toFixed(2)} | ${runWallSeconds(store, r).toFixed(1)} |`);
  }
  lines.push("");
  return { markdown: lines.join("\n"), plots };
}
