/**
 * The run store: one SQLite database (WAL, so several training processes and readers can use it
 * at once) plus artifact files beside it. Every write is a short transaction; a busy timeout
 * makes concurrent writers wait instead of failing with "database is locked".
 *
 *   <store>/runs.sqlite        runs, metrics, episodes, artifacts
 *   <store>/artifacts/<run>/   checkpoints and saved policies (checksums in the DB)
 *   <store>/store.id           the store's identity, also in the database: an emptied or foreign
 *                              runs.sqlite beside these files is refused, not taken as a new store
 *
 * Damage is detected, not read around: each run keeps counts of its rows (checked when a run's
 * rows are read whole), a run directory without a record refuses the store on open, and
 * `checkStore` (tsrl runs check) runs SQLite's integrity check and verifies every artifact.
 */
import Database from "better-sqlite3";
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, resolve } from "node:path";
import { writeFileAtomic } from "../node/atomic-write.js";
import { editDistance } from "../util/edit-distance.js";

/**
 * 2: metric_extremes (per-block minima and maxima of every metric, for charts of huge runs)
 * 3: per-run row counts (runs.episode_rows, runs.metric_rows) and the store's identity (meta)
 * 4: a run's tags (runs.tags, a JSON array) and notes (runs.notes), set from the dashboard
 */
export const STORE_SCHEMA_VERSION = 4;
/** Steps per block of `metric_extremes`. */
export const EXTREME_BLOCK_STEPS = 4096;
export type RunStatus = "running" | "finished" | "failed" | "killed";

export interface RunRecord {
  id: string;
  name: string;
  algo: string;
  env: string;
  seed: number;
  config: Record<string, unknown>;
  status: RunStatus;
  started_at: string;
  ended_at: string | null;
  versions: Record<string, unknown>;
  /** env steps between checkpoints (0: none) */
  checkpoint_every: number;
  summary: Record<string, unknown> | null;
  error: string | null;
  /** the step of the last recorded row (metric or episode) */
  last_step: number;
  /** rows recorded, counted as they were written (a read returning fewer means the store is damaged) */
  episode_rows: number;
  metric_rows: number;
  /** labels and free-text notes the user gave the run (src/track/run-labels.ts) */
  tags: string[];
  notes: string;
  /** set (in listRuns only) when the run's record cannot be read: which column and why; the other fields are placeholders */
  damaged?: string;
}

export interface ArtifactRecord {
  run_id: string;
  kind: "checkpoint" | "policy";
  step: number;
  path: string;
  sha256: string;
  bytes: number;
  created_at: string;
}

export interface EpisodeRow {
  step: number;
  wall: number;
  return: number;
  length: number;
}

