/**
 * Sample completions of a `tsrl train sft|grpo` run for its dashboard page: the run's model (its
 * saved one, or its newest checkpoint while it trains) decodes a few of the task's held-out
 * problems greedily (a tiny model answers in milliseconds, so nothing is cached); a GRPO run's
 * model file also holds the rollouts its trainer kept every evaluation.
 */
import { decodeLanguageModel } from "../llm/model-file.js";
import { evaluateGreedy, problemsOf, setupTask } from "../llm/text-model.js";
import { isTextAlgo } from "../llm/text-algos.js";
import type { TextSamplesResponse } from "./types.js";
import { PolicyUnavailableError } from "./policies.js";
import type { StoreReader } from "./store-reader.js";

const SAMPLES = 4;
/** the newest rollouts shown: three evaluation steps' worth */
const ROLLOUTS = 12;

export function textSamples(reader: StoreReader, runId: string): TextSamplesResponse {
  const run = reader.runRecord(runId);
  if (!isTextAlgo(run.algo)) throw new PolicyUnavailableError(`run ${runId} is a ${run.algo} run, not a language model: it has no sample completions`);
  const newest = reader.runDetail(runId).artifacts.filter((a) => a.kind === "checkpoint").at(-1);
  const artifact = reader.policyArtifact(runId) ?? (newest ? reader.artifact(runId, "checkpoint", newest.step) : null);
  if (!artifact) throw new PolicyUnavailableError(`run ${runId} has no model yet (no checkpoint written)`);
  const lm = decodeLanguageModel(reader.readArtifact(artifact), `run ${runId}'s ${artifact.kind} at step ${artifact.step}`);
  const setup = setupTask(lm.task, lm.taskOptions);
  // the task's test split, drawn as the trainers draw it, so these are problems the run is scored on
  const problems = problemsOf(setup, "test", SAMPLES, run.seed + 2000);
  const { samples } = evaluateGreedy(lm.model, setup, problems);
  // the rollouts the trainer kept up to this artifact's step
  const rollouts = (lm.rolloutSamples ?? []).slice(-ROLLOUTS).reverse();
  return { source: `${artifact.kind} at step ${artifact.step}`, samples, rollouts };
}
