/**
 * Demonstration regularization (Tiapkin et al. 2023, "Demonstration-Regularized RL"): a policy
 * π_BC is fitted by behaviour cloning on the demonstrations, then RL solves the KL-regularized
 * problem max E[Σ_t γ^t (r_t − λ·KL(π(·|s_t) ‖ π_BC(·|s_t)))] — the regularization is part of the
 * return, so it enters the TD targets as well as the actor's loss (in SAC beside the entropy term).
 *
 * π_BC is `tsrl train bc --loss gaussian`'s model: an MLP on observations normalized by the
 * dataset's statistics, a tanh-bounded mean μ_BC(s)·scale + bias and a state-independent log-std
 * clamped to [−20, 2], fitted by Gaussian log-likelihood (the same loss code, `weightedGaussianNll`).
 * Its density is taken on the action space itself (the Gaussian's mass outside the Box bounds does
 * not depend on π, so the gradients are those of the true KL).
 * In SAC, KL(π‖π_BC) is estimated with the action a ~ π the loss already samples: log π(a|s) −
 * log π_BC(a|s), reparameterized.
 *
 * In PPO the KL is exact (both policies Gaussian, or both categorical: then π_BC is BC's
 * categorical policy fitted by cross-entropy) and enters the loss only, λ·mean_s KL(π(·|s)‖π_BC(·|s))
 * over the minibatch's states: an on-policy advantage holds the rewards the rollout collected, so
 * the KL is not put into the returns there.
 */
import { z } from "zod";
import type { DatasetSource } from "../data/format.js";
import { type Box, Discrete } from "../envs/spaces.js";
import { categoricalBackward, categoricalEvaluate } from "../nn/distributions.js";
import type { Backend } from "../nn/backend.js";
import { tanh } from "../nn/layers.js";
import { Network, ParameterTensor, type Parameterized } from "../nn/network.js";
import { Adam } from "../nn/optim.js";
import { Random } from "../rng/random.js";
import { positiveInt } from "./common.js";
import { actionScaling, assertFiniteValue, mlp } from "./off-policy.js";
import { OFFLINE_LOG_STD_MAX, OFFLINE_LOG_STD_MIN, type ObsNormalization, loadOfflineData, normalizeRows, weightedGaussianNll } from "./offline.js";
import type { TrainingTarget } from "./training-env.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** BC's defaults (CORL any_percent_bc.py): minibatch and learning rate of the fit */
const BC_BATCH = 256;
const BC_LR = 3e-4;

/** The config fields of demonstration regularization (SAC's schema spreads them). */
export const demoRegFields = {
  demoRegCoef: z
    .number()
    .min(0, "must be ≥ 0")
    .describe("λ of demonstration regularization (Tiapkin et al. 2023): λ·KL(π‖π_BC) is added to the policy's loss (SAC: also subtracted from the TD targets' return), π_BC a BC policy fitted on --demos before training; 0: off"),
  demoRegDecay: z.number().int().min(0, "must be ≥ 0").describe("env steps over which λ decays linearly to 0; 0: λ stays constant (the paper's)"),
  demoRegBcSteps: positiveInt("demoRegBcSteps").describe("gradient steps of the BC fit of π_BC on the demos (batch 256, Adam 3e-4, the actor's hidden sizes)"),
};

export const DEMO_REG_DEFAULTS = { demoRegCoef: 0, demoRegDecay: 0, demoRegBcSteps: 10_000 } as const;

/** λ at env step `step`: constant, or decaying linearly to 0 over `demoRegDecay` steps. */
export function demoRegCoefAt(c: { demoRegCoef: number; demoRegDecay: number }, step: number): number {
  if (c.demoRegDecay === 0) return c.demoRegCoef;
  return c.demoRegCoef * Math.max(0, 1 - step / c.demoRegDecay);
}

/**
 * The demonstration term of a batch: per row kl_b = log π(a_b|s_b) − log N(a_b; μ_b, σ) (into
 * `kl`), and the loss λ·mean_b kl_b, whose gradients are added into ∂L/∂a (λ(a − μ)/(σ²B)) and
 * ∂L/∂log π (λ/B) when given. Returns mean_b kl_b (the KL estimate, without λ).
 */
