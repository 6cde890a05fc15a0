/**
 * The policy inside a checkpoint: a checkpoint holds the whole training state, so its policy is
 * rebuilt the way `tsrl resume` rebuilds a run — the algorithm from the checkpoint's own config
 * (else the run's), the checkpoint loaded into it — and saved as policy bytes. Used by the
 * dashboard's replay and by `tsrl enjoy` on a run that is still training.
 */
import { checkpointConfig } from "../algos/common.js";
import { ALGORITHMS } from "../algos/index.js";
import { createBackend } from "../nn/backend.js";
import type { RunRecord } from "./store.js";

export class CheckpointPolicyError extends Error {
  override name = "CheckpointPolicyError";
}

export function policyFromCheckpoint(run: Pick<RunRecord, "id" | "algo" | "env" | "config">, checkpoint: Uint8Array, step: number): Uint8Array {
  const entry = ALGORITHMS[run.algo];
  if (!entry) throw new CheckpointPolicyError(`run ${run.id} was trained with "${run.algo}", which this tsrl cannot rebuild; only tsrl's own algorithms' checkpoints hold a policy it can read`);
  try {
    // A backend of its own: backends never free, and this agent is thrown away right after.
    const saved = checkpointConfig(checkpoint);
    const agent = entry.create(entry.resolve((saved ?? { ...run.config, envId: run.env }) as Parameters<typeof entry.resolve>[0]), { backend: createBackend() });
    agent.loadCheckpoint(checkpoint, `checkpoint at step ${step}`, saved ?? undefined); // as tsrl resume loads it
    return agent.savePolicy();
  } catch (err) {
    throw new CheckpointPolicyError(`cannot extract a policy from run ${run.id}'s checkpoint at step ${step}: ${(err as Error).message}`);
  }
}
