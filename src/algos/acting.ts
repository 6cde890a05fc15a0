/**
 * Acting apart from learning, as SRL's actor workers and trainer or IMPALA/APPO's actors and
 * learner: an actor steps a vector env with one version of the policy's parameters and hands over
 * a trajectory segment (typed arrays stamped with that version); the learner trains on segments.
 * In one process (`PPO.learn`) the two alternate on the same networks; `src/distributed` carries
 * segments between processes and hosts. Browser-safe: typed arrays and arithmetic only.
 *
 * Layout: a segment holds `numSteps` (T) steps of `numEnvs` (N) env columns, row `t·N + i`, as
 * CleanRL's rollout buffers; a column (one env's T steps) is the unit a learner batch is made of.
 *
 * Two kinds share that layout and differ in their named fields (`rowFields`, `columnFields`):
 * a "rollout" (PPO: behaviour log-probs and values, episode starts, bootstrap values) and
 * "transitions" (DQN, SAC: what a replay buffer stores — terminated and truncated per row, the
 * final observations of the rows that ended an episode; the next observation of any other row is
 * the same env's next row, or `nextObs` after the last: the replay buffer's frugal form).
 */

/** One finished episode inside a segment: it ended at step `t` of env column `env`. */
export interface SegmentEpisode {
  t: number;
  env: number;
  return: number;
  length: number;
}

export type SegmentKind = "rollout" | "transitions";

export interface SegmentShape {
  /** default "rollout" */
  kind?: SegmentKind;
  numEnvs: number;
  numSteps: number;
  obsSize: number;
  actionDim: number;
}

export interface Segment extends SegmentShape {
  kind: SegmentKind;
  /** the actor that made it, and its sequence number there */
  actor: string;
  seq: number;
  /** per env column: the policy version (learner updates applied) whose parameters acted */
  versions: Float64Array;
  obs: Float32Array;
  actions: Float64Array;
  /** rollout: the behaviour policy's log-probabilities of the actions */
  logProbs: Float64Array;
  /** rollout: the behaviour critic's values of `obs` */
  values: Float64Array;
  rewards: Float64Array;
  /** rollout: 1 where the row's observation starts a new episode (CleanRL's `dones`) */
  dones: Float64Array;
  /** transitions: 1 where the row's step terminated the episode, or truncated it */
  terminated: Float64Array;
  truncated: Float64Array;
  /** transitions: the final observations of the rows that ended an episode, in row order (room for every row) */
  finalObs: Float32Array;
  /** the observation after the last step; rollout: whether it starts an episode, and its behaviour value */
  nextObs: Float32Array;
  nextDone: Float64Array;
  nextValues: Float64Array;
  /** ordered by (t, env) */
  episodes: SegmentEpisode[];
}

/** A segment's typed-array fields. */
export type SegmentField = "versions" | "obs" | "actions" | "logProbs" | "values" | "rewards" | "dones" | "terminated" | "truncated" | "finalObs" | "nextObs" | "nextDone" | "nextValues";

/** Per-row fields of a kind with their width (values per row); the order is the wire order of `src/distributed`. */
export function rowFields(kind: SegmentKind, obsSize: number, actionDim: number): [SegmentField, number][] {
  return kind === "rollout"
    ? [["obs", obsSize], ["actions", actionDim], ["logProbs", 1], ["values", 1], ["rewards", 1], ["dones", 1]]
    : [["obs", obsSize], ["actions", actionDim], ["rewards", 1], ["terminated", 1], ["truncated", 1]];
}

/** Per-column fields of a kind with their width, in wire order. */
export function columnFields(kind: SegmentKind, obsSize: number): [SegmentField, number][] {
  return kind === "rollout" ? [["versions", 1], ["nextObs", obsSize], ["nextDone", 1], ["nextValues", 1]] : [["versions", 1], ["nextObs", obsSize]];
}

export function allocateSegment(shape: SegmentShape, actor = "", seq = 0): Segment {
  const { numEnvs: N, numSteps: T, obsSize: d, actionDim: A } = shape;
  const kind = shape.kind ?? "rollout";
  const rows = N * T;
  const s: Segment = { ...shape, kind, actor, seq, episodes: [], ...emptyArrays() };
  const arrays = s as unknown as Record<SegmentField, Float32Array | Float64Array>;
  for (const [field, w] of rowFields(kind, d, A)) arrays[field] = isFloat32Field(field) ? new Float32Array(rows * w) : new Float64Array(rows * w);
  for (const [field, w] of columnFields(kind, d)) arrays[field] = isFloat32Field(field) ? new Float32Array(N * w) : new Float64Array(N * w);
  if (kind === "transitions") s.finalObs = new Float32Array(rows * d);
  return s;
}

