/**
 * AdaStop (Mathieu et al., arXiv:2306.10882): group-sequential permutation tests that compare
 * RL agents a few runs at a time and stop each comparison as soon as it is decided.
 *
 * A port of the reference implementation (TimotheeMathieu/adastop@da3a9d4,
 * `adastop/compare_agents.py`) that gives its decisions, thresholds and random permutations
 * (numpy's legacy MT19937 for the same seed, numpy's summation order for the means), with two
 * deliberate differences:
 * - the permutation count that turns ranks into probabilities is kept when the permutations
 *   stop being enumerated (see `extendPermutations`); the reference resets it to 1 when even the
 *   first interim's permutations were sampled, so the order of the agents changed decisions;
 * - `level: "strict"` makes the family-wise error at most alpha, which the reference's test
 *   does not (about 2·alpha for two agents): it takes the permutation quantile of the absolute
 *   differences (the statistic is absolute; the reference's quantile is of signed ones), and
 *   permutes all running agents' scores at once rather than each pair on its own. The default,
 *   `"reference"`, is the reference's test.
 */
import { LegacyRandomState, type MT19937State } from "../rng/random-state.js";
import { numpyMean } from "./numpy-sum.js";

/**
 * For "A vs B": `larger` / `smaller` when A's mean score is significantly larger / smaller than
 * B's, `equal` when no difference was found by the last interim (not a proof of equality),
 * `undecided` while the test goes on (the reference's "continue").
 */
export type Decision = "larger" | "smaller" | "equal" | "undecided";

/**
 * `reference`: the reference's test (per-pair permutations, signed quantile); `strict`: joint
 * permutations of all running agents and absolute quantile, family-wise error ≤ alpha.
 */
export type LevelRule = "reference" | "strict";

export interface AdaStopConfig {
  /** agent names, in the order of the reference's CSV columns */
  readonly agents: readonly string[];
  /** K, the maximum number of interims (default 5) */
  readonly nGroups: number;
  /** n, the runs per agent at each interim (default 5) */
  readonly sizeGroup: number;
  /** family-wise level, spent linearly over the interims (default 0.05, the reference CLI's) */
  readonly alpha: number;
  /** B, the permutation budget (default 10000) */
  readonly nPermutations: number;
  /** compare every agent to the first only, instead of all pairs (default false) */
  readonly compareToFirst: boolean;
  /** seeds numpy's `RandomState` as the reference's `seed` does (default 0; the reference draws one) */
  readonly seed: number;
  /** default "reference" */
  readonly level: LevelRule;
}

export type AdaStopOptions = Pick<AdaStopConfig, "agents"> & Partial<Omit<AdaStopConfig, "agents">>;

export interface Comparison {
  /** "first vs second" */
  label: string;
  first: string;
  second: string;
  decision: Decision;
  /** the 1-based interim that decided it; null while undecided */
  decidedAt: number | null;
}

export interface InterimRecord {
  /** 1-based */
  interim: number;
  /** rejection threshold on T (Infinity when the level left allows no rejection) */
  threshold: number;
  /** level spent after this interim */
  levelSpent: number;
  /** T = k·|mean(first) − mean(second)| over all scores so far, for the comparisons it tested */
  statistics: Record<string, number>;
  /** labels rejected at this interim, in step-down order */
  rejected: string[];
}

/** `AdaStop.toJSON()`: everything needed to run the next interim. */
export interface AdaStopState {
  format: "tsrl-adastop";
  version: 1;
  options: AdaStopConfig;
  interim: number;
  /** every score received so far, per agent */
  scores: Record<string, number[]>;
  decisions: Record<string, Decision>;
  /** as `history`, with an infinite threshold written as null */
  history: (Omit<InterimRecord, "threshold"> & { threshold: number | null })[];
  levelSpent: number;
  /** the number of permutations the kept values stand for (ranks / normalization = probabilities) */
  normalization: number;
  /** per undecided comparison, the permutation values still inside the boundaries */
  permutationValues: Record<string, number[]>;
  rng: MT19937State;
}

interface Pair {
  first: number;
  second: number;
  label: string;
}

