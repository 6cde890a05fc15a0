/**
 * Action distributions over network outputs, batched, with hand-written gradients:
 * Categorical over logits (PyTorch's `Categorical(logits=…)`) and a diagonal Gaussian with a
 * state-independent log-std (PPO's continuous head: `Normal(mean, exp(logstd))`, log-prob and
 * entropy summed over action dimensions). Nothing allocates per call.
 */
import type { Random } from "../rng/random.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Samples one action per row of `logits` [batch × n] into `out`, by inverse CDF on one uniform per row. */
export function categoricalSample(logits: Float32Array, batch: number, n: number, rng: Random, out: { [i: number]: number }): void {
  for (let b = 0; b < batch; b++) {
    const row = b * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, logits[row + j]!);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(logits[row + j]! - max);
    let target = rng.random() * sum;
    let action = n - 1;
    for (let j = 0; j < n; j++) {
      target -= Math.exp(logits[row + j]! - max);
      if (target < 0) {
        action = j;
        break;
      }
    }
    out[b] = action;
  }
}

/** Index of the largest logit per row (the greedy action). */
export function argmaxRows(values: Float32Array, batch: number, n: number, out: { [i: number]: number }): void {
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let j = 1; j < n; j++) if (values[b * n + j]! > values[b * n + best]!) best = j;
    out[b] = best;
  }
}

/** log π(action) and entropy per row. */
export function categoricalEvaluate(
  logits: Float32Array,
  batch: number,
  n: number,
  actions: ArrayLike<number>,
  logProb: Float64Array,
  entropy: Float64Array,
): void {
  for (let b = 0; b < batch; b++) {
    const row = b * n;
    const logZ = logSumExp(logits, row, n);
    const h = entropyOfRow(logits, row, n, logZ);
    logProb[b] = logits[row + actions[b]!]! - logZ;
    entropy[b] = h;
  }
}

/**
 * Writes ∂L/∂logits given ∂L/∂logπ(a) (`gradLogProb`) and ∂L/∂H (`gradEntropy`) per row:
 * ∂logπ(a)/∂z_j = 1[j = a] − p_j and ∂H/∂z_j = −p_j (log p_j + H).
 */
export function categoricalBackward(
  logits: Float32Array,
  batch: number,
  n: number,
  actions: ArrayLike<number>,
  gradLogProb: Float64Array,
  gradEntropy: Float64Array,
  dLogits: Float32Array,
): void {
  for (let b = 0; b < batch; b++) {
    const row = b * n;
    const logZ = logSumExp(logits, row, n);
    const h = entropyOfRow(logits, row, n, logZ);
    const gl = gradLogProb[b]!;
    const ge = gradEntropy[b]!;
    for (let j = 0; j < n; j++) {
      const lp = logits[row + j]! - logZ;
      const p = Math.exp(lp);
      dLogits[row + j] = gl * ((j === actions[b] ? 1 : 0) - p) - ge * p * (lp + h);
    }
  }
}

/** −Σ p log p of one row of logits, given its log-normalizer. */
function entropyOfRow(logits: Float32Array, row: number, n: number, logZ: number): number {
  let h = 0;
  for (let j = 0; j < n; j++) {
    const lp = logits[row + j]! - logZ;
    h -= Math.exp(lp) * lp;
  }
  return h;
}

function logSumExp(x: Float32Array, offset: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[offset + j]!);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(x[offset + j]! - max);
  return max + Math.log(sum);
}

/** action = mean + exp(logStd)·ε, ε ~ N(0, 1), for `mean` [batch × d]. */
export function gaussianSample(mean: Float32Array, logStd: Float32Array, batch: number, d: number, rng: Random, out: Float32Array | Float64Array): void {
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < d; j++) out[b * d + j] = mean[b * d + j]! + Math.exp(logStd[j]!) * rng.normal();
  }
}

/** Σ_j log N(a_j; μ_j, σ_j) and Σ_j (½ + ½log 2π + log σ_j) per row. */
export function gaussianEvaluate(
  mean: Float32Array,
  logStd: Float32Array,
  batch: number,
  d: number,
  actions: ArrayLike<number>,
  logProb: Float64Array,
  entropy: Float64Array,
): void {
  let h = 0;
  for (let j = 0; j < d; j++) h += 0.5 + HALF_LOG_2PI + logStd[j]!;
  for (let b = 0; b < batch; b++) {
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const z = (actions[b * d + j]! - mean[b * d + j]!) / Math.exp(logStd[j]!);
      lp += -0.5 * z * z - logStd[j]! - HALF_LOG_2PI;
    }
    logProb[b] = lp;
    entropy[b] = h;
  }
}

/**
 * Writes ∂L/∂mean [batch × d] and ∂L/∂logStd [d] (summed over the batch) given ∂L/∂logπ and
 * ∂L/∂H per row: ∂logπ/∂μ_j = (a_j − μ_j)/σ_j², ∂logπ/∂logσ_j = z_j² − 1, ∂H/∂logσ_j = 1.
 */
export function gaussianBackward(
  mean: Float32Array,
  logStd: Float32Array,
  batch: number,
  d: number,
  actions: ArrayLike<number>,
  gradLogProb: Float64Array,
  gradEntropy: Float64Array,
  dMean: Float32Array,
  dLogStd: Float32Array,
): void {
  for (let j = 0; j < d; j++) {
    const sigma = Math.exp(logStd[j]!);
    let g = 0;
    for (let b = 0; b < batch; b++) {
      const diff = actions[b * d + j]! - mean[b * d + j]!;
      const z = diff / sigma;
      dMean[b * d + j] = (gradLogProb[b]! * diff) / (sigma * sigma);
      g += gradLogProb[b]! * (z * z - 1) + gradEntropy[b]!;
    }
    dLogStd[j] = g;
  }
}