export interface MetricRow {
  step: number;
  wall: number;
  key: string;
  value: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  algo TEXT NOT NULL,
  env TEXT NOT NULL,
  seed INTEGER NOT NULL,
  config TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  versions TEXT NOT NULL,
  checkpoint_every INTEGER NOT NULL,
  summary TEXT,
  error TEXT,
  episode_rows INTEGER NOT NULL DEFAULT 0,
  metric_rows INTEGER NOT NULL DEFAULT 0,
  tags TEXT NOT NULL DEFAULT '[]',
  notes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metrics (run_id TEXT NOT NULL, step INTEGER NOT NULL, wall REAL NOT NULL, key TEXT NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, key, step);
CREATE TABLE IF NOT EXISTS episodes (run_id TEXT NOT NULL, step INTEGER NOT NULL, wall REAL NOT NULL, return REAL NOT NULL, length INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS episodes_by_run ON episodes (run_id, step);
CREATE TABLE IF NOT EXISTS artifacts (run_id TEXT NOT NULL, kind TEXT NOT NULL, step INTEGER NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS artifacts_by_run ON artifacts (run_id, kind, step);
CREATE TABLE IF NOT EXISTS metric_extremes (
  run_id TEXT NOT NULL, key TEXT NOT NULL, block INTEGER NOT NULL,
  min_step INTEGER NOT NULL, min_wall REAL NOT NULL, min_value REAL NOT NULL,
  max_step INTEGER NOT NULL, max_wall REAL NOT NULL, max_value REAL NOT NULL,
  PRIMARY KEY (run_id, key, block)
) WITHOUT ROWID;
`;

/**
 * Folds rows into their blocks' extremes (rows of one batch first, so a dense metric costs one
 * upsert per block, not per row). A chart of millions of rows samples them but keeps these, so
 * a spike is never sampled away.
 */
const UPSERT_EXTREMES = `
INSERT INTO metric_extremes (run_id, key, block, min_step, min_wall, min_value, max_step, max_wall, max_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, key, block) DO UPDATE SET
  min_step = CASE WHEN excluded.min_value < min_value THEN excluded.min_step ELSE min_step END,
  min_wall = CASE WHEN excluded.min_value < min_value THEN excluded.min_wall ELSE min_wall END,
  min_value = MIN(min_value, excluded.min_value),
  max_step = CASE WHEN excluded.max_value > max_value THEN excluded.max_step ELSE max_step END,
  max_wall = CASE WHEN excluded.max_value > max_value THEN excluded.max_wall ELSE max_wall END,
  max_value = MAX(max_value, excluded.max_value)`;

/** Builds the extremes of rows written before schema 2 (SQLite takes bare columns from the MIN/MAX row). */
const BACKFILL_EXTREMES = `
INSERT INTO metric_extremes (run_id, key, block, min_step, min_wall, min_value, max_step, max_wall, max_value)
SELECT run_id, key, step / ${EXTREME_BLOCK_STEPS}, step, wall, MIN(value), step, wall, value FROM metrics WHERE value IS NOT NULL GROUP BY run_id, key, step / ${EXTREME_BLOCK_STEPS};
INSERT INTO metric_extremes (run_id, key, block, min_step, min_wall, min_value, max_step, max_wall, max_value)
SELECT run_id, key, step / ${EXTREME_BLOCK_STEPS}, step, wall, value, step, wall, MAX(value) FROM metrics WHERE value IS NOT NULL GROUP BY run_id, key, step / ${EXTREME_BLOCK_STEPS}
ON CONFLICT (run_id, key, block) DO UPDATE SET max_step = excluded.max_step, max_wall = excluded.max_wall, max_value = excluded.max_value;`;

export class StoreError extends Error {
  override name = "StoreError";
}

/** The store's files disagree with each other or with what was recorded: reading on would give wrong results. */
export class StoreDamagedError extends StoreError {
  override name = "StoreDamagedError";
}

function damaged(dir: string, what: string): StoreDamagedError {
  return new StoreDamagedError(`store damaged: ${what}; run \`tsrl runs check --store ${dir}\` (it says what is wrong; --repair keeps what can be kept)`);
}

/** Writes to a run that was deleted meanwhile (tsrl runs rm --force while it trained). */
export class RunDeletedError extends StoreError {
  override name = "RunDeletedError";
}

const STORE_ID_FILE = "store.id";
/** A deleted run's files wait here until its records are gone (a crash in between is finished on the next open). */
const DELETED_PREFIX = ".deleted-";

function noStore(dir: string): StoreError {
  return new StoreError(`no run store at ${dir}: train a run first (tsrl train ppo --env CartPole-v1 --store ${dir}), or pass --store DIR or set TSRL_STORE`);
}

/** The run is being written by a live process. */
export class RunBusyError extends StoreError {
  override name = "RunBusyError";
}

/** The store directory: `--store`, else $TSRL_STORE, else ./tsrl-runs. */
export function storeDirectory(option?: string): string {
  return resolve(option ?? process.env.TSRL_STORE ?? "tsrl-runs");
}

function writable(...paths: string[]): boolean {
  try {
    for (const path of paths) accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export class RunStore {
  readonly dir: string;
  readonly db: Database.Database;
  /** opened read-only: this user cannot write the store (runs can be read, not recorded or deleted) */
  readonly readonly: boolean;

  /**
   * `create`: make the store if missing (else a missing store is an error). `check`: refuse a
   * store whose database does not match its files (only `tsrl runs check` opens one anyway).
   */
  constructor(dir: string, options: { create?: boolean; check?: boolean } = {}) {
    this.dir = resolve(dir);
    const create = options.create ?? true;
    try {
      if (create) mkdirSync(this.dir, { recursive: true });
      accessSync(this.dir, create ? constants.W_OK : constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!create && code === "ENOENT") throw noStore(this.dir);
      throw new StoreError(`store ${this.dir} is not ${create ? "writable" : "readable"} (${code}); pass --store DIR or set TSRL_STORE`);
    }
    const file = join(this.dir, "runs.sqlite");
    if (!create && !existsSync(file)) {
      // the database is gone but the files it recorded are there: not "no store"
      if (existsSync(join(this.dir, STORE_ID_FILE))) throw damaged(this.dir, `runs.sqlite is missing, but the store's files (${STORE_ID_FILE}, artifacts/) are there`);
      throw noStore(this.dir);
    }
    // A store this user may read but not write (another user's, a read-only mount) opens read-only.
    this.readonly = !create && !writable(this.dir, file);
    try {
      this.db = new Database(file, { fileMustExist: !create, readonly: this.readonly, timeout: 30_000 });
    } catch (err) {
      throw new StoreError(`cannot open the run store in ${this.dir}: ${(err as Error).message}`);
    }
    if (this.readonly) {
      try {
        this.db.prepare("SELECT 1 FROM runs LIMIT 1").get();
      } catch (err) {
        // SQLite reads a WAL database only through its -shm index, which it cannot create here
        throw new StoreError(`store ${this.dir} is read-only for this user and SQLite cannot open it without writing beside it (${(err as Error).message}); copy it somewhere writable (cp -r ${this.dir} DIR) and pass --store DIR`);
      }
      this.checkSchemaVersion();
      if (options.check ?? true) this.checkFilesMatch();
      return;
    }
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(SCHEMA);
      // Read and upgrade the schema version under the write lock: processes opening an old store at once upgrade it once.
      this.db.transaction(() => {
        const version = this.checkSchemaVersion();
        if (version === 1) this.db.exec(BACKFILL_EXTREMES);
        if (version < 3) this.addRowCounts();
        if (version < 4) this.addTagsAndNotes();
        if (version < STORE_SCHEMA_VERSION) this.db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
      }).immediate();
    } catch (err) {
      this.db.close();
      if (err instanceof StoreError) throw err;
      // e.g. "file is not a database": a damaged or foreign runs.sqlite
      throw damaged(this.dir, `cannot read ${file} (${(err as Error).message})`);
    }
    if (options.check ?? true) {
      this.checkFilesMatch();
      this.finishDeletes();
    }
  }

  /** Schema 3: each run's row counts, counted once from the rows already there. */
  private addRowCounts(): void {
    const columns = (this.db.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes("episode_rows")) this.db.exec("ALTER TABLE runs ADD COLUMN episode_rows INTEGER NOT NULL DEFAULT 0");
    if (!columns.includes("metric_rows")) this.db.exec("ALTER TABLE runs ADD COLUMN metric_rows INTEGER NOT NULL DEFAULT 0");
    this.db.exec("UPDATE runs SET episode_rows = (SELECT COUNT(*) FROM episodes WHERE run_id = runs.id), metric_rows = (SELECT COUNT(*) FROM metrics WHERE run_id = runs.id)");
  }

  /** Schema 4: tags and notes, empty for the runs already there. */
  private addTagsAndNotes(): void {
    const columns = (this.db.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes("tags")) this.db.exec("ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'");
    if (!columns.includes("notes")) this.db.exec("ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''");
  }

  /** The identity this store's database records (null: none yet). */
  private databaseId(): string | null {
    try {
      return (this.db.prepare("SELECT value FROM meta WHERE key = 'store_id'").pluck().get() as string | undefined) ?? null;
    } catch {
      return null; // no meta table: a store from before schema 3 (read-only) or an empty file
    }
  }

  /**
   * The cheap check every open does: the database is the one the files beside it were written
   * with (an emptied, replaced or foreign runs.sqlite is refused instead of starting afresh over
   * them) and every run directory has its run (else the database lost runs, e.g. a damaged -wal).
   */
  private checkFilesMatch(): void {
    const idFile = join(this.dir, STORE_ID_FILE);
    const fileId = existsSync(idFile) ? readFileSync(idFile, "utf8").trim() : null;
    let dbId = this.databaseId();
    if (fileId !== null && dbId !== fileId) {
      this.db.close();
      throw damaged(this.dir, dbId === null ? `runs.sqlite is empty or was replaced (or its -wal file is damaged), but the store's files (${STORE_ID_FILE}, artifacts/) are those of store ${fileId}` : `runs.sqlite belongs to store ${dbId}, but the files beside it to store ${fileId}`);
    }
    const lost = this.runDirectoriesWithoutRuns();
    if (lost.length) {
      this.db.close();
      throw damaged(this.dir, `artifacts/ holds files of ${lost.length} run(s) the database does not know (${lost.slice(0, 5).join(", ")}${lost.length > 5 ? ", …" : ""}): the database lost them`);
    }
    if (this.readonly) return;
    if (dbId === null) {
      this.db.transaction(() => {
        dbId = this.databaseId();
        if (dbId === null) {
          dbId = randomBytes(8).toString("hex");
          this.db.prepare("INSERT INTO meta (key, value) VALUES ('store_id', ?)").run(dbId);
        }
      }).immediate();
    }
    if (fileId === null) writeFileAtomic(idFile, `${dbId}\n`);
  }

  /** Run directories in artifacts/ whose run the database does not have (deleted ones excluded). */
  runDirectoriesWithoutRuns(): string[] {
    const dir = join(this.dir, "artifacts");
    if (!existsSync(dir)) return [];
    const ids = new Set(this.db.prepare("SELECT id FROM runs").pluck().all() as string[]);
    return readdirSync(dir).filter((name) => !name.startsWith(".") && !ids.has(name));
  }

  /** Finishes deletes a crash interrupted: the run's rows, then its files. */
  private finishDeletes(): void {
    const dir = join(this.dir, "artifacts");
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).filter((n) => n.startsWith(DELETED_PREFIX))) {
      this.deleteRows(name.slice(DELETED_PREFIX.length));
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }

  /** The schema version; a newer one than this tsrl's is refused. */
  private checkSchemaVersion(): number {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    if (version > STORE_SCHEMA_VERSION) throw new StoreError(`store ${this.dir} has schema version ${version}; this tsrl reads up to ${STORE_SCHEMA_VERSION}: upgrade tsrl`);
    return version;
  }

  /** For what changes the store: a read-only one says so instead of SQLite's "attempt to write". */
  private requireWritable(what: string): void {
    if (this.readonly) throw new StoreError(`cannot ${what}: store ${this.dir} is read-only for this user`);
  }

  close(): void {
    this.db.close();
  }

  createRun(run: Pick<RunRecord, "algo" | "env" | "seed" | "config" | "versions" | "checkpoint_every"> & { name?: string }): RunRecord {
    this.requireWritable("record a run");
    const id = randomBytes(4).toString("hex");
    const name = run.name ?? `${run.algo}-${run.env}-s${run.seed}-${id}`;
    for (const [field, value] of [["name", name], ["algo", run.algo], ["env", run.env]] as const) {
      // control characters would be printed raw by whatever lists runs (they can retitle or clear a terminal)
      if (typeof value !== "string" || value === "" || /[\u0000-\u001f\u007f-\u009f]/.test(value)) throw new StoreError(`a run's ${field} must be a non-empty string without control characters, got ${JSON.stringify(value)}`);
    }
    if (!Number.isSafeInteger(run.seed)) throw new StoreError(`a run's seed must be an integer, got ${String(run.seed)}`);
    const json = (what: string, value: unknown) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (err) {
        throw new StoreError(`a run's ${what} must be JSON-serializable: ${(err as Error).message}`);
      }
      if (text === undefined || value === null || typeof value !== "object" || Array.isArray(value)) throw new StoreError(`a run's ${what} must be an object of field: value`);
      return text;
    };
    const config = json("config", run.config), versions = json("versions", run.versions);
    const taken = () => new StoreError(`a run named "${name}" already exists in ${this.dir}; pick another --name`);
    try {
      this.db.transaction(() => {
        if (this.db.prepare("SELECT 1 FROM runs WHERE name = ?").get(name)) throw taken();
        this.db
          .prepare("INSERT INTO runs (id, name, algo, env, seed, config, status, started_at, versions, checkpoint_every) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)")
          .run(id, name, run.algo, run.env, run.seed, config, new Date().toISOString(), versions, run.checkpoint_every);
      }).immediate();
    } catch (err) {
      // another process took the name between our check and insert
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") throw taken();
      throw err;
    }
    // after the record: a run directory without a run means the database lost it
    mkdirSync(join(this.dir, "artifacts", id), { recursive: true });
    return this.getRun(id);
  }

