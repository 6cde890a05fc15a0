/**
 * The hot numeric kernels behind every layer and optimizer.
 *
 * All arrays live in one linear memory (a WebAssembly.Memory, so the WASM SIMD kernels can work
 * in place); every pointer below is an element index into that memory's Float32Array, and every
 * matrix is row-major float32. Two implementations exist: `jsKernels` (plain loops, the
 * reference that tests compare against) and the WASM SIMD build (`wasm-kernels.ts`).
 */
import type { ProductSplitter } from "./parallel.js";

export interface Kernels {
  readonly name: "js" | "wasm";
  /** The memory every pointer indexes into. */
  readonly memory: WebAssembly.Memory;
  /** Present when the matrix products are split across threads (a WASM build on a shared memory). */
  readonly parallel?: ProductSplitter;
  /** Y[m×n] = X[m×k]·W[k×n] + b[n] (b = -1: no bias). */
  linearForward(m: number, k: number, n: number, x: number, w: number, b: number, y: number): void;
  /** C[m×n] = A[m×k]·B[n×k]ᵀ, or C += … when accumulate. */
  matmulNT(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: boolean): void;
  /** C[m×n] = A[k×m]ᵀ·B[k×n], or C += … when accumulate. */
  matmulTN(m: number, k: number, n: number, a: number, b: number, c: number, accumulate: boolean): void;
  /** out[n] = Σ_i A[i, :] over the m rows, or out += … when accumulate. */
  columnSums(m: number, n: number, a: number, out: number, accumulate: boolean): void;
  /** y = tanh(x); x and y may be the same pointer. */
  tanhForward(length: number, x: number, y: number): void;
  /** dx = dy·(1 − y²) where y = tanh(x); dx may alias dy. */
  tanhBackward(length: number, y: number, dy: number, dx: number): void;
  /** y = max(x, 0); x and y may be the same pointer. */
  reluForward(length: number, x: number, y: number): void;
  /** dx = y > 0 ? dy : 0; dx may alias dy. */
  reluBackward(length: number, y: number, dy: number, dx: number): void;
  /**
   * Convolution patches as rows (im2col): for NHWC images x[batch × h × w × c], row
   * (b·oh + oy)·ow + ox of cols holds the kernel×kernel×c patch read at (oy·stride − padding,
   * ox·stride − padding), columns in (ky, kx, channel) order, zero outside the image;
   * oh = ⌊(h + 2·padding − kernel) / stride⌋ + 1, ow likewise.
   */
  im2col(batch: number, h: number, w: number, c: number, kernel: number, stride: number, padding: number, x: number, cols: number): void;
  /** The adjoint of im2col: dx (overwritten) = each entry of cols added into the pixel it was read from. */
  col2im(batch: number, h: number, w: number, c: number, kernel: number, stride: number, padding: number, cols: number, dx: number): void;
  /** Σ x², accumulated in float64. */
  sumOfSquares(length: number, x: number): number;
  /** x *= s. */
  scale(length: number, x: number, s: number): void;
  /**
   * One PyTorch Adam step (no weight decay, no amsgrad) for `step` ≥ 1:
   * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
   * p −= (lr / (1 − β1^step)) · m / (sqrt(v) / sqrt(1 − β2^step) + eps).
   */
  adamStep(length: number, p: number, g: number, m: number, v: number, lr: number, beta1: number, beta2: number, eps: number, step: number): void;
  /**
   * One PyTorch RMSprop step (no momentum, no weight decay):
   * sq = α·sq + (1−α)·g²; centered: ga = α·ga + (1−α)·g, avg = sqrt(sq − ga²) + eps, else avg = sqrt(sq) + eps;
   * p −= lr · g / avg. `gradAverage` is −1 when not centered.
   */
  rmspropStep(length: number, p: number, g: number, squareAverage: number, gradAverage: number, lr: number, alpha: number, eps: number): void;
}
