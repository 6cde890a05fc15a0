/**
 * Action distributions over network outputs, batched, with hand-written gradients:
 * Categorical over logits (PyTorch's `Categorical(logits=…)`) and a diagonal Gaussian with a
 * state-independent log-std (PPO's continuous head: `Normal(mean, exp(logstd))`, log-prob and
 * entropy summed over action dimensions), and SAC's tanh-squashed Gaussian with a state-dependent,
 * bounded log-std. Nothing allocates per call.
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

/** CleanRL's (SpinUp's) bounds on the log-std of the squashed Gaussian actor. */
export const LOG_STD_MIN = -5;
export const LOG_STD_MAX = 2;
/** inside the log of the tanh correction, as CleanRL writes it: log(scale·(1 − y²) + 1e-6) */
const SQUASH_EPSILON = 1e-6;

/** An actor head output row [mean_0…mean_{d−1}, raw_0…raw_{d−1}]: log σ_j = MIN + ½(MAX − MIN)(tanh(raw_j) + 1). */
export function boundedLogStd(raw: number): number {
  return LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (Math.tanh(raw) + 1);
}

/**
 * The tanh-squashed Gaussian of SAC (CleanRL `Actor.get_action`), reparameterized with given
 * standard normal `noise` [batch × d]: x = μ + σ·ε, y = tanh(x), action = y·scale + bias,
 * log π = Σ_j [log N(x_j; μ_j, σ_j) − log(scale_j·(1 − y_j²) + 1e-6)]. `head` rows hold the mean
 * and the raw log-std (state-dependent: two heads of one network). `squashed` keeps y for the backward.
 */
export function squashedGaussianForward(
  head: Float32Array,
  batch: number,
  d: number,
  noise: ArrayLike<number>,
  scale: ArrayLike<number>,
  bias: ArrayLike<number>,
  actions: Float32Array | Float64Array,
  logProb: Float64Array,
  squashed: Float64Array,
): void {
  for (let b = 0; b < batch; b++) {
    const row = 2 * d * b;
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const logStd = boundedLogStd(head[row + d + j]!);
      const e = noise[b * d + j]!;
      const y = Math.tanh(head[row + j]! + Math.exp(logStd) * e);
      squashed[b * d + j] = y;
      actions[b * d + j] = y * scale[j]! + bias[j]!;
      lp += -0.5 * e * e - logStd - HALF_LOG_2PI - Math.log(scale[j]! * (1 - y * y) + SQUASH_EPSILON);
    }
    logProb[b] = lp;
  }
}

/**
 * Gradient of a loss through `squashedGaussianForward` (noise held fixed, as rsample does):
 * given ∂L/∂action [batch × d] (null: zero) and ∂L/∂log π per row, writes ∂L/∂head rows
 * [∂L/∂μ, ∂L/∂raw]. With ε fixed, log N(x; μ, σ) = −ε²/2 − log σ − ½log 2π, so
 * ∂L/∂y = gₐ·scale + g_lp·2·scale·y/(scale(1 − y²) + 1e-6); ∂L/∂μ = ∂L/∂y·(1 − y²);
 * ∂L/∂log σ = ∂L/∂μ·σε − g_lp; ∂L/∂raw = ∂L/∂log σ·½(MAX − MIN)(1 − tanh²(raw)).
 */
export function squashedGaussianBackward(
  head: Float32Array,
  batch: number,
  d: number,
  noise: ArrayLike<number>,
  scale: ArrayLike<number>,
  squashed: Float64Array,
  gradAction: Float64Array | null,
  gradLogProb: Float64Array,
  dHead: Float32Array,
): void {
  const half = 0.5 * (LOG_STD_MAX - LOG_STD_MIN);
  for (let b = 0; b < batch; b++) {
    const row = 2 * d * b;
    const glp = gradLogProb[b]!;
    for (let j = 0; j < d; j++) {
      const y = squashed[b * d + j]!, s = scale[j]!;
      const oneMinusY2 = 1 - y * y;
      const gy = (gradAction ? gradAction[b * d + j]! * s : 0) + (glp * 2 * s * y) / (s * oneMinusY2 + SQUASH_EPSILON);
      const gx = gy * oneMinusY2;
      const t = Math.tanh(head[row + d + j]!);
      const sigma = Math.exp(LOG_STD_MIN + half * (t + 1));
      dHead[row + j] = gx;
      dHead[row + d + j] = (gx * sigma * noise[b * d + j]! - glp) * half * (1 - t * t);
    }
  }
}

/** The deterministic action of the squashed Gaussian: tanh(μ)·scale + bias. */
export function squashedGaussianMode(head: Float32Array, batch: number, d: number, scale: ArrayLike<number>, bias: ArrayLike<number>, out: { [i: number]: number }): void {
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < d; j++) out[b * d + j] = Math.tanh(head[2 * d * b + j]!) * scale[j]! + bias[j]!;
  }
}