  /** A run by id, id prefix or name; unknown ones get close suggestions. */
  getRun(idOrName: string): RunRecord {
    // an exact id first (a run may be named like another's id), then an exact name, then an id prefix
    const byId = this.db.prepare("SELECT * FROM runs WHERE id = ?").all(idOrName) as RawRun[];
    const exact = byId.length ? byId : (this.db.prepare("SELECT * FROM runs WHERE name = ?").all(idOrName) as RawRun[]);
    const rows = exact.length ? exact : (this.db.prepare("SELECT * FROM runs WHERE substr(id, 1, length(?)) = ?").all(idOrName, idOrName) as RawRun[]);
    if (rows.length === 1) {
      const run = this.decode(rows[0]!);
      const problem = run.damaged ?? this.lostCommits(run);
      if (problem) throw damaged(this.dir, problem);
      return run;
    }
    if (rows.length > 1) throw new StoreError(`"${idOrName}" matches ${rows.length} runs (${rows.map((r) => r.id).join(", ")}); give more of the id`);
    const names = (this.db.prepare("SELECT id, name FROM runs").all() as { id: string; name: string }[]).flatMap((r) => [r.id, r.name]);
    const close = names.filter((n) => editDistance(n.toLowerCase(), idOrName.toLowerCase()) <= Math.max(2, idOrName.length / 4)).slice(0, 3);
    throw new StoreError(`no run "${idOrName}" in ${this.dir}${close.length ? `; did you mean ${close.join(", ")}?` : ""} (tsrl runs list shows them all)`);
  }

