/**
 * The dashboard's read side of the run store. It opens the store lazily (a missing store is a
 * state the page explains, and it is picked up once training creates it) and answers with
 * queries that stay fast on huge runs: RunStore's own `listRuns`/`metricKeys` scan every metric
 * row of a run (MAX(step) and DISTINCT key are not covered by the (run_id, key, step) index),
 * so this file walks the index key by key instead.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { renameRun, setRunNotes, setRunTags } from "../track/run-labels.js";
import { isTextAlgo } from "../llm/text-algos.js";
import { type ArtifactRecord, type RawRun, RunStore, decodeTags, displayStatus, parseRunColumns } from "../track/store.js";
import { type SeriesRange, readSeries } from "./series.js";
import type { ChangeEvent, ComparisonSummary, RunChanges, RunDetail, RunSeriesData, RunSummary, StoreStatus } from "./types.js";

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** Retry opening a missing store, or check that the open one is still the store's file, at most this often. */
const REOPEN_MS = 1000;

export class StoreReader {
  private store: RunStore | null = null;
  private lastStatus: StoreStatus;
  private lastAttempt = -Infinity;
  /** the open database file's inode: a store deleted and created anew is a new file */
  private inode = -1;
  /** change detection: the connection's data_version, the newest rows seen, the runs' statuses */
  private dataVersion = -1;
  private lastRowids = { metrics: 0, episodes: 0 };
  private runStates = new Map<string, string>();

  constructor(readonly dir: string) {
    this.lastStatus = { state: "missing", dir };
  }

  status(): StoreStatus {
    this.tryOpen();
    return this.lastStatus;
  }

  /** The open store, or an error that says why there is none. */
  private db(): RunStore {
    const store = this.tryOpen();
    if (!store) throw new StoreUnavailableError(this.lastStatus.message ?? `no run store at ${this.dir}`);
    return store;
  }

  private tryOpen(): RunStore | null {
    const now = performance.now();
    if (now - this.lastAttempt < REOPEN_MS) return this.store;
    this.lastAttempt = now;
    if (this.store) {
      if (this.fileInode() === this.inode) return this.store;
      this.close();
    }
    try {
      const inode = this.fileInode();
      const store = new RunStore(this.dir, { create: false });
      this.inode = inode;
      // Reads of big runs touch pages all over the file: map it instead of copying pages through the cache.
      store.db.pragma("mmap_size = 1073741824");
      this.store = store;
      this.lastStatus = { state: "ok", dir: this.dir };
    } catch (err) {
      const message = (err as Error).message;
      const missing = /no run store at|unable to open|does not exist|SQLITE_CANTOPEN/i.test(message);
      this.lastStatus = { state: missing ? "missing" : "error", dir: this.dir, message };
    }
    return this.store;
  }

  private fileInode(): number {
    try {
      return statSync(join(this.dir, "runs.sqlite")).ino;
    } catch {
      return -1;
    }
  }

  close(): void {
    this.store?.close();
    this.store = null;
    this.dataVersion = -1;
    this.lastRowids = { metrics: 0, episodes: 0 };
    this.runStates.clear();
  }

  listRuns(): RunSummary[] {
    const store = this.db();
    const rows = store.db.prepare("SELECT * FROM runs ORDER BY started_at").all() as RawRun[];
    return rows.map((r) => this.summarize(store, r));
  }

  runDetail(id: string): RunDetail {
    const store = this.db();
    const raw = store.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RawRun | undefined;
    if (!raw) throw new NotFoundError(`no run with id "${id}" in ${this.dir}`);
    const summary = this.summarize(store, raw);
    const columns = parseRunColumns(raw);
    return {
      ...summary,
      endedAt: raw.ended_at,
      versions: columns.versions,
      summary: columns.summary,
      error: raw.error,
      checkpointEvery: raw.checkpoint_every,
      metricKeys: metricKeys(store, id),
      episodes: (store.db.prepare("SELECT COUNT(*) AS n FROM episodes WHERE run_id = ?").get(id) as { n: number }).n,
      artifacts: store.artifacts(id).map((a) => ({ kind: a.kind, step: a.step, bytes: a.bytes, sha256: a.sha256, createdAt: a.created_at })),
    };
  }

  series(runIds: readonly string[], key: string, range: SeriesRange): RunSeriesData[] {
    const store = this.db();
    return runIds.map((run) => {
      this.requireRun(store, run);
      return { run, key, ...readSeries(store.db, run, key, range) };
    });
  }