const DECISIONS: readonly Decision[] = ["larger", "smaller", "equal", "undecided"];

export class AdaStop {
  readonly config: AdaStopConfig;
  private readonly pairs: Pair[];
  private readonly decisionOf: Decision[];
  private readonly scoresOf: number[][];
  /** per comparison, its kept permutation values (empty once decided) */
  private values: Float64Array[];
  private normalization = 1;
  private levelSpent = 0;
  private readonly records: InterimRecord[] = [];
  private readonly rng: LegacyRandomState;

  constructor(options: AdaStopOptions) {
    this.config = checkOptions(options);
    const { agents, compareToFirst, seed } = this.config;
    this.pairs = [];
    for (let i = 0; i < agents.length; i++) {
      for (let j = i + 1; j < agents.length; j++) {
        if (!compareToFirst || i === 0) this.pairs.push({ first: i, second: j, label: `${agents[i]} vs ${agents[j]}` });
      }
    }
    if (new Set(this.pairs.map((p) => p.label)).size !== this.pairs.length) throw new RangeError("AdaStop: agent names make two comparison labels equal; rename the agents");
    this.decisionOf = this.pairs.map(() => "undecided");
    this.scoresOf = agents.map(() => []);
    this.values = this.pairs.map(() => new Float64Array(0));
    this.rng = new LegacyRandomState(seed);
  }

  /** Interims done so far. */
  get interim(): number {
    return this.records.length;
  }

  get isFinished(): boolean {
    return !this.decisionOf.includes("undecided");
  }

  /** Decision per comparison label ("A vs B"). */
  get decisions(): Record<string, Decision> {
    return Object.fromEntries(this.pairs.map((p, c) => [p.label, this.decisionOf[c]!]));
  }

  get comparisons(): Comparison[] {
    const { agents, nGroups } = this.config;
    return this.pairs.map((p, c) => {
      const decision = this.decisionOf[c]!;
      const rejectedAt = this.records.find((r) => r.rejected.includes(p.label))?.interim;
      return { label: p.label, first: agents[p.first]!, second: agents[p.second]!, decision, decidedAt: decision === "undecided" ? null : (rejectedAt ?? nGroups) };
    });
  }

  /** Agents whose scores the next interim needs: those in an undecided comparison. */
  get agentsToRun(): string[] {
    const needed = new Set<number>();
    this.pairs.forEach((p, c) => {
      if (this.decisionOf[c] === "undecided") needed.add(p.first).add(p.second);
    });
    return this.config.agents.filter((_, a) => needed.has(a));
  }

  get history(): readonly InterimRecord[] {
    return this.records;
  }

  /** Every score received so far, per agent. */
  get scores(): Record<string, number[]> {
    return Object.fromEntries(this.config.agents.map((name, a) => [name, [...this.scoresOf[a]!]]));
  }