/** Observations are float32 (as the networks take them); everything else float64. */
export const isFloat32Field = (field: SegmentField): boolean => field === "obs" || field === "nextObs" || field === "finalObs";

/** Every array field empty: a kind's own fields replace theirs. */
export function emptyArrays(): Pick<Segment, SegmentField> {
  const f64 = () => new Float64Array(0), f32 = () => new Float32Array(0);
  return { versions: f64(), obs: f32(), actions: f64(), logProbs: f64(), values: f64(), rewards: f64(), dones: f64(), terminated: f64(), truncated: f64(), finalObs: f32(), nextObs: f32(), nextDone: f64(), nextValues: f64() };
}

/** Per-row arrays with their width, in wire order. */
export function rowArrays(s: Segment): [Float32Array | Float64Array, number][] {
  return rowFields(s.kind, s.obsSize, s.actionDim).map(([f, w]) => [s[f], w]);
}

/** Per-column arrays with their width, in wire order. */
export function columnArrays(s: Segment): [Float32Array | Float64Array, number][] {
  return columnFields(s.kind, s.obsSize).map(([f, w]) => [s[f], w]);
}

/** Appends to `seg` the episodes a vector step (its `t`) finished, from RecordEpisodeStatistics' `episode`/`_episode` info. */
export function recordEpisodes(seg: Segment, t: number, info: Record<string, unknown>): void {
  const mask = info["_episode"] as Uint8Array | undefined;
  if (!mask) return;
  const episode = info["episode"] as { r: Float64Array; l: Int32Array };
  for (let i = 0; i < seg.numEnvs; i++) if (mask[i]) seg.episodes.push({ t, env: i, return: episode.r[i]!, length: episode.l[i]! });
}

/**
 * Transitions: writes a vector step's rewards and end flags at step `t` of `seg`, the final
 * observations (`finalObs`, the env's, same-step autoreset) of the rows that ended after the
 * `finals` already written, and the episodes it finished; returns the new count of final observations.
 */
export function recordTransitionStep(
  seg: Segment, t: number, finals: number,
  [rewards, terminations, truncations, info]: [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>, Record<string, unknown>],
  finalObs: Float32Array,
): number {
  const N = seg.numEnvs, d = seg.obsSize, row = t * N;
  for (let i = 0; i < N; i++) {
    seg.rewards[row + i] = rewards[i]!;
    seg.terminated[row + i] = terminations[i]!;
    seg.truncated[row + i] = truncations[i]!;
    // the transition's next observation is the final one where an episode ended
    if (terminations[i]! | truncations[i]!) seg.finalObs.set(finalObs.subarray(i * d, i * d + d), d * finals++);
  }
  recordEpisodes(seg, t, info);
  return finals;
}

/** Transitions: how many rows ended an episode (and so have a final observation). */
export function endedRows(s: Segment): number {
  let n = 0;
  for (let r = 0; r < s.terminated.length; r++) if (s.terminated[r] || s.truncated[r]) n++;
  return n;
}

/**
 * Transitions: the next observation of row `row` (step t, env i), given `final`, the index among
 * the ended rows of this row if it ended: the final observation where the episode ended, else the
 * same env's next row, or `nextObs` after the last step.
 */
export function nextObservation(s: Segment, row: number, final: number): Float32Array {
  const d = s.obsSize, N = s.numEnvs;
  if (s.terminated[row] || s.truncated[row]) return s.finalObs.subarray(final * d, final * d + d);
  const next = row + N;
  return next < N * s.numSteps ? s.obs.subarray(next * d, next * d + d) : s.nextObs.subarray((row % N) * d, (row % N) * d + d);
}

/**
 * Copies env columns [from, from + count) of `src` into columns [to, to + count) of `dst` (same
 * T, obsSize and actionDim), episodes included (appended; `sortEpisodes` orders them).
 */