  /** An artifact by its database record (never by a path from the request). */
  artifact(runId: string, kind: string, step: number): ArtifactRecord {
    const store = this.db();
    this.requireRun(store, runId);
    const found = store.artifacts(runId).find((a) => a.kind === kind && a.step === step);
    if (!found) throw new NotFoundError(`run ${runId} has no ${kind} at step ${step}`);
    return found;
  }

  /** The newest policy of a run, else null. */
  policyArtifact(runId: string): ArtifactRecord | null {
    const store = this.db();
    this.requireRun(store, runId);
    return store.artifacts(runId, "policy").at(-1) ?? null;
  }

  readArtifact(a: ArtifactRecord): Uint8Array {
    return this.db().readArtifact(a);
  }

  /** Each run's score: the mean return of its last 100 episodes. */
  scores(runIds: readonly string[]): Record<string, number | null> {
    const store = this.db();
    return Object.fromEntries(runIds.map((id) => {
      const score = store.recentMeanReturn(id);
      return [id, Number.isNaN(score) ? null : score];
    }));
  }

  /** Each run's recorded greedy evaluation (`tsrl compare` writes eval/mean_return), or null. */
  evaluations(runIds: readonly string[]): Record<string, number | null> {
    const latest = this.db().db.prepare("SELECT value FROM metrics WHERE run_id = ? AND key = 'eval/mean_return' ORDER BY step DESC LIMIT 1").pluck();
    return Object.fromEntries(runIds.map((id) => [id, (latest.get(id) as number | null | undefined) ?? null]));
  }

  /** The `tsrl compare` comparisons (state files beside the database) that include any of `runIds`. */
  comparisons(runIds: readonly string[]): ComparisonSummary[] {
    const store = this.db();
    const dir = join(this.dir, "comparisons");
    if (!existsSync(dir)) return [];
    const wanted = new Set(runIds);
    const found: ComparisonSummary[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      const state = readComparison(join(dir, file));
      if (!state) continue;
      const runs = (store.db.prepare("SELECT id, name FROM runs WHERE env = ?").all(state.spec.env) as { id: string; name: string }[])
        .filter((r) => state.spec.agents.some((a) => r.name.startsWith(`${state.name}-${state.id}-${a}-s`)))
        .map((r) => r.id);
      if (!runs.some((id) => wanted.has(id))) continue;
      const { decisions, interim } = state.adastop;
      found.push({ name: state.name, env: state.spec.env, agents: state.spec.agents, interim, nGroups: state.spec.K, finished: !Object.values(decisions).includes("undecided"), decisions, runs });
    }
    return found;
  }

  /** The run's record as RunStore has it (for rebuilding its agent from a checkpoint). */
  runRecord(id: string) {
    const store = this.db();
    this.requireRun(store, id);
    return store.getRun(id);
  }

  deleteRun(id: string): void {
    const store = this.db();
    this.requireRun(store, id);
    store.deleteRun(id);
  }

  /** Renames, tags or annotates a run (each value checked by src/track/run-labels.ts). */
  updateRun(id: string, changes: RunChanges): RunSummary {
    const store = this.db();
    this.requireRun(store, id);
    if (changes.name !== undefined) renameRun(store, id, changes.name);
    if (changes.tags !== undefined) setRunTags(store, id, changes.tags);
    if (changes.notes !== undefined) setRunNotes(store, id, changes.notes);
    return this.summarize(store, store.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RawRun);
  }

  /**
   * What changed since the last call: runs with new rows (found from rowids above the newest
   * seen, so the check costs nothing when idle) or a new status, and whether the list changed.
   */
  poll(): ChangeEvent | null {
    const before = this.store;
    const store = this.tryOpen();
    if (!store) return null;
    const wasOpen = store === before; // else a store (re)appeared: everything is new
    const version = store.db.pragma("data_version", { simple: true }) as number;
    if (wasOpen && version === this.dataVersion) return null;
    this.dataVersion = version;

    const changed = new Set<string>();
    let list = !wasOpen;
    for (const table of ["metrics", "episodes"] as const) {
      const newest = (store.db.prepare(`SELECT MAX(rowid) AS r FROM ${table}`).get() as { r: number | null }).r ?? 0;
      const since = this.lastRowids[table];
      this.lastRowids[table] = newest;
      if (!wasOpen) continue; // the first look only notes where the tables end
      if (newest < since) list = true; // rows were deleted (a run removed or reopened)
      for (const { run_id } of store.db.prepare(`SELECT DISTINCT run_id FROM ${table} WHERE rowid > ?`).all(Math.min(since, newest)) as { run_id: string }[]) changed.add(run_id);
    }
    const states = new Map((store.db.prepare("SELECT * FROM runs").all() as RawRun[]).map((r) => [r.id, JSON.stringify([r.status, r.ended_at, r.name, r.tags ?? "", r.notes ?? ""])]));
    if (states.size !== this.runStates.size || [...states.keys()].some((id) => !this.runStates.has(id))) list = true;
    for (const [id, state] of states) if (wasOpen && this.runStates.get(id) !== state) changed.add(id);
    this.runStates = states;
    return changed.size || list ? { runs: [...changed], list } : null;
  }