  /**
   * Runs one interim on `sizeGroup` new scores for each agent of `agentsToRun`. As with the
   * reference's CLI, scores of agents that are no longer needed may be given: they are checked,
   * then ignored.
   */
  partialCompare(newScores: Readonly<Record<string, readonly number[]>>): InterimRecord {
    const { agents, sizeGroup: n, nGroups, alpha } = this.config;
    if (this.isFinished) throw new Error(`AdaStop: the test is finished after ${this.interim} interim(s); no more scores are needed`);
    const k = this.interim;
    const needed = this.agentsToRun;
    for (const [name, values] of Object.entries(newScores)) {
      if (!agents.includes(name)) throw new RangeError(`AdaStop: unknown agent "${name}" (the agents are ${agents.join(", ")})`);
      checkScores(values, `AdaStop interim ${k + 1}: agent "${name}"`, n);
    }
    for (const name of needed) {
      if (!(name in newScores)) throw new RangeError(`AdaStop interim ${k + 1}: missing the ${n} scores of agent "${name}" (still needed: ${needed.join(", ")})`);
    }
    for (const name of needed) this.scoresOf[agents.indexOf(name)]!.push(...newScores[name]!);

    const active = this.pairs.map((_, c) => c).filter((c) => this.decisionOf[c] === "undecided");
    this.extendPermutations(k, active);

    const statistic = new Map(active.map((c) => [c, (k + 1) * Math.abs(this.meanDifference(this.pairs[c]!, (k + 1) * n))]));
    const statistics = Object.fromEntries(active.map((c) => [this.pairs[c]!.label, statistic.get(c)!]));

    // step-down: reject the largest statistic while it exceeds the boundary of the rest
    const clevel = (alpha * (k + 1)) / nGroups;
    const remaining = [...active];
    const rejected: string[] = [];
    let threshold = Infinity;
    let levelToAdd = 0;
    for (let step = 0; step < active.length; step++) {
      ({ threshold, levelToAdd } = this.boundary(remaining, clevel));
      let best = -1;
      let bestT = 0;
      for (const c of remaining) {
        if (statistic.get(c)! > bestT) {
          bestT = statistic.get(c)!;
          best = c;
        }
      }
      if (best < 0 || !(bestT > threshold)) break;
      const pair = this.pairs[best]!;
      this.decisionOf[best] = this.meanDifference(pair, (k + 1) * n) > 0 ? "larger" : "smaller";
      rejected.push(pair.label);
      remaining.splice(remaining.indexOf(best), 1);
    }
    this.levelSpent += levelToAdd;
    if (k === nGroups - 1) for (const c of remaining) this.decisionOf[c] = "equal";
    this.keepInsideBoundary(remaining, threshold);

    const record: InterimRecord = { interim: k + 1, threshold, levelSpent: this.levelSpent, statistics, rejected };
    this.records.push(record);
    return record;
  }

  toJSON(): AdaStopState {
    const undecided = this.pairs.filter((_, c) => this.decisionOf[c] === "undecided");
    return {
      format: "tsrl-adastop",
      version: 1,
      options: { ...this.config, agents: [...this.config.agents] },
      interim: this.interim,
      scores: this.scores,
      decisions: this.decisions,
      history: this.records.map((r) => ({ ...r, threshold: Number.isFinite(r.threshold) ? r.threshold : null, statistics: { ...r.statistics }, rejected: [...r.rejected] })),
      levelSpent: this.levelSpent,
      normalization: this.normalization,
      permutationValues: Object.fromEntries(undecided.map((p) => [p.label, Array.from(this.values[this.pairs.indexOf(p)]!)])),
      rng: this.rng.getState(),
    };
  }

  /** Restores `toJSON()` output, checking it and naming the first thing that is wrong. */
  static fromJSON(state: unknown): AdaStop {
    const checked = checkState(state);
    const adastop = new AdaStop(checked.options);
    adastop.restoreState(checked);
    return adastop;
  }

  /** mean(first's first `count` scores) − mean(second's), each mean summed as numpy does. */
  private meanDifference(pair: Pair, count: number): number {
    return numpyMean(this.scoresOf[pair.first]!, 0, count) - numpyMean(this.scoresOf[pair.second]!, 0, count);
  }

