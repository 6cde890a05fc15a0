/**
 * Policy bytes for the replay page. A run's saved policy is served as stored; a checkpoint holds
 * the whole training state instead, so its policy is extracted here the way `tsrl resume`
 * rebuilds a run — the algorithm from the run's config, the checkpoint loaded into it — and then
 * saved as a policy. Extraction costs one agent construction, so results are kept (a few, keyed
 * by the checkpoint's checksum).
 */
import { checkpointConfig } from "../algos/common.js";
import { ALGORITHMS } from "../algos/index.js";
import { createBackend } from "../nn/backend.js";
import type { StoreReader } from "./store-reader.js";

const CACHED_POLICIES = 8;

export class PolicySource {
  private readonly extracted = new Map<string, Uint8Array>();

  constructor(private readonly reader: StoreReader) {}

  /** The run's saved policy, or the policy inside its checkpoint at `checkpointStep`. */
  policyBytes(runId: string, checkpointStep?: number): Uint8Array {
    if (checkpointStep === undefined) {
      const policy = this.reader.policyArtifact(runId);
      if (!policy) throw new PolicyUnavailableError(`run ${runId} has no saved policy yet (it is written when training ends); replay one of its checkpoints instead`);
      return this.reader.readArtifact(policy);
    }
    const checkpoint = this.reader.artifact(runId, "checkpoint", checkpointStep);
    const cached = this.extracted.get(checkpoint.sha256);
    if (cached) return cached;

    const run = this.reader.runRecord(runId);
    const entry = ALGORITHMS[run.algo];
    if (!entry) throw new PolicyUnavailableError(`run ${runId} was trained with "${run.algo}", which this tsrl cannot rebuild; only tsrl's own algorithms' checkpoints can be replayed`);
    let bytes: Uint8Array;
    try {
      // The checkpoint's own config (what its state matches), and a backend of its own: backends
      // never free, and this agent is thrown away right after.
      const stored = this.reader.readArtifact(checkpoint);
      const saved = checkpointConfig(stored);
      const agent = entry.create(entry.resolve((saved ?? { ...run.config, envId: run.env }) as Parameters<typeof entry.resolve>[0]), { backend: createBackend() });
      agent.loadCheckpoint(stored, `checkpoint at step ${checkpointStep}`, saved ?? undefined); // as tsrl resume loads it
      bytes = agent.savePolicy();
    } catch (err) {
      throw new PolicyUnavailableError(`cannot extract a policy from run ${runId}'s checkpoint at step ${checkpointStep}: ${(err as Error).message}`);
    }
    if (this.extracted.size >= CACHED_POLICIES) this.extracted.delete(this.extracted.keys().next().value!);
    this.extracted.set(checkpoint.sha256, bytes);
    return bytes;
  }
}

export class PolicyUnavailableError extends Error {
  override name = "PolicyUnavailableError";
}