  listRuns(filter: { env?: string; algo?: string; status?: string } = {}): RunRecord[] {
    const where: string[] = [];
    const args: string[] = [];
    for (const key of ["env", "algo", "status"] as const) {
      if (filter[key]) {
        where.push(`${key} = ?`);
        args.push(filter[key]!);
      }
    }
    const rows = this.db.prepare(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at`).all(...args) as RawRun[];
    // A run whose record cannot be read, or that lost commits, is listed as damaged (with what is wrong); the others read on.
    return rows.map((r) => {
      const run = this.decode(r);
      const lost = run.damaged ? undefined : this.lostCommits(run);
      return lost ? { ...run, damaged: lost } : run;
    });
  }

  /** Throws RunDeletedError unless the run exists (every write to a run checks, in its transaction). */
  private requireRun(runId: string): void {
    if (!this.db.prepare("SELECT 1 FROM runs WHERE id = ?").get(runId)) throw new RunDeletedError(`run ${runId} is no longer in ${this.dir} (deleted while it was written); nothing more is recorded for it`);
  }

  /** Appends rows in one transaction (the tracker batches them) and counts them in the run's record. */
  appendRows(runId: string, episodes: readonly EpisodeRow[], metrics: readonly MetricRow[]): void {
    const insertEpisode = this.db.prepare("INSERT INTO episodes (run_id, step, wall, return, length) VALUES (?, ?, ?, ?, ?)");
    const insertMetric = this.db.prepare("INSERT INTO metrics (run_id, step, wall, key, value) VALUES (?, ?, ?, ?, ?)");
    const count = this.db.prepare("UPDATE runs SET episode_rows = episode_rows + ?, metric_rows = metric_rows + ? WHERE id = ?");
    this.db.transaction(() => {
      if (count.run(episodes.length, metrics.length, runId).changes === 0) this.requireRun(runId);
      for (const e of episodes) insertEpisode.run(runId, e.step, e.wall, e.return, e.length);
      for (const m of metrics) insertMetric.run(runId, m.step, m.wall, m.key, Number.isFinite(m.value) ? m.value : null);
      this.addExtremes(runId, metrics);
    }).immediate();
  }

  private addExtremes(runId: string, metrics: readonly MetricRow[]): void {
    const blocks = new Map<string, { key: string; block: number; min: MetricRow; max: MetricRow }>();
    for (const m of metrics) {
      if (!Number.isFinite(m.value)) continue;
      const block = Math.floor(m.step / EXTREME_BLOCK_STEPS);
      const id = `${block} ${m.key}`;
      const b = blocks.get(id);
      if (!b) blocks.set(id, { key: m.key, block, min: m, max: m });
      else {
        if (m.value < b.min.value) b.min = m;
        if (m.value > b.max.value) b.max = m;
      }
    }
    const upsert = this.db.prepare(UPSERT_EXTREMES);
    for (const { key, block, min, max } of blocks.values()) upsert.run(runId, key, block, min.step, min.wall, min.value, max.step, max.wall, max.value);
  }

  /**
   * Writes an artifact file atomically, then records it with its checksum in one transaction
   * with `rows` (and, with `finish`, the run's end: so a finished run always has its policy).
   */
  addArtifact(runId: string, kind: ArtifactRecord["kind"], step: number, bytes: Uint8Array, rows?: { episodes: readonly EpisodeRow[]; metrics: readonly MetricRow[] }, finish?: { summary: Record<string, unknown> | null }): ArtifactRecord {
    this.requireRun(runId); // before writing a file nothing would record
    const file = join(this.dir, "artifacts", runId, artifactFileName(kind, step));
    writeFileAtomic(file, bytes);
    const record: ArtifactRecord = { run_id: runId, kind, step, path: file, sha256: sha256(bytes), bytes: bytes.length, created_at: new Date().toISOString() };
    this.db.transaction(() => {
      this.requireRun(runId);
      if (rows) this.appendRows(runId, rows.episodes, rows.metrics);
      if (kind === "policy") this.db.prepare("DELETE FROM artifacts WHERE run_id = ? AND kind = 'policy'").run(runId);
      this.db.prepare("INSERT INTO artifacts (run_id, kind, step, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(record.run_id, kind, step, file, record.sha256, record.bytes, record.created_at);
      if (finish) this.finishRun(runId, "finished", finish.summary);
    }).immediate();
    return record;
  }

  /**
   * Removes what a process killed while writing left in a run's directory: temp files and
   * artifact files the database does not record (written but not yet recorded, or forgotten but
   * not yet removed). Only for a run no process writes (a resume owns it; tsrl runs check).
   */
  removeLeftovers(runId: string): string[] {
    const dir = join(this.dir, "artifacts", runId);
    if (!existsSync(dir)) return [];
    const recorded = new Set(this.artifacts(runId).map((a) => basename(a.path)));
    const removed = readdirSync(dir).filter((file) => !recorded.has(file) && isArtifactOrTemp(file));
    for (const file of removed) rmSync(join(dir, file), { force: true });
    return removed;
  }

  /** What is wrong when a run has two or more files newer than its records (a crash leaves at most one). */
  private lostCommits(run: Pick<RunRecord, "id" | "name">): string | undefined {
    const lost = this.filesBeyondRecords(run.id);
    return lost.length >= 2 ? `run ${run.id} (${run.name}) has files newer than its records (${lost.join(", ")}): the database lost its last commits` : undefined;
  }

  /**
   * Artifact files of a run that no record covers and that are newer than its newest recorded
   * artifact. A crash leaves at most one (written, not yet recorded); more mean the database lost
   * commits its files outlived (e.g. a damaged -wal file).
   */
  filesBeyondRecords(runId: string): string[] {
    const dir = join(this.dir, "artifacts", runId);
    if (!existsSync(dir)) return [];
    const records = this.artifacts(runId);
    const recorded = new Set(records.map((a) => basename(a.path)));
    const newest = Math.max(-1, ...records.map((a) => a.step));
    const hasPolicy = records.some((a) => a.kind === "policy");
    return readdirSync(dir).filter((file) => {
      if (recorded.has(file)) return false;
      if (file === "policy.tsrlpolicy") return !hasPolicy;
      const step = /^checkpoint-(\d+)\.tsrlckpt$/.exec(file)?.[1];
      return step !== undefined && Number(step) > newest;
    }).sort();
  }

  /** Forgets an artifact, then removes its file (a crash in between leaves an orphan file, which removeLeftovers and tsrl runs check remove). */
  deleteArtifact(a: ArtifactRecord): void {
    this.db.prepare("DELETE FROM artifacts WHERE run_id = ? AND kind = ? AND step = ?").run(a.run_id, a.kind, a.step);
    rmSync(a.path, { force: true });
  }

  /** Whether a finished run has what it must leave: a policy record whose file is there and intact. */
  hasIntactPolicy(runId: string): boolean {
    const policy = this.artifacts(runId, "policy").at(-1);
    if (!policy) return false;
    try {
      this.readArtifact(policy);
      return true;
    } catch {
      return false;
    }
  }

  /** Records where a run (re)started: software versions, pid and host. */
  setVersions(runId: string, versions: Record<string, unknown>): void {
    this.db.prepare("UPDATE runs SET versions = ? WHERE id = ?").run(JSON.stringify(versions), runId);
  }

  artifacts(runId: string, kind?: ArtifactRecord["kind"]): ArtifactRecord[] {
    const rows = this.db.prepare(`SELECT * FROM artifacts WHERE run_id = ? ${kind ? "AND kind = ?" : ""} ORDER BY step`).all(...(kind ? [runId, kind] : [runId])) as ArtifactRecord[];
    // Files live in <store>/artifacts/<run>/: found there even after the store was moved or copied.
    return rows.map((a) => ({ ...a, path: join(this.dir, "artifacts", a.run_id, basename(a.path)) }));
  }

  /** Reads an artifact and checks its checksum; a mismatch names the file and what to do. */
  readArtifact(a: ArtifactRecord): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(a.path);
    } catch (err) {
      throw new StoreError(`${a.kind} ${a.path} is missing (${(err as NodeJS.ErrnoException).code})`);
    }
    if (sha256(bytes) !== a.sha256) throw new StoreError(`${a.kind} ${a.path} is corrupted (checksum mismatch)`);
    return bytes;
  }

  finishRun(runId: string, status: Exclude<RunStatus, "running">, summary: Record<string, unknown> | null, error?: string): void {
    const changed = this.db.prepare("UPDATE runs SET status = ?, ended_at = ?, summary = ?, error = ? WHERE id = ?").run(status, new Date().toISOString(), summary && JSON.stringify(summary), error ?? null, runId);
    if (changed.changes === 0) this.requireRun(runId);
  }

  /** Marks a run as running again and drops the rows recorded after `step` (they will be recomputed exactly). */
  reopenRun(runId: string, step: number): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM episodes WHERE run_id = ? AND step > ?").run(runId, step);
      this.db.prepare("DELETE FROM metrics WHERE run_id = ? AND step > ?").run(runId, step);
      // The block holding `step` is rebuilt from the rows that stay.
      const block = Math.floor(step / EXTREME_BLOCK_STEPS);
      const keys = this.db.prepare("SELECT key FROM metric_extremes WHERE run_id = ? AND block = ?").pluck().all(runId, block) as string[];
      this.db.prepare("DELETE FROM metric_extremes WHERE run_id = ? AND block >= ?").run(runId, block);
      const kept = this.db.prepare("SELECT step, wall, key, value FROM metrics WHERE run_id = ? AND key = ? AND step >= ? AND value IS NOT NULL");
      this.addExtremes(runId, keys.flatMap((key) => kept.all(runId, key, block * EXTREME_BLOCK_STEPS) as MetricRow[]));
      this.db.prepare("DELETE FROM artifacts WHERE run_id = ? AND kind = 'checkpoint' AND step > ?").run(runId, step);
      // the policy of a finished run being repaired goes too: a new one is written when it finishes again
      this.db.prepare("DELETE FROM artifacts WHERE run_id = ? AND kind = 'policy'").run(runId);
      this.db.prepare("UPDATE runs SET status = 'running', ended_at = NULL, summary = NULL, error = NULL WHERE id = ?").run(runId);
      this.recount(runId);
    }).immediate();
  }

  /** Sets a run's row counts to the rows it has (after rows were dropped on purpose). */
  private recount(runId: string): void {
    this.db.prepare("UPDATE runs SET episode_rows = (SELECT COUNT(*) FROM episodes WHERE run_id = @id), metric_rows = (SELECT COUNT(*) FROM metrics WHERE run_id = @id) WHERE id = @id").run({ id: runId });
  }

  /** Every episode of a run; fewer rows than the run counted written is damage, not a result. */
  episodes(runId: string): EpisodeRow[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare("SELECT step, wall, return, length FROM episodes WHERE run_id = ? ORDER BY rowid").all(runId) as EpisodeRow[];
      this.checkCount(runId, "episode", rows.length);
      return rows;
    })();
  }

  /** A run's metric rows (every key, or one); all of them are checked against the run's count. */
  metrics(runId: string, key?: string): MetricRow[] {
    return this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT step, wall, key, value FROM metrics WHERE run_id = ? ${key ? "AND key = ?" : ""} ORDER BY rowid`).all(...(key ? [runId, key] : [runId])) as MetricRow[];
      if (!key) this.checkCount(runId, "metric", rows.length);
      return rows;
    })();
  }

  private checkCount(runId: string, what: "episode" | "metric", found: number): void {
    const expected = this.db.prepare(`SELECT ${what}_rows FROM runs WHERE id = ?`).pluck().get(runId) as number | undefined;
    if (expected !== undefined && expected !== found) throw damaged(this.dir, `run ${runId} has ${found} ${what} rows of the ${expected} it recorded`);
  }

  /** The mean return of the run's last `episodes` episodes (NaN without any): its score. */
  recentMeanReturn(runId: string, episodes = 100): number {
    const row = this.db.prepare("SELECT AVG(return) AS mean FROM (SELECT return FROM episodes WHERE run_id = ? ORDER BY step DESC, rowid DESC LIMIT ?)").get(runId, episodes) as { mean: number | null };
    return row.mean ?? NaN;
  }

  /** The wall-clock seconds of the run's latest row (0 without rows). */
  lastWall(runId: string): number {
    const row = this.db.prepare("SELECT MAX(w) AS wall FROM (SELECT MAX(wall) AS w FROM episodes WHERE run_id = ? UNION ALL SELECT MAX(wall) FROM metrics WHERE run_id = ?)").get(runId, runId) as { wall: number | null };
    return row.wall ?? 0;
  }

  /** The value recorded for `key` at its latest step (null without one, or when it was recorded as missing). */
  lastMetric(runId: string, key: string): number | null {
    return (this.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND key = ? ORDER BY step DESC, rowid DESC LIMIT 1").pluck().get(runId, key) as number | null | undefined) ?? null;
  }

  metricKeys(runId: string): string[] {
    return (this.db.prepare("SELECT DISTINCT key FROM metrics WHERE run_id = ? ORDER BY key").all(runId) as { key: string }[]).map((r) => r.key);
  }

  /**
   * Takes a run over to resume it from `step`, in one write transaction so that two resumes of
   * one run cannot both pass: refused while its process lives (unless `takeover`: that process
   * is known not to be the trainer, e.g. a reused pid), then rows after `step` are dropped and
   * the run records `versions` and the `config` it goes on with.
   */
  resumeRun(runId: string, step: number, versions: Record<string, unknown>, options: { takeover?: boolean; config?: Record<string, unknown> } = {}): void {
    this.requireWritable(`resume run ${runId}`);
    this.db.transaction(() => {
      const row = this.db.prepare("SELECT name, status FROM runs WHERE id = ?").get(runId) as { name: string; status: string } | undefined;
      if (!row) throw new StoreError(`no run with id "${runId}" in ${this.dir}`);
      // a finished run is resumed only to repair it: its policy is missing or damaged (written again from its last checkpoint)
      if (row.status === "finished" && this.hasIntactPolicy(runId)) throw new StoreError(`run ${runId} (${row.name}) already finished; start a new one with tsrl train`);
      if (!options.takeover) this.refuseIfRunning(runId, "if that process is not the trainer (its pid was reused, or it ran on another host and is gone), pass --takeover");
      this.reopenRun(runId, step);
      this.setVersions(runId, versions);
      if (options.config) this.db.prepare("UPDATE runs SET config = ? WHERE id = ?").run(JSON.stringify(options.config), runId);
    }).immediate();
  }

  /** Throws RunBusyError, ending with `advice`, while the run's process lives (or may: another host's). */
  refuseIfRunning(runId: string, advice: string): void {
    const run = this.db.prepare("SELECT id, name, status, config, versions, summary FROM runs WHERE id = ?").get(runId) as RawRun | undefined;
    if (!run) return;
    // unreadable versions: no pid, so the run counts as running (--force/--takeover say otherwise)
    const { pid, host } = parseRunColumns(run).versions as { pid?: number; host?: string };
    if (displayStatus(run.status, { pid, host }) === "running") throw new RunBusyError(`run ${runId} (${run.name}) is still running (pid ${String(pid)} on ${String(host)}); ${advice}`);
  }

  /**
   * Deletes a run, unless it is running (a live trainer would go on writing rows of no run);
   * `force` deletes one whose process is known to be gone although it cannot be checked.
   */
  deleteRun(runId: string, force = false): void {
    this.requireWritable(`delete run ${runId}`);
    if (!force) this.refuseIfRunning(runId, "stop it first, then delete it (or pass --force if that process is gone)");
    // Files aside first, so a crash never leaves a run directory without its run; the next open finishes the delete.
    const files = join(this.dir, "artifacts", runId), aside = join(this.dir, "artifacts", `${DELETED_PREFIX}${runId}`);
    if (existsSync(files)) renameSync(files, aside);
    this.deleteRows(runId);
    rmSync(aside, { recursive: true, force: true });
  }

  /** Removes a run's record and every row of it (a live trainer's next write then fails: RunDeletedError). */
  private deleteRows(runId: string): void {
    this.db.transaction(() => {
      for (const table of ["episodes", "metrics", "metric_extremes", "artifacts", "runs"]) this.db.prepare(`DELETE FROM ${table} WHERE ${table === "runs" ? "id" : "run_id"} = ?`).run(runId);
    }).immediate();
  }

  private decode(r: RawRun): RunRecord {
    const last = this.db.prepare("SELECT MAX(step) AS s FROM (SELECT step FROM episodes WHERE run_id = ? UNION ALL SELECT step FROM metrics WHERE run_id = ?)").get(r.id, r.id) as { s: number | null };
    const { config, versions, summary, damaged } = parseRunColumns(r);
    return { ...r, config, versions, summary, status: r.status as RunStatus, last_step: last.s ?? 0, tags: decodeTags(r.tags), notes: r.notes ?? "", ...(damaged ? { damaged } : {}) };
  }
}

