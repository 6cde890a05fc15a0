/**
 * `tsrl runs check`: everything the store can verify about itself. SQLite's integrity check,
 * the store's identity, each run's record, its row counts against the counts it kept while
 * writing, each artifact's file and checksum, files nothing records and rows of no run.
 * `repair` keeps what can be kept: leftovers go (temp files, rows of deleted runs), files the
 * database does not know move to <store>/lost+found/, and a run that lost rows keeps the rest.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RunStore, StoreError, displayStatus, parseRunColumns, type RawRun } from "./store.js";

export interface StoreFinding {
  /** the run it is about, if any */
  run?: string;
  problem: string;
  /** what --repair did about it (absent: nothing, or not asked to) */
  repaired?: string;
  /** what the user can do when repair cannot */
  advice?: string;
}

const LOST_AND_FOUND = "lost+found";

export function checkStore(dir: string, options: { repair?: boolean } = {}): StoreFinding[] {
  const repair = options.repair ?? false;
  let store: RunStore;
  try {
    store = new RunStore(dir, { create: false, check: false });
  } catch (err) {
    if (!(err instanceof StoreError) || /no run store at/.test(err.message)) throw err;
    return [{ problem: err.message.replace(/; run `tsrl runs check.*$/, ""), advice: "runs.sqlite cannot be opened: restore it from a backup; the artifacts in artifacts/ are intact files" }];
  }
  try {
    return [...integrity(store), ...identity(store, repair), ...runs(store, repair), ...strayRows(store, repair), ...strayDirectories(store, repair)];
  } finally {
    store.close();
  }
}

function integrity(store: RunStore): StoreFinding[] {
  const rows = store.db.pragma("integrity_check") as { integrity_check: string }[];
  if (rows.length === 1 && rows[0]!.integrity_check === "ok") return [];
  return rows.slice(0, 10).map((r) => ({ problem: `SQLite integrity check: ${r.integrity_check}`, advice: "the database file is damaged: export what still reads (tsrl runs export) and restore runs.sqlite from a backup" }));
}

function identity(store: RunStore, repair: boolean): StoreFinding[] {
  const idFile = join(store.dir, "store.id");
  const fileId = existsSync(idFile) ? readText(idFile) : null;
  let dbId: string | undefined;
  try {
    dbId = store.db.prepare("SELECT value FROM meta WHERE key = 'store_id'").pluck().get() as string | undefined;
  } catch {
    return []; // a read-only store from before schema 3: it has no identity to compare
  }
  if (fileId === null || fileId === dbId) return [];
  const finding: StoreFinding = {
    problem: dbId === undefined ? `runs.sqlite is empty or was replaced (or its -wal file is damaged): the files beside it are those of store ${fileId}` : `runs.sqlite belongs to store ${dbId}, the files beside it to store ${fileId}`,
    advice: "put the right runs.sqlite back; or with --repair keep this database and move the other store's files to lost+found/",
  };
  if (repair && !store.readonly) {
    moveToLostAndFound(store, "artifacts", join(store.dir, "artifacts"));
    rmSync(idFile);
    finding.repaired = "moved artifacts/ to lost+found/ and forgot the old identity (the next open records this database's)";
  }
  return [finding];
}

function runs(store: RunStore, repair: boolean): StoreFinding[] {
  const findings: StoreFinding[] = [];
  for (const raw of store.db.prepare("SELECT * FROM runs ORDER BY started_at").all() as RawRun[]) {
    const run = raw.id;
    const { versions, damaged } = parseRunColumns(raw);
    if (damaged) findings.push({ run, problem: damaged, advice: `its rows are intact; delete the run (tsrl runs rm ${run} --force) or fix the column with sqlite3` });
    const live = displayStatus(raw.status, versions as { pid?: number; host?: string }) === "running";
    for (const what of ["episode", "metric"] as const) {
      const found = store.db.prepare(`SELECT COUNT(*) FROM ${what}s WHERE run_id = ?`).pluck().get(run) as number;
      const counted = raw[`${what}_rows`];
      if (found === counted) continue;
      const finding: StoreFinding = { run, problem: `has ${found} ${what} rows of the ${counted} it recorded: the database lost rows`, advice: "export or resume what remains with --repair (the run is then read as it is), or delete it" };
      if (repair) {
        store.db.prepare(`UPDATE runs SET ${what}_rows = ? WHERE id = ?`).run(found, run);
        finding.repaired = `the run now reads as its ${found} remaining ${what} rows`;
      }
      findings.push(finding);
    }
    findings.push(...artifacts(store, raw, live, repair));
  }
  return findings;
}

function artifacts(store: RunStore, raw: RawRun, live: boolean, repair: boolean): StoreFinding[] {
  const run = raw.id;
  const findings: StoreFinding[] = [];
  const records = store.artifacts(run);
  for (const a of records) {
    try {
      store.readArtifact(a);
    } catch (err) {
      const finding: StoreFinding = { run, problem: (err as Error).message };
      if (a.kind === "policy") finding.advice = `tsrl resume ${run} writes it again from the last checkpoint`;
      else if (repair) {
        store.deleteArtifact(a);
        finding.repaired = "forgot the checkpoint (resume uses an earlier one)";
      } else finding.advice = `resume from an earlier checkpoint (tsrl resume ${run} --checkpoint STEP), or --repair forgets this one`;
      findings.push(finding);
    }
  }
  if (raw.status === "finished" && !records.some((a) => a.kind === "policy")) findings.push({ run, problem: "finished without a policy record", advice: `tsrl resume ${run} writes it from the last checkpoint` });
  // Files a live trainer is writing are not leftovers yet.
  const dir = join(store.dir, "artifacts", run);
  if (live || !existsSync(dir)) return findings;
  const recorded = new Set(records.map((a) => a.path.slice(dir.length + 1)));
  const newest = Math.max(0, ...records.filter((a) => a.kind === "checkpoint").map((a) => a.step));
  const lostCommits = store.filesBeyondRecords(run).length >= 2;
  for (const file of readdirSync(dir).filter((f) => !recorded.has(f))) {
    const temp = file.startsWith(".") && file.endsWith(".tmp");
    const step = Number(/^checkpoint-(\d+)\.tsrlckpt$/.exec(file)?.[1] ?? NaN);
    const finding: StoreFinding = {
      run,
      problem: temp
        ? `temp file ${file} left by a process killed while writing`
        : step <= newest
          ? `${file} is no longer recorded (a process was killed while deleting it)`
          : lostCommits
            ? `${file} is newer than the run's records, as are others: the database lost its last commits (a damaged -wal file?)`
            : `${file} is not recorded (written by a process killed before recording it)`,
    };
    if (repair) {
      if (temp || step <= newest) {
        rmSync(join(dir, file), { force: true });
        finding.repaired = "removed it";
      } else {
        moveToLostAndFound(store, join(run, file), join(dir, file));
        finding.repaired = `moved it to ${LOST_AND_FOUND}/${run}/`;
      }
    }
    findings.push(finding);
  }
  return findings;
}

function strayRows(store: RunStore, repair: boolean): StoreFinding[] {
  const findings: StoreFinding[] = [];
  for (const table of ["episodes", "metrics", "metric_extremes", "artifacts"]) {
    const stray = store.db.prepare(`SELECT run_id, COUNT(*) AS n FROM ${table} WHERE run_id NOT IN (SELECT id FROM runs) GROUP BY run_id`).all() as { run_id: string; n: number }[];
    for (const { run_id, n } of stray) {
      const finding: StoreFinding = { run: run_id, problem: `${n} ${table} rows of a run that does not exist (deleted while it was written)` };
      if (repair) {
        store.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(run_id);
        finding.repaired = "deleted them";
      }
      findings.push(finding);
    }
  }
  return findings;
}

function strayDirectories(store: RunStore, repair: boolean): StoreFinding[] {
  return store.runDirectoriesWithoutRuns().map((id) => {
    const finding: StoreFinding = { run: id, problem: `artifacts/${id} belongs to a run the database does not have (the database lost it, or a delete was interrupted)` };
    if (repair) {
      moveToLostAndFound(store, id, join(store.dir, "artifacts", id));
      finding.repaired = `moved it to ${LOST_AND_FOUND}/${id}`;
    }
    return finding;
  });
}

/** Moves a file or directory under <store>/lost+found/ (never overwriting: a numbered name if taken). */
function moveToLostAndFound(store: RunStore, name: string, from: string): void {
  let to = join(store.dir, LOST_AND_FOUND, name);
  for (let i = 1; existsSync(to); i++) to = join(store.dir, LOST_AND_FOUND, `${name}.${i}`);
  mkdirSync(join(to, ".."), { recursive: true });
  renameSync(from, to);
}

function readText(file: string): string {
  return readFileSync(file, "utf8").trim();
}
