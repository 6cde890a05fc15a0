/**
 * AdamW over one flat parameter array (torch.optim.AdamW's update: decoupled weight decay, bias-
 * corrected moments), with nanoGPT's rule of decaying matrices and embeddings only, the learning-
 * rate schedule of nanoGPT (linear warmup, cosine to a floor) and global gradient-norm clipping
 * (torch.nn.utils.clip_grad_norm_). Browser-safe.
 */
import type { FloatArray, ParameterEntry } from "./transformer.js";

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  step = 0;
  m: Float32Array;
  v: Float32Array;
  private readonly decayMask: Uint8Array;

  constructor(size: number, layout: readonly ParameterEntry[], options: AdamWOptions) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
    this.decayMask = new Uint8Array(size);
    for (const e of layout) if (e.decay) this.decayMask.fill(1, e.offset, e.offset + e.length);
  }

  update(params: FloatArray, grads: FloatArray): void {
    this.step++;
    const { beta1, beta2, eps, lr } = this;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const decay = 1 - lr * this.weightDecay;
    const { m, v, decayMask } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]!;
      const mi = beta1 * m[i]! + (1 - beta1) * g;
      const vi = beta2 * v[i]! + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      const p = decayMask[i] ? params[i]! * decay : params[i]!;
      params[i] = p - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }

  getState(): AdamWState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  setState(state: AdamWState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) throw new Error(`optimizer state holds ${state.m.length} values, the model ${this.m.length}`);
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}

export interface LrSchedule {
  lr: number;
  /** linear warmup steps */
  warmup: number;
  /** steps of the cosine decay (after it: minLr); 0 keeps lr constant after warmup */
  decaySteps: number;
  minLr: number;
}

/** nanoGPT's get_lr: lr·(it+1)/(warmup+1) during warmup, then cosine from lr to minLr until decaySteps. */
export function scheduledLr(s: LrSchedule, it: number): number {
  if (it < s.warmup) return (s.lr * (it + 1)) / (s.warmup + 1);
  if (s.decaySteps <= 0) return s.lr;
  if (it > s.decaySteps) return s.minLr;
  const ratio = (it - s.warmup) / Math.max(1, s.decaySteps - s.warmup);
  return s.minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (s.lr - s.minLr);
}

/** Scales grads so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGlobalNorm(grads: FloatArray, maxNorm: number): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i]! * grads[i]!;
  const norm = Math.sqrt(sum);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * scale;
  }
  return norm;
}