/**
 * A run record's JSON columns, each checked: one unreadable run names itself and its column
 * (`damaged`, with empty placeholders) instead of breaking every reader of the store.
 */
export function parseRunColumns(r: Pick<RawRun, "id" | "name" | "config" | "versions" | "summary">): { config: Record<string, unknown>; versions: Record<string, unknown>; summary: Record<string, unknown> | null; damaged?: string } {
  const problems: string[] = [];
  const column = (name: "config" | "versions" | "summary", nullable: boolean): Record<string, unknown> | null => {
    const text = r[name];
    if (text === null && nullable) return null;
    let value: unknown;
    try {
      value = JSON.parse(String(text));
    } catch (err) {
      problems.push(`column ${name} is not valid JSON (${(err as Error).message})`);
      return nullable ? null : {};
    }
    if (value === null && nullable) return null;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    problems.push(`column ${name} holds ${JSON.stringify(value)}, not an object`);
    return nullable ? null : {};
  };
  const config = column("config", false)!, versions = column("versions", false)!, summary = column("summary", true);
  return { config, versions, summary, ...(problems.length ? { damaged: `run ${r.id} (${r.name}): ${problems.join("; ")}` } : {}) };
}

function artifactFileName(kind: ArtifactRecord["kind"], step: number): string {
  return kind === "checkpoint" ? `checkpoint-${String(step).padStart(10, "0")}.tsrlckpt` : "policy.tsrlpolicy";
}

