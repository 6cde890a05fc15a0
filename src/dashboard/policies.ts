/**
 * Policy bytes for the replay page: a run's saved policy as stored, or the policy extracted from
 * one of its checkpoints (src/track/checkpoint-policy.ts). Extraction costs one agent
 * construction, so results are kept (a few, keyed by the checkpoint's checksum).
 */
import { CheckpointPolicyError, policyFromCheckpoint } from "../track/checkpoint-policy.js";
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

    let bytes: Uint8Array;
    try {
      bytes = policyFromCheckpoint(this.reader.runRecord(runId), this.reader.readArtifact(checkpoint), checkpointStep);
    } catch (err) {
      // a damaged checkpoint file too: the page says why it cannot play it
      throw new PolicyUnavailableError(err instanceof CheckpointPolicyError ? err.message : `cannot extract a policy from run ${runId}'s checkpoint at step ${checkpointStep}: ${(err as Error).message}`);
    }
    if (this.extracted.size >= CACHED_POLICIES) this.extracted.delete(this.extracted.keys().next().value!);
    this.extracted.set(checkpoint.sha256, bytes);
    return bytes;
  }
}

export class PolicyUnavailableError extends Error {
  override name = "PolicyUnavailableError";
}
