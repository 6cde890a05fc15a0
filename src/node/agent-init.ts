/**
 * `--init <run|file>` of tsrl train sac: a run in the store (id or name) becomes the path of its
 * final checkpoint, a file stays itself; importing this module lets algorithms read `init` files.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { setInitReader } from "../algos/agent-init.js";
import { ConfigError } from "../algos/common.js";
import { RunStore, storeDirectory } from "../track/store.js";

setInitReader((path) => {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new ConfigError(`--init ${path}: cannot read it (${(err as Error).message}); was the run it came from deleted?`);
  }
});

/** The checkpoint file `ref` names: a file, or a finished run's last checkpoint (checked against its recorded SHA-256). */
export function initCheckpointPath(ref: string, algo: string, store?: string): string {
  if (existsSync(ref) && statSync(ref).isFile()) return resolve(ref);
  let runs: RunStore;
  try {
    runs = new RunStore(storeDirectory(store), { create: false });
  } catch {
    throw new ConfigError(`${algo} --init ${ref}: no such file, and no run store to look the run up in (train one first, e.g. tsrl train iql --dataset <name> --env <id>)`);
  }
  try {
    const run = runs.getRun(ref);
    if (run.status !== "finished") throw new ConfigError(`${algo} --init ${ref}: run ${run.name} has not finished (${run.status}); finish it with tsrl resume ${run.name}, or pass one of its checkpoint files`);
    const checkpoint = runs.artifacts(run.id, "checkpoint").at(-1);
    if (!checkpoint) throw new ConfigError(`${algo} --init ${ref}: run ${run.name} kept no checkpoints (--checkpoint-every 0), and a saved policy holds the actor only; train it again with checkpoints`);
    runs.readArtifact(checkpoint); // its checksum
    return checkpoint.path;
  } finally {
    runs.close();
  }
}
