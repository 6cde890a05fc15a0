/**
 * A feed-forward stack of layers with all its memory allocated once: parameters in one
 * contiguous block (so optimizers and gradient clipping are one kernel call per network),
 * gradients in a second block, and per-layer activations sized for `maxBatch` samples.
 */
import type { Random } from "../rng/random.js";
import { type Backend, defaultBackend } from "./backend.js";
import { type Layer, type LayerDescription, type LayerSpec, type Param, layerFromDescription } from "./layers.js";

export interface NetworkOptions {
  /** per-sample input shape: a feature count, or [height, width, channels] for images */
  inputShape: number | readonly number[];
  /** the largest batch forward/backward will be called with */
  maxBatch: number;
  /** seeded generator for the initial weights */
  rng: Random;
  backend?: Backend;
  /**
   * Sizes of several flat inputs concatenated per sample (e.g. [obsSize, actionSize] for a critic
   * Q(s, a)); they must add up to the input size. Write them with `setInputPart` and read their
   * gradients with `inputGradPart`. Default: one input.
   */
  inputParts?: readonly number[];
}

/** A saved network's architecture (JSON). */
export interface NetworkDescription {
  inputShape: number[];
  layers: LayerDescription[];
  inputParts?: number[];
}

/** A named tensor copied out of (or into) a network: the unit of the save format. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A contiguous run of parameters and their gradients. */
export interface ParameterBlock {
  values: number;
  grads: number;
  length: number;
}

/** Anything optimizers and gradient clipping can work on: named parameters in one contiguous block. */
export interface Parameterized {
  readonly backend: Backend;
  readonly params: Param[];
  readonly block: ParameterBlock;
}

/**
 * Parameters that are not part of a layer, e.g. PPO's state-independent log-std. `shape`
 * elements, zero unless `initial` is given.
 */
export class ParameterTensor implements Parameterized {
  readonly backend: Backend;
  readonly params: Param[];
  readonly block: ParameterBlock;

  constructor(readonly name: string, shape: number[], options: { backend?: Backend; initial?: number } = {}) {
    this.backend = options.backend ?? defaultBackend();
    const n = shape.reduce((a, b) => a * b, 1);
    this.block = { values: this.backend.alloc(n), grads: this.backend.alloc(n), length: n };
    this.params = [{ name, shape: [...shape], size: n, value: this.block.values, grad: this.block.grads }];
    if (options.initial) this.value.fill(options.initial);
  }

  get value(): Float32Array {
    return this.backend.view32(this.block.values, this.block.length);
  }

  get grad(): Float32Array {
    return this.backend.view32(this.block.grads, this.block.length);
  }
}