  /**
   * Adds interim k's scores to the permutation values of the `active` comparisons. A split
   * assigns the pooled block of new scores to the agents, n each: the reference splits each
   * comparison's two agents on its own; "strict" splits all running agents at once and shares
   * each split among the comparisons, so the permuted statistics keep their joint law (with
   * per-pair splits the maximum over three or more agents exceeds alpha). For two agents both
   * are the same. While all splits of all interims so far number fewer than B, every split
   * extends every kept value; otherwise the first interim draws B splits (the first is the
   * observed one) and later ones extend each kept value by one random split.
   */
  private extendPermutations(k: number, active: number[]): void {
    const { sizeGroup: n, nPermutations: B, level } = this.config;
    const groups = level === "strict" ? [active] : active.map((c) => [c]);
    const groupAgents = groups.map((group) => [...new Set(group.flatMap((c) => [this.pairs[c]!.first, this.pairs[c]!.second]))].sort((x, y) => x - y));
    const slots = groupAgents[0]!.length;
    const means = new SlotMeans(slots, n);
    const splitCount = multinomial(slots, n);
    const kept = this.values[active[0]!]!.length;
    const enumerate = B > this.normalization * splitCount;
    const splits = enumerate ? allSplits(slots, n) : [];
    const draws = enumerate ? splits.length : k === 0 ? B : kept;
    const order = new Int32Array(slots * n);
    const split = new Uint8Array(slots * n);
    groups.forEach((group, g) => {
      const agents = groupAgents[g]!;
      means.load(agents.map((a) => this.scoresOf[a]!), k);
      const slotOf = group.map((c) => [agents.indexOf(this.pairs[c]!.first), agents.indexOf(this.pairs[c]!.second)] as const);
      const previous = group.map((c) => this.values[c]!);
      const width = enumerate && k > 0 ? kept : 1;
      const next = group.map(() => new Float64Array(draws * width));
      for (let d = 0; d < draws; d++) {
        if (enumerate) means.split(splits[d]!);
        else {
          if (d === 0) for (let i = 0; i < split.length; i++) split[i] = Math.floor(i / n);
          else {
            this.rng.permutation(split.length, order);
            for (let i = 0; i < split.length; i++) split[order[i]!] = Math.floor(i / n);
          }
          means.split(split);
        }
        group.forEach((_, i) => {
          const [first, second] = slotOf[i]!;
          const inFirst = means.of[first]!;
          const inSecond = means.of[second]!;
          const out = next[i]!;
          if (k === 0) out[d] = inFirst - inSecond;
          else if (enumerate) for (let p = 0; p < kept; p++) out[d * kept + p] = previous[i]![p]! + inFirst - inSecond;
          else out[d] = previous[i]![d]! + inFirst - inSecond;
        });
      }
      group.forEach((c, i) => (this.values[c] = next[i]!));
    });
    // The normalization is the number of permutations the kept values stand for: C^j after j
    // enumerated interims, B once the first interim is sampled; a kept value extended by one
    // random split still stands for the same share, so it stays. The reference sets it to
    // C^floor(log B / log C) once splits are sampled, which is that number except in two cases:
    // - B < C (first interim sampled): 1 instead of B, so the threshold became the largest kept
    //   value, which the observed permutation's own value (kept first) cannot exceed: "larger"
    //   could only happen at the first interim and the agents' order changed decisions;
    // - B = C^m exactly: C^m, though only C^(m-1) splits were enumerated, so nearly every kept
    //   value became admissible, the boundary fell below the data and almost anything was rejected.
    if (enumerate) this.normalization *= splitCount;
    else if (k === 0) this.normalization = B;
  }

  /**
   * The smallest permutation maximum whose upper-tail share keeps the level spent below
   * `clevel`, and that share (the reference's `bk_sup` and `level_to_add`).
   */
  private boundary(comparisons: number[], clevel: number): { threshold: number; levelToAdd: number } {
    const strict = this.config.level === "strict";
    const count = this.values[comparisons[0]!]!.length;
    const maxima = new Float64Array(count).fill(-Infinity);
    for (const c of comparisons) {
      const values = this.values[c]!;
      for (let i = 0; i < count; i++) {
        const v = strict ? Math.abs(values[i]!) : values[i]!;
        if (v > maxima[i]!) maxima[i] = v;
      }
    }
    maxima.sort();
    let first = count;
    while (first > 0 && this.levelSpent + (count - first) / this.normalization < clevel) first--;
    if (first === count) return { threshold: Infinity, levelToAdd: 0 };
    return { threshold: maxima[first]!, levelToAdd: (count - 1 - first) / this.normalization };
  }

  /** Keeps the permutations whose absolute values stayed within `threshold` for every comparison still open. */
  private keepInsideBoundary(remaining: number[], threshold: number): void {
    const open = remaining.filter((c) => this.decisionOf[c] === "undecided");
    const count = open.length > 0 ? this.values[open[0]!]!.length : 0;
    const keep: number[] = [];
    for (let i = 0; i < count; i++) {
      if (open.every((c) => Math.abs(this.values[c]![i]!) <= threshold)) keep.push(i);
    }
    this.values = this.values.map((values, c) => (open.includes(c) ? Float64Array.from(keep, (i) => values[i]!) : new Float64Array(0)));
  }

