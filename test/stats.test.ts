/**
 * rliable's aggregates, bootstrap intervals and profiles, the scores CSV parser and numpy's
 * summation. Expected numbers come from the definitions (by hand) or from numpy 2.4 / scipy 1.17
 * (`np.mean(np.mean(x, axis=0))`, `np.median(...)`, `scipy.stats.trim_mean(x, 0.25, axis=None)`,
 * rliable's `probability_of_improvement`, `np.percentile`), pasted here.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  aggregateIqm,
  aggregateMean,
  aggregateMedian,
  averageScoreDistribution,
  intervalEstimate,
  intervalEstimates,
  minMaxBounds,
  normalizeScores,
  optimalityGap,
  parseScoresCsv,
  performanceProfile,
  probabilityOfImprovement,
  probabilityOfImprovementInterval,
  sampleEfficiencyCurve,
  scoreDistribution,
  ScoreTable,
} from "../src/stats/index.js";
import { percentileOfSorted } from "../src/stats/bootstrap.js";
import { numpyMean, numpySum } from "../src/stats/numpy-sum.js";

const close = (actual: number, expected: number, tolerance = 1e-12, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`);

interface ScipyCase {
  x: number[][];
  y: number[][];
  mean: number;
  median: number;
  iqm: number;
  og: number;
  og05: number;
  poi: number;
}

// runs × tasks score matrices with numpy/scipy/rliable results (og05: optimality gap at gamma 0.5)
const SCIPY: ScipyCase[] = [
  { x: [[4.077, 1.373], [0.693, -3.227], [-0.055, -0.21]], y: [[4.077, 1.373], [0.693, -3.227], [-0.055, -0.21], [4.077, 1.373]], mean: 0.44183333333333324, median: 0.44183333333333324, iqm: 0.45025, og: 1.1331666666666667, og05: 0.832, poi: 0.4166666666666667 },
  { x: [[-0.706, -3.329, 2.596, 3.167, 0.105], [4.049, -0.849, 0.801, 0.806, -1.628], [1.376, 4.378, -1.55, 2.299, 0.191], [4.039, 1.468, 1.852, 1.786, 0.998], [-2.292, 3.283, -2.241, 0.977, 1.728], [-1.176, 0.79, 2.836, 0.452, -1.277], [-5.331, -1.444, -0.682, -0.533, -1.42], [1.255, -0.649, 0.281, 1.858, -1.211], [-0.1, 4.816, 2.249, -2.087, 0.341], [1.629, 2.967, 0.798, -0.561, -0.961]], y: [[1.29, 0.626, -1.033, -0.378, -0.832], [1.449, -1.38, 0.973, 1.703, 0.972], [-1.668, 2.69, -1.356, 0.853, -1.507], [-3.488, 0.452, 0.574, -0.155, 0.552], [-1.297, -1.475, -0.336, 3.819, 1.63], [-1.04, 1.117, -0.957, -0.915, 1.719], [-1.051, -3.351, -1.813, 0.177, 0.256], [2.483, -1.432, 1.463, 0.852, -0.298], [1.672, 0.984, -1.725, 2.143, -2.442], [0.119, 0.005, 0.849, -1.451, -0.07], [-0.281, 1.994, -1.592, 0.145, -0.522]], mean: 0.52288, median: 0.6940000000000002, iqm: 0.48434615384615376, og: 1.08974, og05: 0.82314, poi: 0.5781818181818182 },
  { x: [[1.277], [-0.274], [-0.674], [4.322]], y: [[-0.92], [3.981], [-0.698], [0.506], [2.179]], mean: 1.16275, median: 1.16275, iqm: 0.5015, og: 0.737, og05: 0.487, poi: 0.6 },
  { x: [[1.004, 1.099, -0.38, 0.767, -2.079, 0.103], [5.415, 2.634, 1.783, 2.708, 4.264, 1.687], [4.642, 2.64, 0.833, 3.939, -4.218, -0.643], [1.032, -1.324, 0.188, -0.778, -0.809, 5.924], [1.755, 0.392, 3.13, 0.025, 2.271, 1.202], [3.753, -2.34, 2.031, 0.744, -1.815, 2.631]], y: [[1.004, 1.099, -0.38, 0.767, -2.079, 0.103], [5.415, 2.634, 1.783, 2.708, 4.264, 1.687], [4.642, 2.64, 0.833, 3.939, -4.218, -0.643], [1.032, -1.324, 0.188, -0.778, -0.809, 5.924], [1.755, 0.392, 3.13, 0.025, 2.271, 1.202], [3.753, -2.34, 2.031, 0.744, -1.815, 2.631]], mean: 1.2280555555555555, median: 1.2491666666666668, iqm: 1.2322777777777776, og: 0.7592777777777777, og05: 0.5605, poi: 0.5 },
];

describe("rliable aggregates", () => {
  SCIPY.forEach((c, i) => {
    it(`match numpy/scipy on a ${c.x.length} × ${c.x[0]!.length} matrix (case ${i})`, () => {
      close(aggregateMean(c.x), c.mean, 1e-12, "mean");
      close(aggregateMedian(c.x), c.median, 1e-12, "median");
      close(aggregateIqm(c.x), c.iqm, 1e-12, "IQM");
      close(optimalityGap(c.x), c.og, 1e-12, "optimality gap");
      close(optimalityGap(c.x, 0.5), c.og05, 1e-12, "optimality gap at 0.5");
      close(probabilityOfImprovement(c.x, c.y), c.poi, 1e-15, "probability of improvement");
    });
  });

  it("by hand: mean and median of the per-task means", () => {
    const scores = [
      [1, 10, 100],
      [3, 20, 300],
    ]; // task means 2, 15, 200
    assert.equal(aggregateMean(scores), 217 / 3);
    assert.equal(aggregateMedian(scores), 15);
    assert.equal(aggregateMedian([[1, 2, 3, 10]]), 2.5);
  });

  it("IQM drops int(0.25 n) scores at each end, as scipy's trim_mean", () => {
    assert.equal(aggregateIqm([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]), 5.5); // n = 10: drops 2 and 2
    assert.equal(aggregateIqm([[1], [2], [3], [4], [100]]), 3); // n = 5: drops 1 and 1
    assert.equal(aggregateIqm([[1, 2, 100]]), 103 / 3); // n = 3: drops nothing
    assert.equal(aggregateIqm([[9, 9, 1, 1, 5, 5, 5, 5]]), 5); // n = 8, ties across the cuts
  });

  it("optimality gap clips at gamma", () => {
    assert.equal(optimalityGap([[0.5, 2], [1, 0]]), 1 - 2.5 / 4);
    assert.equal(optimalityGap([[150, 50]], 100), 100 - 75);
  });

  it("probability of improvement: U / (nx ny) per task with ties as one half, averaged over tasks", () => {
    assert.equal(probabilityOfImprovement([[1], [2]], [[0], [3]]), 0.5); // 1>0, 2>0: 2 of 4
    assert.equal(probabilityOfImprovement([[1, 5], [1, 5]], [[1, 0], [1, 2]]), (0.5 + 1) / 2); // task 0: all ties
    assert.equal(probabilityOfImprovement([[3], [4], [5]], [[1], [2]]), 1);
    assert.throws(() => probabilityOfImprovement([[1, 2]], [[1]]), /x has 2 tasks but y has 1/);
  });

  it("normalizes per task with low → 0 and high → 1", () => {
    assert.deepEqual(normalizeScores([[10, -5], [20, 5]], { low: [0, -5], high: [20, 15] }), [[0.5, 0], [1, 0.5]]);
    assert.throws(() => normalizeScores([[1, 2]], { low: [0], high: [1] }), /needs 2 low and high scores/);
    assert.throws(() => normalizeScores([[1]], { low: [3], high: [3] }), /task 0: cannot normalize with low 3 and high 3/);
  });

  it("takes min–max bounds per task from every algorithm's scores", () => {
    const scores = { a: [[10, -5], [20, 5]], b: [[0, 15], [5, 0]] };
    const bounds = minMaxBounds(scores);
    assert.deepEqual(bounds, { low: [0, -5], high: [20, 15] });
    assert.deepEqual(normalizeScores(scores.a, bounds), [[0.5, 0], [1, 0.5]]);
    assert.deepEqual(normalizeScores(scores.b, bounds), [[0, 1], [0.25, 0.25]]);
    assert.throws(() => minMaxBounds({ a: [[1, 2]], b: [[1]] }), /same 2 tasks, one has 1/);
    assert.throws(() => minMaxBounds({}), /at least one algorithm/);
  });

  it("checks score matrices", () => {
    assert.throws(() => aggregateMean([]), /no runs/);
    assert.throws(() => aggregateMean([[1, 2], [3]]), /run 1 has 1 task scores, run 0 has 2/);
    assert.throws(() => aggregateIqm([[1, Number.NaN]]), /run 0, task 1 is NaN, not a finite number/);
    assert.equal(ScoreTable.from([[1, 2], [3, 4]]).at(1, 0), 3);
  });
});

describe("stratified bootstrap intervals", () => {
  const x = SCIPY[1]!.x;

  it("numpy's linear percentile", () => {
    const cases: [number[], number[]][] = [
      [[-0.039729838595089065], [-0.039729838595089065, -0.039729838595089065, -0.039729838595089065, -0.039729838595089065, -0.039729838595089065, -0.039729838595089065]],
      [[-0.15651881422808306, -2.2722441146208565], [-2.2193509821110373, -0.20941194673790245, -1.21438146442447, -2.2722441146208565, -0.15651881422808306, -1.567707589590063]],
      [[0.2876572287108612, -1.7948070353223222, -0.02878564561215825], [-1.706505965836814, 0.2718350849947102, -0.02878564561215825, -1.7948070353223222, 0.2876572287108612, -0.6186367897753532]],
      [[-1.4739428268182388, 2.019650642095354, 0.32626227294865634, 0.8613576138837739, 0.9190081310452454, -1.3244886972948617, -2.2817923149605375], [-2.1606148917391925, 1.8545542654378375, 0.32626227294865634, -2.2817923149605375, 2.019650642095354, -1.3247876055539085]],
    ];
    // np.percentile(a, [100 * 0.025000000000000022, 97.5, 50, 0, 100, 33.3]); arch passes 100 * (1 - 0.95) / 2
    for (const [values, expected] of cases) {
      const sorted = Float64Array.from(values).sort();
      assert.deepEqual([100 * ((1 - 0.95) / 2), 97.5, 50, 0, 100, 33.3].map((q) => percentileOfSorted(sorted, q)), expected);
    }
  });

  it("agrees with a numpy stratified bootstrap (1e5 resamples) within Monte Carlo error", () => {
    const iqm = intervalEstimate(x, aggregateIqm, { seed: 1 });
    close(iqm.estimate, SCIPY[1]!.iqm);
    close(iqm.lower, -0.13784615, 0.03, "IQM lower");
    close(iqm.upper, 1.10453942, 0.03, "IQM upper");
    const mean = intervalEstimate(x, aggregateMean, { seed: 2 });
    close(mean.lower, -0.038944, 0.03, "mean lower");
    close(mean.upper, 1.073222, 0.03, "mean upper");
    const tasks = intervalEstimate(x, aggregateMean, { seed: 3, taskBootstrap: true });
    close(tasks.lower, -0.1770835, 0.03, "task-bootstrap lower");
    close(tasks.upper, 1.243203, 0.03, "task-bootstrap upper");
  });

  it("is seeded, shares resamples between metrics and is fast", () => {
    const start = performance.now();
    const both = intervalEstimates(x, { iqm: aggregateIqm, mean: aggregateMean }, { seed: 9 });
    const elapsed = performance.now() - start;
    assert.deepEqual(both.iqm, intervalEstimate(x, aggregateIqm, { seed: 9 }));
    assert.notDeepEqual(both.iqm, intervalEstimate(x, aggregateIqm, { seed: 10 }));
    assert.ok(elapsed < 3000, `50000 resamples of a 10 × 5 matrix, two metrics, took ${elapsed.toFixed(0)} ms`);
  });

  it("resamples runs within each task", () => {
    // task t holds 100 t + run: a resample can only move values within a task, so every task
    // mean stays in [100 t, 100 t + 3] and the median task mean in [100, 103]
    const strata = Array.from({ length: 4 }, (_, r) => [r, 100 + r, 200 + r]);
    const median = intervalEstimate(strata, aggregateMedian, { reps: 2000 });
    assert.ok(median.lower >= 100 && median.upper <= 103, JSON.stringify(median));
    const constantRuns = [[1, 5], [1, 5], [1, 5]];
    assert.deepEqual(intervalEstimate(constantRuns, aggregateIqm, { reps: 500 }), { estimate: 3, lower: 3, upper: 3 });
  });

  it("probability of improvement resamples X and Y independently", () => {
    const dominated = probabilityOfImprovementInterval([[5], [6], [7]], [[1], [2]], { reps: 1000 });
    assert.deepEqual(dominated, { estimate: 1, lower: 1, upper: 1 });
    const poi = probabilityOfImprovementInterval(SCIPY[1]!.x, SCIPY[1]!.y, { reps: 2000 });
    close(poi.estimate, SCIPY[1]!.poi);
    assert.ok(poi.lower < poi.estimate && poi.estimate < poi.upper);
  });

  it("checks its options", () => {
    assert.throws(() => intervalEstimate(x, aggregateMean, { reps: 0 }), /reps must be a positive integer/);
    assert.throws(() => intervalEstimate(x, aggregateMean, { confidence: 1 }), /confidence must be in \(0, 1\)/);
  });
});

describe("performance profiles and sample-efficiency curves", () => {
  const scores = [
    [0.1, 0.9],
    [0.5, 1.5],
    [0.3, 2.0],
  ];

  it("score distributions: fraction of runs (or of task means) above tau", () => {
    assert.equal(scoreDistribution(scores, 0.4), 4 / 6);
    assert.equal(scoreDistribution(scores, 2), 0);
    assert.equal(averageScoreDistribution(scores, 0.4), 1 / 2); // task means 0.3 and 4.4 / 3
    const profile = performanceProfile(scores, [0, 0.4, 1, 3], { reps: 500 });
    assert.deepEqual(profile.profile, [1, 4 / 6, 2 / 6, 0]);
    profile.profile.forEach((p, i) => assert.ok(profile.lower[i]! <= p && p <= profile.upper[i]!));
    assert.deepEqual(performanceProfile(scores, [0.4], { averageOverRuns: true, reps: 100 }).profile, [0.5]);
    assert.throws(() => performanceProfile(scores, []), /taus must be a non-empty list/);
  });

  it("a sample-efficiency curve is the metric and its interval at each point", () => {
    // 3 runs × 2 tasks × 4 points; the scores grow with the point index
    const curves = scores.map((run) => run.map((s) => [0, 1, 2, 3].map((p) => s * p)));
    const curve = sampleEfficiencyCurve(curves, aggregateMean, { reps: 500 });
    assert.equal(curve.length, 4);
    curve.forEach((c, p) => {
      close(c.estimate, aggregateMean(scores.map((run) => run.map((s) => s * p))));
      assert.ok(c.lower <= c.estimate && c.estimate <= c.upper);
    });
    assert.deepEqual(curve[0], { estimate: 0, lower: 0, upper: 0 });
    const chosen = sampleEfficiencyCurve(curves, aggregateIqm, { reps: 100, points: [3] });
    assert.equal(chosen.length, 1);
    close(chosen[0]!.estimate, aggregateIqm(scores.map((run) => run.map((s) => 3 * s))));
    assert.throws(() => sampleEfficiencyCurve(curves, aggregateMean, { points: [4] }), /point index 4 is outside \[0, 4\)/);
    assert.throws(() => sampleEfficiencyCurve([[[1, 2]], [[1]]], aggregateMean), /run 1, task 0 has 1 points, expected 2/);
  });
});

describe("numpy's summation", () => {
  // a[i] = ((i * 7919) % 1009) / 13 - 38.5 + (i % 5) * 1e8; np.sum(a) and np.mean(a) from numpy 2.4
  const NUMPY: [number, number, number][] = [
    [7, 1099999949.0384614, 157142849.86263734],
    [9, 1600000005.9615386, 177777778.44017094],
    [17, 3099999995.730769, 182352940.92533937],
    [130, 26000000081.76923, 200000000.62899408],
    [300, 60000000104.53846, 200000000.34846154],
  ];
  for (const [n, sum, mean] of NUMPY) {
    it(`pairwise sum of ${n} values`, () => {
      const a = Array.from({ length: n }, (_, i) => ((i * 7919) % 1009) / 13 - 38.5 + (i % 5) * 1e8);
      assert.equal(numpySum(a), sum);
      assert.equal(numpyMean(a), mean);
      if (n >= 17) assert.notEqual(a.reduce((s, v) => s + v, 0), sum); // a plain loop rounds differently
    });
  }
});

describe("scores CSV", () => {
  it("reads a pandas frame with its index column, as the reference's read_csv(index_col=0)", () => {
    const csv = ",PPO,DDPG\n0,3683.49072265625,420.27471923828125\n1,1576.5,640\n";
    assert.deepEqual(parseScoresCsv(csv), { PPO: [3683.49072265625, 1576.5], DDPG: [420.27471923828125, 640] });
    assert.deepEqual(parseScoresCsv("Unnamed: 0,A\nx,1\n"), { A: [1] });
  });

  it("reads plain CSVs, CRLF, a BOM, quotes and blank lines", () => {
    assert.deepEqual(parseScoresCsv("\uFEFFA,B\r\n1,2\r\n\r\n-3.5e2, +.5\r\n"), { A: [1, -350], B: [2, 0.5] });
    assert.deepEqual(parseScoresCsv('"PPO, tuned","say ""hi"""\n1,2'), { "PPO, tuned": [1], 'say "hi"': [2] });
    assert.deepEqual(Object.keys(parseScoresCsv("SAC,PPO,A2C\n1,2,3\n")), ["SAC", "PPO", "A2C"]);
  });

  it("names the line and column of a bad cell", () => {
    assert.throws(() => parseScoresCsv(",A,B\n0,1,2\n1,3,\n", "w.csv"), /^RangeError: w\.csv: line 3, column "B": missing value$/);
    assert.throws(() => parseScoresCsv("A,B\n1,NaN\n"), /line 2, column "B": missing value/);
    assert.throws(() => parseScoresCsv("A,B\n1,2\n3,abc\n"), /line 3, column "B": "abc" is not a finite number/);
    assert.throws(() => parseScoresCsv("A,B\n1,inf\n"), /"inf" is not a finite number/);
    assert.throws(() => parseScoresCsv("A,B\n1,2,3\n"), /line 2 has 3 cells but the header has 2/);
    assert.throws(() => parseScoresCsv("A,A\n1,2\n"), /column "A" appears twice/);
    assert.throws(() => parseScoresCsv("A,,B\n1,2,3\n"), /line 1: column 2 has no name/);
    assert.throws(() => parseScoresCsv("A,B\n"), /has a header but no rows of scores/);
    assert.throws(() => parseScoresCsv("\n\n"), /is empty/);
    assert.throws(() => parseScoresCsv('A\n"1\n'), /line 2: a quoted cell is not closed/);
  });
});

it("src/stats imports nothing Node-only (it runs in a browser)", () => {
  const dir = "src/stats";
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const code = readFileSync(join(dir, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(code, /from\s+["']node:|\bprocess\.|\bBuffer\.|\brequire\(/, file);
    for (const m of code.matchAll(/from\s+["'](\.\.?\/[^"']+)["']/g)) assert.doesNotMatch(m[1]!, /\/(node|cli|track|dashboard)\//, `${file} imports ${m[1]}`);
  }
});