export class Network implements Parameterized {
  readonly backend: Backend;
  readonly inputShape: number[];
  readonly outputShape: number[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly params: Param[];
  readonly block: ParameterBlock;
  /** where callers write inputs (maxBatch × inputSize) */
  readonly input: number;
  /** where callers write ∂loss/∂output before `backward` (maxBatch × outputSize) */
  readonly outputGrad: number;
  /** where `backward({ inputGradient: true })` writes ∂loss/∂input (maxBatch × inputSize) */
  readonly inputGrad: number;
  /** the sizes of the concatenated inputs and where each starts in a sample's row */
  readonly inputParts: readonly number[];
  private readonly inputPartOffsets: number[];
  private readonly specs: LayerSpec[];
  private readonly layers: Layer[];
  /** activations[i] is the input of layer i; the last one is the output */
  private readonly activations: number[];
  /** gradients[i] is ∂loss/∂activations[i] (gradients[0]: the input gradient, written on request) */
  private readonly gradients: number[];
  private lastInput = -1;
  private lastBatch = 0;

  constructor(specs: LayerSpec[], options: NetworkOptions) {
    const backend = options.backend ?? defaultBackend();
    const { maxBatch } = options;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
    if (specs.length === 0) throw new RangeError("a network needs at least one layer");
    const inputShape = typeof options.inputShape === "number" ? [options.inputShape] : [...options.inputShape];
    if (inputShape.length === 0 || inputShape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new RangeError(`inputShape must be positive integers, got [${inputShape.join(", ")}]`);
    }
    this.backend = backend;
    this.specs = specs;
    this.maxBatch = maxBatch;
    this.inputShape = inputShape;

    const shapes: number[][] = [inputShape];
    for (const spec of specs) shapes.push(spec.outputShape(shapes[shapes.length - 1]!));
    const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    this.outputShape = shapes[shapes.length - 1]!;
    this.inputSize = sizeOf(inputShape);
    this.outputSize = sizeOf(this.outputShape);
    const parts = options.inputParts ?? [this.inputSize];
    if (parts.length === 0 || parts.some((n) => !Number.isSafeInteger(n) || n < 1) || parts.reduce((a, b) => a + b, 0) !== this.inputSize) {
      throw new RangeError(`inputParts [${parts.join(", ")}] must be positive integers adding up to the input size ${this.inputSize}`);
    }
    this.inputParts = [...parts];
    this.inputPartOffsets = parts.map((_, i) => parts.slice(0, i).reduce((a, b) => a + b, 0));

    const paramSpecs = specs.map((spec, i) => spec.paramSpecs(shapes[i]!));
    const total = paramSpecs.flat().reduce((sum, p) => sum + sizeOf(p.shape), 0);
    checkNetworkFits(backend, specs, shapes, paramSpecs, maxBatch);
    this.block = { values: backend.alloc(total), grads: backend.alloc(total), length: total };
    let offset = 0;
    this.params = [];
    const layerParams = paramSpecs.map((list, i) =>
      list.map((p) => {
        const n = sizeOf(p.shape);
        const param: Param = { name: `${i}.${p.name}`, shape: p.shape, size: n, value: this.block.values + offset, grad: this.block.grads + offset };
        offset += n;
        this.params.push(param);
        return param;
      }),
    );
    this.activations = shapes.map((s) => backend.alloc(maxBatch * sizeOf(s)));
    this.gradients = shapes.map((s) => backend.alloc(maxBatch * sizeOf(s)));
    this.input = this.activations[0]!;
    this.inputGrad = this.gradients[0]!;
    this.outputGrad = this.gradients[specs.length]!;
    this.layers = specs.map((spec, i) =>
      spec.build({
        backend,
        inputShape: shapes[i]!,
        outputShape: shapes[i + 1]!,
        params: layerParams[i]!,
        scratch: backend.alloc(maxBatch * spec.scratchPerSample(shapes[i]!)),
      }),
    );
    for (const layer of this.layers) layer.initialize(options.rng);
  }

  /** Runs the network on `batch` samples read from `input` (default: `this.input`); returns the output pointer. */
  forward(batch: number, input = this.input): number {
    this.checkBatch(batch);
    const acts = this.activations;
    let x = input;
    for (let i = 0; i < this.layers.length; i++) {
      this.layers[i]!.forward(x, acts[i + 1]!, batch);
      x = acts[i + 1]!;
    }
    this.lastInput = input;
    this.lastBatch = batch;
    return x;
  }

  /**
   * Back-propagates `outputGrad` through the last forward call, overwriting every parameter
   * gradient; with `inputGradient` it also writes ∂loss/∂input into `inputGrad` (e.g. ∂Q/∂action
   * for an actor's update through a critic). `parameterGradients: false` leaves the parameter
   * gradients untouched and skips their products (when only ∂loss/∂input is wanted).
   */
  backward(options: { inputGradient?: boolean; parameterGradients?: boolean } = {}): void {
    if (this.lastInput < 0) throw new Error("backward() needs a forward() first");
    const acts = this.activations;
    const batch = this.lastBatch;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const x = i === 0 ? this.lastInput : acts[i]!;
      const dx = i > 0 ? this.gradients[i]! : options.inputGradient ? this.inputGrad : -1;
      this.layers[i]!.backward(x, acts[i + 1]!, this.gradients[i + 1]!, dx, batch, options.parameterGradients ?? true);
    }
  }

  /** Writes input part `part` of `batch` samples from `rows` ([batch × part size], row-major) into `input`. */
  setInputPart(part: number, rows: ArrayLike<number>, batch: number): void {
    this.checkBatch(batch);
    const { size, offset } = this.part(part);
    const f = this.backend.f32, d = this.inputSize;
    for (let b = 0; b < batch; b++) {
      const at = this.input + b * d + offset, from = b * size;
      for (let k = 0; k < size; k++) f[at + k] = rows[from + k]!;
    }
  }

  /** Copies ∂loss/∂(input part `part`) of the last `backward({ inputGradient: true })` into `out` [batch × part size]. */
  inputGradPart(part: number, batch: number, out: Float32Array | Float64Array): void {
    this.checkBatch(batch);
    const { size, offset } = this.part(part);
    const f = this.backend.f32, d = this.inputSize;
    for (let b = 0; b < batch; b++) {
      const at = this.inputGrad + b * d + offset, to = b * size;
      for (let k = 0; k < size; k++) out[to + k] = f[at + k]!;
    }
  }

  /** ∂loss/∂input of the first `batch` samples (after `backward({ inputGradient: true })`). */
  inputGradView(batch = this.maxBatch): Float32Array {
    return this.backend.view32(this.inputGrad, batch * this.inputSize);
  }

  private part(part: number): { size: number; offset: number } {
    const size = this.inputParts[part];
    if (size === undefined) throw new RangeError(`input part ${part} does not exist: the network has ${this.inputParts.length} input part(s)`);
    return { size, offset: this.inputPartOffsets[part]! };
  }

  get output(): number {
    return this.activations[this.layers.length]!;
  }

  /** The inputs of the first `batch` samples, to write into (invalid after the memory grows). */
  inputView(batch = this.maxBatch): Float32Array {
    return this.backend.view32(this.input, batch * this.inputSize);
  }

