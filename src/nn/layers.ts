/**
 * Layers with explicit backward passes.
 *
 * Why not a tape autograd: RL networks are short fixed stacks, and a layer that owns preallocated
 * buffers and says its own backward in ten lines is as readable as a tape, allocates nothing per
 * step, and lets each product go straight to one fused kernel call. The loss heads (PPO, DQN) write
 * the gradient of the loss w.r.t. the network output by hand; finite-difference tests check all of it.
 *
 * Layouts: a weight is stored [in, out] (the transpose of PyTorch's [out, in]) so that forward
 * and weight-gradient products run along contiguous rows; images are NHWC (height, width,
 * channels per sample), which is also how MinAtar lays out its state; Linear flattens its input.
 */
import type { Random } from "../rng/random.js";
import type { Backend } from "./backend.js";
import { orthogonalMatrix, uniformFill } from "./init.js";
import { layerNorm } from "./layer-norm.js";

/** Initialization of a weight-carrying layer: PyTorch's default, or orthogonal with a gain (biases 0). */
export type Init = "default" | { orthogonal: number };

export interface ParamSpec {
  /** name inside the layer: "weight" or "bias" */
  name: string;
  shape: number[];
}

/** A parameter tensor: its values and its gradient, both in the backend's memory. */
export interface Param {
  name: string;
  shape: number[];
  size: number;
  value: number;
  grad: number;
}

/** What a Sequential needs to know about a layer before building it. */
export interface LayerSpec {
  readonly kind: string;
  /** per-sample output shape for a per-sample input shape (throws if they do not fit) */
  outputShape(input: readonly number[]): number[];
  paramSpecs(input: readonly number[]): ParamSpec[];
  /** floats of scratch memory per sample */
  scratchPerSample(input: readonly number[]): number;
  build(ctx: LayerContext): Layer;
  /** a JSON description, enough to rebuild the layer (saved with the parameters) */
  describe(): LayerDescription;
}

export type LayerDescription =
  | { kind: "linear"; out: number; init: Init }
  | { kind: "conv2d"; out: number; kernel: number; stride: number; padding: number; init: Init }
  | { kind: "tanh" }
  | { kind: "relu" }
  | { kind: "layernorm" };

export interface LayerContext {
  backend: Backend;
  inputShape: number[];
  outputShape: number[];
  params: Param[];
  scratch: number;
}