  private restoreState(state: AdaStopState): void {
    const { agents } = this.config;
    agents.forEach((name, a) => this.scoresOf[a]!.push(...state.scores[name]!));
    this.pairs.forEach((p, c) => {
      this.decisionOf[c] = state.decisions[p.label]!;
      this.values[c] = Float64Array.from(state.permutationValues[p.label] ?? []);
    });
    for (const r of state.history) this.records.push({ ...r, threshold: r.threshold ?? Infinity });
    this.levelSpent = state.levelSpent;
    this.normalization = state.normalization;
    this.rng.setState(state.rng);
  }
}

/** Interim k's new scores of some agents, pooled, and the mean of each agent's share under a split. */
class SlotMeans {
  private readonly block: Float64Array;
  private readonly gathered: Float64Array[];
  private readonly filled: Int32Array;
  /** per slot, the mean of the values a split gives it (in block order, as numpy's masks take them) */
  readonly of: Float64Array;

  constructor(
    slots: number,
    private readonly n: number,
  ) {
    this.block = new Float64Array(slots * n);
    this.gathered = Array.from({ length: slots }, () => new Float64Array(n));
    this.filled = new Int32Array(slots);
    this.of = new Float64Array(slots);
  }

  /** Pools the k-th group of n scores of each agent, in agent order. */
  load(scores: readonly (readonly number[])[], k: number): void {
    scores.forEach((s, slot) => {
      for (let i = 0; i < this.n; i++) this.block[slot * this.n + i] = s[k * this.n + i]!;
    });
  }

  /** `split[i]` is the slot that block value i goes to. */
  split(split: Uint8Array): void {
    this.filled.fill(0);
    for (let i = 0; i < split.length; i++) {
      const slot = split[i]!;
      this.gathered[slot]![this.filled[slot]!++] = this.block[i]!;
    }
    for (let slot = 0; slot < this.of.length; slot++) this.of[slot] = numpyMean(this.gathered[slot]!, 0, this.n);
  }
}

/** `allSplits` results: a test of many data sets enumerates the same splits each time. */
const splitCache = new Map<string, readonly Uint8Array[]>();

/**
 * Every way to give n of the slots·n positions to each slot. Slot 0 takes its positions in
 * `itertools.combinations` (lexicographic) order, then slot 1 from the rest, and so on; for two
 * slots this is the reference's enumeration.
 */
function allSplits(slots: number, n: number): readonly Uint8Array[] {
  const key = `${slots}x${n}`;
  const cached = splitCache.get(key);
  if (cached) return cached;
  const splits: Uint8Array[] = [];
  const split = new Uint8Array(slots * n).fill(slots - 1);
  const fill = (slot: number, free: number[]): void => {
    if (slot === slots - 1) {
      splits.push(split.slice());
      return;
    }
    for (const chosen of combinations(free, n)) {
      for (const i of chosen) split[i] = slot;
      fill(slot + 1, free.filter((i) => !chosen.includes(i)));
      for (const i of chosen) split[i] = slots - 1;
    }
  };
  fill(0, Array.from({ length: slots * n }, (_, i) => i));
  splitCache.set(key, splits);
  return splits;
}

/** The n-element subsets of `items`, in lexicographic order of positions. */
function combinations(items: number[], n: number): number[][] {
  const result: number[][] = [];
  const chosen = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    result.push(chosen.map((i) => items[i]!));
    let i = n - 1;
    while (i >= 0 && chosen[i] === items.length - n + i) i--;
    if (i < 0) return result;
    chosen[i]!++;
    for (let j = i + 1; j < n; j++) chosen[j] = chosen[j - 1]! + 1;
  }
}

/** (slots·n)! / (n!)^slots: the number of ways to split slots·n values into slots groups of n. */
function multinomial(slots: number, n: number): number {
  let count = 1;
  for (let remaining = slots * n; remaining > n; remaining -= n) {
    let choose = 1;
    for (let i = 1; i <= n; i++) choose = (choose * (remaining - n + i)) / i;
    count *= Math.round(choose);
  }
  return count;
}

