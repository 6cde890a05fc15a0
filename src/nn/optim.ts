/**
 * Optimizers with PyTorch's update rules (Adam, RMSprop) and gradient-norm clipping
 * (`torch.nn.utils.clip_grad_norm_`), over the contiguous parameter blocks of networks.
 */
import type { Backend } from "./backend.js";
import type { NamedTensor, Parameterized, ParameterBlock } from "./network.js";

export interface OptimizerState {
  kind: string;
  step: number;
  hyperparameters: Record<string, number | boolean>;
  tensors: NamedTensor[];
}

abstract class BlockOptimizer {
  /** the learning rate of the next step (schedules set it before each step) */
  lr: number;
  /** steps taken so far */
  step = 0;
  protected readonly backend: Backend;
  protected readonly blocks: ParameterBlock[];

  constructor(networks: readonly Parameterized[], lr: number) {
    if (networks.length === 0) throw new RangeError("an optimizer needs at least one network");
    checkFinitePositive("lr", lr);
    this.backend = networks[0]!.backend;
    if (networks.some((n) => n.backend !== this.backend)) throw new Error("all networks of one optimizer must share a backend");
    this.blocks = networks.map((n) => n.block);
    this.lr = lr;
  }

  /** One update from the gradients currently stored in the networks. */
  abstract update(): void;

  /** moment buffers, one per block per kind */
  protected allocMoments(): number[] {
    return this.blocks.map((b) => this.backend.alloc(b.length));
  }

  protected momentTensors(name: string, pointers: number[]): NamedTensor[] {
    return pointers.map((ptr, i) => ({ name: `${name}.${i}`, shape: [this.blocks[i]!.length], data: this.backend.view32(ptr, this.blocks[i]!.length).slice() }));
  }

  protected loadMoments(state: OptimizerState, name: string, pointers: number[]): void {
    pointers.forEach((ptr, i) => {
      const t = state.tensors.find((x) => x.name === `${name}.${i}`);
      const length = this.blocks[i]!.length;
      if (!t || t.data.length !== length) throw new Error(`optimizer state: ${name}.${i} missing or not ${length} values`);
      this.backend.view32(ptr, length).set(t.data);
    });
  }
}

function checkFinitePositive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${v}`);
}

function checkUnitInterval(name: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new RangeError(`${name} must be in [0, 1), got ${v}`);
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  /** PyTorch's default is 1e-8; CleanRL's PPO uses 1e-5 */
  eps?: number;
}

/** `torch.optim.Adam` without weight decay or amsgrad. */
export class Adam extends BlockOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly m: number[];
  private readonly v: number[];

  constructor(networks: readonly Parameterized[], options: AdamOptions) {
    super(networks, options.lr);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    checkUnitInterval("beta1", this.beta1);
    checkUnitInterval("beta2", this.beta2);
    checkFinitePositive("eps", this.eps);
    this.m = this.allocMoments();
    this.v = this.allocMoments();
  }

  update(): void {
    this.step++;
    const k = this.backend.kernels;
    this.blocks.forEach((b, i) => k.adamStep(b.length, b.values, b.grads, this.m[i]!, this.v[i]!, this.lr, this.beta1, this.beta2, this.eps, this.step));
  }

  getState(): OptimizerState {
    return {
      kind: "adam",
      step: this.step,
      hyperparameters: { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps },
      tensors: [...this.momentTensors("exp_avg", this.m), ...this.momentTensors("exp_avg_sq", this.v)],
    };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== "adam") throw new Error(`optimizer state is for ${state.kind}, not adam`);
    this.loadMoments(state, "exp_avg", this.m);
    this.loadMoments(state, "exp_avg_sq", this.v);
    this.step = state.step;
    this.lr = Number(state.hyperparameters.lr);
  }
}

export interface RMSpropOptions {
  lr: number;
  alpha?: number;
  eps?: number;
  centered?: boolean;
}

/** `torch.optim.RMSprop` without momentum or weight decay (MinAtar's DQN uses centered, α 0.95, eps 0.01). */
export class RMSprop extends BlockOptimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly centered: boolean;
  private readonly squareAverage: number[];
  private readonly gradAverage: number[];

  constructor(networks: readonly Parameterized[], options: RMSpropOptions) {
    super(networks, options.lr);
    this.alpha = options.alpha ?? 0.99;
    this.eps = options.eps ?? 1e-8;
    this.centered = options.centered ?? false;
    checkUnitInterval("alpha", this.alpha);
    checkFinitePositive("eps", this.eps);
    this.squareAverage = this.allocMoments();
    this.gradAverage = this.centered ? this.allocMoments() : [];
  }

  update(): void {
    this.step++;
    const k = this.backend.kernels;
    this.blocks.forEach((b, i) =>
      k.rmspropStep(b.length, b.values, b.grads, this.squareAverage[i]!, this.centered ? this.gradAverage[i]! : -1, this.lr, this.alpha, this.eps),
    );
  }

  getState(): OptimizerState {
    return {
      kind: "rmsprop",
      step: this.step,
      hyperparameters: { lr: this.lr, alpha: this.alpha, eps: this.eps, centered: this.centered },
      tensors: [...this.momentTensors("square_avg", this.squareAverage), ...this.momentTensors("grad_avg", this.gradAverage)],
    };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== "rmsprop") throw new Error(`optimizer state is for ${state.kind}, not rmsprop`);
    this.loadMoments(state, "square_avg", this.squareAverage);
    this.loadMoments(state, "grad_avg", this.gradAverage);
    this.step = state.step;
    this.lr = Number(state.hyperparameters.lr);
  }
}

export type Optimizer = Adam | RMSprop;

/** The global L2 norm of all gradients of `networks`. */
export function gradientNorm(networks: readonly Parameterized[]): number {
  let sum = 0;
  for (const n of networks) sum += n.backend.kernels.sumOfSquares(n.block.length, n.block.grads);
  return Math.sqrt(sum);
}

/**
 * `clip_grad_norm_`: scales all gradients by max_norm / (norm + 1e-6) when that is below 1.
 * Returns the norm before clipping (non-finite norms are returned unscaled: check them).
 */
export function clipGradientNorm(networks: readonly Parameterized[], maxNorm: number): number {
  const norm = gradientNorm(networks);
  const coefficient = maxNorm / (norm + 1e-6);
  if (coefficient < 1) for (const n of networks) n.backend.kernels.scale(n.block.length, n.block.grads, coefficient);
  return norm;
}

/** Names the first parameter (or gradient) of `networks` holding NaN or ±Inf, or null. */
export function findNonFinite(networks: readonly { name: string; network: Parameterized }[], what: "value" | "grad"): string | null {
  for (const { name, network } of networks) {
    for (const p of network.params) {
      const view = network.backend.view32(what === "value" ? p.value : p.grad, p.size);
      for (let i = 0; i < view.length; i++) if (!Number.isFinite(view[i]!)) return `${name}.${p.name}${what === "grad" ? " (gradient)" : ""}`;
    }
  }
  return null;
}