  private requireRun(store: RunStore, id: string): void {
    if (!store.db.prepare("SELECT 1 FROM runs WHERE id = ?").get(id)) throw new NotFoundError(`no run with id "${id}" in ${this.dir}`);
  }

  private summarize(store: RunStore, r: RawRun): RunSummary {
    // one malformed row is that run's problem (named), not the whole list's
    const { summary, versions, config, damaged } = parseRunColumns(r);
    const last = lastRow(store, r.id);
    const recentMean = store.recentMeanReturn(r.id);
    const summaryReturn = summary?.final_mean_return;
    const summaryWall = summary?.wall_s;
    return {
      id: r.id,
      name: r.name,
      algo: r.algo,
      env: r.env,
      seed: r.seed,
      status: damaged ? "damaged" : displayStatus(r.status, versions),
      ...(damaged ? { damaged: `${damaged}; run \`tsrl runs check\`` } : {}),
      steps: typeof summary?.total_timesteps === "number" ? summary.total_timesteps : last.step,
      finalReturn: typeof summaryReturn === "number" ? summaryReturn : Number.isNaN(recentMean) ? null : recentMean,
      wallSeconds: typeof summaryWall === "number" ? summaryWall : last.wall,
      startedAt: r.started_at,
      config,
      replayable: !isTextAlgo(r.algo) && store.db.prepare("SELECT 1 FROM artifacts WHERE run_id = ? LIMIT 1").get(r.id) !== undefined,
      tags: decodeTags(r.tags),
      notes: r.notes ?? "",
    };
  }
}

interface ComparisonFile {
  name: string;
  id: string;
  spec: { env: string; agents: string[]; K: number };
  adastop: { decisions: Record<string, string>; interim: number };
}

/** A comparison state file, or null when it is not one (being written, or something else). */
function readComparison(file: string): ComparisonFile | null {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as ComparisonFile;
    const ok = typeof state.name === "string" && typeof state.id === "string" && Array.isArray(state.spec?.agents) && typeof state.spec.env === "string" && typeof state.adastop?.decisions === "object" && typeof state.adastop.interim === "number";
    return ok ? state : null;
  } catch {
    return null;
  }
}

export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/** A run's metric keys by skipping through the index: one seek per key instead of a scan of every row. */
export function metricKeys(store: RunStore, runId: string): string[] {
  const first = store.db.prepare("SELECT key FROM metrics WHERE run_id = ? ORDER BY key LIMIT 1");
  const next = store.db.prepare("SELECT key FROM metrics WHERE run_id = ? AND key > ? ORDER BY key LIMIT 1");
  const keys: string[] = [];
  let row = first.get(runId) as { key: string } | undefined;
  while (row) {
    keys.push(row.key);
    row = next.get(runId, row.key) as { key: string } | undefined;
  }
  return keys;
}

/** The step and wall-clock time of a run's latest row, from one index seek per metric key. */
function lastRow(store: RunStore, runId: string): { step: number; wall: number | null } {
  let step = 0;
  let wall: number | null = null;
  const consider = (row: { step: number; wall: number } | undefined) => {
    if (!row) return;
    step = Math.max(step, row.step);
    wall = Math.max(wall ?? 0, row.wall);
  };
  consider(store.db.prepare("SELECT step, wall FROM episodes WHERE run_id = ? ORDER BY step DESC LIMIT 1").get(runId) as { step: number; wall: number } | undefined);
  const latest = store.db.prepare("SELECT step, wall FROM metrics WHERE run_id = ? AND key = ? ORDER BY step DESC LIMIT 1");
  for (const key of metricKeys(store, runId)) consider(latest.get(runId, key) as { step: number; wall: number } | undefined);
  return { step, wall };
}