function checkScores(values: unknown, what: string, n: number): asserts values is number[] {
  if (!Array.isArray(values)) throw new TypeError(`${what}: scores must be an array of numbers`);
  if (values.length !== n) throw new RangeError(`${what}: expected ${n} scores (sizeGroup), got ${values.length}`);
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${what}: score ${i + 1} is ${String(v)}, not a finite number`);
  });
}

function checkOptions(options: AdaStopOptions): AdaStopConfig {
  const { agents, nGroups = 5, sizeGroup = 5, alpha = 0.05, nPermutations = 10000, compareToFirst = false, seed = 0, level = "reference" } = options;
  if (!Array.isArray(agents) || agents.length < 2) throw new RangeError("AdaStop: needs at least two agents");
  agents.forEach((name, i) => {
    if (typeof name !== "string" || name === "") throw new RangeError(`AdaStop: agent ${i + 1} needs a non-empty name`);
    if (agents.indexOf(name) !== i) throw new RangeError(`AdaStop: agent "${name}" is listed twice`);
  });
  const positiveInteger = (value: number, name: string): void => {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`AdaStop: ${name} must be a positive integer, got ${value}`);
  };
  positiveInteger(nGroups, "nGroups");
  positiveInteger(sizeGroup, "sizeGroup");
  positiveInteger(nPermutations, "nPermutations");
  if (typeof alpha !== "number" || !(alpha > 0 && alpha < 1)) throw new RangeError(`AdaStop: alpha must be in (0, 1), got ${alpha}`);
  if (typeof compareToFirst !== "boolean") throw new RangeError(`AdaStop: compareToFirst must be a boolean, got ${String(compareToFirst)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`AdaStop: seed must be an integer in [0, 2^32), got ${seed}`);
  if (level !== "reference" && level !== "strict") throw new RangeError(`AdaStop: level must be "reference" or "strict", got ${String(level)}`);
  return { agents: [...agents], nGroups, sizeGroup, alpha, nPermutations, compareToFirst, seed, level };
}