export function copyColumns(src: Segment, from: number, dst: Segment, to: number, count: number): void {
  if (src.kind !== "rollout" || dst.kind !== "rollout") throw new Error("copyColumns: rollout segments only (transitions go to a replay buffer row by row)");
  if (src.numSteps !== dst.numSteps || src.obsSize !== dst.obsSize || src.actionDim !== dst.actionDim) {
    throw new Error(`copyColumns: segments of different shapes (T ${src.numSteps}/${dst.numSteps}, obs ${src.obsSize}/${dst.obsSize}, action ${src.actionDim}/${dst.actionDim})`);
  }
  const sN = src.numEnvs, dN = dst.numEnvs;
  if (from === 0 && to === 0 && count === sN && sN === dN) {
    // the whole segment: one copy per array (the usual case: actors of the learner's numEnvs)
    rowArrays(src).forEach(([a], k) => rowArrays(dst)[k]![0].set(a));
    columnArrays(src).forEach(([a], k) => columnArrays(dst)[k]![0].set(a));
    for (const e of src.episodes) dst.episodes.push({ ...e });
    return;
  }
  const rowPairs = rowArrays(src).map(([a, w], k) => [a, rowArrays(dst)[k]![0], w] as const);
  for (let t = 0; t < src.numSteps; t++) {
    for (const [s, d, w] of rowPairs) d.set(s.subarray((t * sN + from) * w, (t * sN + from + count) * w), (t * dN + to) * w);
  }
  const colPairs = columnArrays(src).map(([a, w], k) => [a, columnArrays(dst)[k]![0], w] as const);
  for (const [s, d, w] of colPairs) d.set(s.subarray(from * w, (from + count) * w), to * w);
  for (const e of src.episodes) if (e.env >= from && e.env < from + count) dst.episodes.push({ ...e, env: e.env - from + to });
}

export function sortEpisodes(s: Segment): void {
  s.episodes.sort((a, b) => a.t - b.t || a.env - b.env);
}

/**
 * GAE(λ) of env column `i`, bootstrapped from `nextValues` (CleanRL's order of operations, so
 * that a single-process run stays bit-identical).
 */
export function gaeColumn(s: Segment, i: number, gamma: number, lambda: number, advantages: Float64Array, returns: Float64Array): void {
  const N = s.numEnvs, T = s.numSteps;
  const { rewards, values, dones, nextDone, nextValues } = s;
  let lastGae = 0;
  for (let t = T - 1; t >= 0; t--) {
    const at = t * N + i;
    const nextNonTerminal = t === T - 1 ? 1 - nextDone[i]! : 1 - dones[at + N]!;
    const nextValue = t === T - 1 ? nextValues[i]! : values[at + N]!;
    const delta = rewards[at]! + gamma * nextValue * nextNonTerminal - values[at]!;
    lastGae = delta + gamma * lambda * nextNonTerminal * lastGae;
    advantages[at] = lastGae;
    returns[at] = lastGae + values[at]!;
  }
}

/**
 * V-trace (IMPALA, Espeholt et al. 2018, eq. 1) of env column `i` for data of a stale policy:
 * `logProbs` are the target policy's (the learner's now), `s.logProbs` the behaviour policy's,
 * `values`/`nextValue` the learner's critic. ρ_t = min(ρ̄, π/μ), c_t = λ·min(c̄, π/μ);
 * v_s = V(x_s) + Σ_t γ^{t−s} (Π_{k<t} c_k) ρ_t δ_t, and the policy-gradient advantage is
 * ρ_s (r_s + γ v_{s+1} − V(x_s)). Episode ends cut the traces as GAE's `nextNonTerminal` does.
 * With π = μ and ρ̄ = c̄ = 1 the targets v_s are GAE(λ)'s returns.
 */
export function vtraceColumn(
  s: Segment,
  i: number,
  o: { gamma: number; lambda: number; rhoBar: number; cBar: number },
  logProbs: Float64Array,
  values: Float64Array,
  nextValue: number,
  advantages: Float64Array,
  returns: Float64Array,
): void {
  const N = s.numEnvs, T = s.numSteps;
  const { rewards, dones, nextDone } = s;
  let acc = 0;
  for (let t = T - 1; t >= 0; t--) {
    const at = t * N + i;
    const ratio = Math.exp(logProbs[at]! - s.logProbs[at]!);
    const nextNonTerminal = t === T - 1 ? 1 - nextDone[i]! : 1 - dones[at + N]!;
    const next = t === T - 1 ? nextValue : values[at + N]!;
    const delta = Math.min(o.rhoBar, ratio) * (rewards[at]! + o.gamma * next * nextNonTerminal - values[at]!);
    acc = delta + o.gamma * o.lambda * Math.min(o.cBar, ratio) * nextNonTerminal * acc;
    returns[at] = values[at]! + acc;
  }
  for (let t = 0; t < T; t++) {
    const at = t * N + i;
    const ratio = Math.exp(logProbs[at]! - s.logProbs[at]!);
    const nextNonTerminal = t === T - 1 ? 1 - nextDone[i]! : 1 - dones[at + N]!;
    const nextTarget = t === T - 1 ? nextValue : returns[at + N]!;
    advantages[at] = Math.min(o.rhoBar, ratio) * (rewards[at]! + o.gamma * nextTarget * nextNonTerminal - values[at]!);
  }
}
