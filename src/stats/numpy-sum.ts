/**
 * numpy's float64 sum (`np.add.reduce` on a contiguous array, hence `np.sum` and `np.mean`):
 * pairwise summation with 8 accumulators in blocks of up to 128 values. Reproduced so that
 * AdaStop's means round exactly like the reference's, which decides ties at its thresholds.
 */

const BLOCK = 128;

/** Sum of `values[start .. start + count)` as numpy computes it. */
export function numpySum(values: ArrayLike<number>, start = 0, count = values.length - start): number {
  // numpy adds the pairwise sum to the reduction's initial value 0.0 (which also turns -0 into 0)
  return 0 + pairwiseSum(values, start, count);
}

/** numpy's `np.mean` of `values[start .. start + count)`. */
export function numpyMean(values: ArrayLike<number>, start = 0, count = values.length - start): number {
  return numpySum(values, start, count) / count;
}

function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[start + i]!;
    return sum;
  }
  if (n <= BLOCK) {
    let r0 = a[start]!, r1 = a[start + 1]!, r2 = a[start + 2]!, r3 = a[start + 3]!;
    let r4 = a[start + 4]!, r5 = a[start + 5]!, r6 = a[start + 6]!, r7 = a[start + 7]!;
    const unrolledEnd = n - (n % 8);
    let i = 8;
    for (; i < unrolledEnd; i += 8) {
      const p = start + i;
      r0 += a[p]!; r1 += a[p + 1]!; r2 += a[p + 2]!; r3 += a[p + 3]!;
      r4 += a[p + 4]!; r5 += a[p + 5]!; r6 += a[p + 6]!; r7 += a[p + 7]!;
    }
    let sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) sum += a[start + i]!;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, start, half) + pairwiseSum(a, start + half, n - half);
}