export function demoKlTerm(
  actions: ArrayLike<number>,
  logProb: ArrayLike<number>,
  means: ArrayLike<number>,
  logStd: ArrayLike<number>,
  rows: number,
  d: number,
  coef: number,
  kl: Float64Array,
  gradAction: Float64Array | null,
  gradLogProb: Float64Array | null,
): number {
  let total = 0;
  for (let b = 0; b < rows; b++) {
    let logQ = 0;
    for (let j = 0; j < d; j++) {
      const ls = Math.min(OFFLINE_LOG_STD_MAX, Math.max(OFFLINE_LOG_STD_MIN, logStd[j]!));
      const inv = Math.exp(-2 * ls);
      const diff = actions[b * d + j]! - means[b * d + j]!;
      logQ += -0.5 * diff * diff * inv - ls - HALF_LOG_2PI;
      if (gradAction) gradAction[b * d + j]! += (coef * diff * inv) / rows;
    }
    kl[b] = logProb[b]! - logQ;
    total += kl[b]!;
    if (gradLogProb) gradLogProb[b]! += coef / rows;
  }
  return total / rows;
}

/** What a checkpoint keeps of π_BC besides its tensors. */
export interface BCPriorState {
  normalization: ObsNormalization | null;
  bcLoss: number;
}

/**
 * π_BC: fitted once on the demonstrations, then queried for batches of raw observations — Box
 * actions: the Gaussian's means (log-std `logStd`); Discrete: the categorical's logits.
 */
export class BCPrior {
  readonly actor: Network;
  readonly logStd: ParameterTensor;
  readonly discrete: boolean;
  /** values per row of `means`: the action dimension, or the number of actions */
  readonly outputSize: number;
  /** set by `fit` or on resume; null before */
  state: BCPriorState | null = null;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  private readonly input: Float32Array;

  /** `rows`: the largest batch `means` will be asked for. */
  constructor(
    private readonly source: DatasetSource,
    private readonly target: TrainingTarget,
    private readonly options: { hiddenSizes: readonly number[]; seed: number; steps: number; rows: number; backend: Backend },
  ) {
    const space = target.actionSpace;
    this.discrete = space instanceof Discrete;
    this.outputSize = space instanceof Discrete ? space.n : (space as Box).size;
    ({ scale: this.scale, bias: this.bias } = this.discrete ? { scale: new Float32Array(0), bias: new Float32Array(0) } : actionScaling(space as Box));
    const obsSize = source.manifest.obsSize;
    // its own generator: the algorithm's draws are the same with and without the regularization
    const layers = mlp(options.hiddenSizes, this.outputSize);
    this.actor = new Network(this.discrete ? layers : [...layers, tanh()], { inputShape: obsSize, maxBatch: Math.max(BC_BATCH, options.rows), rng: new Random(options.seed + 7919), backend: options.backend });
    this.logStd = new ParameterTensor("log_std", [this.discrete ? 1 : this.outputSize], { backend: options.backend });
    this.input = new Float32Array(options.rows * obsSize);
  }

  /** Behaviour cloning on the demos (`steps` minibatches from Random(seed + 7920)); returns the last loss. */
  fit(): number {
    const { data, normalization } = loadOfflineData(this.source, this.target, true);
    const optimizer = new Adam(this.discrete ? [this.actor] : [this.actor, this.logStd], { lr: BC_LR });
    const rng = new Random(this.options.seed + 7920);
    const batch = data.buffer.batch(BC_BATCH);
    const n = this.outputSize;
    const logProb = new Float64Array(BC_BATCH), entropy = new Float64Array(BC_BATCH), zeros = new Float64Array(BC_BATCH), gradLogProb = new Float64Array(BC_BATCH).fill(-1 / BC_BATCH);
    let loss = NaN;
    for (let g = 0; g < this.options.steps; g++) {
      data.buffer.sample(rng, batch, 1);
      this.actor.inputView(BC_BATCH).set(batch.obs);
      this.actor.forward(BC_BATCH);
      const out = this.actor.outputView(BC_BATCH), grad = this.actor.outputGradView(BC_BATCH);
      if (this.discrete) {
        // cross-entropy, as tsrl train bc on Discrete actions
        categoricalEvaluate(out, BC_BATCH, n, batch.actions, logProb, entropy);
        loss = -logProb.reduce((a, v) => a + v, 0) / BC_BATCH;
        categoricalBackward(out, BC_BATCH, n, batch.actions, gradLogProb, zeros, grad);
      } else {
        loss = weightedGaussianNll(out, this.logStd.value, batch.actions, null, this.scale, this.bias, BC_BATCH, n, grad, this.logStd.grad);
      }
      assertFiniteValue(loss, "the BC loss of π_BC (demonstration regularization)", g + 1, 0);
      this.actor.backward();
      optimizer.update();
    }
    this.state = { normalization, bcLoss: loss };
    return loss;
  }

