/** Names, tags and notes of recorded runs: checked input, unique names, and stores from before they existed. */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renameRun, setRunNotes, setRunTags } from "../src/track/run-labels.js";
import { RunStore, STORE_SCHEMA_VERSION } from "../src/track/store.js";

function storeWithRuns(): { store: RunStore; a: string; b: string } {
  const store = new RunStore(mkdtempSync(join(tmpdir(), "tsrl-labels-")));
  const make = (name: string) => store.createRun({ name, algo: "ppo", env: "CartPole-v1", seed: 1, config: {}, versions: {}, checkpoint_every: 0 }).id;
  return { store, a: make("first"), b: make("second") };
}

describe("run labels", () => {
  it("renames a run (unique, trimmed, printable); tags and notes round-trip", () => {
    const { store, a, b } = storeWithRuns();
    assert.deepEqual([store.getRun(a).tags, store.getRun(a).notes], [[], ""]);
    assert.equal(renameRun(store, a, "  baseline  "), "baseline");
    assert.equal(store.getRun("baseline").id, a);
    assert.throws(() => renameRun(store, b, "baseline"), /a run named "baseline" already exists/);
    assert.equal(renameRun(store, a, "baseline"), "baseline", "its own name again is fine");
    assert.throws(() => renameRun(store, a, "   "), /cannot be empty/);
    assert.throws(() => renameRun(store, a, "evil\x1b[2Jname"), /control characters/);
    assert.throws(() => renameRun(store, "nope", "x"), /no run with id "nope"/);
    assert.deepEqual(setRunTags(store, a, [" sweep ", "lr", "sweep"]), ["sweep", "lr"]);
    assert.deepEqual(store.getRun(a).tags, ["sweep", "lr"]);
    assert.throws(() => setRunTags(store, a, ["a,b"]), /no commas/);
    assert.throws(() => setRunTags(store, a, "sweep"), /list of strings/);
    assert.throws(() => setRunTags(store, a, Array.from({ length: 21 }, (_, i) => `t${i}`)), /at most 20 tags/);
    assert.deepEqual(store.getRun(a).tags, ["sweep", "lr"], "a refused change changes nothing");
    setRunNotes(store, a, "first try\n<b>not markup</b>");
    assert.equal(store.getRun(a).notes, "first try\n<b>not markup</b>");
    assert.throws(() => setRunNotes(store, a, 5), /notes must be text/);
    store.close();
  });

  it("a store from schema 3 gains empty tags and notes when opened", () => {
    const { store, a } = storeWithRuns();
    const dir = store.dir;
    store.db.exec("ALTER TABLE runs DROP COLUMN tags; ALTER TABLE runs DROP COLUMN notes");
    store.db.pragma("user_version = 3");
    store.close();
    const reopened = new RunStore(dir);
    assert.equal(reopened.db.pragma("user_version", { simple: true }), STORE_SCHEMA_VERSION);
    assert.deepEqual([reopened.getRun(a).tags, reopened.getRun(a).notes], [[], ""]);
    setRunTags(reopened, a, ["old"]);
    assert.deepEqual(reopened.getRun(a).tags, ["old"]);
    reopened.close();
  });
});
