/**
 * What a user may change about a recorded run after the fact: its name, tags and notes. Results
 * (config, rows, artifacts) never change. Each value is checked here, so the dashboard and any
 * other caller refuse the same bad input with the same message.
 */
import { type RunStore, StoreError } from "./store.js";

const MAX_NAME = 200;
const MAX_TAG = 40;
const MAX_TAGS = 20;
const MAX_NOTES = 20_000;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A run name as given by a user: trimmed, non-empty, printable, not too long. */
export function checkRunName(name: unknown): string {
  const clean = typeof name === "string" ? name.trim() : "";
  if (!clean) throw new StoreError("a run name cannot be empty");
  if (clean.length > MAX_NAME) throw new StoreError(`a run name has at most ${MAX_NAME} characters (got ${clean.length})`);
  if (CONTROL.test(clean)) throw new StoreError("a run name cannot hold control characters (newlines, escapes)");
  return clean;
}

/** Tags as given by a user: each trimmed, non-empty, printable, without commas; duplicates dropped, order kept. */
export function checkTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw new StoreError("tags must be a list of strings");
  const clean = [...new Set(tags.map((t) => (typeof t === "string" ? t.trim() : "")))];
  for (const tag of clean) {
    if (!tag) throw new StoreError("a tag cannot be empty");
    if (tag.length > MAX_TAG || CONTROL.test(tag) || tag.includes(",")) throw new StoreError(`tag "${tag.slice(0, 60)}": at most ${MAX_TAG} printable characters, no commas`);
  }
  if (clean.length > MAX_TAGS) throw new StoreError(`a run has at most ${MAX_TAGS} tags (got ${clean.length})`);
  return clean;
}

export function checkNotes(notes: unknown): string {
  if (typeof notes !== "string") throw new StoreError("notes must be text");
  if (notes.length > MAX_NOTES) throw new StoreError(`notes have at most ${MAX_NOTES} characters (got ${notes.length})`);
  return notes;
}

function requireWritable(store: RunStore, what: string): void {
  if (store.readonly) throw new StoreError(`cannot ${what}: store ${store.dir} is read-only for this user`);
}

function updated(store: RunStore, runId: string, changes: number): void {
  if (changes === 0) throw new StoreError(`no run with id "${runId}" in ${store.dir}`);
}

/** Renames a run; names stay unique and the id never changes. */
export function renameRun(store: RunStore, runId: string, name: unknown): string {
  requireWritable(store, `rename run ${runId}`);
  const clean = checkRunName(name);
  store.db.transaction(() => {
    const other = store.db.prepare("SELECT id FROM runs WHERE name = ?").pluck().get(clean) as string | undefined;
    if (other !== undefined && other !== runId) throw new StoreError(`a run named "${clean}" already exists (${other}); pick another name`);
    updated(store, runId, store.db.prepare("UPDATE runs SET name = ? WHERE id = ?").run(clean, runId).changes);
  }).immediate();
  return clean;
}

/** Replaces a run's tags. */
export function setRunTags(store: RunStore, runId: string, tags: unknown): string[] {
  requireWritable(store, `tag run ${runId}`);
  const clean = checkTags(tags);
  updated(store, runId, store.db.prepare("UPDATE runs SET tags = ? WHERE id = ?").run(JSON.stringify(clean), runId).changes);
  return clean;
}

/** Replaces a run's notes. */
export function setRunNotes(store: RunStore, runId: string, notes: unknown): string {
  requireWritable(store, `write the notes of run ${runId}`);
  const clean = checkNotes(notes);
  updated(store, runId, store.db.prepare("UPDATE runs SET notes = ? WHERE id = ?").run(clean, runId).changes);
  return clean;
}
