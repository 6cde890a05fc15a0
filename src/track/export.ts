/** Runs' rows as CSV, JSON Lines or Parquet, for pandas, DuckDB, spreadsheets and papers. */
import { parquetWriteBuffer } from "hyparquet-writer";
import type { RunRecord, RunStore } from "./store.js";

export const EXPORT_FORMATS = ["csv", "jsonl", "parquet"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportWhat = "metrics" | "episodes";

const COLUMNS: Record<ExportWhat, readonly string[]> = {
  metrics: ["run_id", "run_name", "step", "wall", "key", "value"],
  episodes: ["run_id", "run_name", "step", "wall", "return", "length"],
};

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function records(store: RunStore, runs: readonly RunRecord[], what: ExportWhat): Record<string, unknown>[] {
  return runs.flatMap((run) => (what === "metrics" ? store.metrics(run.id) : store.episodes(run.id)).map((row) => ({ run_id: run.id, run_name: run.name, ...row })));
}

export function exportRows(store: RunStore, runs: readonly RunRecord[], what: ExportWhat, format: ExportFormat): string | Uint8Array {
  const rows = records(store, runs, what);
  const columns = COLUMNS[what];
  if (format === "csv") return [columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n";
  if (format === "jsonl") return rows.map((r) => JSON.stringify(r) + "\n").join("");
  const column = (name: string) => rows.map((r) => r[name]);
  const columnData = [
    { name: "run_id", data: column("run_id"), type: "STRING" as const },
    { name: "run_name", data: column("run_name"), type: "STRING" as const },
    { name: "step", data: BigInt64Array.from(rows, (r) => BigInt(r.step as number)), type: "INT64" as const },
    { name: "wall", data: Float64Array.from(rows, (r) => r.wall as number), type: "DOUBLE" as const },
    ...(what === "metrics"
      ? [
          { name: "key", data: column("key"), type: "STRING" as const },
          // NaN/Inf metrics are stored as NULL; they stay null in Parquet
          { name: "value", data: column("value"), type: "DOUBLE" as const },
        ]
      : [
          { name: "return", data: Float64Array.from(rows, (r) => r.return as number), type: "DOUBLE" as const },
          { name: "length", data: Int32Array.from(rows, (r) => r.length as number), type: "INT32" as const },
        ]),
  ];
  return new Uint8Array(parquetWriteBuffer({ columnData, createdBy: "tsrl" }));
}