export interface Layer {
  readonly params: Param[];
  /** Fills the parameters (seeded). */
  initialize(rng: Random): void;
  /** y = f(x) for `batch` samples. */
  forward(x: number, y: number, batch: number): void;
  /**
   * Writes the parameter gradients (overwriting; skipped when `parameterGradients` is false) and
   * dx (skipped when dx < 0), given x, y = f(x) and dy.
   */
  backward(x: number, y: number, dy: number, dx: number, batch: number, parameterGradients?: boolean): void;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

function initWeights(backend: Backend, weight: Param, bias: Param, fanIn: number, fanOut: number, init: Init, rng: Random): void {
  const w = backend.view32(weight.value, weight.size);
  const b = backend.view32(bias.value, bias.size);
  if (init === "default") {
    const bound = 1 / Math.sqrt(fanIn);
    uniformFill(w, bound, rng);
    uniformFill(b, bound, rng);
    return;
  }
  // PyTorch's weight is [out, in]; ours is its transpose.
  const q = orthogonalMatrix(fanOut, fanIn, init.orthogonal, rng);
  for (let o = 0; o < fanOut; o++) for (let i = 0; i < fanIn; i++) w[i * fanOut + o] = q[o * fanIn + i]!;
  b.fill(0);
}

/** y = x·W + b, with x flattened per sample. */
export function linear(out: number, init: Init = "default"): LayerSpec {
  checkPositiveInteger("linear output size", out);
  if (init !== "default" && !(Number.isFinite(init.orthogonal) && init.orthogonal >= 0)) {
    throw new RangeError(`orthogonal gain must be a finite number ≥ 0, got ${init.orthogonal}`);
  }
  return {
    kind: "linear",
    outputShape: () => [out],
    paramSpecs: (input) => [
      { name: "weight", shape: [size(input), out] },
      { name: "bias", shape: [out] },
    ],
    scratchPerSample: () => 0,
    describe: () => ({ kind: "linear", out, init }),
    build({ backend, inputShape, params }) {
      const k = size(inputShape);
      const [weight, bias] = params as [Param, Param];
      const kernels = backend.kernels;
      return {
        params,
        initialize: (rng) => initWeights(backend, weight, bias, k, out, init, rng),
        forward: (x, y, batch) => kernels.linearForward(batch, k, out, x, weight.value, bias.value, y),
        backward(x, _y, dy, dx, batch, parameterGradients = true) {
          if (parameterGradients) {
            kernels.matmulTN(k, batch, out, x, dy, weight.grad, false);
            kernels.columnSums(batch, out, dy, bias.grad, false);
          }
          if (dx >= 0) kernels.matmulNT(batch, out, k, dy, weight.value, dx, false);
        },
      };
    },
  };
}

function activation(kind: "tanh" | "relu"): LayerSpec {
  return {
    kind,
    outputShape: (input) => [...input],
    paramSpecs: () => [],
    scratchPerSample: () => 0,
    describe: () => ({ kind }),
    build({ backend, inputShape }) {
      const n = size(inputShape);
      const k = backend.kernels;
      const tanhLayer = kind === "tanh";
      return {
        params: [],
        initialize() {},
        forward: (x, y, batch) => (tanhLayer ? k.tanhForward(batch * n, x, y) : k.reluForward(batch * n, x, y)),
        backward(_x, y, dy, dx, batch) {
          if (dx < 0) return;
          if (tanhLayer) k.tanhBackward(batch * n, y, dy, dx);
          else k.reluBackward(batch * n, y, dy, dx);
        },
      };
    },
  };
}

export const tanh = (): LayerSpec => activation("tanh");
export const relu = (): LayerSpec => activation("relu");

export interface Conv2dOptions {
  kernel: number;
  stride?: number;
  padding?: number;
  init?: Init;
}

/**
 * 2-D convolution over NHWC input [height, width, channels], zero padding, square kernel:
 * the im2col kernel, then the same matmul kernels as Linear. Weight [kernel·kernel·channels, out].
 */
export function conv2d(out: number, options: Conv2dOptions): LayerSpec {
  const { kernel, stride = 1, padding = 0, init = "default" } = options;
  checkPositiveInteger("conv2d output channels", out);
  checkPositiveInteger("conv2d kernel", kernel);
  checkPositiveInteger("conv2d stride", stride);
  if (!Number.isSafeInteger(padding) || padding < 0) throw new RangeError(`conv2d padding must be an integer ≥ 0, got ${padding}`);
  const geometry = (input: readonly number[]) => {
    if (input.length !== 3) throw new RangeError(`conv2d needs [height, width, channels] input, got [${input.join(", ")}]`);
    const [h, w, c] = input as [number, number, number];
    const oh = Math.floor((h + 2 * padding - kernel) / stride) + 1;
    const ow = Math.floor((w + 2 * padding - kernel) / stride) + 1;
    if (oh < 1 || ow < 1) throw new RangeError(`conv2d kernel ${kernel} does not fit input ${h}×${w} with padding ${padding}`);
    return { h, w, c, oh, ow, patch: kernel * kernel * c };
  };
  return {
    kind: "conv2d",
    outputShape(input) {
      const { oh, ow } = geometry(input);
      return [oh, ow, out];
    },
    paramSpecs(input) {
      const { patch } = geometry(input);
      return [
        { name: "weight", shape: [patch, out] },
        { name: "bias", shape: [out] },
      ];
    },
    scratchPerSample(input) {
      const { oh, ow, patch } = geometry(input);
      return oh * ow * patch;
    },
    describe: () => ({ kind: "conv2d", out, kernel, stride, padding, init }),
    build({ backend, inputShape, params, scratch }) {
      const { h, w, c, oh, ow, patch } = geometry(inputShape);
      const [weight, bias] = params as [Param, Param];
      const kernels = backend.kernels;
      const im2col = (x: number, batch: number) => kernels.im2col(batch, h, w, c, kernel, stride, padding, x, scratch);
      return {
        params,
        initialize: (rng) => initWeights(backend, weight, bias, patch, out, init, rng),
        forward(x, y, batch) {
          im2col(x, batch);
          kernels.linearForward(batch * oh * ow, patch, out, scratch, weight.value, bias.value, y);
        },
        backward(x, _y, dy, dx, batch, parameterGradients = true) {
          const rows = batch * oh * ow;
          if (parameterGradients) {
            im2col(x, batch); // the forward's columns may have been overwritten by another call since
            kernels.matmulTN(patch, rows, out, scratch, dy, weight.grad, false);
            kernels.columnSums(rows, out, dy, bias.grad, false);
          }
          if (dx < 0) return;
          kernels.matmulNT(rows, out, patch, dy, weight.value, scratch, false);
          kernels.col2im(batch, h, w, c, kernel, stride, padding, scratch, dx);
        },
      };
    },
  };
}

/** Rebuilds a layer spec from its saved description. */
export function layerFromDescription(d: LayerDescription): LayerSpec {
  switch (d.kind) {
    case "linear":
      return linear(d.out, d.init);
    case "conv2d":
      return conv2d(d.out, { kernel: d.kernel, stride: d.stride, padding: d.padding, init: d.init });
    case "tanh":
      return tanh();
    case "relu":
      return relu();
    case "layernorm":
      return layerNorm();
    default:
      throw new TypeError(`unknown layer kind ${JSON.stringify((d as { kind: unknown }).kind)}`);
  }
}
