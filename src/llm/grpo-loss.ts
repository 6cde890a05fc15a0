/**
 * The GRPO family of policy losses (GRPO, BNPO, Dr. GRPO, DAPO) and their group-relative advantages,
 * as TRL's GRPOTrainer computes them (`_compute_loss` and the advantage block of
 * `_generate_and_score_completions`, huggingface/trl@f2cd577), in float64 with the gradient with
 * respect to the per-token log-probabilities written out by hand. Pure: runs in a browser.
 */

export type ScaleRewards = "group" | "batch" | "none";
export type GrpoLossType = "grpo" | "bnpo" | "dr_grpo" | "dapo";
export const GRPO_LOSS_TYPES: readonly GrpoLossType[] = ["grpo", "bnpo", "dr_grpo", "dapo"];

/** TRL's epsilon added to the standard deviation before dividing */
const STD_EPSILON = 1e-4;

export interface GrpoAdvantageOptions {
  /** "group" (TRL's default): divide by the group's std; "batch": by the std of all rewards; "none": Dr. GRPO, no division */
  scaleRewards?: ScaleRewards;
}

/**
 * Advantages of B = numPrompts·G completions laid out group-major (rows k·G … k·G+G−1 share a prompt):
 * reward minus its group's mean, divided (unless scaleRewards is "none") by the Bessel-corrected
 * standard deviation of the group or of the batch plus 1e-4.
 */
export function grpoAdvantages(rewards: ArrayLike<number>, G: number, options: GrpoAdvantageOptions = {}): Float64Array {
  const scale = options.scaleRewards ?? "group";
  const B = rewards.length;
  if (!Number.isInteger(G) || G < 1) throw new RangeError(`grpoAdvantages: group size G must be an integer >= 1, got ${G}`);
  if (B % G !== 0) throw new RangeError(`grpoAdvantages: ${B} rewards are not a whole number of groups of ${G}`);
  if (scale !== "group" && scale !== "batch" && scale !== "none") throw new RangeError(`grpoAdvantages: scaleRewards must be "group", "batch" or "none", got ${String(scale)}`);
  for (let i = 0; i < B; i++) if (!Number.isFinite(rewards[i]!)) throw new RangeError(`grpoAdvantages: reward ${i} is ${rewards[i]}; rewards must be finite`);
  const advantages = new Float64Array(B);
  for (let k = 0; k < B; k += G) {
    const mean = meanOf(rewards, k, G);
    const std = scale === "group" ? besselStd(rewards, k, G) : 0;
    for (let i = k; i < k + G; i++) {
      advantages[i] = rewards[i]! - mean;
      if (scale === "group") advantages[i] = advantages[i]! / (std + STD_EPSILON);
    }
  }
  if (scale === "batch") {
    const std = besselStd(rewards, 0, B);
    for (let i = 0; i < B; i++) advantages[i] = advantages[i]! / (std + STD_EPSILON);
  }
  return advantages;
}

function meanOf(x: ArrayLike<number>, start: number, n: number): number {
  let sum = 0;
  for (let i = start; i < start + n; i++) sum += x[i]!;
  return sum / n;
}

/** sqrt(mean((x − mean x)²) · n/(n−1)), TRL's nanstd; 0 for a single value */
function besselStd(x: ArrayLike<number>, start: number, n: number): number {
  if (n < 2) return 0;
  const mean = meanOf(x, start, n);
  let sum = 0;
  for (let i = start; i < start + n; i++) sum += (x[i]! - mean) ** 2;
  return Math.sqrt((sum / n) * (n / (n - 1)));
}

export interface GrpoLossInputs {
  /** log π_θ of each completion token, B × L row-major (padding is ignored) */
  logProb: Float64Array;
  /** log-probabilities under the policy that sampled the completions (equal to logProb when num_iterations = 1) */
  oldLogProb: Float64Array;
  /** log-probabilities under the frozen reference model; needed when beta ≠ 0 */
  refLogProb?: Float64Array;
  /** one advantage per completion, length B */
  advantages: Float64Array;
  /** 1 on completion tokens that count, 0 on padding, B × L */
  mask: Uint8Array;
}

export interface GrpoLossOptions {
  lossType?: GrpoLossType;
  /** lower clip range: ρ is clipped below at 1 − epsilonLow (TRL's epsilon, 0.2) */
  epsilonLow?: number;
  /** upper clip range: 1 + epsilonHigh (DAPO's clip-higher uses 0.28; defaults to epsilonLow) */
  epsilonHigh?: number;
  /** weight of the k3 KL to the reference model (TRL's default 0) */
  beta?: number;
  /** Dr. GRPO's constant normalizer (max completion length); defaults to L */
  maxCompletionLength?: number;
}

export interface GrpoLossResult {
  loss: number;
  /** ∂loss/∂logProb, B × L (0 on masked tokens) */
  gradLogProb: Float64Array;
  /** share of active tokens where the clip binds: (ρ < 1−εlow and A < 0) or (ρ > 1+εhigh and A > 0) */
  clipFraction: number;
  /** the same split: clipped below / above */
  clipFractionLow: number;
  clipFractionHigh: number;
  /** mean k3 KL over active tokens (NaN without refLogProb) */
  kl: number;
}

