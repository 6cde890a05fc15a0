/**
 * Chart data for one metric (or the episodes) of one run, fast at any size.
 *
 * The store's index is (run_id, key, step): it finds rows by step quickly but does not hold
 * `value`, so reading a 10M-row metric means 10M table lookups — seconds. Instead:
 *  - a range with at most EXACT_LIMIT rows (counted on the index alone) is read whole and
 *    downsampled by LTTB, so nothing is lost;
 *  - a larger range is sampled: `points × OVERSAMPLE` index seeks at evenly spaced steps, each
 *    reading one row, plus the minimum and maximum of every block of the range that the store
 *    keeps for metrics (metric_extremes), so no spike is sampled away; then LTTB keeps the
 *    `points` most telling of them. The cost depends on the number of points drawn and blocks,
 *    not on the number of rows (bench/dashboard-load.ts measures it).
 * Zooming in asks for a narrower range, which soon has few enough rows to be read exactly.
 */
import type Database from "better-sqlite3";
import { type SeriesColumns, downsampleColumns } from "./downsample.js";
import { EXTREME_BLOCK_STEPS } from "../track/store.js";
import { EPISODE_LENGTH, EPISODIC_RETURN } from "./types.js";

export const EXACT_LIMIT = 50_000;
const OVERSAMPLE = 4;

export interface SeriesRange {
  /** first and last step wanted (inclusive) */
  from?: number;
  to?: number;
  /** points to return at most */
  points: number;
}

/** Where a series lives: fixed SQL fragments (never user text) plus bound arguments. */
interface Source {
  table: "metrics" | "episodes";
  value: "value" | '"return"' | "length";
  filter: string;
  args: unknown[];
}

function sourceFor(runId: string, key: string): Source {
  if (key === EPISODIC_RETURN) return { table: "episodes", value: '"return"', filter: "run_id = ?", args: [runId] };
  if (key === EPISODE_LENGTH) return { table: "episodes", value: "length", filter: "run_id = ?", args: [runId] };
  return { table: "metrics", value: "value", filter: "run_id = ? AND key = ?", args: [runId, key] };
}

type Row = { step: number; wall: number; v: number | null };

export function readSeries(db: Database.Database, runId: string, key: string, range: SeriesRange): SeriesColumns & { sampled: boolean } {
  const s = sourceFor(runId, key);
  const from = range.from ?? 0;
  const to = range.to ?? Number.MAX_SAFE_INTEGER;
  const where = `${s.filter} AND step >= ? AND step <= ?`;
  const args = [...s.args, from, to];
  const counted = (db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${s.table} WHERE ${where} LIMIT ${EXACT_LIMIT + 1})`).get(...args) as { n: number }).n;

  const columns: SeriesColumns = { steps: [], walls: [], values: [] };
  const push = (r: Row) => {
    if (r.v === null) return; // non-finite values are stored as NULL: leave a gap rather than a spike
    columns.steps.push(r.step);
    columns.walls.push(r.wall);
    columns.values.push(r.v);
  };
  if (counted <= EXACT_LIMIT) {
    for (const r of db.prepare(`SELECT step, wall, ${s.value} AS v FROM ${s.table} WHERE ${where} ORDER BY step`).iterate(...args) as Iterable<Row>) push(r);
    return { ...downsampleColumns(columns, Math.max(2, range.points)), sampled: false };
  }

  const seek = db.prepare(`SELECT step, wall, ${s.value} AS v FROM ${s.table} WHERE ${where} ORDER BY step LIMIT 1`);
  const first = seek.get(...args) as Row;
  const last = db.prepare(`SELECT step, wall, ${s.value} AS v FROM ${s.table} WHERE ${where} ORDER BY step DESC LIMIT 1`).get(...args) as Row;
  const samples = Math.max(2, range.points * OVERSAMPLE);
  let previousStep = -Infinity;
  for (let k = 0; k < samples - 1; k++) {
    const target = Math.round(first.step + ((last.step - first.step) * k) / (samples - 1));
    if (target <= previousStep) continue;
    const row = seek.get(...s.args, target, to) as Row | undefined;
    if (!row || row.step >= last.step) break;
    if (row.step > previousStep) push(row);
    previousStep = row.step;
  }
  push(last);
  if (s.table === "metrics") addExtremes(db, runId, key, first.step, last.step, columns);
  return { ...downsampleColumns(columns, Math.max(2, range.points)), sampled: true };
}

type Extremes = { min_step: number; min_wall: number; min_value: number; max_step: number; max_wall: number; max_value: number };

/** Merges the block extremes between steps `from` and `to` into the sampled rows (in step order). */
function addExtremes(db: Database.Database, runId: string, key: string, from: number, to: number, columns: SeriesColumns): void {
  // a store from before schema 2 opened read-only has none
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'metric_extremes'").get()) return;
  const blocks = db
    .prepare("SELECT min_step, min_wall, min_value, max_step, max_wall, max_value FROM metric_extremes WHERE run_id = ? AND key = ? AND block >= ? AND block <= ? ORDER BY block")
    .all(runId, key, Math.floor(from / EXTREME_BLOCK_STEPS), Math.floor(to / EXTREME_BLOCK_STEPS)) as Extremes[];
  const points: { step: number; wall: number; value: number }[] = columns.steps.map((step, i) => ({ step, wall: columns.walls[i]!, value: columns.values[i]! }));
  for (const b of blocks) {
    for (const [step, wall, value] of [[b.min_step, b.min_wall, b.min_value], [b.max_step, b.max_wall, b.max_value]] as const) {
      if (step >= from && step <= to) points.push({ step, wall, value });
    }
  }
  points.sort((a, b) => a.step - b.step);
  columns.steps.length = columns.walls.length = columns.values.length = 0;
  let previous = -Infinity;
  for (const p of points) {
    if (p.step === previous) continue;
    previous = p.step;
    columns.steps.push(p.step);
    columns.walls.push(p.wall);
    columns.values.push(p.value);
  }
}