  /** For `rows` raw observation rows: μ_BC in action units (Box), or the logits (Discrete), into `out`. */
  means(obs: Float32Array, rows: number, out: Float64Array): void {
    const x = this.input.subarray(0, rows * this.source.manifest.obsSize);
    x.set(obs.subarray(0, x.length));
    if (this.state?.normalization) normalizeRows(x, this.state.normalization);
    this.actor.inputView(rows).set(x);
    this.actor.forward(rows);
    const o = this.actor.outputView(rows), d = this.outputSize;
    if (this.discrete) for (let i = 0; i < rows * d; i++) out[i] = o[i]!;
    else for (let i = 0; i < rows * d; i++) out[i] = o[i]! * this.scale[i % d]! + this.bias[i % d]!;
  }

  modules(): Record<string, Parameterized> {
    return { bc_actor: this.actor, bc_log_std: this.logStd };
  }
}

/**
 * λ·mean_b KL(N(μ_b, σ) ‖ N(μBC_b, σBC)) for PPO's Gaussian (state-independent σ = exp(logStd)):
 * per dimension log σBC − log σ + (σ² + (μ − μBC)²)/(2σBC²) − ½. Adds its gradients into `dMean`
 * (λ(μ − μBC)/(σBC²B)) and `dLogStd` (λ(σ²/σBC² − 1)) when given; returns the mean KL (without λ).
 */
export function gaussianKlTerm(
  mean: ArrayLike<number>,
  logStd: ArrayLike<number>,
  bcMeans: ArrayLike<number>,
  bcLogStd: ArrayLike<number>,
  rows: number,
  d: number,
  coef: number,
  dMean: Float32Array | null,
  dLogStd: Float32Array | null,
): number {
  let total = 0;
  for (let j = 0; j < d; j++) {
    const ls = logStd[j]!, bls = Math.min(OFFLINE_LOG_STD_MAX, Math.max(OFFLINE_LOG_STD_MIN, bcLogStd[j]!));
    const ratio = Math.exp(2 * (ls - bls)), inv = Math.exp(-2 * bls);
    for (let b = 0; b < rows; b++) {
      const diff = mean[b * d + j]! - bcMeans[b * d + j]!;
      total += bls - ls + 0.5 * (ratio + diff * diff * inv) - 0.5;
      if (dMean) dMean[b * d + j]! += (coef * diff * inv) / rows;
    }
    if (dLogStd) dLogStd[j]! += coef * (ratio - 1);
  }
  return total / rows;
}

/** λ·mean_b KL(softmax(z_b) ‖ softmax(zBC_b)); adds ∂/∂z_i = λ·p_i(log p_i − log q_i − KL_b)/B into `dLogits` when given; returns the mean KL. */
export function categoricalKlTerm(logits: ArrayLike<number>, bcLogits: ArrayLike<number>, rows: number, n: number, coef: number, dLogits: Float32Array | null): number {
  let total = 0;
  for (let b = 0; b < rows; b++) {
    const o = b * n;
    let maxP = -Infinity, maxQ = -Infinity;
    for (let i = 0; i < n; i++) {
      maxP = Math.max(maxP, logits[o + i]!);
      maxQ = Math.max(maxQ, bcLogits[o + i]!);
    }
    let zP = 0, zQ = 0;
    for (let i = 0; i < n; i++) {
      zP += Math.exp(logits[o + i]! - maxP);
      zQ += Math.exp(bcLogits[o + i]! - maxQ);
    }
    const logZP = maxP + Math.log(zP), logZQ = maxQ + Math.log(zQ);
    let kl = 0;
    for (let i = 0; i < n; i++) {
      const lp = logits[o + i]! - logZP;
      kl += Math.exp(lp) * (lp - (bcLogits[o + i]! - logZQ));
    }
    if (dLogits) {
      for (let i = 0; i < n; i++) {
        const lp = logits[o + i]! - logZP;
        dLogits[o + i]! += (coef * Math.exp(lp) * (lp - (bcLogits[o + i]! - logZQ) - kl)) / rows;
      }
    }
    total += kl;
  }
  return total / rows;
}