/**
 * The clipped surrogate per token, −min(ρA, clip(ρ, 1−εlow, 1+εhigh)A) plus β·(e^D − D − 1) with
 * D = refLogProb − logProb, aggregated over masked tokens as `lossType` says:
 * grpo = mean over rows of each row's token mean; bnpo and dapo = sum / active tokens (one batch,
 * one process, so the two agree); dr_grpo = sum / (B · maxCompletionLength).
 */
export function grpoLoss(inputs: GrpoLossInputs, options: GrpoLossOptions = {}): GrpoLossResult {
  const { logProb, oldLogProb, refLogProb, advantages, mask } = inputs;
  const lossType = options.lossType ?? "dapo";
  const epsilonLow = options.epsilonLow ?? 0.2;
  const epsilonHigh = options.epsilonHigh ?? epsilonLow;
  const beta = options.beta ?? 0;
  const B = advantages.length;
  if (B === 0) throw new RangeError("grpoLoss: advantages is empty; pass one advantage per completion");
  const N = logProb.length;
  if (N % B !== 0) throw new RangeError(`grpoLoss: logProb has ${N} values, not B × L for B = ${B} advantages`);
  const L = N / B;
  const maxCompletionLength = options.maxCompletionLength ?? L;
  if (!GRPO_LOSS_TYPES.includes(lossType)) throw new RangeError(`grpoLoss: lossType must be one of ${GRPO_LOSS_TYPES.join(", ")}, got ${String(lossType)}`);
  if (oldLogProb.length !== N) throw new RangeError(`grpoLoss: oldLogProb has ${oldLogProb.length} values, logProb ${N}`);
  if (mask.length !== N) throw new RangeError(`grpoLoss: mask has ${mask.length} values, logProb ${N}`);
  if (refLogProb && refLogProb.length !== N) throw new RangeError(`grpoLoss: refLogProb has ${refLogProb.length} values, logProb ${N}`);
  if (beta !== 0 && !refLogProb) throw new RangeError(`grpoLoss: beta = ${beta} needs refLogProb (the reference model's log-probabilities)`);
  if (!(epsilonLow >= 0 && epsilonHigh >= 0)) throw new RangeError(`grpoLoss: epsilonLow and epsilonHigh must be >= 0, got ${epsilonLow}, ${epsilonHigh}`);
  if (!(maxCompletionLength > 0)) throw new RangeError(`grpoLoss: maxCompletionLength must be > 0, got ${maxCompletionLength}`);

  // per-token loss and its derivative, before aggregation
  const gradLogProb = new Float64Array(N);
  const rowLoss = new Float64Array(B);
  const rowCount = new Float64Array(B);
  let activeTokens = 0;
  let clippedLow = 0;
  let clippedHigh = 0;
  let klSum = 0;
  const lower = 1 - epsilonLow;
  const upper = 1 + epsilonHigh;
  for (let i = 0; i < B; i++) {
    const A = advantages[i]!;
    let sum = 0;
    let count = 0;
    for (let t = i * L; t < i * L + L; t++) {
      if (mask[t] === 0) continue;
      const rho = Math.exp(logProb[t]! - oldLogProb[t]!);
      const unclipped = rho * A;
      const clipped = Math.min(Math.max(rho, lower), upper) * A;
      // the unclipped term carries the gradient when it is the smaller one (ties: same value either way)
      let lossToken = -Math.min(unclipped, clipped);
      let grad = unclipped <= clipped ? -unclipped : 0;
      if (rho < lower && A < 0) clippedLow++;
      if (rho > upper && A > 0) clippedHigh++;
      if (refLogProb) {
        const D = refLogProb[t]! - logProb[t]!;
        const eD = Math.exp(D);
        const k3 = eD - D - 1;
        klSum += k3;
        if (beta !== 0) {
          lossToken += beta * k3;
          grad += beta * (1 - eD);
        }
      }
      sum += lossToken;
      gradLogProb[t] = grad;
      count++;
    }
    rowLoss[i] = sum;
    rowCount[i] = count;
    activeTokens += count;
  }

  let loss = 0;
  if (lossType === "grpo") {
    for (let i = 0; i < B; i++) {
      const scale = 1 / (B * Math.max(rowCount[i]!, 1));
      loss += rowLoss[i]! / Math.max(rowCount[i]!, 1);
      for (let t = i * L; t < i * L + L; t++) gradLogProb[t] = gradLogProb[t]! * scale;
    }
    loss /= B;
  } else {
    const denominator = lossType === "dr_grpo" ? B * maxCompletionLength : Math.max(activeTokens, 1);
    for (let i = 0; i < B; i++) loss += rowLoss[i]!;
    loss /= denominator;
    for (let t = 0; t < N; t++) gradLogProb[t] = gradLogProb[t]! / denominator;
  }
  const active = Math.max(activeTokens, 1);
  return {
    loss,
    gradLogProb,
    clipFraction: (clippedLow + clippedHigh) / active,
    clipFractionLow: clippedLow / active,
    clipFractionHigh: clippedHigh / active,
    kl: refLogProb ? klSum / active : NaN,
  };
}
