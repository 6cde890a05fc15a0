/**
 * Weight initializers, seeded. `defaultUniform` is PyTorch's default for Linear and Conv2d
 * (kaiming_uniform with a = √5, i.e. U(±1/√fan_in), and the same bound for biases);
 * `orthogonal` is `torch.nn.init.orthogonal_` (QR of a Gaussian matrix, signs fixed so R has a
 * positive diagonal, times `gain`), which CleanRL's `layer_init` uses.
 */
import type { Random } from "../rng/random.js";

/** Fills `out` with U(−bound, bound). */
export function uniformFill(out: Float32Array, bound: number, rng: Random): void {
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.random() - 1) * bound;
}

/**
 * An orthogonal `rows × cols` matrix (row-major, float64) scaled by `gain`: orthonormal columns
 * when rows ≥ cols, orthonormal rows otherwise — PyTorch's convention for a weight of shape
 * [out = rows, in = cols].
 */
export function orthogonalMatrix(rows: number, cols: number, gain: number, rng: Random): Float64Array {
  const transposed = rows < cols;
  const tall = transposed ? cols : rows;
  const wide = transposed ? rows : cols;
  // Columns of a tall × wide Gaussian matrix, orthonormalized by modified Gram–Schmidt: this gives
  // exactly the Q of a QR factorization whose R has a positive diagonal.
  const columns = Array.from({ length: wide }, () => Float64Array.from({ length: tall }, () => rng.normal()));
  for (let j = 0; j < wide; j++) {
    const q = columns[j]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const prev = columns[p]!;
        let dot = 0;
        for (let r = 0; r < tall; r++) dot += prev[r]! * q[r]!;
        for (let r = 0; r < tall; r++) q[r]! -= dot * prev[r]!;
      }
    }
    let norm = 0;
    for (let r = 0; r < tall; r++) norm += q[r]! * q[r]!;
    norm = Math.sqrt(norm);
    for (let r = 0; r < tall; r++) q[r]! /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < wide; j++) {
    for (let r = 0; r < tall; r++) {
      const value = gain * columns[j]![r]!;
      if (transposed) out[j * cols + r] = value;
      else out[r * cols + j] = value;
    }
  }
  return out;
}
