/** Independent expectations for RunningMeanStd and a relative-closeness assertion, shared by the wrapper tests. */
import assert from "node:assert/strict";

/** Mean and population variance per component, two passes over the rows. */
export function twoPass(rows: readonly ArrayLike<number>[]): { mean: number[]; var: number[] } {
  const d = rows[0]!.length;
  const mean = new Array<number>(d).fill(0);
  const variance = new Array<number>(d).fill(0);
  for (const row of rows) for (let k = 0; k < d; k++) mean[k] += row[k]!;
  for (let k = 0; k < d; k++) mean[k] /= rows.length;
  for (const row of rows) for (let k = 0; k < d; k++) variance[k] += (row[k]! - mean[k]!) ** 2;
  for (let k = 0; k < d; k++) variance[k] /= rows.length;
  return { mean, var: variance };
}

/**
 * What RunningMeanStd must hold after seeing `rows` in any batching: its prior (mean 0, var 1,
 * count 1e-4) merged once with all the rows, which the parallel-variance update equals exactly
 * in real arithmetic.
 */
export function expectedRms(rows: readonly ArrayLike<number>[]): { mean: number[]; var: number[]; count: number } {
  const prior = 1e-4;
  const n = rows.length;
  const total = prior + n;
  const { mean: m, var: v } = twoPass(rows);
  return {
    mean: m.map((mk) => (n * mk) / total),
    var: m.map((mk, k) => (prior * 1 + n * v[k]! + (mk * mk * prior * n) / total) / total),
    count: total,
  };
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k]!, e = expected[k]!;
    assert.ok(Math.abs(a - e) <= rel * Math.max(Math.abs(e), 1e-300), `${what}[${k}]: ${a} vs ${e}`);
  }
}