  outputView(batch = this.maxBatch): Float32Array {
    return this.backend.view32(this.output, batch * this.outputSize);
  }

  outputGradView(batch = this.maxBatch): Float32Array {
    return this.backend.view32(this.outputGrad, batch * this.outputSize);
  }

  /** All parameters, flat, in `params` order. */
  parameterView(): Float32Array {
    return this.backend.view32(this.block.values, this.block.length);
  }

  gradientView(): Float32Array {
    return this.backend.view32(this.block.grads, this.block.length);
  }

  describe(): NetworkDescription {
    const d: NetworkDescription = { inputShape: [...this.inputShape], layers: this.specs.map((s) => s.describe()) };
    if (this.inputParts.length > 1) d.inputParts = [...this.inputParts];
    return d;
  }

  /** Rebuilds a network (fresh weights) from a description, e.g. before loading saved parameters. */
  static fromDescription(d: NetworkDescription, options: Omit<NetworkOptions, "inputShape">): Network {
    return new Network(d.layers.map(layerFromDescription), { ...options, inputShape: d.inputShape, ...(d.inputParts ? { inputParts: d.inputParts } : {}) });
  }

  /** Copies of the parameters, named like PyTorch's state_dict ("0.weight", "0.bias", "2.weight", …). */
  stateTensors(prefix = ""): NamedTensor[] {
    return this.params.map((p) => ({ name: prefix + p.name, shape: [...p.shape], data: this.backend.view32(p.value, p.size).slice() }));
  }

  /** Loads parameters saved by `stateTensors` (every name must be present with its shape). */
  loadStateTensors(tensors: ReadonlyMap<string, NamedTensor>, prefix = ""): void {
    const checked = this.params.map((p) => {
      const t = tensors.get(prefix + p.name);
      if (!t) throw new Error(`missing parameter ${prefix + p.name}`);
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]) || t.data.length !== p.size) {
        throw new Error(`parameter ${prefix + p.name} has shape [${t.shape.join(", ")}], the network expects [${p.shape.join(", ")}]`);
      }
      return [p, t] as const;
    });
    for (const [p, t] of checked) this.backend.view32(p.value, p.size).set(t.data);
  }

  /** target ← τ·source + (1 − τ)·target over all parameters (τ = 1 copies). */
  softUpdateFrom(source: Network, tau: number): void {
    if (source.block.length !== this.block.length) throw new Error("softUpdateFrom: networks have different parameter counts");
    const a = this.backend.f32;
    const b = source.backend.f32;
    const dst = this.block.values;
    const src = source.block.values;
    if (tau === 1) {
      for (let i = 0; i < this.block.length; i++) a[dst + i] = b[src + i]!;
      return;
    }
    for (let i = 0; i < this.block.length; i++) a[dst + i] = tau * b[src + i]! + (1 - tau) * a[dst + i]!;
  }

  private checkBatch(batch: number): void {
    if (!Number.isSafeInteger(batch) || batch < 1 || batch > this.maxBatch) {
      throw new RangeError(`batch must be an integer in [1, ${this.maxBatch}] (the network's maxBatch), got ${batch}`);
    }
  }
}

/**
 * Refuses, before anything is allocated, a network whose parameters, gradients, activations and
 * scratch cannot fit in what the backend has left, naming its largest layer (a 2e9-wide layer in
 * a policy file, or hidden sizes of 100000, end here, not in "WebAssembly.Memory.grow()").
 */
function checkNetworkFits(backend: Backend, specs: readonly LayerSpec[], shapes: readonly number[][], paramSpecs: readonly { shape: number[] }[][], maxBatch: number): void {
  const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const params = paramSpecs.flat().reduce((sum, p) => sum + sizeOf(p.shape), 0);
  const activations = shapes.reduce((sum, s) => sum + sizeOf(s), 0) * maxBatch;
  const scratch = specs.reduce((sum, spec, i) => sum + spec.scratchPerSample(shapes[i]!), 0) * maxBatch;
  const floats = 2 * params + 2 * activations + scratch;
  if (floats <= backend.available) return;
  const gib = (n: number) => `${((n * 4) / 2 ** 30).toFixed(2)} GiB`;
  // the widest layer is what makes its own and the next layer's parameters and the activations large
  const widest = shapes.slice(1).reduce((w, s, i) => (sizeOf(s) > sizeOf(shapes[w + 1]!) ? i : w), 0);
  throw new RangeError(
    `network: layer ${widest} (${describeLayer(specs[widest]!)}) is too wide: the network needs ${gib(floats)} ` +
      `(parameters and gradients ${gib(2 * params)}, activations for a batch of ${maxBatch} ${gib(2 * activations + scratch)}), ` +
      `more than the ${gib(Math.max(0, backend.available))} its backend has left (WebAssembly memory ends at 4 GiB); use smaller layers or batches`,
  );
}

function describeLayer(spec: LayerSpec): string {
  const d = spec.describe();
  return "out" in d ? `${d.kind} of ${d.out} outputs` : d.kind;
}
