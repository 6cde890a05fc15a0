/**
 * Gymnasium's `RunningMeanStd`: per-component mean and population variance of every sample
 * seen, merged batch by batch with the parallel-variance formula (Chan et al.), in float64.
 */

export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  /** starts at `epsilon`, not 0, so the first merge never divides by zero */
  count: number;
  private readonly batchMean: Float64Array;
  private readonly batchVar: Float64Array;

  constructor(
    readonly size = 1,
    epsilon = 1e-4,
  ) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = epsilon;
    this.batchMean = new Float64Array(size);
    this.batchVar = new Float64Array(size);
  }

  /** Merges `rows` samples of `size` numbers each, read row-major from the start of `x`. */
  update(x: ArrayLike<number>, rows: number): void {
    const d = this.size, bm = this.batchMean, bv = this.batchVar;
    // Two passes, as numpy's mean and var do.
    bm.fill(0);
    bv.fill(0);
    for (let r = 0; r < rows; r++) for (let k = 0; k < d; k++) bm[k] += x[r * d + k]!;
    for (let k = 0; k < d; k++) bm[k] /= rows;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < d; k++) {
        const dev = x[r * d + k]! - bm[k]!;
        bv[k] += dev * dev;
      }
    }
    for (let k = 0; k < d; k++) bv[k] /= rows;
    this.updateFromMoments(bm, bv, rows);
  }

  /** Gymnasium's `update_mean_var_count_from_moments`, term for term. */
  updateFromMoments(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, batchCount: number): void {
    const count = this.count;
    const totCount = count + batchCount;
    for (let k = 0; k < this.size; k++) {
      const delta = batchMean[k]! - this.mean[k]!;
      const mA = this.var[k]! * count;
      const mB = batchVar[k]! * batchCount;
      const m2 = mA + mB + ((delta * delta * count) * batchCount) / totCount;
      this.mean[k] = this.mean[k]! + (delta * batchCount) / totCount;
      this.var[k] = m2 / totCount;
    }
    this.count = totCount;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  setState(s: RunningMeanStdState): void {
    if (!s || s.mean?.length !== this.size || s.var?.length !== this.size || typeof s.count !== "number") {
      throw new TypeError(`RunningMeanStd: state must hold mean and var of ${this.size} numbers and a count`);
    }
    this.mean.set(s.mean);
    this.var.set(s.var);
    this.count = s.count;
  }
}
