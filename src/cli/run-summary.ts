/**
 * `tsrl runs show` for people: what the run is, how it ended, its config (fields that differ from
 * the algorithm's defaults marked), checkpoints, where its files are and what to type next.
 * `--json` keeps everything (versions of every dependency, checksums, episodes) for machines.
 */
import { dirname } from "node:path";
import { ALGORITHMS } from "../algos/index.js";
import { type RunRecord, type RunStore, displayStatus } from "../track/store.js";

const int = (n: number) => Math.round(n).toLocaleString("en-US");

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

function seconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

const when = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$/, " UTC");

function value(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && !Number.isInteger(v)) return String(Number(v.toPrecision(6)));
  return JSON.stringify(v) ?? String(v);
}

/** Rows of label/value pairs, the labels padded to one width. */
function rows(pairs: [string, string][], indent = "  "): string[] {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v}`);
}

/** The config as two columns of `field value`, fields that differ from the defaults marked with *. */
function configLines(run: RunRecord): string[] {
  let defaults: Record<string, unknown> = {};
  try {
    defaults = ALGORITHMS[run.algo]?.defaults(run.env) ?? {};
  } catch {
    // an env this tsrl does not have: no defaults to compare with
  }
  const keyWidth = Math.max(0, ...Object.keys(run.config).map((k) => k.length));
  const padded = Object.entries(run.config).map(([k, v]) => {
    const changed = k in defaults && JSON.stringify(defaults[k]) !== JSON.stringify(v);
    return `${changed ? "*" : " "} ${k.padEnd(keyWidth)}  ${value(v)}`;
  });
  const colWidth = Math.max(0, ...padded.map((c) => c.length)) + 3;
  const half = Math.ceil(padded.length / 2);
  const lines: string[] = [];
  for (let i = 0; i < half; i++) lines.push(` ${padded[i]!.padEnd(colWidth)}${padded[i + half] ?? ""}`.trimEnd());
  return lines;
}

/** For a run trained by actors over Redis: its actors, their samples/s and the policy lag, as last logged. */
function distributedLines(store: RunStore, run: RunRecord): string[] {
  const keys = store.metricKeys(run.id);
  if (!keys.includes("distributed/segments")) return [];
  const last = (key: string) => store.lastMetric(run.id, key);
  const count = (key: string) => int(last(key) ?? 0);
  const lagMean = last("distributed/policy_lag_mean"), lagMax = last("distributed/policy_lag_max");
  const table: [string, string][] = [
    ["policy lag", `${lagMean === null ? "–" : lagMean.toFixed(2)} versions on average, at most ${lagMax === null ? "–" : int(lagMax)}`],
    ["segments", `${count("distributed/segments")} trained on, ${count("distributed/skipped")} skipped (malformed or a resent copy), ${count("distributed/dropped")} dropped (too stale), ${count("distributed/reclaimed")} reclaimed`],
  ];
  for (const key of keys) {
    const actor = /^actors\/(.+)\/samples_per_s$/.exec(key);
    const rate = actor ? last(key) : null;
    if (actor && rate !== null) table.push([`actor ${actor[1]}`, `${int(rate)} samples/s`]);
  }
  const actors = last("distributed/actors") ?? 0;
  return [`distributed (${int(actors)} actor${actors === 1 ? "" : "s"} seen)`, ...rows(table), ""];
}

export function formatRunSummary(store: RunStore, run: RunRecord): string {
  const status = displayStatus(run.status, run.versions as { pid?: number; host?: string });
  const summary = run.summary ?? {};
  const episodes = (store.db.prepare("SELECT COUNT(*) AS n FROM episodes WHERE run_id = ?").get(run.id) as { n: number }).n;
  const recent = store.recentMeanReturn(run.id);
  const artifacts = store.artifacts(run.id);
  const policy = artifacts.filter((a) => a.kind === "policy").at(-1);
  const checkpoints = artifacts.filter((a) => a.kind === "checkpoint");
  const out: string[] = [`run ${run.id}  ${run.name}`, ""];

  const wall = typeof summary.wall_s === "number" ? summary.wall_s : null;
  const ended = run.ended_at ? ` → ${when(run.ended_at)}` : "";
  const head: [string, string][] = [
    ["status", `${status}${run.error ? `: ${run.error}` : ""}`],
    ["training", `${run.algo} on ${run.env}, seed ${run.seed}`],
    ["started", `${when(run.started_at)}${ended}${wall !== null ? ` (${seconds(wall)} training)` : ""}`],
  ];
  if (typeof summary.total_timesteps === "number") {
    const sps = typeof summary.sps === "number" ? `, ${int(summary.sps)} steps/s` : "";
    head.push(["result", `${int(summary.total_timesteps)} steps, ${int(episodes)} episodes${sps}`]);
    if (typeof summary.final_mean_return === "number") head.push(["score", `${summary.final_mean_return.toFixed(2)} (mean return of the last 100 training episodes)`]);
  } else {
    head.push(["progress", `step ${int(run.last_step)}, ${int(episodes)} episodes${Number.isNaN(recent) ? "" : `, mean return of the last 100: ${recent.toFixed(2)}`}`]);
  }
  const tags = (run as { tags?: string[] }).tags ?? [];
  const notes = (run as { notes?: string }).notes ?? "";
  if (tags.length) head.push(["tags", tags.join(", ")]);
  if (notes) head.push(["notes", notes.replace(/\s*\n\s*/g, " / ")]);
  out.push(...rows(head, ""), "");

  out.push(`config (${Object.keys(run.config).length} fields; * differs from ${run.algo}'s default)`, ...configLines(run), "");

  if (checkpoints.length || policy) {
    out.push("checkpoints and policy");
    const table: [string, string][] = [...checkpoints, ...(policy ? [policy] : [])].map((a) => [`${a.kind} at step ${int(a.step)}`, `${bytes(a.bytes).padStart(9)}  ${when(a.created_at)}`]);
    out.push(...rows(table), "");
  } else {
    out.push(status === "running" ? "no checkpoint yet" : "no checkpoint or policy saved", "");
  }

  out.push(...distributedLines(store, run));

  const files: [string, string][] = [["store", store.dir]];
  if (policy) files.push(["policy", policy.path]);
  if (checkpoints.length) files.push(["checkpoints", dirname(checkpoints[0]!.path)]);
  out.push("files", ...rows(files), "");

  const v = run.versions as { tsrl?: string; node?: string; backend?: string; fma?: boolean; os?: string; git?: { commit: string; dirty: boolean } | null; resumes?: unknown[] };
  const software = [v.tsrl && `tsrl ${v.tsrl}`, v.node && `Node ${v.node}`, v.backend && `${v.backend} kernels${v.fma ? " with FMA" : ""}`, v.os, v.git ? `git ${v.git.commit.slice(0, 10)}${v.git.dirty ? " (uncommitted changes)" : ""}` : null, v.resumes?.length ? `resumed ${v.resumes.length}×` : null].filter(Boolean);
  out.push(`made with ${software.join(", ")}`);
  const metrics = store.metricKeys(run.id);
  out.push(`metrics: ${metrics.length ? metrics.join(", ") : "none"}`);
  out.push(`(--json: everything, including dependency versions, checksums and every episode)`);
  return out.join("\n");
}
