/** The dashboard's JSON API, shared by the server and the browser client (types only). */
import type { SeriesColumns } from "./downsample.js";

export type DisplayStatus = "running" | "finished" | "failed" | "killed" | "damaged";

/** Whether the store could be opened, and if not, why (the client shows a help page). */
export interface StoreStatus {
  state: "ok" | "missing" | "error";
  dir: string;
  message?: string;
}

export interface StatusResponse {
  store: StoreStatus;
  allowDelete: boolean;
  /** runs can be renamed, tagged and annotated (--allow-edit, or --allow-delete) */
  allowEdit: boolean;
  version: string;
}

export interface RunSummary {
  id: string;
  name: string;
  algo: string;
  env: string;
  seed: number;
  status: DisplayStatus;
  /** why the run's record cannot be read whole (status "damaged"; the other runs read on) */
  damaged?: string;
  /** the step of the last recorded row */
  steps: number;
  /** the run's final_mean_return, or the mean of its last 100 episodes while it runs */
  finalReturn: number | null;
  /** wall-clock seconds: the summary's, or the latest row's while it runs */
  wallSeconds: number | null;
  startedAt: string;
  config: Record<string, unknown>;
  /** has a saved policy or a checkpoint to replay (never a language model's run: no env to play it in) */
  replayable: boolean;
  tags: string[];
  notes: string;
}

/** PATCH /api/runs/:id: what to change (absent fields stay as they are). */
export interface RunChanges {
  name?: string;
  tags?: string[];
  notes?: string;
}

export interface ArtifactSummary {
  kind: "checkpoint" | "policy";
  step: number;
  bytes: number;
  sha256: string;
  createdAt: string;
}

export interface RunDetail extends RunSummary {
  endedAt: string | null;
  versions: Record<string, unknown>;
  summary: Record<string, unknown> | null;
  error: string | null;
  checkpointEvery: number;
  metricKeys: string[];
  episodes: number;
  artifacts: ArtifactSummary[];
}

/** Pseudo metric keys for the episodes table. */
export const EPISODIC_RETURN = "episodic_return";
export const EPISODE_LENGTH = "episode_length";

export interface RunSeriesData extends SeriesColumns {
  run: string;
  key: string;
  /** true when the points are a sample of more rows than were read (see server/series.ts) */
  sampled: boolean;
}

/** Pushed on /api/events when the store changes. */
export interface ChangeEvent {
  /** runs with new rows or a new status */
  runs: string[];
  /** runs were added, removed, or the store became readable */
  list: boolean;
}

/** An AdaStop comparison made by `tsrl compare` (its state file in <store>/comparisons/). */
export interface ComparisonSummary {
  name: string;
  env: string;
  agents: string[];
  /** interims done, of at most nGroups */
  interim: number;
  nGroups: number;
  finished: boolean;
  /** "A vs B" → larger | smaller | equal | undecided */
  decisions: Record<string, string>;
  /** ids of its runs */
  runs: string[];
}

export interface ScoresResponse {
  /** per run id: the mean return of its last 100 episodes (null without episodes) */
  scores: Record<string, number | null>;
  /** per run id: the greedy evaluation of its final policy that `tsrl compare` recorded (eval/mean_return), null if none */
  evaluations: Record<string, number | null>;
  /** the `tsrl compare` comparisons that include any of the runs */
  comparisons: ComparisonSummary[];
}

/** GET /api/runs/:id/samples: greedy completions of a few held-out problems by an sft/grpo run's model, and a GRPO run's rollouts. */
export interface TextSamplesResponse {
  /** which artifact answered, e.g. "policy at step 300" */
  source: string;
  samples: { prompt: string; completion: string; reward: number }[];
  /** a GRPO run's training rollouts (temperature sampling) kept at its evaluation steps, newest first */
  rollouts: { step: number; prompt: string; completion: string; reward: number }[];
}

/** GET /api/datasets: one row per dataset in <store>/datasets (a manifest that cannot be read is listed with its error). */
export interface DatasetSummary {
  name: string;
  /** why the dataset cannot be read (the other fields are then absent) */
  error?: string;
  envId?: string;
  episodes?: number;
  steps?: number;
  returns?: { mean: number; std: number; min: number; max: number };
  lengths?: { mean: number; std: number; min: number; max: number };
  /** the manifest's `source`: what recorded it (a policy, random, a function, a merge, a Minari import) */
  source?: Record<string, unknown>;
  createdAt?: string;
}

/** GET /api/datasets/:name: the manifest's facts and histograms of its episodes' returns and lengths. */
export interface DatasetDetail extends Required<Omit<DatasetSummary, "error">> {
  envModule: string | null;
  /** the spaces as tsrl prints them, e.g. "Box(-2.0, 2.0, (1,), float32)", and as recorded */
  observationSpace: { text: string; json: unknown };
  actionSpace: { text: string; json: unknown };
  obsSize: number;
  actionSize: number;
  infos: boolean;
  chunks: number;
  bytes: number;
  returnHistogram: { edges: number[]; counts: number[] };
  lengthHistogram: { edges: number[]; counts: number[] };
}