function checkState(input: unknown): AdaStopState {
  const fail = (path: string, problem: string): never => {
    throw new RangeError(`AdaStop state: ${path} ${problem}`);
  };
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const finiteArray = (v: unknown, path: string): number[] => {
    if (!Array.isArray(v)) return fail(path, "must be an array of numbers");
    v.forEach((x, i) => {
      if (typeof x !== "number" || !Number.isFinite(x)) fail(`${path}[${i}]`, `is ${JSON.stringify(x)}, not a finite number`);
    });
    return v as number[];
  };
  if (!isRecord(input)) return fail("", "must be an object (the output of AdaStop.toJSON())");
  if (input.format !== "tsrl-adastop") fail("format", `must be "tsrl-adastop", got ${JSON.stringify(input.format)}`);
  if (input.version !== 1) fail("version", `must be 1, got ${JSON.stringify(input.version)}`);
  if (!isRecord(input.options)) fail("options", "must be an object");
  let fresh: AdaStop;
  try {
    fresh = new AdaStop(input.options as unknown as AdaStopOptions);
  } catch (error) {
    return fail("options", `are invalid: ${(error as Error).message}`);
  }
  const { agents, sizeGroup: n, nGroups } = fresh.config;
  const pairs = fresh.comparisons;

  const interim = input.interim;
  if (!Number.isInteger(interim) || (interim as number) < 0 || (interim as number) > nGroups) fail("interim", `must be an integer in [0, ${nGroups}], got ${JSON.stringify(interim)}`);
  const history = input.history;
  if (!Array.isArray(history) || history.length !== interim) fail("history", `must list the ${interim} interim(s) done`);
  const decidedAt = new Map<string, number>();
  (history as unknown[]).forEach((record, i) => {
    const path = `history[${i}]`;
    if (!isRecord(record)) return fail(path, "must be an object");
    if (record.interim !== i + 1) fail(`${path}.interim`, `must be ${i + 1}`);
    if (record.threshold !== null && (typeof record.threshold !== "number" || !Number.isFinite(record.threshold))) fail(`${path}.threshold`, "must be a finite number or null");
    if (typeof record.levelSpent !== "number" || !(record.levelSpent >= 0)) fail(`${path}.levelSpent`, "must be a number ≥ 0");
    if (!isRecord(record.statistics)) return fail(`${path}.statistics`, "must be an object");
    for (const [label, t] of Object.entries(record.statistics)) {
      if (!pairs.some((p) => p.label === label)) fail(`${path}.statistics`, `names an unknown comparison "${label}"`);
      if (typeof t !== "number" || !Number.isFinite(t)) fail(`${path}.statistics["${label}"]`, "must be a finite number");
    }
    if (!Array.isArray(record.rejected)) return fail(`${path}.rejected`, "must be an array of comparison labels");
    for (const label of record.rejected) {
      if (!(typeof label === "string" && label in record.statistics)) fail(`${path}.rejected`, `names "${String(label)}", which this interim did not test`);
      if (decidedAt.has(label as string)) fail(`${path}.rejected`, `rejects "${String(label)}" a second time`);
      decidedAt.set(label as string, i);
    }
  });

  if (!isRecord(input.decisions)) return fail("decisions", "must be an object");
  const decisions = input.decisions;
  for (const label of Object.keys(decisions)) if (!pairs.some((p) => p.label === label)) fail("decisions", `names an unknown comparison "${label}"`);
  for (const { label } of pairs) {
    const decision = decisions[label] as Decision;
    if (!DECISIONS.includes(decision)) fail(`decisions["${label}"]`, `must be one of ${DECISIONS.join(", ")}, got ${JSON.stringify(decision)}`);
    const expected = decidedAt.has(label) ? ["larger", "smaller"] : [interim === nGroups ? "equal" : "undecided"];
    if (!expected.includes(decision)) fail(`decisions["${label}"]`, `is "${decision}" but the history says ${expected.join(" or ")}`);
  }

  if (!isRecord(input.scores)) return fail("scores", "must be an object of score arrays per agent");
  for (const name of Object.keys(input.scores)) if (!agents.includes(name)) fail("scores", `names an unknown agent "${name}"`);
  for (const name of agents) {
    const scores = finiteArray(input.scores[name], `scores["${name}"]`);
    let expected = 0;
    for (let i = 0; i < (interim as number); i++) {
      if (pairs.some((p) => (p.first === name || p.second === name) && (decidedAt.get(p.label) ?? Infinity) >= i)) expected += n;
    }
    if (scores.length !== expected) fail(`scores["${name}"]`, `has ${scores.length} scores; the history needs ${expected}`);
  }

  if (typeof input.levelSpent !== "number" || !(input.levelSpent >= 0)) fail("levelSpent", "must be a number ≥ 0");
  if (typeof input.normalization !== "number" || !(input.normalization >= 1)) fail("normalization", "must be a number ≥ 1");
  if (!isRecord(input.permutationValues)) return fail("permutationValues", "must be an object");
  const open = pairs.filter((p) => decisions[p.label] === "undecided").map((p) => p.label);
  const counts = new Set<number>();
  for (const label of Object.keys(input.permutationValues)) if (!open.includes(label)) fail("permutationValues", `has values for "${label}", which is not an undecided comparison`);
  const lastThreshold = (history as { threshold: number | null }[]).at(-1)?.threshold ?? Infinity;
  for (const label of open) {
    const values = finiteArray(input.permutationValues[label], `permutationValues["${label}"]`);
    counts.add(values.length);
    const outside = values.findIndex((v) => Math.abs(v) > lastThreshold);
    if (outside >= 0) fail(`permutationValues["${label}"][${outside}]`, `is outside the last threshold ${lastThreshold}`);
  }
  if (counts.size > 1) fail("permutationValues", "must hold as many values for every comparison");
  if (!isRecord(input.rng)) return fail("rng", "must be an MT19937 state {key, pos}");
  try {
    new LegacyRandomState(0).setState(input.rng as unknown as MT19937State);
  } catch (error) {
    fail("rng", `is invalid: ${(error as Error).message}`);
  }
  return input as unknown as AdaStopState;
}