/** Files of a run directory the store writes: artifacts and the temp files they are written through. */
function isArtifactOrTemp(file: string): boolean {
  return /^checkpoint-\d+\.tsrlckpt$/.test(file) || file === "policy.tsrlpolicy" || (file.startsWith(".") && file.endsWith(".tmp"));
}

/** A runs-table row as SQLite returns it (JSON columns still text). */
export interface RawRun {
  id: string;
  name: string;
  algo: string;
  env: string;
  seed: number;
  config: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  versions: string;
  checkpoint_every: number;
  summary: string | null;
  error: string | null;
  episode_rows: number;
  metric_rows: number;
  /** a JSON array of strings, and text (schema 4; absent in an older store opened read-only) */
  tags?: string;
  notes?: string;
}

/** A run's tags column as a list (an unreadable one reads as none: tags are labels, not results). */
export function decodeTags(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const tags = JSON.parse(text) as unknown;
    return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/**
 * A run's status as a person should read it: a "running" run whose process is gone (killed,
 * crashed) on this host is "killed".
 */
export function displayStatus(status: string, versions: { pid?: number; host?: string }): RunStatus {
  if (status !== "running") return status as RunStatus;
  if (versions.host !== hostname() || versions.pid === undefined) return "running";
  try {
    process.kill(versions.pid, 0);
    return "running";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM" ? "running" : "killed"; // EPERM: alive, another user's
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
